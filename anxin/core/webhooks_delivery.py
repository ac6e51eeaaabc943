"""Sending webhook deliveries: the signed POST, the attempt log, retries and the catch-up.

Each call of :func:`webhook_attempt` (from ``tasks.webhook_deliver_task``) claims one due
delivery, POSTs it signed (docs/webhooks.md §4), logs the attempt and answers how long to wait
before the next one (exponential back-off), or None when the delivery is done or given up.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from anxin.core.models_webhooks import DeliveryStatus, WebhookAttempt, WebhookDelivery
from anxin.core.webhooks import OPEN_STATES, enqueue

SIGNATURE_HEADER = "X-Anxin-Signature"
TIMESTAMP_HEADER = "X-Anxin-Timestamp"
EVENT_HEADER = "X-Anxin-Event"
DELIVERY_HEADER = "X-Anxin-Delivery"
USER_AGENT = "Anxin-Webhooks/1"
#: the longest back-off between two attempts
MAX_BACKOFF = timedelta(hours=6)


def body_of(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """``sha256=`` + HMAC-SHA256 hex of ``<timestamp>.<body>`` with the endpoint secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a 3xx answer is a failed attempt, never followed


_opener = urllib.request.build_opener(_NoRedirect)


def send_request(
    url: str, body: bytes, headers: dict[str, str], timeout: float
) -> tuple[int | None, str]:
    """POST ``body``; the HTTP status (or None) and an error text ("" when it answered)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None, "refused: only http and https URLs are called"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with _opener.open(request, timeout=timeout) as response:
            response.read(1024)
            return int(response.status), ""
    except urllib.error.HTTPError as exc:
        return int(exc.code), ""
    except Exception as exc:  # timeouts, refused connections, TLS errors, bad answers
        reason = getattr(exc, "reason", None) or exc
        return None, f"{type(exc).__name__}: {reason}"[:300]


def backoff(attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (1, 2, …): base × 2^(attempt−1), at most 6 h."""
    base = settings.ANXIN_WEBHOOK_BACKOFF_SECONDS
    return min(timedelta(seconds=base * 2 ** (attempt - 1)), MAX_BACKOFF)


def webhook_attempt(*, delivery_uid: str) -> float | None:
    """Make the next attempt of a due delivery; the seconds until the retry, or None.

    Claims the delivery with a conditional update first, so two workers never send it twice.
    System bookkeeping: not audited (each attempt is logged in its own table)."""
    now = timezone.now()
    timeout = settings.ANXIN_WEBHOOK_TIMEOUT
    claimed = WebhookDelivery.objects.filter(
        uid=delivery_uid, status__in=OPEN_STATES, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=timeout + 60))
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(uid=delivery_uid)
    endpoint = delivery.endpoint
    number = delivery.attempts + 1
    if not endpoint.is_active:
        code, error, took = None, "the endpoint is inactive", 0
    else:
        body = body_of(delivery.payload)
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            EVENT_HEADER: delivery.event,
            DELIVERY_HEADER: str(delivery.uid),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: sign(str(endpoint.secret), timestamp, body),
        }
        started = time.monotonic()
        code, error = send_request(endpoint.url, body, headers, timeout)
        took = int((time.monotonic() - started) * 1000)
    done = code is not None and 200 <= code < 300
    wait: timedelta | None = None
    delivery.attempts = number
    delivery.last_attempt_at = timezone.now()
    delivery.response_code = code
    delivery.last_error = error if not done else ""
    if done:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.next_attempt_at = None
    elif number >= settings.ANXIN_WEBHOOK_MAX_ATTEMPTS or not endpoint.is_active:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        wait = backoff(number)
        delivery.status = DeliveryStatus.RETRYING
        delivery.next_attempt_at = delivery.last_attempt_at + wait
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=delivery.last_attempt_at,
            response_code=code,
            error=error[:300],
            duration_ms=took,
        )
        delivery.save(
            update_fields=[
                "attempts",
                "last_attempt_at",
                "response_code",
                "last_error",
                "status",
                "next_attempt_at",
            ]
        )
    return wait.total_seconds() if wait is not None else None


def webhooks_requeue_due(*, limit: int = 500, grace: timedelta = timedelta(minutes=2)) -> int:
    """Enqueue deliveries that are due but were never handed to the queue (the process died
    between commit and enqueue, or the queue was down). For the periodic job."""
    cutoff = timezone.now() - grace
    uids = [
        str(u)
        for u in WebhookDelivery.objects.filter(status__in=OPEN_STATES, next_attempt_at__lte=cutoff)
        .order_by("next_attempt_at")
        .values_list("uid", flat=True)[:limit]
    ]
    enqueue(uids)
    return len(uids)
