"""JSON-LD processing with an OFFLINE document loader. No Django imports.

Only the contexts shipped in identity/contexts/ (copied from their npm packages) are ever
loaded; any other remote context is refused, never fetched.
"""

import json
from functools import cache
from pathlib import Path

from pyld import jsonld

from . import rdfshape

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
    "https://www.w3.org/ns/credentials/undefined-terms/v2": "credentials-undefined-terms-v2.jsonld",
    "https://www.w3.org/ns/credentials/examples/v2": "credentials-examples-v2.jsonld",
    "https://www.w3.org/2018/credentials/examples/v1": "credentials-examples-v1.jsonld",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/credentials/status/v1": "vc-bitstring-status-list-v1.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
}

BUSAN_CONTEXT_URL = "https://busanhub.kr/ns/bpass/v1"
CONTEXT_FILES[BUSAN_CONTEXT_URL] = "bpass-v1.jsonld"


class JsonLdProcessingError(ValueError):
    """The document is not valid JSON-LD for us (unknown context, redefined term, …)."""


@cache
def _context(url: str) -> dict:
    return json.loads((CONTEXTS_DIR / CONTEXT_FILES[url]).read_text(encoding="utf-8"))


def known_context(url: str) -> bool:
    return url in CONTEXT_FILES


def context_bytes(url: str) -> bytes | None:
    """A shipped context's file, byte for byte; None for any other URL (nothing is fetched)."""
    if url not in CONTEXT_FILES:
        return None
    return (CONTEXTS_DIR / CONTEXT_FILES[url]).read_bytes()


def document_loader(url: str, options: dict | None = None) -> dict:
    """PyLD document loader over the shipped contexts; refuses every other URL."""
    if url not in CONTEXT_FILES:
        raise jsonld.JsonLdError(
            f"Unknown context {url!r}: only contexts shipped with B Pass are loaded.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        )
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def _options(**extra) -> dict:
    return {"documentLoader": document_loader, **extra}


def _message(exc: BaseException) -> str:
    """The innermost cause says what is wrong (PyLD wraps it in generic messages)."""
    original = exc
    messages = []
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 10:
        if isinstance(current, jsonld.JsonLdError):  # other exceptions are PyLD internals
            args = current.args
            text = args[0] if args and isinstance(args[0], str) else str(current)
            messages.append(text.splitlines()[0] if text else type(current).__name__)
        current = current.__cause__ or current.__context__
        seen += 1
    if messages:
        return messages[-1]
    return f"the document cannot be processed as JSON-LD ({type(original).__name__}: {original})"


def expand(document: dict) -> list:
    try:
        return jsonld.expand(document, _options())
    except Exception as exc:  # PyLD raises JsonLdError and, on odd input, plain errors
        raise JsonLdProcessingError(_message(exc)) from exc


def canonize_reference(document: dict) -> str:
    """RDFC-1.0 by PyLD alone: the reference the fast path is tested against."""
    try:
        return jsonld.normalize(
            document, _options(algorithm="URDNA2015", format="application/n-quads")
        )
    except Exception as exc:
        raise JsonLdProcessingError(_message(exc)) from exc


def canonize(document: dict) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0 = URDNA2015) as N-Quads.

    Documents of a shape seen before take the fast path (rdfshape: JSON-LD to RDF once per
    shape by PyLD, canonicalization by pyoxigraph); any other document, PyLD alone.
    """
    fast = rdfshape.canonize(document, _shape_quads, _defined_terms())
    return fast if fast is not None else canonize_reference(document)


def node_types(document: dict) -> list[str]:
    """The expanded @type IRIs of the document's top-level nodes (PyLD expansion, or the
    cached expansion of the document's shape)."""
    cached = rdfshape.node_types(document, _shape_quads, _defined_terms())
    if cached is not None:
        return cached
    return [t for node in expand(document) for t in node.get("@type", [])]


def _shape_quads(skeleton: dict) -> tuple[str, list[str]]:
    """N-Quads (not canonical) and top-level types of a skeleton, by PyLD (raises on error)."""
    options = _options(format="application/n-quads")
    quads = jsonld.to_rdf(skeleton, options)
    types = [t for node in jsonld.expand(skeleton, _options()) for t in node.get("@type", [])]
    return quads, types


@cache
def _defined_terms() -> frozenset[str]:
    """Every term any shipped context defines (scoped contexts included)."""
    terms: set[str] = set()
    for url in CONTEXT_FILES:
        rdfshape.collect_terms(_context(url), terms)
    return frozenset(terms)
