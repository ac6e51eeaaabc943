"""Text messages through a pluggable backend (``ANXIN_SUPERVISION["sms_backend"]``).

A backend is a class with ``send(phone: str, text: str) -> None`` that raises :class:`SmsError`
(or any exception) when the message could not be handed over; the outbox then retries with
back-off. The default :class:`LoggingSmsBackend` only logs (development, or a city without an
SMS gateway). A city plugs its gateway in by naming its own class in ``ANXIN_SMS_BACKEND``.
"""

from __future__ import annotations

import logging
from typing import Protocol

from django.utils.module_loading import import_string

from anxin.core.identifiers import mask_phone
from anxin.supervision.conf import setting

logger = logging.getLogger("anxin.sms")


class SmsError(Exception):
    """The gateway refused or could not be reached; the message will be retried."""


class SmsBackend(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class LoggingSmsBackend:
    """Writes each message to the ``anxin.sms`` log (the number masked) and sends nothing."""

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask_phone(phone), text)


#: what a test backend collects: (phone, text)
sent: list[tuple[str, str]] = []


class MemorySmsBackend:
    """Keeps messages in :data:`sent` (tests)."""

    def send(self, phone: str, text: str) -> None:
        sent.append((phone, text))


def get_backend() -> SmsBackend:
    cls = import_string(setting("sms_backend"))
    backend: SmsBackend = cls()
    return backend
