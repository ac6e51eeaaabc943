"""Triage pages of public reports: "create the site, then register" on the hazard page, and the
reveal of a named reporter's contact details — masked by default, an explicit audited step for
inspectors, never for the site's enterprise contact."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.safety import hazards, public_reports
from anxin.safety.models import Site
from anxin.safety.tests.conftest import VALID_2

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

NAME, PHONE = "王举报", "13900001111"


def _report(personas, **kw):
    kwargs = {
        "description": "楼道堆放大量纸箱，堵塞消防通道",
        "place_text": "和平路8号3单元",
        "unit": personas.city.V1,
        "anonymous": True,
    }
    kwargs.update(kw)
    return public_reports.hazard_report_public(**kwargs)[0]


def test_create_the_site_then_register_from_the_hazard_page(
    personas, inspector, sector, client_for
):
    hazard = _report(personas)
    c = client_for(inspector)
    page = c.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert 'id="act-register-new-site"' in page and "先建档再登记" in page
    form = c.get(f"/safety/hazards/{hazard.uid}/register-new-site/").content.decode()
    assert "和平路8号3单元" in form  # the place pre-fills the address
    r = c.post(
        f"/safety/hazards/{hazard.uid}/register-new-site/",
        {
            "name": "和平路8号商住楼",
            "credit_code": VALID_2,
            "sector": sector.code,
            "unit": personas.city.V1.code,
            "address": "和平路8号",
            "risk_level": "yellow",
            "grade": "general",
            "deadline": "",
            "hazard_version": hazard.version,
        },
    )
    assert r.status_code == 302, r.content.decode()
    hazard.refresh_from_db()
    site = Site.objects.get(name="和平路8号商住楼")
    assert hazard.status == "registered" and hazard.site == site
    assert AuditEvent.objects.filter(action="site.create").exists()


def test_the_new_site_form_shows_errors_and_saves_nothing(personas, inspector, client_for):
    hazard = _report(personas)
    r = client_for(inspector).post(
        f"/safety/hazards/{hazard.uid}/register-new-site/", {"name": "", "grade": "general"}
    )
    assert r.status_code == 200 and "此项为必填项。" in r.content.decode()
    hazard.refresh_from_db()
    assert hazard.status == "reported" and not Site.objects.filter(name="").exists()


def test_only_reported_hazards_and_keepers(personas, inspector, client_for, hazard_factory):
    h = hazard_factory()  # already registered
    assert (
        client_for(inspector).get(f"/safety/hazards/{h.uid}/register-new-site/").status_code == 404
    )
    report = _report(personas)
    assert (
        client_for(personas.viewer)
        .get(f"/safety/hazards/{report.uid}/register-new-site/")
        .status_code
        == 403
    )


def test_the_reporter_is_masked_and_revealed_on_purpose(personas, inspector, client_for):
    hazard = _report(personas, anonymous=False, name=NAME, phone=PHONE)
    c = client_for(inspector)
    page = c.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert 'id="reveal-reporter"' in page and "139****1111" in page and "王*" in page
    assert PHONE not in page and NAME not in page
    assert not AuditEvent.objects.filter(action="hazard.reporter_revealed").exists()
    r = c.post(f"/safety/hazards/{hazard.uid}/reporter/")
    assert r.status_code == 200 and r["Cache-Control"] == "no-store"
    assert NAME in r.content.decode() and PHONE in r.content.decode()
    event = AuditEvent.objects.get(action="hazard.reporter_revealed")
    assert event.actor == inspector
    assert NAME not in str(event.after) and PHONE not in str(event.after)
    # a GET reveals nothing
    assert c.get(f"/safety/hazards/{hazard.uid}/reporter/").status_code == 405


def test_an_anonymous_report_has_nothing_to_reveal(personas, inspector, client_for):
    hazard = _report(personas)
    c = client_for(inspector)
    assert 'id="reveal-reporter"' not in c.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert c.post(f"/safety/hazards/{hazard.uid}/reporter/").status_code == 403


def test_the_contact_and_readers_cannot_reveal(personas, inspector, site, client_for):
    hazard = _report(personas, anonymous=False, name=NAME, phone=PHONE)
    hazards.run("register", actor=inspector, hazard=hazard, data={"site": str(site.uid)})
    # the site's enterprise contact sees the hazard now, never the reporter
    contact = client_for(personas.enterprise)
    page = contact.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    assert 'id="reveal-reporter"' not in page and "139****1111" not in page
    assert contact.post(f"/safety/hazards/{hazard.uid}/reporter/").status_code in (403, 404)
    # a read-only viewer: no button, 403
    viewer = client_for(personas.viewer)
    assert (
        'id="reveal-reporter"' not in viewer.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    )
    assert viewer.post(f"/safety/hazards/{hazard.uid}/reporter/").status_code == 403
    # an outsider: 404
    assert (
        client_for(personas.outsider).post(f"/safety/hazards/{hazard.uid}/reporter/").status_code
        == 404
    )
    assert not AuditEvent.objects.filter(action="hazard.reporter_revealed").exists()


def test_a_keeper_who_is_the_sites_contact_cannot_reveal(personas, inspector, make_site):
    both = make_person(
        "both",
        personas.city.T1,
        [(Role.INSPECTOR, personas.city.D1), (Role.ENTERPRISE, personas.city.T1)],
    )
    site = make_site(name="检查员自家商铺", credit_code="", contact_user=both)
    hazard = _report(personas, anonymous=False, name=NAME, phone=PHONE)
    hazards.run("register", actor=inspector, hazard=hazard, data={"site": str(site.uid)})
    hazard.refresh_from_db()
    assert public_reports.reporter_may_reveal(inspector, hazard)
    assert not public_reports.reporter_may_reveal(both, hazard)
    with pytest.raises(PermissionDenied):
        public_reports.hazard_reporter_reveal(actor=both, hazard=hazard)
