"""The ledger as .xlsx, written row by row (openpyxl write-only) so memory stays flat.

No personal data leaves in a ledger export: cases, units, dates and states only. A sheet holds
at most 1,048,576 rows; longer exports continue on further sheets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

import xlsxwriter
from django.utils.translation import gettext as _

from anxin.core.exports import safe_cell
from anxin.petitions.models import Petition

SHEET_ROWS = 1_048_575  # plus the header row
BATCH = 2000


def _header() -> list[str]:
    return [
        str(h)
        for h in (
            _("Case number"),
            _("Received on"),
            _("Channel"),
            _("Kind"),
            _("Category"),
            _("Title"),
            _("Registering unit"),
            _("Holding unit"),
            _("Lead unit"),
            _("Leader who owns the case"),
            _("Status"),
            _("Outcome"),
            _("Rating"),
            _("Transfers"),
            _("Supporters"),
            _("Accept by"),
            _("Handle by"),
            _("Backlog case"),
        )
    ]


#: the columns read for each case: plain values, no model instances (an export of a million
#: cases must not build a million objects nor decrypt fields it does not print)
COLUMNS = (
    "pk",
    "number",
    "received_on",
    "channel",
    "kind",
    "category__name",
    "title",
    "registering_unit__name",
    "current_unit__name",
    "lead_unit__name",
    "leader__name",
    "leader__username",
    "status",
    "outcome",
    "rating",
    "transfer_count",
    "supporters",
    "is_backlog",
)


def _labels(field: str) -> dict[str, str]:
    """Value → display label of a field with choices, translated once per export."""
    choices = Petition._meta.get_field(field).flatchoices  # type: ignore[union-attr]
    return {str(k): str(v) for k, v in choices}


def _rows(qs: Any) -> Iterator[list[Any]]:
    from anxin.supervision.models import Clock

    labels = {f: _labels(f) for f in ("channel", "kind", "status", "outcome", "rating")}
    yes = str(_("yes"))
    rows = qs.order_by("-received_on", "-id").values_list(*COLUMNS)
    batch: list[tuple[Any, ...]] = []
    for row in rows.iterator(chunk_size=BATCH):
        batch.append(row)
        if len(batch) == BATCH:
            yield from _batch_rows(batch, Clock, labels, yes)
            batch = []
    if batch:
        yield from _batch_rows(batch, Clock, labels, yes)


def _batch_rows(
    batch: list[tuple[Any, ...]], clock_model: Any, labels: dict[str, dict[str, str]], yes: str
) -> Iterator[list[Any]]:
    due: dict[tuple[int, str], Any] = {
        (sid, name): d
        for sid, name, d in clock_model.objects.filter(
            subject_type="petitions.petition",
            subject_id__in=[row[0] for row in batch],
            name__in=["accept_by", "handle_by"],
        )
        .exclude(state="cancelled")
        .values_list("subject_id", "name", "due_on")
    }
    for row in batch:
        yield [safe_cell(v) if isinstance(v, str) else v for v in _cells(row, due, labels, yes)]


def _cells(
    row: tuple[Any, ...],
    due: dict[tuple[int, str], Any],
    labels: dict[str, dict[str, str]],
    yes: str,
) -> list[Any]:
    (pk, number, received_on, channel, kind, category, title, registering, current, lead,
     leader_name, leader_username, status, outcome, rating, transfers, supporters,
     backlog) = row  # fmt: skip
    return [
        number,
        received_on,
        labels["channel"].get(channel, channel),
        labels["kind"].get(kind, kind),
        category,
        title,
        registering,
        current,
        lead or "",
        leader_name or leader_username or "",
        labels["status"].get(status, status),
        labels["outcome"].get(outcome, "") if outcome else "",
        labels["rating"].get(rating, "") if rating else "",
        transfers,
        supporters,
        due.get((pk, "accept_by")),
        due.get((pk, "handle_by")),
        yes if backlog else "",
    ]


def write_ledger(qs: Any) -> IO[bytes]:
    """Write the ledger to a temporary file and return it, rewound.

    xlsxwriter in ``constant_memory`` mode flushes each row to disk as it is written, so memory
    stays flat however long the ledger; strings are never turned into formulas, numbers or links
    (on top of :func:`safe_cell`).
    """
    out = tempfile.TemporaryFile()
    workbook = xlsxwriter.Workbook(
        out,
        {
            "constant_memory": True,
            "default_date_format": "yyyy-mm-dd",
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        },
    )
    header = _header()
    sheet = workbook.add_worksheet(str(_("Ledger")))
    sheet.write_row(0, 0, header)
    sheets, written = 1, 0
    for row in _rows(qs):
        if written >= SHEET_ROWS:
            sheets += 1
            sheet = workbook.add_worksheet(f"{_('Ledger')} {sheets}")
            sheet.write_row(0, 0, header)
            written = 0
        written += 1
        sheet.write_row(written, 0, row)
    workbook.close()
    out.seek(0)
    return out
