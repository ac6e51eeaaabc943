"""XML and JSON in the shapes of GeoReport v2, and its error lists.

XML is written with :mod:`xml.etree.ElementTree` (escaping is its business), UTF-8 with the
declaration the spec asks for. A list under a key becomes that element with one child per item, named by the key
without its final ``s`` (``attributes`` → ``attribute``, ``values`` → ``value``). ``None`` is an
empty element, booleans are ``true``/``false``. JSON keeps Chinese as it is (UTF-8).
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def w3c(moment: dt.datetime | None) -> str | None:
    """A W3C date-time with the local zone: ``2026-11-27T20:00:00+08:00``."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, dt.datetime):
        return w3c(value) or ""
    return str(value)


def _fill(element: ET.Element, data: dict[str, Any]) -> None:
    for key, value in data.items():
        child = ET.SubElement(element, key)
        if isinstance(value, dict):
            _fill(child, value)
        elif isinstance(value, (list, tuple)):
            tag = key[:-1] if key.endswith("s") else key
            for item in value:
                sub = ET.SubElement(child, tag)
                if isinstance(item, dict):
                    _fill(sub, item)
                elif item is not None:
                    sub.text = _text(item)
        elif value is not None:
            child.text = _text(value)


def to_xml(root: str, data: dict[str, Any] | list[dict[str, Any]], item: str = "") -> bytes:
    element = ET.Element(root)
    if isinstance(data, list):
        for row in data:
            _fill(ET.SubElement(element, item), row)
    else:
        _fill(element, data)
    return XML_DECLARATION + ET.tostring(element, encoding="unicode").encode("utf-8")


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime):
        return w3c(value)
    raise TypeError(type(value).__name__)


def respond(
    fmt: str,
    root: str,
    data: dict[str, Any] | list[dict[str, Any]],
    *,
    item: str = "",
    status: int = 200,
) -> HttpResponse:
    """The document in the asked format: ``root`` (with ``item`` children for a list) in XML,
    the object or array itself in JSON."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=_json_default).encode("utf-8")
        response = HttpResponse(body, content_type=JSON_TYPE, status=status)
    else:
        response = HttpResponse(to_xml(root, data, item), content_type=XML_TYPE, status=status)
    response["Cache-Control"] = "no-store"
    return response


def errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    """``<errors><error><code/><description/></error></errors>`` / ``[{"code", "description"}]``."""
    rows = [{"code": status, "description": str(d)} for d in descriptions]
    return respond(fmt, "errors", rows, item="error", status=status)
