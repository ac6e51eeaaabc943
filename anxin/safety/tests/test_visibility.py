"""Who sees a site: its territorial unit and its regulating department both count; the
enterprise contact sees only their own site; everyone else gets 404."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.safety import selectors
from anxin.safety.models import Site

pytestmark = [pytest.mark.django_db]


@pytest.fixture
def site(personas, make_site):
    """A site in V1 (under T1, under D1), regulated by the department DEP."""
    return make_site(contact_user=personas.enterprise)


def visible(user):
    return set(Site.objects.restrict(user, "view").values_list("name", flat=True))


@pytest.mark.smoke
def test_territorial_and_regulating_units_both_see(personas, site, dept_inspector):
    for user in (personas.same, personas.member, personas.parent, personas.viewer, dept_inspector):
        assert selectors.site_get_for_user(user=user, id=str(site.uid)) == site, user
    # the department's inspector may also keep the register of the sites it regulates
    assert selectors.site_get_for_user(user=dept_inspector, id=str(site.uid), action="manage")


@pytest.mark.parametrize("who", ["sibling", "outsider", "sysadmin", "secadmin", "auditor"])
def test_outside_the_scope_is_404(personas, site, who):
    with pytest.raises(Http404):
        selectors.site_get_for_user(user=getattr(personas, who), id=str(site.uid))


def test_reading_without_the_action_is_403(personas, site):
    with pytest.raises(PermissionDenied):
        selectors.site_get_for_user(user=personas.member, id=str(site.uid), action="manage")


def test_a_department_sees_only_what_it_regulates(personas, make_site, site, dept_inspector):
    from anxin.safety.models import Sector

    hotels = Sector.objects.get(code="hotels")  # no department set
    make_site(name="三街道宾馆", credit_code="", unit=personas.city.T3, sector=hotels)
    elsewhere = make_site(name="三街道工厂", credit_code="", unit=personas.city.T3)
    assert visible(dept_inspector) == {site.name, elsewhere.name}
    assert visible(personas.outsider) == {"三街道宾馆", "三街道工厂"}


def test_the_enterprise_contact_sees_only_their_own_site(personas, make_site, site):
    make_site(name="同街道另一家", credit_code="")
    assert visible(personas.enterprise) == {site.name}
    assert selectors.site_get_for_user(user=personas.enterprise, id=str(site.uid)) == site
    with pytest.raises(PermissionDenied):
        selectors.site_get_for_user(user=personas.enterprise, id=str(site.uid), action="manage")


def test_the_contact_link_alone_is_not_enough(personas, site):
    """Without the enterprise role the link gives nothing; another contact sees nothing."""
    from anxin.core.models import RoleAssignment
    from anxin.core.scoping import forget_grants
    from anxin.core.services import role_revoke

    other = make_person("other_ent", personas.city.T1, [(Role.ENTERPRISE, personas.city.T1)])
    assert visible(other) == set()
    assignment = RoleAssignment.objects.get(user=personas.enterprise, role=Role.ENTERPRISE)
    role_revoke(actor=None, assignment=assignment)
    forget_grants(personas.enterprise)
    assert visible(personas.enterprise) == set()


def test_an_unknown_or_malformed_id_is_404(personas, site):
    with pytest.raises(Http404):
        selectors.site_get_for_user(user=personas.same, id="not-a-uuid")
    with pytest.raises(Http404):
        selectors.site_get_for_user(user=personas.same, id="00000000-0000-0000-0000-000000000000")
