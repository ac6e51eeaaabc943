"""Idempotency-Key: a retried create returns the first result and creates nothing new; every
POST of the API honours the header (the OpenAPI operations are enumerated)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.idempotency import HEADER, _wrap_run, idempotency_keys_purge
from anxin.core.models import IdempotencyKey
from anxin.core.services import api_key_create
from anxin.core.testing import make_person

pytestmark = [pytest.mark.django_db]

BODY = {
    "channel": "phone",
    "kind": "claim",
    "category": "labour",
    "title": "拖欠工资",
    "content": "公司拖欠工资两个月。",
    "unit": "C",
    "complainants": [
        {
            "name": "王五",
            "id_number": "440524188001010014",
            "phone": "13900001111",
            "address": "三街道",
        }
    ],
}


def client_of(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def post(client: Client, body: dict, key: str | None = "k-1", path: str = "/api/v1/petitions"):
    headers: dict[str, Any] = {"HTTP_IDEMPOTENCY_KEY": key} if key is not None else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def petitions():
    from anxin.petitions.models import Petition

    return Petition.objects.count()


def test_a_retry_with_the_same_key_returns_the_first_result_and_creates_nothing(personas):
    clerk = client_of(personas.clerk)
    first = post(clerk, BODY)
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first
    # the same body with its keys in another order and other whitespace is the same request
    again = clerk.post(
        "/api/v1/petitions",
        json.dumps(dict(reversed(list(BODY.items()))), indent=2),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert petitions() == 1
    # without a key, or with a new key, a POST creates again
    assert post(clerk, BODY, key=None).status_code == 201
    assert post(clerk, BODY, key="k-2").status_code == 201
    assert petitions() == 3


def test_the_same_key_with_another_body_is_refused_in_chinese(personas):
    clerk = client_of(personas.clerk)
    assert post(clerk, BODY).status_code == 201
    other = post(clerk, {**BODY, "title": "另一件事"})
    assert other.status_code == 422
    assert other.json() == {
        "message": "此 Idempotency-Key 已用于另一个请求，新的请求请使用新的键。",
        "code": "idempotency_key_reused",
        "extra": {},
    }
    # the same key on another path is another request too
    elsewhere = post(clerk, {"description": "配电箱未上锁"}, path="/api/v1/hazards")
    assert elsewhere.status_code == 422
    assert petitions() == 1


def test_keys_belong_to_one_person(personas):
    assert post(client_of(personas.clerk), BODY).status_code == 201
    clerk2 = make_person("clerk2", personas.city.C, [(Role.CLERK, personas.city.C)])
    assert post(client_of(clerk2), BODY).status_code == 201
    assert petitions() == 2
    assert IdempotencyKey.objects.count() == 2


def test_a_failed_first_request_keeps_no_key(personas):
    clerk = client_of(personas.clerk)
    bad = post(clerk, {**BODY, "category": "nope"})
    assert bad.status_code == 400
    assert IdempotencyKey.objects.count() == 0
    fixed = post(clerk, BODY)
    assert fixed.status_code == 201 and petitions() == 1


def test_the_stored_result_is_encrypted(personas):
    post(client_of(personas.clerk), BODY)
    row = IdempotencyKey.objects.get()
    assert row.status == 201 and row.path == "/api/v1/petitions"
    assert "王五".encode() not in bytes(row.body) and b"13900001111" not in bytes(row.body)


def test_keys_expire_after_24_hours(personas):
    clerk = client_of(personas.clerk)
    post(clerk, BODY)
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    again = post(clerk, BODY)
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert petitions() == 2
    assert idempotency_keys_purge() == 0  # the expired row was replaced by the new claim
    assert idempotency_keys_purge(now=timezone.now() + timedelta(hours=25)) == 1
    assert IdempotencyKey.objects.count() == 0


@pytest.mark.parametrize("key", ["", "a" * 256, "有中文", "with space"])
def test_a_malformed_key_is_refused(personas, key):
    r = post(client_of(personas.clerk), BODY, key=key)
    assert r.status_code == 400
    assert r.json()["code"] == "idempotency_key_invalid"
    assert r.json()["message"] == "Idempotency-Key 请求头须为 1 至 255 个可打印的 ASCII 字符。"
    assert petitions() == 0


def test_an_action_is_replayed_too(personas):
    clerk = client_of(personas.clerk)
    pid = post(clerk, BODY, key=None).json()["id"]
    url = f"/api/v1/petitions/{pid}/actions/forward"
    first = post(clerk, {"to_unit": "T1"}, key="fwd", path=url)
    assert first.status_code == 200
    # without the key the second forward would be refused: the case is no longer at the city
    again = post(clerk, {"to_unit": "T1"}, key="fwd", path=url)
    assert again.status_code == 200 and again.json() == first.json()


def test_every_post_of_the_api_declares_and_honours_the_header():
    """Enumerates the OpenAPI operations: a POST (a create or a step that creates or changes
    something) without the Idempotency-Key parameter and behaviour fails here."""
    from config.api import api

    schema = api.get_openapi_schema()
    posts = {
        (path, op["operationId"]): op
        for path, methods in schema["paths"].items()
        for method, op in methods.items()
        if method == "post"
    }
    assert len(posts) >= 10
    missing = [
        op_id
        for (_path, op_id), op in posts.items()
        if not any(p["in"] == "header" and p["name"] == HEADER for p in op.get("parameters", []))
        or "422" not in {str(code) for code in op["responses"]}
    ]
    assert missing == []
    operations = {
        op.operation_id: op
        for router_prefix, router in api._routers
        for path_view in router.path_operations.values()
        for op in path_view.operations
    }
    for _path, op_id in posts:
        op = operations[op_id]
        assert getattr(op, "anxin_idempotent", False), op_id
        assert _wrap_run in op._run_decorators, op_id  # the run is wrapped, clones included


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_create_one_case(personas, monkeypatch):
    """PostgreSQL: the second request waits on the claimed key, then replays the first."""
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race needs two real connections")
    from anxin.petitions import services

    inside = threading.Event()
    original = services.petition_register

    def slow_register(**kwargs):
        result = original(**kwargs)
        inside.set()
        threading.Event().wait(0.5)  # hold the transaction open while the retry arrives
        return result

    monkeypatch.setattr(services, "petition_register", slow_register)
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="race")
    answers: list = []

    def send() -> None:
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
            answers.append(post(client, BODY, key="race-1"))
        finally:
            connections.close_all()

    first = threading.Thread(target=send)
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=send)
    second.start()
    first.join(20)
    second.join(20)
    assert sorted(a.status_code for a in answers) == [201, 201]
    assert answers[0].json() == answers[1].json()
    assert petitions() == 1
