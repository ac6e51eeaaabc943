"""The sweep's warnings and escalations reach core's webhooks; open clocks fill payload deadlines."""

from __future__ import annotations

import datetime as dt

import pytest

from anxin.core import webhooks
from anxin.core.models_webhooks import WebhookDelivery
from anxin.supervision.escalation import escalation_sweep
from anxin.supervision.receivers import open_deadlines
from anxin.supervision.services import clock_stop

from .conftest import NOW, start

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_endpoints():
    webhooks.forget_endpoints()
    yield
    webhooks.forget_endpoints()


def test_sweep_queues_deadline_warning_and_overdue_webhooks(
    personas, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[list[str]] = []
    monkeypatch.setattr(webhooks, "enqueue", queued.append)  # no sending here
    webhooks.webhook_endpoint_create(
        actor=None,
        name="12345 热线",
        url="http://hotline.example.test/hook",
        secret="s" * 32,
        events=["deadline_warning", "overdue"],
        subject_types=["petitions.petition"],
    )
    city = personas.city
    today = start(1, city.T1, dt.date(2026, 11, 27), responsible=personas.member)
    late = start(2, city.T1, dt.date(2026, 11, 10), responsible=personas.member)
    with django_capture_on_commit_callbacks(execute=True):
        escalation_sweep(now=NOW)
    rows = {
        (d.event, d.subject_id): d.payload["subject"]
        for d in WebhookDelivery.objects.filter(subject_type="petitions.petition")
    }
    assert set(rows) == {("deadline_warning", 1), ("overdue", 2)}
    assert rows[("overdue", 2)]["clock"] == "handle_by"
    assert rows[("overdue", 2)]["due_on"] == "2026-11-10"
    assert rows[("deadline_warning", 1)]["due_on"] == "2026-11-27"
    assert today.pk != late.pk
    assert sorted(len(group) for group in queued) == [1, 1]  # enqueued after commit


def test_open_deadlines_reads_running_clocks_in_one_query(personas, django_assert_num_queries):
    city = personas.city
    start(1, city.T1, dt.date(2026, 12, 1))
    start(2, city.T1, dt.date(2026, 12, 2))
    clock_stop(
        actor=None, subject_type="petitions.petition", subject_id=2, name="handle_by",
        on=dt.date(2026, 11, 20),
    )  # fmt: skip
    with django_assert_num_queries(1):
        found = open_deadlines("petitions.petition", [1, 2, 3])
    assert found == {1: {"handle_by": "2026-12-01"}}
