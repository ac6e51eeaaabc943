"""notify(), preferences, and the outbox: each message sent once, failures retried."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.http import Http404
from django.test import override_settings
from django.utils import timezone

from anxin.core.models import AuditEvent, User
from anxin.supervision import notifications, sms
from anxin.supervision.models import Notification, NotificationPreference, OutboxMessage
from anxin.supervision.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    notification_preference_set,
    notify,
    outbox_claim,
    outbox_deliver,
    unread_count,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def people(personas):
    User.objects.filter(pk=personas.member.pk).update(email="member@example.gov.cn")
    member = User.objects.get(pk=personas.member.pk)
    member.phone = "13800138000"
    member.save(update_fields=["phone"])
    return personas


def send(personas, key="notice:1", **kw):
    return notify(
        user_ids=[personas.member.pk, personas.same.pk],
        kind=kw.pop("kind", "deadline_overdue"),
        title="督办通知",
        body="请于三日内答复",
        url="/supervision/",
        dedupe_key=key,
        **kw,
    )


def test_notify_creates_inbox_entries_once(people, django_assert_max_num_queries):
    with django_assert_max_num_queries(8):
        assert send(people) == 2
    assert send(people) == 0
    assert Notification.objects.count() == 2
    note = Notification.objects.get(user=people.member)
    assert (note.kind, note.title, note.body, note.url, note.dedupe_key) == (
        "deadline_overdue",
        "督办通知",
        "请于三日内答复",
        "/supervision/",
        f"notice:1:{people.member.pk}",
    )
    # a new key is a new notification
    assert send(people, key="notice:2") == 2


def test_notify_queries_do_not_grow_with_people(people, django_assert_max_num_queries):
    from anxin.core.testing import make_person

    many = [make_person(f"p{i}", people.city.T1, []).pk for i in range(30)]
    with django_assert_max_num_queries(8):
        assert notify(user_ids=many, kind="deadline_overdue", title="t", dedupe_key="k") == 30


def test_notify_skips_inactive_and_unknown_people(people):
    User.objects.filter(pk=people.same.pk).update(is_active=False)
    assert (
        notify(
            user_ids=[people.same.pk, people.member.pk, 999_999],
            kind="x",
            title="t",
            dedupe_key="k",
        )
        == 1
    )


def test_outbox_follows_preferences(people):
    send(people)
    # member has an address: e-mail by default, no SMS by default; same has no address
    assert list(OutboxMessage.objects.values_list("user__username", "channel")) == [
        ("member", "email")
    ]
    notification_preference_set(actor=people.member, kind="deadline_warning", email=False, sms=True)
    send(people, key="w:1", kind="deadline_warning")
    assert set(
        OutboxMessage.objects.filter(dedupe_key__startswith="w:1").values_list("channel", flat=True)
    ) == {"sms"}


@override_settings(ANXIN_SUPERVISION={"email_by_default": False, "sms_by_default": True})
def test_defaults_come_from_the_setting(people):
    send(people)
    assert list(OutboxMessage.objects.values_list("user__username", "channel")) == [
        ("member", "sms")
    ]


def test_bad_calls_are_refused(people):
    with pytest.raises(ValidationError) as exc:
        notify(user_ids=[1], kind="Bad Kind", title="t", dedupe_key="k")
    assert exc.value.message_dict == {"kind": ["通知类型只能由小写字母、数字、“_”或“.”组成。"]}
    with pytest.raises(ValidationError):
        notify(user_ids=[1], kind="x", title="", dedupe_key="k")
    with pytest.raises(ValidationError):
        notify(user_ids=[1], kind="x", title="t", dedupe_key="")


def test_preferences_are_audited_and_per_person(people):
    notification_preference_set(actor=people.member, kind="deadline_overdue", email=False, sms=True)
    notification_preference_set(actor=people.member, kind="deadline_overdue", email=False, sms=True)
    pref = NotificationPreference.objects.get(user=people.member)
    assert (pref.email, pref.sms) == (False, True)
    events = AuditEvent.objects.filter(action="notification.preference")
    assert events.count() == 1  # an unchanged save records nothing
    with pytest.raises(ValidationError):
        notification_preference_set(actor=people.member, kind="nope", email=True, sms=True)


def test_marking_read_is_for_the_owner_only(people):
    send(people)
    mine = Notification.objects.get(user=people.member)
    theirs = Notification.objects.get(user=people.same)
    assert unread_count(people.member) == 1
    with pytest.raises(Http404):
        notification_mark_read(actor=people.member, notification_id=theirs.pk)
    assert notification_mark_read(actor=people.member, notification_id=mine.pk) == 1
    assert notification_mark_read(actor=people.member, notification_id=mine.pk) == 0
    assert unread_count(people.member) == 0
    assert unread_count(people.same) == 1
    assert notification_mark_all_read(actor=people.same) == 1


# --- Delivery -------------------------------------------------------------------------------


def test_email_is_sent_once(people):
    send(people)
    assert outbox_deliver() == 1
    assert outbox_deliver() == 0
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["member@example.gov.cn"]
    assert mail.outbox[0].subject == "督办通知"
    assert mail.outbox[0].body == "请于三日内答复\n/supervision/"
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, message.address) == (
        "sent",
        1,
        "member@example.gov.cn",
    )
    assert message.sent_at is not None


@override_settings(
    ANXIN_SUPERVISION={
        "sms_by_default": True,
        "sms_backend": "anxin.supervision.sms.MemorySmsBackend",
    }
)
def test_sms_goes_through_the_pluggable_backend(people):
    sms.sent.clear()
    send(people)
    assert outbox_deliver() == 2
    assert sms.sent == [("13800138000", "督办通知\n请于三日内答复\n/supervision/")]
    # the number is kept encrypted as the record of where it went
    raw = OutboxMessage.objects.filter(channel="sms").values_list("address", flat=True)
    assert OutboxMessage.objects.get(channel="sms").address == "13800138000"
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"SELECT address FROM {OutboxMessage._meta.db_table} WHERE channel = 'sms'")
        assert cur.fetchone()[0].startswith("sm4gcm$")
    assert list(raw)


def test_the_logging_backend_masks_the_number(caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="anxin.sms"):
        sms.LoggingSmsBackend().send("13800138000", "督办")
    assert "13800138000" not in caplog.text
    assert "督办" in caplog.text


def test_a_failure_is_retried_with_back_off_then_given_up(people, monkeypatch):
    send(people)
    calls = {"n": 0}

    def broken(message, address, mail=None):
        calls["n"] += 1
        raise ConnectionError("gateway down")

    def broken_many(pairs, mail):
        raise ConnectionError("gateway down")

    monkeypatch.setattr(notifications, "_send", broken)
    monkeypatch.setattr(notifications, "_send_many", broken_many)
    start = timezone.now()
    assert outbox_deliver(now=start) == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert message.last_error == "ConnectionError: gateway down"
    assert message.next_attempt_at >= start + dt.timedelta(seconds=59)
    # not due again yet
    assert outbox_deliver(now=start + dt.timedelta(seconds=30)) == 0
    assert calls["n"] == 1
    # each retry waits twice as long; after the sixth attempt it is given up
    later = start
    for _ in range(5):
        later = OutboxMessage.objects.get().next_attempt_at + dt.timedelta(seconds=1)
        outbox_deliver(now=later)
    message = OutboxMessage.objects.get()
    assert (message.status, message.attempts, calls["n"]) == ("failed", 6, 6)
    assert outbox_deliver(now=later + dt.timedelta(days=1)) == 0
    assert calls["n"] == 6


def test_a_claim_is_taken_by_one_run_only(people):
    send(people)
    now = timezone.now()
    first, claimed = outbox_claim(now=now)
    second, claimed_again = outbox_claim(now=now)
    assert (claimed, claimed_again) == (1, 0)
    # a sender that died: its claim lapses and another run takes the message
    later = now + notifications.CLAIM_LEASE + dt.timedelta(seconds=1)
    assert outbox_deliver(now=later) == 1
    assert len(mail.outbox) == 1


def test_no_address_fails_at_once(people):
    send(people)
    User.objects.filter(pk=people.member.pk).update(email="")
    assert outbox_deliver() == 0
    message = OutboxMessage.objects.get()
    assert (message.status, message.last_error) == ("failed", "没有可发送的地址。")


def test_many_emails_go_in_one_backend_call_with_queries_per_chunk(
    people, django_assert_max_num_queries, monkeypatch
):
    for i in range(30):
        send(people, key=f"notice:{i}")
    calls: list[int] = []
    real = notifications._send_many

    def counted(pairs, connection):
        calls.append(len(pairs))
        real(pairs, connection)

    monkeypatch.setattr(notifications, "_send_many", counted)
    # claim (2) + read e-mails (1) + read texts (1) + per chunk: record (1)
    with django_assert_max_num_queries(5):
        assert outbox_deliver(limit=100) == 30
    assert calls == [30]
    assert len(mail.outbox) == 30
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
    assert set(OutboxMessage.objects.values_list("address", flat=True)) == {"member@example.gov.cn"}


def test_a_failed_chunk_is_sent_one_by_one(people, monkeypatch):
    send(people, key="a")
    send(people, key="b")

    def broken_many(pairs, connection):
        raise ConnectionError("pipe broken")

    real = notifications._send
    seen: list[int] = []

    def flaky(message, address, connection=None):
        seen.append(message.pk)
        if len(seen) == 1:
            raise ConnectionError("refused")
        real(message, address, connection)

    monkeypatch.setattr(notifications, "_send_many", broken_many)
    monkeypatch.setattr(notifications, "_send", flaky)
    assert outbox_deliver() == 1
    first, second = OutboxMessage.objects.order_by("id")
    assert (first.status, first.last_error) == ("pending", "ConnectionError: refused")
    assert second.status == "sent" and len(mail.outbox) == 1


@override_settings(
    ANXIN_SUPERVISION={
        "sms_by_default": True,
        "sms_backend": "anxin.supervision.sms.MemorySmsBackend",
    }
)
def test_chunks_record_each_persons_messages_and_no_others(
    people, monkeypatch, django_assert_num_queries
):
    """A chunk is recorded per person over its id range: e-mails only (text messages of the
    same people lie in the same range), each with its own person's address, no other rows."""
    sms.sent.clear()
    User.objects.filter(pk=people.same.pk).update(email="same@example.gov.cn")
    for i in range(9):
        send(people, key=f"notice:{i}")  # member: e-mail + SMS, same: e-mail
    # a message of this run without an address, in the middle of the first chunk
    quiet = OutboxMessage.objects.filter(channel="email", user=people.same).order_by("id")[1]
    User.objects.filter(pk=people.parent.pk).update(email="")
    OutboxMessage.objects.filter(pk=quiet.pk).update(user=people.parent)
    monkeypatch.setattr(notifications, "MAIL_CHUNK", 5)
    from django.db import connection

    if connection.vendor == "postgresql":
        # 27 messages in 6 locked chunks of at most 5, each: savepoint, the planner's setting,
        # lock and read, phones, record its e-mails, release (36) + no address (1) + 9 texts
        expected = 6 * 6 + 1 + 9
    else:
        # claim (2) + read e-mails (1) + read texts (1) + no address (1) + 4 chunks (4) + 9 texts
        expected = 9 + 9
    with django_assert_num_queries(expected):
        assert outbox_deliver(limit=100) == 17 + 9
    rows = OutboxMessage.objects.order_by("id")
    assert [(m.channel, m.status, m.claim) for m in rows if m.pk != quiet.pk] == [
        (m.channel, "sent", "") for m in rows if m.pk != quiet.pk
    ]
    assert OutboxMessage.objects.get(pk=quiet.pk).status == "failed"
    addresses = {(m.user_id, m.channel, m.address) for m in rows if m.pk != quiet.pk}
    assert addresses == {
        (people.member.pk, "email", "member@example.gov.cn"),
        (people.member.pk, "sms", "13800138000"),
        (people.same.pk, "email", "same@example.gov.cn"),
    }
    assert (
        sorted(m.to[0] for m in mail.outbox)
        == ["member@example.gov.cn"] * 9 + ["same@example.gov.cn"] * 8
    )
    assert len(sms.sent) == 9


# --- The locked path (PostgreSQL: FOR UPDATE SKIP LOCKED, no claim written) -------------------


@pytest.mark.dbdep
def test_a_sender_killed_before_recording_leaves_its_chunk_due(people, monkeypatch):
    """PostgreSQL: the chunk's transaction rolls back, its messages are due again at once with
    no attempt counted, and the next run sends them (at least once)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the locked path is PostgreSQL's")
    for i in range(3):
        send(people, key=f"k:{i}")

    def killed(pairs, token):
        raise RuntimeError("killed after the hand-over")

    monkeypatch.setattr(notifications, "_record_sent", killed)
    with pytest.raises(RuntimeError):
        outbox_deliver()
    assert len(mail.outbox) == 3  # handed over, not recorded
    assert set(OutboxMessage.objects.values_list("status", "attempts", "claim")) == {
        ("pending", 0, "")
    }
    monkeypatch.undo()
    assert outbox_deliver() == 3
    assert len(mail.outbox) == 6
    assert set(OutboxMessage.objects.values_list("status", "attempts", "claim")) == {
        ("sent", 1, "")
    }


@pytest.mark.dbdep
@pytest.mark.django_db(transaction=True)
def test_concurrent_senders_send_each_message_once(people, monkeypatch):
    """PostgreSQL: two senders at once each skip the rows the other holds."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("concurrent senders need PostgreSQL")
    User.objects.filter(pk=people.same.pk).update(email="same@example.gov.cn")
    for i in range(60):
        send(people, key=f"c:{i}")  # 120 e-mails
    monkeypatch.setattr(notifications, "MAIL_CHUNK", 7)
    barrier = threading.Barrier(2)
    counts: list[int] = []
    errors: list[Exception] = []

    def run():
        try:
            barrier.wait()
            counts.append(outbox_deliver(limit=1000))
        except Exception as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(counts) == 120 == len(mail.outbox)
    assert OutboxMessage.objects.filter(status="sent", attempts=1).count() == 120


@pytest.mark.dbdep
def test_the_sender_reads_the_due_index_in_order_before_statistics_catch_up(people):
    """PostgreSQL: right after a sweep filled the outbox (no statistics yet), a chunk's read
    walks the due index in order and stops at the chunk's size; it does not fetch and sort
    every due message."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the locked path is PostgreSQL's")
    OutboxMessage.objects.bulk_create(
        OutboxMessage(
            user=people.member,
            channel="email",
            subject="督办",
            body="正文" * 200,
            dedupe_key=f"k{i}",
        )
        for i in range(3000)
    )
    with transaction.atomic(), CaptureQueriesContext(connection) as ctx:
        taken, _last = notifications._locked(200, timezone.now())
        read = [q["sql"] for q in ctx.captured_queries if "SKIP LOCKED" in q["sql"]]
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN " + read[0])
            plan = "\n".join(row[0] for row in cursor.fetchall())
    assert len(taken) == 200 and [m.pk for m in taken] == sorted(m.pk for m in taken)
    assert "Index Scan using supervision_outbox_due" in plan
    assert "Sort" not in plan


@pytest.mark.dbdep
def test_a_runs_later_chunks_start_where_the_last_one_ended(people, monkeypatch):
    """PostgreSQL: after its first chunk a run reads on from its last message in the due index
    (keyset), not from the index's beginning, past the entries of what it has just sent."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if connection.vendor != "postgresql":
        pytest.skip("the locked path is PostgreSQL's")
    for i in range(10):
        send(people, key=f"ks:{i}")  # an e-mail to the member each (same has no address)
    monkeypatch.setattr(notifications, "MAIL_CHUNK", 4)
    with CaptureQueriesContext(connection) as ctx:
        assert outbox_deliver(limit=100) == 10
    reads = [q["sql"] for q in ctx.captured_queries if "SKIP LOCKED" in q["sql"]]
    assert len(reads) == 3  # chunks of 4, 4 and 2
    assert "(o.next_attempt_at, o.id) >" not in reads[0]
    assert all("(o.next_attempt_at, o.id) >" in sql for sql in reads[1:])
    assert OutboxMessage.objects.filter(status="sent").count() == 10
    assert sorted(m.to[0] for m in mail.outbox) == ["member@example.gov.cn"] * 10
