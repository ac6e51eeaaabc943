import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def test_healthz_reports_database_and_queue():
    response = Client().get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["queue"]["status"] == "ok"


def test_healthz_reports_a_broken_queue(monkeypatch):
    from huey.contrib.djhuey import HUEY

    def broken() -> int:
        raise OSError("disk gone")

    monkeypatch.setattr(HUEY, "pending_count", broken)
    response = Client().get("/healthz")
    assert response.status_code == 503
    assert response.json()["queue"] == {"status": "error", "error": "OSError"}
