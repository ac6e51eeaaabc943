"""The pause history: every pause of a clock is a row with from, to, reason and who."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.supervision.choices import ClockRule
from anxin.supervision.models import ClockPause
from anxin.supervision.services import (
    clock_cancel,
    clock_pause,
    clock_resume,
    clock_set_leader,
    clock_start,
    clock_stop,
)

pytestmark = pytest.mark.django_db

KEY = {"subject_type": "petitions.petition", "subject_id": 1, "name": "recheck_by"}


@pytest.fixture
def clock(personas):
    return clock_start(
        actor=None,
        unit=personas.city.T1,
        rule=ClockRule.WORKING_DAYS,
        start_on=dt.date(2026, 9, 1),
        days=30,
        **KEY,
    )


def test_pause_and_resume_are_recorded(personas, clock):
    clock_pause(actor=personas.member, on=dt.date(2026, 9, 28), reason="听证", **KEY)
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.paused_on, pause.resumed_on, pause.reason, pause.actor) == (
        dt.date(2026, 9, 28),
        None,
        "听证",
        personas.member,
    )
    clock_resume(actor=personas.same, on=dt.date(2026, 10, 12), **KEY)
    pause.refresh_from_db()
    # 09-28, 29, 30, 10-08, 09, 10 (make-up Saturday) were working days not counted
    assert (pause.resumed_on, pause.days_not_counted, pause.resumed_by) == (
        dt.date(2026, 10, 12),
        6,
        personas.same,
    )
    clock_pause(actor=None, on=dt.date(2026, 10, 13), **KEY)
    assert ClockPause.objects.filter(clock=clock).count() == 2
    assert ClockPause.objects.filter(clock=clock, resumed_on__isnull=True).count() == 1


def test_stop_or_cancel_ends_the_open_pause(personas, clock):
    clock_pause(actor=None, on=dt.date(2026, 9, 28), reason="鉴定", **KEY)
    clock_stop(actor=None, on=dt.date(2026, 9, 30), **KEY)
    pause = ClockPause.objects.get(clock=clock)
    assert (pause.resumed_on, pause.days_not_counted) == (dt.date(2026, 9, 30), 2)

    other = {**KEY, "subject_id": 2}
    clock_start(
        actor=None,
        unit=personas.city.T1,
        rule=ClockRule.CALENDAR_DAYS,
        start_on=dt.date(2026, 9, 1),
        days=30,
        **other,
    )
    clock_pause(actor=None, on=dt.date(2026, 9, 10), **other)
    clock_cancel(actor=None, on=dt.date(2026, 9, 12), **other)
    assert ClockPause.objects.get(clock__subject_id=2).resumed_on == dt.date(2026, 9, 12)


def test_a_long_reason_is_refused(personas, clock):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as exc:
        clock_pause(actor=None, on=dt.date(2026, 9, 28), reason="因" * 201, **KEY)
    assert exc.value.message_dict == {"reason": ["原因请控制在200字以内。"]}


def test_leader_is_set_on_open_clocks_and_audited(personas, clock):
    from anxin.core.models import AuditEvent

    assert (
        clock_set_leader(
            actor=None, subject_type="petitions.petition", subject_id=1, leader=personas.parent
        )
        == 1
    )
    clock.refresh_from_db()
    assert clock.leader == personas.parent
    assert (
        clock_set_leader(
            actor=None, subject_type="petitions.petition", subject_id=1, leader=personas.parent
        )
        == 0
    )
    event = AuditEvent.objects.get(action="clock.set_leader")
    assert (event.object_type, event.object_id, event.after["leader_id"]) == (
        "petitions.petition",
        "1",
        personas.parent.pk,
    )


def test_a_clock_can_start_with_its_leader(personas):
    from django.core.exceptions import ValidationError

    from anxin.core.models import User

    clock = clock_start(
        actor=None,
        unit=personas.city.T1,
        rule=ClockRule.CALENDAR_DAYS,
        start_on=dt.date(2026, 9, 1),
        days=30,
        leader=personas.parent,
        **{**KEY, "subject_id": 9},
    )
    assert clock.leader == personas.parent
    with pytest.raises(ValidationError) as exc:
        clock_start(
            actor=None,
            unit=personas.city.T1,
            rule=ClockRule.CALENDAR_DAYS,
            start_on=dt.date(2026, 9, 1),
            days=30,
            leader=User(username="unsaved"),
            **{**KEY, "subject_id": 10},
        )
    assert exc.value.message_dict == {"leader": ["责任领导须为已保存的用户。"]}
