"""Rate limits on the public endpoints: 429 with a Chinese message and Retry-After, nothing
saved by the refused request, counted per address (hashed), reset with the window."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from anxin.core import ratelimit
from config.env import parse_rate

pytestmark = pytest.mark.django_db

MESSAGE = "短时间内请求过于频繁，本次请求未被处理，请在 %d 秒后重试。"
T0 = 1_800_000_000.0  # a window start for every period used here (divisible by 60 and 3600)


@pytest.fixture(autouse=True)
def _limits(settings) -> Iterator[None]:
    settings.ANXIN_RATE_LIMITS = {
        "portal_submit": "2/m",
        "portal_track": "3/m",
        "portal_booking": "1/m",
        "open311_post": "off",
    }
    caches["default"].clear()
    yield
    caches["default"].clear()


@pytest.fixture
def clock(monkeypatch) -> list[float]:
    moment = [T0 + 10]
    monkeypatch.setattr(ratelimit, "now", lambda: moment[0])
    return moment


def submit(client: Client, title: str = "拖欠工资") -> Any:
    data = {
        "kind": "claim",
        "category": "labour",
        "title": title,
        "content": "工地拖欠工资三个月。",
        "name": "孙八",
        "phone": "13700000000",
    }
    return client.post("/portal/petitions/new/", data)


def test_the_limit_refuses_with_429_and_saves_nothing(personas, clock):
    from anxin.petitions.models import Petition

    client = Client()
    assert submit(client, "一").status_code == 200
    assert submit(client, "二").status_code == 200
    refused = submit(client, "三")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "50"
    assert MESSAGE % 50 in refused.content.decode()
    assert sorted(Petition.objects.values_list("title", flat=True)) == ["一", "二"]
    # reading the form is never limited
    assert client.get("/portal/petitions/new/").status_code == 200


def test_the_window_resets(personas, clock):
    client = Client()
    for _ in range(2):
        assert submit(client).status_code == 200
    clock[0] = T0 + 59.5
    assert submit(client).status_code == 429
    clock[0] = T0 + 60
    assert submit(client).status_code == 200


def test_each_address_has_its_own_count_and_none_is_kept(personas, clock):
    one, two = Client(REMOTE_ADDR="203.0.113.7"), Client(REMOTE_ADDR="203.0.113.8")
    for _ in range(2):
        assert submit(one).status_code == 200
    assert submit(one).status_code == 429
    assert submit(two).status_code == 200
    keys = " ".join(str(k) for k in caches["default"]._cache)  # type: ignore[attr-defined]
    assert "203.0.113" not in keys and "rl:portal_submit" in keys
    from anxin.core.models import AuditEvent

    assert not AuditEvent.objects.filter(actor_ip__startswith="203.0.113").exists()


@pytest.mark.parametrize(
    ("url", "limit"),
    [
        ("/portal/track/", 3),
        ("/portal/hazards/report/", 2),
        ("/portal/hazards/track/", 3),
        ("/portal/reception/1/book/", 1),
        ("/portal/reception/booking/", 3),
    ],
)
def test_every_public_form_is_limited(url, limit, personas, clock):
    client = Client()
    for _ in range(limit):
        assert client.post(url, {"code": "AAAA-BBBB-CCCC"}).status_code != 429
    refused = client.post(url, {"code": "AAAA-BBBB-CCCC"})
    assert refused.status_code == 429 and refused["Retry-After"] == "50"


def test_api_paths_get_the_error_shape(clock):
    @ratelimit.ratelimit("portal_booking")
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    factory = RequestFactory()
    assert view(factory.post("/open311/v2/requests.json")).status_code == 200
    refused = view(factory.post("/open311/v2/requests.json"))
    assert refused.status_code == 429 and refused["Retry-After"] == "50"
    assert json.loads(refused.content) == {
        "message": MESSAGE % 50,
        "code": "rate_limited",
        "extra": {"retry_after": 50},
    }


def test_a_scope_that_is_off_is_never_limited(clock):
    @ratelimit.ratelimit("open311_post")
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse("ok")

    request = RequestFactory().post("/open311/v2/requests.json")
    assert all(view(request).status_code == 200 for _ in range(20))


def test_rates_parse_strictly():
    assert parse_rate("10/m") == (10, 60)
    assert parse_rate("100/5m") == (100, 300)
    assert parse_rate("1000/h") == (1000, 3600)
    assert parse_rate("OFF") is None
    for bad in ("10", "0/m", "10/0m", "ten/m", "10/w", "-1/m"):
        with pytest.raises(ValueError):
            parse_rate(bad)


def test_the_environment_overrides_scope_by_scope(monkeypatch):
    from config import settings as config_settings
    from config.env import EnvError

    monkeypatch.setenv("ANXIN_RATE_LIMITS", "portal_submit=1000/m, open311_post=off")
    limits = config_settings._rate_limits()
    assert limits["portal_submit"] == "1000/m" and limits["open311_post"] == "off"
    assert limits["portal_track"] == "off"  # the test profile's default
    monkeypatch.setenv("ANXIN_RATE_LIMITS", "portal_submit")
    with pytest.raises(EnvError):
        config_settings._rate_limits()
    monkeypatch.setenv("ANXIN_RATE_LIMITS", "portal_submit=fast")
    with pytest.raises(EnvError):
        config_settings._rate_limits()


def test_production_shares_one_cache_and_limits_by_default(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANXIN_", "REDIS_"))}
    env.update(
        {
            "ANXIN_ENV": "production",
            "ANXIN_TESTING": "0",
            "SECRET_KEY": "k" * 60,
            "ANXIN_DATA_KEY": "00112233445566778899aabbccddeeff",
            "ANXIN_VAR_DIR": str(tmp_path),
            "DATABASE_URL": "",
            "PYTHONPATH": str(root),
        }
    )
    code = (
        "import config.settings as s; "
        "print(s.CACHES['default']['BACKEND'], s.ANXIN_RATE_LIMITS['portal_submit'], "
        "s.CORS_ALLOWED_ORIGINS)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["django.core.cache.backends.db.DatabaseCache", "10/m", "[]"]
    env["ANXIN_CACHE"] = "redis"
    bad = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True
    )
    assert bad.returncode != 0 and "ANXIN_CACHE='redis' must be database or memory" in bad.stderr
