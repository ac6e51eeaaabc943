"""Huey discovers ``tasks`` modules of installed apps; the schedule itself is config/schedule.py."""

from __future__ import annotations

from huey.contrib.djhuey import db_task

from config import schedule  # noqa: F401


@db_task()
def webhook_deliver_task(delivery_uid: str) -> None:
    """One attempt of a webhook delivery; a failed attempt schedules the next, backing off."""
    from anxin.core.webhooks_delivery import webhook_attempt

    wait = webhook_attempt(delivery_uid=delivery_uid)
    if wait is not None:
        webhook_deliver_task.schedule(args=(delivery_uid,), delay=wait)
