"""CORS: off by default; when origins are listed, only /api/ and /open311/ answer them."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

ORIGIN = "https://map.example.cn"


def test_off_by_default():
    response = Client().get("/api/v1/me", HTTP_ORIGIN=ORIGIN)
    assert "Access-Control-Allow-Origin" not in response
    preflight = Client().options(
        "/api/v1/units", HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET"
    )
    assert "Access-Control-Allow-Origin" not in preflight


def test_listed_origins_reach_the_api_and_open311_only(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    client = Client()
    api = client.get("/api/v1/me", HTTP_ORIGIN=ORIGIN)
    assert api["Access-Control-Allow-Origin"] == ORIGIN
    assert "Access-Control-Allow-Credentials" not in api
    preflight = client.options(
        "/open311/v2/requests.json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="content-type, idempotency-key",
    )
    assert preflight.status_code == 200
    assert preflight["Access-Control-Allow-Origin"] == ORIGIN
    assert "idempotency-key" in preflight["Access-Control-Allow-Headers"]
    # the staff pages and the portal never
    for path in ("/portal/", "/accounts/login/"):
        assert "Access-Control-Allow-Origin" not in client.get(path, HTTP_ORIGIN=ORIGIN)


def test_other_origins_are_not_answered(settings):
    settings.CORS_ALLOWED_ORIGINS = [ORIGIN]
    response = Client().get("/api/v1/me", HTTP_ORIGIN="https://evil.example.com")
    assert "Access-Control-Allow-Origin" not in response
