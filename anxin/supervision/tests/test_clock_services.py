"""Clock services: start, extend, pause/resume, stop, cancel, move; audited on the subject."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from anxin.core.models import AuditEvent
from anxin.supervision.choices import ClockRule, ClockState
from anxin.supervision.models import Clock
from anxin.supervision.selectors import clocks_for
from anxin.supervision.services import (
    clock_cancel,
    clock_extend,
    clock_move_unit,
    clock_pause,
    clock_resume,
    clock_start,
    clock_stop,
)

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]

SUBJECT = {"subject_type": "petitions.petition", "subject_id": 42}


def start(personas, name="handle_by", rule=ClockRule.CALENDAR_DAYS, **kw):
    args = {"start_on": date(2026, 9, 16), "days": 15, **kw}
    return clock_start(
        actor=personas.member, **SUBJECT, name=name, unit=personas.city.T1, rule=rule, **args
    )


def timeline(subject_id=42):
    return list(
        AuditEvent.objects.filter(object_type="petitions.petition", object_id=str(subject_id))
        .order_by("id")
        .values_list("action", "object_repr")
    )


def test_start_computes_the_due_date_and_audits_on_the_subject(personas):
    clock = start(personas, responsible=personas.member)
    assert clock.due_on == date(2026, 10, 8)  # rules.md §1
    assert (clock.state, clock.version, clock.responsible) == ("running", 1, personas.member)
    working = start(
        personas, name="object_by", rule=ClockRule.WORKING_DAYS, start_on=date(2026, 9, 30), days=5
    )
    assert working.due_on == date(2026, 10, 13)
    fixed = start(
        personas, name="rectify_by", rule=ClockRule.FIXED, days=None, due_on=date(2026, 10, 1)
    )
    assert (fixed.due_on, fixed.days) == (date(2026, 10, 1), 15)
    assert timeline() == [
        ("clock.start", "handle_by"),
        ("clock.start", "object_by"),
        ("clock.start", "rectify_by"),
    ]
    event = AuditEvent.objects.filter(action="clock.start").first()
    assert event.after["due_on"] == "2026-10-08" and event.actor == personas.member


def test_a_deadline_in_a_year_without_data_does_not_crash(personas):
    clock = start(personas, start_on=date(2027, 1, 15), days=30)
    assert clock.due_on == date(2027, 2, 15)  # 02-14 is a Sunday: weekends only
    clock = clock_extend(actor=None, **SUBJECT, name="handle_by", days=30)
    assert clock.due_on == date(2027, 3, 16)


def test_start_refuses_bad_input(personas):
    cases = [
        ({"rule": "lunar"}, "rule"),
        ({"days": -1}, "days"),
        ({"days": None}, "days"),
        ({"due_on": date(2026, 10, 1)}, "due_on"),
        ({"rule": ClockRule.FIXED, "days": None, "due_on": date(2026, 9, 1)}, "due_on"),
        ({"rule": ClockRule.FIXED, "days": 3, "due_on": date(2026, 10, 1)}, "days"),
        ({"start_on": "2026-09-16"}, "start_on"),
        ({"name": "Handle By"}, "name"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as exc:
            start(personas, **kwargs)
        assert field in exc.value.message_dict, (kwargs, exc.value.message_dict)
    with pytest.raises(ValidationError) as exc:
        clock_start(
            actor=None,
            subject_type="Petition",
            subject_id=0,
            name="x",
            unit=personas.city.T1,
            rule=ClockRule.CALENDAR_DAYS,
            start_on=date(2026, 9, 16),
            days=1,
        )
    assert set(exc.value.message_dict) == {"subject_type", "subject_id"}
    assert not Clock.objects.exists()


def test_one_live_clock_per_name_and_a_cancelled_one_frees_it(personas):
    start(personas)
    with pytest.raises(ValidationError) as exc:
        start(personas)
    assert "name" in exc.value.message_dict
    clock_cancel(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 20), reason="merged")
    again = start(personas, start_on=date(2026, 9, 20))
    assert again.state == ClockState.RUNNING
    assert Clock.objects.count() == 2
    assert set(clocks_for("petitions.petition", 42)) == {"handle_by"}
    assert clocks_for("petitions.petition", 42)["handle_by"].pk == again.pk


def test_the_database_enforces_one_live_clock_per_name(personas):
    clock = start(personas)
    clone = Clock(
        **SUBJECT,
        name="handle_by",
        unit=personas.city.T1,
        rule=clock.rule,
        start_on=clock.start_on,
        days=clock.days,
        due_on=clock.due_on,
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_the_database_checks_state_and_pause(personas):
    clock = start(personas)
    with pytest.raises(IntegrityError), transaction.atomic():
        Clock.objects.filter(pk=clock.pk).update(state="snoozed")
    with pytest.raises(IntegrityError), transaction.atomic():
        Clock.objects.filter(pk=clock.pk).update(state=ClockState.PAUSED)  # no paused_since
    with pytest.raises(IntegrityError), transaction.atomic():
        Clock.objects.filter(pk=clock.pk).update(state=ClockState.MET)  # no stopped_on


def test_pause_three_days_then_resume_moves_the_due_date(personas):
    start(personas, start_on=date(2026, 9, 1), days=15)  # due 09-16, a Wednesday
    clock = clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 10))
    assert (clock.state, clock.paused_since, clock.due_on) == (
        "paused",
        date(2026, 9, 10),
        date(2026, 9, 16),
    )
    clock = clock_resume(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 13))
    assert (clock.state, clock.paused_since, clock.paused_days) == ("running", None, 3)
    # 09-16 + 3 = 09-19, a Saturday (rest) → 09-20, a make-up Sunday (working): Art. 203.
    assert clock.due_on == date(2026, 9, 20)
    assert [a for a, _ in timeline()] == ["clock.start", "clock.pause", "clock.resume"]
    resume = AuditEvent.objects.get(action="clock.resume")
    assert resume.before["due_on"] == "2026-09-16" and resume.after["due_on"] == "2026-09-20"
    assert resume.after["paused_days_added"] == 3


def test_a_working_day_clock_does_not_count_the_working_days_of_its_pause(personas):
    start(personas, rule=ClockRule.WORKING_DAYS, start_on=date(2026, 9, 28), days=5)
    # 09-29, 09-30, 10-08, 10-09, 10-10 (make-up Saturday)
    assert clocks_for("petitions.petition", 42)["handle_by"].due_on == date(2026, 10, 10)
    clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 30))
    clock = clock_resume(actor=None, **SUBJECT, name="handle_by", on=date(2026, 10, 9))
    assert clock.paused_days == 2  # 09-30 and 10-08; the holidays were not counted anyway
    assert clock.due_on == date(2026, 10, 13)  # 10-10, 10-12, 10-13 after 10-09


def test_extension(personas):
    start(personas, start_on=date(2026, 8, 3), days=60)
    clock = clock_extend(actor=personas.same, **SUBJECT, name="handle_by", days=30, reason="复杂")
    assert (clock.extra_days, clock.due_on, clock.version) == (30, date(2026, 11, 2), 2)
    event = AuditEvent.objects.get(action="clock.extend")
    assert event.after["added_days"] == 30 and event.after["reason"] == "复杂"
    for bad in (0, -3, "5"):
        with pytest.raises(ValidationError):
            clock_extend(actor=None, **SUBJECT, name="handle_by", days=bad)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (date(2026, 9, 16), ClockState.MET),  # the start day itself
        (date(2026, 10, 8), ClockState.MET),  # the due date: the last day ends at 24:00
        (date(2026, 10, 9), ClockState.MISSED),
    ],
)
def test_stop_is_met_on_or_before_the_due_date(personas, on, state):
    start(personas)
    clock = clock_stop(actor=personas.member, **SUBJECT, name="handle_by", on=on)
    assert (clock.state, clock.stopped_on) == (state, on)
    with pytest.raises(ValidationError):
        clock_stop(actor=None, **SUBJECT, name="handle_by", on=on)
    with pytest.raises(ValidationError):
        clock_extend(actor=None, **SUBJECT, name="handle_by", days=1)
    with pytest.raises(ValidationError):
        clock_cancel(actor=None, **SUBJECT, name="handle_by")


def test_stop_while_paused_does_not_count_the_pause(personas):
    start(personas, start_on=date(2026, 9, 1), days=15)  # due 09-16
    clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 14))
    clock = clock_stop(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 18))
    assert (clock.state, clock.paused_days, clock.paused_since) == ("met", 4, None)
    assert clock.due_on == date(2026, 9, 20)


def test_pause_and_resume_refusals(personas):
    start(personas)  # 09-16 → 10-08
    with pytest.raises(ValidationError):
        clock_resume(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 20))
    with pytest.raises(ValidationError):
        clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 1))
    with pytest.raises(ValidationError):
        clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 10, 9))  # overdue
    clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 20))
    with pytest.raises(ValidationError):
        clock_pause(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 21))
    with pytest.raises(ValidationError):
        clock_resume(actor=None, **SUBJECT, name="handle_by", on=date(2026, 9, 19))
    with pytest.raises(ValidationError) as exc:
        clock_pause(actor=None, **SUBJECT, name="review_by", on=date(2026, 9, 20))
    assert "name" in exc.value.message_dict


def test_move_unit_moves_open_clocks_only(personas):
    start(personas, name="accept_by")
    start(personas, name="handle_by")
    clock_stop(actor=None, **SUBJECT, name="accept_by", on=date(2026, 9, 17))
    moved = clock_move_unit(
        actor=personas.parent, **SUBJECT, unit=personas.city.T2, responsible=personas.sibling
    )
    assert [c.name for c in moved] == ["handle_by"]
    clocks = clocks_for("petitions.petition", 42)
    assert clocks["handle_by"].unit == personas.city.T2
    assert clocks["handle_by"].responsible == personas.sibling
    assert clocks["accept_by"].unit == personas.city.T1  # met in T1, counts for T1
    event = AuditEvent.objects.get(action="clock.move_unit")
    assert event.after["unit"] == "T2" and event.object_repr == "handle_by"
    assert (
        clock_move_unit(actor=None, **SUBJECT, unit=personas.city.T2, responsible=personas.sibling)
        == []
    )


def test_a_domain_service_combines_clock_services_in_one_transaction(personas):
    """petition_accept-like: stop accept_by and start handle_by atomically."""
    start(personas, name="accept_by")
    with transaction.atomic():
        clock_stop(actor=None, **SUBJECT, name="accept_by", on=date(2026, 9, 18))
        start(personas, name="handle_by", start_on=date(2026, 9, 18), days=60)
    assert {n: c.state for n, c in clocks_for("petitions.petition", 42).items()} == {
        "accept_by": "met",
        "handle_by": "running",
    }
    with pytest.raises(RuntimeError), transaction.atomic():
        clock_extend(actor=None, **SUBJECT, name="handle_by", days=10)
        raise RuntimeError("the domain service fails after the clock changed")
    assert clocks_for("petitions.petition", 42)["handle_by"].extra_days == 0


def test_clocks_for_is_one_query(personas, django_assert_num_queries):
    for name in ("accept_by", "handle_by", "review_request_by"):
        start(personas, name=name)
    clock_cancel(actor=None, **SUBJECT, name="review_request_by")
    with django_assert_num_queries(1):
        clocks = clocks_for("petitions.petition", 42)
    assert set(clocks) == {"accept_by", "handle_by"}
    assert clocks_for("petitions.petition", 43) == {}


# --- hours clocks (493号令 Art. 9, 11) -----------------------------------------------------------

CST = timezone(timedelta(hours=8))
INFORMED = datetime(2026, 9, 30, 23, 30, tzinfo=CST)


def start_hours(personas, name="county_report_by", hours=1, **kw):
    return clock_start(
        actor=None,
        subject_type="safety.accident",
        subject_id=7,
        name=name,
        unit=personas.city.T1,
        rule=ClockRule.HOURS,
        start_at=kw.pop("start_at", INFORMED),
        hours=hours,
        **kw,
    )


def test_an_hours_clock_is_due_to_the_minute_and_keeps_local_dates(personas):
    clock = start_hours(personas)
    assert clock.due_at == datetime(2026, 10, 1, 0, 30, tzinfo=CST)
    # start_on and due_on are the local (Asia/Shanghai) dates, for the date-based queries
    assert (clock.start_on, clock.due_on, clock.days) == (date(2026, 9, 30), date(2026, 10, 1), 1)
    event = AuditEvent.objects.get(action="clock.start", object_type="safety.accident")
    assert event.after["due_at"] == "2026-10-01T00:30:00+08:00"


@pytest.mark.parametrize(
    ("minutes_after", "state"),
    [(0, ClockState.MET), (60, ClockState.MET), (61, ClockState.MISSED)],
)
def test_stopping_an_hours_clock_compares_the_time_with_due_at(personas, minutes_after, state):
    start_hours(personas)
    at = INFORMED + timedelta(minutes=minutes_after)
    clock = clock_stop(
        actor=None, subject_type="safety.accident", subject_id=7, name="county_report_by", at=at
    )
    assert (clock.state, clock.stopped_on) == (state, at.date())
    event = AuditEvent.objects.get(action="clock.stop")
    assert event.after["stopped_at"] == at.isoformat()


def test_hours_clock_refusals(personas):
    with pytest.raises(ValidationError) as exc:
        start_hours(personas, start_at=datetime(2026, 9, 30, 23, 30))  # naive
    assert "start_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start_hours(personas, hours=-1)
    assert "hours" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start_hours(personas, start_on=date(2026, 9, 29))
    assert "start_on" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # a days clock takes no time of day
        start(personas, start_at=INFORMED)
    assert "start_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        start(personas, hours=2)
    assert "hours" in exc.value.message_dict
    start_hours(personas)
    key = {"subject_type": "safety.accident", "subject_id": 7, "name": "county_report_by"}
    with pytest.raises(ValidationError) as exc:  # the law stops no hour clock
        clock_pause(actor=None, **key, on=date(2026, 9, 30))
    assert "name" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # an hours clock needs the moment
        clock_stop(actor=None, **key, on=date(2026, 10, 1))
    assert "at" in exc.value.message_dict
    with pytest.raises(ValidationError):
        clock_stop(actor=None, **key, at=INFORMED - timedelta(minutes=1))
    with pytest.raises(IntegrityError), transaction.atomic():
        Clock.objects.filter(name="county_report_by").update(due_at=None)


def test_an_hours_clock_extends_by_hours(personas):
    start_hours(personas, name="city_report_by", hours=2)
    clock = clock_extend(
        actor=None,
        subject_type="safety.accident",
        subject_id=7,
        name="city_report_by",
        days=1,
        reason="test",
    )
    assert clock.due_at == datetime(2026, 10, 1, 2, 30, tzinfo=CST)
    assert clock.due_on == date(2026, 10, 1)


def test_a_days_clock_may_be_stopped_with_a_moment(personas):
    start(personas)  # 09-16 → 10-08
    clock = clock_stop(
        actor=None, **SUBJECT, name="handle_by", at=datetime(2026, 10, 8, 23, 59, tzinfo=CST)
    )
    assert (clock.state, clock.stopped_on) == (ClockState.MET, date(2026, 10, 8))
