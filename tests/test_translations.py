"""Django merges every catalogue of a language into one: a msgid translated differently by two
apps gets one of the translations everywhere (the first catalogue in LOCALE_PATHS, then
INSTALLED_APPS order, wins). "Open" became 미체결 on a course page that way. An ambiguous word
gets a context (`pgettext_lazy("order status", "Open")`, `{% translate "Open" context "course" %}`)
— and this test keeps every catalogue agreeing on each msgid without one."""

import ast
from collections import defaultdict
from pathlib import Path

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
