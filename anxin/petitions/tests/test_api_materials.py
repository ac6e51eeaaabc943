"""/api/v1: a case's materials, its resolution plan, a case to a hazard, and the staff side of
the public reception days — within scope, idempotent on create, in the one error shape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from anxin.core.services import api_key_create
from anxin.petitions import services

pytestmark = [pytest.mark.django_db]


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


@pytest.fixture
def accepted(personas, register, settings, tmp_path):
    """A case with one material, accepted with T1 as the lead unit."""
    settings.MEDIA_ROOT = tmp_path
    p = register(files=[SimpleUploadedFile("情况说明.txt", "材料内容".encode())]).petition
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    return p


def test_materials_are_listed_downloaded_and_added(personas, accepted):
    client = api(personas.same)
    url = f"/api/v1/petitions/{accepted.uid}/attachments"
    listed = client.get(url).json()
    assert [(a["name"], a["purpose"], a["size"]) for a in listed] == [
        ("情况说明.txt", "material", len("材料内容".encode()))
    ]
    got = client.get(f"{url}/{listed[0]['id']}")
    assert got.status_code == 200 and got.content == "材料内容".encode()
    assert "sandbox" in got["Content-Security-Policy"]
    assert client.get(f"{url}/not-a-uuid").status_code == 404
    upload = {"files": SimpleUploadedFile("协议.txt", "调解协议".encode()), "purpose": "agreement"}
    r = client.post(url, upload, HTTP_IDEMPOTENCY_KEY="attach-1")
    assert r.status_code == 201, r.json()
    assert [(a["name"], a["purpose"]) for a in r.json()] == [("协议.txt", "agreement")]
    # the retry of the same upload (another multipart boundary) adds nothing
    again = {"files": SimpleUploadedFile("协议.txt", "调解协议".encode()), "purpose": "agreement"}
    r2 = client.post(url, again, HTTP_IDEMPOTENCY_KEY="attach-1")
    assert r2.status_code == 201 and r2.json() == r.json()
    assert len(client.get(url).json()) == 2


def test_materials_outside_the_scope_are_404(personas, accepted):
    r = api(personas.outsider).get(f"/api/v1/petitions/{accepted.uid}/attachments")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_resolution_plan(personas, accepted):
    client = api(personas.same)
    url = f"/api/v1/petitions/{accepted.uid}/plan"
    assert client.get(url).json() == {
        "owners": [],
        "steps": [],
        "backlog": False,
        "backlog_since": None,
        "backlog_target_on": None,
    }

    def op(name: str, body: dict):
        return client.post(f"{url}/{name}", json.dumps(body), content_type="application/json")

    r = op("owner", {"level": "township", "name": "王五", "username": "same"})
    assert r.status_code == 200, r.json()
    assert r.json()["owners"] == [
        {"level": "township", "name": "王五", "username": "same", "unit": "T1"}
    ]
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    steps = op("step", {"text": "约谈用人单位", "due_on": due}).json()["steps"]
    assert [(s["text"], s["due_on"], s["done_on"]) for s in steps] == [("约谈用人单位", due, None)]
    done = op("done", {"step": steps[0]["id"]}).json()["steps"][0]
    assert done["done_on"] == timezone.localdate().isoformat()
    r = op("backlog", {})
    assert r.status_code == 400 and r.json()["extra"]["fields"] == {
        "target_on": ["请填写计划化解日期。"]
    }
    target = (timezone.localdate() + timedelta(days=60)).isoformat()
    body = op("backlog", {"target_on": target}).json()
    assert body["backlog"] is True and body["backlog_target_on"] == target
    assert op("nope", {}).status_code == 404


def test_reception_sessions_staff_side(personas):
    client = api(personas.same)
    start = timezone.now() + timedelta(days=3)
    body = {
        "leader": "same",
        "leader_title": "一街道党工委书记",
        "unit": "T1",
        "starts_at": timezone.localtime(start).replace(tzinfo=None).isoformat(),
        "ends_at": (start + timedelta(hours=3)).isoformat(),
        "place": "一街道便民服务中心",
        "topics": "征地拆迁",
        "capacity": 5,
    }
    r = client.post("/api/v1/reception-sessions", body, content_type="application/json")
    assert r.status_code == 201, r.json()
    session = r.json()
    assert (session["published"], session["booked"], session["unit"]) == (False, 0, "T1")
    sid = session["id"]
    r = client.post(
        f"/api/v1/reception-sessions/{sid}/publish",
        {"version": session["version"]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["published"] is True
    listed = client.get("/api/v1/reception-sessions").json()
    assert [s["id"] for s in listed["items"]] == [sid]
    assert client.get("/api/v1/reception-sessions?when=past").json()["count"] == 0
    r = client.post(
        f"/api/v1/reception-sessions/{sid}/cancel", {"reason": ""}, content_type="application/json"
    )
    assert r.status_code == 400 and r.json()["message"] == "请填写取消原因。"
    r = client.post(
        f"/api/v1/reception-sessions/{sid}/cancel",
        {"reason": "领导临时公务"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["cancelled"] is True
    assert api(personas.outsider).get(f"/api/v1/reception-sessions/{sid}").status_code == 404


def test_petition_filters_are_those_of_the_ledger_page():
    from anxin.petitions.api import PetitionFilter
    from anxin.petitions.filtersets import FILTERS

    assert set(FILTERS) <= set(PetitionFilter.model_fields)


def test_a_case_becomes_a_hazard(personas, accepted):
    from anxin.core.choices import Role
    from anxin.core.testing import make_person
    from anxin.petitions.models_hazards import PetitionHazardLink
    from anxin.safety import services as safety_services
    from anxin.safety.models import Sector

    site = safety_services.site_create(
        actor=None,
        name="一街道机械制造有限公司",
        sector=Sector.objects.get(code="industry_trade"),
        unit=personas.city.V1,
        address="一街道和平路8号",
        risk_level="yellow",
        contact_user=personas.enterprise,
    )
    handler = make_person(
        "safety_handler",
        personas.city.T1,
        [(Role.HANDLER, personas.city.T1), (Role.INSPECTOR, personas.city.T1)],
    )
    url = f"/api/v1/petitions/{accepted.uid}/hazard"
    body = {"site": str(site.uid), "description": "仓库门口堆放油漆桶，堵塞消防通道"}
    r = api(handler).post(url, body, content_type="application/json")
    assert r.status_code == 201, r.json()
    link = PetitionHazardLink.objects.get()
    assert r.json() == {
        "hazard": str(link.hazard.uid),
        "number": link.hazard.number,
        "site": str(site.uid),
    }
    r = api(handler).post(url, {**body, "site": "x"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["extra"]["fields"] == {"site": ["未知的场所：x"]}
