"""Inspection plans and campaigns (专项行动): editing (audited, versioned, scoped) and the plan
page with the coverage achieved and the sites not inspected yet."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from anxin.core.errors import VersionConflict
from anxin.core.models import AuditEvent
from anxin.safety import inspections
from anxin.safety.inspections import ResultIn
from anxin.safety.models import ChecklistItem, Sector

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


@pytest.fixture
def plan(personas, inspector, site):
    today = timezone.localdate()
    return inspections.inspection_plan_create(
        actor=inspector,
        title="工贸企业专项检查",
        organiser=personas.city.D1,
        unit=personas.city.T1,
        sectors=[site.sector],
        starts_on=today - timedelta(days=10),
        ends_on=today + timedelta(days=10),
        coverage_target=80,
    )


def _signed_inspection(inspector, site, plan):
    items = ChecklistItem.objects.filter(template__sector=site.sector, template__is_current=True)
    i = inspections.inspection_create(
        actor=inspector,
        site=site,
        content="检查",
        plan=plan,
        results=[ResultIn(it.pk, "pass") for it in items],
    )
    return inspections.inspection_sign(
        actor=inspector,
        inspection=i,
        version=i.version,
        signer="all",
        leader_name="张三",
        scan=SimpleUploadedFile("s.pdf", b"%PDF-1.4 x", "application/pdf"),
    )


def test_update_is_versioned_and_audited(personas, inspector, plan):
    hotels = Sector.objects.get(code="hotels")
    p = inspections.inspection_plan_update(
        actor=inspector,
        plan=plan,
        version=plan.version,
        title="工贸与旅馆专项检查",
        sectors=[plan.sectors.get(), hotels],
        coverage_target=90,
    )
    assert p.version == 2 and p.title == "工贸与旅馆专项检查" and p.coverage_target == 90
    assert {s.code for s in p.sectors.all()} == {"industry_trade", "hotels"}
    event = AuditEvent.objects.get(action="inspection_plan.update")
    assert event.before == {
        "title": "工贸企业专项检查",
        "sectors": ["industry_trade"],
        "coverage_target": 80,
    }
    assert event.after["sectors"] == ["hotels", "industry_trade"]
    with pytest.raises(VersionConflict):
        inspections.inspection_plan_update(actor=inspector, plan=p, version=1, title="x")
    # nothing changed: no new version, no audit
    p = inspections.inspection_plan_update(actor=inspector, plan=p, version=2, title=p.title)
    assert p.version == 2
    assert AuditEvent.objects.filter(action="inspection_plan.update").count() == 1


def test_update_checks_like_create(inspector, plan):
    with pytest.raises(ValidationError) as err:
        inspections.inspection_plan_update(
            actor=inspector,
            plan=plan,
            version=None,
            ends_on=plan.starts_on - timedelta(days=1),
            coverage_target=0,
        )
    assert err.value.message_dict == {
        "ends_on": ["结束日期不能早于开始日期。"],
        "coverage_target": ["覆盖率目标为 1 至 100 之间的百分数。"],
    }


def test_only_managers_in_scope_edit(personas, plan):
    for person in (personas.viewer, personas.outsider):
        with pytest.raises(PermissionDenied):
            inspections.inspection_plan_update(actor=person, plan=plan, version=None, title="x")


def test_the_plan_page_shows_coverage_and_pending_sites(
    personas, client_for, inspector, site, make_site, plan
):
    other = make_site(name="一街道第二工厂", credit_code="")
    _signed_inspection(inspector, site, plan)
    page = client_for(inspector).get(f"/safety/inspections/plans/{plan.uid}/").content.decode()
    assert "工贸企业专项检查" in page and 'id="coverage"' in page
    coverage = page[page.index('id="coverage"') : page.index('id="plan-inspections"')]
    assert "50%" in coverage and "80%" in coverage
    pending = page[page.index('id="pending-sites"') :]
    assert other.name in pending and site.name not in pending
    assert 'id="plan-edit"' in page
    # the list links to the page
    listing = client_for(inspector).get("/safety/inspections/plans/").content.decode()
    assert f"/safety/inspections/plans/{plan.uid}/" in listing
    # readers see it, without the edit button; outsiders get 404
    page = client_for(personas.viewer).get(f"/safety/inspections/plans/{plan.uid}/")
    assert page.status_code == 200 and 'id="plan-edit"' not in page.content.decode()
    assert (
        client_for(personas.outsider).get(f"/safety/inspections/plans/{plan.uid}/").status_code
        == 404
    )


def test_the_edit_page(personas, client_for, inspector, site, plan):
    c = client_for(inspector)
    form = c.get(f"/safety/inspections/plans/{plan.uid}/edit/")
    assert form.status_code == 200 and "工贸企业专项检查" in form.content.decode()
    r = c.post(
        f"/safety/inspections/plans/{plan.uid}/edit/",
        {
            "title": "工贸企业专项检查（延期）",
            "organiser": personas.city.D1.code,
            "unit": personas.city.T1.code,
            "sectors": [site.sector.code],
            "starts_on": plan.starts_on.isoformat(),
            "ends_on": (plan.ends_on + timedelta(days=30)).isoformat(),
            "coverage_target": "80",
            "notes": "延长一个月",
            "version": plan.version,
        },
    )
    assert r.status_code == 302
    plan.refresh_from_db()
    assert plan.title == "工贸企业专项检查（延期）" and plan.notes == "延长一个月"
    assert (
        client_for(personas.viewer).get(f"/safety/inspections/plans/{plan.uid}/edit/").status_code
        == 403
    )
