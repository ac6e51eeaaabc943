"""The 督办 sweep: deadline warnings and the escalation ladder, set-based and idempotent.

One run (:func:`escalation_sweep`, the periodic job ``supervision_sweep_job``) walks the running
clocks that are yellow or red in batches of clock ids. Each batch is **one transaction** made of
a fixed number of statements, whatever the number of clocks:

1. ``SELECT MAX(id)`` of the next :data:`BATCH` candidate clocks (keyset on the id);
2. for each step (the warning, then handler → unit head → supervising office → leader):
   ``INSERT INTO escalation … SELECT`` the clocks of the batch that reached the step and have
   no row for it yet, **ignoring conflicts** on the unique ``(clock, level)``, each row marked
   with this batch's ``run`` token; then ``INSERT INTO notification … SELECT`` for the
   recipients of exactly the rows marked with that token (found through the primary key: above
   the table's highest id read at the batch's start), and the same for the outbox (e-mail,
   SMS) according to the recipients' preferences (on PostgreSQL the three are one statement,
   a chain of data-modifying ``WITH`` queries: :meth:`_Sql.step`);
3. one audit event listing what the batch recorded; after commit, the signals
   :data:`~anxin.supervision.signals.deadline_warning` and
   :data:`~anxin.supervision.signals.clocks_overdue` with the clock ids.

Why it is idempotent: a step is recorded at most once (the unique constraint), and its
notifications are created in the same transaction as the row that claims it, only by the batch
that inserted it. A run killed halfway loses its uncommitted batch entirely (rows and notices),
so a rerun finds those clocks unclaimed and notifies them; committed batches are never redone.
Two overlapping runs on PostgreSQL: the second run's insert of a row the first has inserted
waits for the first to commit and is then skipped (``ON CONFLICT DO NOTHING``), so it creates
no notice for it. Notifications and outbox rows also carry unique ``dedupe_key`` values.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.choices import Role
from anxin.core.models import RoleAssignment, Unit, User
from anxin.supervision.choices import (
    Channel,
    ClockRule,
    ClockState,
    EscalationLevel,
    OutboxStatus,
)
from anxin.supervision.colours import Thresholds
from anxin.supervision.conf import setting
from anxin.supervision.links import labels
from anxin.supervision.models import Clock, Escalation
from anxin.supervision.models_notifications import (
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from anxin.supervision.signals import clocks_overdue, deadline_warning

logger = logging.getLogger(__name__)

#: clocks per batch (one transaction each): large enough that a city's sweep is a few dozen
#: statements (5,000 overdue clocks: 0.9 s in 40 queries against 1.6 s in 355 with 500 —
#: bench/escalation.py), small enough that a batch's transaction stays short
BATCH = 5000

#: notification kinds of the sweep
KIND_WARNING = "deadline_warning"
KIND_OVERDUE = "deadline_overdue"


def _t(model: Any) -> str:
    return str(connection.ops.quote_name(model._meta.db_table))


def _on_conflict_ignore(sql: str) -> str:
    """``INSERT … SELECT … WHERE …`` that skips rows violating a unique constraint."""
    return f"{sql} ON CONFLICT DO NOTHING"


def _d(value: dt.date) -> Any:
    return connection.ops.adapt_datefield_value(value)


def _ts(value: dt.datetime) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _case(column: str, mapping: dict[Any, str], default: str) -> tuple[str, list[Any]]:
    """``CASE column WHEN … THEN … ELSE default END`` over a fixed, registered mapping."""
    if not mapping:
        return default, []
    parts: list[str] = []
    params: list[Any] = []
    for key, text in sorted(mapping.items()):
        parts.append("WHEN %s THEN CAST(%s AS TEXT)")
        params += [key, text]
    return f"CASE {column} {' '.join(parts)} ELSE {default} END", params


@dataclass
class SweepResult:
    warned: list[int] = field(default_factory=list)
    escalated: list[tuple[int, str]] = field(default_factory=list)
    notifications: int = 0
    batches: int = 0


def _batch_done(batch_number: int) -> None:
    """Called after each committed batch (tests inject an interruption here)."""


class _Sql:
    """The statements of one sweep: built once per sweep from the thresholds and labels."""

    def __init__(self, th: Thresholds) -> None:
        self.th = th
        self.clock = _t(Clock)
        self.esc = _t(Escalation)
        self.notif = _t(Notification)
        self.outbox_t = _t(OutboxMessage)
        self.pref = _t(NotificationPreference)
        self.ra = _t(RoleAssignment)
        self.unit = _t(Unit)
        self.user = _t(User)
        self.go_prefix = reverse("supervision_clock_go", args=[0])[: -len("0/")]
        self.base_url = settings.ANXIN_BASE_URL.rstrip("/")

    # --- which clocks reached a step ------------------------------------------------------

    def overdue(self) -> tuple[str, list[Any]]:
        return (
            "((c.rule = %s AND c.due_at < %s) OR (c.rule <> %s AND c.due_on < %s))",
            [ClockRule.HOURS.value, _ts(self.th.now), ClockRule.HOURS.value, _d(self.th.today)],
        )

    def reached(self, level: str) -> tuple[str, list[Any]]:
        if level == EscalationLevel.WARNING:
            over, params = self.overdue()
            return f"(c.due_on <= %s AND NOT {over})", [_d(self.th.yellow_until), *params]
        n, cutoff = self.th.cutoff(level)
        if n == 0:
            return self.overdue()
        return "c.due_on < %s", [_d(cutoff)]

    def candidates_upper(self, after: int, size: int) -> tuple[str, list[Any]]:
        """The last clock id of the next batch, and the escalation table's highest id so far:
        every row this batch inserts has a higher one (ids are handed out in increasing order,
        after this read), so ``id > floor AND run = token`` finds the batch's rows through the
        primary key (the ``run`` column has no index: one index less written per row)."""
        return (
            f"SELECT MAX(t.id), (SELECT MAX(f.id) FROM {self.esc} f) FROM (SELECT c.id "
            f"FROM {self.clock} c WHERE c.state = %s AND c.due_on <= %s AND c.id > %s "
            f"AND NOT EXISTS (SELECT 1 FROM {self.esc} e WHERE e.clock_id = c.id "
            f"AND e.level = %s) ORDER BY c.id LIMIT %s) t",
            [
                ClockState.RUNNING.value,
                _d(self.th.yellow_until),
                after,
                EscalationLevel.LEADER.value,
                size,
            ],
        )

    def claim(self, level: str, run: str, lo: int, hi: int, now: dt.datetime) -> tuple[str, list]:
        cond, params = self.reached(level)
        sql = (
            f"INSERT INTO {self.esc} (clock_id, level, due_on, run, created_at) "
            f"SELECT c.id, %s, c.due_on, %s, %s FROM {self.clock} c "
            f"WHERE c.state = %s AND c.id > %s AND c.id <= %s AND {cond} "
            f"AND NOT EXISTS (SELECT 1 FROM {self.esc} e WHERE e.clock_id = c.id "
            f"AND e.level = %s) ORDER BY c.id"
        )
        return _on_conflict_ignore(sql), [
            level,
            run,
            _ts(now),
            ClockState.RUNNING.value,
            lo,
            hi,
            *params,
            level,
        ]

    # --- who is told ------------------------------------------------------------------------

    def recipients(
        self, level: str, run: str, source: str = "", floor: int = 0
    ) -> tuple[str, list[Any]]:
        """The rows this batch claimed for ``level``, one per person told, with what the texts
        need: ``clock_id, user_id, subject_type, name, due_on, unit_name``.

        The branches of the union are disjoint (named person / nobody named; a role is held
        once per unit), so ``UNION ALL``: no sort to remove duplicates that cannot occur (and
        the inserts ignore conflicts on their unique keys anyway).

        ``source``: a ``WITH`` query of the same statement holding the claimed rows'
        ``clock_id`` (PostgreSQL's chain, :meth:`step`) instead of the escalation table, where
        the batch's rows are those above ``floor`` (:meth:`candidates_upper`) with its token.
        """
        cols = (
            "e.clock_id, {uid} AS user_id, c.subject_type, c.name, c.due_on, cu.name AS unit_name"
        )
        mine = (
            f"FROM {source or self.esc} e JOIN {self.clock} c ON c.id = e.clock_id "
            f"JOIN {self.unit} cu ON cu.id = c.unit_id "
        )
        where = "WHERE %s = %s" if source else "WHERE e.id > %s AND e.run = %s AND e.level = %s"
        key: list[Any] = [1, 1] if source else [floor, run, level]
        head = Role.UNIT_HEAD.value
        parts: list[str] = []
        params: list[Any] = []
        if level in (EscalationLevel.WARNING, EscalationLevel.HANDLER):
            # the responsible person; nobody named: the unit heads of the unit
            parts.append(
                f"SELECT {cols.format(uid='c.responsible_id')} {mine}{where} "
                f"AND c.responsible_id IS NOT NULL"
            )
            params += key
            parts.append(
                f"SELECT {cols.format(uid='ra.user_id')} {mine}"
                f"JOIN {self.ra} ra ON ra.unit_id = c.unit_id AND ra.role = %s "
                f"{where} AND c.responsible_id IS NULL"
            )
            params += [head, *key]
        elif level == EscalationLevel.UNIT_HEAD:
            parts.append(
                f"SELECT {cols.format(uid='ra.user_id')} {mine}"
                f"JOIN {self.ra} ra ON ra.unit_id = c.unit_id AND ra.role = %s {where}"
            )
            params += [head, *key]
        elif level == EscalationLevel.SUPERVISOR:
            # 督查员 on the nearest unit of the clock's unit chain (itself, then upwards) that
            # has one, whose scope covers the clock's unit
            covers = (
                "SUBSTR(cu.path, 1, LENGTH({u}.path)) = {u}.path "
                "AND ({r}.include_subtree = %s OR {u}.id = cu.id)"
            )
            parts.append(
                f"SELECT {cols.format(uid='ra.user_id')} {mine}"
                f"JOIN {self.ra} ra ON ra.role = %s JOIN {self.unit} su ON su.id = ra.unit_id "
                f"{where} AND {covers.format(u='su', r='ra')} "
                f"AND su.depth = (SELECT MAX(su2.depth) FROM {self.ra} ra2 "
                f"JOIN {self.unit} su2 ON su2.id = ra2.unit_id WHERE ra2.role = %s "
                f"AND {covers.format(u='su2', r='ra2')})"
            )
            sup = Role.SUPERVISOR.value
            params += [sup, *key, True, sup, True]
        else:
            # the responsible leader; none named: the unit heads of the parent unit
            parts.append(
                f"SELECT {cols.format(uid='c.leader_id')} {mine}{where} AND c.leader_id IS NOT NULL"
            )
            params += key
            parts.append(
                f"SELECT {cols.format(uid='ra.user_id')} {mine}"
                f"JOIN {self.ra} ra ON ra.unit_id = cu.parent_id AND ra.role = %s "
                f"{where} AND c.leader_id IS NULL"
            )
            params += [head, *key]
        return " UNION ALL ".join(parts), params

    # --- what they are told -----------------------------------------------------------------

    def texts(self, level: str) -> tuple[str, str, list[Any]]:
        """SQL for title and body over a recipients row ``r``, in the active language."""
        subject_labels, clock_labels = labels()
        subject_sql, subject_params = _case("r.subject_type", subject_labels, "r.subject_type")
        clock_map = {f"{st}\x1f{name}": text for (st, name), text in clock_labels.items()}
        clock_sql, clock_params = _case(
            "r.subject_type || CAST(%s AS TEXT) || r.name", clock_map, "r.name"
        )
        if clock_map:
            clock_params = ["\x1f", *clock_params]
        titles = {
            EscalationLevel.WARNING: _("Deadline approaching"),
            EscalationLevel.HANDLER: _("Deadline passed"),
            EscalationLevel.UNIT_HEAD: _("Overdue item escalated to the unit head"),
            EscalationLevel.SUPERVISOR: _("Overdue item escalated to the supervising office"),
            EscalationLevel.LEADER: _("Overdue item escalated to the responsible leader"),
        }
        title_sql = "CAST(%s AS TEXT) || ' · ' || " + subject_sql
        title_params = [titles[EscalationLevel(level)], *subject_params]
        body_sql = (
            f"r.unit_name || ' · ' || {clock_sql} || ' · ' || CAST(%s AS TEXT) || "
            f"CAST(r.due_on AS TEXT)"
        )
        body_params = [*clock_params, _("due on") + " "]
        return title_sql, body_sql, [*title_params, *body_params]

    def notify(
        self,
        level: str,
        run: str,
        now: dt.datetime,
        rec: tuple[str, list[Any]] | None = None,
        floor: int = 0,
    ) -> tuple[str, list[Any]]:
        """Inbox entries for the active recipients of the rows this batch claimed (``rec``:
        another query of them)."""
        rec_sql, rec_params = rec or self.recipients(level, run, floor=floor)
        title_sql, body_sql, text_params = self.texts(level)
        kind = KIND_WARNING if level == EscalationLevel.WARNING else KIND_OVERDUE
        sql = (
            f"INSERT INTO {self.notif} (user_id, kind, title, body, url, created_at, read_at, "
            f"dedupe_key) "
            f"SELECT r.user_id, %s, {title_sql}, {body_sql}, "
            f"CAST(%s AS TEXT) || CAST(r.clock_id AS TEXT) || '/', %s, NULL, "
            f"CAST(%s AS TEXT) || CAST(r.clock_id AS TEXT) || ':' || CAST(%s AS TEXT) || ':' || "
            f"CAST(r.user_id AS TEXT) "
            f"FROM ({rec_sql}) r JOIN {self.user} u ON u.id = r.user_id WHERE u.is_active = %s"
        )
        return _on_conflict_ignore(sql), [
            kind,
            *text_params,
            self.go_prefix,
            _ts(now),
            "clock:",
            level,
            *rec_params,
            True,
        ]

    def queue(
        self,
        level: str,
        run: str,
        now: dt.datetime,
        rec: tuple[str, list[Any]] | None = None,
        floor: int = 0,
    ) -> tuple[str, list[Any]]:
        """Outbox rows (e-mail and text message, in one statement) for the same recipients,
        per their preferences and addresses: the inbox entry's title, its text and link."""
        kind = KIND_WARNING if level == EscalationLevel.WARNING else KIND_OVERDUE
        rec_sql, rec_params = rec or self.recipients(level, run, floor=floor)
        title_sql, body_sql, text_params = self.texts(level)
        email, sms = Channel.EMAIL.value, Channel.SMS.value
        sql = (
            f"INSERT INTO {self.outbox_t} (user_id, channel, address, subject, body, status, "
            f"attempts, next_attempt_at, last_error, sent_at, created_at, claim, dedupe_key) "
            f"SELECT r.user_id, k.channel, '', {title_sql}, {body_sql} || CAST(%s AS TEXT) || "
            f"CAST(r.clock_id AS TEXT) || '/', %s, 0, %s, '', NULL, %s, '', "
            f"CAST(%s AS TEXT) || CAST(r.clock_id AS TEXT) || ':' || CAST(%s AS TEXT) || ':' || "
            f"CAST(r.user_id AS TEXT) || ':' || k.channel "
            f"FROM ({rec_sql}) r JOIN {self.user} u ON u.id = r.user_id "
            f"CROSS JOIN (SELECT CAST(%s AS TEXT) AS channel UNION ALL "
            f"SELECT CAST(%s AS TEXT)) k "
            f"LEFT JOIN {self.pref} p ON p.user_id = r.user_id AND p.kind = %s "
            f"WHERE u.is_active = %s AND ("
            f"(k.channel = %s AND COALESCE(p.email, %s) = %s AND u.email <> '') OR "
            f"(k.channel = %s AND COALESCE(p.sms, %s) = %s AND u.phone <> ''))"
        )
        return _on_conflict_ignore(sql), [
            *text_params,
            "\n" + self.base_url + self.go_prefix,
            OutboxStatus.PENDING.value,
            _ts(now),
            _ts(now),
            "clock:",
            level,
            *rec_params,
            email,
            sms,
            kind,
            True,
            email,
            bool(setting("email_by_default")),
            True,
            sms,
            bool(setting("sms_by_default")),
            True,
        ]

    def step(self, level: str, run: str, lo: int, hi: int, now: dt.datetime) -> tuple[str, list]:
        """PostgreSQL: one step in one statement, a chain of data-modifying ``WITH`` queries:
        the claim (``RETURNING`` the clock ids it inserted), its recipients computed once
        (materialized), the inbox entries and the outbox rows; the statement's one row is the
        number of inbox entries created.

        The same rows as :meth:`claim`, :meth:`notify` and :meth:`queue` run one after the
        other: the recipients come from exactly the escalation rows this statement inserted
        (``RETURNING`` of the claim, which skipped the conflicting ones), so the guarantees
        hold — a step notified only by the batch that claimed it, in the same transaction.
        """
        claim_sql, claim_params = self.claim(level, run, lo, hi, now)
        rec_sql, rec_params = self.recipients(level, run, source="new_esc")
        rec: tuple[str, list[Any]] = ("SELECT * FROM rec", [])
        notify_sql, notify_params = self.notify(level, run, now, rec)
        queue_sql, queue_params = self.queue(level, run, now, rec)
        sql = (
            f"WITH new_esc AS ({claim_sql} RETURNING clock_id), "
            f"rec AS MATERIALIZED ({rec_sql}), "
            f"new_notif AS ({notify_sql} RETURNING 1), "
            f"new_out AS ({queue_sql} RETURNING 1) "
            f"SELECT COUNT(*) FROM new_notif"
        )
        return sql, [*claim_params, *rec_params, *notify_params, *queue_params]


#: the order the steps are taken in a batch
STEPS = (
    EscalationLevel.WARNING,
    EscalationLevel.HANDLER,
    EscalationLevel.UNIT_HEAD,
    EscalationLevel.SUPERVISOR,
    EscalationLevel.LEADER,
)


def escalation_sweep(*, now: dt.datetime | None = None, batch_size: int = BATCH) -> SweepResult:
    """Record every deadline warning and escalation step reached, and notify, once each.

    Safe to run at any time, as often as wanted, concurrently and after an interruption.
    """
    now = now if now is not None else timezone.now()
    result = SweepResult()
    with translation.override(settings.LANGUAGE_CODE):
        th = Thresholds.compute(now=now)
        sql = _Sql(th)
        after = 0
        analyzed_at = 0
        while True:
            done = _sweep_batch(sql, after, batch_size, now, result)
            if done is None:
                break
            after = done
            result.batches += 1
            _batch_done(result.batches)
            if result.notifications - analyzed_at >= ANALYZE_AFTER:
                _analyze_if_grown(result.notifications - analyzed_at)
                analyzed_at = result.notifications
    return result


#: notices a sweep writes before it checks whether the tables it fills outgrew their planner
#: statistics (see :func:`_analyze_if_grown`); below this, stale statistics cost less than the
#: ANALYZE. The outbox's sender no longer depends on them (it reads the due index in order
#: whatever the statistics say: :func:`anxin.supervision.notifications._locked`), so this is a
#: safety net for very large sweeps: at 50,000 notices, five ANALYZEs every 10,000 were a third
#: of the sweep's PostgreSQL time (0.8 of 2.5 s) and sped nothing up
ANALYZE_AFTER = 100_000


def _analyze_if_grown(added: int) -> bool:
    """``ANALYZE`` the tables the sweep fills when it grew them by more than a tenth.

    PostgreSQL plans with the statistics autovacuum last took. A sweep that adds thousands of
    rows to a young outbox at once leaves them far behind until autovacuum comes round: the
    outbox's sender, right after, was planned over a few dozen rows and scanned every pending
    row for each chunk (quadratic: 50,000 e-mails took minutes). Autovacuum's own rule (a tenth
    of the table), applied at once; one query to read the sizes, then the ``ANALYZE`` when due.
    """
    if connection.vendor != "postgresql":
        return False
    tables = [_t(Escalation), _t(Notification), _t(OutboxMessage)]
    with connection.cursor() as cur:
        cur.execute(
            "SELECT MIN(reltuples) FROM pg_class WHERE oid = ANY(%s::regclass[])",
            [[t.strip('"') for t in tables]],
        )
        row = cur.fetchone()
        smallest = float(row[0]) if row and row[0] is not None else -1.0
        if smallest >= 0 and added <= smallest / 10:
            return False
        try:
            with transaction.atomic():
                cur.execute(f"ANALYZE {', '.join(tables)}")
        except DatabaseError as exc:  # e.g. not the tables' owner: autovacuum will do it
            logger.warning("could not analyze the sweep's tables: %s", exc)
            return False
    return True


def _sweep_batch(
    sql: _Sql, after: int, size: int, now: dt.datetime, result: SweepResult
) -> int | None:
    """One batch in one transaction; returns the last clock id covered, None when done."""
    run = uuid.uuid4().hex
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(*sql.candidates_upper(after, size))
        row = cur.fetchone()
        upper, floor = (row[0], row[1] or 0) if row else (None, 0)
        if upper is None:
            return None
        created = 0
        chain = connection.vendor == "postgresql"
        for level in STEPS:
            if chain:  # one statement per step
                cur.execute(*sql.step(level, run, after, upper, now))
                created += int(cur.fetchone()[0])
                continue
            cur.execute(*sql.claim(level, run, after, upper, now))
            cur.execute(*sql.notify(level, run, now, floor=floor))
            created += max(cur.rowcount, 0)
            cur.execute(*sql.queue(level, run, now, floor=floor))
        new = list(
            Escalation.objects.filter(pk__gt=floor, run=run)
            .order_by("clock_id")
            .values_list("clock_id", "level")
        )
        if new:
            warned = [cid for cid, level in new if level == EscalationLevel.WARNING]
            escalated = [(cid, level) for cid, level in new if level != EscalationLevel.WARNING]
            audit_record(
                actor=None,
                action="clock.escalate",
                object_type="supervision.clock",
                after={
                    "run": run,
                    "warned": warned,
                    "escalated": [list(x) for x in escalated],
                    "notifications": created,
                },
            )
            result.warned += warned
            result.escalated += escalated
            result.notifications += created
            if warned:
                transaction.on_commit(lambda: deadline_warning.send(sender=Clock, clock_ids=warned))
            if escalated:
                ids = sorted({cid for cid, _level in escalated})
                transaction.on_commit(
                    lambda: clocks_overdue.send(sender=Clock, clock_ids=ids, escalations=escalated)
                )
    return int(upper)
