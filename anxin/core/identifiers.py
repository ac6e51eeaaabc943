"""Chinese identifiers: 公民身份号码 (GB 11643-1999) and 统一社会信用代码 (GB 32100-2015).

Check characters as in ../shared/rules.md §6. A citizen ID number that fails its check is
refused; a credit code that fails its check is only a warning (some early legal codes fail it).
"""

from __future__ import annotations

import re
from datetime import date

# GB 11643-1999: weights of the first 17 digits; remainder mod 11 → check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")

# GB 32100-2015: the 31-character alphabet (no I, O, Z, S, V) and the weights of positions 1–17.
CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
CREDIT_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")


def normalize_id_number(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def id_number_is_valid(value: str) -> bool:
    """Format, birth date and check character of an 18-digit citizen ID number."""
    value = normalize_id_number(value)
    if not ID_RE.match(value):
        return False
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    if born.year < 1850 or born > date.today():
        return False
    return id_number_check_char(value[:17]) == value[17]


def normalize_credit_code(value: str) -> str:
    return value.strip().upper().replace(" ", "")


def credit_code_check_char(first17: str) -> str:
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def credit_code_is_well_formed(value: str) -> bool:
    """18 characters from the code's alphabet (the check character is a separate question)."""
    return bool(CREDIT_RE.match(normalize_credit_code(value)))


def credit_code_check_ok(value: str) -> bool:
    value = normalize_credit_code(value)
    return credit_code_is_well_formed(value) and credit_code_check_char(value[:17]) == value[17]


def mask_id_number(value: str) -> str:
    """Show the region and the check character only: 110105********002X → 1101**********002X."""
    value = normalize_id_number(value)
    if len(value) != 18:
        return "*" * len(value)
    return value[:4] + "*" * 10 + value[14:]


def mask_phone(value: str) -> str:
    digits = value.strip()
    if len(digits) < 7:
        return "*" * len(digits)
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


def mask_name(value: str) -> str:
    value = value.strip()
    if not value:
        return ""
    return value[0] + "*" * max(1, len(value) - 1)


def mask_address(value: str) -> str:
    value = value.strip()
    return value[:6] + "****" if len(value) > 6 else "****"
