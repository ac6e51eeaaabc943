"""site_create / site_update / permit_* / sector_update: validation, credit codes, audit, 409."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.core.errors import VersionConflict
from anxin.core.models import AuditEvent
from anxin.safety import services
from anxin.safety.models import Sector, SiteEvent
from anxin.safety.tests.conftest import LEGACY, VALID, VALID_2

pytestmark = [pytest.mark.django_db]

CHECK_WARNING = (
    "统一社会信用代码的校验码不符（GB 32100-2015）。部分早期代码无法通过校验：场所已保存，"
    "请与营业执照核对。"
)


@pytest.mark.smoke
def test_a_valid_credit_code_saves_without_warnings(personas, make_site):
    site = make_site(actor=personas.same, credit_code=" 9131 0110 6660 0721 7t ")
    assert site.credit_code == VALID
    assert services.site_warnings(site) == []
    assert site.regulating_unit == personas.city.DEP  # the sector's department by default
    assert site.version == 1


def test_a_failed_check_character_is_saved_with_a_warning(personas, make_site):
    site = make_site(credit_code=LEGACY)
    site.refresh_from_db()
    assert site.credit_code == LEGACY
    assert services.site_warnings(site) == [{"code": "credit_code_check", "message": CHECK_WARNING}]


@pytest.mark.parametrize(
    "code", ["9131011066600721", "91310110666007217TX", "91310110666007217I", "9131-0110-666"]
)
def test_a_malformed_credit_code_is_refused(personas, make_site, code):
    with pytest.raises(ValidationError) as exc:
        make_site(credit_code=code)
    assert exc.value.message_dict == {
        "credit_code": ["统一社会信用代码为18位，由数字和大写英文字母组成（不使用I、O、Z、S、V）。"]
    }


def test_a_credit_code_is_registered_once(personas, make_site):
    make_site()
    with pytest.raises(ValidationError) as exc:
        make_site(name="另一家")
    assert exc.value.message_dict["credit_code"] == ["已有场所登记了这个统一社会信用代码。"]
    # a place without a code (e.g. a private rental) can be registered many times
    make_site(name="出租房甲", credit_code="")
    make_site(name="出租房乙", credit_code="")


def test_the_territorial_unit_is_a_township_or_village(personas, make_site):
    with pytest.raises(ValidationError) as exc:
        make_site(unit=personas.city.D1)
    assert exc.value.message_dict["unit"] == ["属地应为乡镇（街道）或村（社区）。"]
    with pytest.raises(ValidationError) as exc:
        make_site(regulating_unit=personas.city.T1)
    assert exc.value.message_dict["regulating_unit"] == ["行业主管部门必须是部门。"]


def test_coordinates_come_in_pairs_and_ranges(personas, make_site):
    with pytest.raises(ValidationError) as exc:
        make_site(latitude=91, longitude=114)
    assert "latitude" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        make_site(latitude=30.5)
    assert exc.value.message_dict["latitude"] == ["纬度和经度应同时填写或同时不填。"]
    site = make_site(latitude="30.123456", longitude=114.5)
    assert str(site.latitude) == "30.123456"


def test_the_contact_login_must_be_an_enterprise_contact(personas, make_site):
    with pytest.raises(ValidationError) as exc:
        make_site(contact_user=personas.member)
    assert exc.value.message_dict["contact_user"] == [
        "该账号不是企业联系人：请先为其分配“企业联系人”角色。"
    ]
    assert make_site(contact_user=personas.enterprise).contact_user == personas.enterprise


def test_no_department_is_a_warning(personas, make_site):
    bare = Sector.objects.get(code="hotels")
    site = make_site(sector=bare)
    assert site.regulating_unit is None
    assert [w["code"] for w in services.site_warnings(site)] == ["no_regulating_unit"]


def test_create_is_audited_without_personal_data(personas, make_site):
    site = make_site(actor=personas.same)
    event = AuditEvent.objects.get(action="site.create")
    assert event.actor == personas.same and event.object_id == str(site.pk)
    assert event.after["contact_phone"] == "***" and event.after["credit_code"] == VALID
    assert "13812345678" not in str(event.after)
    assert list(SiteEvent.objects.filter(site=site).values_list("kind", flat=True)) == ["created"]


def test_create_needs_the_action_and_the_place(personas, make_site):
    with pytest.raises(PermissionDenied):
        make_site(actor=personas.member)  # a handler may read sites, not keep the register
    with pytest.raises(PermissionDenied):
        make_site(actor=personas.sibling)  # T2's head cannot register a site in T1


def test_update_checks_the_version_and_records_what_changed(personas, make_site):
    site = make_site()
    updated = services.site_update(
        actor=personas.same, site=site, version=1, risk_level="red", contact_phone="13900000000"
    )
    assert updated.version == 2 and updated.risk_level == "red"
    event = AuditEvent.objects.get(action="site.update")
    assert event.before == {"contact_phone": "***", "risk_level": "yellow"}
    assert event.after == {"contact_phone": "***", "risk_level": "red"}
    with pytest.raises(VersionConflict) as exc:
        services.site_update(actor=personas.same, site=site, version=1, name="新名称")
    assert exc.value.status == 409 and exc.value.extra == {"current_version": 2}
    # nothing changed: no new version, no audit record
    same = services.site_update(actor=personas.same, site=site, version=2, risk_level="red")
    assert same.version == 2 and AuditEvent.objects.filter(action="site.update").count() == 1


def test_update_outside_the_scope_is_refused(personas, make_site):
    site = make_site()
    with pytest.raises(PermissionDenied):
        services.site_update(actor=personas.sibling, site=site, version=1, name="x")
    with pytest.raises(PermissionDenied):  # moving it out of one's own scope
        services.site_update(actor=personas.same, site=site, version=1, unit=personas.city.T3)


def test_changing_the_sector_moves_a_default_regulator(personas, make_site):
    from anxin.core.services import unit_create

    dep2 = unit_create(
        actor=None, code="DEP2", name="测试二局", kind="department", parent=personas.city.C
    )
    other = Sector.objects.get(code="construction")
    services.sector_update(actor=None, sector=other, version=None, department=dep2)
    site = make_site()
    moved = services.site_update(actor=None, site=site, version=1, sector=other)
    assert moved.regulating_unit == dep2  # it was the old sector's default: it follows
    chosen = make_site(name="自选主管部门", credit_code="", regulating_unit=dep2)
    kept = services.site_update(
        actor=None, site=chosen, version=1, sector=Sector.objects.get(code="hotels")
    )
    assert kept.regulating_unit == dep2  # chosen by hand: it stays


def test_permits_are_added_and_updated_with_their_dates(personas, make_site):
    site = make_site()
    today = timezone.localdate()
    permit = services.permit_add(
        actor=personas.same,
        site=site,
        kind="safety_production",
        number="（示）安许证字〔2024〕0001",
        issued_on=today - timedelta(days=700),
        expires_on=today + timedelta(days=10),
    )
    with pytest.raises(ValidationError) as exc:
        services.permit_add(
            actor=personas.same,
            site=site,
            kind="safety_production",
            number="X-2",
            issued_on=date(2025, 5, 1),
            expires_on=date(2025, 4, 30),
        )
    assert exc.value.message_dict == {"expires_on": ["许可证的有效期不能早于发证日期。"]}
    with pytest.raises(ValidationError):
        services.permit_add(
            actor=personas.same,
            site=site,
            kind="safety_production",
            number="（示）安许证字〔2024〕0001",
            issued_on=today,
        )
    renewed = services.permit_update(
        actor=personas.same, permit=permit, version=1, expires_on=today + timedelta(days=1095)
    )
    assert renewed.version == 2
    with pytest.raises(VersionConflict):
        services.permit_update(actor=personas.same, permit=permit, version=1, number="x")
    with pytest.raises(PermissionDenied):
        services.permit_update(actor=personas.sibling, permit=permit, version=2, number="x")
    kinds = list(SiteEvent.objects.filter(site=site).order_by("id").values_list("kind", flat=True))
    assert kinds == ["created", "permit_added", "permit_updated"]


def test_sector_update_is_for_the_system_administrator(personas):
    sector = Sector.objects.get(code="schools")
    with pytest.raises(PermissionDenied):
        services.sector_update(actor=personas.same, sector=sector, version=1, name="x")
    updated = services.sector_update(
        actor=personas.sysadmin, sector=sector, version=1, department=personas.city.DEP
    )
    assert updated.version == 2 and updated.department == personas.city.DEP
    with pytest.raises(ValidationError):
        services.sector_update(
            actor=personas.sysadmin, sector=sector, version=2, department=personas.city.T1
        )
    with pytest.raises(VersionConflict):
        services.sector_update(actor=personas.sysadmin, sector=sector, version=1, name="y")
    assert AuditEvent.objects.filter(action="sector.update").count() == 1


def test_two_sites_can_share_nothing_but_their_sector(personas, make_site):
    a = make_site()
    b = make_site(name="第二家", credit_code=VALID_2)
    assert a.uid != b.uid and a.sector == b.sector
