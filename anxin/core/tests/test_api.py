"""/api/v1/: API keys, the error shape, cursor pagination, units and me."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anxin.core.models import ApiKey, AuditEvent
from anxin.core.services import api_key_create, api_key_digest, api_key_revoke

pytestmark = [pytest.mark.django_db]


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.smoke
def test_a_key_from_the_command_reads_the_units(personas):
    out = io.StringIO()
    call_command("create_api_key", "--user", "clerk", "--name", "12345 热线对接", stdout=out)
    raw = out.getvalue().strip()
    assert raw.startswith("ax_") and len(raw) > 40
    key = ApiKey.objects.get(user=personas.clerk)
    assert raw not in key.digest and key.prefix == raw[:10]
    response = Client().get("/api/v1/units", **bearer(raw))
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 8
    assert body["items"][0] == {
        "code": "C",
        "name": "测试市",
        "kind": "city",
        "parent": None,
        "division_code": "990100000000",
        "version": 1,
    }
    assert {u["code"]: u["parent"] for u in body["items"]}["T1"] == "D1"
    assert AuditEvent.objects.filter(action="apikey.create").count() == 1


def test_me_describes_the_caller(personas):
    _key, raw = api_key_create(actor=None, user=personas.parent, name="test")
    response = Client().get("/api/v1/me", **bearer(raw))
    assert response.json() == {
        "username": "parent",
        "name": "parent",
        "roles": ["unit_head"],
        "unit": "D1",
    }


@pytest.mark.parametrize("header", ["", "Bearer nonsense", "Bearer ax_wrong", "Basic abc"])
def test_without_a_valid_key_the_answer_is_401_in_the_error_shape(personas, header):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}
    response = Client().get("/api/v1/units", **extra)
    assert response.status_code == 401
    assert response.json() == {
        "message": "请先登录，或提供有效的 API 密钥（Authorization: Bearer）。",
        "code": "unauthorized",
        "extra": {},
    }


def test_a_revoked_key_or_disabled_user_is_refused(personas):
    key, raw = api_key_create(actor=None, user=personas.clerk, name="old")
    api_key_revoke(actor=None, key=key)
    assert Client().get("/api/v1/units", **bearer(raw)).status_code == 401
    _key, raw2 = api_key_create(actor=None, user=personas.viewer, name="v")
    personas.viewer.is_active = False
    personas.viewer.save(update_fields=["is_active"])
    assert Client().get("/api/v1/units", **bearer(raw2)).status_code == 401


def test_not_found_and_validation_errors_share_the_shape(personas):
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    response = Client().get("/api/v1/units/NOPE", **bearer(raw))
    assert response.status_code == 404
    assert response.json() == {"message": "未找到。", "code": "not_found", "extra": {}}
    response = Client().get("/api/v1/units?limit=abc", **bearer(raw))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"] == "有字段未填写或填写有误。"
    assert list(body["extra"]["fields"]) == ["limit"]
    response = Client().get("/api/v1/units?cursor=%%%", **bearer(raw))
    assert response.status_code == 400 and response.json()["code"] == "invalid_cursor"


def test_english_messages_on_request(personas):
    response = Client().get("/api/v1/units", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["message"] == (
        "Sign in or send a valid API key (Authorization: Bearer)."
    )


def test_cursor_pagination_walks_every_unit_once(personas):
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    url, seen = "/api/v1/units?limit=3", []
    pages = 0
    while url:
        body = Client().get(url, **bearer(raw)).json()
        assert body["count"] == 8
        seen += [u["code"] for u in body["items"]]
        url = body["next"]
        pages += 1
    assert pages == 3
    assert seen == ["C", "D1", "T1", "V1", "T2", "D2", "T3", "DEP"]


def test_filters_match_the_directory_page(personas):
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    body = Client().get("/api/v1/units?within=D1&kind=township", **bearer(raw)).json()
    assert [u["code"] for u in body["items"]] == ["T1", "T2"]
    body = Client().get("/api/v1/units?parent=C", **bearer(raw)).json()
    assert [u["code"] for u in body["items"]] == ["D1", "D2", "DEP"]


def test_units_list_query_count_is_fixed(personas):
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    client = Client()
    client.get("/api/v1/units?limit=2", **bearer(raw))  # warm up (last_used_at update)
    with CaptureQueriesContext(connection) as ctx:
        client.get("/api/v1/units?limit=200", **bearer(raw))
    # key lookup, role grants, count, page
    assert len(ctx.captured_queries) == 4


def test_enterprise_contacts_do_not_read_the_directory(personas):
    _key, raw = api_key_create(actor=None, user=personas.enterprise, name="t")
    body = Client().get("/api/v1/units", **bearer(raw)).json()
    assert body == {"items": [], "count": 0, "next": None}
    assert Client().get("/api/v1/units/C", **bearer(raw)).status_code == 404


def test_session_users_must_finish_the_account_policy(personas):
    from anxin.core.choices import Role
    from anxin.core.testing import make_person

    fresh = make_person(
        "fresh", personas.city.T1, [(Role.HANDLER, personas.city.T1)], must_change_password=True
    )
    client = Client()
    client.force_login(fresh)
    response = client.get("/api/v1/me")
    assert response.status_code == 403 and response.json()["code"] == "account_policy"


def test_openapi_document_and_docs_page_are_served(personas, client_for):
    spec = Client().get("/api/v1/openapi.json").json()
    assert {"/api/v1/units", "/api/v1/units/{code}", "/api/v1/me"} <= set(spec["paths"])
    assert client_for(personas.clerk).get("/api/v1/docs").status_code == 200


def test_keys_never_act_as_an_administrator(personas):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        api_key_create(actor=None, user=personas.auditor, name="x")
    _key, raw = api_key_create(actor=None, user=personas.viewer, name="x")
    from anxin.core.choices import Role
    from anxin.core.services import role_assign

    role_assign(actor=None, user=personas.viewer, role=Role.AUDITOR, unit=personas.city.C)
    response = Client().get("/api/v1/units", **bearer(raw))
    assert response.status_code == 403 and response.json()["code"] == "account_policy"


def test_a_near_miss_key_gets_the_same_answer_and_keys_compare_in_constant_time(
    personas, monkeypatch
):
    """A key is checked by its SM3 digest (indexed, no slow hash) and compared again with
    ``hmac.compare_digest``; one changed character is refused like any unknown key."""
    from anxin.core import apiauth

    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    near = raw[:-1] + ("A" if raw[-1] != "A" else "B")
    response = Client().get("/api/v1/units", **bearer(near))
    assert response.status_code == 401
    assert (
        response.json()["message"] == "请先登录，或提供有效的 API 密钥（Authorization: Bearer）。"
    )
    compared: list[tuple[str, str]] = []
    real = apiauth.hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return real(a, b)

    monkeypatch.setattr(apiauth.hmac, "compare_digest", spy)
    assert Client().get("/api/v1/units", **bearer(raw)).status_code == 200
    assert compared == [(ApiKey.objects.get(name="t").digest, api_key_digest(raw))]
