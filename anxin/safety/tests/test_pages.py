"""The staff pages: the site list (filters, query count), the dossier, forms, sectors, checklists."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.safety import services
from anxin.safety.models import ChecklistTemplate, Sector, Site
from anxin.safety.tests.conftest import LEGACY

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def site(personas, make_site):
    site = make_site(contact_user=personas.enterprise)
    today = timezone.localdate()
    services.permit_add(
        actor=None,
        site=site,
        kind="safety_production",
        number="（示）安许证字〔2024〕0007",
        issued_by="测试市应急管理局",
        issued_on=today - timedelta(days=1000),
        expires_on=today + timedelta(days=12),
    )
    services.permit_add(
        actor=None,
        site=site,
        kind="fire_safety",
        number="示消安检字〔2025〕0100",
        issued_on=today - timedelta(days=100),
        expires_on=today + timedelta(days=900),
    )
    return site


@pytest.mark.smoke
def test_the_dossier_shows_profile_permits_and_timeline(personas, client_for, site):
    response = client_for(personas.same).get(f"/safety/sites/{site.uid}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "一企一档" in page and site.name in page and site.credit_code in page
    assert 'id="profile"' in page and 'id="permits"' in page and 'id="timeline"' in page
    assert "工贸企业" in page and "测试局" in page and "一社区" in page  # sector, regulator, 属地
    assert "一般风险" in page and "13812345678" in page
    # the permit expiring within 30 days is listed; the other one is not
    expiring = page[
        page.index('id="permits-expiring"') : page.index(
            "</div>", page.index('id="permits-expiring"')
        )
    ]
    assert "0007" in expiring and "0100" not in expiring
    assert "场所登记" in page and "记录许可证" in page  # timeline lines
    # sections of parts that do not exist yet are not rendered at all, and nothing says "soon"
    for section in ("accidents",):
        assert f'id="{section}"' not in page
    # inspections, hazards and enforcement exist: their sections are shown (empty here)
    assert 'id="inspections"' in page and 'id="hazards"' in page and 'id="enforcement"' in page
    assert "coming soon" not in page.lower() and "即将" not in page and "敬请期待" not in page


def test_a_dossier_section_renders_none_yet_when_enabled():
    """The hook later parts use: a section shown with no rows says 暂无."""
    from django.template.loader import render_to_string

    html = render_to_string(
        "safety/_dossier_section.html", {"section_id": "hazards", "title": "隐患", "rows": []}
    )
    assert 'id="hazards"' in html and "暂无。" in html


def test_the_dossier_follows_the_scope(personas, client_for, site, dept_inspector):
    assert client_for(dept_inspector).get(f"/safety/sites/{site.uid}/").status_code == 200
    assert client_for(personas.parent).get(f"/safety/sites/{site.uid}/").status_code == 200
    assert client_for(personas.sibling).get(f"/safety/sites/{site.uid}/").status_code == 404
    assert client_for(personas.outsider).get(f"/safety/sites/{site.uid}/").status_code == 404
    own = client_for(personas.enterprise).get(f"/safety/sites/{site.uid}/")
    assert own.status_code == 200 and "编辑" not in own.content.decode()
    member = client_for(personas.member).get(f"/safety/sites/{site.uid}/").content.decode()
    assert "13812345678" not in member  # readers who do not keep the register: no contact
    assert client_for(personas.member).get(f"/safety/sites/{site.uid}/edit/").status_code == 403


def test_the_site_list_filters_and_shows_risk(personas, client_for, make_site):
    make_site(name="甲工厂", risk_level="red")
    make_site(name="乙宾馆", credit_code="", unit=personas.city.T2, risk_level="blue")
    client = client_for(personas.parent)
    page = client.get("/safety/sites/").content.decode()
    assert "甲工厂" in page and "乙宾馆" in page and "重大风险" in page and "低风险" in page
    page = client.get("/safety/sites/?risk_level=red").content.decode()
    assert "甲工厂" in page and "乙宾馆" not in page
    page = client.get("/safety/sites/?unit=T2&q=宾").content.decode()
    assert "乙宾馆" in page and "甲工厂" not in page
    assert client_for(personas.sysadmin).get("/safety/sites/").status_code == 403


@pytest.mark.dbdep
def test_the_site_list_query_count_is_constant(personas, client_for, make_site):
    for i in range(60):
        make_site(name=f"工厂{i:02d}", credit_code="")
    client = client_for(personas.parent)
    client.get("/safety/sites/")  # warm up the session
    counts = []
    for filters in ("", "?risk_level=yellow"):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/safety/sites/{filters}")
        assert response.status_code == 200
        assert response.content.decode().count("/safety/sites/") >= 50
        counts.append(len(ctx.captured_queries))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/safety/sites/?q=工厂05")
    assert response.content.decode().count("工厂05") >= 1
    assert counts[0] == counts[1] == len(ctx.captured_queries), counts
    # session, user, grants, sectors (filter), count, the page of sites with their units and
    # sector in one join, the header's home unit, the unread-notification badge
    # (supervision's context processor), and the session's save (3 statements)
    assert counts[0] == 11, counts


def test_register_a_site_from_the_page_with_a_warning(personas, client_for, sector):
    client = client_for(personas.same)
    assert client.get("/safety/sites/new/").status_code == 200
    response = client.post(
        "/safety/sites/new/",
        {
            "name": "一街道老字号食品厂",
            "credit_code": LEGACY,
            "sector": "industry_trade",
            "unit": "T1",
            "address": "一街道老街1号",
            "risk_level": "yellow",
            "status": "active",
        },
        follow=True,
    )
    assert response.status_code == 200
    page = response.content.decode()
    site = Site.objects.get()
    assert site.regulating_unit == personas.city.DEP and site.credit_code == LEGACY
    assert "校验码不符" in page and "已登记" in page


def test_the_form_shows_refusals_on_their_fields(personas, client_for, sector):
    response = client_for(personas.same).post(
        "/safety/sites/new/",
        {
            "name": "x",
            "credit_code": "123",
            "sector": "industry_trade",
            "unit": "T1",
            "address": "y",
            "risk_level": "yellow",
            "status": "active",
        },
    )
    assert response.status_code == 200
    assert "统一社会信用代码为18位" in response.content.decode()
    assert Site.objects.count() == 0


def test_edit_with_a_stale_version_says_so(personas, client_for, site):
    services.site_update(actor=None, site=site, version=1, risk_level="red")
    response = client_for(personas.same).post(
        f"/safety/sites/{site.uid}/edit/",
        {
            "name": site.name,
            "credit_code": site.credit_code,
            "sector": "industry_trade",
            "unit": "V1",
            "address": site.address,
            "risk_level": "blue",
            "status": "active",
            "version": 1,
        },
    )
    assert response.status_code == 200
    assert "他人已对其作了修改" in response.content.decode()
    site.refresh_from_db()
    assert site.risk_level == "red"


def test_permit_pages(personas, client_for, site):
    client = client_for(personas.same)
    assert client.get(f"/safety/sites/{site.uid}/permits/new/").status_code == 200
    response = client.post(
        f"/safety/sites/{site.uid}/permits/new/",
        {"kind": "special_trade", "number": "特许-1", "issued_on": "2025-01-02", "expires_on": ""},
    )
    assert response.status_code == 302
    permit = site.permits.get(number="特许-1")
    assert permit.expires_on is None
    response = client.post(
        f"/safety/sites/{site.uid}/permits/{permit.pk}/",
        {
            "kind": "special_trade",
            "number": "特许-1",
            "issued_on": "2025-01-02",
            "expires_on": "2028-01-01",
            "version": 1,
        },
    )
    assert response.status_code == 302
    assert (
        client_for(personas.sibling)
        .get(f"/safety/sites/{site.uid}/permits/{permit.pk}/")
        .status_code
        == 404
    )


def test_the_sysadmin_sets_a_sector_department(personas, client_for):
    client = client_for(personas.sysadmin)
    page = client.get("/safety/sectors/").content.decode()
    assert "人员密集场所" in page and "未设置" in page
    response = client.post(
        "/safety/sectors/crowded_places/",
        {"name": "人员密集场所", "department": "DEP", "is_active": "on", "version": 1},
    )
    assert response.status_code == 302
    assert Sector.objects.get(code="crowded_places").department == personas.city.DEP
    assert client_for(personas.same).get("/safety/sectors/crowded_places/").status_code == 403


def test_checklist_pages_and_publishing(personas, client_for):
    template = ChecklistTemplate.objects.get(sector__code="fireworks", is_current=True)
    reader = client_for(personas.member)
    page = reader.get("/safety/checklists/").content.decode()
    assert "烟花爆竹经营（批发、零售）安全检查表" in page
    page = reader.get(f"/safety/checklists/{template.pk}/").content.decode()
    assert "《烟花爆竹安全管理条例》第十八条" in page and "检查依据" in page
    assert reader.get(f"/safety/checklists/{template.pk}/new-version/").status_code == 403
    client = client_for(personas.same)
    form = client.get(f"/safety/checklists/{template.pk}/new-version/")
    assert form.status_code == 200
    items = list(template.items.order_by("order"))
    data = {
        "title": template.title,
        "items-TOTAL_FORMS": str(len(items) + 1),
        "items-INITIAL_FORMS": str(len(items)),
        "items-MIN_NUM_FORMS": "0",
        "items-MAX_NUM_FORMS": "60",
    }
    for n, item in enumerate(items):
        data[f"items-{n}-text"] = item.text
        data[f"items-{n}-basis"] = item.basis
        data[f"items-{n}-severity_hint"] = item.severity_hint
    data[f"items-{len(items)}-text"] = "零售点未在居民楼内存放超量产品"
    data[f"items-{len(items)}-basis"] = "《烟花爆竹经营许可实施办法》"
    data[f"items-{len(items)}-severity_hint"] = "major"
    response = client.post(f"/safety/checklists/{template.pk}/new-version/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    new = ChecklistTemplate.objects.get(sector__code="fireworks", is_current=True)
    assert new.version == 2 and new.items.count() == len(items) + 1


def test_navigation_shows_sites_to_those_who_may_see_them(personas, client_for):
    assert "/safety/sites/" in client_for(personas.member).get("/").content.decode()
    assert "/safety/sites/" not in client_for(personas.auditor).get("/").content.decode()
    admin_page = client_for(personas.sysadmin).get("/").content.decode()
    assert "/safety/sectors/" in admin_page and "/safety/sites/" not in admin_page
