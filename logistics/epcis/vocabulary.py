"""Which EPCIS fields hold vocabulary terms, and how a bare term expands (pure: no Django).

Read at import from GS1's EPCIS 2.0 JSON-LD context (vendored in `contexts/`): every term the
context declares `"@type": "@vocab"`, wherever it sits (`bizStep`, `sourceList` → `type`,
`sensorElementList` → `sensorReport` → `component`, ...), with the scoped context it names.
A bare value of such a field is a JSON-LD vocabulary term: the scoped context's own term when
it defines it, else the vocabulary's namespace (the longest prefix the scoped context's terms
share, e.g. `https://ref.gs1.org/cbv/Comp-`) followed by the value (CBV 2.0 §8.9.2, rule 16).
"""

import json
from dataclasses import dataclass, field
from os.path import commonprefix
from pathlib import Path
from typing import Any

CONTEXTS = Path(__file__).resolve().parent / "contexts"
ROOT_CONTEXT = "epcis-context-root.jsonld"


def bare_term(value: object) -> str:
    """A CBV term in its bare spelling (`shipping`), from the bare, URN
    (`urn:epcglobal:cbv:bizstep:shipping`) or web URI (`https://ref.gs1.org/cbv/BizStep-shipping`)
    spellings; "" for none. The one reading of a business step (provenance rules, the
    consumer page's timeline)."""
    if not isinstance(value, str):
        return ""
    text = value.strip()
    bare = text.rsplit("-", 1)[-1] if text.startswith("http") else text.rsplit(":", 1)[-1]
    return bare.lower()


@dataclass(frozen=True)
class Vocabulary:
    """The expansion of one vocabulary-typed field."""

    namespace: str
    terms: dict[str, str] = field(default_factory=dict)

    def expand(self, value: str) -> str:
        return self.terms.get(value) or self.namespace + value


def _load(name: str) -> dict:
    return json.loads((CONTEXTS / name).read_text(encoding="utf-8"))["@context"]


def _prefixes(context: dict, inherited: dict[str, str]) -> dict[str, str]:
    found = dict(inherited)
    for key, value in context.items():
        if isinstance(value, str) and not key.startswith("@") and value.endswith(("/", "#", ":")):
            found[key] = value
    return found


def _expand_iri(value: str, prefixes: dict[str, str]) -> str:
    prefix, _, rest = value.partition(":")
    if rest and prefix in prefixes and not rest.startswith("//"):
        return prefixes[prefix] + rest
    return value


def _scoped(reference: Any, prefixes: dict[str, str]) -> Vocabulary:
    """The vocabulary a term's scoped context (a vendored file name, or a list of them and
    inline objects) defines."""
    entries = reference if isinstance(reference, list) else [reference]
    terms: dict[str, str] = {}
    for entry in entries:
        context = _load(entry.rsplit("/", 1)[-1]) if isinstance(entry, str) else entry
        local = _prefixes(context, prefixes)
        for key, value in context.items():
            if isinstance(value, str) and not key.startswith("@") and key not in local:
                terms[key] = _expand_iri(value, local)
    namespace = commonprefix(sorted(terms.values())) if len(terms) > 1 else ""
    # The shared prefix ends where the vocabulary's words start (`...cbv/Comp-`, `.../voc/`).
    cut = max(namespace.rfind(mark) for mark in "-/#:") + 1 if namespace else 0
    return Vocabulary(namespace=namespace[:cut], terms=terms)


def _walk(
    context: dict,
    prefixes: dict[str, str],
    trail: tuple[str, ...],
    found: dict,
    inherited: Any = None,
) -> None:
    """Records the `@vocab` terms of `context`; `inherited` is the file part of the scoped
    context that holds it (a `@vocab` term without its own scoped context takes those terms,
    as `set` and `unset` take the disposition context of `persistentDisposition`)."""
    prefixes = _prefixes(context, prefixes)
    for term, definition in context.items():
        if not isinstance(definition, dict):
            continue
        scoped = definition.get("@context")
        if definition.get("@type") == "@vocab":
            found[(*trail, term)] = _scoped(scoped if scoped is not None else inherited, prefixes)
            continue
        # A term whose scoped context is an object (or a list holding one) nests more terms.
        entries = scoped if isinstance(scoped, list) else [scoped]
        files = [entry for entry in entries if isinstance(entry, str)]
        for entry in entries:
            if isinstance(entry, dict):
                _walk(entry, prefixes, (*trail, term), found, files or None)


def vocabulary_fields(root: str = ROOT_CONTEXT) -> dict[tuple[str, ...], Vocabulary]:
    """(containing terms..., term) → its Vocabulary, for every `@vocab` term of the context."""
    found: dict[tuple[str, ...], Vocabulary] = {}
    _walk(_load(root), {}, (), found)
    return found


FIELDS = vocabulary_fields()
