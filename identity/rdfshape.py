"""Fast RDFC-1.0 for documents of a shape already seen. No Django imports.

JSON-LD to RDF costs almost all of its time in context processing, and that work depends on
the document's *shape* (its keys, contexts and types), not on its string values. So:

1. The document's skeleton replaces each string value (except those whose expansion depends
   on the vocabulary: `type`, `proofPurpose`, keyword values, `@context`) by a numbered slot
   IRI `urn:x-bpass-slot:N`.
2. Once per skeleton, the caller's reference processor (PyLD) turns it into N-Quads. Each
   slot lands as a whole IRI or as a whole literal (with its datatype or language); a
   skeleton whose slots land anywhere else (a language tag, inside a JSON literal, ...) is
   not fit, and its documents always take the reference path.
3. For a document, the slots' real values are put back into those quads, and pyoxigraph
   (Rust) runs RDFC-1.0 on the result; with at most one blank node (a credential with ids,
   a proof's options), whose label is then _:c14n0 whatever the values, the quads' lines are
   written from text templates and sorted, without pyoxigraph. An IRI slot takes only an
   absolute IRI that expands to itself whatever the context (a known scheme that no context
   defines as a term, safe characters); a literal slot any string without control
   characters (their N-Quads escaping differs between processors) or lone surrogates.
   Otherwise: the reference path.

`canonize` returns None whenever the document does not fit; the caller then runs the
reference processor. A property test holds both to the identical N-Quads.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import pyoxigraph as ox

SLOT = "urn:x-bpass-slot:"
SLOT_RE = re.compile(r"^urn:x-bpass-slot:(\d+)$")
# Values whose expansion depends on the vocabulary (vocab-relative IRIs) stay in the shape.
KEPT_KEYS = frozenset({"type", "proofPurpose"})
SLOTTED_KEYWORDS = frozenset({"@id", "@value"})
SCHEMES = ("did", "urn", "http", "https")
SAFE_IRI_RE = re.compile(r"^(?:did|urn|https?):[A-Za-z0-9._~:/?#@!$&'()*+,;=%-]+$")
# Control characters (their N-Quads escaping differs between processors) and lone surrogates
# (not encodable): such literals take the reference path.
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")
XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
SHAPES_CACHED = 1024

ShapeQuads = Callable[[dict], tuple[str, list[str]]]


class _Unfit(Exception):
    pass


@dataclass(frozen=True)
class Template:
    quads: tuple  # of 4-tuples: a fixed pyoxigraph term, or ("iri", n) / ("literal", n, dt, lang)
    iri_slots: frozenset
    literal_slots: frozenset
    types: tuple
    terms: frozenset  # defined by the shipped and the inline contexts
    # With at most one blank node, RDFC-1.0 labels it _:c14n0 whatever the values: the
    # canonical N-Quads are then the quads' lines, sorted; per quad its terms as N-Quads
    # text, or a slot. None: pyoxigraph canonicalizes.
    lines: tuple | None = None


def _mentions_slot(context) -> bool:
    # Contexts are mostly URLs: those need no JSON dump (the slot prefix has nothing to escape).
    if isinstance(context, str):
        return SLOT in context
    if isinstance(context, list) and all(isinstance(item, str) for item in context):
        return any(SLOT in item for item in context)
    return SLOT in json.dumps(context)


def skeleton(document) -> tuple[str, list[str]] | None:
    """(shape key, slot values), or None when the document cannot be given a shape."""
    values: list[str] = []

    def walk(node, key):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if SLOT in k:
                    raise _Unfit
                if k == "@context":
                    if _mentions_slot(v):
                        raise _Unfit
                    out[k] = v
                else:
                    out[k] = walk(v, k)
            return out
        if isinstance(node, list):
            return [walk(v, key) for v in node]
        if isinstance(node, str):
            if key in KEPT_KEYS or (key[:1] == "@" and key not in SLOTTED_KEYWORDS):
                if SLOT in node:
                    raise _Unfit
                return node
            values.append(node)
            return f"{SLOT}{len(values) - 1}"
        return node

    if not isinstance(document, dict):
        return None
    try:
        shape = walk(document, "")
    except _Unfit:
        return None
    return json.dumps(shape, separators=(",", ":")), values


def collect_terms(context, terms: set) -> None:
    """Adds every term a context defines (its scoped contexts included) to `terms`."""
    if isinstance(context, list):
        for item in context:
            collect_terms(item, terms)
        return
    if not isinstance(context, dict):
        return
    for key, value in context.items():
        if key == "@context":
            collect_terms(value, terms)
            continue
        if not key.startswith("@"):
            terms.add(key)
        if isinstance(value, dict) and "@context" in value:
            collect_terms(value["@context"], terms)


def _inline_terms(node, terms: set) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                collect_terms(value, terms)
            else:
                _inline_terms(value, terms)
    elif isinstance(node, list):
        for item in node:
            _inline_terms(item, terms)


def _classify(term, iri_slots: set, literal_slots: set):
    if isinstance(term, ox.NamedNode):
        match = SLOT_RE.match(term.value)
        if match:
            iri_slots.add(int(match[1]))
            return ("iri", int(match[1]))
        if SLOT in term.value:
            raise _Unfit
        return term
    if isinstance(term, ox.Literal):
        if SLOT in term.datatype.value or SLOT in (term.language or ""):
            raise _Unfit
        match = SLOT_RE.match(term.value)
        if match:
            literal_slots.add(int(match[1]))
            language = term.language
            return ("literal", int(match[1]), None if language else term.datatype, language)
        if SLOT in term.value:
            raise _Unfit
        return term
    return term  # blank nodes and the default graph carry no value


@lru_cache(maxsize=SHAPES_CACHED)
def _template(key: str, shape_quads: ShapeQuads, terms: frozenset) -> Template | None:
    shape = json.loads(key)
    inline: set = set()
    _inline_terms(shape, inline)
    if any(scheme in terms or scheme in inline for scheme in SCHEMES):
        return None  # a context makes did:/urn:/http(s): compact IRIs: values matter
    try:
        nquads, types = shape_quads(shape)
        parsed = list(ox.parse(nquads, ox.RdfFormat.N_QUADS))
    except Exception:  # the reference path reports the document's own error
        return None
    iri_slots: set = set()
    literal_slots: set = set()
    try:
        quads = tuple(
            tuple(
                _classify(term, iri_slots, literal_slots)
                for term in (q.subject, q.predicate, q.object, q.graph_name)
            )
            for q in parsed
        )
    except _Unfit:
        return None
    if iri_slots & literal_slots:
        return None
    return Template(
        quads,
        frozenset(iri_slots),
        frozenset(literal_slots),
        tuple(types),
        terms | inline,
        _lines(quads),
    )


def _lines(quads: tuple) -> tuple | None:
    blank_nodes = {term.value for quad in quads for term in quad if isinstance(term, ox.BlankNode)}
    if len(blank_nodes) > 1:
        return None
    lines = []
    for quad in quads:
        parts = []
        for term in quad:
            if type(term) is tuple:
                parts.append(term)
            elif isinstance(term, ox.BlankNode):
                parts.append("_:c14n0")
            elif not isinstance(term, ox.DefaultGraph):
                parts.append(str(term))
        lines.append(tuple(parts))
    return tuple(lines)


def _text(term, values: list[str]) -> str:
    """A slot's N-Quads text, as pyoxigraph prints it (literal slots hold no control
    characters, so only the quote and the backslash are escaped)."""
    if type(term) is not tuple:
        return term
    if term[0] == "iri":
        return f"<{values[term[1]]}>"
    _kind, n, datatype, language = term
    value = values[n].replace("\\", "\\\\").replace('"', '\\"')
    if language:
        return f'"{value}"@{language}'
    if datatype.value == XSD_STRING:
        return f'"{value}"'
    return f'"{value}"^^<{datatype.value}>'


def _fitting_template(document, shape_quads: ShapeQuads, terms: frozenset):
    shaped = skeleton(document)
    if shaped is None:
        return None, None
    key, values = shaped
    template = _template(key, shape_quads, terms)
    if template is None:
        return None, None
    for n in template.iri_slots:
        value = values[n]
        if not SAFE_IRI_RE.match(value) or value in template.terms:
            return None, None
    for n in template.literal_slots:
        if CONTROL_RE.search(values[n]):
            return None, None
    return template, values


def _term(term, values: list[str]):
    if type(term) is not tuple:
        return term
    if term[0] == "iri":
        return ox.NamedNode(values[term[1]])
    _kind, n, datatype, language = term
    if language:
        return ox.Literal(values[n], language=language)
    return ox.Literal(values[n], datatype=datatype)


def canonize(document, shape_quads: ShapeQuads, terms: frozenset) -> str | None:
    """The RDFC-1.0 N-Quads of `document`, or None when it does not fit its shape's template.

    `shape_quads(skeleton)` is the reference processor: (N-Quads, top-level types) of a
    skeleton; `terms` every term the shipped contexts define.
    """
    template, values = _fitting_template(document, shape_quads, terms)
    if template is None:
        return None
    if template.lines is not None:
        # A set: the dataset holds each quad once, however often the document states it.
        return "".join(
            sorted({" ".join([_text(t, values) for t in line]) + " .\n" for line in template.lines})
        )
    try:
        dataset = ox.Dataset(
            ox.Quad(*(_term(term, values) for term in quad)) for quad in template.quads
        )
    except (ValueError, TypeError):  # an IRI pyoxigraph refuses: the reference path decides
        return None
    dataset.canonicalize(ox.CanonicalizationAlgorithm.RDFC_1_0)
    return "".join(sorted(f"{quad} .\n" for quad in dataset))


def node_types(document, shape_quads: ShapeQuads, terms: frozenset) -> list[str] | None:
    """The expanded @type IRIs of the top-level nodes, from the shape; None when unfit."""
    template, _values = _fitting_template(document, shape_quads, terms)
    return None if template is None else list(template.types)
