"""Escalation side by side: Anxin's sweep and django-helpdesk 2.6.1's ``escalate_tickets``.

    python -m bench.escalation --items 5000 --helpdesk-json var/bench/helpdesk-5000.json \
        --out var/bench/escalation-5000.json

Runs on the (empty, migrated) database ``DATABASE_URL`` names. Writes ``--items`` running
clocks overdue by one working day, each with a responsible handler who has an e-mail address
(so each reaches the first step of the ladder once and is notified), then times:

- ``escalation_sweep()`` — the set-based sweep (its queries counted), and
- ``outbox_deliver()`` until the outbox is empty, with Django's dummy e-mail backend — the
  notices actually handed to the mail backend, one per item, as helpdesk's loop does.

The end state is checked, not assumed: N escalation steps, N inbox notifications, N e-mails
handed to the (counting) dummy backend and recorded as sent. The process's URLconf is loaded
before the clock starts, as in a running worker (and as the helpdesk side does). Wall seconds
are the issue's figure; CPU seconds of this process plus its PostgreSQL backend are reported
too, because the bench machine is shared and wall time moves with the others' load.

The helpdesk figure comes from ``bench/helpdesk/escalate.py`` (run in its own virtualenv on the
same PostgreSQL cluster, same N, its end state checked the same way: N tickets escalated once,
N follow-ups, N e-mails to the owners); ``escalation_speedup`` = helpdesk seconds / Anxin
seconds (sweep + e-mails).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path
from typing import Any

from django.core.mail.backends.dummy import EmailBackend as DummyBackend

from bench.measure import Bench, _setup


class CountingBackend(DummyBackend):
    """Django's dummy e-mail backend (sends nothing) that counts what it is handed."""

    handed = 0

    def send_messages(self, email_messages: Any) -> int:
        CountingBackend.handed += len(email_messages)
        return super().send_messages(email_messages)


class CpuClock:
    """CPU seconds (user + system) of this process and of its PostgreSQL backend.

    The machine is shared: wall time grows with the load of others, CPU time much less. The
    backend's figure comes from ``/proc/<pid>/stat`` (the throwaway cluster is local); where it
    cannot be read, only this process is counted and ``backend`` is False.
    """

    def __init__(self, connection: Any) -> None:
        self.pid = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
        self.backend = self._backend() is not None

    def _backend(self) -> float | None:
        if self.pid is None:
            return None
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def __call__(self) -> float:
        return time.process_time() + (self._backend() or 0.0)

    def parts(self) -> tuple[float, float]:
        """This process's CPU seconds and its backend's, apart."""
        return time.process_time(), self._backend() or 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", default="postgresql")
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--helpdesk-json", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    _setup()
    from django.conf import settings
    from django.db import connection
    from django.urls import reverse
    from django.utils import timezone

    from anxin.core.bulk import BulkWriter, bulk_session, next_id, reset_sequences
    from anxin.core.calendar import WorkingCalendar
    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit, User
    from anxin.core.services import role_assign, user_create
    from anxin.supervision.escalation import escalation_sweep
    from anxin.supervision.models import Clock, Escalation, Notification, OutboxMessage
    from anxin.supervision.notifications import outbox_deliver

    # this module as run (``__main__`` under ``python -m``): the class whose counter is read
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    township = Unit.objects.filter(kind=UnitKind.TOWNSHIP).order_by("pk").first()
    assert township is not None, "load_units first"
    handler = User.objects.filter(username="bench_handler").first()
    if handler is None:
        handler, _ = user_create(
            actor=None,
            username="bench_handler",
            name="bench_handler",
            unit=township,
            email="handler@example.test",
            password="Bench-2026-pass",
            must_change_password=False,
        )
        role_assign(actor=None, user=handler, role=Role.HANDLER, unit=township)
    now = timezone.now()
    today = timezone.localdate(now)
    calendar = WorkingCalendar()
    # the last working day before today: one working day overdue, the ladder's first step only
    due = today - dt.timedelta(days=1)
    while not calendar.is_working_day(due):
        due -= dt.timedelta(days=1)
    first = next_id(Clock)
    fields = [
        "subject_type", "subject_id", "name", "unit_id", "responsible_id", "rule", "start_on",
        "days", "due_on", "state", "created_at", "updated_at",
    ]  # fmt: skip
    start = due - dt.timedelta(days=30)
    with bulk_session():
        BulkWriter(Clock, fields).write(
            (
                "petitions.petition",
                10_000_000 + first + i,
                "handle_by",
                township.pk,
                handler.pk,
                "fixed",
                start,
                30,
                due,
                "running",
                now,
                now,
            )  # fmt: skip
            for i in range(args.items)
        )
    reset_sequences([Clock])
    # a running worker has its URLconf loaded and its reverse map built (the sweep reverses one
    # URL): both before the clock starts, as bench/helpdesk/escalate.py does for helpdesk's
    reverse("supervision_clock_go", args=[0])
    # and has frozen what start-up allocated (config/schedule.py's hook, run at consumer start)
    from config.schedule import freeze_start_up

    freeze_start_up()
    cpu = CpuClock(connection)
    executed = [0]

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed[0] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        p0, c0, t0 = cpu.parts(), cpu(), time.perf_counter()
        result = escalation_sweep(now=now)
        sweep_seconds, sweep_cpu = time.perf_counter() - t0, cpu() - c0
        p1 = cpu.parts()
        sweep_queries = executed[0]
        c1, t1 = cpu(), time.perf_counter()
        sent = 0
        while batch := outbox_deliver(limit=1000, now=now):
            sent += batch
        send_seconds, send_cpu = time.perf_counter() - t1, cpu() - c1
        p2 = cpu.parts()
        send_queries = executed[0] - sweep_queries
    total, total_cpu = sweep_seconds + send_seconds, sweep_cpu + send_cpu
    n = args.items
    # the end state: each item escalated once, its notice in the inbox, its e-mail handed to the
    # mail backend and recorded as sent
    steps = Escalation.objects.count()
    notices = Notification.objects.count()
    recorded = OutboxMessage.objects.filter(status="sent", channel="email").count()
    assert steps == notices == recorded == CountingBackend.handed == sent == n, (
        steps,
        notices,
        recorded,
        CountingBackend.handed,
        sent,
    )
    assert len(result.escalated) == n and not result.warned
    bench = Bench(args.db, n)
    bench.add("escalation sweep wall time", sweep_seconds, "s", 30 if n >= 1_000_000 else None)
    bench.add("escalation sweep queries", sweep_queries, "queries")
    bench.add("escalation sweep queries per item", sweep_queries / n, "queries")
    bench.add("escalation e-mails sent (outbox)", send_seconds, "s")
    bench.add("escalation e-mail queries per item", send_queries / n, "queries")
    bench.add("escalation total (sweep + e-mails)", total, "s")
    if cpu.backend:
        bench.add("escalation total CPU (client + PostgreSQL)", total_cpu, "s")
        # where it goes: Python and PostgreSQL, sweep and e-mails
        bench.add("escalation sweep CPU (Python)", p1[0] - p0[0], "s")
        bench.add("escalation sweep CPU (PostgreSQL)", p1[1] - p0[1], "s")
        bench.add("escalation e-mails CPU (Python)", p2[0] - p1[0], "s")
        bench.add("escalation e-mails CPU (PostgreSQL)", p2[1] - p1[1], "s")
    bench.add("escalation steps recorded", steps, "rows")
    bench.add("escalation notifications", notices, "rows")
    bench.add("escalation e-mails handed to the backend", CountingBackend.handed, "messages")
    if args.helpdesk_json and args.helpdesk_json.exists():
        hd = json.loads(args.helpdesk_json.read_text())
        same = hd["items"] == n == hd["escalated"] == hd["followups"]
        assert same, f"helpdesk's end state differs: {hd}"
        bench.add("helpdesk escalate_tickets wall time", hd["seconds"], "s")
        bench.add("helpdesk queries per item", hd["queries"] / hd["items"], "queries")
        bench.add("helpdesk e-mails handed to the backend", hd.get("emails", 0), "messages")
        bench.add("escalation_speedup", hd["seconds"] / total, "ratio", 100, higher_is_better=True)
        if cpu.backend and hd.get("cpu_seconds"):
            bench.add("helpdesk escalate_tickets CPU", hd["cpu_seconds"], "s")
            bench.add("escalation_speedup (CPU)", hd["cpu_seconds"] / total_cpu, "ratio")
        print(
            f"side by side, {n} overdue items on the same PostgreSQL: django-helpdesk "
            f"escalate_tickets {hd['seconds']:.2f} s ({hd['queries'] / n:.1f} queries/item, "
            f"{hd['escalated']} escalated, {hd['followups']} follow-ups, {hd.get('emails')} "
            f"e-mails) vs Anxin sweep {sweep_seconds:.2f} s + outbox {send_seconds:.2f} s "
            f"({(sweep_queries + send_queries) / n:.3f} queries/item, {steps} escalations, "
            f"{notices} notifications, {CountingBackend.handed} e-mails): "
            f"{hd['seconds'] / total:.1f}x",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(bench.figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
