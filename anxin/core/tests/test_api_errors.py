"""/api/v1: every operation declares its error answers in the one shape; a NUL character in
the input is refused as invalid input before it reaches a query (PostgreSQL text cannot hold
it)."""

import json

import pytest
from django.test import Client

from anxin.core.services import api_key_create

pytestmark = [pytest.mark.django_db]


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


NUL = {"message": "请求中含有 NUL 字符。", "code": "invalid", "extra": {}}


@pytest.mark.dbdep
def test_a_nul_in_the_query_or_the_body_is_refused(personas):
    client = api(personas.clerk)
    assert client.get("/api/v1/units", {"q": "a\x00b"}).json() == NUL
    assert client.get("/api/v1/people/a%00b").status_code == 400
    r = client.post(
        "/api/v1/reception-sessions",
        json.dumps({"leader": "\x00", "unit": "C"}),
        content_type="application/json",
    )
    assert r.status_code == 400 and r.json() == NUL
    # and the connection is still usable
    assert client.get("/api/v1/units?q=测试").status_code == 200


def test_every_operation_declares_its_errors():
    from config.api import api as ninja_api

    schema = ninja_api.get_openapi_schema()
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            responses = {str(c): r for c, r in op["responses"].items()}
            codes = set(responses)
            assert {"400", "401", "403", "404"} <= codes, (method, path)
            if method in ("post", "patch"):
                assert "409" in codes, (method, path)
            for code in codes - {"200", "201"}:
                content = responses[code].get("content", {})
                if "application/json" in content:
                    schema_of = content["application/json"]["schema"]
                    assert schema_of.get("required") == ["message", "code", "extra"], (path, code)
