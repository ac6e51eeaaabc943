"""Notifications: the inbox, the outbox (e-mail and SMS) and per-person preferences.

Other code calls :func:`notify` inside its own transaction; the sweep uses a set-based variant
(``INSERT … SELECT`` in :mod:`anxin.supervision.escalation`) that writes the same rows. Every
notification is an inbox entry; an e-mail and/or a text message is queued in the outbox when the
person's preference for that kind says so (defaults: ``email_by_default``, ``sms_by_default``)
and they have an address. :func:`outbox_deliver` (periodic job ``supervision_outbox_job``) sends
the queue.

Once-only: an inbox entry's ``dedupe_key`` is ``"<dedupe_key>:<user id>"`` (unique), an outbox
row's is that plus ``":email"`` / ``":sms"`` (unique), so repeating a call creates nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import uuid
from collections.abc import Iterable
from typing import Any, NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.core.audit import audit_record
from anxin.core.models import User
from anxin.supervision.choices import Channel, OutboxStatus
from anxin.supervision.conf import setting
from anxin.supervision.models_notifications import (
    Notification,
    NotificationPreference,
    OutboxMessage,
)
from anxin.supervision.sms import get_backend

logger = logging.getLogger(__name__)

KIND_RE = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")
#: how long a claimed outbox row is left to its sender before another run may take it
CLAIM_LEASE = dt.timedelta(minutes=10)
#: first retry after a failure; doubled each time, at most :data:`BACKOFF_MAX`
BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_MAX = dt.timedelta(hours=6)

#: kinds people can set preferences for: kind → label (apps add theirs with register_kind)
_KINDS: dict[str, Any] = {
    "deadline_warning": gettext_lazy("Deadline warnings (yellow)"),
    "deadline_overdue": gettext_lazy("Overdue deadlines and escalations (red)"),
}


def register_kind(kind: str, label: Any) -> None:
    """Declare a kind of notification (shown on the preferences page)."""
    if not KIND_RE.match(kind):
        raise ValueError(f"bad notification kind {kind!r}")
    _KINDS[kind] = label


def kinds() -> dict[str, Any]:
    return dict(_KINDS)


# --- Creating ------------------------------------------------------------------------------------


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str,
) -> int:
    """Put a notification in each person's inbox and queue e-mail/SMS per their preferences.

    Runs in the caller's transaction (a savepoint). Rows whose ``f"{dedupe_key}:{user_id}"``
    already exists are left alone; inactive or unknown people are skipped. Returns the number
    of inbox entries created. A fixed number of queries, whatever the number of people.
    """
    if not KIND_RE.match(kind or ""):
        raise ValidationError(
            {"kind": _("A notification kind is lower-case letters, digits, '_' or '.'.")}
        )
    title = (title or "").strip()
    if not title or len(title) > 200:
        raise ValidationError(
            {"title": _("A notification needs a title of at most 200 characters.")}
        )
    if not dedupe_key or len(dedupe_key) > 180:
        raise ValidationError(
            {"dedupe_key": _("A notification needs a key of at most 180 characters.")}
        )
    if len(url) > 500:
        raise ValidationError({"url": _("The link is too long.")})
    ids = sorted({int(u) for u in user_ids})
    if not ids:
        return 0
    with transaction.atomic():
        active = dict(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", "email"))
        keys = {uid: f"{dedupe_key}:{uid}" for uid in active}
        existing = set(
            Notification.objects.filter(dedupe_key__in=keys.values()).values_list(
                "dedupe_key", flat=True
            )
        )
        new_ids = [uid for uid in sorted(active) if keys[uid] not in existing]
        if not new_ids:
            return 0
        now = timezone.now()
        Notification.objects.bulk_create(
            [
                Notification(
                    user_id=uid,
                    kind=kind,
                    title=title,
                    body=body,
                    url=url,
                    created_at=now,
                    dedupe_key=keys[uid],
                )
                for uid in new_ids
            ],
            ignore_conflicts=True,
        )
        prefs = {
            uid: (email, sms)
            for uid, email, sms in NotificationPreference.objects.filter(
                user_id__in=new_ids, kind=kind
            ).values_list("user_id", "email", "sms")
        }
        with_phone = set(
            User.objects.filter(pk__in=new_ids).exclude(phone="").values_list("pk", flat=True)
        )
        default = (bool(setting("email_by_default")), bool(setting("sms_by_default")))
        text = body + (f"\n{settings.ANXIN_BASE_URL.rstrip('/')}{url}" if url else "")
        outbox: list[OutboxMessage] = []
        for uid in new_ids:
            email_on, sms_on = prefs.get(uid, default)
            channels = []
            if email_on and active[uid]:
                channels.append(Channel.EMAIL)
            if sms_on and uid in with_phone:
                channels.append(Channel.SMS)
            outbox += [
                OutboxMessage(
                    user_id=uid,
                    channel=ch,
                    subject=title,
                    body=text,
                    next_attempt_at=now,
                    created_at=now,
                    dedupe_key=f"{keys[uid]}:{ch}",
                )
                for ch in channels
            ]
        if outbox:
            OutboxMessage.objects.bulk_create(outbox, ignore_conflicts=True)
    return len(new_ids)


# --- Reading (a person's own only) ---------------------------------------------------------------

INBOX_ORDERING = ("-id",)


def inbox_for(user: Any, *, unread: bool = False) -> Any:
    qs = Notification.objects.filter(user=user)
    if unread:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by(*INBOX_ORDERING)


def unread_count(user: Any) -> int:
    """One indexed count (the partial index on unread rows)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def preferences_for(user: Any) -> list[dict[str, Any]]:
    """Every registered kind with the person's channels (defaults where they set none)."""
    saved = {
        p.kind: p
        for p in NotificationPreference.objects.filter(user=user).only("kind", "email", "sms")
    }
    default_email, default_sms = bool(setting("email_by_default")), bool(setting("sms_by_default"))
    out = []
    for kind, label in sorted(_KINDS.items()):
        pref = saved.get(kind)
        out.append(
            {
                "kind": kind,
                "label": label,
                "email": pref.email if pref else default_email,
                "sms": pref.sms if pref else default_sms,
            }
        )
    return out


# --- A person's writes -------------------------------------------------------------------------


def notification_mark_read(*, actor: User, notification_id: int) -> int:
    """Mark one of the actor's own notifications read (404 for anyone else's).

    Bookkeeping, like a message being opened: not recorded in the audit trail.
    """
    qs = Notification.objects.filter(pk=notification_id, user=actor)
    if not qs.exists():
        raise Http404
    return qs.filter(read_at__isnull=True).update(read_at=timezone.now())


def notification_mark_all_read(*, actor: User) -> int:
    return Notification.objects.filter(user=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


@transaction.atomic
def notification_preference_set(*, actor: User, kind: str, email: bool, sms: bool) -> None:
    """The actor's own channels for one kind (audited: who asked for what to be sent where)."""
    if kind not in _KINDS:
        raise ValidationError({"kind": _("Unknown kind of notification.")})
    pref = NotificationPreference.objects.select_for_update().filter(user=actor, kind=kind).first()
    before = {"email": pref.email, "sms": pref.sms} if pref else None
    if pref is None:
        NotificationPreference.objects.create(user=actor, kind=kind, email=email, sms=sms)
    elif (pref.email, pref.sms) != (email, sms):
        pref.email, pref.sms, pref.updated_at = email, sms, timezone.now()
        pref.save(update_fields=["email", "sms", "updated_at"])
    else:
        return
    audit_record(
        actor=actor,
        action="notification.preference",
        object_type="core.user",
        object_id=str(actor.pk),
        object_repr=kind,
        before=before,
        after={"email": email, "sms": sms},
    )


# --- Delivering the outbox ---------------------------------------------------------------------


def _backoff(attempts: int) -> dt.timedelta:
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def _claim(limit: int, now: dt.datetime) -> tuple[str, list[int], int]:
    """Claim up to ``limit`` due messages for this run: its token, the ids it tried to claim
    and how many it got (another run may have taken some of them first)."""
    token = uuid.uuid4().hex
    due = Q(status__in=[OutboxStatus.PENDING, OutboxStatus.SENDING], next_attempt_at__lte=now)
    ids = list(
        OutboxMessage.objects.filter(due)
        .order_by("next_attempt_at", "id")
        .values_list("id", flat=True)[:limit]
    )
    if not ids:
        return token, [], 0
    claimed = OutboxMessage.objects.filter(due, pk__in=ids).update(
        status=OutboxStatus.SENDING,
        claim=token,
        next_attempt_at=now + CLAIM_LEASE,
        attempts=F("attempts") + 1,
    )
    return token, ids, claimed


def outbox_claim(*, limit: int = 100, now: dt.datetime | None = None) -> tuple[str, int]:
    """Claim up to ``limit`` due messages for this run with one conditional UPDATE.

    Due: pending and ``next_attempt_at`` reached, or ``sending`` whose claim lapsed (a sender
    that died). Another run's UPDATE of the same rows finds them no longer due and skips them.
    Returns the run's token and how many messages it holds.
    """
    now = now if now is not None else timezone.now()
    token, _ids, claimed = _claim(limit, now)
    return token, claimed


class _Out(NamedTuple):
    """What a send reads of one claimed message and its person: no more (plain tuples from one
    query, no model instances; the phone, SM4-encrypted, is read and decrypted only for text
    messages)."""

    pk: int
    channel: str
    subject: str
    body: str
    attempts: int
    user_id: int
    address: str  # the person's current e-mail or phone; empty if none or inactive


def _claimed(token: str, ids: list[int], channel: str) -> list[_Out]:
    """This run's messages of one channel, among the ids it tried to claim (the primary key
    finds them: the claim token has no index of its own)."""
    contact = "user__email" if channel == Channel.EMAIL else "user__phone"
    rows = (
        OutboxMessage.objects.filter(
            pk__in=ids, claim=token, status=OutboxStatus.SENDING, channel=channel
        )
        .order_by("id")
        .values_list("id", "subject", "body", "attempts", "user_id", "user__is_active", contact)
    )
    return [
        _Out(pk, channel, subject, body, attempts, uid, str(address or "") if active else "")
        for pk, subject, body, attempts, uid, active, address in rows
    ]


def _send(message: _Out, address: str, mail: Any = None) -> None:
    if message.channel == Channel.EMAIL:
        EmailMessage(message.subject, message.body, None, [address], connection=mail).send()
    else:
        get_backend().send(address, f"{message.subject}\n{message.body}".strip())


#: e-mails handed to the mail backend per call (and recorded per statement)
MAIL_CHUNK = 200


def outbox_deliver(*, limit: int = 100, now: dt.datetime | None = None) -> int:
    """Send the claimed messages, each once; a failure is retried with back-off.

    Results are written right after their send, conditionally on this run's claim: a text
    message one by one, e-mails per backend call of up to ``MAIL_CHUNK``. A run killed halfway
    leaves only what was in flight to be sent again when its claim lapses (at least once: a
    gateway cannot be asked whether it already got it). Queries: two to claim, one per
    channel to read, one per chunk of e-mails to record; one per text message.
    """
    now = now if now is not None else timezone.now()
    if connection.vendor == "postgresql":
        return _deliver_locked(limit, now)
    token, ids, claimed = _claim(limit, now)
    if not claimed:
        return 0
    max_attempts = int(setting("outbox_max_attempts"))
    sent = 0
    # one mail connection for the run (SMTP: one session for all its messages); if it cannot
    # be opened here, each send tries again and a failure takes the retry path of its message
    mail = get_connection()
    try:
        emails = _claimed(token, ids, Channel.EMAIL)
        if emails:
            try:
                mail.open()
            except Exception as exc:  # noqa: BLE001 - retried per message below
                logger.warning("mail connection failed: %s", exc)
            for i in range(0, len(emails), MAIL_CHUNK):
                sent += _deliver_mail_chunk(emails[i : i + MAIL_CHUNK], token, max_attempts, mail)
        for message in _claimed(token, ids, Channel.SMS):
            sent += _deliver_one(message, token, max_attempts, mail)
    finally:
        mail.close()
    return sent


def _locked(
    size: int, now: dt.datetime, after: tuple[Any, int] | None = None
) -> tuple[list[_Out], tuple[Any, int] | None]:
    """PostgreSQL: up to ``size`` due messages, oldest first, locked for this transaction
    (``FOR UPDATE SKIP LOCKED``: rows another sender holds are passed over, not waited for).
    ``attempts`` is the attempt being made (the claim's increment, done when recording).

    Read in the due index's order, as plain tuples. The planner is told to (``enable_sort``
    off for this transaction only, whose other statement, the record, sorts nothing): right
    after a sweep has filled the outbox its statistics lag behind (autovacuum has not analysed
    the new rows), it expects a handful of due rows and would fetch and sort every due message,
    texts included, for each chunk (5,000 due: 17 ms a chunk instead of 0.6 ms).

    Returns the messages and the ``(next_attempt_at, id)`` of the last one read (the time as
    PostgreSQL's own text, given back as is: exact, and no time zone conversion in Python for
    each row — Django's loader of aware times cost 4 µs a row).

    ``after``: the ``(next_attempt_at, id)`` of the run's last message so far; the read starts
    there in the index (keyset), not at its beginning, where the entries of the messages this
    run has already sent lie until vacuum removes them (each chunk walked over them: 50,000
    e-mails, the last chunks' reads took ten times the first's)."""
    quote = connection.ops.quote_name
    table, user = quote(OutboxMessage._meta.db_table), quote(User._meta.db_table)
    sql = (
        f"SELECT o.id, o.channel, o.subject, o.body, o.attempts, o.user_id, u.is_active, "
        f"u.email, CAST(o.next_attempt_at AS TEXT) FROM {table} o JOIN {user} u ON u.id = o.user_id "
        f"WHERE o.status IN (%s, %s) AND o.next_attempt_at <= %s {{after}}"
        f"ORDER BY o.next_attempt_at, o.id LIMIT %s FOR UPDATE OF o SKIP LOCKED"
    )
    params: list[Any] = [
        OutboxStatus.PENDING.value,
        OutboxStatus.SENDING.value,
        connection.ops.adapt_datetimefield_value(now),
    ]
    if after is not None:
        sql = sql.format(after="AND (o.next_attempt_at, o.id) > (CAST(%s AS TIMESTAMPTZ), %s) ")
        params += list(after)
    else:
        sql = sql.format(after="")
    params.append(size)
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('enable_sort', 'off', true)")
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    # phones (SM4-encrypted) are read and decrypted for text messages only
    texting = {row[5] for row in rows if row[1] != Channel.EMAIL}
    phones = dict(User.objects.filter(pk__in=texting).values_list("pk", "phone")) if texting else {}
    messages = [
        _Out(
            pk,
            channel,
            subject,
            body,
            attempts + 1,
            uid,
            str((email if channel == Channel.EMAIL else phones.get(uid)) or "") if active else "",
        )
        for pk, channel, subject, body, attempts, uid, active, email, _due in rows
    ]
    return messages, ((rows[-1][8], rows[-1][0]) if rows else after)


def _deliver_locked(limit: int, now: dt.datetime) -> int:
    """PostgreSQL: deliver in chunks of up to ``MAIL_CHUNK`` messages, each chunk one
    transaction that locks its rows (``FOR UPDATE SKIP LOCKED``), sends them and records the
    results before it commits.

    No claim is written: a message is written once, when its result is recorded (one row
    version per message instead of two: claimed, then sent). Concurrent senders skip each
    other's locked rows, so no message is sent twice in normal runs. A sender killed halfway
    rolls its chunk back: those messages are due again at once and are sent again (at least
    once, as for any gateway) — at most one chunk. Rows left ``sending`` by a claim of
    :func:`outbox_claim` are taken when their lease lapses, as on the claim path.
    Queries per chunk: one to lock and read, one for the phones when it holds text messages,
    one to record the e-mails, one per text message and per failure.
    """
    max_attempts = int(setting("outbox_max_attempts"))
    sent = taken = 0
    mail = get_connection()
    opened = False
    last: tuple[Any, int] | None = None
    try:
        while taken < limit:
            size = min(MAIL_CHUNK, limit - taken)
            with transaction.atomic():
                messages, last = _locked(size, now, last)
                taken += len(messages)
                emails = [m for m in messages if m.channel == Channel.EMAIL]
                if emails and not opened:
                    opened = True
                    try:
                        mail.open()
                    except Exception as exc:  # noqa: BLE001 - retried per message below
                        logger.warning("mail connection failed: %s", exc)
                if emails:
                    sent += _deliver_mail_chunk(emails, None, max_attempts, mail)
                for message in messages:
                    if message.channel != Channel.EMAIL:
                        sent += _deliver_one(message, None, max_attempts, mail)
            if len(messages) < size:
                break
    finally:
        mail.close()
    return sent


def _row(message: _Out, token: str | None) -> Any:
    """The message's row, as long as this run's claim holds (``token`` None: a row this
    transaction has locked)."""
    if token is None:
        return OutboxMessage.objects.filter(pk=message.pk)
    return OutboxMessage.objects.filter(pk=message.pk, claim=token, status=OutboxStatus.SENDING)


def _tried(message: _Out, token: str | None) -> dict[str, Any]:
    """Columns a recorded result also sets: the attempt count, on the locked path (the claim
    counted it on the claim path)."""
    return {"attempts": message.attempts} if token is None else {}


def _send_many(pairs: list[tuple[_Out, str]], mail: Any) -> None:
    """Hand e-mails to the backend in one call (an SMTP backend sends them in one session)."""
    mail.send_messages(
        [EmailMessage(m.subject, m.body, None, [address], connection=mail) for m, address in pairs]
    )


def _record_sent_locked(pairs: list[tuple[_Out, str]]) -> int:
    """The locked path's record of a sent chunk: by id (the rows this transaction holds), one
    parameter row per person, the attempt counted."""
    by_person: dict[int, tuple[str, list[int]]] = {}
    for m, addr in pairs:
        by_person.setdefault(m.user_id, (addr, []))[1].append(m.pk)
    address = OutboxMessage._meta.get_field("address")
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"UPDATE {table} SET {quote(address.column)} = %s, status = %s, sent_at = %s, "
        f"claim = '', attempts = attempts + 1 WHERE id = ANY(%s)"
    )
    rows = [
        (address.get_db_prep_value(addr, connection), OutboxStatus.SENT.value, sent_at, ids)
        for addr, ids in by_person.values()
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)
        return len(pairs) if len(rows) > 1 else max(cursor.rowcount, 0)


def _record_sent(pairs: list[tuple[_Out, str]], token: str | None) -> int:
    """Mark a sent chunk of e-mails sent, with the address each went to, in one statement.

    The chunk is a run of this claim's e-mail rows ordered by id, so "this claim's e-mail rows
    of person P between the chunk's first and last id" are exactly P's messages of the chunk.
    One parameter row per person, not per message: a person's messages went to one address,
    encrypted once (the ciphertext shows no more than the row's plain ``user_id`` already does).
    Only rows this run still holds are written; returns how many.
    """
    if token is None:
        return _record_sent_locked(pairs)
    lo, hi = pairs[0][0].pk, pairs[-1][0].pk
    by_person = {m.user_id: address for m, address in pairs}
    address = OutboxMessage._meta.get_field("address")
    quote = connection.ops.quote_name
    table = quote(OutboxMessage._meta.db_table)
    sent_at = connection.ops.adapt_datetimefield_value(timezone.now())
    sql = (
        f"UPDATE {table} SET {quote(address.column)} = %s, status = %s, sent_at = %s, "
        f"claim = '' WHERE claim = %s AND status = %s AND channel = %s AND user_id = %s "
        f"AND id >= %s AND id <= %s"
    )
    rows = [
        (
            address.get_db_prep_value(addr, connection),
            OutboxStatus.SENT.value,
            sent_at,
            token,
            OutboxStatus.SENDING.value,
            Channel.EMAIL.value,
            uid,
            lo,
            hi,
        )
        for uid, addr in by_person.items()
    ]
    with connection.cursor() as cursor:
        if len(rows) == 1:
            cursor.execute(sql, rows[0])
        else:
            cursor.executemany(sql, rows)  # psycopg: pipelined, one round trip
        return max(cursor.rowcount, 0)


def _deliver_mail_chunk(
    messages: list[_Out], token: str | None, max_attempts: int, mail: Any
) -> int:
    """Send up to ``MAIL_CHUNK`` e-mails in one backend call and record them in one statement.

    If the backend call fails, the chunk is sent again message by message so that each failure
    takes its own retry path. A run killed between the backend call and the record leaves
    these messages to be sent again when the claim lapses (at least once, as for any gateway).
    """
    pairs: list[tuple[_Out, str]] = []
    sent = 0
    for message in messages:
        if message.address:
            pairs.append((message, message.address))
        else:
            sent += _deliver_one(message, token, max_attempts, mail)  # fails at once
    if not pairs:
        return sent
    try:
        _send_many(pairs, mail)
    except Exception as exc:  # noqa: BLE001 - each message is tried on its own
        logger.warning("sending %d e-mails at once failed (%s): one by one", len(pairs), exc)
        return sent + sum(_deliver_one(m, token, max_attempts, mail) for m, _a in pairs)
    return sent + _record_sent(pairs, token)


def _deliver_one(message: _Out, token: str | None, max_attempts: int, mail: Any) -> int:
    """Send one message and record the result right after; 1 when sent."""
    address = message.address
    row = _row(message, token)
    tried = _tried(message, token)
    if not address:
        row.update(
            status=OutboxStatus.FAILED,
            last_error=_("No address to send to."),
            claim="",
            **tried,
        )
        return 0
    try:
        _send(message, address, mail)
    except Exception as exc:  # noqa: BLE001 - any gateway error is retried
        logger.warning("outbox message %s failed: %s", message.pk, exc)
        error = f"{type(exc).__name__}: {exc}"[:500]
        if message.attempts >= max_attempts:
            row.update(status=OutboxStatus.FAILED, last_error=error, claim="", **tried)
        else:
            row.update(
                status=OutboxStatus.PENDING,
                last_error=error,
                claim="",
                next_attempt_at=timezone.now() + _backoff(message.attempts),
                **tried,
            )
        return 0
    return row.update(
        address=address, status=OutboxStatus.SENT, sent_at=timezone.now(), claim="", **tried
    )
