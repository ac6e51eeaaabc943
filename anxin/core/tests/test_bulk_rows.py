"""``RowInserter`` (rows as tuples), ``unsaved`` (instances without ``__init__``), ``gc_paused``
and ``audit_record_many`` written through them: the same rows and events as the one-by-one
paths, on SQLite (INSERT … RETURNING) and PostgreSQL (COPY)."""

from __future__ import annotations

import datetime as dt
import gc
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from anxin.core import context
from anxin.core.audit import audit_record, audit_record_many, audit_seal, audit_verify
from anxin.core.bulk import RowInserter, gc_paused, unsaved
from anxin.core.models import AuditEvent
from anxin.supervision.models import Clock

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]

FIELDS = ("created_at", "actor_id", "actor_label", "action", "object_type", "object_id", "after")
COMPARED = (*FIELDS, "actor_ip", "object_repr", "before", "chain_seq", "prev_hash", "hash")


def test_rows_are_written_with_their_keys_in_order_and_the_other_columns_defaulted() -> None:
    at = timezone.now() - dt.timedelta(hours=2)
    rows = [
        (at, None, "导入", "test.rows", "t", str(i), {"n": i, "名称": "甲", "deep": {"x": [1]}})
        for i in range(5)
    ]
    inserter = RowInserter(AuditEvent, FIELDS)
    keys = inserter.write(rows, batch=2)  # several statements on SQLite
    assert keys == sorted(keys) and len(set(keys)) == 5
    stored = {e.pk: e for e in AuditEvent.objects.filter(pk__in=keys)}
    for key, row in zip(keys, rows, strict=True):
        event = stored[key]
        assert [getattr(event, name) for name in FIELDS] == list(row)
        assert (event.before, event.object_repr, event.actor_ip) == ({}, "", None)
        assert (event.chain_seq, event.prev_hash, event.hash) == (None, "", "")


def test_the_instances_are_the_saved_rows_without_a_query(django_assert_num_queries: Any) -> None:
    at = timezone.now()
    rows = [(at, None, "system", "test.rows", "t", "1", {"a": 1})]
    inserter = RowInserter(AuditEvent, FIELDS)
    keys = inserter.write(rows)
    with django_assert_num_queries(0):
        (made,) = inserter.instances(rows, keys)
        event: Any = made
        assert event.pk == keys[0] and not event._state.adding
        assert (event.action, event.after, event.hash, event.chain_seq) == (
            "test.rows",
            {"a": 1},
            "",
            None,
        )
    fresh = AuditEvent.objects.get(pk=keys[0])
    assert [getattr(fresh, n) for n in COMPARED] == [getattr(event, n) for n in COMPARED]


def test_a_unique_column_must_be_named() -> None:
    from anxin.safety.models import Hazard

    with pytest.raises(ValueError, match="Hazard.uid is unique"):
        RowInserter(Hazard, ("description",))


def test_an_unsaved_instance_is_what_the_model_call_gives(personas: Any) -> None:
    now = timezone.now()
    unit = personas.city.T1
    values = {
        "subject_type": "safety.hazard",
        "subject_id": 7,
        "name": "rectify_by",
        "unit_id": unit.pk,
        "responsible_id": None,
        "leader_id": None,
        "rule": "fixed",
        "start_on": dt.date(2026, 3, 1),
        "days": 9,
        "state": "running",
        "created_at": now,
        "updated_at": now,
    }
    fast = unsaved(Clock, values, {"unit": unit, "responsible": None, "leader": None})
    slow = Clock(
        **{k: v for k, v in values.items() if not k.endswith("_id")},
        subject_id=7,
        unit=unit,
        responsible=None,
        leader=None,
    )
    names = [f.attname for f in Clock._meta.concrete_fields]
    assert [getattr(fast, n) for n in names] == [getattr(slow, n) for n in names]
    assert fast._state.adding and fast.unit is unit
    fast.due_on = dt.date(2026, 3, 10)
    fast.save(force_insert=True)  # a normal instance from there on
    assert Clock.objects.get(pk=fast.pk).due_on == dt.date(2026, 3, 10)


def test_the_collector_is_paused_and_restored() -> None:
    assert gc.isenabled()
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it as it found it
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError
    assert gc.isenabled()


def test_audit_record_many_records_what_audit_record_records_once_per_entry(
    personas: Any,
) -> None:
    """Same columns (the actor, the address, the label, the JSON) but the key and the moment."""
    entries: list[dict[str, Any]] = [
        {"action": "test.bulk", "object_type": "t", "object_id": "1", "after": {"a": 1}},
        {"action": "auth.bulk", "object_type": "t", "object_id": "2", "before": {"s": {1, 2}}},
        {"action": "test.bulk", "obj": personas.city.T1, "after": {"when": timezone.now()}},
        {"action": "test.public", "object_type": "t", "object_id": "3", "public": True},
    ]
    fields = [f for f in COMPARED if f != "created_at"]

    def rows(actor: Any, many: bool) -> list[list[Any]]:
        with transaction.atomic():
            mark = transaction.savepoint()
            if many:
                audit_record_many(actor=actor, entries=entries)
            else:
                for entry in entries:
                    audit_record(actor=actor, **entry)
            out = [[getattr(e, f) for f in fields] for e in AuditEvent.objects.order_by("id")]
            transaction.savepoint_rollback(mark)
        return out

    token = context.set_current(context.RequestContext(ip="10.1.2.3", via="web"))
    try:
        for actor in (personas.clerk, None):
            assert rows(actor, many=True) == rows(actor, many=False)
    finally:
        context.reset(token)


def test_a_batch_recorded_as_tuples_seals_and_verifies(personas: Any) -> None:
    entries = [
        {"action": "test.bulk", "object_type": "t", "object_id": str(i), "after": {"i": i}}
        for i in range(30)
    ]
    audit_seal()  # the personas' own events
    with transaction.atomic():
        events = audit_record_many(actor=personas.clerk, entries=entries)
    assert [e.object_id for e in events] == [str(i) for i in range(30)]
    assert [e.pk for e in events] == sorted(e.pk for e in events)
    assert all(e.actor == personas.clerk for e in events)
    assert audit_seal() == 30
    assert audit_verify().ok
