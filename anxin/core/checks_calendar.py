"""System check ``anxin.W010``: this year's or next year's public holidays are unknown.

Tagged ``database``: it reads the calendar table, so it runs where Django runs database checks
(``migrate``, which every start runs, and ``check --database default``), not on a bare
``check`` that must work without a database.
"""

from __future__ import annotations

from typing import Any

from django.core.checks import Tags, Warning, register
from django.db import DatabaseError, transaction
from django.utils import timezone


@register(Tags.database)
def check_calendar_coverage(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[Any]:
    from anxin.core.calendar import coverage_warning

    if not databases or "default" not in databases:
        return []
    this_year = timezone.localdate().year
    issues: list[Any] = []
    for year in (this_year, this_year + 1):
        try:
            with transaction.atomic():
                message = coverage_warning(year)
        except DatabaseError:  # not migrated yet: migrate itself comes first
            return []
        if message:
            issues.append(
                Warning(
                    message,
                    hint=(
                        f"Enter the State Council's holiday notice for {year} at "
                        "/settings/calendar/ (rest days and make-up working days), or upgrade "
                        "the chinesecalendar package once it has that year."
                    ),
                    id="anxin.W010",
                )
            )
    return issues
