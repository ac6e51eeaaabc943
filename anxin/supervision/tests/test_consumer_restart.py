"""A Huey consumer killed mid-job (kill -9) and started again: no stale lock, the work resumes.

The end-to-end run with real processes is ``bench/crash.py`` (``make crash``); these tests pin
the two pieces it relies on: the consumer's options flush the jobs' locks at start, and a
starting consumer enqueues the sweep and the outbox once.
"""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.core import mail
from huey.contrib.djhuey import HUEY

from anxin.supervision.models import Escalation, OutboxMessage
from config import schedule

from .conftest import overdue_clocks

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_start(monkeypatch):
    """A consumer process that has not caught up yet."""
    monkeypatch.setattr(schedule, "_caught_up", threading.Lock())


def test_a_starting_consumer_flushes_the_lock_a_killed_one_left():
    lock = HUEY.lock_task("supervision-sweep")
    lock.acquire()  # what a consumer killed while the sweep ran leaves in the storage
    try:
        assert HUEY.is_locked("supervision-sweep")
        # what `manage.py run_huey` does with settings.HUEY["consumer"]
        HUEY.create_consumer(**settings.HUEY["consumer"])
        assert not HUEY.is_locked("supervision-sweep")
        assert not HUEY.is_locked("supervision-outbox")
    finally:
        lock.release()


def test_a_starting_consumer_runs_the_sweep_and_the_outbox_at_once(personas, ladder, fresh_start):
    overdue_clocks(personas.city.T1, 2)
    consumer = HUEY.create_consumer(workers=1, **settings.HUEY["consumer"])
    worker, _thread = consumer.worker_threads[0]
    worker.initialize()  # the startup hooks; tasks run at once in the test profile
    # two clocks, four steps each, one e-mail per step (tests of the sweep: who is told)
    assert Escalation.objects.count() == 8
    assert OutboxMessage.objects.filter(status="sent").count() == 8
    assert len(mail.outbox) == 8


def test_every_worker_of_a_consumer_starts_but_one_catch_up(monkeypatch, fresh_start):
    calls: list[str] = []
    monkeypatch.setattr(schedule, "supervision_sweep_job", lambda: calls.append("sweep"))
    monkeypatch.setattr(schedule, "supervision_outbox_job", lambda: calls.append("outbox"))
    consumer = HUEY.create_consumer(workers=3, **settings.HUEY["consumer"])
    for worker, _thread in consumer.worker_threads:
        worker.initialize()
    assert calls == ["sweep", "outbox"]
