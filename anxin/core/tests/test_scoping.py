"""restrict() and get_for_user() with the named personas: 404 outside scope, 403 without role."""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from anxin.core.models import Unit, User
from anxin.core.scoping import get_for_user

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def visible_people(viewer: User) -> set[str]:
    return set(User.objects.restrict(viewer, "view").values_list("username", flat=True))


def test_unit_head_sees_the_people_of_own_unit(personas):
    assert visible_people(personas.same) == {"same", "member", "enterprise"}


def test_parent_unit_head_sees_the_whole_subtree(personas):
    assert visible_people(personas.parent) == {"same", "member", "enterprise", "parent", "sibling"}


def test_sibling_does_not_see_the_other_township(personas):
    assert "member" not in visible_people(personas.sibling)
    assert visible_people(personas.sibling) == {"sibling"}


def test_outsider_sees_nothing_of_the_other_district(personas):
    assert visible_people(personas.outsider) == {"outsider"}


def test_role_without_the_action_sees_nobody(personas):
    assert visible_people(personas.member) == set()
    assert visible_people(personas.clerk) == set()


def test_get_for_user_is_404_outside_scope(personas):
    with pytest.raises(Http404):
        get_for_user(User, personas.sibling, username="member")
    with pytest.raises(Http404):
        get_for_user(User, personas.outsider, username="member")


def test_get_for_user_is_403_in_scope_without_the_action(personas):
    assert get_for_user(User, personas.parent, username="member").username == "member"
    with pytest.raises(PermissionDenied):
        get_for_user(User, personas.parent, action="user.manage", username="member")
    assert (
        get_for_user(User, personas.sysadmin, action="user.manage", username="member").username
        == "member"
    )


def test_scope_without_subtree_covers_only_the_unit(personas):
    from anxin.core.choices import Role
    from anxin.core.testing import make_person

    narrow = make_person("narrow", personas.city.D1, [])
    from anxin.core.services import role_assign

    role_assign(
        actor=None, user=narrow, role=Role.UNIT_HEAD, unit=personas.city.D1, include_subtree=False
    )
    assert visible_people(narrow) == {"parent", "narrow"}


def test_directory_is_readable_by_all_staff_and_not_by_enterprises(personas):
    total = Unit.objects.count()
    for staff in (personas.member, personas.outsider, personas.viewer, personas.auditor):
        assert Unit.objects.restrict(staff, "view").count() == total
    assert Unit.objects.restrict(personas.enterprise, "view").count() == 0


def test_anonymous_and_inactive_see_nothing(personas):
    from django.contrib.auth.models import AnonymousUser

    assert visible_people(AnonymousUser()) == set()
    personas.parent.is_active = False
    assert visible_people(personas.parent) == set()


def test_people_pages_follow_the_same_scope(personas, client_for):
    assert client_for(personas.parent).get("/people/member/").status_code == 200
    assert client_for(personas.sibling).get("/people/member/").status_code == 404
    assert client_for(personas.outsider).get("/people/member/").status_code == 404
    assert client_for(personas.member).get("/people/").status_code == 403
    assert client_for(personas.parent).get("/people/member/edit/").status_code == 403


def test_covers_every_unit_only_for_a_subtree_grant_on_every_top_unit(personas):
    from anxin.core.scoping import covers_every_unit

    assert covers_every_unit(personas.clerk, "petition.view")  # clerk over the city, subtree
    assert not covers_every_unit(personas.parent, "petition.view")  # a district
    assert not covers_every_unit(personas.same, "petition.view")
    assert not covers_every_unit(personas.clerk, "audit.view")  # not granted to the role


def test_a_city_wide_ledger_needs_no_scope_join_but_keeps_the_shield(personas):
    from anxin.petitions.models import Petition

    city_wide = str(Petition.objects.restrict(personas.clerk, "view").query)
    district = str(Petition.objects.restrict(personas.parent, "view").query)
    assert "petitions_petitionunit" not in city_wide and "accusation" in city_wide
    assert "petitions_petitionunit" in district
