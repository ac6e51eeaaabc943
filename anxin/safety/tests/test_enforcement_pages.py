"""Enforcement pages and API: scope (404 outside), roles (403), the document download audited,
the dossier's section with the Art. 113 flag, and query counts pinned on the lists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.safety.models_enforcement import EnforcementOrder

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.enforcement_fixtures"]


def test_the_list_and_the_order_page_in_chinese(personas, client_for, issue):
    order = issue(kind="suspend")
    page = client_for(personas.parent).get("/safety/enforcement/").content.decode()
    assert order.number in page and "执法文书" in page or order.number in page
    page = client_for(personas.parent).get(f"/safety/enforcement/{order.uid}/").content.decode()
    assert "第一百零二条" in page and 'id="enforcement-document"' in page


def test_scope_404_and_roles(personas, client_for, issue):
    order = issue()
    for outsider in (personas.sibling, personas.outsider):
        url = f"/safety/enforcement/{order.uid}/"
        assert client_for(outsider).get(url).status_code == 404
        assert client_for(outsider).get(url + "document.docx").status_code == 404
        page = client_for(outsider).get("/safety/enforcement/").content.decode()
        assert order.number not in page
    assert client_for(personas.enterprise).get("/safety/enforcement/").status_code == 403
    assert (
        client_for(personas.enterprise).get(f"/safety/enforcement/{order.uid}/").status_code == 404
    )
    assert client_for(personas.viewer).get(f"/safety/enforcement/{order.uid}/").status_code == 200
    assert client_for(personas.viewer).get("/safety/enforcement/new/").status_code == 403
    response = client_for(personas.viewer).post(f"/safety/enforcement/{order.uid}/reinspect/")
    assert response.status_code == 403


def test_the_download_is_audited(personas, client_for, issue):
    order = issue()
    response = client_for(personas.viewer).get(f"/safety/enforcement/{order.uid}/document.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    event = AuditEvent.objects.get(action="enforcement.document")
    assert event.object_id == str(order.pk) and len(event.after["sm3"]) == 64
    assert event.actor_id == personas.viewer.pk


def test_issuing_and_reinspecting_from_the_pages(client_for, site, inspector, inspector2):
    client = client_for(inspector)
    assert client.get(f"/safety/enforcement/new/?site={site.uid}").status_code == 200
    form = {
        "site": str(site.uid),
        "kind": "suspend",
        "basis_codes": ["wsl102"],
        "facts": "拒不整改",
        "demands": "停产停业整顿",
        "deadline": (timezone.localdate() + timedelta(days=30)).isoformat(),
        "officers": [str(inspector.pk)],
    }
    page = client.post("/safety/enforcement/new/", form).content.decode()
    assert "行政处罚应当由两名以上执法人员实施" in page
    form["officers"] = [str(inspector.pk), str(inspector2.pk)]
    response = client.post("/safety/enforcement/new/", form)
    order = EnforcementOrder.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{order.uid}/")
    response = client.post(
        f"/safety/enforcement/{order.uid}/reinspect/", {"passed": "1", "notes": "已整改"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == "reinspected"


def test_the_dossier_shows_orders_and_the_art_113_flag(
    personas, client_for, issue, hazard_factory, site
):
    page = client_for(personas.parent).get(f"/safety/sites/{site.uid}/").content.decode()
    assert 'id="enforcement"' in page and "第一百一十三条" not in page
    hazard_factory(grade="major")
    orders = [issue(kind="suspend") for _ in range(3)]
    page = client_for(personas.parent).get(f"/safety/sites/{site.uid}/").content.decode()
    assert orders[0].number in page and "第一百一十三条" in page


def test_list_queries_are_pinned(personas, client_for, issue):
    client = client_for(personas.parent)
    issue()
    client.get("/safety/enforcement/")
    with CaptureQueriesContext(connection) as one:
        assert client.get("/safety/enforcement/").status_code == 200
    for _ in range(4):
        issue(kind="seal")
    with CaptureQueriesContext(connection) as many:
        assert client.get("/safety/enforcement/").status_code == 200
    assert len(many) == len(one)


def test_the_api(personas, api, issue, site, inspector, inspector2):
    order = issue()
    client = api(personas.parent)
    body = client.get("/api/v1/enforcement-orders").json()
    assert body["count"] == 1 and body["items"][0]["id"] == str(order.uid)
    assert body["items"][0]["officers"] == ["insp", "insp2"]
    got = client.get(f"/api/v1/enforcement-orders/{order.uid}").json()
    assert got["kind"] == "rectify" and got["basis_codes"] == ["wsl65_3", "wsl102"]
    assert api(personas.sibling).get(f"/api/v1/enforcement-orders/{order.uid}").status_code == 404
    assert api(personas.sibling).get("/api/v1/enforcement-orders").json()["count"] == 0
    assert api(personas.enterprise).get("/api/v1/enforcement-orders").status_code == 403
    payload = {
        "site": str(site.uid),
        "kind": "seal",
        "basis_codes": ["wsl65_4"],
        "facts": "使用不符合国家标准的设备",
        "demands": "查封设备",
        "deadline": (timezone.localdate() + timedelta(days=15)).isoformat(),
        "officers": ["insp"],
    }
    post = api(inspector).post(
        "/api/v1/enforcement-orders", payload, content_type="application/json"
    )
    assert post.status_code == 400
    assert "两名以上" in post.json()["message"]
    payload["officers"] = ["insp", "insp2"]
    post = api(inspector).post(
        "/api/v1/enforcement-orders", payload, content_type="application/json"
    )
    assert post.status_code == 201 and post.json()["is_penalty"] is True
    assert (
        api(personas.viewer)
        .post("/api/v1/enforcement-orders", payload, content_type="application/json")
        .status_code
        == 403
    )


def test_api_list_queries_are_pinned(personas, api, issue):
    client = api(personas.parent)
    issue()
    client.get("/api/v1/enforcement-orders")
    with CaptureQueriesContext(connection) as one:
        client.get("/api/v1/enforcement-orders")
    for _ in range(4):
        issue()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/api/v1/enforcement-orders").json()["count"] == 5
    assert len(many) == len(one)
