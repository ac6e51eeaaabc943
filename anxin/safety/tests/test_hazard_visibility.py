"""Who sees a hazard or an inspection: through the site (territorial unit or regulating
department); the enterprise contact only their own site's, and only submits; others 404."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from anxin.safety import hazards, inspections
from anxin.safety import selectors_hazards as selectors
from anxin.safety.models_hazards import Hazard
from anxin.safety.tests.hazard_fixtures import file_upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


@pytest.mark.smoke
@pytest.mark.parametrize("who", ["same", "member", "parent", "viewer", "clerk"])
def test_staff_of_the_site_see_it(personas, hazard_factory, who):
    h = hazard_factory()
    assert selectors.hazard_get_for_user(user=getattr(personas, who), id=str(h.uid)) == h


def test_the_regulating_department_sees_it(hazard_factory, dept_inspector):
    h = hazard_factory()
    assert selectors.hazard_get_for_user(user=dept_inspector, id=str(h.uid), action="manage")


@pytest.mark.parametrize("who", ["sibling", "outsider", "sysadmin", "secadmin", "auditor"])
def test_outside_the_scope_is_404(personas, hazard_factory, who):
    h = hazard_factory()
    with pytest.raises(Http404):
        selectors.hazard_get_for_user(user=getattr(personas, who), id=str(h.uid))


def test_in_scope_without_the_action_is_403(personas, hazard_factory):
    h = hazard_factory()
    with pytest.raises(PermissionDenied):
        selectors.hazard_get_for_user(user=personas.viewer, id=str(h.uid), action="manage")


def test_the_enterprise_contact_sees_only_their_sites_hazards(
    personas, hazard_factory, other_site, contact2
):
    mine = hazard_factory()
    theirs = hazard_factory(site=other_site)
    assert set(Hazard.objects.restrict(personas.enterprise, "view")) == {mine}
    assert set(Hazard.objects.restrict(contact2, "view")) == {theirs}
    with pytest.raises(Http404):
        selectors.hazard_get_for_user(user=contact2, id=str(mine.uid))
    # the role's scope unit (T1) gives nothing by itself
    assert (
        not Hazard.objects.restrict(personas.enterprise, "hazard.submit")
        .filter(pk=theirs.pk)
        .exists()
    )


def test_other_sites_contact_gets_404_through_the_api(personas, api, hazard_factory, contact2):
    h = hazard_factory()
    r = api(contact2).post(
        f"/api/v1/hazards/{h.uid}/actions/submit_rectification",
        data={"note": "x"},
        content_type="application/json",
    )
    assert r.status_code == 404 and r.json()["code"] == "not_found"
    assert api(contact2).get(f"/api/v1/hazards/{h.uid}").status_code == 404


def test_the_contact_does_not_see_reports_nor_voided_hazards(personas, site):
    report = hazards.hazard_create(
        actor=None, site=site, description="有人举报", status="reported", source="report"
    )
    assert not Hazard.objects.restrict(personas.enterprise, "view").filter(pk=report.pk).exists()
    assert Hazard.objects.restrict(personas.same, "view").filter(pk=report.pk).exists()


def test_only_the_contact_submits(personas, inspector, hazard_factory):
    h = hazard_factory()
    h = hazards.run("start_rectification", actor=inspector, hazard=h, data={"measures": "更换电缆"})
    for staff in (inspector, personas.same, personas.parent):
        with pytest.raises(PermissionDenied):
            hazards.hazard_submit_rectification(
                actor=staff, hazard=h, files=[file_upload()], note="代交"
            )
    h = hazards.hazard_submit_rectification(
        actor=personas.enterprise, hazard=h, files=[file_upload()], note="已整改"
    )
    assert h.status == "submitted"


def test_a_reported_hazard_without_a_site_is_seen_through_its_place(personas):
    h = hazards.hazard_create(
        actor=None, unit=personas.city.T1, description="路边堆放液化气钢瓶", status="reported"
    )
    assert Hazard.objects.restrict(personas.same, "view").filter(pk=h.pk).exists()
    assert Hazard.objects.restrict(personas.parent, "view").filter(pk=h.pk).exists()
    assert not Hazard.objects.restrict(personas.sibling, "view").filter(pk=h.pk).exists()


def test_inspections_follow_the_site_and_hide_drafts_from_the_contact(personas, site, inspector):
    i = inspections.inspection_create(actor=inspector, site=site, content="日常检查")
    assert selectors.inspection_get_for_user(user=personas.parent, id=str(i.uid)) == i
    with pytest.raises(Http404):
        selectors.inspection_get_for_user(user=personas.sibling, id=str(i.uid))
    with pytest.raises(Http404):  # a draft is not the site's yet
        selectors.inspection_get_for_user(user=personas.enterprise, id=str(i.uid))
    i.status = "signed"
    i.save(update_fields=["status"])
    assert selectors.inspection_get_for_user(user=personas.enterprise, id=str(i.uid)) == i


def test_an_outsider_cannot_record_a_hazard_at_the_site(personas, site):
    with pytest.raises(PermissionDenied):
        hazards.hazard_create(actor=personas.outsider, site=site, description="x")
