"""The written application to resume production (16号令 Art. 23; 安全生产法 Art. 65(3)): only
the site's enterprise contact applies, from their own login; the application starts a 10-day
review clock (calendar days) in supervision's one table; the approval stops it, a refusal with
reasons sends the application back."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.safety import hazards
from anxin.safety.hazard_review import (
    hazard_apply_resumption,
    hazard_refuse_resumption,
    resumption_applications,
)
from anxin.safety.hazard_rules import CLOCK_SUBJECT
from anxin.safety.hazards import HazardStateConflict
from anxin.safety.models_hazards import ResumptionApplication
from anxin.safety.tests.hazard_fixtures import file_upload
from anxin.supervision.selectors import clocks_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

FIVE = {
    "responsible": "李四",
    "measures": "更换电缆",
    "funds": Decimal("3000"),
    "contingency_plan": "断电、疏散",
}


@pytest.fixture
def submitted(personas, inspector, hazard_factory):
    """A major hazard that stopped production, its rectification submitted by the contact."""
    h = hazard_factory(grade="major", production_stopped=True)
    h = hazards.hazard_start_rectification(
        actor=inspector, hazard=h, deadline=timezone.localdate() + timedelta(days=20), **FIVE
    )
    return hazards.hazard_submit_rectification(
        actor=personas.enterprise, hazard=h, note="已整改", files=[file_upload()]
    )


def test_the_contact_applies_and_the_clock_runs_ten_days(personas, submitted):
    h = hazard_apply_resumption(
        actor=personas.enterprise,
        hazard=submitted,
        text="整改已完成，申请恢复生产。",
        scan=file_upload("复产申请.jpg"),
        version=submitted.version,
    )
    app = ResumptionApplication.objects.get(hazard=h)
    assert app.status == "pending" and app.applied_by == personas.enterprise
    assert app.scan is not None and app.scan.purpose == "resumption"
    clock = clocks_for(CLOCK_SUBJECT, h.pk)["resumption_review_1"]
    assert clock.rule == "calendar_days" and clock.state == "running"
    assert clock.start_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="hazard.resumption_applied").exists()
    rows = resumption_applications(h)
    assert rows[0]["review_by"] == clock.due_on and rows[0]["status"] == "pending"


def test_the_ten_days_worked_example(personas, inspector, hazard_factory):
    """Applied on 2026-09-16: 10 calendar days, the start day not counted → 09-26, a Saturday
    → the next working day, Monday 09-28 (民法典 Art. 201, 203)."""
    found = timezone.make_aware(datetime(2026, 9, 1, 9, 0))
    h = hazard_factory(
        grade="major", production_stopped=True, found_at=found, deadline=date(2026, 9, 15)
    )
    h = hazards.hazard_start_rectification(
        actor=inspector, hazard=h, at=found + timedelta(hours=1), **FIVE
    )
    h = hazards.hazard_submit_rectification(
        actor=personas.enterprise,
        hazard=h,
        files=[file_upload()],
        at=timezone.make_aware(datetime(2026, 9, 15, 9, 0)),
    )
    hazard_apply_resumption(
        actor=personas.enterprise,
        hazard=h,
        text="申请复产",
        at=timezone.make_aware(datetime(2026, 9, 16, 10, 0)),
    )
    clock = clocks_for(CLOCK_SUBJECT, h.pk)["resumption_review_1"]
    assert clock.start_on == date(2026, 9, 16)
    assert clock.due_on == date(2026, 9, 28)


def test_only_the_contact_applies(personas, inspector, submitted, contact2):
    for person in (inspector, personas.viewer, contact2):
        with pytest.raises((PermissionDenied, Http404)):
            hazard_apply_resumption(actor=person, hazard=submitted, text="申请")
    assert not ResumptionApplication.objects.exists()


def test_application_checks(personas, hazard_factory, inspector, submitted):
    with pytest.raises(ValidationError) as err:
        hazard_apply_resumption(actor=personas.enterprise, hazard=submitted, text=" ")
    assert err.value.message_dict == {"text": ["请填写恢复生产的书面申请。"]}
    hazard_apply_resumption(actor=personas.enterprise, hazard=submitted, text="申请")
    with pytest.raises(HazardStateConflict) as conflict:
        hazard_apply_resumption(actor=personas.enterprise, hazard=submitted, text="再次申请")
    assert str(conflict.value.message) == "恢复生产的申请正在审查中。"
    # a general hazard needs no application
    g = hazard_factory()
    g = hazards.hazard_start_rectification(
        actor=inspector, hazard=g, deadline=timezone.localdate() + timedelta(days=5)
    )
    g = hazards.hazard_submit_rectification(
        actor=personas.enterprise, hazard=g, files=[file_upload()]
    )
    with pytest.raises(ValidationError):
        hazard_apply_resumption(actor=personas.enterprise, hazard=g, text="申请")


def test_a_refusal_sends_it_back_with_reasons(personas, inspector, submitted):
    h = hazard_apply_resumption(actor=personas.enterprise, hazard=submitted, text="申请")
    with pytest.raises(ValidationError) as err:
        hazard_refuse_resumption(actor=inspector, hazard=h, reasons="")
    assert err.value.message_dict == {"reason": ["请说明不同意恢复生产的理由。"]}
    with pytest.raises(PermissionDenied):
        hazard_refuse_resumption(actor=personas.enterprise, hazard=h, reasons="x")
    h = hazard_refuse_resumption(actor=inspector, hazard=h, reasons="应急照明未恢复")
    app = ResumptionApplication.objects.get(hazard=h)
    assert app.status == "refused" and app.decision_notes == "应急照明未恢复"
    assert clocks_for(CLOCK_SUBJECT, h.pk)["resumption_review_1"].state == "met"
    assert h.status == "submitted" and h.resumption_approved_at is None
    # nothing under review any more
    with pytest.raises(HazardStateConflict):
        hazard_refuse_resumption(actor=inspector, hazard=h, reasons="x")
    # the site applies again: a second clock
    h = hazard_apply_resumption(actor=personas.enterprise, hazard=h, text="已补充整改，再次申请")
    assert clocks_for(CLOCK_SUBJECT, h.pk)["resumption_review_2"].state == "running"


def test_the_approval_stops_the_clock_and_closing_follows(personas, inspector, submitted):
    h = hazard_apply_resumption(actor=personas.enterprise, hazard=submitted, text="申请")
    h = hazards.hazard_verify(actor=inspector, hazard=h, passed=True, notes="合格")
    h = hazards.hazard_approve_resumption(actor=inspector, hazard=h, notes="现场审查同意复产")
    app = ResumptionApplication.objects.get(hazard=h)
    assert app.status == "approved" and app.decided_by == inspector
    assert clocks_for(CLOCK_SUBJECT, h.pk)["resumption_review_1"].state == "met"
    # approved: no more applications
    with pytest.raises(HazardStateConflict):
        hazard_apply_resumption(actor=personas.enterprise, hazard=h, text="申请")
    h = hazards.hazard_close(actor=inspector, hazard=h)
    assert h.status == "closed"


def test_the_page_and_the_api(client_for, api, personas, inspector, submitted):
    c = client_for(personas.enterprise)
    page = c.get(f"/safety/hazards/{submitted.uid}/").content.decode()
    assert 'id="act-apply_resumption"' in page
    r = c.post(
        f"/safety/hazards/{submitted.uid}/act/apply_resumption/",
        {"text": "整改已完成，申请恢复生产。", "version": submitted.version, "scan": file_upload()},
    )
    assert r.status_code == 302
    page = c.get(f"/safety/hazards/{submitted.uid}/").content.decode()
    assert 'id="resumption"' in page and "审查中" in page
    assert 'id="act-apply_resumption"' not in page
    body = api(inspector).get(f"/api/v1/hazards/{submitted.uid}").json()
    assert "refuse_resumption" in body["actions"]
    [app] = body["resumption_applications"]
    assert app["status"] == "pending" and app["scan"] and app["review_by"]
    r = api(inspector).post(
        f"/api/v1/hazards/{submitted.uid}/actions/refuse_resumption",
        {"reason": "应急照明未恢复"},
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["resumption_applications"][0]["reasons"] == "应急照明未恢复"
    r = api(personas.enterprise).post(
        f"/api/v1/hazards/{submitted.uid}/actions/apply_resumption",
        {"text": "再次申请"},
        content_type="application/json",
    )
    assert r.status_code == 200 and len(r.json()["resumption_applications"]) == 2


def test_regrading_a_stopped_hazard_to_general_does_not_lift_the_stop(
    personas, inspector, submitted
):
    """Art. 65(3): the order to stop stands until the review approves the resumption — a
    hazard regraded to 一般 after the stop still needs that approval before 销号 (found by the
    hazard state machine)."""
    from anxin.safety.hazard_review import hazard_regrade
    from anxin.safety.hazards import ResumptionNotApproved

    h = hazards.hazard_verify(actor=inspector, hazard=submitted, passed=True, notes="合格")
    h = hazard_regrade(actor=inspector, hazard=h, grade="general", reason="复核后定为一般隐患")
    assert h.grade == "general" and h.production_stopped
    with pytest.raises(ResumptionNotApproved):
        hazards.hazard_close(actor=inspector, hazard=h)
    h = hazard_apply_resumption(actor=personas.enterprise, hazard=h, text="申请复产")
    h = hazards.hazard_approve_resumption(actor=inspector, hazard=h, notes="审查同意")
    assert hazards.hazard_close(actor=inspector, hazard=h).status == "closed"
