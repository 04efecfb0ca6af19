"""Django merges every catalogue of a language into one: a msgid translated differently by two
apps gets one of the translations everywhere (the first catalogue in LOCALE_PATHS, then
INSTALLED_APPS order, wins). "Open" became 미체결 on a course page that way. An ambiguous word
gets a context (`pgettext_lazy("order status", "Open")`, `{% translate "Open" context "course" %}`)
— and this test keeps every catalogue agreeing on each msgid without one, including the
catalogues of installed packages (Django's admin, allauth, celery beat), which come first in
INSTALLED_APPS and so win over the service apps: "Description" became 설명 on a report."""

import ast
import gettext
from collections import defaultdict
from pathlib import Path

from django.apps import apps

ROOT = Path(__file__).resolve().parent.parent
SKIP = {".venv", "node_modules", ".git"}


def catalogues() -> list[Path]:
    return sorted(
        path
        for path in ROOT.rglob("LC_MESSAGES/django.po")
        if not SKIP.intersection(path.relative_to(ROOT).parts)
    )


def _unquote(text: str) -> str:
    return ast.literal_eval(text) if text else ""


def parse_po(text: str) -> list[dict]:
    """The translated entries of a .po file: {"msgctxt", "msgid", "msgstr" (a tuple: the plural
    forms), "fuzzy"}. Obsolete (#~) entries are left out, as msgfmt leaves them out."""
    entries, entry, key = [], None, None

    def close():
        if entry is not None and "msgid" in entry:
            entries.append(
                {
                    "msgctxt": entry.get("msgctxt"),
                    "msgid": entry["msgid"],
                    "msgstr": tuple(v for k, v in sorted(entry.items()) if k.startswith("msgstr")),
                    "fuzzy": entry.get("fuzzy", False),
                }
            )

    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#~"):
            continue
        if line.startswith("#"):
            if entry is not None and "msgid" in entry and key and key.startswith("msgstr"):
                close()
                entry, key = {}, None
            if entry is None:
                entry = {}
            if line.startswith("#,") and "fuzzy" in line:
                entry["fuzzy"] = True
            continue
        if line.startswith('"'):
            entry[key] += _unquote(line)
            continue
        keyword, _space, value = line.partition(" ")
        ends_entry = entry is not None and key is not None and key.startswith("msgstr")
        if keyword in ("msgctxt", "msgid") and ends_entry:
            close()
            entry = {}
        if entry is None:
            entry = {}
        key = keyword.replace("[", "_").rstrip("]")
        entry[key] = _unquote(value)
    close()
    return [e for e in entries if e["msgid"]]


def collisions(language: str) -> dict[str, dict[tuple, list[str]]]:
    """msgid (without context) → {translation: [catalogues]} where catalogues disagree."""
    seen: dict[str, dict[tuple, list[str]]] = defaultdict(lambda: defaultdict(list))
    for path in catalogues():
        if path.parent.parent.name != language:
            continue
        for entry in parse_po(path.read_text(encoding="utf-8")):
            if entry["msgctxt"] is not None or entry["fuzzy"] or not any(entry["msgstr"]):
                continue
            seen[entry["msgid"]][entry["msgstr"]].append(str(path.relative_to(ROOT)))
    return {msgid: dict(found) for msgid, found in seen.items() if len(found) > 1}


def test_the_parser_reads_contexts_plurals_continuations_and_skips_obsolete_entries():
    text = "\n".join(
        [
            'msgid ""',
            'msgstr "Language: ko\\n"',
            "",
            "#: a.py:1",
            'msgctxt "order status"',
            'msgid "Open"',
            'msgstr "미체결"',
            "",
            'msgid "One \\"apple\\""',
            'msgid_plural "%(n)s apples"',
            'msgstr[0] ""',
            '"사과 %(n)s개"',
            "",
            "#, fuzzy",
            'msgid "Guess"',
            'msgstr "추측"',
            "",
            '#~ msgid "Gone"',
            '#~ msgstr "없음"',
        ]
    )
    assert parse_po(text) == [
        {"msgctxt": "order status", "msgid": "Open", "msgstr": ("미체결",), "fuzzy": False},
        {"msgctxt": None, "msgid": 'One "apple"', "msgstr": ("사과 %(n)s개",), "fuzzy": False},
        {"msgctxt": None, "msgid": "Guess", "msgstr": ("추측",), "fuzzy": True},
    ]


def test_every_catalogue_is_found():
    found = {str(path.relative_to(ROOT)).split("/locale/")[0] for path in catalogues()}
    assert {"identity", "vouchers", "exchange", "safety", "logistics", "education"} <= found
    assert (ROOT / "locale/ko/LC_MESSAGES/django.po") in catalogues()


def test_no_msgid_has_two_korean_translations():
    found = collisions("ko")
    report = "\n".join(
        f"{msgid!r}: "
        + "; ".join(f"{'/'.join(t)!r} in {', '.join(paths)}" for t, paths in by.items())
        for msgid, by in sorted(found.items())
    )
    assert not found, f"give these a context (pgettext) or one translation:\n{report}"


def test_no_msgid_has_two_english_translations():
    assert not collisions("en")


def third_party_catalogues(language: str) -> dict[str, dict]:
    """The compiled catalogues of the installed apps that are not ours (Django's admin, allauth,
    DRF, celery beat…): all come before the service apps in INSTALLED_APPS, so they win."""
    found = {}
    for config in apps.get_app_configs():
        path = Path(config.path)
        # Ours live in the checkout; installed packages in site-packages (which may itself be
        # inside the checkout, as .venv is).
        if ROOT in path.parents and "site-packages" not in path.parts:
            continue
        mo = path / "locale" / language / "LC_MESSAGES" / "django.mo"
        if mo.exists():
            with mo.open("rb") as handle:
                found[config.name] = gettext.GNUTranslations(handle)._catalog
    return found


def test_no_msgid_of_ours_is_translated_otherwise_by_an_installed_package():
    # Given what the service apps' catalogues translate without context ("Description" → 내용)
    # (the portal's own catalogue is in LOCALE_PATHS: it is merged last and wins anyway)
    ours: dict[str, dict[str, str]] = defaultdict(dict)
    for path in catalogues():
        if path.parent.parent.name != "ko" or path.parent.parent.parent == ROOT / "locale":
            continue
        for entry in parse_po(path.read_text(encoding="utf-8")):
            if entry["msgctxt"] is None and not entry["fuzzy"] and entry["msgstr"][0]:
                ours[entry["msgid"]][str(path.relative_to(ROOT))] = entry["msgstr"][0]
    # Then no installed package (merged ahead of them) says otherwise ("Description" → 설명)
    packages = third_party_catalogues("ko")
    assert {"django.contrib.admin", "allauth", "django_celery_beat"} <= packages.keys()
    clashes = [
        f"{msgid!r}: {theirs!r} in {name}, {by}"
        for name, catalogue in packages.items()
        for msgid, by in ours.items()
        if isinstance(theirs := catalogue.get(msgid), str)
        and theirs
        and any(translation != theirs for translation in by.values())
    ]
    assert not clashes, "give these a context (pgettext):\n" + "\n".join(clashes)


def test_module_level_labels_follow_the_language_of_each_request():
    """Labels defined at import time must be lazy: a plain gettext there is fixed in whatever
    language was active when the module was first imported (the certificate page once showed
    its checks in Korean on an English page)."""
    from django.utils import translation

    from education.views.certificates import CHECK_LABELS as certificate_checks
    from identity.views import CHECK_LABELS as credential_checks

    for labels in (certificate_checks, credential_checks):
        with translation.override("ko"):
            korean = str(labels["validity"])
        with translation.override("en"):
            english = str(labels["validity"])
        assert english == "Validity period"
        assert korean != english
