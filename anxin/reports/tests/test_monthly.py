"""Monthly reports: asked for in scope, produced by the task with visible progress (the task's
function is run directly), kept as files whose downloads are audited."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from anxin.core.attachments import attachment_read
from anxin.core.models import AuditEvent
from anxin.reports import monthly
from anxin.reports.models_monthly import MonthlyReport

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]


def _this_month() -> dt.date:
    return timezone.localdate().replace(day=1)


def test_a_unit_head_asks_for_the_report_of_their_unit(personas: Any) -> None:
    report = monthly.monthly_report_request(
        actor=personas.same, unit=personas.city.T1, month=_this_month()
    )
    assert (report.status, report.progress, report.month) == ("queued", 0, _this_month())
    event = AuditEvent.objects.get(action="monthly_report.request")
    assert event.after == {"unit": "T1", "month": f"{_this_month():%Y-%m}"}


def test_nobody_asks_for_a_unit_outside_their_scope(personas: Any) -> None:
    with pytest.raises(PermissionDenied):
        monthly.monthly_report_request(
            actor=personas.outsider, unit=personas.city.T1, month=_this_month()
        )


def test_a_month_not_begun_is_refused(personas: Any) -> None:
    future = (_this_month() + dt.timedelta(days=40)).replace(day=1)
    with pytest.raises(ValidationError) as exc:
        monthly.monthly_report_request(actor=None, unit=personas.city.C, month=future)
    assert exc.value.message_dict == {"month": ["该月份尚未开始。"]}


def test_the_task_builds_the_docx_with_charts_and_the_xlsx(
    personas: Any, register: Any, hazard_factory: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "en"
    today = timezone.localdate()
    register(received_on=today, channel="visit")
    register(received_on=today, channel="letter", title="另一件事情")
    hazard_factory()
    report = monthly.monthly_report_request(actor=None, unit=personas.city.C, month=today)
    done = monthly.monthly_report_build(report.pk)
    assert done is not None
    assert (done.status, done.progress, done.step) == ("done", 100, "")
    assert done.docx is not None and done.xlsx is not None
    with zipfile.ZipFile(io.BytesIO(attachment_read(done.docx))) as docx:
        media = [n for n in docx.namelist() if n.startswith("word/media/")]
        assert len(media) == 4  # two trends, channels, categories
        text = docx.read("word/document.xml").decode()
        rels = docx.read("word/_rels/document.xml.rels").decode()
    assert "2 petitions were received" in text
    assert 'Target="media/image1.png"' in rels
    sheet = load_workbook(io.BytesIO(attachment_read(done.xlsx)))["Summary of the month"]
    values = {row[0]: row[1] for row in sheet.iter_rows(min_row=5, values_only=True)}
    assert values["Petitions received"] == 2
    assert values["Hazards found"] == 1
    assert AuditEvent.objects.filter(action="monthly_report.done", object_id=str(done.pk)).exists()


def test_a_failed_build_is_shown_as_failed(personas: Any, monkeypatch: Any) -> None:
    report = monthly.monthly_report_request(actor=None, unit=personas.city.C, month=_this_month())

    def broken(figures: Any) -> Any:
        raise RuntimeError("no font")

    monkeypatch.setattr(monthly, "draw_charts", broken)
    failed = monthly.monthly_report_build(report.pk)
    assert failed is not None
    assert (failed.status, failed.progress, failed.error) == ("failed", 35, "no font")


def test_the_page_polls_until_ready_then_offers_audited_downloads(
    personas: Any, client_for: Any
) -> None:
    client = client_for(personas.same)
    response = client.post(
        reverse("monthly_list"), {"unit": "T1", "month": f"{_this_month():%Y-%m}"}
    )
    report = MonthlyReport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("monthly_detail", args=[report.uid])
    progress_url = reverse("monthly_progress", args=[report.uid])
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 2s"' in page
    monthly.monthly_report_build(report.pk)
    fragment = client.get(progress_url).content.decode()
    assert "hx-get" not in fragment and 'value="100"' in fragment
    download = client.get(reverse("monthly_download", args=[report.uid, "xlsx"]))
    assert download.status_code == 200
    assert download["Content-Security-Policy"] == "sandbox; default-src 'none'"
    event = AuditEvent.objects.get(action="monthly_report.download")
    assert event.actor == personas.same and event.after["kind"] == "xlsx"
    assert client.get(reverse("monthly_download", args=[report.uid, "pdf"])).status_code == 404
    assert client_for(personas.sibling).get(response["Location"]).status_code == 404


def test_asking_on_the_page_needs_the_right_role(personas: Any, client_for: Any) -> None:
    client = client_for(personas.member)  # a handler: may see reports, not ask for them
    assert client.get(reverse("monthly_list")).status_code == 200
    response = client.post(reverse("monthly_list"), {"unit": "T1", "month": "2026-01"})
    assert response.status_code == 403


def test_the_request_enqueues_the_task_after_commit(
    personas: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        report = monthly.monthly_report_request(
            actor=None, unit=personas.city.T3, month=_this_month()
        )
    report.refresh_from_db()
    assert (report.status, report.progress) == ("done", 100)  # Huey runs immediately in tests


def test_the_form_offers_only_units_in_scope(personas: Any, client_for: Any) -> None:
    client = client_for(personas.same)
    form = client.get(reverse("monthly_list")).context["form"]
    assert {u.code for u in form.fields["unit"].queryset} == {"T1", "V1"}
    response = client.post(reverse("monthly_list"), {"unit": "T2", "month": "2026-01"})
    assert response.status_code == 200 and not MonthlyReport.objects.exists()
    assert "unit" in response.context["form"].errors
