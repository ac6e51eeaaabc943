"""Supervision's settings (``settings.ANXIN_SUPERVISION``), read when used so tests can override."""

from __future__ import annotations

from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "blue_working_days": 3,
    "yellow_working_days": 1,
    "escalation_working_days": [0, 2, 5, 10],
    "email_by_default": True,
    "sms_by_default": False,
    "sms_backend": "anxin.supervision.sms.LoggingSmsBackend",
    "outbox_max_attempts": 6,
}


def setting(key: str) -> Any:
    return {**DEFAULTS, **getattr(settings, "ANXIN_SUPERVISION", {})}[key]
