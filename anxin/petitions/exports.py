"""The ledger as .xlsx, written row by row (openpyxl write-only) so memory stays flat.

No personal data leaves in a ledger export: cases, units, dates and states only. A sheet holds
at most 1,048,576 rows; longer exports continue on further sheets.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import IO, Any

from django.utils.translation import gettext as _
from openpyxl import Workbook

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


def _rows(qs: Any) -> Iterator[list[Any]]:
    from anxin.supervision.models import Clock

    qs = qs.select_related(
        "category", "registering_unit", "current_unit", "lead_unit", "leader"
    ).order_by("-received_on", "-id")
    batch: list[Petition] = []
    for p in qs.iterator(chunk_size=BATCH):
        batch.append(p)
        if len(batch) == BATCH:
            yield from _batch_rows(batch, Clock)
            batch = []
    if batch:
        yield from _batch_rows(batch, Clock)


def _batch_rows(batch: list[Petition], clock_model: Any) -> Iterator[list[Any]]:
    due: dict[tuple[int, str], Any] = {
        (sid, name): d
        for sid, name, d in clock_model.objects.filter(
            subject_type="petitions.petition",
            subject_id__in=[p.pk for p in batch],
            name__in=["accept_by", "handle_by"],
        )
        .exclude(state="cancelled")
        .values_list("subject_id", "name", "due_on")
    }
    for p in batch:
        yield [safe_cell(v) if isinstance(v, str) else v for v in _cells(p, due)]


def _cells(p: Petition, due: dict[tuple[int, str], Any]) -> list[Any]:
    return [
        p.number,
        p.received_on,
        p.get_channel_display(),
        p.get_kind_display(),
        p.category.name,
        p.title,
        p.registering_unit.name,
        p.current_unit.name,
        p.lead_unit.name if p.lead_unit else "",
        p.leader.display_name if p.leader else "",
        p.get_status_display(),
        p.get_outcome_display() if p.outcome else "",
        p.get_rating_display() if p.rating else "",
        p.transfer_count,
        p.supporters,
        due.get((p.pk, "accept_by")),
        due.get((p.pk, "handle_by")),
        _("yes") if p.is_backlog else "",
    ]


def write_ledger(qs: Any) -> IO[bytes]:
    """Write the ledger to a temporary file and return it, rewound."""
    workbook = Workbook(write_only=True)
    sheet = None
    written = SHEET_ROWS
    for row in _rows(qs):
        if written >= SHEET_ROWS:
            sheet = workbook.create_sheet(
                _("Ledger") + (f" {len(workbook.worksheets) + 1}" if workbook.worksheets else "")
            )
            sheet.append(_header())
            written = 0
        assert sheet is not None
        sheet.append(row)
        written += 1
    if sheet is None:
        workbook.create_sheet(_("Ledger")).append(_header())
    out = tempfile.TemporaryFile()
    workbook.save(out)
    out.seek(0)
    return out
