"""Officials' Excel ledgers (台账) → checked rows, independent of any model.

A caller declares what it wants (a :class:`LedgerSpec` of :class:`Field` s with header synonyms
and a parser each) and :func:`read_ledger` finds it in the workbook as officials really keep it:
the first sheet with a recognisable header (or a named one), title rows above the header, a
two-row header with merged group cells (``整改情况`` over ``整改措施 | 整改期限 | 完成情况`` is read
as ``整改情况/整改期限`` and also matches the leaf ``整改期限``), headers written with full-width
characters, line breaks or a unit in brackets, blank rows, a ``序号`` column, and the footer
(``填表人：…``, ``审核人：…``, ``合计``) where reading stops.

The result is a :class:`Preview`: rows read, the rows ready to save, duplicates inside the
file and every error with the row number the user sees in Excel. Nothing is saved here — the
caller shows the preview and, once confirmed, saves all ready rows in one transaction.

.xlsx sheets: merged cells are found by a streaming scan of the sheet's XML, so exact merges
are known for files of any size (see docs/ledger-import.md for limits). The same scan looks for
error values and formulas saved without a result; a sheet without them (nearly every ledger)
is read with python-calamine, several times faster, else row by row with openpyxl's streaming
parser, which tells those cells apart from empty ones. Old .xls workbooks are read with
python-calamine (the whole sheet in memory; an .xls sheet holds at most 65,536 rows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import math
import re
import unicodedata
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import chain
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext_lazy as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.reader.strings import read_string_table
from openpyxl.utils.cell import range_boundaries
from openpyxl.utils.datetime import WINDOWS_EPOCH
from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser
from openpyxl.xml.constants import SHARED_STRINGS

from anxin.core.identifiers import credit_code_is_well_formed

#: the header is looked for in the first rows of a sheet
HEADER_SCAN_ROWS = 30
#: reading stops after this many blank rows in a row (sheets formatted down to row 1,048,576)
BLANK_RUN_LIMIT = 1000
#: a sheet with more data rows than this is refused (split the file)
MAX_ROWS = 100_000
#: the progress callback is called every this many data rows
PROGRESS_EVERY = 1000
#: merged cells are looked for in at most this much (uncompressed) sheet XML; past it only the
#: header heuristic applies (a group label written once above its columns)
MERGE_SCAN_LIMIT = 256 * 1024 * 1024
#: dates outside these years are refused (typos such as 2062, or a count read as a serial)
DATE_MIN = dt.date(1950, 1, 1)
DATE_MAX = dt.date(2100, 12, 31)

MESSAGES: dict[str, Any] = {
    # the whole file
    "not_excel": _(
        "This is not an Excel workbook (.xlsx or .xls). If a web system exported it, open it in "
        "Excel or WPS and save it as .xlsx."
    ),
    "unreadable_file": _("The workbook cannot be read: it is damaged or protected by a password."),
    "xls_unsupported": _(
        "Old .xls workbooks cannot be read here; save the file as .xlsx and import it again."
    ),
    "sheet_not_found": _("There is no sheet named “%(sheet)s” (the workbook has: %(sheets)s)."),
    "no_header": _("No header row was found; the ledger needs columns such as %(columns)s."),
    "missing_column": _(
        "The required column “%(column)s” is missing (also accepted: %(synonyms)s)."
    ),
    "too_many_rows": _("The ledger has more than %(limit)s rows; split it into smaller files."),
    # one cell
    "required": _("This value is required."),
    "bad_date": _("“%(value)s” is not a date (write it as 2026年3月5日 or 2026-03-05)."),
    "date_without_year": _("“%(value)s” has no year."),
    "date_out_of_range": _("“%(value)s” is read as %(date)s, outside the years %(min)s–%(max)s."),
    "bad_integer": _("“%(value)s” is not a whole number."),
    "bad_amount": _(
        "“%(value)s” is not an amount of money (write it as 1200, 1,200元 or 1.2万元)."
    ),
    "bad_boolean": _("“%(value)s” is not a yes or no (是/否, √/×)."),
    "bad_choice": _("“%(value)s” is not one of: %(choices)s."),
    "bad_credit_code": _("“%(value)s” is not a unified social credit code (18 characters)."),
    "too_small": _("%(value)s is less than %(min)s."),
    "too_large": _("%(value)s is more than %(max)s."),
    "too_long": _("The text is longer than %(max)s characters."),
    "formula_without_value": _(
        "The formula in this cell has no saved result; open the file in Excel or WPS, save it and "
        "import it again."
    ),
    "formula_error": _("The formula in this cell gives the error %(value)s."),
}


# --- results -------------------------------------------------------------------------------


class ParseError(ValueError):
    """A cell value a parser cannot accept: a code from :data:`MESSAGES` and its parameters."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclasses.dataclass(frozen=True)
class RowError:
    """One problem: the sheet row (1-based, as in Excel; None for the whole file) and the
    column's header text as written in the file."""

    row: int | None
    column: str | None
    code: str
    params: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    #: a caller's own message (see Preview.reject); else the message comes from the code
    text: Any = None

    @property
    def message(self) -> str:
        if self.text is not None:
            return str(self.text)
        return str(MESSAGES[self.code]) % {k: str(v) for k, v in self.params.items()}

    def to_json(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclasses.dataclass(frozen=True)
class Duplicate:
    row: int
    key: str
    first_row: int


@dataclasses.dataclass
class Preview:
    """What an import would do. ``rows_ready`` holds one dict per ready row: the fields by
    name plus ``_row``, the sheet row number. A row with an error, or a repeat of an earlier
    row's key, is not ready."""

    rows_read: int = 0
    rows_ready: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    duplicates: list[Duplicate] = dataclasses.field(default_factory=list)
    errors: list[RowError] = dataclasses.field(default_factory=list)
    sheet: str | None = None
    header_rows: tuple[int, ...] = ()
    #: field name → its column's header text as written in the file
    columns: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.duplicates

    def reject(self, record: dict[str, Any], field: str, message: Any, *, code: str = "") -> None:
        """Turn a ready row into an error found by the caller (e.g. no such site)."""
        self.rows_ready = [r for r in self.rows_ready if r is not record]
        error = RowError(record["_row"], self.columns.get(field, field), code, text=message)
        self.errors.append(error)
        self.errors.sort(key=lambda e: -1 if e.row is None else e.row)

    def to_json(self) -> dict[str, Any]:
        return {
            "rows_read": self.rows_read,
            "rows_ready": len(self.rows_ready),
            "duplicates": [{"row": d.row, "key": d.key} for d in self.duplicates],
            "errors": [e.to_json() for e in self.errors],
        }


# --- cell values ---------------------------------------------------------------------------


class _UncachedFormula:
    """A formula cell saved without its result (written by a program, never opened)."""

    def __repr__(self) -> str:
        return "UNCACHED_FORMULA"


UNCACHED_FORMULA = _UncachedFormula()


class CellError(str):
    """An Excel error value (#DIV/0!, #REF!, #N/A …) left by a formula."""


#: values officials put in a cell to mean "nothing here"
PLACEHOLDERS = frozenset({"/", "／", "\\", "-", "--", "—", "——", "－"})
_SPACES = re.compile(r"\s+")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if type(value) is str:  # not a CellError
        text = value.strip()
        if not text.isprintable():  # zero-width characters (and line breaks)
            text = text.translate(_INVISIBLE).strip()
        return not text or text in PLACEHOLDERS
    return False


def _compact(value: str) -> str:
    """NFKC (full-width → half-width), without any whitespace."""
    text = unicodedata.normalize("NFKC", value)
    if not text.isprintable():
        text = text.translate(_INVISIBLE)
    return "".join(text.split())


def _shown(value: Any) -> str:
    """A cell value as quoted back to the user in a message."""
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = " ".join(str(value).split())
    return text if len(text) <= 40 else text[:39] + "…"


_CN_DIGITS = {
    "〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
    "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
}  # fmt: skip
_CN_NUMBER = re.compile("[〇零○一二两三四五六七八九十]+")


def _cn_number(text: str) -> str:
    """二〇二六 → 2026, 十二 → 12, 二十五 → 25 (dates and small counts only)."""
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _sep, units = text.partition("十")
    if len(tens) > 1 or len(units) > 1 or "十" in units:
        return text
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0))


def _arabic(text: str) -> str:
    return _CN_NUMBER.sub(lambda m: _cn_number(m.group()), text)


# --- parsers -------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ParseContext:
    """What a parser may need besides the cell: the year for dates written without one
    (``3月5日``), the workbook's date system, and the column's header text (a money column
    headed ``整改资金（万元）`` counts in 10,000 yuan)."""

    default_year: int | None = None
    epoch: dt.datetime = WINDOWS_EPOCH
    header: str = ""


DEFAULT_CONTEXT = ParseContext()
Parser = Callable[[Any, ParseContext], Any]

_TIME_SUFFIX = re.compile(
    r"(?:[T\s]+\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?|(?<=[日号])\s*\d{1,2}[时点:](?:\d{1,2}分?)?)$"
)
_YMD = re.compile(r"(\d{4})(?:年|[./-])(\d{1,2})(?:月|[./-])(\d{1,2})(?:日|号)?\.?")
_YYYYMMDD = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MD = re.compile(r"(\d{1,2})(?:月|[./-])(\d{1,2})(?:日|号)?")


def parse_date(
    value: Any, *, default_year: int | None = None, epoch: dt.datetime = WINDOWS_EPOCH
) -> dt.date:
    """A date from a date cell, an Excel serial number, or text such as ``2026年3月5日``,
    ``2026.3.5``, ``2026/3/5``, ``2026-03-05``, ``20260305``, ``二〇二六年三月五日`` or
    ``3月5日`` (in ``default_year``); a time after the date is ignored."""
    if isinstance(value, dt.datetime):
        day = value.date()
    elif isinstance(value, dt.date):
        day = value
    elif isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        day = _date_from_number(value, value, epoch)
    elif isinstance(value, str) and not isinstance(value, CellError):
        day = _date_from_text(value, default_year, epoch)
    else:
        raise ParseError("bad_date", value=_shown(value))
    if not DATE_MIN <= day <= DATE_MAX:
        raise ParseError(
            "date_out_of_range",
            value=_shown(value),
            date=day.isoformat(),
            min=DATE_MIN.year,
            max=DATE_MAX.year,
        )
    return day


def _date_from_number(number: Any, original: Any, epoch: dt.datetime) -> dt.date:
    if not math.isfinite(number):
        raise ParseError("bad_date", value=_shown(original))
    if number == int(number) and 19000101 <= number <= 21001231:  # 20260305 typed as a number
        whole = int(number)
        return _ymd(whole // 10000, whole // 100 % 100, whole % 100, original)
    try:  # an Excel serial (days since the epoch; the 1900 leap-year bug is before DATE_MIN)
        return epoch.date() + dt.timedelta(days=math.floor(number))
    except OverflowError:
        raise ParseError("bad_date", value=_shown(original)) from None


def _date_from_text(value: str, default_year: int | None, epoch: dt.datetime) -> dt.date:
    text = unicodedata.normalize("NFKC", value).translate(_INVISIBLE).strip()
    text = _arabic(_SPACES.sub("", _TIME_SUFFIX.sub("", text)))
    if match := _YMD.fullmatch(text) or _YYYYMMDD.fullmatch(text):
        year, month, day = map(int, match.groups())
        return _ymd(year, month, day, value)
    if text.isdigit() and len(text) == 5:  # a serial kept as text
        return _date_from_number(int(text), value, epoch)
    if match := _MD.fullmatch(text):
        if default_year is None:
            raise ParseError("date_without_year", value=_shown(value))
        month, day = map(int, match.groups())
        return _ymd(default_year, month, day, value)
    raise ParseError("bad_date", value=_shown(value))


def _ymd(year: int, month: int, day: int, original: Any) -> dt.date:
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise ParseError("bad_date", value=_shown(original)) from None


_INT_TEXT = re.compile(r"([+-]?\d+)(?:\.0*)?([^\d万亿千百十.]{0,2})")


def parse_integer(value: Any) -> int:
    """A whole number: ``12``, ``12.0``, ``1,200``, ``１２``, ``十二``, ``12人`` (a short unit)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, float | Decimal) and math.isfinite(value) and value == int(value):
        return int(value)
    if isinstance(value, str) and not isinstance(value, CellError):
        match = _INT_TEXT.fullmatch(_arabic(_compact(value)).replace(",", ""))
        if match and not any(c.isascii() and c.isalnum() for c in match.group(2)):
            return int(match.group(1))
    raise ParseError("bad_integer", value=_shown(value))


_MONEY_TEXT = re.compile(r"([+-]?\d+(?:\.\d+)?)(亿|万|千)?(元)?整?")
_MULTIPLIERS = {"亿": Decimal(100_000_000), "万": Decimal(10_000), "千": Decimal(1000)}
_CENT = Decimal("0.01")


def header_unit(header: str) -> Decimal:
    """The multiplier a money column's header declares: ``（万元）`` → 10,000."""
    compact = _compact(header)
    for unit, multiplier in _MULTIPLIERS.items():
        if unit + "元" in compact:
            return multiplier
    return Decimal(1)


def parse_money(value: Any, *, unit: Decimal = Decimal(1)) -> Decimal:
    """An amount in yuan, to the fen: ``1200``, ``1,200元``, ``¥1,200.50``, ``1.2万元`` (12000).
    A plain number is multiplied by ``unit`` (the column's, e.g. 10,000 for ``（万元）``)."""
    amount: Decimal | None = None
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if math.isfinite(value):
            amount = Decimal(str(value)) * unit
    elif isinstance(value, str) and not isinstance(value, CellError):
        text = _compact(value).replace(",", "").removeprefix("人民币").removeprefix("RMB")
        match = _MONEY_TEXT.fullmatch(text.lstrip("¥$"))
        if match:
            number, multiplier, yuan = match.groups()
            scale = _MULTIPLIERS[multiplier] if multiplier else Decimal(1) if yuan else unit
            amount = Decimal(number) * scale
    if amount is None:
        raise ParseError("bad_amount", value=_shown(value))
    if amount < 0:
        raise ParseError("too_small", value=_shown(value), min=0)
    try:
        return amount.quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ParseError("bad_amount", value=_shown(value)) from None


_TRUE = frozenset({"是", "√", "✓", "✔", "☑", "有", "y", "yes", "true", "t", "1", "1.0"})
_FALSE = frozenset({"否", "×", "✗", "✘", "☒", "x", "无", "n", "no", "false", "f", "0", "0.0"})


def parse_bool(value: Any) -> bool:
    """是/否, √/×, 有/无, Y/N, 1/0 and Excel's TRUE/FALSE."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, CellError):
        key = _compact(str(value)).casefold()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise ParseError("bad_boolean", value=_shown(value))


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        text = value.strip()
        if text.isprintable():
            return text
        return text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE).strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | dt.date | float):
        return _shown(value)
    return str(value)


class Text:
    """Text as written (stripped); numbers and dates become their usual text."""

    def __init__(self, max_length: int | None = None) -> None:
        self.max_length = max_length

    def __call__(self, value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> str:
        text = _to_text(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise ParseError("too_long", max=self.max_length)
        return text


class Integer:
    def __init__(self, min_value: int | None = None, max_value: int | None = None) -> None:
        self.min_value, self.max_value = min_value, max_value

    def __call__(self, value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> int:
        number = parse_integer(value)
        if self.min_value is not None and number < self.min_value:
            raise ParseError("too_small", value=number, min=self.min_value)
        if self.max_value is not None and number > self.max_value:
            raise ParseError("too_large", value=number, max=self.max_value)
        return number


class Choice:
    """One of a fixed set: ``Choice({"general": ["一般", "一般隐患"], "major": ["重大", …]})``.
    A cell matches a label (or the code itself) ignoring width, spaces and case."""

    def __init__(self, choices: Mapping[Any, Sequence[str]]) -> None:
        self.lookup: dict[str, Any] = {}
        for code, labels in choices.items():
            for label in [*labels, str(code)]:
                key = _compact(label).casefold()
                if self.lookup.get(key, code) != code:
                    raise ValueError(f"label {label!r} names two choices")
                self.lookup[key] = code
        self.labels = "、".join(
            labels[0] if labels else str(code) for code, labels in choices.items()
        )

    def __call__(self, value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> Any:
        key = _compact(_to_text(value)).casefold()
        if key in self.lookup and not isinstance(value, CellError):
            return self.lookup[key]
        raise ParseError("bad_choice", value=_shown(value), choices=self.labels)


def as_date(value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> dt.date:
    return parse_date(value, default_year=ctx.default_year, epoch=ctx.epoch)


def as_money(value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> Decimal:
    return parse_money(value, unit=header_unit(ctx.header))


def as_bool(value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> bool:
    return parse_bool(value)


def as_credit_code(value: Any, ctx: ParseContext = DEFAULT_CONTEXT) -> str:
    """A well-formed 统一社会信用代码, upper-case (a failed check character is the caller's
    warning to give, not an error: some early codes fail it)."""
    code = str(value) if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str) and not isinstance(value, CellError):
        code = _compact(value).replace("-", "").upper()
    if code is None or not credit_code_is_well_formed(code):
        raise ParseError("bad_credit_code", value=_shown(value))
    return code


as_text = Text()
as_integer = Integer()


# --- the spec ------------------------------------------------------------------------------


_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^】]*】|〔[^〕]*〕|<[^<>]*>")
_MARKS = re.compile(r"[*※★☆:]")


def normalize_header(text: Any) -> str:
    """What header matching compares: NFKC, no whitespace, no bracketed note, no required-mark
    or colon, case-folded. ``整改\\n期限（天）`` → ``整改期限``; paths keep their ``/``."""
    compact = _compact("" if text is None else str(text))
    return _MARKS.sub("", _BRACKETED.sub("", compact)).casefold()


@dataclasses.dataclass(frozen=True)
class Field:
    """One column the caller wants. ``synonyms`` are the header texts accepted, the first
    being the usual one (quoted in messages); a synonym may be a path such as
    ``整改情况/整改期限``. An empty cell gives ``default``; ``required`` makes both the column
    and a value in every row mandatory."""

    name: str
    synonyms: Sequence[str]
    parser: Parser = as_text
    required: bool = False
    default: Any = None

    @property
    def label(self) -> str:
        return self.synonyms[0]


@dataclasses.dataclass(frozen=True)
class LedgerSpec:
    """The fields to read and the key that makes two rows the same thing (field names, or a
    function of the parsed row returning a hashable or None)."""

    fields: Sequence[Field]
    key: Sequence[str] | Callable[[dict[str, Any]], Any] | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if not names or len(set(names)) != len(names) or "_row" in names:
            raise ValueError(f"fields need distinct names other than _row: {names}")
        if any(not f.synonyms for f in self.fields):
            raise ValueError("every field needs at least one header synonym")
        if self.key is not None and not callable(self.key):
            unknown = set(self.key) - set(names)
            if unknown:
                raise ValueError(f"key names unknown fields: {sorted(unknown)}")

    def synonym_keys(self, field: Field) -> frozenset[str]:
        return frozenset(normalize_header(s) for s in field.synonyms)

    def key_of(self, record: dict[str, Any]) -> tuple[Any, str] | None:
        """(comparable key, key as shown) of a parsed row, or None when it has no key."""
        if self.key is None:
            return None
        if callable(self.key):
            value = self.key(record)
            return None if value is None else (value, _shown(value))
        parts = [record.get(name) for name in self.key]
        if any(p is None or p == "" for p in parts):
            return None
        comparable = tuple(_compact(_to_text(p)).casefold() for p in parts)
        return comparable, " / ".join(_to_text(p) for p in parts)


# --- workbooks -----------------------------------------------------------------------------


class _FileError(Exception):
    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


Rows = Iterator[tuple[int, list[Any]]]
Merge = tuple[int, int, int, int]  # first row, first column, last row, last column (1-based)


class _Sheet(ABC):
    """One sheet of a workbook, whatever library reads it."""

    name: str
    visible: bool

    @abstractmethod
    def rows(self) -> Rows: ...

    @abstractmethod
    def merges(self) -> list[Merge]: ...


class _CellParser(WorkSheetParser):
    """openpyxl's streaming parser, telling a formula without a saved result and an error
    value apart from an empty cell."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if cell["value"] is None:
            if element.find(FORMULA_TAG) is not None:
                cell["value"] = UNCACHED_FORMULA
        elif cell["data_type"] == "e":
            cell["value"] = CellError(cell["value"])
        return cell


_MERGE_REF = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?mergeCell\b[^>]*?\bref=\"([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)\""
)


_P = r"(?:[A-Za-z_][\w.-]*:)?"  # an optional namespace prefix
_EMPTY_V = rf"(?:<{_P}v\s*/>|<{_P}v(?:\s[^>]*)?>\s*</{_P}v>)?"
#: what only openpyxl's parser tells apart from an empty cell: an error value, or a formula
#: whose cell closes without a saved result
_NEEDS_OPENPYXL = re.compile(
    rf"\bt=[\"']e[\"']"
    rf"|</{_P}f>\s*{_EMPTY_V}\s*</{_P}c>"
    rf"|<{_P}f\b[^>]*/>\s*{_EMPTY_V}\s*</{_P}c>".encode()
)


#: a match of _NEEDS_OPENPYXL holds one of these (an error type, a formula's tag)
_NEEDS_OPENPYXL_MARKERS = (b't="e"', b"t='e'", b"f>", b"<f", b":f")


class _OpenpyxlSheet(_Sheet):
    """A sheet of an .xlsx. The scan for merged ranges also looks for error values and
    formulas without a saved result; a sheet with none of them (nearly every ledger) is read
    with python-calamine, several times faster and with the same values, else with openpyxl's
    streaming parser."""

    def __init__(self, book: Any, worksheet: Any, calamine: Callable[[], Any] | None) -> None:
        self.book, self.ws = book, worksheet
        self.name = worksheet.title
        self.visible = getattr(worksheet, "sheet_state", "visible") == "visible"
        self.calamine = calamine
        #: set by merges(): the whole XML was scanned and holds nothing calamine cannot read
        self.plain = False

    def _source(self) -> IO[bytes]:
        return self.book._archive.open(self.ws._worksheet_path)  # type: ignore[no-any-return]

    def rows(self) -> Rows:
        if self.plain and self.calamine is not None:
            workbook = self.calamine()
            if workbook is not None:
                return _calamine_rows(workbook, self.name)
        return self._openpyxl_rows()

    def _openpyxl_rows(self) -> Rows:
        book = self.book
        with self._source() as source:
            parser = _CellParser(
                source,
                self.ws._shared_strings,
                data_only=True,
                epoch=book.epoch,
                date_formats=book._date_formats,
                timedelta_formats=book._timedelta_formats,
            )
            for number, cells in parser.parse():
                if not cells:
                    continue
                values: list[Any] = [None] * max(c["column"] for c in cells)
                for cell in cells:
                    values[cell["column"] - 1] = cell["value"]
                yield number, values

    def merges(self) -> list[Merge]:
        refs: set[bytes] = set()
        tail, scanned, plain = b"", 0, True
        self.plain = False
        with self._source() as source:
            while chunk := source.read(1 << 20):
                scanned += len(chunk)
                if scanned > MERGE_SCAN_LIMIT:
                    return []
                window = tail + chunk
                # the regular expressions only where what they look for can be (a plain
                # ledger has no formula, and its merged ranges are listed at the end)
                if b"mergeCell" in window:
                    refs.update(m.group(1) for m in _MERGE_REF.finditer(window))
                if (
                    plain
                    and any(marker in window for marker in _NEEDS_OPENPYXL_MARKERS)
                    and _NEEDS_OPENPYXL.search(window)
                ):
                    plain = False
                tail = window[-4096:]
        self.plain = plain
        merges = []
        for ref in refs:
            col1, row1, col2, row2 = range_boundaries(ref.decode())
            if (row1, col1) != (row2, col2):
                merges.append((row1, col1, row2, col2))
        return sorted(merges)  # type: ignore[arg-type]


def _calamine_rows(workbook: Any, name: str) -> Rows:
    data = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    for number, row in enumerate(data, start=1):
        # calamine reads every number as a float; openpyxl gives an int for an integer
        yield (
            number,
            [
                None
                if v == ""
                else int(v)
                if v.__class__ is float and v.is_integer() and abs(v) < 1e15
                else v
                for v in row
            ],
        )


class _CalamineSheet(_Sheet):
    def __init__(self, book: Any, name: str, visible: bool) -> None:
        self.book, self.name, self.visible = book, name, visible

    def rows(self) -> Rows:
        return _calamine_rows(self.book, self.name)

    def merges(self) -> list[Merge]:
        ranges = self.book.get_sheet_by_name(self.name).merged_cell_ranges or []
        return sorted((r1 + 1, c1 + 1, r2 + 1, c2 + 1) for (r1, c1), (r2, c2) in ranges)


@contextmanager
def _open_source(source: Any) -> Iterator[IO[bytes]]:
    if isinstance(source, str | Path):
        with open(source, "rb") as handle:
            yield handle
    elif isinstance(source, bytes | bytearray):
        yield io.BytesIO(source)
    else:
        source.seek(0)
        yield source


Book = Iterator[tuple[list[_Sheet], dt.datetime]]


class _LazyStrings(list):  # type: ignore[type-arg]
    """The shared strings of an .xlsx, read on first use: a sheet read by python-calamine (nearly
    every ledger) never needs openpyxl's copy of them, the largest part of a big workbook."""

    def __init__(self, load: Callable[[], list[Any]]) -> None:
        super().__init__()
        self._load: Callable[[], list[Any]] | None = load

    def _fill(self) -> None:
        if self._load is not None:
            load, self._load = self._load, None
            self.extend(load())

    def __getitem__(self, index: Any) -> Any:
        self._fill()
        return super().__getitem__(index)

    def __len__(self) -> int:
        self._fill()
        return super().__len__()

    def __iter__(self) -> Iterator[Any]:
        self._fill()
        return super().__iter__()


class _Reader(ExcelReader):  # type: ignore[misc]
    """openpyxl's reader (read-only, values) with the shared strings read when first used."""

    def read_strings(self) -> None:
        found = self.package.find(SHARED_STRINGS)
        if found is None:
            self.shared_strings: list[Any] = []
            return
        path, archive = found.PartName[1:], self.archive

        def load() -> list[Any]:
            with archive.open(path) as source:
                return read_string_table(source)  # type: ignore[no-any-return]

        self.shared_strings = _LazyStrings(load)


@contextmanager
def _openpyxl_book(handle: IO[bytes]) -> Book:
    try:
        reader = _Reader(handle, read_only=True, data_only=True)
        reader.read()  # what load_workbook does
        book = reader.wb
    except Exception:  # a damaged zip or XML fails in many ways
        raise _FileError("unreadable_file") from None
    opened: list[Any] = []

    def calamine() -> Any:
        """The same file opened with python-calamine (once), or None if it cannot be."""
        if not opened:
            try:
                import python_calamine

                handle.seek(0)
                opened.append(python_calamine.CalamineWorkbook.from_filelike(handle))
            except Exception:
                opened.append(None)
        return opened[0]

    try:
        yield [_OpenpyxlSheet(book, ws, calamine) for ws in book.worksheets], book.epoch
    finally:
        book.close()
        if opened and opened[0] is not None:
            opened[0].close()


@contextmanager
def _calamine_book(handle: IO[bytes]) -> Book:
    """.xls (and any format calamine reads). Formula errors and formulas without a saved
    result read as empty cells here."""
    try:
        import python_calamine
    except ImportError:
        raise _FileError("xls_unsupported") from None
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(handle)
    except Exception:
        raise _FileError("unreadable_file") from None
    visible = python_calamine.SheetVisibleEnum.Visible
    with workbook:
        sheets: list[_Sheet] = [
            _CalamineSheet(workbook, m.name, m.visible == visible)
            for m in workbook.sheets_metadata
            if m.typ == python_calamine.SheetTypeEnum.WorkSheet
        ]
        yield sheets, WINDOWS_EPOCH


@contextmanager
def _open_book(source: Any) -> Book:
    """The sheets of a workbook, by what the file is (not by its name: WPS and web systems
    often save one format under the other's extension)."""
    with _open_source(source) as handle:
        head = handle.read(8)
        handle.seek(0)
        if head.startswith(b"PK\x03\x04"):
            opened = _openpyxl_book(handle)
        elif head == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":  # OLE2: .xls, or an encrypted .xlsx
            opened = _calamine_book(handle)
        else:
            raise _FileError("not_excel")
        with opened as book:
            yield book


class _MergeFiller:
    """Gives every cell of a merged range the value of its top-left cell, row by row."""

    def __init__(self, merges: list[Merge]) -> None:
        self.pending = sorted(merges, reverse=True)  # pop() gives the first to start
        self.active: list[tuple[Merge, Any]] = []

    def fill(self, number: int, values: list[Any]) -> list[Any]:
        while self.pending and self.pending[-1][0] <= number:
            merge = self.pending.pop()
            top_left = merge[1] - 1
            value = values[top_left] if merge[0] == number and top_left < len(values) else None
            self.active.append((merge, value))
        if not self.active:
            return values
        self.active = [(m, v) for m, v in self.active if m[2] >= number]
        for (row1, col1, _row2, col2), value in self.active:
            if len(values) < col2:
                values.extend([None] * (col2 - len(values)))
            for col in range(col1, col2 + 1):
                if (number, col) != (row1, col1):
                    values[col - 1] = value
        return values


# --- header --------------------------------------------------------------------------------

SERIAL_HEADERS = frozenset({"序号", "序", "no", "no."})


@dataclasses.dataclass(frozen=True)
class _Column:
    shown: str  # as written, line breaks removed ("整改情况/整改期限" under a group)
    full: str  # normalised, with the group: "整改情况/整改期限"
    leaf: str  # normalised, without the group: "整改期限"


@dataclasses.dataclass(frozen=True)
class _Header:
    rows: tuple[int, ...]
    columns: list[_Column]
    mapping: dict[str, int]  # field name → column index (0-based)


def _header_text(value: Any) -> str:
    if value is None or value is UNCACHED_FORMULA:
        return ""
    return "".join(line.strip() for line in str(value).splitlines()).strip()


def _single_columns(values: list[Any]) -> list[_Column]:
    columns = []
    for value in values:
        text = _header_text(value)
        columns.append(_Column(text, normalize_header(text), normalize_header(text)))
    return columns


def _pair_columns(upper: list[Any], lower: list[Any]) -> list[_Column]:
    """Two header rows → one name per column. A group label written once above its columns
    (no merge: "centre across selection") covers the empty cells to its right."""
    columns = []
    group: tuple[str, str] | None = None
    for index in range(max(len(upper), len(lower))):
        top = _header_text(upper[index]) if index < len(upper) else ""
        bottom = _header_text(lower[index]) if index < len(lower) else ""
        if top:
            group = (top, normalize_header(top)) if bottom and bottom != top else None
            parent = group
        elif bottom:
            parent = group
        else:
            group = parent = None
        leaf_text = bottom or top
        leaf = normalize_header(leaf_text)
        if parent and bottom:
            columns.append(_Column(f"{parent[0]}/{bottom}", f"{parent[1]}/{leaf}", leaf))
        else:
            columns.append(_Column(leaf_text, leaf, leaf))
    return columns


def _match(columns: list[_Column], spec: LedgerSpec) -> dict[str, int]:
    """Each field → the column whose full name (first) or leaf name matches a synonym."""
    taken: set[int] = set()
    mapping: dict[str, int] = {}
    for field in spec.fields:
        keys = spec.synonym_keys(field)
        best: tuple[int, int] | None = None
        for index, column in enumerate(columns):
            if index in taken or not column.leaf:
                continue
            rank = 0 if column.full in keys else 1 if column.leaf in keys else None
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, index)
        if best is not None:
            mapping[field.name] = best[1]
            taken.add(best[1])
    return mapping


def _find_header(head: list[tuple[int, list[Any]]], spec: LedgerSpec) -> _Header | None:
    """The best-matching row, or pair of rows, among the first rows of a sheet."""
    needed = min(2, len(spec.fields))
    best: tuple[tuple[int, int, int], _Header] | None = None
    for i, (number, values) in enumerate(head):
        candidates: list[tuple[tuple[int, ...], list[_Column]]] = [
            ((number,), _single_columns(values))
        ]
        single_score = len(_match(candidates[0][1], spec))
        if single_score and i + 1 < len(head) and head[i + 1][0] == number + 1:
            candidates.append(((number, number + 1), _pair_columns(values, head[i + 1][1])))
        for rows, columns in candidates:
            mapping = _match(columns, spec)
            rank = (len(mapping), -rows[-1], -rows[0])
            if len(mapping) >= needed and (best is None or rank > best[0]):
                best = (rank, _Header(rows, columns, mapping))
    return best[1] if best else None


# --- reading -------------------------------------------------------------------------------

_STOP_PREFIXES = (
    "填表人", "填报人", "制表人", "统计人", "审核人", "审批人", "复核人", "经办人", "负责人",
    "单位负责人", "主要负责人", "分管负责人", "分管领导", "制表日期", "填表日期", "填报日期",
    "报送日期", "制表时间", "填表时间", "填报时间", "合计", "总计", "共计", "备注:", "说明:",
    "注:", "联系电话", "联系人:",
)  # fmt: skip
_SKIP_PREFIXES = ("小计",)


def _footer(values: list[Any]) -> str | None:
    """ "stop" at a footer row (填表人, 审核人, 合计 …), "skip" a subtotal, else None."""
    for value in values:
        if not _is_empty(value):
            if isinstance(value, str):
                text = _compact(value)
                if text.startswith(_STOP_PREFIXES):
                    return "stop"
                if text.startswith(_SKIP_PREFIXES):
                    return "skip"
            return None
    return None


_HEADING = re.compile(r"[(（]?[一二三四五六七八九十]+[)）、.．]")


def _blank_or_heading(values: list[Any], filled: list[bool], serial: frozenset[int]) -> bool:
    """Nothing but placeholders, or only a 序号; or a section heading between groups of rows:
    one cell such as ``二、驾驶培训机构``. ``filled``: whether each cell is not empty."""
    cells = [i for i, full in enumerate(filled) if full]
    if all(i in serial for i in cells):
        return True
    if len(cells) != 1:
        return False
    value = values[cells[0]]
    return isinstance(value, str) and bool(_HEADING.match(value.strip()))


def read_ledger(
    source: str | Path | bytes | IO[bytes],
    spec: LedgerSpec,
    *,
    sheet: str | int | None = None,
    default_year: int | None = None,
    progress: Callable[[int], None] | None = None,
    max_rows: int = MAX_ROWS,
) -> Preview:
    """Read a ledger (.xlsx; .xls with python-calamine) into a :class:`Preview`.

    ``source`` is a path, the bytes, or a binary file (an upload). ``sheet`` names the sheet
    (or its 0-based index); by default the first visible sheet with a recognisable header is
    read. ``default_year`` completes dates written without a year. ``progress`` is called with
    the number of data rows read every :data:`PROGRESS_EVERY` rows and once at the end.
    """
    try:
        with _open_book(source) as (sheets, epoch):
            preview = _read_book(sheets, epoch, spec, sheet, default_year, progress, max_rows)
    except _FileError as exc:
        preview = Preview(errors=[RowError(None, None, exc.code, exc.params)])
    if progress is not None:
        progress(preview.rows_read)
    return preview


def _read_book(
    sheets: list[_Sheet],
    epoch: dt.datetime,
    spec: LedgerSpec,
    wanted: str | int | None,
    default_year: int | None,
    progress: Callable[[int], None] | None,
    max_rows: int,
) -> Preview:
    """Read the first sheet whose header has every required column and rows below it (a
    cover page may look like a header: 单位名称 | … | 统一社会信用代码 | …); failing that, the
    first with a complete header, or report what the first sheet with a header lacks."""
    if wanted is None:
        candidates = [s for s in sheets if s.visible] or sheets
    else:
        candidates = _named_sheet(sheets, wanted)
    incomplete: tuple[_Sheet, _Header, list[Field]] | None = None
    empty: Preview | None = None
    for candidate in candidates:
        filler = _MergeFiller(candidate.merges())
        rows = candidate.rows()
        head: list[tuple[int, list[Any]]] = []
        raw_head: list[list[Any]] = []
        for number, values in rows:
            raw_head.append(list(values))
            head.append((number, filler.fill(number, values)))
            if number >= HEADER_SCAN_ROWS:
                break
        header = _find_header(head, spec)
        missing = (
            [f for f in spec.fields if f.required and f.name not in header.mapping]
            if header
            else []
        )
        if header is None or missing:
            getattr(rows, "close", lambda: None)()
            if header is not None and incomplete is None:
                incomplete = (candidate, header, missing)
            continue
        preview = _describe(Preview(), candidate, header)
        after = [
            (number, raw_head[i], values)
            for i, (number, values) in enumerate(head)
            if number > header.rows[-1]
        ]
        rest = ((number, list(values), filler.fill(number, values)) for number, values in rows)
        _read_rows(
            chain(after, rest), header, spec, preview, epoch, default_year, progress, max_rows
        )
        getattr(rows, "close", lambda: None)()
        if preview.rows_read or wanted is not None:
            return preview
        if empty is None:
            empty = preview
    if empty is not None:
        return empty
    if incomplete is not None:
        candidate, header, missing = incomplete
        preview = _describe(Preview(), candidate, header)
        for field in missing:
            params = {"column": field.label, "synonyms": "、".join(field.synonyms[1:]) or "—"}
            preview.errors.append(RowError(header.rows[-1], field.label, "missing_column", params))
        return preview
    labels = [f.label for f in spec.fields if f.required] or [f.label for f in spec.fields[:3]]
    shown = "、".join(f"“{label}”" for label in labels)
    return Preview(errors=[RowError(None, None, "no_header", {"columns": shown})])


def _describe(preview: Preview, sheet: _Sheet, header: _Header) -> Preview:
    preview.sheet, preview.header_rows = sheet.name, header.rows
    preview.columns = {name: header.columns[i].shown for name, i in header.mapping.items()}
    return preview


def _named_sheet(sheets: list[_Sheet], wanted: str | int) -> list[_Sheet]:
    if isinstance(wanted, int):
        if 0 <= wanted < len(sheets):
            return [sheets[wanted]]
    else:
        for match in (lambda s: s.name == wanted, lambda s: _compact(s.name) == _compact(wanted)):
            found = [s for s in sheets if match(s)]
            if found:
                return found[:1]
    names = "、".join(s.name for s in sheets)
    raise _FileError("sheet_not_found", sheet=wanted, sheets=names)


def _read_rows(
    rows: Iterator[tuple[int, list[Any], list[Any]]],
    header: _Header,
    spec: LedgerSpec,
    preview: Preview,
    epoch: dt.datetime,
    default_year: int | None,
    progress: Callable[[int], None] | None,
    max_rows: int,
) -> None:
    serial = frozenset(i for i, c in enumerate(header.columns) if c.leaf in SERIAL_HEADERS)
    base = ParseContext(default_year=default_year, epoch=epoch)
    plan = [
        (
            field,
            index,
            header.columns[index].shown,
            dataclasses.replace(base, header=header.columns[index].shown),
        )
        for field in spec.fields
        if (index := header.mapping.get(field.name)) is not None
    ]
    absent = {f.name: f.default for f in spec.fields if f.name not in header.mapping}
    seen: dict[Any, int] = {}
    blank_run = 0
    for number, raw, values in rows:
        footer = _footer(values)
        if footer == "stop":
            break
        if footer == "skip":
            continue
        filled = [not _is_empty(v) for v in raw]
        if _blank_or_heading(raw, filled, serial):
            blank_run += 1
            if blank_run >= BLANK_RUN_LIMIT:
                break
            continue
        blank_run = 0
        if preview.rows_read >= max_rows:
            preview.errors.append(RowError(None, None, "too_many_rows", {"limit": max_rows}))
            break
        preview.rows_read += 1
        if progress is not None and preview.rows_read % PROGRESS_EVERY == 0:
            progress(preview.rows_read)

        record: dict[str, Any] = {"_row": number, **absent}
        errors_before = len(preview.errors)
        # no merged range over the row: whether a cell is empty is known already
        known = filled if values == raw else None
        for field, index, column, ctx in plan:
            value = values[index] if index < len(values) else None
            code, params = None, {}
            if value is UNCACHED_FORMULA:
                code = "formula_without_value"
            elif isinstance(value, CellError):
                code, params = "formula_error", {"value": str(value)}
            elif not known[index] if known is not None and index < len(known) else _is_empty(value):
                if field.required:
                    code = "required"
                else:
                    record[field.name] = field.default
            else:
                try:
                    record[field.name] = field.parser(value, ctx)
                except ParseError as exc:
                    code, params = exc.code, exc.params
            if code is not None:
                record[field.name] = None
                preview.errors.append(RowError(number, column, code, params))
        ready = len(preview.errors) == errors_before

        key = spec.key_of(record)
        if key is not None:
            first = seen.setdefault(key[0], number)
            if first != number:
                preview.duplicates.append(Duplicate(number, key[1], first))
                ready = False
        if ready:
            preview.rows_ready.append(record)
