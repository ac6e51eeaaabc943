"""Inspections: penalties need two inspectors (行政处罚法 Art. 42); the record is signed by the
inspectors and the site's leader, or the refusal is recorded (安全生产法 Art. 68); photos lose
their GPS unless kept on purpose; failed items become hazards in one step; plans' coverage."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from anxin.core.attachments import attachment_read, attachments_of
from anxin.core.models import AuditEvent
from anxin.safety import inspections
from anxin.safety import selectors_hazards as selectors
from anxin.safety.inspections import InspectionStateConflict, ResultIn
from anxin.safety.models import SiteEvent
from anxin.safety.models_inspections import InspectionResult
from anxin.safety.tests.hazard_fixtures import first_items, jpeg_with_gps, png_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

PENALTY = "行政处罚应当由两名以上执法人员实施（《行政处罚法》第四十二条）。"


def all_results(site, fail_order: int | None = None) -> list[ResultIn]:
    from anxin.safety.models import ChecklistItem

    items = ChecklistItem.objects.filter(
        template__sector=site.sector, template__is_current=True
    ).order_by("order")
    return [ResultIn(i.pk, "fail" if i.order == fail_order else "pass") for i in items]


@pytest.fixture
def inspection(site, inspector, inspector2):
    return inspections.inspection_create(
        actor=inspector,
        site=site,
        inspectors=[inspector, inspector2],
        content="消防安全专项检查",
        results=all_results(site, fail_order=2),
    )


# --- 行政处罚法 Art. 42 --------------------------------------------------------------------------


def test_a_penalty_needs_two_inspectors(site, inspector, inspector2):
    with pytest.raises(ValidationError) as err:
        inspections.inspection_create(
            actor=inspector, site=site, content="检查", penalty_proposed=True
        )
    assert err.value.message_dict == {"penalty_proposed": [PENALTY]}
    two = inspections.inspection_create(
        actor=inspector,
        site=site,
        inspectors=[inspector, inspector2],
        content="检查",
        penalty_proposed=True,
    )
    assert two.penalty_proposed


def test_proposing_a_penalty_later_is_refused_with_one_inspector(site, inspector):
    one = inspections.inspection_create(actor=inspector, site=site, content="检查")
    with pytest.raises(ValidationError) as err:
        inspections.inspection_penalty_propose(actor=inspector, inspection=one, version=1)
    assert err.value.message_dict == {"penalty_proposed": [PENALTY]}


def test_dropping_to_one_inspector_keeps_the_penalty_rule(site, inspector, inspector2):
    i = inspections.inspection_create(
        actor=inspector, site=site, inspectors=[inspector, inspector2], content="检查"
    )
    i = inspections.inspection_penalty_propose(actor=inspector, inspection=i, version=i.version)
    with pytest.raises(ValidationError):
        inspections.inspection_update(
            actor=inspector, inspection=i, version=i.version, inspectors=[inspector]
        )


def test_an_inspector_must_be_able_to_inspect_the_site(personas, site, inspector):
    with pytest.raises(ValidationError) as err:
        inspections.inspection_create(
            actor=inspector, site=site, inspectors=[inspector, personas.outsider], content="检查"
        )
    assert "无权检查该场所" in err.value.message_dict["inspectors"][0]
    with pytest.raises(PermissionDenied):
        inspections.inspection_create(actor=personas.viewer, site=site, content="检查")


# --- signatures and the refusal (安全生产法 Art. 68) ----------------------------------------------


def test_signed_by_the_inspectors_and_the_leader(site, inspection, inspector, inspector2):
    i = inspections.inspection_sign(
        actor=inspector,
        inspection=inspection,
        version=inspection.version,
        signer="inspector",
        drawn=png_signature(),
    )
    assert i.status == "draft"
    # the record is frozen once someone has signed
    with pytest.raises(InspectionStateConflict):
        inspections.inspection_update(
            actor=inspector, inspection=i, version=i.version, problems="改一下"
        )
    with pytest.raises(InspectionStateConflict):
        inspections.inspection_sign(
            actor=inspector,
            inspection=i,
            version=i.version,
            signer="inspector",
            drawn=png_signature(),
        )
    i = inspections.inspection_sign(
        actor=inspector2, inspection=i, version=i.version, signer="inspector", drawn=png_signature()
    )
    with pytest.raises(ValidationError):  # the leader's name is required
        inspections.inspection_sign(
            actor=inspector, inspection=i, version=i.version, signer="leader", drawn=png_signature()
        )
    i = inspections.inspection_sign(
        actor=inspector,
        inspection=i,
        version=i.version,
        signer="leader",
        drawn=png_signature(),
        leader_name="张建国",
    )
    assert i.status == "signed" and i.signed_at and i.leader_name == "张建国"
    sigs = selectors.inspection_signatures(i)
    assert [(s.role, s.method) for s in sigs] == [
        ("inspector", "drawn"),
        ("inspector", "drawn"),
        ("leader", "drawn"),
    ]
    png = attachment_read(sigs[0].attachment)
    assert Image.open(io.BytesIO(png)).format == "PNG"
    assert SiteEvent.objects.filter(site=site, kind="inspection_signed").exists()


def test_a_blank_drawing_is_not_a_signature(inspection, inspector):
    with pytest.raises(ValidationError) as err:
        inspections.inspection_sign(
            actor=inspector,
            inspection=inspection,
            version=inspection.version,
            signer="inspector",
            drawn=png_signature(blank=True),
        )
    assert err.value.message_dict == {"signature": ["签名为空，请在签名框内签名。"]}


def test_a_record_without_every_result_is_not_signed(site, inspector):
    i = inspections.inspection_create(actor=inspector, site=site, content="检查")
    with pytest.raises(ValidationError) as err:
        inspections.inspection_sign(
            actor=inspector,
            inspection=i,
            version=i.version,
            signer="inspector",
            drawn=png_signature(),
        )
    assert "签名前请填写每个检查项的结果" in err.value.messages[0]


def test_one_scan_of_the_paper_record_signs_for_all(inspection, inspector):
    scan = SimpleUploadedFile("检查记录.pdf", b"%PDF-1.4 signed paper record", "application/pdf")
    i = inspections.inspection_sign(
        actor=inspector,
        inspection=inspection,
        version=inspection.version,
        signer="all",
        scan=scan,
        leader_name="王丽华",
    )
    assert i.status == "signed"
    assert {(s.role, s.method) for s in selectors.inspection_signatures(i)} == {
        ("inspector", "scan"),
        ("leader", "scan"),
    }


def test_the_leaders_refusal_is_recorded(site, inspection, inspector, inspector2):
    with pytest.raises(ValidationError):  # the inspectors sign first
        inspections.inspection_record_refusal(
            actor=inspector,
            inspection=inspection,
            version=inspection.version,
            note="拒绝签字",
            leader_name="张建国",
        )
    i = inspection
    for person in (inspector, inspector2):
        i = inspections.inspection_sign(
            actor=person,
            inspection=i,
            version=i.version,
            signer="inspector",
            drawn=png_signature(),
        )
    with pytest.raises(ValidationError) as err:
        inspections.inspection_record_refusal(
            actor=inspector, inspection=i, version=i.version, note="", leader_name="张建国"
        )
    assert err.value.message_dict == {"note": ["请记录负责人拒绝签字的情况。"]}
    i = inspections.inspection_record_refusal(
        actor=inspector,
        inspection=i,
        version=i.version,
        note="负责人对检查结果有异议，拒绝签字，已当场说明并拍照。",
        leader_name="张建国",
    )
    assert i.status == "refused_to_sign" and i.refused_at and i.leader_name == "张建国"
    assert SiteEvent.objects.filter(site=site, kind="inspection_refused").exists()
    event = AuditEvent.objects.get(action="inspection.refusal")
    assert event.after["note"].startswith("负责人对检查结果有异议")
    # the record is complete: nobody signs any more
    with pytest.raises(InspectionStateConflict):
        inspections.inspection_sign(
            actor=inspector,
            inspection=i,
            version=i.version,
            signer="leader",
            drawn=png_signature(),
            leader_name="张建国",
        )


# --- photos ------------------------------------------------------------------------------------


def _photo_exif(result: InspectionResult) -> dict:
    (a,) = attachments_of(result)
    return dict(Image.open(io.BytesIO(attachment_read(a))).getexif())


def test_photos_lose_their_location_unless_kept_on_purpose(site, inspector):
    a, b = first_items(site, 2)
    i = inspections.inspection_create(
        actor=inspector,
        site=site,
        content="检查",
        results=[
            ResultIn(
                a.pk, "fail", "现场照片", photos=[SimpleUploadedFile("a.jpg", jpeg_with_gps())]
            ),
            ResultIn(
                b.pk,
                "fail",
                "保留位置",
                photos=[SimpleUploadedFile("b.jpg", jpeg_with_gps())],
                keep_gps=True,
            ),
        ],
    )
    stripped = InspectionResult.objects.get(inspection=i, item=a)
    kept = InspectionResult.objects.get(inspection=i, item=b)
    assert 0x8825 not in _photo_exif(stripped)
    assert 0x8825 in _photo_exif(kept)


# --- failed items become hazards ------------------------------------------------------------------


def test_failed_items_become_hazards_in_one_step(site, inspection, inspector):
    made = inspections.inspection_failed_items_to_hazards(
        actor=inspector, inspection=inspection, deadline=timezone.localdate() + timedelta(days=7)
    )
    assert len(made) == 1
    (h,) = made
    failed = InspectionResult.objects.get(inspection=inspection, grade="fail")
    assert h.inspection_result == failed and h.checklist_item == failed.item
    assert h.inspection == inspection and h.site == site and h.source == "inspection"
    assert h.grade == failed.item.severity_hint and h.status == "registered"
    with pytest.raises(ValidationError) as err:  # nothing left: no duplicates
        inspections.inspection_failed_items_to_hazards(actor=inspector, inspection=inspection)
    assert err.value.messages == ["没有尚未登记为隐患的不合格项。"]


def test_failed_items_take_the_grades_given(site, inspection, inspector):
    failed = InspectionResult.objects.get(inspection=inspection, grade="fail")
    (h,) = inspections.inspection_failed_items_to_hazards(
        actor=inspector, inspection=inspection, grades={failed.item_id: "major"}
    )
    assert h.grade == "major"


# --- plans and coverage ---------------------------------------------------------------------------


def test_plan_coverage_counts_inspected_sites_in_scope(personas, site, make_site, inspector):
    from anxin.safety.models import Sector

    today = timezone.localdate()
    hotels = Sector.objects.get(code="hotels")
    make_site(name="一社区宾馆", credit_code="", sector=hotels)  # another sector: out of scope
    make_site(name="一街道第二工厂", credit_code="")  # in scope, not inspected
    plan = inspections.inspection_plan_create(
        actor=inspector,
        title="工贸企业专项检查",
        organiser=personas.city.D1,
        unit=personas.city.T1,
        sectors=[site.sector],
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
        coverage_target=80,
    )
    i = inspections.inspection_create(
        actor=inspector, site=site, content="检查", plan=plan, results=all_results(site)
    )
    (row,) = selectors.plan_list(user=inspector)
    assert (row.site_count, row.inspected_count) == (2, 0)  # a draft does not count
    inspections.inspection_sign(
        actor=inspector,
        inspection=i,
        version=i.version,
        signer="all",
        leader_name="张三",
        scan=SimpleUploadedFile("s.pdf", b"%PDF-1.4 x", "application/pdf"),
    )
    (row,) = selectors.plan_list(user=inspector)
    assert (row.site_count, row.inspected_count) == (2, 1) and selectors.coverage(row) == 50
    assert list(selectors.plan_list(user=personas.outsider)) == []
