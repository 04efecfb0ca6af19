"""did:web names of the portal's issuers, derived from SITE_URL."""

from urllib.parse import quote, urlsplit

from django.conf import settings

CITY_SLUG = "city"


def site_host() -> str:
    """The did:web host: SITE_URL's host, with a port percent-encoded as did:web says."""
    netloc = urlsplit(settings.SITE_URL).netloc
    return quote(netloc, safe="")


def site_url(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def did_for_issuer(slug: str) -> str:
    if slug == CITY_SLUG:
        return f"did:web:{site_host()}"
    return f"did:web:{site_host()}:issuers:{slug}"


def did_document(*, did: str, verification_method: str, public_key_multibase: str) -> dict:
    return {
        "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
        "id": did,
        "verificationMethod": [
            {
                "id": verification_method,
                "type": "Multikey",
                "controller": did,
                "publicKeyMultibase": public_key_multibase,
            }
        ],
        "authentication": [verification_method],
        "assertionMethod": [verification_method],
    }
