"""The hazard pages in Chinese: the ledger, recording a hazard, the hazard page with its steps,
the enterprise's evidence from their own login, and the dossier's sections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from anxin.safety import hazards
from anxin.safety.models_hazards import Hazard
from anxin.safety.tests.hazard_fixtures import file_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


@pytest.mark.smoke
def test_the_ledger_in_chinese(personas, client_for, hazard_factory):
    h = hazard_factory(grade="major")
    hazard_factory(
        found_at=timezone.now() - timedelta(days=30),
        deadline=timezone.localdate() - timedelta(days=1),
    )
    page = client_for(personas.parent).get("/safety/hazards/").content.decode()
    assert "隐患台账" in page and h.number in page and "重大事故隐患" in page
    assert "已超期" in page and "已登记" in page
    page = client_for(personas.parent).get("/safety/hazards/?overdue=on").content.decode()
    assert h.number not in page


def test_the_contact_sees_the_ledger_of_their_site_only(
    personas, client_for, hazard_factory, other_site
):
    mine = hazard_factory()
    theirs = hazard_factory(site=other_site)
    page = client_for(personas.enterprise).get("/safety/hazards/").content.decode()
    assert mine.number in page and theirs.number not in page
    assert 'id="hazard-create"' not in page
    assert client_for(personas.enterprise).get(f"/safety/hazards/{theirs.uid}/").status_code == 404


def test_recording_a_hazard(personas, client_for, site, inspector):
    client = client_for(inspector)
    assert client.get(f"/safety/hazards/new/?site={site.uid}").status_code == 200
    response = client.post(
        "/safety/hazards/new/",
        {
            "site": str(site.uid),
            "description": "二楼配电箱未上锁",
            "grade": "general",
            "found_on": timezone.localdate().isoformat(),
            "deadline": (timezone.localdate() + timedelta(days=7)).isoformat(),
        },
    )
    assert response.status_code == 302
    h = Hazard.objects.get()
    assert response["Location"] == f"/safety/hazards/{h.uid}/"
    assert h.status == "registered" and h.created_by == inspector
    assert client_for(personas.viewer).get("/safety/hazards/new/").status_code == 403


def test_the_hazard_page_walks_the_loop(personas, client_for, site, inspector, hazard_factory):
    h = hazard_factory(grade="major")
    staff = client_for(inspector)
    page = staff.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="act-start_rectification"' in page and "五落实" in page
    assert 'id="act-list_for_supervision"' not in page  # an inspector does not list it
    # 五落实 incomplete: the page says what is missing
    r = staff.post(
        f"/safety/hazards/{h.uid}/act/start_rectification/",
        {"version": h.version, "measures": "清理通道"},
        follow=True,
    )
    assert "重大事故隐患须先落实：责任人、资金、应急预案" in r.content.decode()
    r = staff.post(
        f"/safety/hazards/{h.uid}/act/start_rectification/",
        {
            "version": h.version,
            "responsible": "李四",
            "measures": "清理通道",
            "funds": "5000",
            "contingency_plan": "疏散预案",
        },
    )
    h.refresh_from_db()
    assert h.status == "rectifying"

    # the contact uploads evidence and submits from their own login
    contact = client_for(personas.enterprise)
    page = contact.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="evidence-form"' in page and 'id="act-submit_rectification"' in page
    assert 'id="act-verify"' not in page
    contact.post(f"/safety/hazards/{h.uid}/evidence/", {"files": [file_upload()]})
    contact.post(
        f"/safety/hazards/{h.uid}/act/submit_rectification/",
        {"version": Hazard.objects.get(pk=h.pk).version, "note": "已整改"},
    )
    h.refresh_from_db()
    assert h.status == "submitted"
    (evidence,) = hazards.new_evidence(h).model.objects.filter(owner_id=h.pk)
    assert contact.get(f"/safety/hazards/{h.uid}/files/{evidence.uid}/").status_code == 200

    # verification fails, then passes
    staff.post(
        f"/safety/hazards/{h.uid}/act/verify/",
        {"version": h.version, "passed": "0", "notes": "未整改到位"},
    )
    h.refresh_from_db()
    assert h.status == "rectifying"
    contact.post(
        f"/safety/hazards/{h.uid}/act/submit_rectification/",
        {"version": h.version, "note": "再次整改", "files": [file_upload("第二次.jpg")]},
    )
    h.refresh_from_db()
    staff.post(f"/safety/hazards/{h.uid}/act/verify/", {"version": h.version, "passed": "1"})
    h.refresh_from_db()
    assert h.status == "verified"
    staff.post(f"/safety/hazards/{h.uid}/act/close/", {"version": h.version})
    h.refresh_from_db()
    assert h.status == "closed"
    page = staff.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert "已销号" in page and "验收未通过，退回整改" in page and 'id="record-recurrence"' in page


def test_a_wrong_step_shows_the_message(personas, client_for, inspector, hazard_factory):
    h = hazard_factory()
    r = client_for(inspector).post(
        f"/safety/hazards/{h.uid}/act/close/", {"version": h.version}, follow=True
    )
    assert "该隐患当前状态为“已登记”，不能执行“销号”。" in r.content.decode()


def test_listing_for_supervision_from_the_page(personas, client_for, hazard_factory):
    h = hazard_factory(grade="major")
    client = client_for(personas.parent)
    page = client.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="act-list_for_supervision"' in page
    client.post(
        f"/safety/hazards/{h.uid}/act/list_for_supervision/",
        {"version": h.version, "unit": "D1", "document": "一安办督〔2026〕1号"},
    )
    page = client.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="supervision"' in page and "一区" in page


def test_the_dossier_lists_inspections_and_hazards(personas, client_for, site, hazard_factory):
    h = hazard_factory(grade="major")
    page = client_for(personas.same).get(f"/safety/sites/{site.uid}/").content.decode()
    section = page[page.index('id="hazards"') :]
    assert h.number in section and "重大事故隐患" in section
    assert "隐患：登记隐患" in page  # the site's timeline names the step
    # the contact's dossier shows their hazards too
    page = client_for(personas.enterprise).get(f"/safety/sites/{site.uid}/").content.decode()
    assert h.number in page
