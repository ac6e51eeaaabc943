"""Hazard reports from the public (issue 4, item 7): the report, the tracking code, triage by
inspectors, and the shield — the site never sees who reported."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from PIL import Image

from anxin.core.attachments import attachment_read, attachments_of
from anxin.core.models import AuditEvent
from anxin.safety import hazards, public_reports
from anxin.safety.hazard_rules import HazardStatus
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection
from anxin.safety.tests.conftest import VALID_2
from anxin.safety.tests.hazard_fixtures import file_upload, jpeg_with_gps

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

NAME, PHONE = "王举报", "13900001111"


def _report(personas, **kw):
    kwargs = {
        "description": "楼道堆放大量纸箱，堵塞消防通道",
        "place_text": "和平路8号3单元",
        "unit": personas.city.V1,
        "photos": [],
        "anonymous": True,
    }
    kwargs.update(kw)
    return public_reports.hazard_report_public(**kwargs)


def test_anonymous_report_keeps_no_identity_and_only_the_code_digest(personas):
    hazard, code = _report(personas, name=NAME, phone=PHONE)
    hazard.refresh_from_db()
    assert hazard.status == HazardStatus.REPORTED and hazard.source == "report"
    assert hazard.reporter_name == "" and hazard.reporter_phone == ""
    assert hazard.site is None and hazard.unit == personas.city.V1
    assert code not in hazard.tracking_digest and len(hazard.tracking_digest) == 64
    assert public_reports.hazard_by_tracking_code(code) == hazard
    assert public_reports.hazard_by_tracking_code(code.lower().replace("-", "")) == hazard
    assert public_reports.hazard_by_tracking_code("AAAA-BBBB-CCCC") is None
    assert public_reports.hazard_by_tracking_code("") is None


def test_named_report_keeps_the_identity_encrypted(personas):
    hazard, _code = _report(personas, anonymous=False, name=NAME, phone=PHONE)
    hazard.refresh_from_db()
    assert hazard.reporter_name == NAME and hazard.reporter_phone == PHONE
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT reporter_name FROM safety_hazard WHERE id = %s", [hazard.pk])
        assert NAME not in cur.fetchone()[0]


def test_a_named_report_needs_name_and_phone(personas):
    with pytest.raises(ValidationError) as exc:
        _report(personas, anonymous=False, name=NAME)
    assert "name" in exc.value.message_dict


def test_the_place_is_a_township_or_village(personas):
    with pytest.raises(ValidationError) as exc:
        _report(personas, unit=personas.city.D1)
    assert "unit" in exc.value.message_dict


def test_gps_is_stripped_from_the_photos(personas):
    assert Image.open(io.BytesIO(jpeg_with_gps())).getexif().get(0x8825)
    hazard, _code = _report(personas, photos=[file_upload("现场.jpg")])
    (photo,) = attachments_of(hazard)
    assert photo.public_upload and photo.purpose == public_reports.PHOTO
    assert not Image.open(io.BytesIO(attachment_read(photo))).getexif().get(0x8825)


def test_no_audit_record_of_the_submission_keeps_an_address(personas):
    client = Client(REMOTE_ADDR="203.0.113.7")
    r = client.post(
        "/portal/hazards/report/",
        {
            "description": "配电箱门敞开，电线裸露",
            "unit": personas.city.V1.code,
            "place_text": "村委会旁",
            "anonymous": "on",
            "photos": [file_upload("现场.jpg")],
        },
    )
    assert r.status_code == 200, r.content.decode()[:2000]
    hazard = Hazard.objects.get()
    events = AuditEvent.objects.filter(object_type="safety.hazard", object_id=str(hazard.pk))
    assert {e.action for e in events} >= {"hazard.reported", "attachment.add"}
    assert [
        (e.action, e.actor_ip, e.actor_label)
        for e in events
        if e.actor_ip or e.actor_label != "public"
    ] == []
    assert not AuditEvent.objects.filter(actor_ip="203.0.113.7").exists()


def test_the_portal_shows_the_code_once_and_tracks_by_post(personas):
    client = Client()
    assert client.get("/portal/hazards/report/").status_code == 200
    r = client.post(
        "/portal/hazards/report/",
        {"description": "围墙开裂倾斜", "unit": personas.city.V1.code, "place_text": "小学东侧"},
    )
    page = r.content.decode()
    assert "tracking-code" not in page  # neither anonymous nor named: an error
    r = client.post(
        "/portal/hazards/report/",
        {
            "description": "围墙开裂倾斜",
            "unit": personas.city.V1.code,
            "place_text": "小学东侧",
            "anonymous": "on",
        },
    )
    page = r.content.decode()
    code = page.split('id="tracking-code">')[1].split("<")[0]
    assert len(code) == 14
    assert 'data-status="' not in client.get("/portal/hazards/track/").content.decode()
    r = client.post("/portal/hazards/track/", {"code": code})
    assert 'data-status="received"' in r.content.decode()
    r = client.post("/portal/hazards/track/", {"code": "XXXX-XXXX-XXXX"})
    assert 'data-status="' not in r.content.decode()


def test_tracking_shows_the_void_reason(personas, inspector):
    hazard, code = _report(personas)
    hazards.hazard_void(actor=inspector, hazard=hazard, reason="经现场核查，纸箱已清理，不构成隐患")
    view = public_reports.public_view(public_reports.hazard_by_tracking_code(code))
    assert view["status"] == "void" and "纸箱已清理" in view["void_reason"]
    page = Client().post("/portal/hazards/track/", {"code": code}).content.decode()
    assert "纸箱已清理" in page
    assert inspector.display_name not in page


def test_inspector_registers_it_with_an_existing_site(personas, inspector, site):
    hazard, code = _report(personas)
    hazards.run("register", actor=inspector, hazard=hazard, data={"site": str(site.uid)})
    view = public_reports.public_view(public_reports.hazard_by_tracking_code(code))
    assert view["status"] == "registered" and view["site_name"] == site.name
    assert view["registered_at"] is not None
    assert "responsible" not in view and "contact" not in str(view)


def test_inspector_creates_the_site_and_registers(personas, inspector, sector):
    hazard, _code = _report(personas)
    hazard, site = public_reports.hazard_register_new_site(
        actor=inspector,
        hazard=hazard,
        site_fields={
            "name": "和平路便利店",
            "credit_code": VALID_2,
            "sector": sector,
            "unit": personas.city.V1,
            "address": "和平路8号",
            "risk_level": "blue",
        },
    )
    assert hazard.status == HazardStatus.REGISTERED and hazard.site == site


def test_inspector_turns_it_into_an_inspection_task(personas, inspector, site):
    hazard, code = _report(personas)
    inspection = public_reports.hazard_inspection_task(actor=inspector, hazard=hazard, site=site)
    hazard.refresh_from_db()
    assert inspection.status == "draft" and inspection.site == site
    assert hazard.inspection == inspection and hazard.status == HazardStatus.REPORTED
    assert Inspection.objects.filter(hazards=hazard).exists()
    assert hazard.events.filter(kind="inspection_task").exists()
    assert public_reports.public_view(hazard)["inspection_arranged"]
    with pytest.raises(hazards.HazardStateConflict):
        public_reports.hazard_inspection_task(actor=inspector, hazard=hazard, site=site)


def test_the_enterprise_contact_never_sees_the_reporter(personas, inspector, site, client_for, api):
    hazard, _code = _report(personas, anonymous=False, name=NAME, phone=PHONE)
    hazards.run("register", actor=inspector, hazard=hazard, data={"site": str(site.uid)})
    contact = client_for(personas.enterprise)
    pages = [
        contact.get(f"/safety/hazards/{hazard.uid}/"),
        contact.get("/safety/hazards/"),
        contact.get(f"/safety/sites/{site.uid}/"),
    ]
    for r in pages:
        assert r.status_code == 200
    body = api(personas.enterprise).get(f"/api/v1/hazards/{hazard.uid}")
    assert body.status_code == 200
    listing = api(personas.enterprise).get("/api/v1/hazards")
    for text in [
        *(r.content.decode() for r in pages),
        body.content.decode(),
        listing.content.decode(),
    ]:
        assert NAME not in text and PHONE not in text and PHONE[-4:] not in text
    assert hazard.number in pages[1].content.decode()
    # staff see the fact of a public report, nothing more
    staff = client_for(inspector).get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert NAME not in staff and PHONE not in staff
    assert public_reports.reporter_label(hazard)


def test_the_contact_does_not_see_the_triage_queue(personas, client_for, site, inspector):
    hazard, _code = _report(personas)
    public_reports.hazard_inspection_task(actor=inspector, hazard=hazard, site=site)
    r = client_for(personas.enterprise).get(f"/safety/hazards/{hazard.uid}/")
    assert r.status_code == 404


def test_the_hazard_page_arranges_an_inspection_for_a_report(personas, inspector, site, client_for):
    hazard, _code = _report(personas)
    client = client_for(inspector)
    page = client.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert 'id="act-inspection-task"' in page
    response = client.post(f"/safety/hazards/{hazard.uid}/inspection-task/", {"site": site.name})
    hazard.refresh_from_db()
    assert hazard.inspection is not None and hazard.site == site
    assert response["Location"] == f"/safety/inspections/{hazard.inspection.uid}/"
    # an unknown site: a message, nothing arranged
    other, _code = _report(personas)
    client.post(f"/safety/hazards/{other.uid}/inspection-task/", {"site": "没有这家单位"})
    other.refresh_from_db()
    assert other.inspection is None
