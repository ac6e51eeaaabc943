"""Webhooks: events from the audit signal and from webhooks_emit, payloads without text or
identity, signed deliveries, retries with back-off, replays — and a failing receiver never
blocks the user's action."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from anxin.core import webhooks
from anxin.core import webhooks_delivery as delivery_mod
from anxin.core.audit import audit_record
from anxin.core.models import AuditEvent
from anxin.core.models_webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

SECRET = "s3cret-for-tests-0123456789"


@pytest.fixture(autouse=True)
def _fresh_endpoint_cache() -> Iterator[None]:
    webhooks.forget_endpoints()
    yield
    webhooks.forget_endpoints()


class Receiver:
    """A local HTTP server that records what it receives and answers the queued codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.codes: list[int] = []
        self.delay = 0.0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                outer.requests.append({"headers": dict(self.headers), "body": body})
                if outer.delay:
                    time.sleep(outer.delay)
                code = outer.codes.pop(0) if outer.codes else 204
                try:
                    self.send_response(code)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def register(personas: Any) -> Any:
    """Register a claim with the city clerk, with the petitioner's identity (to be kept out)."""
    from anxin.petitions.models import Category
    from anxin.petitions.services import ComplainantIn, petition_register

    def make(**overrides: Any) -> Any:
        kwargs: dict[str, Any] = {
            "actor": personas.clerk,
            "channel": "letter",
            "kind": "claim",
            "category": Category.objects.get(code="labour"),
            "title": "拖欠工资三个月未发放",
            "content": "某建筑公司拖欠农民工工资三个月，多次讨要未果，请求协调解决。",
            "unit": personas.city.C,
            "complainants": [
                ComplainantIn(
                    name="张三",
                    id_number="11010519491231002X",
                    phone="13812345678",
                    address="一街道和平路1号",
                )
            ],
        }
        kwargs.update(overrides)
        return petition_register(**kwargs)

    return make


def endpoint(url: str, *, events: Any = None, subjects: Any = None, **kw: Any) -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(
        actor=None,
        name=kw.pop("name", "12345 热线"),
        url=url,
        secret=kw.pop("secret", SECRET),
        events=events or ["created", "status_changed", "deadline_warning", "overdue"],
        subject_types=subjects or ["petitions.petition", "safety.hazard"],
        **kw,
    )


def due(delivery: WebhookDelivery) -> None:
    """Make a retrying delivery due now (instead of waiting for its back-off)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=timezone.now())


# --- events from the audit signal -------------------------------------------------------------


def test_a_registered_petition_is_created_with_its_deadline_and_no_text(
    personas, register, receiver, django_capture_on_commit_callbacks
):
    endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=True):
        result = register(received_on=dt.date(2026, 9, 16))
    petition = result.petition
    from anxin.petitions import clocks

    accept_by = clocks.deadlines(petition)["accept_by"]
    delivery = WebhookDelivery.objects.get()
    assert (delivery.event, delivery.subject_type, delivery.subject_id) == (
        "created",
        "petitions.petition",
        petition.pk,
    )
    subject = delivery.payload["subject"]
    assert subject == {
        "type": "petitions.petition",
        "id": petition.pk,
        "number": petition.number,
        "status": "registered",
        "deadlines": {"accept_by": accept_by},
    }
    assert set(delivery.payload) == {"id", "event", "occurred_at", "subject"}
    # delivered after commit, signed
    assert delivery_status(delivery) == ("delivered", 204, 1)
    assert len(receiver.requests) == 1
    sent = receiver.requests[0]
    body = sent["body"].decode()
    for secret_text in ("拖欠", "张三", "13812345678", "11010519491231002X", "和平路", "农民工"):
        assert secret_text not in body
    assert json.loads(body) == delivery.payload


def delivery_status(delivery: WebhookDelivery) -> tuple[str, int | None, int]:
    delivery.refresh_from_db()
    return delivery.status, delivery.response_code, delivery.attempts


def test_a_status_change_names_the_previous_status_and_the_new_deadline(
    personas, register, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(delivery_mod, "send_request", lambda *a: (200, ""))
    from anxin.petitions import services

    petition = register(received_on=dt.date(2026, 10, 12)).petition
    endpoint("http://hooks.example.test/in", events=["status_changed"])
    with django_capture_on_commit_callbacks(execute=True):
        services.petition_accept(
            actor=personas.clerk,
            petition=petition,
            lead_unit=personas.city.T1,
            leader=personas.same,
            on=dt.date(2026, 10, 12),
        )
    delivery = WebhookDelivery.objects.get()
    subject = delivery.payload["subject"]
    assert delivery.event == "status_changed"
    assert (subject["previous_status"], subject["status"]) == ("registered", "handling")
    # the accept_by clock stopped; handle_by started (its audit event came after or before)
    assert subject["deadlines"] == {"handle_by": "2026-12-11"}
    assert delivery_status(delivery) == ("delivered", 200, 1)


def test_a_step_that_keeps_the_status_sends_nothing(
    personas, register, django_capture_on_commit_callbacks
):
    from anxin.petitions import services

    petition = register().petition
    endpoint("http://hooks.example.test/in")
    petition = services.petition_accept(
        actor=personas.clerk, petition=petition, lead_unit=personas.city.T1
    )
    WebhookDelivery.objects.all().delete()
    services.petition_extend(actor=personas.same, petition=petition, days=5, reason="需核实")
    assert not WebhookDelivery.objects.exists()


def test_a_hazard_is_created_and_changes_status(personas, django_capture_on_commit_callbacks):
    from anxin.safety import hazards

    endpoint("http://hooks.example.test/in", subjects=["safety.hazard"])
    hazard = hazards.hazard_create(
        actor=None,
        description="配电箱门锁损坏，线路裸露",
        unit=personas.city.T1,
        place="和平路8号",
        status="reported",
        public=True,
    )
    created = WebhookDelivery.objects.get()
    assert created.event == "created"
    assert created.payload["subject"] == {
        "type": "safety.hazard",
        "id": hazard.pk,
        "number": hazard.number,
        "status": "reported",
        "deadlines": {},
    }
    assert "配电箱" not in json.dumps(created.payload, ensure_ascii=False)


def test_a_reported_hazard_registered_to_a_site_changes_status_with_its_deadlines(personas):
    from anxin.safety import hazards, services
    from anxin.safety.models import Sector

    hazard = hazards.hazard_create(
        actor=None, description="消防通道堵塞", unit=personas.city.T1, status="reported"
    )
    site = services.site_create(
        actor=None,
        name="一街道机械制造有限公司",
        credit_code="91310110666007217T",
        sector=Sector.objects.get(code="industry_trade"),
        unit=personas.city.T1,
        address="一街道和平路8号",
        risk_level="yellow",
        contact_name="李四",
        contact_phone="13812345678",
    )
    endpoint("http://hooks.example.test/in", subjects=["safety.hazard"])
    deadline = timezone.localdate() + timedelta(days=20)
    hazards.hazard_register(actor=None, hazard=hazard, site=site, deadline=deadline)
    delivery = WebhookDelivery.objects.get()
    assert delivery.event == "status_changed"
    assert delivery.payload["subject"] == {
        "type": "safety.hazard",
        "id": hazard.pk,
        "number": hazard.number,
        "status": "registered",
        "previous_status": "reported",
        "deadlines": {"deadline": deadline.isoformat(), "rectify_by": deadline.isoformat()},
    }
    text = json.dumps(delivery.payload, ensure_ascii=False)
    assert "李四" not in text and "消防" not in text and "和平路" not in text


def test_an_accident_report_is_created_with_its_report_clocks(personas):
    from decimal import Decimal

    from anxin.core.choices import Role
    from anxin.core.testing import make_person
    from anxin.safety.accidents import accident_report

    inspector = make_person("inspector", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])
    endpoint("http://hooks.example.test/in", subjects=["safety.accident"])
    accident = accident_report(
        actor=inspector,
        occurred_at=timezone.now() - timedelta(minutes=20),
        place="一街道和平路8号机加工车间",
        kind="production",
        summary="冲压机作业时发生机械伤害。",
        unit=personas.city.T1,
        deaths=1,
        direct_loss_yuan=Decimal("100000"),
    )
    delivery = WebhookDelivery.objects.get()
    subject = delivery.payload["subject"]
    assert (delivery.event, subject["type"], subject["id"]) == (
        "created",
        "safety.accident",
        accident.pk,
    )
    assert subject["status"] is None and subject["number"] is None
    assert subject["deadlines"] and all(
        webhooks.TOKEN_RE.match(v) for v in subject["deadlines"].values()
    )
    assert "冲压机" not in json.dumps(delivery.payload, ensure_ascii=False)


def test_unsubscribed_inactive_or_absent_endpoints_get_nothing(personas, register):
    endpoint("http://a.example.test/", events=["overdue"])
    endpoint("http://b.example.test/", subjects=["safety.hazard"])
    endpoint("http://c.example.test/", is_active=False)
    register()
    assert not WebhookDelivery.objects.exists()


def test_every_subscribed_endpoint_gets_its_own_delivery(personas, register):
    one = endpoint("http://a.example.test/")
    two = endpoint("http://b.example.test/", events=["created"])
    register()
    rows = list(WebhookDelivery.objects.order_by("endpoint_id"))
    assert [r.endpoint_id for r in rows] == [one.pk, two.pk]
    assert rows[0].event_id == rows[1].event_id and rows[0].uid != rows[1].uid


def test_nothing_is_queued_when_the_transaction_rolls_back(personas, register):
    endpoint("http://a.example.test/")
    with pytest.raises(ValidationError):
        register(title="")
    assert not WebhookDelivery.objects.exists()


def test_with_no_endpoint_a_write_makes_no_webhook_query(personas, register):
    from django.test.utils import CaptureQueriesContext

    from anxin.petitions import services

    petition = register().petition
    webhooks.webhooks_subscribed("created", "petitions.petition")  # the process now knows: nobody
    with CaptureQueriesContext(connection) as queries:
        services.petition_accept(
            actor=personas.clerk, petition=petition, lead_unit=personas.city.T1
        )
    assert queries.captured_queries
    assert not any("webhook" in q["sql"] for q in queries.captured_queries)


# --- webhooks_emit ---------------------------------------------------------------------------


def test_emit_keeps_only_ids_numbers_status_and_deadlines(personas, caplog):
    endpoint("http://a.example.test/")
    written = webhooks.webhooks_emit(
        event="overdue",
        subject_type="petitions.petition",
        subject_ids=[41, 42],
        data=[
            {
                "number": "XF20260000041",
                "status": "handling",
                "clock": "handle_by",
                "due_on": dt.date(2026, 12, 1),
                "days_overdue": 3,
                "title": "拖欠工资",
                "name": "张三",
                "phone": "13812345678",
            },
            {"number": "XF20260000042", "status": "张三的投诉", "deadlines": {"accept_by": "x y"}},
        ],
    )
    assert written == 2
    rows = {d.subject_id: d.payload["subject"] for d in WebhookDelivery.objects.all()}
    assert rows[41] == {
        "type": "petitions.petition",
        "id": 41,
        "number": "XF20260000041",
        "status": "handling",
        "clock": "handle_by",
        "due_on": "2026-12-01",
        "days_overdue": 3,
    }
    assert rows[42] == {"type": "petitions.petition", "id": 42, "number": "XF20260000042"}
    assert "dropped payload keys" in caplog.text


def test_emit_refuses_unknown_events_and_mismatched_lists():
    with pytest.raises(ValueError):
        webhooks.webhooks_emit(
            event="deleted", subject_type="petitions.petition", subject_ids=[1], data=[{}]
        )
    with pytest.raises(ValueError):
        webhooks.webhooks_emit(
            event="overdue", subject_type="petitions.petition", subject_ids=[1], data=[]
        )


def test_emit_is_set_based(personas, django_assert_num_queries):
    endpoint("http://a.example.test/")
    endpoint("http://b.example.test/")
    webhooks.forget_endpoints()
    ids = list(range(1, 21))
    # savepoint, the endpoints, one insert of 40 rows, release
    with django_assert_num_queries(4):
        written = webhooks.webhooks_emit(
            event="deadline_warning",
            subject_type="safety.hazard",
            subject_ids=ids,
            data=[{"due_on": "2026-12-01"} for _ in ids],
        )
    assert written == 40


def test_emit_enqueues_after_commit(personas, receiver, django_capture_on_commit_callbacks):
    endpoint(receiver.url)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        webhooks.webhooks_emit(
            event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
        )
    assert receiver.requests == []  # nothing leaves before the commit
    for callback in callbacks:
        callback()
    assert len(receiver.requests) == 1
    assert receiver.requests[0]["headers"]["X-Anxin-Event"] == "overdue"


# --- signing ----------------------------------------------------------------------------------


def test_the_signature_covers_timestamp_and_body(personas, receiver):
    endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    assert delivery_mod.webhook_attempt(delivery_uid=str(delivery.uid)) is None
    sent = receiver.requests[0]
    headers, body = sent["headers"], sent["body"]
    timestamp = headers["X-Anxin-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(SECRET.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    assert headers["X-Anxin-Signature"] == "sha256=" + expected.hexdigest()
    assert headers["X-Anxin-Delivery"] == str(delivery.uid)
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    # another timestamp (a replayed old request) does not verify
    other = hmac.new(SECRET.encode(), b"1." + body, hashlib.sha256).hexdigest()
    assert headers["X-Anxin-Signature"] != "sha256=" + other


def test_the_secret_is_encrypted_at_rest_and_never_audited(personas):
    hook = endpoint("https://a.example.test/")
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM core_webhookendpoint WHERE id = %s", [hook.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("sm4gcm$") and SECRET not in stored
    assert WebhookEndpoint.objects.get().secret == SECRET
    event = AuditEvent.objects.get(action="webhook.create")
    assert event.after["secret"] == "***"
    assert SECRET not in json.dumps(event.after)


# --- retries, failures ------------------------------------------------------------------------


def test_a_failing_endpoint_is_retried_with_back_off_then_given_up(personas, receiver, settings):
    settings.ANXIN_WEBHOOK_MAX_ATTEMPTS = 3
    settings.ANXIN_WEBHOOK_BACKOFF_SECONDS = 10
    endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    uid = str(delivery.uid)
    receiver.codes = [500, 503, 502]
    start = timezone.now()
    assert delivery_mod.webhook_attempt(delivery_uid=uid) == 10
    delivery.refresh_from_db()
    assert (delivery.status, delivery.response_code) == ("retrying", 500)
    assert start + timedelta(seconds=9) < delivery.next_attempt_at < start + timedelta(seconds=12)
    # not yet due: another worker's call does nothing
    assert delivery_mod.webhook_attempt(delivery_uid=uid) is None
    assert len(receiver.requests) == 1
    due(delivery)
    assert delivery_mod.webhook_attempt(delivery_uid=uid) == 20  # doubled
    due(delivery)
    assert delivery_mod.webhook_attempt(delivery_uid=uid) is None
    assert delivery_status(delivery) == ("failed", 502, 3)
    log = list(
        WebhookAttempt.objects.filter(delivery=delivery).values_list("number", "response_code")
    )
    assert log == [(1, 500), (2, 503), (3, 502)]
    assert len(receiver.requests) == 3
    # the same event each time
    assert len({r["body"] for r in receiver.requests}) == 1


def test_a_retry_that_succeeds_is_delivered(personas, receiver):
    endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    receiver.codes = [500, 200]
    assert delivery_mod.webhook_attempt(delivery_uid=str(delivery.uid)) is not None
    due(delivery)
    assert delivery_mod.webhook_attempt(delivery_uid=str(delivery.uid)) is None
    assert delivery_status(delivery) == ("delivered", 200, 2)
    assert delivery.last_error == "" and delivery.next_attempt_at is None


def test_the_task_schedules_the_retry_through_huey(personas, monkeypatch):
    from anxin.core import tasks

    endpoint("http://a.example.test/")
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    monkeypatch.setattr(delivery_mod, "send_request", lambda *a: (None, "URLError: refused"))
    scheduled: list[tuple[Any, float]] = []
    monkeypatch.setattr(
        tasks.webhook_deliver_task,
        "schedule",
        lambda args, delay: scheduled.append((args, delay)),
    )
    tasks.webhook_deliver_task.call_local(str(delivery.uid))
    assert scheduled == [((str(delivery.uid),), 30.0)]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.last_error) == ("retrying", "URLError: refused")


def test_back_off_doubles_up_to_six_hours(settings):
    settings.ANXIN_WEBHOOK_BACKOFF_SECONDS = 30
    assert [delivery_mod.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert delivery_mod.backoff(20) == timedelta(hours=6)


def test_a_timeout_is_a_failed_attempt(personas, receiver, settings):
    settings.ANXIN_WEBHOOK_TIMEOUT = 1
    receiver.delay = 1.5
    endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    delivery_mod.webhook_attempt(delivery_uid=str(delivery.uid))
    delivery.refresh_from_db()
    assert delivery.status == "retrying" and delivery.response_code is None
    assert "timed out" in delivery.last_error


def test_only_http_and_https_are_called():
    assert delivery_mod.send_request("file:///etc/passwd", b"{}", {}, 1) == (
        None,
        "refused: only http and https URLs are called",
    )
    with pytest.raises(ValidationError) as exc:
        endpoint("ftp://a.example.test/")
    assert exc.value.message_dict["url"] == [
        "Webhook 地址须以 http:// 或 https:// 开头并包含主机名。"
    ]


def test_a_redirect_is_not_followed(personas):
    server = Receiver()
    server.codes = [302]
    try:
        code, error = delivery_mod.send_request(server.url, b"{}", {}, 2)
    finally:
        server.close()
    assert (code, error) == (302, "")


@pytest.mark.parametrize("failure", ["down", "500", "timeout", "exception"])
def test_a_delivery_failure_never_blocks_the_users_action(
    failure, personas, register, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ANXIN_WEBHOOK_TIMEOUT = 1
    server = Receiver()
    url = server.url
    if failure == "down":
        server.close()
    elif failure == "500":
        server.codes = [500]
    elif failure == "timeout":
        server.delay = 1.5
    elif failure == "exception":

        def explode(*args: Any) -> Any:
            raise RuntimeError("the sender broke")

        monkeypatch.setattr(delivery_mod, "send_request", explode)
    endpoint(url)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = register()
    finally:
        if failure != "down":
            server.close()
    assert result.petition.pk and result.petition.number.startswith("XF")
    delivery = WebhookDelivery.objects.get()
    assert delivery.status in ("retrying", "pending")
    assert AuditEvent.objects.filter(action="petition.registered").exists()


def test_an_error_while_queueing_never_fails_the_write(personas, register, monkeypatch, caplog):
    endpoint("http://a.example.test/")

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("disk full")

    monkeypatch.setattr(webhooks, "_insert", broken)
    result = register()
    assert result.petition.pk
    assert not WebhookDelivery.objects.exists()
    assert "could not queue" in caplog.text
    # the transaction is still usable after the failed savepoint
    audit_record(actor=None, action="test.after", object_type="x.y", object_id="1")


def test_a_failing_queue_loses_nothing_the_periodic_job_requeues(personas, monkeypatch):
    from anxin.core import tasks

    endpoint("http://a.example.test/")
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    sent: list[str] = []
    monkeypatch.setattr(tasks, "webhook_deliver_task", lambda uid: sent.append(uid))
    assert delivery_mod.webhooks_requeue_due() == 0  # still inside its grace period
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(minutes=5))
    assert delivery_mod.webhooks_requeue_due() == 1
    assert sent == [str(delivery.uid)]


# --- replay and endpoint services -------------------------------------------------------------


def test_replay_sends_the_same_event_again_and_is_audited(
    personas, receiver, django_capture_on_commit_callbacks
):
    endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    original = WebhookDelivery.objects.get()
    delivery_mod.webhook_attempt(delivery_uid=str(original.uid))
    with django_capture_on_commit_callbacks(execute=True):
        replay = webhooks.webhook_delivery_replay(actor=personas.sysadmin, delivery=original)
    assert replay.replay_of == original and replay.event_id == original.event_id
    assert replay.uid != original.uid
    assert delivery_status(replay) == ("delivered", 204, 1)
    first, second = (json.loads(r["body"]) for r in receiver.requests)
    assert first == second
    assert receiver.requests[1]["headers"]["X-Anxin-Delivery"] == str(replay.uid)
    event = AuditEvent.objects.get(action="webhook.replay")
    assert event.actor == personas.sysadmin and event.after["of"] == original.pk


def test_only_the_system_administrator_manages_webhooks(personas):
    hook = endpoint("http://a.example.test/")
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    for person in (personas.secadmin, personas.auditor, personas.clerk, personas.same):
        with pytest.raises(PermissionDenied):
            webhooks.webhook_delivery_replay(actor=person, delivery=delivery)
        with pytest.raises(PermissionDenied):
            endpoint_update(hook, actor=person)
    assert WebhookDelivery.objects.count() == 1


def endpoint_update(hook: WebhookEndpoint, **kw: Any) -> WebhookEndpoint:
    args: dict[str, Any] = {
        "actor": None,
        "endpoint": hook,
        "version": hook.version,
        "name": hook.name,
        "url": hook.url,
        "events": hook.events,
        "subject_types": hook.subject_types,
        "is_active": hook.is_active,
    }
    args.update(kw)
    return webhooks.webhook_endpoint_update(**args)


def test_update_keeps_the_secret_unless_given_and_checks_the_version(personas):
    from anxin.core.errors import VersionConflict

    hook = endpoint("http://a.example.test/")
    updated = endpoint_update(hook, actor=personas.sysadmin, is_active=False, events=["overdue"])
    assert (updated.version, updated.is_active, updated.events) == (2, False, ["overdue"])
    assert WebhookEndpoint.objects.get().secret == SECRET
    event = AuditEvent.objects.get(action="webhook.update")
    assert event.before["is_active"] is True and event.after["is_active"] is False
    assert "secret" not in event.after
    with pytest.raises(VersionConflict):
        endpoint_update(hook, version=1)
    endpoint_update(updated, secret="another-secret-0123456789")
    assert WebhookEndpoint.objects.get().secret == "another-secret-0123456789"
    assert AuditEvent.objects.filter(action="webhook.update").last().after["secret"] == "***"


def test_a_blank_secret_is_generated_and_validation_speaks_chinese(personas):
    hook = webhooks.webhook_endpoint_create(
        actor=None,
        name="x",
        url="https://a.example.test/",
        events=["created"],
        subject_types=["safety.hazard"],
    )
    assert len(hook.secret) >= 40
    with pytest.raises(ValidationError) as exc:
        webhooks.webhook_endpoint_create(
            actor=None, name=" ", url="https://a/", events=[], subject_types=["x"], secret="short"
        )
    assert exc.value.message_dict == {
        "name": ["请为该端点命名。"],
        "events": ["请至少选择一个事件。"],
        "subject_types": ["请至少选择一类事项。"],
        "secret": ["密钥至少 16 个字符。"],
    }


def test_an_inactive_endpoints_delivery_fails_without_sending(personas, receiver):
    hook = endpoint(receiver.url)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[7], data=[{}]
    )
    endpoint_update(hook, is_active=False)
    delivery = WebhookDelivery.objects.get()
    assert delivery_mod.webhook_attempt(delivery_uid=str(delivery.uid)) is None
    assert delivery_status(delivery) == ("failed", None, 1)
    assert receiver.requests == []
    with pytest.raises(ValidationError):
        webhooks.webhook_delivery_replay(actor=None, delivery=delivery)


def test_clean_data_lets_no_text_through():
    assert webhooks.clean_data({"status": "handling", "number": "XF2026", "due_at": None}) == {
        "status": "handling",
        "number": "XF2026",
        "due_at": None,
    }
    assert webhooks.clean_data({"status": "a b", "number": "张三", "content": "x"}) == {}
    assert webhooks.clean_data({"due_on": dt.datetime(2026, 1, 2, 3, 4, tzinfo=dt.UTC)}) == {
        "due_on": "2026-01-02T03:04:00+00:00"
    }
    assert webhooks.clean_data({"number": "X" * 41}) == {}
