"""Webhooks: signed notices of ``created``, ``status_changed``, ``deadline_warning`` and
``overdue`` to the endpoints the system administrator registers (docs/webhooks.md).

Where events come from:

- ``created`` and ``status_changed`` from core's own :data:`anxin.core.audit.audited` signal,
  for the items named in :data:`SUBJECTS` (core names them by label; it imports no other app).
  An item is *created* when its row was inserted in the transaction (``post_save`` with
  ``created``); its status *changed* when the status at audit time differs from the one it was
  loaded with (``post_init``) or last notified with. Supervision's clock events on the same item
  (``clock.*``, recorded on the item) give its deadlines;
- ``deadline_warning`` and ``overdue`` from :func:`webhooks_emit`, called by the supervision
  sweep's receivers.

The receiver does cheap, local work only: it inserts one delivery row per subscribed endpoint
(one query for the endpoints, one insert) in the writer's transaction, inside a savepoint, and
enqueues the Huey task after commit. Nothing here may fail the user's action: any error is
logged and swallowed. Payloads carry ids, numbers, status and deadlines — never text, never
identity: every value is a short ASCII token (:func:`clean_data`).

Each attempt is logged (:class:`~anxin.core.models_webhooks.WebhookAttempt`); a failed attempt is
retried with exponential back-off up to ``ANXIN_WEBHOOK_MAX_ATTEMPTS``; the administrator may
replay any delivery (:func:`webhook_delivery_replay`, audited).
"""

from __future__ import annotations

import functools
import logging
import re
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record, audited, audited_many
from anxin.core.errors import check_version
from anxin.core.models_webhooks import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
    WebhookSubject,
)
from anxin.core.scoping import can

log = logging.getLogger(__name__)

MANAGE_ACTION = "webhook.manage"
OPEN_STATES = (DeliveryStatus.PENDING, DeliveryStatus.RETRYING)
NAME_MAX = 100
URL_MAX = 500
SECRET_MIN = 16


@dataclass(frozen=True)
class SubjectSpec:
    """How an item appears in a payload: its status attribute and its deadline fields."""

    status: str | None = "status"
    deadline_fields: tuple[str, ...] = ()


#: The items webhooks follow, by ``<app_label>.<model>`` (supervision's ``subject_type``).
SUBJECTS: dict[str, SubjectSpec] = {
    WebhookSubject.PETITION.value: SubjectSpec(),
    WebhookSubject.HAZARD.value: SubjectSpec(deadline_fields=("deadline",)),
    WebhookSubject.ACCIDENT.value: SubjectSpec(status=None),
    WebhookSubject.ENFORCEMENT.value: SubjectSpec(deadline_fields=("deadline",)),
}

#: Extra deadline look-ups: ``fn(subject_type, ids) -> {id: {name: iso date}}`` (set-based).
DeadlineSource = Callable[[str, list[int]], dict[int, dict[str, str]]]
_deadline_sources: list[DeadlineSource] = []


def register_deadline_source(source: DeadlineSource) -> None:
    """Let an app (supervision) add the open deadlines of items to their payloads."""
    if source not in _deadline_sources:
        _deadline_sources.append(source)


def register_webhook_actions() -> None:
    from anxin.core.choices import Role
    from anxin.core.permissions import grant, make_global

    grant({Role.SYSADMIN}, MANAGE_ACTION)
    make_global(MANAGE_ACTION)


# --- Payloads: ids, numbers, status, deadlines; nothing else -----------------------------------

#: the keys a payload's subject may carry
ALLOWED_KEYS = frozenset(
    {
        "number",
        "status",
        "previous_status",
        "deadlines",
        "clock",
        "due_on",
        "due_at",
        "state",
        "days_left",
        "days_overdue",
        "level",
    }
)
#: a value is a short token: codes, case numbers, ISO dates and times. No spaces, no Chinese:
#: free text and names cannot pass.
TOKEN_RE = re.compile(r"^[A-Za-z0-9_.:+\-]{0,40}$")


def _token(value: Any) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, datetime | date):
        value = value.isoformat()
    if isinstance(value, str) and TOKEN_RE.match(value):
        return value
    raise ValueError("not a token")


def clean_data(data: dict[str, Any]) -> dict[str, Any]:
    """Keep the allowed keys whose values are tokens; drop (and log) anything else."""
    out: dict[str, Any] = {}
    dropped: list[str] = []
    for key, value in data.items():
        if key not in ALLOWED_KEYS:
            dropped.append(key)
            continue
        try:
            if key == "deadlines":
                if not isinstance(value, dict):
                    raise ValueError("deadlines is a mapping")
                out[key] = {str(_token(k)): _token(v) for k, v in value.items()}
            else:
                out[key] = _token(value)
        except ValueError:
            dropped.append(key)
    if dropped:
        log.warning(
            "webhooks: dropped payload keys %s (only ids, numbers, status, deadlines)", dropped
        )
    return out


# --- Tracking items: created and status at load ------------------------------------------------

_STATUS_AT_LOAD = "_anxin_webhook_status"
_CREATED = "_anxin_webhook_created"
_MISSING = object()


def _remember_status(sender: Any, instance: models.Model, **kwargs: Any) -> None:
    spec = SUBJECTS.get(sender._meta.label_lower)
    if spec is not None and spec.status is not None:
        instance.__dict__[_STATUS_AT_LOAD] = instance.__dict__.get(spec.status, _MISSING)


def _mark_created(sender: Any, instance: models.Model, created: bool, **kwargs: Any) -> None:
    if created:
        instance.__dict__[_CREATED] = True


def connect_subject_models() -> None:
    """Watch the models of :data:`SUBJECTS` that are installed (called from ``ready``)."""
    from django.apps import apps

    for label in SUBJECTS:
        try:
            model = apps.get_model(label)
        except (LookupError, ValueError):
            continue
        post_init.connect(_remember_status, sender=model, dispatch_uid=f"webhooks-init-{label}")
        post_save.connect(_mark_created, sender=model, dispatch_uid=f"webhooks-save-{label}")


def _classify(obj: models.Model, spec: SubjectSpec) -> tuple[str, Any] | None:
    state = obj.__dict__
    current = state.get(spec.status, _MISSING) if spec.status else _MISSING
    if state.pop(_CREATED, False):
        state[_STATUS_AT_LOAD] = current
        return WebhookEventType.CREATED, None
    if current is _MISSING:
        return None
    previous = state.get(_STATUS_AT_LOAD, _MISSING)
    if previous is _MISSING or previous == current:
        return None
    state[_STATUS_AT_LOAD] = current
    return WebhookEventType.STATUS_CHANGED, previous


# --- The transaction's buffer ------------------------------------------------------------------


@dataclass
class _Buffer:
    """What one transaction learnt: deadlines from clock events, payloads written so far."""

    deadlines: dict[tuple[str, int], dict[str, Any]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    #: (subject_type, id) -> [(payload, [delivery uid])]: payloads still open to deadline updates
    pending: dict[tuple[str, int], list[tuple[dict[str, Any], list[str]]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    callback: Callable[[], None] | None = None

    def close(self) -> None:
        self.deadlines.clear()
        self.pending.clear()


def _buffer() -> _Buffer | None:
    """The current transaction's buffer (None outside a transaction)."""
    conn = transaction.get_connection()
    if not conn.in_atomic_block:
        return None
    buf: _Buffer | None = getattr(conn, "_anxin_webhooks", None)
    if buf is None or not any(entry[1] is buf.callback for entry in conn.run_on_commit):
        buf = _Buffer()
        buf.callback = buf.close
        conn._anxin_webhooks = buf  # type: ignore[attr-defined]
        transaction.on_commit(buf.callback, robust=True)
    return buf


def enqueue(uids: Iterable[str]) -> None:
    """Hand deliveries to Huey (after commit). A queue that is down loses nothing: the periodic
    job re-enqueues what is due."""
    try:
        from anxin.core.tasks import webhook_deliver_task

        for uid in uids:
            webhook_deliver_task(uid)
    except Exception:
        log.exception("webhooks: could not enqueue deliveries; the periodic job will")


# --- Receiving events --------------------------------------------------------------------------


#: how long a process trusts its list of active endpoints (endpoint writes clear it at once
#: in the writing process; other processes see a change within this many seconds)
ENDPOINT_CACHE_SECONDS = 10.0
_endpoint_cache: tuple[float, list[tuple[int, list[str], list[str]]]] | None = None


def forget_endpoints() -> None:
    """Drop this process's list of active endpoints (after an endpoint write; in tests)."""
    global _endpoint_cache
    _endpoint_cache = None


def _cached_endpoints() -> list[tuple[int, list[str], list[str]]] | None:
    if _endpoint_cache is None or time.monotonic() - _endpoint_cache[0] > ENDPOINT_CACHE_SECONDS:
        return None
    return _endpoint_cache[1]


def webhooks_subscribed(event: str, subject_type: str) -> list[int]:
    """The active endpoints following ``event`` for ``subject_type`` (at most one query)."""
    global _endpoint_cache
    rows = _cached_endpoints()
    if rows is None:
        rows = [
            (pk, list(events), list(types))
            for pk, events, types in WebhookEndpoint.objects.filter(is_active=True).values_list(
                "id", "events", "subject_types"
            )
        ]
        _endpoint_cache = (time.monotonic(), rows)
    return [pk for pk, events, types in rows if event in events and subject_type in types]


def _nobody_listens() -> bool:
    """True when this process knows, without a query, that no endpoint is active."""
    rows = _cached_endpoints()
    return rows is not None and not rows


def _deadlines(subject_type: str, obj: models.Model, spec: SubjectSpec) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in spec.deadline_fields:
        value = getattr(obj, name, None)
        if value is not None:
            out[name] = value
    for source in _deadline_sources:
        out.update(source(subject_type, [obj.pk]).get(obj.pk, {}))
    return out


def _insert(
    event: str, subject_type: str, items: list[tuple[int, dict[str, Any]]], endpoints: list[int]
) -> list[tuple[dict[str, Any], list[str]]]:
    """One delivery row per item and endpoint, in one insert; the payloads with their uids."""
    now = timezone.now()
    rows: list[WebhookDelivery] = []
    groups: list[tuple[dict[str, Any], list[str]]] = []
    for subject_id, subject in items:
        event_id = uuid.uuid4()
        payload = {
            "id": str(event_id),
            "event": event,
            "occurred_at": now.isoformat(),
            "subject": {"type": subject_type, "id": subject_id, **subject},
        }
        uids: list[str] = []
        for endpoint_id in endpoints:
            uid = uuid.uuid4()
            uids.append(str(uid))
            rows.append(
                WebhookDelivery(
                    uid=uid,
                    event_id=event_id,
                    endpoint_id=endpoint_id,
                    event=event,
                    subject_type=subject_type,
                    subject_id=subject_id,
                    payload=payload,
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        groups.append((payload, uids))
    WebhookDelivery.objects.bulk_create(rows, batch_size=500)
    return groups


def _after_commit(groups: list[tuple[dict[str, Any], list[str]]]) -> None:
    """Enqueue after commit (at once outside a transaction). Registered in the savepoint of
    the insert: if that rolls back, the rows and this callback go together."""
    uids = [uid for _payload, group in groups for uid in group]
    transaction.on_commit(functools.partial(enqueue, uids), robust=True)


@receiver(audited, dispatch_uid="anxin.core.webhooks")
def _on_audited(sender: Any, event: Any, obj: models.Model | None = None, **kwargs: Any) -> None:
    spec = SUBJECTS.get(event.object_type)
    if spec is None:
        return
    try:
        if obj is None:
            if event.action.startswith("clock.") and not _nobody_listens():
                _note_clock(event)
            return
        if obj._meta.label_lower != event.object_type:
            return
        found = _classify(obj, spec)  # no query
        if found is None or _nobody_listens():
            return
        with transaction.atomic():  # a savepoint: a failure here leaves the writer's work intact
            _queue_item(found, event.object_type, obj, spec)
    except Exception:
        log.exception(
            "webhooks: could not queue the %s event of %s", event.action, event.object_type
        )


@receiver(audited_many, dispatch_uid="anxin.core.webhooks_many")
def _on_audited_many(
    sender: Any, events: Any, objs: Any, created: bool = False, **kwargs: Any
) -> None:
    """A bulk service's batch (an import): as :func:`_on_audited` for each change; nothing at
    all when no endpoint is active. ``bulk_create`` sent no ``post_save``, so the objects of a
    batch that ``created`` them are marked created here."""
    webhooks_subscribed("", "")  # the active endpoints, read at most once for the batch
    if _nobody_listens():
        return
    for event, obj in zip(events, objs, strict=True):
        if created and obj is not None and obj._meta.label_lower in SUBJECTS:
            obj.__dict__[_CREATED] = True
        _on_audited(sender, event=event, obj=obj)


def _queue_item(
    found: tuple[str, Any], subject_type: str, obj: models.Model, spec: SubjectSpec
) -> None:
    kind, previous = found
    endpoints = webhooks_subscribed(kind, subject_type)
    if not endpoints:
        return
    buf = _buffer()
    key = (subject_type, int(obj.pk))
    deadlines = _deadlines(subject_type, obj, spec)
    if buf is not None:
        for name, due in buf.deadlines.get(key, {}).items():
            if due is None:
                deadlines.pop(name, None)
            else:
                deadlines[name] = due
    subject: dict[str, Any] = {
        "number": getattr(obj, "number", None) or None,
        "status": getattr(obj, spec.status) if spec.status else None,
        "deadlines": deadlines,
    }
    if kind == WebhookEventType.STATUS_CHANGED:
        subject["previous_status"] = previous
    groups = _insert(kind, subject_type, [(int(obj.pk), clean_data(subject))], endpoints)
    if buf is not None:
        buf.pending[key].extend(groups)
    _after_commit(groups)


def _note_clock(event: Any) -> None:
    """A clock of the item started, moved or stopped: keep its deadline for this transaction's
    payloads, and update the payloads already written in it."""
    buf = _buffer()
    if buf is None:
        return
    try:
        key = (event.object_type, int(event.object_id))
    except ValueError:
        return
    after = event.after or {}
    name = event.object_repr
    due = after.get("due_at") or after.get("due_on")
    open_clock = after.get("state") in ("running", "paused") and due
    buf.deadlines[key][name] = due if open_clock else None
    pending = buf.pending.get(key, ())
    if not pending:
        return
    with transaction.atomic():  # a savepoint, as in _on_audited
        for payload, uids in pending:
            deadlines = payload["subject"].setdefault("deadlines", {})
            if open_clock:
                deadlines[name] = _token(due)
            else:
                deadlines.pop(name, None)
            WebhookDelivery.objects.filter(uid__in=uids).update(payload=payload)


def webhooks_emit(
    *, event: str, subject_type: str, subject_ids: list[int], data: list[dict[str, Any]]
) -> int:
    """Queue ``event`` for items of ``subject_type`` (the supervision sweep's warnings and
    overdue clocks). ``data[i]`` describes ``subject_ids[i]`` with the allowed keys only
    (number, status, clock, due_on, due_at, deadlines, …); anything else is dropped.

    Joins the caller's transaction (deliveries are enqueued after its commit); never raises
    for a delivery matter. Returns the number of delivery rows written."""
    if event not in WebhookEventType.values:
        raise ValueError(f"unknown webhook event {event!r}")
    if len(subject_ids) != len(data):
        raise ValueError("subject_ids and data differ in length")
    if not subject_ids:
        return 0
    try:
        with transaction.atomic():
            endpoints = webhooks_subscribed(event, subject_type)
            if not endpoints:
                return 0
            items = [(int(pk), clean_data(d)) for pk, d in zip(subject_ids, data, strict=True)]
            groups = _insert(event, subject_type, items, endpoints)
            _after_commit(groups)
            return len(items) * len(endpoints)
    except Exception:
        log.exception("webhooks: could not queue %s for %s", event, subject_type)
        return 0


# --- Administration: endpoints and replays -----------------------------------------------------


def _require(actor: Any) -> None:
    if actor is not None and not can(actor, MANAGE_ACTION):
        raise PermissionDenied


def _validate(
    *, name: str, url: str, events: list[str], subject_types: list[str], secret: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name.strip():
        errors["name"] = _("Give the endpoint a name.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("A name has at most %(max)d characters.") % {"max": NAME_MAX}
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        errors["url"] = _("The webhook URL must start with http:// or https:// and name a host.")
    elif len(url) > URL_MAX:
        errors["url"] = _("A URL has at most %(max)d characters.") % {"max": URL_MAX}
    if not events or set(events) - set(WebhookEventType.values):
        errors["events"] = _("Choose at least one event.")
    if not subject_types or set(subject_types) - set(WebhookSubject.values):
        errors["subject_types"] = _("Choose at least one kind of item.")
    if secret and len(secret) < SECRET_MIN:
        errors["secret"] = _("A secret has at least %(min)d characters.") % {"min": SECRET_MIN}
    return errors


def _snapshot(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": list(endpoint.events),
        "subject_types": list(endpoint.subject_types),
        "is_active": endpoint.is_active,
    }


def _ordered(values: Iterable[str], choices: Any) -> list[str]:
    chosen = set(values)
    return [v for v in choices.values if v in chosen]


@transaction.atomic
def webhook_endpoint_create(
    *,
    actor: Any,
    name: str,
    url: str,
    events: list[str],
    subject_types: list[str],
    secret: str = "",
    is_active: bool = True,
) -> WebhookEndpoint:
    """Register an endpoint. A blank ``secret`` is generated; the caller shows it once."""
    _require(actor)
    errors = _validate(
        name=name, url=url, events=events, subject_types=subject_types, secret=secret
    )
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        name=name.strip(),
        url=url.strip(),
        secret=secret or secrets.token_urlsafe(32),
        events=_ordered(events, WebhookEventType),
        subject_types=_ordered(subject_types, WebhookSubject),
        is_active=is_active,
        updated_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    endpoint.save(force_insert=True)
    forget_endpoints()
    transaction.on_commit(forget_endpoints)
    audit_record(
        actor=actor,
        action="webhook.create",
        obj=endpoint,
        after={**_snapshot(endpoint), "secret": "***"},
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_update(
    *,
    actor: Any,
    endpoint: WebhookEndpoint,
    version: int | None,
    name: str,
    url: str,
    events: list[str],
    subject_types: list[str],
    is_active: bool,
    secret: str = "",
) -> WebhookEndpoint:
    """Change an endpoint; a blank ``secret`` keeps the current one."""
    _require(actor)
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    check_version(locked, version)
    errors = _validate(
        name=name, url=url, events=events, subject_types=subject_types, secret=secret
    )
    if errors:
        raise ValidationError(errors)
    before = _snapshot(locked)
    locked.name = name.strip()
    locked.url = url.strip()
    locked.events = _ordered(events, WebhookEventType)
    locked.subject_types = _ordered(subject_types, WebhookSubject)
    locked.is_active = is_active
    fields = ["name", "url", "events", "subject_types", "is_active"]
    if secret:
        locked.secret = secret
        fields.append("secret")
    locked.version += 1
    locked.updated_at = timezone.now()
    locked.updated_by = actor if getattr(actor, "is_authenticated", False) else None
    locked.save(update_fields=[*fields, "version", "updated_at", "updated_by"])
    forget_endpoints()
    transaction.on_commit(forget_endpoints)
    after = _snapshot(locked)
    if secret:
        after["secret"] = "***"
    audit_record(actor=actor, action="webhook.update", obj=locked, before=before, after=after)
    return locked


@transaction.atomic
def webhook_delivery_replay(*, actor: Any, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again, as a new delivery with the same event id and payload."""
    _require(actor)
    original = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)
    if not original.endpoint.is_active:
        raise ValidationError(_("The endpoint is inactive; activate it before replaying."))
    now = timezone.now()
    replay = WebhookDelivery(
        event_id=original.event_id,
        endpoint=original.endpoint,
        event=original.event,
        subject_type=original.subject_type,
        subject_id=original.subject_id,
        payload=original.payload,
        next_attempt_at=now,
        created_at=now,
        replay_of=original,
    )
    replay.save(force_insert=True)
    audit_record(
        actor=actor,
        action="webhook.replay",
        obj=replay,
        after={"of": original.pk, "endpoint": original.endpoint_id, "event": original.event},
    )
    uid = str(replay.uid)
    transaction.on_commit(lambda: enqueue([uid]), robust=True)
    return replay


# --- Reads for the administrator ---------------------------------------------------------------

DELIVERY_ORDERING = ("-id",)


def webhook_endpoint_list(*, user: Any) -> models.QuerySet[WebhookEndpoint]:
    if not can(user, MANAGE_ACTION):
        return WebhookEndpoint.objects.none()
    return WebhookEndpoint.objects.order_by("name", "id")


def webhook_endpoint_get_for_user(*, user: Any, pk: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_list(user=user).filter(pk=pk).first()
    if endpoint is None:
        raise Http404
    return endpoint


def webhook_delivery_list(
    *, user: Any, endpoint: WebhookEndpoint
) -> models.QuerySet[WebhookDelivery]:
    if not can(user, MANAGE_ACTION):
        return WebhookDelivery.objects.none()
    return WebhookDelivery.objects.filter(endpoint=endpoint).prefetch_related("log")


def webhook_delivery_get_for_user(*, user: Any, pk: int) -> WebhookDelivery:
    if not can(user, MANAGE_ACTION):
        raise Http404
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=pk).first()
    if delivery is None:
        raise Http404
    return delivery
