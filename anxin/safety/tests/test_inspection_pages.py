"""The inspection pages: a new inspection, the phone checklist with photos, the record signed
with a drawn signature (script from a static file, no inline script), the refusal, failed items
becoming hazards, and the plans with their coverage."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection, InspectionResult
from anxin.safety.tests.hazard_fixtures import jpeg_with_gps, png_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def _checklist_post(inspection, site, *, fail_first=True, photo=None, keep_gps=False):
    from anxin.safety.models import ChecklistItem

    items = ChecklistItem.objects.filter(template=inspection.template).order_by("order")
    data = {"version": inspection.version, "problems": "安全出口堵塞", "handling": "责令限期整改"}
    for n, item in enumerate(items):
        data[f"grade_{item.pk}"] = "fail" if (n == 0 and fail_first) else "pass"
    first = items[0].pk
    data[f"notes_{first}"] = "二楼东侧安全出口堆放货物"
    if photo is not None:
        data[f"photos_{first}"] = photo
    if keep_gps:
        data[f"keep_gps_{first}"] = "on"
    return data


@pytest.mark.smoke
def test_an_inspection_from_the_phone(personas, client_for, site, inspector, inspector2):
    client = client_for(inspector)
    page = client.get(f"/safety/inspections/new/?site={site.uid}").content.decode()
    assert "新建检查" in page and "btn-lg w-100" in page
    r = client.post(
        "/safety/inspections/new/",
        {
            "site": str(site.uid),
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "content": "消防安全检查",
            "other_inspectors": "insp2",
        },
    )
    assert r.status_code == 302, r.content.decode()[:500]
    inspection = Inspection.objects.get()
    assert r["Location"] == f"/safety/inspections/{inspection.uid}/fill/"
    assert set(inspection.inspectors.values_list("username", flat=True)) == {"insp", "insp2"}

    page = client.get(f"/safety/inspections/{inspection.uid}/fill/").content.decode()
    assert 'capture="environment"' in page and "合格" in page and "不适用" in page
    assert "有意保留照片的位置信息（GPS）" in page
    photo = SimpleUploadedFile("现场.jpg", jpeg_with_gps(), "image/jpeg")
    r = client.post(
        f"/safety/inspections/{inspection.uid}/fill/",
        _checklist_post(inspection, site, photo=photo),
    )
    assert r.status_code == 302
    inspection.refresh_from_db()
    assert inspection.problems == "安全出口堵塞"
    assert InspectionResult.objects.filter(inspection=inspection, grade="fail").count() == 1

    page = client.get(f"/safety/inspections/{inspection.uid}/").content.decode()
    assert "data-signature-pad" in page and "/static/anxin/signature.js" in page
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)  # no inline script (CSP)
    assert " style=" not in page  # no inline style (CSP)
    assert 'id="to-hazards"' in page
    photo_url = re.search(r'src="(/safety/inspections/[^"]+/files/[^"]+/)"', page).group(1)
    assert client.get(photo_url).status_code == 200

    # failed items become hazards in one step
    (failed,) = InspectionResult.objects.filter(inspection=inspection, grade="fail")
    r = client.post(
        f"/safety/inspections/{inspection.uid}/hazards/",
        {f"hazard_grade_{failed.item_id}": "major"},
        follow=True,
    )
    h = Hazard.objects.get()
    assert h.grade == "major" and h.inspection == inspection
    assert h.number in r.content.decode()

    # both inspectors sign on the phone; the leader refuses
    for person in (inspector, inspector2):
        c = client_for(person)
        c.post(
            f"/safety/inspections/{inspection.uid}/sign/",
            {
                "version": Inspection.objects.get(pk=inspection.pk).version,
                "signer": "inspector",
                "drawn": png_signature(),
            },
        )
    page = client.get(f"/safety/inspections/{inspection.uid}/").content.decode()
    assert 'id="refusal-form"' in page
    r = client.post(
        f"/safety/inspections/{inspection.uid}/refusal/",
        {
            "version": Inspection.objects.get(pk=inspection.pk).version,
            "leader_name": "张建国",
            "note": "负责人拒绝签字，检查人员当场记录。",
        },
        follow=True,
    )
    page = r.content.decode()
    assert "被检查单位负责人拒绝签字" in page and "《安全生产法》第六十八条" in page
    assert Inspection.objects.get(pk=inspection.pk).status == "refused_to_sign"


def test_the_leader_signs_on_the_phone(personas, client_for, site, inspector):
    from anxin.safety import inspections
    from anxin.safety.tests.test_inspection_services import all_results

    i = inspections.inspection_create(
        actor=inspector, site=site, content="日常检查", results=all_results(site)
    )
    client = client_for(inspector)
    for signer, extra in (("inspector", {}), ("leader", {"leader_name": "王丽华"})):
        r = client.post(
            f"/safety/inspections/{i.uid}/sign/",
            {
                "version": Inspection.objects.get(pk=i.pk).version,
                "signer": signer,
                "drawn": png_signature(),
                **extra,
            },
            follow=True,
        )
        assert "签名已记录。" in r.content.decode()
    assert Inspection.objects.get(pk=i.pk).status == "signed"
    page = client.get(f"/safety/inspections/{i.uid}/").content.decode()
    assert "已签字" in page and "王丽华" in page and 'id="sign-form"' not in page


def test_a_penalty_with_one_inspector_is_refused_on_the_page(client_for, site, inspector):
    r = client_for(inspector).post(
        "/safety/inspections/new/",
        {
            "site": str(site.uid),
            "started_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "content": "执法检查",
            "penalty_proposed": "on",
        },
    )
    assert r.status_code == 200
    assert "行政处罚应当由两名以上执法人员实施（《行政处罚法》第四十二条）。" in r.content.decode()
    assert not Inspection.objects.exists()


def test_the_list_and_the_enterprise_view(personas, client_for, site, inspector):
    from anxin.safety import inspections

    i = inspections.inspection_create(actor=inspector, site=site, content="日常检查")
    page = client_for(personas.parent).get("/safety/inspections/").content.decode()
    assert "日常检查" in page and "草稿" in page
    # a draft is not the site's yet
    page = client_for(personas.enterprise).get("/safety/inspections/").content.decode()
    assert "日常检查" not in page
    assert client_for(personas.enterprise).get(f"/safety/inspections/{i.uid}/").status_code == 404
    assert client_for(personas.sibling).get(f"/safety/inspections/{i.uid}/").status_code == 404
    assert client_for(personas.viewer).get(f"/safety/inspections/{i.uid}/fill/").status_code == 403


def test_plans_and_coverage(personas, client_for, site, inspector):
    client = client_for(inspector)
    today = timezone.localdate()
    r = client.post(
        "/safety/inspections/plans/new/",
        {
            "title": "岁末年初专项检查",
            "organiser": "D1",
            "unit": "D1",
            "sectors": ["industry_trade"],
            "starts_on": today.isoformat(),
            "ends_on": today.replace(year=today.year + 1).isoformat(),
            "coverage_target": "90",
        },
    )
    assert r.status_code == 302
    page = client.get("/safety/inspections/plans/").content.decode()
    assert "岁末年初专项检查" in page and "0%" in page and "(0/1" in page
    assert "工贸企业" in page
