"""``manage.py rebuild_rollups [--from YYYY-MM-DD] [--to YYYY-MM-DD]``: recompute the daily
rollups of a date range (every day when no range is given) from the ledgers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.reports.rollups import rebuild


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {value}") from exc


class Command(BaseCommand):
    help = "Recompute the daily rollups of the dashboards from the ledgers."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--from", dest="start", help="first day (YYYY-MM-DD)")
        parser.add_argument("--to", dest="end", help="last day (YYYY-MM-DD)")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _date(options.get("start")), _date(options.get("end"))
        if start and end and start > end:
            raise CommandError("--from is after --to")
        done = rebuild(start=start, end=end)
        for name, count in done.items():
            self.stdout.write(f"{name}: {count} rows")
