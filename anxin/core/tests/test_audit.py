"""The SM3 hash-chained audit trail: sealing, verification and tamper detection."""

import io

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from anxin.core.audit import audit_record, audit_seal, audit_verify
from anxin.core.models import AuditChainHead, AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.dbdep]


def record_many(n: int) -> list[AuditEvent]:
    events = []
    for i in range(n):
        with transaction.atomic():
            events.append(
                audit_record(
                    actor=None,
                    action="test.event",
                    object_type="test",
                    object_id=str(i),
                    after={"i": i, "文本": "中文"},
                )
            )
    audit_seal()
    return events


def run_verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit_verify", stdout=out, stderr=err)
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_an_intact_chain_verifies():
    record_many(5)
    result = audit_verify()
    assert result.ok and result.checked == 5 and result.unsealed == 0
    code, out, _ = run_verify()
    assert code == 0
    assert out.startswith("audit chain intact: 5 sealed records")


def test_events_are_sealed_in_order_and_linked():
    events = record_many(3)
    rows = list(
        AuditEvent.objects.order_by("chain_seq").values_list("id", "chain_seq", "prev_hash", "hash")
    )
    assert [r[0] for r in rows] == [e.id for e in events]
    assert [r[1] for r in rows] == [1, 2, 3]
    assert rows[0][2] == "" and rows[1][2] == rows[0][3] and rows[2][2] == rows[1][3]
    head = AuditChainHead.objects.get(pk=1)
    assert (head.last_seq, head.last_hash) == (3, rows[2][3])


def test_an_edited_record_is_detected():
    events = record_many(5)
    AuditEvent.objects.filter(pk=events[2].pk).update(after={"i": 99, "文本": "中文"})
    code, _, err = run_verify()
    assert code == 1
    assert f"sequence 3 (record id {events[2].pk})" in err
    assert "content does not match its hash" in err


def test_a_deleted_record_is_detected():
    events = record_many(5)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    result = audit_verify()
    assert not result.ok
    assert result.bad_seq == 3 and result.bad_event_id == events[2].pk
    assert result.problem.startswith("missing record(s): expected sequence 2")


def test_a_deleted_last_record_is_detected_by_the_head():
    record_many(4)
    last = AuditEvent.objects.order_by("-chain_seq").first()
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [last.pk])
    result = audit_verify()
    assert not result.ok
    assert "records at the end were deleted" in result.problem


def test_reordered_records_are_detected():
    events = record_many(4)
    a, b = events[1], events[2]
    AuditEvent.objects.filter(pk=a.pk).update(chain_seq=-1)
    AuditEvent.objects.filter(pk=b.pk).update(chain_seq=2)
    AuditEvent.objects.filter(pk=a.pk).update(chain_seq=3)
    result = audit_verify()
    assert not result.ok
    assert result.bad_seq == 2 and result.bad_event_id == b.pk


def test_a_rehashed_record_still_breaks_the_link_to_the_next():
    from anxin.core.audit import chain_hash

    events = record_many(3)
    victim = AuditEvent.objects.get(pk=events[0].pk)
    AuditEvent.objects.filter(pk=victim.pk).update(action="test.forged")
    victim.refresh_from_db()
    AuditEvent.objects.filter(pk=victim.pk).update(hash=chain_hash(victim, 1, ""))
    result = audit_verify()
    assert not result.ok and result.bad_seq == 2
    assert "previous-hash link broken" in result.problem


def test_records_cannot_be_changed_through_the_model():
    (event,) = record_many(1)
    event.action = "changed"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()


def test_sealing_is_idempotent_and_picks_up_late_commits():
    record_many(2)
    assert audit_seal() == 0
    with transaction.atomic():
        audit_record(actor=None, action="test.late", object_type="test")
    assert AuditEvent.objects.filter(hash="").count() == 1
    assert audit_seal() == 1
    assert audit_verify().ok


def test_staff_actions_keep_the_address_and_public_submissions_do_not(personas):
    from anxin.core import context

    token = context.set_current(context.RequestContext(ip="10.1.2.3", via="web"))
    try:
        with transaction.atomic():
            staff = audit_record(actor=personas.clerk, action="test.staff", object_type="t")
            public = audit_record(actor=None, action="test.public", object_type="t", public=True)
    finally:
        context.reset(token)
    assert staff.actor_ip == "10.1.2.3" and staff.actor_label == "clerk"
    assert public.actor_ip is None and public.actor_label == "public"


def test_a_large_batch_is_sealed_by_the_periodic_job_not_in_the_request(
    monkeypatch, django_capture_on_commit_callbacks
):
    from anxin.core import audit

    monkeypatch.setattr(audit, "SEAL_IN_REQUEST_MAX", 3)
    entries = [
        {"action": "test.bulk", "object_type": "test", "object_id": str(i)} for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            audit_record(actor=None, action="test.one", object_type="test", object_id="x")
            audit.audit_record_many(actor=None, entries=entries)
            audit_record(actor=None, action="test.after", object_type="test", object_id="y")
    assert AuditEvent.objects.filter(hash="").count() == 5  # nothing sealed in the request
    assert audit_seal() == 5  # what audit_seal_job runs every minute
    assert run_verify()[0] == 0


def test_a_smaller_batch_is_sealed_right_after_its_commit(
    monkeypatch, django_capture_on_commit_callbacks
):
    from anxin.core import audit

    monkeypatch.setattr(audit, "SEAL_IN_REQUEST_MAX", 3)
    entries = [
        {"action": "test.bulk", "object_type": "test", "object_id": str(i)} for i in range(3)
    ]
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            audit.audit_record_many(actor=None, entries=entries[:2])
    assert not AuditEvent.objects.filter(hash="").exists()
