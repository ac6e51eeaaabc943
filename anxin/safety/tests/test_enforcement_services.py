"""Issuing enforcement orders: two officers for a penalty (行政处罚法 Art. 42), 24 hours' notice
before a power cut-off (安全生产法 Art. 70), the 复查 clock, Art. 113 flags and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation

from anxin.core.models import AuditEvent
from anxin.safety import enforcement
from anxin.safety.enforcement_rules import CLOCK_NAME, CLOCK_SUBJECT
from anxin.safety.models_enforcement import EnforcementOrder
from anxin.supervision.selectors import clocks_for

pytestmark = pytest.mark.django_db
pytest_plugins = ["anxin.safety.tests.enforcement_fixtures"]

ART_42_ZH = "行政处罚应当由两名以上执法人员实施（《行政处罚法》第四十二条）。"


def test_a_rectification_order_starts_the_reinspection_clock(issue, site):
    order = issue()
    assert order.status == "issued" and not order.is_penalty
    clock = clocks_for(CLOCK_SUBJECT, order.pk)[CLOCK_NAME]
    assert clock.rule == "fixed" and clock.due_on == order.deadline and clock.state == "running"
    event = AuditEvent.objects.get(action="enforcement.issue", object_id=str(order.pk))
    assert event.after["basis_codes"] == ["wsl65_3", "wsl102"]
    assert site.events.filter(kind="enforcement_issued").exists()


@pytest.mark.parametrize("kind", ["suspend", "seal", "power_cut"])
def test_a_penalty_needs_two_officers(issue, inspector, kind):
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        issue(kind=kind, officers=[inspector])
    assert exc.value.message_dict["officers"] == [ART_42_ZH]
    with pytest.raises(ValidationError):
        issue(kind=kind, officers=[inspector, inspector])  # the same person twice
    assert not EnforcementOrder.objects.exists()


def test_a_fine_makes_a_rectification_order_a_penalty(issue, inspector):
    with pytest.raises(ValidationError):
        issue(fine_yuan=20000, officers=[inspector])
    assert issue(officers=[inspector]).is_penalty is False
    assert issue(fine_yuan=20000).is_penalty is True


def test_officers_and_bases_are_checked(issue, personas, inspector):
    with pytest.raises(ValidationError) as exc:
        issue(basis_codes=["nope"])
    assert "basis_codes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        issue(basis_codes=[])
    assert "basis_codes" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        issue(officers=[inspector, personas.sibling])  # out of the site's scope
    assert "officers" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        issue(actor=personas.sibling)


def test_a_power_cut_waits_24_hours_after_the_notice(issue, inspector):
    notice = timezone.now()
    order = issue(kind="power_cut", basis_codes=["wsl70"], notice_at=notice)
    assert order.notice_at == notice
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        enforcement.enforcement_execute(
            actor=inspector, order=order, at=notice + timedelta(hours=23, minutes=59)
        )
    assert "二十四小时" in exc.value.messages[0] or "24" in exc.value.messages[0]
    order.refresh_from_db()
    assert order.status == "issued" and order.executed_at is None
    done = enforcement.enforcement_execute(
        actor=inspector, order=order, at=notice + timedelta(hours=24)
    )
    assert done.status == "executed"
    assert AuditEvent.objects.filter(action="enforcement.execute").count() == 1


def test_the_reinspection_stops_the_clock(issue, inspector):
    order = issue()
    with pytest.raises(ValidationError):
        enforcement.enforcement_reinspection_record(actor=inspector, order=order, passed=False)
    done = enforcement.enforcement_reinspection_record(
        actor=inspector, order=order, passed=True, notes="已整改"
    )
    assert done.status == "reinspected" and done.reinspection_passed is True
    clock = clocks_for(CLOCK_SUBJECT, order.pk)[CLOCK_NAME]
    assert clock.state == "met" and clock.stopped_on == timezone.localdate()
    assert AuditEvent.objects.filter(action="enforcement.reinspect").count() == 1
    with pytest.raises(enforcement.EnforcementStateConflict):
        enforcement.enforcement_reinspection_record(actor=inspector, order=order, passed=True)


def _backdate(order, days_ago):
    EnforcementOrder.objects.filter(pk=order.pk).update(
        issued_at=timezone.now() - timedelta(days=days_ago)
    )


def test_art_113_needs_a_major_hazard_and_counts_penalties(issue, hazard_factory, site):
    for days_ago in (170, 60, 0):
        _backdate(issue(kind="suspend"), days_ago)
    issue()  # a rectification order without a fine is no penalty
    assert enforcement.site_closure_flags() == set()  # no major hazard yet
    hazard_factory(grade="major")
    assert enforcement.site_closure_flags() == {site.pk}
    assert enforcement.site_closure_flag(site)
    EnforcementOrder.objects.filter(is_penalty=True).order_by("issued_at").first().delete()
    assert enforcement.site_closure_flags() == set()
