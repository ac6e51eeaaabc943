"""Crash safety on loopback (issue 8, item 5): ``make crash`` (and the end of ``make soak``).

    python -m bench.crash huey [--clocks 12000]   # DATABASE_URL: a migrated PostgreSQL
    python -m bench.crash web [--clients 8]       # DATABASE_URL unset: SQLite (WAL) in
                                                  # ANXIN_VAR_DIR, migrated

``scripts/crash.sh`` prepares both databases and runs both parts, each with a private
``ANXIN_VAR_DIR`` (so a private Huey queue, SQLite file and keys).

**huey** — ``--clocks`` running clocks overdue by a month, each with a responsible handler, a
unit head, a 督查员 and a leader who all have an e-mail address: the sweep records 4 steps per
clock and each step notifies exactly one person (one inbox notification, one outbox e-mail).
A real consumer (``manage.py run_huey``, its own process group) is started, the sweep is
enqueued, and the consumer is killed with ``SIGKILL`` (the whole group) as soon as some but not
all escalations are committed. Then the consumer is started again and nothing else is done:
the restart itself must finish the sweep and send the outbox. Checked afterwards: every
(clock, level) escalated exactly once, exactly the expected inbox notification and outbox
e-mail per escalation, every e-mail sent, and each e-mail handed to the backend exactly once
(the backend, ``bench.mailrecord``, appends one line per message to a file).

**web** — gunicorn (2 workers) on the SQLite file; ``--clients`` threads post petitions to the
API with an API key. After a few seconds the master and the workers are killed with
``SIGKILL`` mid-run. Then, on the file: ``PRAGMA integrity_check`` is ``ok``,
``PRAGMA journal_mode`` is ``wal``, and every acknowledged petition (a 201 with its id and
number) is stored exactly once. gunicorn is started again and written to again; the same
checks once more.

Prints the counts and ``PASS``/``FAIL`` per check; exits 1 on any failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

from bench.intake import ROOT, free_port, start_gunicorn
from bench.measure import _setup

LEVELS = ("handler", "unit_head", "supervisor", "leader")


class Report:
    def __init__(self, part: str) -> None:
        self.part = part
        self.checks: list[tuple[str, bool, str]] = []
        self.figures: dict[str, Any] = {}

    def check(self, name: str, ok: bool, detail: Any = "") -> bool:
        self.checks.append((name, bool(ok), str(detail)))
        print(f"  [{'PASS' if ok else 'FAIL'}] {name}{f': {detail}' if detail != '' else ''}")
        return bool(ok)

    def note(self, name: str, value: Any) -> None:
        self.figures[name] = value
        print(f"  {name}: {value}")

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(ok for _n, ok, _d in self.checks)

    def save(self) -> None:
        out = Path(os.environ.get("CRASH_OUT", "var/crash"))
        out.mkdir(parents=True, exist_ok=True)
        (out / f"{self.part}.json").write_text(
            json.dumps(
                {
                    "part": self.part,
                    "ok": self.ok,
                    "figures": self.figures,
                    "checks": [{"name": n, "ok": ok, "detail": d} for n, ok, d in self.checks],
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        print(f"== crash {self.part}: {'PASS' if self.ok else 'FAIL'}")


def _killpg(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 10) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after ``timeout``."""
    if proc is None:
        return
    if proc.poll() is None:
        _killpg(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _killpg(proc)
            proc.wait(timeout=30)
    _killpg(proc)  # anything left in the group


def _group_gone(pgid: int, timeout: float = 10) -> bool:
    """True once no process of the group is left (zombies of other parents do not count)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


# --- huey -----------------------------------------------------------------------------------


def _seed_clocks(n: int) -> dict[str, int]:
    """``n`` clocks overdue by a month in one township; one person per step, each with e-mail."""
    from django.utils import timezone

    from anxin.core.bulk import BulkWriter, bulk_session, next_id, reset_sequences
    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit
    from anxin.core.services import role_assign, user_create
    from anxin.supervision.models import Clock

    township = Unit.objects.filter(kind=UnitKind.TOWNSHIP).order_by("pk").first()
    city = Unit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
    assert township is not None and city is not None, "load_units first"
    people: dict[str, int] = {}
    for name, role, unit in (
        ("handler", Role.HANDLER, township),
        ("unit_head", Role.UNIT_HEAD, township),
        ("supervisor", Role.SUPERVISOR, city),
        ("leader", None, township),
    ):
        user, _pw = user_create(
            actor=None,
            username=f"crash_{name}",
            name=f"crash_{name}",
            unit=unit,
            email=f"{name}@crash.example.test",
            password="Crash-2026-pass",
            must_change_password=False,
        )
        if role is not None:
            role_assign(actor=None, user=user, role=role, unit=unit)
        people[name] = user.pk
    now = timezone.now()
    due = timezone.localdate(now) - dt.timedelta(days=30)
    first = next_id(Clock)
    fields = [
        "subject_type", "subject_id", "name", "unit_id", "responsible_id", "leader_id", "rule",
        "start_on", "days", "due_on", "state", "created_at", "updated_at",
    ]  # fmt: skip
    with bulk_session():
        BulkWriter(Clock, fields).write(
            (
                "petitions.petition",
                20_000_000 + first + i,
                "handle_by",
                township.pk,
                people["handler"],
                people["leader"],
                "fixed",
                due - dt.timedelta(days=30),
                30,
                due,
                "running",
                now,
                now,
            )  # fmt: skip
            for i in range(n)
        )
    reset_sequences([Clock])
    return people


def _consumer(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "run_huey", "--workers", "1"],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _counts() -> dict[str, int]:
    from django.db import connection

    from anxin.supervision.models import Escalation, Notification, OutboxMessage

    counts = {
        "escalations": Escalation.objects.count(),
        "notifications": Notification.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "outbox_sent": OutboxMessage.objects.filter(status="sent").count(),
    }
    connection.close()  # a fresh snapshot each poll, and no idle transaction left open
    return counts


def run_huey(args: argparse.Namespace) -> Report:
    _setup()
    from django.conf import settings
    from django.db.models import Count

    from anxin.supervision.models import Escalation, Notification, OutboxMessage
    from anxin.supervision.notifications import MAIL_CHUNK

    report = Report("huey")
    assert settings.DATABASES["default"]["ENGINE"].endswith("postgresql"), "needs PostgreSQL"
    assert not settings.HUEY.get("immediate"), "the test profile runs tasks immediately"
    from huey.contrib.djhuey import HUEY

    from config.schedule import supervision_sweep_job

    n = args.clocks
    expected = 4 * n
    t0 = time.monotonic()
    people = _seed_clocks(n)
    report.note("clocks overdue", n)
    report.note("steps due (clock, level)", expected)
    report.note("seed seconds", round(time.monotonic() - t0, 1))
    mail_log = Path(os.environ["ANXIN_VAR_DIR"]) / "mail.log"
    mail_log.unlink(missing_ok=True)
    log = Path(os.environ["ANXIN_VAR_DIR"]) / "huey.log"
    env = dict(
        os.environ,
        EMAIL_BACKEND="bench.mailrecord.RecordingEmailBackend",
        CRASH_MAIL_LOG=str(mail_log),
        PYTHONPATH=str(ROOT),
    )
    consumer: subprocess.Popen[bytes] | None = None
    try:
        consumer = _consumer(env, log)
        supervision_sweep_job()  # enqueue, as the scheduler does every 15 minutes
        t_start = time.monotonic()
        deadline = t_start + args.timeout
        at_kill: dict[str, int] = {}
        while time.monotonic() < deadline:
            c = _counts()
            if 0 < c["escalations"] < expected:
                _killpg(consumer)
                consumer.wait(timeout=30)
                _group_gone(consumer.pid)
                at_kill = c
                break
            if c["escalations"] >= expected:
                break
            if consumer.poll() is not None:
                break
            time.sleep(0.05)
        killed = bool(at_kill)
        report.check(
            "consumer killed (SIGKILL, process group) mid-sweep",
            killed,
            f"after {time.monotonic() - t_start:.1f} s, {at_kill.get('escalations', 0)} of "
            f"{expected} steps committed"
            if killed
            else "the sweep finished or never started first; raise --clocks",
        )
        after_kill = _counts()
        report.note("escalations committed at the kill", after_kill["escalations"])
        report.note("notifications committed at the kill", after_kill["notifications"])
        report.note("outbox e-mails queued at the kill", after_kill["outbox"])
        report.check(
            "a notice for every committed step and none without one (at the kill)",
            after_kill["escalations"] == after_kill["notifications"] == after_kill["outbox"],
            f"{after_kill['escalations']} / {after_kill['notifications']} / {after_kill['outbox']}",
        )
        stale = HUEY.is_locked("supervision-sweep")
        report.note("sweep lock left behind by the killed consumer", stale)
        pending = HUEY.pending_count()
        report.note("tasks still queued after the kill", pending)
        if not killed:
            return report

        # the restart alone must finish the work: nothing is enqueued by hand
        t_restart = time.monotonic()
        consumer = _consumer(env, log)
        deadline = t_restart + args.timeout
        c = _counts()
        while time.monotonic() < deadline:
            c = _counts()
            if c["escalations"] >= expected and c["outbox_sent"] >= expected:
                break
            if consumer.poll() is not None:
                break
            time.sleep(0.5)
        report.note("restart to all sent (s)", round(time.monotonic() - t_restart, 1))
        time.sleep(1)  # a sender still running would show up below as a duplicate
        _stop(consumer)
        consumer = None
        kept = Path(os.environ.get("CRASH_OUT", "var/crash")) / "huey-consumer.log"
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_bytes(log.read_bytes() if log.exists() else b"")
        report.note("consumer log", str(kept))

        # --- the checks --------------------------------------------------------------------
        esc = Escalation.objects.filter(clock__subject_id__gte=20_000_000)
        per_step = esc.values("clock_id", "level").annotate(n=Count("id"))
        rows = esc.count()
        distinct = per_step.count()
        twice = per_step.filter(n__gt=1).count()
        report.check(
            "every due (clock, level) escalated exactly once",
            rows == distinct == expected and twice == 0,
            f"{rows} rows, {distinct} distinct, {twice} twice, expected {expected}",
        )
        per_clock = (
            esc.values("clock_id")
            .annotate(n=Count("level", distinct=True))
            .filter(n=len(LEVELS))
            .count()
        )
        report.check("every clock reached all four steps", per_clock == n, f"{per_clock} of {n}")
        want = {
            f"clock:{cid}:{level}:{people[level]}"
            for cid, level in esc.values_list("clock_id", "level")
        }
        got = Counter(Notification.objects.values_list("dedupe_key", flat=True))
        report.check(
            "exactly one inbox notification per escalation, to the right person",
            set(got) == want and set(got.values()) == {1},
            f"{sum(got.values())} notifications, {len(want - set(got))} missing, "
            f"{len(set(got) - want)} unexpected",
        )
        box = Counter(OutboxMessage.objects.values_list("dedupe_key", flat=True))
        want_box = {f"{k}:email" for k in want}
        report.check(
            "exactly one outbox e-mail per escalation",
            set(box) == want_box and set(box.values()) == {1},
            f"{sum(box.values())} messages, {len(want_box - set(box))} missing, "
            f"{len(set(box) - want_box)} unexpected",
        )
        sent = OutboxMessage.objects.filter(status="sent").count()
        report.check("every e-mail sent", sent == expected, f"{sent} of {expected}")
        lines = mail_log.read_text().split() if mail_log.exists() else []
        handed = Counter(lines)
        repeated = sum(v - 1 for v in handed.values())
        # Every e-mail reaches the backend; a kill that lands while the outbox job is handing a
        # chunk over rolls that chunk's record back, so at most that one chunk is handed over
        # again after the restart (at least once, never lost: docs/security.md §4d). The kill
        # here aims at the sweep, so this is normally 0.
        report.check(
            "every e-mail handed to the backend, none lost, at most one chunk again",
            len(handed) == expected and repeated <= MAIL_CHUNK,
            f"{len(lines)} hand-overs, {len(handed)} distinct, {repeated} repeated",
        )
        report.check(
            "the restart left no sweep lock behind",
            not HUEY.is_locked("supervision-sweep"),
        )
    finally:
        _stop(consumer)
        report.save()
    return report


# --- web on SQLite ----------------------------------------------------------------------------


def _poster(
    port: int, key: str, run: str, stop: threading.Event, out: dict[str, Any], limit: int = 0
) -> None:
    """Post petitions until ``stop`` (or ``limit`` sent); record (title, id, number) of each 201."""
    from bench.soak import _request

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = 0
    while not stop.is_set() and not (limit and sent >= limit):
        sent += 1
        with out["lock"]:
            i = next(out["serial"])
        title = f"崩溃{run}-{i} 小区噪音扰民"
        body = {
            "channel": "web",
            "kind": "claim",
            "category": out["category"],
            "title": title,
            "content": "晚上十点以后广场舞音响声音很大，影响老人和孩子休息，请求协调处理。",
            "unit": out["unit"],
            "complainants": [{"name": "张三", "phone": "13800000000"}],
        }
        try:
            status, data, _c = _request(
                conn,
                "POST",
                "/api/v1/petitions",
                json.dumps(body),
                **{"Content-Type": "application/json", "Authorization": f"Bearer {key}"},
            )
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with out["lock"]:
                out["errors"] += 1
            time.sleep(0.05)
            continue
        with out["lock"]:
            if status == 201:
                reply = json.loads(data)
                if reply.get("id") and reply.get("number"):
                    out["acked"].append((title, reply["id"], reply["number"]))
                else:
                    out["other"] += 1
            elif status >= 500:
                out["server_errors"] += 1
            else:
                out["other"] += 1


def _load(port: int, key: str, clients: int, seconds: float, ctx: dict[str, Any]) -> list[Any]:
    # warm both workers up first (imports, the word segmenter's dictionary): 4 petitions in turn
    _poster(port, key, ctx["run"], threading.Event(), ctx, limit=4)
    stop = threading.Event()
    threads = [
        threading.Thread(target=_poster, args=(port, key, ctx["run"], stop, ctx))
        for _ in range(clients)
    ]
    for t in threads:
        t.start()
    ctx["stop"] = stop
    return threads


def _sqlite_checks(report: Report, path: Path, acked: list[tuple[str, str, str]], tag: str) -> None:
    db = sqlite3.connect(path)
    try:
        integrity = db.execute("PRAGMA integrity_check").fetchall()
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
        titles = [t for t, _id, _n in acked]
        stored: Counter[str] = Counter()
        for i in range(0, len(titles), 500):
            chunk = titles[i : i + 500]
            marks = ",".join("?" * len(chunk))
            stored.update(
                t
                for (t,) in db.execute(
                    f"SELECT title FROM petitions_petition WHERE title IN ({marks})", chunk
                )
            )
        numbers = Counter(
            n for (n,) in db.execute("SELECT number FROM petitions_petition WHERE title LIKE ?",
                                     ("崩溃%",))
        )  # fmt: skip
    finally:
        db.close()
    report.check(f"{tag}: PRAGMA integrity_check", integrity == [("ok",)], integrity[:3])
    report.check(f"{tag}: PRAGMA journal_mode", mode == "wal", mode)
    missing = sum(1 for t in titles if stored[t] == 0)
    twice = sum(1 for t in titles if stored[t] > 1)
    report.check(
        f"{tag}: every acknowledged petition stored exactly once",
        bool(acked) and missing == 0 and twice == 0,
        f"{len(acked)} acknowledged, {missing} missing, {twice} stored twice",
    )
    bad_numbers = sum(1 for t, _id, number in acked if numbers[number] != 1)
    report.check(
        f"{tag}: every acknowledged number unique and present", bad_numbers == 0, bad_numbers
    )


def run_web(args: argparse.Namespace) -> Report:
    _setup()
    from io import StringIO

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections

    from anxin.core.choices import Role, UnitKind
    from anxin.core.models import Unit
    from anxin.core.services import role_assign, user_create
    from anxin.petitions.models import Category

    report = Report("web")
    path = Path(settings.DATABASES["default"]["NAME"])
    assert settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"), "needs SQLite"
    city = Unit.objects.filter(kind=UnitKind.CITY).order_by("pk").first()
    category = Category.objects.filter(is_active=True).order_by("pk").first()
    assert city is not None and category is not None, "load_units first"
    user, _pw = user_create(
        actor=None,
        username="crash_clerk",
        name="crash_clerk",
        unit=city,
        password="Crash-2026-pass",
        must_change_password=False,
    )
    role_assign(actor=None, user=user, role=Role.CLERK, unit=city)
    out = StringIO()
    call_command("create_api_key", user="crash_clerk", name="crash test", stdout=out)
    key = out.getvalue().strip().splitlines()[-1]
    connections.close_all()  # the checks read the file directly

    ctx: dict[str, Any] = {
        "lock": threading.Lock(),
        "acked": [],
        "errors": 0,
        "server_errors": 0,
        "other": 0,
        "run": uuid.uuid4().hex[:8],
        "serial": itertools.count(1),
        "category": category.code,
        "unit": city.code,
    }
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="bench.settings", PYTHONPATH=str(ROOT))
    web: subprocess.Popen[bytes] | None = None
    threads: list[Any] = []
    try:
        port = free_port()
        web = start_gunicorn(port, env)
        threads = _load(port, key, args.clients, args.seconds, ctx)
        time.sleep(args.seconds)
        with ctx["lock"]:
            before = len(ctx["acked"])
        # the master and both workers at once, mid-run
        _killpg(web)
        web.wait(timeout=30)
        report.check("gunicorn (master + workers) killed with SIGKILL", _group_gone(web.pid))
        web = None
        time.sleep(1)  # requests in flight fail now
        ctx["stop"].set()
        for t in threads:
            t.join(timeout=60)
        threads = []
        first = list(ctx["acked"])
        report.note("acknowledged before the kill", len(first))
        report.note("acknowledged at the kill signal", before)
        report.note("connections refused/reset (expected after the kill)", ctx["errors"])
        report.note("5xx before the kill", ctx["server_errors"])
        wal = path.with_name(path.name + "-wal")
        report.note("WAL file left by the killed server (bytes)", wal.stat().st_size if
                    wal.exists() else 0)  # fmt: skip
        _sqlite_checks(report, path, first, "after kill -9")
        report.check("no 5xx before the kill", ctx["server_errors"] == 0, ctx["server_errors"])

        # restart and write again
        ctx["errors"] = ctx["server_errors"] = 0
        port = free_port()
        web = start_gunicorn(port, env)
        threads = _load(port, key, args.clients, args.seconds, ctx)
        time.sleep(args.seconds / 2)
        ctx["stop"].set()
        for t in threads:
            t.join(timeout=60)
        threads = []
        _stop(web)
        web = None
        second = ctx["acked"][len(first) :]
        report.note("acknowledged after the restart", len(second))
        report.check(
            "writes after the restart",
            len(second) > 0 and ctx["server_errors"] == 0 and ctx["errors"] == 0,
            f"{len(second)} acknowledged, {ctx['server_errors']} 5xx, "
            f"{ctx['errors']} connection errors",
        )
        _sqlite_checks(report, path, ctx["acked"], "after the restart")
    finally:
        if "stop" in ctx:
            ctx["stop"].set()
        for t in threads:
            t.join(timeout=60)
        _stop(web)
        report.save()
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    sub = parser.add_subparsers(dest="part", required=True)
    huey = sub.add_parser("huey")
    huey.add_argument("--clocks", type=int, default=12000)
    huey.add_argument("--timeout", type=float, default=240, help="seconds per phase")
    web = sub.add_parser("web")
    web.add_argument("--clients", type=int, default=8)
    web.add_argument("--seconds", type=float, default=8, help="load before the kill")
    args = parser.parse_args(argv)
    # a SIGTERM (the CI stage's budget, Ctrl-C of the script) runs the `finally` blocks that stop
    # the servers started here, each in its own session
    signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
    print(f"== crash {args.part}")
    report = run_huey(args) if args.part == "huey" else run_web(args)
    return 0 if report.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
