"""Huey tasks of the reports app (discovered by Huey); each only calls a service with ids."""

from __future__ import annotations

from huey.contrib.djhuey import db_task


@db_task()
def build_monthly_report(report_id: int) -> None:
    from anxin.reports.monthly import monthly_report_build

    monthly_report_build(report_id)
