"""The 督办 sweep: who is told at each step, once, set-based, across reruns and interruptions."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anxin.core.models import AuditEvent
from anxin.supervision import escalation
from anxin.supervision.escalation import escalation_sweep
from anxin.supervision.models import Escalation, Notification, OutboxMessage
from anxin.supervision.services import clock_set_leader
from anxin.supervision.signals import clocks_overdue, deadline_warning

from .conftest import NOW, overdue_clocks, start

pytestmark = pytest.mark.django_db


def told(clock) -> dict[str, set[str]]:
    """level → usernames notified about ``clock``."""
    out: dict[str, set[str]] = {}
    for n in Notification.objects.filter(dedupe_key__startswith=f"clock:{clock.pk}:"):
        level = n.dedupe_key.split(":")[2]
        out.setdefault(level, set()).add(n.user.username)
    return out


@pytest.fixture
def clocks(personas, ladder):
    city = personas.city
    member = personas.member
    made = {
        # due today (Friday): yellow, a warning to the handler
        "today": start(1, city.T1, dt.date(2026, 11, 27), responsible=member),
        # due Monday 11-30: within one working day, yellow too
        "monday": start(2, city.T1, dt.date(2026, 11, 30), responsible=member),
        # due Wednesday 12-02: blue, nothing to send
        "blue": start(3, city.T1, dt.date(2026, 12, 2), responsible=member),
        # due Thursday: one working day overdue: the handler only
        "thu": start(4, city.T1, dt.date(2026, 11, 26), responsible=member),
        # due Tuesday: three working days overdue: handler and unit head
        "tue": start(5, city.T1, dt.date(2026, 11, 24), responsible=member),
        # due 11-10: thirteen working days overdue: the whole ladder, to the named leader
        "old": start(6, city.T1, dt.date(2026, 11, 10), responsible=member),
        # the same, nobody responsible and no leader named: the fall-backs
        "orphan": start(7, city.T1, dt.date(2026, 11, 10)),
        # out of the ladder's reach in another district
        "t3": start(8, city.T3, dt.date(2026, 11, 10)),
    }
    clock_set_leader(
        actor=None, subject_type="petitions.petition", subject_id=6, leader=ladder.leader
    )
    return made


def test_each_step_goes_to_the_right_people(personas, ladder, clocks):
    result = escalation_sweep(now=NOW)

    assert told(clocks["today"]) == {"warning": {"member"}}
    assert told(clocks["monday"]) == {"warning": {"member"}}
    assert told(clocks["blue"]) == {}
    assert told(clocks["thu"]) == {"handler": {"member"}}
    assert told(clocks["tue"]) == {"handler": {"member"}, "unit_head": {"same"}}
    assert told(clocks["old"]) == {
        "handler": {"member"},
        "unit_head": {"same"},
        "supervisor": {"sup"},  # the nearest supervising office (D1), not the city's
        "leader": {"leader"},
    }
    assert told(clocks["orphan"]) == {
        "handler": {"same"},  # nobody responsible: the unit head of T1
        "unit_head": {"same"},
        "supervisor": {"sup"},
        "leader": {"parent"},  # no leader named: the unit head of the parent unit D1
    }
    # T3: its district D2 has no supervisor, so the city's supervising office is the nearest;
    # D2 has no unit head, so the leader step is recorded with nobody to tell.
    assert told(clocks["t3"]) == {
        "handler": {"outsider"},
        "unit_head": {"outsider"},
        "supervisor": {"citysup"},
    }
    assert Escalation.objects.filter(clock=clocks["t3"]).count() == 4
    assert sorted(result.warned) == sorted([clocks["today"].pk, clocks["monday"].pk])
    assert len(result.escalated) == 1 + 2 + 4 + 4 + 4
    assert result.notifications == Notification.objects.count() == 2 + 1 + 2 + 4 + 4 + 3


def test_the_texts_name_the_item_the_unit_and_the_date(personas, ladder, clocks):
    escalation_sweep(now=NOW)
    note = Notification.objects.get(
        dedupe_key=f"clock:{clocks['thu'].pk}:handler:{personas.member.pk}"
    )
    assert note.kind == "deadline_overdue"
    assert note.title == "期限已过 · 信访事项"
    assert note.body == "一街道 · 办理期限 · 到期日期 2026-11-26"
    assert note.url == f"/supervision/clocks/{clocks['thu'].pk}/"
    warning = Notification.objects.get(
        dedupe_key=f"clock:{clocks['today'].pk}:warning:{personas.member.pk}"
    )
    assert warning.kind == "deadline_warning"
    assert warning.title == "期限将至 · 信访事项"


def test_outbox_follows_addresses_and_preferences(personas, ladder, clocks):
    from anxin.supervision.notifications import notification_preference_set

    notification_preference_set(
        actor=personas.same, kind="deadline_overdue", email=False, sms=False
    )
    escalation_sweep(now=NOW)
    emails = Counter(
        OutboxMessage.objects.filter(channel="email").values_list("user__username", flat=True)
    )
    # member: 2 warnings + 3 handler steps; same opted out; the leader, citysup and outsider
    # have no address
    assert emails == Counter({"member": 5, "sup": 2, "parent": 1})
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # SMS off by default
    message = OutboxMessage.objects.filter(user=personas.member, channel="email").first()
    assert message.status == "pending"
    assert message.body.endswith(f"/supervision/clocks/{message.dedupe_key.split(':')[1]}/")


def test_a_second_run_sends_nothing_again(personas, ladder, clocks):
    escalation_sweep(now=NOW)
    first = Notification.objects.count()
    outbox = OutboxMessage.objects.count()
    again = escalation_sweep(now=NOW)
    assert again.warned == [] and again.escalated == [] and again.notifications == 0
    assert Notification.objects.count() == first
    assert OutboxMessage.objects.count() == outbox
    assert Escalation.objects.count() == 2 + 1 + 2 + 4 + 4 + 4


def test_later_steps_come_as_time_passes(personas, ladder, clocks):
    escalation_sweep(now=NOW)
    assert set(told(clocks["thu"])) == {"handler"}
    # Monday 11-30: Thursday's deadline is two working days behind (Fri, Mon)
    later = escalation_sweep(now=NOW + dt.timedelta(days=3))
    assert (clocks["thu"].pk, "unit_head") in later.escalated
    assert set(told(clocks["thu"])) == {"handler", "unit_head"}
    # the Friday clock is now overdue: its handler step, its warning is not repeated
    assert set(told(clocks["today"])) == {"warning", "handler"}


def test_clocks_stopped_or_paused_are_left_alone(personas, ladder, clocks):
    from anxin.supervision.services import clock_stop

    clock_stop(
        actor=None,
        subject_type="petitions.petition",
        subject_id=4,
        name="handle_by",
        on=dt.date(2026, 11, 26),
    )
    escalation_sweep(now=NOW)
    assert told(clocks["thu"]) == {}


def test_one_audit_event_per_batch(personas, ladder, clocks):
    escalation_sweep(now=NOW, batch_size=3)
    events = AuditEvent.objects.filter(action="clock.escalate").order_by("id")
    assert events.count() == 3  # 8 candidate clocks - the blue one = 7, in batches of 3
    recorded = [tuple(x) for e in events for x in e.after["escalated"]]
    assert len(recorded) == len(set(recorded)) == 15


def test_signals_after_commit(personas, ladder, clocks, django_capture_on_commit_callbacks):
    seen: dict[str, list] = {}

    def on_warning(sender, clock_ids, **kw):
        seen.setdefault("warning", []).extend(clock_ids)

    def on_overdue(sender, clock_ids, escalations, **kw):
        seen.setdefault("overdue", []).extend(clock_ids)
        seen.setdefault("steps", []).extend(escalations)

    deadline_warning.connect(on_warning)
    clocks_overdue.connect(on_overdue)
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            escalation_sweep(now=NOW)
        assert seen == {}  # nothing before the commit
        for callback in callbacks:
            callback()
    finally:
        deadline_warning.disconnect(on_warning)
        clocks_overdue.disconnect(on_overdue)
    assert sorted(seen["warning"]) == sorted([clocks["today"].pk, clocks["monday"].pk])
    assert sorted(seen["overdue"]) == sorted(
        clocks[k].pk for k in ("thu", "tue", "old", "orphan", "t3")
    )
    assert len(seen["steps"]) == 15


# --- Set-based: the query count does not grow with the number of clocks ---------------------


def sweep_queries(n: int, personas) -> int:
    overdue_clocks(personas.city.T1, n, first_id=10_000 + n * 100)
    with CaptureQueriesContext(connection) as ctx:
        result = escalation_sweep(now=NOW)
    # each clock reached all four steps, and each step was notified
    assert len(result.escalated) == 4 * n
    return len(ctx.captured_queries)


def test_queries_do_not_depend_on_the_number_of_clocks(personas, ladder):
    few = sweep_queries(5, personas)
    many = sweep_queries(50, personas)
    assert few == many
    assert few <= 30


def test_query_bound_with_the_pytest_fixture(personas, ladder, django_assert_max_num_queries):
    overdue_clocks(personas.city.T1, 50)
    with django_assert_max_num_queries(30):
        escalation_sweep(now=NOW)


# --- Interrupted runs -----------------------------------------------------------------------


def expected_notices(personas):
    return {
        ("handler", personas.same.pk),
        ("unit_head", personas.same.pk),
        ("supervisor", None),
        ("leader", personas.parent.pk),
    }


def assert_exactly_once(clocks, ladder, personas):
    for clock in clocks:
        keys = list(
            Notification.objects.filter(dedupe_key__startswith=f"clock:{clock.pk}:").values_list(
                "dedupe_key", "user_id"
            )
        )
        assert sorted(k.split(":")[2] for k, _ in keys) == [
            "handler",
            "leader",
            "supervisor",
            "unit_head",
        ]
        assert {uid for _, uid in keys} == {
            personas.same.pk,
            ladder.supervisor.pk,
            personas.parent.pk,
        }
    assert Escalation.objects.count() == 4 * len(clocks)


def test_a_run_interrupted_after_its_first_batch_then_rerun(personas, ladder, monkeypatch):
    clocks = overdue_clocks(personas.city.T1, 5)

    def crash(batch_number):
        raise RuntimeError("killed")

    monkeypatch.setattr(escalation, "_batch_done", crash)
    with pytest.raises(RuntimeError):
        escalation_sweep(now=NOW, batch_size=2)
    assert Escalation.objects.values("clock").distinct().count() == 2  # the first batch only
    monkeypatch.undo()
    rerun = escalation_sweep(now=NOW, batch_size=2)
    assert len(rerun.escalated) == 4 * 3  # the three clocks the killed run never reached
    assert_exactly_once(clocks, ladder, personas)


def test_a_run_killed_inside_a_batch_leaves_no_trace_of_it(personas, ladder, monkeypatch):
    clocks = overdue_clocks(personas.city.T1, 5)
    real = escalation.audit_record
    calls = {"n": 0}

    def audit_then_die(**kw):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed in the middle of batch 2")
        return real(**kw)

    monkeypatch.setattr(escalation, "audit_record", audit_then_die)
    with pytest.raises(RuntimeError):
        escalation_sweep(now=NOW, batch_size=2)
    # batch 2 rolled back entirely: its steps and notices are gone together
    assert Escalation.objects.values("clock").distinct().count() == 2
    assert Notification.objects.filter(dedupe_key__startswith=f"clock:{clocks[2].pk}:").count() == 0
    monkeypatch.undo()
    escalation_sweep(now=NOW, batch_size=2)
    assert_exactly_once(clocks, ladder, personas)


# --- Concurrent runs (PostgreSQL) -------------------------------------------------------------


@pytest.mark.dbdep
@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_send_no_duplicates(personas, ladder):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    clocks = overdue_clocks(personas.city.T1, 40)
    barrier = threading.Barrier(3)
    results: list = []
    errors: list = []

    def run():
        from django.db import connections

        try:
            barrier.wait()
            for _ in range(2):
                results.append(escalation_sweep(now=NOW, batch_size=7))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    claimed = Counter(step for r in results for step in r.escalated)
    assert len(claimed) == 4 * 40 and set(claimed.values()) == {1}  # each step claimed once
    assert sum(r.notifications for r in results) == Notification.objects.count() == 4 * 40
    assert_exactly_once(clocks, ladder, personas)


def test_the_periodic_jobs_run_the_sweep_and_the_outbox(personas, ladder):
    from django.core import mail

    from config.schedule import supervision_outbox_job, supervision_sweep_job

    overdue_clocks(personas.city.T1, 2)
    # two clocks, four steps each, whatever "now" is (due 2026-11-10, long past)
    assert supervision_sweep_job.call_local() == 8
    assert supervision_sweep_job.call_local() == 0
    # same (handler, unit head), sup and parent have addresses: 2 × 4 e-mails
    assert supervision_outbox_job.call_local() == 8
    assert len(mail.outbox) == 8
    assert supervision_outbox_job.call_local() == 0


def test_a_consumer_freezes_its_start_up_once(monkeypatch):
    """The start-up hook collects, then freezes what start-up left, in the first worker only."""
    import gc
    import threading

    from config import schedule

    calls: list[str] = []
    monkeypatch.setattr(schedule, "_frozen", threading.Lock())
    monkeypatch.setattr(gc, "collect", lambda *a: calls.append("collect") or 0)
    monkeypatch.setattr(gc, "freeze", lambda: calls.append("freeze"))
    schedule.freeze_start_up()
    schedule.freeze_start_up()
    assert calls == ["collect", "freeze"]


def test_the_command_runs_the_sweep(personas, ladder):
    from io import StringIO

    from django.core.management import call_command

    overdue_clocks(personas.city.T1, 1)
    out = StringIO()
    call_command("supervision_sweep", "--send", stdout=out)
    assert out.getvalue() == (
        "warned 0 clock(s), 4 escalation step(s), 4 notification(s) in 1 batch(es)\n"
        "sent 4 message(s)\n"
    )


# --- Planner statistics after a large sweep (PostgreSQL) ---------------------------------------


@pytest.mark.dbdep
def test_a_sweep_that_grew_its_tables_has_them_analyzed(personas, ladder, monkeypatch):
    """The tables' statistics are refreshed once a sweep has added more than a tenth to them,
    in a fixed number of queries (one to read the sizes, one ANALYZE); never on SQLite."""
    overdue_clocks(personas.city.T1, 6)
    monkeypatch.setattr(escalation, "ANALYZE_AFTER", 4)
    with CaptureQueriesContext(connection) as ctx:
        result = escalation_sweep(now=NOW, batch_size=3)
    analyzed = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("ANALYZE")]
    if connection.vendor != "postgresql":
        assert analyzed == []
        return
    # 6 clocks × 4 steps in two batches of 3: 12 notices each, checked after each batch
    assert result.batches == 2 and result.notifications == 24
    assert len(analyzed) >= 1
    assert analyzed[0] == (
        'ANALYZE "supervision_escalation", "supervision_notification", "supervision_outboxmessage"'
    )
    # nothing grown by a tenth: no ANALYZE
    assert escalation._analyze_if_grown(0) is False


def test_a_small_sweep_reads_no_statistics(personas, ladder):
    overdue_clocks(personas.city.T1, 2)
    with CaptureQueriesContext(connection) as ctx:
        escalation_sweep(now=NOW)
    assert not [q for q in ctx.captured_queries if "pg_class" in q["sql"] or "ANALYZE" in q["sql"]]


# --- What each row costs to write ------------------------------------------------------------


def test_the_sweeps_tables_carry_no_index_or_foreign_key_it_does_not_read():
    """No index on the batch token (a batch finds its rows by primary key and token), none on
    the outbox's person (nothing reads it by person), and no database foreign keys (each row's
    clock or person is selected by the statement that writes it)."""
    intro = connection.introspection
    with connection.cursor() as cursor:
        tables = {
            m: intro.get_constraints(cursor, m._meta.db_table)
            for m in (Escalation, Notification, OutboxMessage)
        }
    for model, constraints in tables.items():
        assert [n for n, c in constraints.items() if c["foreign_key"]] == [], model
    indexed = {
        model: sorted(tuple(c["columns"]) for c in constraints.values() if c["index"])
        for model, constraints in tables.items()
    }
    assert ("run",) not in indexed[Escalation]
    assert ("user_id",) not in indexed[OutboxMessage]


def test_a_batch_notifies_exactly_the_rows_it_inserted(personas, ladder, clocks, monkeypatch):
    """Rows recorded before the batch (lower ids, another token) are neither notified again nor
    counted in its audit event; only the batch's own rows are."""
    escalation_sweep(now=NOW)
    earlier = set(Escalation.objects.values_list("clock_id", "level"))
    notices = Notification.objects.count()
    later = start(9, personas.city.T1, dt.date(2026, 11, 26), responsible=personas.member)
    result = escalation_sweep(now=NOW)
    assert result.escalated == [(later.pk, "handler")] and result.warned == []
    assert Notification.objects.count() == notices + 1
    assert set(Escalation.objects.values_list("clock_id", "level")) == earlier | {
        (later.pk, "handler")
    }
    event = AuditEvent.objects.filter(action="clock.escalate").order_by("-id").first()
    assert event.after["escalated"] == [[later.pk, "handler"]]


def test_deleting_a_clock_or_a_person_still_deletes_their_rows(personas, ladder, clocks):
    """Without database foreign keys, Django's CASCADE still removes a clock's steps and a
    person's inbox and outbox."""
    escalation_sweep(now=NOW)
    old = clocks["old"]
    assert Escalation.objects.filter(clock_id=old.pk).count() == 4
    old.delete()
    assert not Escalation.objects.filter(clock_id=old.pk).exists()
    member = personas.member
    assert Notification.objects.filter(user=member).exists()
    assert OutboxMessage.objects.filter(user=member).exists()
    member.delete()
    assert not Notification.objects.filter(user_id=member.pk).exists()
    assert not OutboxMessage.objects.filter(user_id=member.pk).exists()
