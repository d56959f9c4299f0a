"""GeoReport v2 documents in JSON and XML, field for field as the specification's examples.

JSON answers keep the specification's field order; XML answers use its root and
item elements (``<services><service>``, ``<service_definition>``,
``<service_requests><request>``, ``<errors><error>``), with ``null`` as an empty
element and booleans as ``true``/``false``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any, Iterable, Mapping

import orjson
from flask import Response

__all__ = ["render", "render_errors", "XML_MEDIA_TYPE", "JSON_MEDIA_TYPE"]

JSON_MEDIA_TYPE = "application/json; charset=utf-8"
XML_MEDIA_TYPE = "text/xml; charset=utf-8"

# Element names of list items inside a document (the JSON key -> the XML child element).
ITEM_ELEMENTS = {"attributes": "attribute", "values": "value"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _element(parent: ET.Element, name: str, value: Any) -> None:
    child = ET.SubElement(parent, name)
    if isinstance(value, Mapping):
        for key, item in value.items():
            _element(child, key, item)
    elif isinstance(value, (list, tuple)):
        item_name = ITEM_ELEMENTS.get(name, "item")
        for item in value:
            _element(child, item_name, item)
    else:
        text = _text(value)
        if text is not None:
            child.text = text


def to_xml(root: str, item: str | None, body: Any) -> bytes:
    """``body`` is a list of items (each becomes ``<item>`` under ``<root>``) or one mapping (``item`` None)."""
    element = ET.Element(root)
    if item is None:
        for key, value in body.items():
            _element(element, key, value)
    else:
        for entry in body:
            _element(element, item, entry)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(element, encoding="unicode").encode("utf-8")


def render(fmt: str, root: str, item: str | None, body: Any, status: int = 200,
           headers: Mapping[str, str] | None = None) -> Response:
    if fmt == "xml":
        response = Response(to_xml(root, item, body), status=status, content_type=XML_MEDIA_TYPE)
    else:
        response = Response(orjson.dumps(body), status=status, content_type=JSON_MEDIA_TYPE)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def render_errors(fmt: str, status: int, errors: Iterable[tuple[int, str]]) -> Response:
    """``[{"code": 400, "description": "..."}]`` / ``<errors><error><code>...``."""
    body = [{"code": code, "description": description} for code, description in errors]
    return render(fmt, "errors", "error", body, status)
