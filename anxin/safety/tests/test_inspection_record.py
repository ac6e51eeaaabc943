"""The inspection record as an official .docx (issue 4, item 3): time, place, content,
problems, handling, each item's result, and the signatures or the recorded refusal to sign
(安全生产法 Art. 68). Opened with python-docx; every download is audited."""

from __future__ import annotations

import io

import docx
import pytest

from anxin.core.crypto import sm3_hex
from anxin.core.models import AuditEvent
from anxin.safety import inspections
from anxin.safety.documents_inspections import inspection_record, record_number
from anxin.safety.inspections import ResultIn
from anxin.safety.models import ChecklistItem
from anxin.safety.tests.hazard_fixtures import png_signature

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def _text(data: bytes) -> str:
    d = docx.Document(io.BytesIO(data))
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


@pytest.fixture
def inspection(site, inspector, inspector2):
    items = ChecklistItem.objects.filter(
        template__sector=site.sector, template__is_current=True
    ).order_by("order")
    return inspections.inspection_create(
        actor=inspector,
        site=site,
        inspectors=[inspector, inspector2],
        place="一街道和平路8号 二号车间",
        content="消防安全专项检查",
        problems="二号车间安全出口堵塞。",
        handling="责令当场清理，复查。",
        results=[
            ResultIn(
                i.pk, "fail" if i.order == 2 else "pass", "安全出口堵塞" if i.order == 2 else ""
            )
            for i in items
        ],
    )


def _sign_inspectors(i, *people):
    for person in people:
        i = inspections.inspection_sign(
            actor=person, inspection=i, version=i.version, signer="inspector", drawn=png_signature()
        )
    return i


def test_the_signed_record_states_everything(inspection, inspector, inspector2, site):
    i = _sign_inspectors(inspection, inspector, inspector2)
    i = inspections.inspection_sign(
        actor=inspector,
        inspection=i,
        version=i.version,
        signer="leader",
        drawn=png_signature(),
        leader_name="张建国",
    )
    assert i.status == "signed"
    _name, data = inspection_record(i)
    text = _text(data)
    assert "安全生产监督检查记录" in text
    assert record_number(i) in text
    assert site.name in text and site.credit_code in text
    assert "一街道和平路8号 二号车间" in text
    assert "消防安全专项检查" in text
    assert "二号车间安全出口堵塞。" in text and "责令当场清理，复查。" in text
    assert "不合格 | 安全出口堵塞" in text and "合格" in text
    assert f"检查人员 {inspector.display_name}：已签名（手写签名" in text
    assert "被检查单位负责人 张建国：已签名（手写签名" in text
    assert "草稿" not in text and "拒绝签字" not in text


def test_a_refusal_to_sign_is_in_the_record(inspection, inspector, inspector2):
    i = _sign_inspectors(inspection, inspector, inspector2)
    i = inspections.inspection_record_refusal(
        actor=inspector,
        inspection=i,
        version=i.version,
        note="负责人对检查结果有异议，拒绝签字。",
        leader_name="张建国",
    )
    text = _text(inspection_record(i)[1])
    assert "被检查单位负责人：张建国拒绝签字" in text
    assert "检查人员已将情况记录在案（《中华人民共和国安全生产法》第六十八条）" in text
    assert "负责人对检查结果有异议，拒绝签字。" in text


def test_a_draft_says_so_and_leaves_blanks(inspection):
    text = _text(inspection_record(inspection)[1])
    assert "（草稿：本记录尚未由全部检查人员和被检查单位负责人签名。）" in text
    assert "被检查单位负责人（签名）：" in text


def test_download_from_the_page_is_audited(client_for, inspection, inspector, personas):
    r = client_for(inspector).get(f"/safety/inspections/{inspection.uid}/record.docx")
    assert r.status_code == 200
    assert r["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    )
    assert "filename*=UTF-8''" in r["Content-Disposition"]
    event = AuditEvent.objects.get(action="inspection.record_document")
    assert event.after["sm3"] == sm3_hex(r.content)
    page = client_for(inspector).get(f"/safety/inspections/{inspection.uid}/").content.decode()
    assert 'id="record-docx"' in page
    # outsiders: 404; the enterprise contact never gets a draft
    assert (
        client_for(personas.outsider)
        .get(f"/safety/inspections/{inspection.uid}/record.docx")
        .status_code
        == 404
    )
    assert (
        client_for(personas.enterprise)
        .get(f"/safety/inspections/{inspection.uid}/record.docx")
        .status_code
        == 404
    )


def test_the_contact_gets_the_signed_record(
    client_for, inspection, inspector, inspector2, personas
):
    i = _sign_inspectors(inspection, inspector, inspector2)
    inspections.inspection_record_refusal(
        actor=inspector, inspection=i, version=i.version, note="拒签", leader_name="张建国"
    )
    r = client_for(personas.enterprise).get(f"/safety/inspections/{inspection.uid}/record.docx")
    assert r.status_code == 200 and "拒签" in _text(r.content)


def test_the_api_serves_the_record(api, inspection, inspector, personas):
    r = api(inspector).get(f"/api/v1/inspections/{inspection.uid}/record.docx")
    assert r.status_code == 200
    assert "消防安全专项检查" in _text(r.content)
    assert AuditEvent.objects.filter(action="inspection.record_document").count() == 1
    assert (
        api(personas.outsider).get(f"/api/v1/inspections/{inspection.uid}/record.docx").status_code
        == 404
    )
