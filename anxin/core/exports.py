"""Helpers for every export (CSV, .xlsx): values a spreadsheet must not execute."""

from __future__ import annotations

import json
from typing import Any

#: a cell starting with one of these is a formula to Excel, WPS and LibreOffice
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    """Neutralise spreadsheet formula injection (OWASP CSV injection) in exported text."""
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value
