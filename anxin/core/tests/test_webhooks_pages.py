"""The webhook pages: only the system administrator; create (secret shown once), edit, the
delivery log with response codes, replay."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from anxin.core import webhooks
from anxin.core.models import AuditEvent
from anxin.core.models_webhooks import WebhookAttempt, WebhookDelivery, WebhookEndpoint

pytestmark = pytest.mark.django_db

URL = "/settings/webhooks/"
FORM = {
    "name": "区 12345 平台",
    "url": "https://hooks.example.test/anxin",
    "events": ["created", "overdue"],
    "subject_types": ["safety.hazard"],
    "secret": "",
    "is_active": "on",
}


@pytest.fixture(autouse=True)
def _fresh_endpoint_cache() -> Iterator[None]:
    webhooks.forget_endpoints()
    yield
    webhooks.forget_endpoints()


def make_endpoint() -> WebhookEndpoint:
    return webhooks.webhook_endpoint_create(
        actor=None,
        name="热线",
        url="https://hooks.example.test/",
        events=["overdue"],
        subject_types=["safety.hazard"],
        secret="a-secret-of-sixteen-plus",
    )


def test_others_are_refused(personas, client_for):
    hook = make_endpoint()
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[3], data=[{}]
    )
    delivery = WebhookDelivery.objects.get()
    for person in (personas.secadmin, personas.auditor, personas.clerk, personas.same):
        client = client_for(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL + "new/", FORM).status_code == 403
        assert client.get(f"{URL}{hook.pk}/").status_code == 403
        assert client.post(f"{URL}{hook.pk}/edit/", FORM).status_code == 403
        assert client.post(f"{URL}deliveries/{delivery.pk}/replay/").status_code == 403
    assert WebhookEndpoint.objects.count() == 1 and WebhookDelivery.objects.count() == 1


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_create_shows_the_generated_secret_once(personas, client_for):
    client = client_for(personas.sysadmin)
    assert client.get(URL + "new/").status_code == 200
    response = client.post(URL + "new/", FORM)
    assert response.status_code == 200
    hook = WebhookEndpoint.objects.get()
    page = response.content.decode()
    assert hook.secret and hook.secret in page
    assert (hook.events, hook.subject_types, hook.is_active) == (
        ["created", "overdue"],
        ["safety.hazard"],
        True,
    )
    detail = client.get(f"{URL}{hook.pk}/").content.decode()
    assert hook.secret not in detail
    listing = client.get(URL).content.decode()
    assert "区 12345 平台" in listing and hook.secret not in listing
    assert "<script" not in page.split("</nav>", 1)[1] and "style=" not in page


def test_create_refuses_a_non_http_url_with_the_message(personas, client_for):
    client = client_for(personas.sysadmin)
    response = client.post(URL + "new/", {**FORM, "url": "javascript:alert(1)"})
    assert response.status_code == 200
    assert "Webhook 地址须以 http:// 或 https:// 开头并包含主机名。" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_edit_keeps_the_secret_and_deactivates(personas, client_for):
    hook = make_endpoint()
    client = client_for(personas.sysadmin)
    page = client.get(f"{URL}{hook.pk}/edit/").content.decode()
    assert "a-secret-of-sixteen-plus" not in page
    data = {**FORM, "version": hook.version}
    data.pop("is_active")
    response = client.post(f"{URL}{hook.pk}/edit/", data)
    assert response.status_code == 302 and response["Location"] == f"{URL}{hook.pk}/"
    hook.refresh_from_db()
    assert (hook.is_active, hook.version, hook.secret) == (False, 2, "a-secret-of-sixteen-plus")
    stale = client.post(f"{URL}{hook.pk}/edit/", {**FORM, "version": 1})
    assert stale.status_code == 200
    assert "他人已对其作了修改" in stale.content.decode()


def test_the_log_shows_codes_and_errors_and_replays(
    personas, client_for, django_assert_max_num_queries
):
    hook = make_endpoint()
    webhooks.webhooks_emit(
        event="overdue",
        subject_type="safety.hazard",
        subject_ids=[3, 4],
        data=[{"number": "YH2026-000003"}, {"number": "YH2026-000004"}],
    )
    first, second = WebhookDelivery.objects.order_by("id")
    WebhookAttempt.objects.create(delivery=first, number=1, response_code=503)
    WebhookAttempt.objects.create(delivery=second, number=1, error="URLError: refused")
    client = client_for(personas.sysadmin)
    with django_assert_max_num_queries(12):
        page = client.get(f"{URL}{hook.pk}/").content.decode()
    assert "YH2026-000003" in page and "503" in page and "URLError: refused" in page
    response = client.post(f"{URL}deliveries/{first.pk}/replay/")
    assert response.status_code == 302 and response["Location"] == f"{URL}{hook.pk}/"
    replay = WebhookDelivery.objects.get(replay_of=first)
    assert replay.payload == first.payload
    assert AuditEvent.objects.get(action="webhook.replay").actor == personas.sysadmin


def test_the_log_costs_the_same_for_many_deliveries(personas, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    hook = make_endpoint()
    client = client_for(personas.sysadmin)
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=[1], data=[{}]
    )
    with CaptureQueriesContext(connection) as one:
        client.get(f"{URL}{hook.pk}/")
    ids = list(range(2, 40))
    webhooks.webhooks_emit(
        event="overdue", subject_type="safety.hazard", subject_ids=ids, data=[{} for _ in ids]
    )
    with CaptureQueriesContext(connection) as many:
        client.get(f"{URL}{hook.pk}/")
    assert len(many) == len(one)


def test_the_navigation_shows_webhooks_to_the_system_administrator(personas, client_for):
    assert f'href="{URL}"' in client_for(personas.sysadmin).get("/").content.decode()
    assert f'href="{URL}"' not in client_for(personas.clerk).get("/").content.decode()
