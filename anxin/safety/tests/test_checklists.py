"""The seeded sectors and checklists, and publishing a new checklist version."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.core.models import AuditEvent
from anxin.safety import selectors, services
from anxin.safety.checklist_seed import CHECKLISTS, SECTORS
from anxin.safety.models import ChecklistTemplate, Sector
from anxin.safety.services import ChecklistItemIn

pytestmark = [pytest.mark.django_db]

ISSUE_SECTORS = {
    "人员密集场所",
    "道路交通运输",
    "学校",
    "非煤矿山",
    "娱乐场所",
    "烟花爆竹经营",
    "建筑施工",
    "旅馆",
    "出租房屋",
    "危险化学品",
    "工贸企业",
}


def test_every_sector_of_the_issue_is_seeded_with_a_checklist():
    assert set(Sector.objects.values_list("name", flat=True)) >= ISSUE_SECTORS
    assert {name for _code, name in SECTORS} == ISSUE_SECTORS
    assert set(CHECKLISTS) == {code for code, _name in SECTORS}
    for sector in Sector.objects.filter(name__in=ISSUE_SECTORS):
        template = selectors.checklist_current(sector)
        assert template is not None and template.version == 1, sector.code
        items = list(template.items.order_by("order"))
        assert 6 <= len(items) <= 12, sector.code
        assert [i.order for i in items] == list(range(1, len(items) + 1))
        for item in items:
            assert item.text.strip() and item.basis.strip(), (sector.code, item.order)
            # a basis names a law, regulation or rule in 《》, or a national/industry standard
            assert "《" in item.basis or item.basis.startswith(("GB", "JGJ")), item.basis
            assert item.severity_hint in ("general", "major")
        assert any(i.severity_hint == "major" for i in items), sector.code


def test_seed_texts_are_unique_within_a_checklist():
    for code, (_title, items) in CHECKLISTS.items():
        texts = [t for t, _b, _s in items]
        assert len(texts) == len(set(texts)), code
        assert all(len(t) <= 300 and len(b) <= 200 for t, b, _s in items), code


def test_publishing_keeps_the_earlier_version(personas):
    sector = Sector.objects.get(code="hotels")
    first = selectors.checklist_current(sector)
    first_items = list(first.items.values_list("text", flat=True))
    new = services.checklist_publish(
        actor=None,
        sector=sector,
        title="旅馆安全检查表（2027年版）",
        items=[
            ChecklistItemIn("接待旅客住宿查验身份证件并如实登记", "《旅馆业治安管理办法》第六条"),
            ChecklistItemIn("", ""),  # an empty row is left out
            ChecklistItemIn("疏散通道畅通", "《中华人民共和国消防法》第二十八条", "major"),
        ],
    )
    assert new.version == 2 and new.is_current
    assert list(new.items.values_list("order", "severity_hint")) == [(1, "general"), (2, "major")]
    first.refresh_from_db()
    assert not first.is_current
    assert list(first.items.values_list("text", flat=True)) == first_items
    assert selectors.checklist_current(sector) == new
    assert ChecklistTemplate.objects.filter(sector=sector).count() == 2
    event = AuditEvent.objects.get(action="checklist.publish")
    assert event.after == {"sector": "hotels", "version": 2, "items": 2}


def test_publishing_needs_the_action_and_a_basis_for_every_item(personas):
    sector = Sector.objects.get(code="hotels")
    with pytest.raises(PermissionDenied):
        services.checklist_publish(
            actor=personas.member, sector=sector, title="x", items=[ChecklistItemIn("a", "b")]
        )
    with pytest.raises(ValidationError) as exc:
        services.checklist_publish(
            actor=personas.same, sector=sector, title="x", items=[ChecklistItemIn("检查项", "")]
        )
    assert exc.value.message_dict == {
        "items.1.basis": ["第1项：请填写检查依据（法律法规或标准条款）。"]
    }
    with pytest.raises(ValidationError) as exc:
        services.checklist_publish(actor=personas.same, sector=sector, title="x", items=[])
    assert exc.value.message_dict == {"items": ["检查表至少需要一个检查项。"]}
