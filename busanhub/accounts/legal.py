"""The terms of use and the privacy policy: their current versions and where they are shown.

The texts are templates, one per language (accounts/legal/<document>.<language>.html), since a
legal text is written and reviewed as a whole in each language; the Korean one is authoritative.
Change a text's meaning: raise its version here (sign-up records the version accepted).
"""

from django.utils import translation

TERMS_VERSION = "2026-12-01"
PRIVACY_VERSION = "2026-12-01"
EFFECTIVE_DATE = "2026-12-01"

VERSIONS = {"terms": TERMS_VERSION, "privacy": PRIVACY_VERSION}


def template_for(document: str) -> str:
    """The text of `document` ("terms" or "privacy") in the active language (Korean otherwise)."""
    language = "en" if (translation.get_language() or "ko").startswith("en") else "ko"
    return f"accounts/legal/{document}.{language}.html"
