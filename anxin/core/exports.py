"""Helpers for every export (CSV, .xlsx): values a spreadsheet must not execute."""

from __future__ import annotations

import json
import re
from typing import Any

#: a cell starting with one of these is a formula to Excel, WPS and LibreOffice
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")

#: control characters that XML 1.0, and so an .xlsx cell, cannot hold (openpyxl refuses them
#: with an error): dropped from exported text, as the official documents drop them
XLSX_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection (OWASP CSV injection) in exported text, and drop
    the control characters a spreadsheet cannot hold."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str):
        value = XLSX_ILLEGAL.sub("", value)
        if value.startswith(FORMULA_TRIGGERS):
            return "'" + value
    return value
