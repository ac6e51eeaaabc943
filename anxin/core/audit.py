"""The audit trail: recording, sealing into an SM3 hash chain, and verifying it.

Every service records an :class:`AuditEvent` inside its own transaction (``audit_record``).
The chain is sealed after commit (``audit_seal``): events are taken in id order under a lock
on the single :class:`AuditChainHead` row, numbered ``chain_seq`` 1, 2, 3 … and each hash is
SM3 over the canonical JSON of the event together with the previous hash. Sealing after commit
keeps writers from queueing on one lock for the whole of their transactions; a periodic job
seals anything an interrupted process left behind (config/schedule.py).

``audit_verify`` walks the chain and reports the first record that was altered, deleted or
reordered.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection, models, transaction
from django.dispatch import Signal
from django.utils import timezone

from anxin.core.bulk import RowInserter
from anxin.core.context import current
from anxin.core.crypto import sm3_hex
from anxin.core.models import AuditChainHead, AuditEvent

#: Sent by :func:`audit_record` for every audited change, inside the writer's transaction, with
#: ``event`` (the unsaved-to-chain :class:`AuditEvent`) and ``obj`` (the changed model instance
#: or ``None``). Other apps listen to it instead of core importing them: ``reports`` keeps its
#: daily rollups with it and the webhooks queue their deliveries (after commit) from it. A
#: receiver must not fail the writer's action: it does only cheap, local work.
audited = Signal()

#: Sent by :func:`audit_record_many` once for a batch of audited changes made by one bulk
#: service (an import), inside the writer's transaction, with ``events`` (the saved
#: :class:`AuditEvent` s) and ``objs`` (the model instance of each, or ``None``), in the same
#: order; ``created=True`` says the instances were inserted by that service (``bulk_create``
#: sends no ``post_save``). Receivers do for the batch what they do for each ``audited``.
audited_many = Signal()

log = logging.getLogger(__name__)

SEAL_BATCH = 1000
#: rows per INSERT of audit_record_many
AUDIT_BATCH = 1000


#: values _jsonable keeps as they are (bool is an int)
_PLAIN = (str, int, type(None))


def _jsonable(value: Any) -> Any:
    if type(value) is dict:  # the common flat case first: what the rest gives for it
        for k, v in value.items():
            if type(k) is not str or not isinstance(v, _PLAIN):
                break
        else:
            return dict(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


#: inside :func:`audit_seal_deferred`: events are sealed by a task or the minute job
_seal_deferred: ContextVar[bool] = ContextVar("anxin_audit_seal_deferred", default=False)


@contextmanager
def audit_seal_deferred() -> Iterator[None]:
    """Leave the sealing of the events recorded in this block to a background task.

    For hot write paths (the deferred intake of petitions): the request does not wait on the
    chain head's lock after its commit; the caller enqueues a task that calls
    :func:`audit_seal`, and the periodic ``audit_seal_job`` seals whatever is left within a
    minute. The events are in the database either way, in the writer's transaction.
    """
    token = _seal_deferred.set(True)
    try:
        yield
    finally:
        _seal_deferred.reset(token)


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = False,
) -> AuditEvent:
    """Record one audit event in the caller's transaction and seal it after commit.

    ``public=True`` marks a submission from the public: no address is kept for it. Everything
    else (staff actions, sign-in attempts) keeps the client address taken by the middleware.
    """
    event = _new_event(
        actor=actor,
        action=action,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        before=before,
        after=after,
        public=public,
    )
    event.save(force_insert=True)
    # Listeners (rollups, webhooks) see every audited change in the writer's transaction; the
    # object itself is passed so that they need not read it again.
    audited.send(sender=AuditEvent, event=event, obj=obj)
    _seal_on_commit()
    return event


#: a transaction that records at least this many events in one batch (an import) is not sealed
#: in the request: the periodic ``audit_seal_job`` (every minute) seals it
SEAL_IN_REQUEST_MAX = 1000


def _seal_on_commit(*, events: int = 1) -> None:
    # One seal per transaction is enough: it seals everything committed before it.
    if _seal_deferred.get():  # a task or the minute job seals them (audit_seal_deferred)
        return
    connection = transaction.get_connection()
    hooks = connection.run_on_commit
    if any(entry[1] is _seal_by_the_job for entry in hooks):
        return
    if events >= SEAL_IN_REQUEST_MAX:
        connection.run_on_commit = [e for e in hooks if e[1] is not _seal_after_commit]
        transaction.on_commit(_seal_by_the_job)
    elif not any(entry[1] is _seal_after_commit for entry in hooks):
        transaction.on_commit(_seal_after_commit)


def _seal_by_the_job() -> None:
    """A large batch (an import) is sealed by the periodic job, not in the request: hashing
    100,000 events into the chain takes longer than saving them."""


def _new_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    public: bool = False,
    at: datetime | None = None,
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    ctx = current()
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent(
        created_at=at or timezone.now(),
        actor=actor if staff else None,
        actor_label=(actor.get_username() if staff else ("public" if public else ctx.via)),
        # Addresses are kept for staff actions and for sign-in events (security events), never
        # for the public: a citizen's submission keeps no trace of where it came from.
        actor_ip=ctx.ip if (not public and (staff or action.startswith("auth."))) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
    )


def audit_record_many(
    *, actor: Any, entries: Sequence[dict[str, Any]], created: bool = False
) -> list[AuditEvent]:
    """Record the audit events of a bulk service (an import) in the caller's transaction: the
    same events as :func:`audit_record` once per entry, inserted in batches, in the entries'
    order. Each entry takes the keyword arguments of :func:`audit_record` but ``actor``
    (``action``, ``obj``, ``object_type``, ``object_id``, ``object_repr``, ``before``,
    ``after``, ``public``). ``created``: the entries' objects were inserted by the caller.
    Listeners get one :data:`audited_many` signal for the batch.

    The rows are written as tuples (:class:`anxin.core.bulk.RowInserter`): what the actor
    and the request give is worked out once for the batch, not once per event."""
    if not entries:
        return []
    at = timezone.now()
    ctx = current()
    staff = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if staff else None
    rows: list[tuple[Any, ...]] = []
    for entry in entries:
        action: str = entry["action"]
        obj = entry.get("obj")
        object_type = entry.get("object_type", "")
        object_id = entry.get("object_id", "")
        object_repr = entry.get("object_repr", "")
        if obj is not None:
            object_type = object_type or obj._meta.label_lower
            object_id = object_id or str(obj.pk)
            object_repr = object_repr or str(obj)[:200]
        public = entry.get("public", False)
        rows.append(
            (
                at,
                actor_id,
                actor.get_username() if staff else ("public" if public else ctx.via),
                ctx.ip if (not public and (staff or action.startswith("auth."))) else None,
                action,
                object_type,
                object_id,
                object_repr[:200],
                _jsonable(entry.get("before") or {}),
                _jsonable(entry.get("after") or {}),
            )
        )
    inserter = RowInserter(AuditEvent, _MANY_FIELDS)
    keys = inserter.write(rows, batch=AUDIT_BATCH)
    events: list[AuditEvent] = inserter.instances(rows, keys)  # type: ignore[assignment]
    for event in events:  # as audit_record's instance: its actor at hand
        event._state.fields_cache = {"actor": actor if staff else None}
    audited_many.send(
        sender=AuditEvent,
        events=events,
        objs=[entry.get("obj") for entry in entries],
        created=created,
    )
    _seal_on_commit(events=len(events))
    return events


def _seal_after_commit() -> None:
    try:
        audit_seal()
    except Exception:  # the periodic job seals what is left
        log.exception("audit sealing after commit failed; the periodic job will retry")


def canonical(event: AuditEvent | dict[str, Any], seq: int, prev_hash: str) -> str:
    if isinstance(event, AuditEvent):
        row = {f: getattr(event, f) for f in HASHED_FIELDS}
    else:
        row = {f: event[f] for f in HASHED_FIELDS}
    created = row["created_at"]
    payload = {
        "seq": seq,
        "prev": prev_hash,
        "id": row["id"],
        "at": created.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row["actor_id"],
        "actor_label": row["actor_label"],
        "ip": row["actor_ip"],
        "action": row["action"],
        "object_type": row["object_type"],
        "object_id": row["object_id"],
        "object_repr": row["object_repr"],
        "before": row["before"],
        "after": row["after"],
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


HASHED_FIELDS = (
    "id",
    "created_at",
    "actor_id",
    "actor_label",
    "actor_ip",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "before",
    "after",
)

#: the columns :func:`audit_record_many` writes: the hashed ones but the key (the chain's own
#: columns are left empty: sealed later)
_MANY_FIELDS = HASHED_FIELDS[1:]


def chain_hash(event: AuditEvent | dict[str, Any], seq: int, prev_hash: str) -> str:
    return sm3_hex(canonical(event, seq, prev_hash))


def audit_seal(batch: int = SEAL_BATCH) -> int:
    """Seal unsealed events in id order; returns how many were sealed. Safe to run concurrently."""
    total = 0
    while True:
        with transaction.atomic():
            # The UPDATE takes the head's row lock (PostgreSQL) or the write lock (SQLite)
            # before anything is read, so two sealers never extend the chain from one head.
            if not AuditChainHead.objects.filter(pk=1).update(updated_at=timezone.now()):
                # The migration creates the head; a flushed database has none yet. A missing
                # head with sealed records behind it is tampering, which audit_verify reports.
                AuditChainHead.objects.get_or_create(pk=1)
            head = AuditChainHead.objects.get(pk=1)
            events = list(AuditEvent.objects.filter(hash="").order_by("id")[:batch])
            if not events:
                return total
            seq, prev = head.last_seq, head.last_hash
            for event in events:
                seq += 1
                event.chain_seq = seq
                event.prev_hash = prev
                event.hash = chain_hash(event, seq, prev)
                prev = event.hash
            # One batched statement (psycopg pipelines it): bulk_update's CASE over a thousand
            # rows costs seconds to build.
            table = connection.ops.quote_name(AuditEvent._meta.db_table)
            with connection.cursor() as cursor:
                cursor.executemany(
                    f"UPDATE {table} SET chain_seq = %s, prev_hash = %s, hash = %s "  # noqa: S608
                    "WHERE id = %s",
                    [(e.chain_seq, e.prev_hash, e.hash, e.pk) for e in events],
                )
            AuditChainHead.objects.filter(pk=1).update(last_seq=seq, last_hash=prev)
            total += len(events)
        if len(events) < batch:
            return total


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    unsealed: int
    head_seq: int
    head_hash: str
    problem: str = ""
    bad_event_id: int | None = None
    bad_seq: int | None = None


def _sealed_rows() -> Iterator[dict[str, Any]]:
    fields = (*HASHED_FIELDS, "chain_seq", "prev_hash", "hash")
    yield from (
        AuditEvent.objects.filter(chain_seq__isnull=False)
        .order_by("chain_seq")
        .values(*fields)
        .iterator(chunk_size=2000)
    )


def audit_verify() -> VerifyResult:
    """Walk the sealed chain; stop at the first record that does not fit."""
    head = AuditChainHead.objects.filter(pk=1).first() or AuditChainHead(pk=1)
    unsealed = AuditEvent.objects.filter(hash="").count()
    expected_seq, prev = 0, ""
    checked = 0
    problem = ""
    bad: dict[str, Any] | None = None
    for row in _sealed_rows():
        expected_seq += 1
        seq = row["chain_seq"]
        if seq != expected_seq:
            problem = f"missing record(s): expected sequence {expected_seq}, found {seq}"
        elif row["prev_hash"] != prev:
            problem = "previous-hash link broken (a record was removed or reordered)"
        elif chain_hash(row, seq, prev) != row["hash"]:
            problem = "content does not match its hash (the record was altered or moved)"
        if problem:
            bad = row
            break
        prev = row["hash"]
        checked += 1
    if bad is not None:
        return VerifyResult(
            False,
            checked,
            unsealed,
            head.last_seq,
            head.last_hash,
            problem,
            bad["id"],
            bad["chain_seq"],
        )
    if expected_seq != head.last_seq or prev != head.last_hash:
        return VerifyResult(
            False,
            checked,
            unsealed,
            head.last_seq,
            head.last_hash,
            f"the chain ends at sequence {expected_seq} but the head records {head.last_seq}"
            " (records at the end were deleted)",
            None,
            expected_seq + 1,
        )
    return VerifyResult(True, checked, unsealed, head.last_seq, head.last_hash)
