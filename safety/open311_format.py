"""Open311 GeoReport v2 documents as JSON or XML (no Django imports).

One Python structure renders both ways: the XML follows the Spark convention the spec uses
(a list becomes a wrapper element with one child per item), so JSON and XML always agree.
"""

import json
from xml.etree import ElementTree

# The element name of one item in each list the spec defines.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
}
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ElementTree.Element, name: str, value) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ElementTree.SubElement(element, key), key, item)
    elif isinstance(value, list):
        item_name = ITEM_NAMES[name]
        for item in value:
            _fill(ElementTree.SubElement(element, item_name), item_name, item)
    else:
        element.text = _text(value)


def to_xml(root: str, document) -> bytes:
    element = ElementTree.Element(root)
    _fill(element, root, document)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ElementTree.tostring(
        element, encoding="unicode"
    ).encode("utf-8")


def to_json(document) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def render(fmt: str, root: str, document) -> tuple[bytes, str]:
    """(body, content type) of `document`; `root` names the XML root (a list's wrapper)."""
    body = to_xml(root, document) if fmt == "xml" else to_json(document)
    return body, CONTENT_TYPES[fmt]


def errors_document(errors: list[tuple[int | str, str]]) -> list[dict]:
    return [{"code": code, "description": description} for code, description in errors]
