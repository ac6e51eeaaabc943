"""三员分立 and the role-assignment service."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from anxin.core.choices import Role
from anxin.core.models import AuditEvent, RoleAssignment
from anxin.core.services import role_assign, role_revoke
from anxin.core.testing import make_person

pytestmark = pytest.mark.django_db

SEPARATION = "三员分立：同一人不得兼任系统管理员、安全保密管理员、安全审计员中的两个或以上角色。"


@pytest.mark.parametrize(
    "held,wanted",
    [
        (Role.SYSADMIN, Role.SECADMIN),
        (Role.SYSADMIN, Role.AUDITOR),
        (Role.SECADMIN, Role.SYSADMIN),
        (Role.SECADMIN, Role.AUDITOR),
        (Role.AUDITOR, Role.SYSADMIN),
        (Role.AUDITOR, Role.SECADMIN),
    ],
)
def test_nobody_holds_two_of_the_three_administrator_roles(personas, held, wanted):
    person = make_person("twohats", personas.city.C, [(held, personas.city.C)])
    with pytest.raises(ValidationError) as exc:
        role_assign(actor=personas.secadmin, user=person, role=wanted, unit=personas.city.C)
    assert exc.value.message_dict == {"role": [SEPARATION]}
    assert list(RoleAssignment.objects.filter(user=person).values_list("role", flat=True)) == [held]


@pytest.mark.dbdep
def test_the_database_refuses_a_second_administrator_role_too(personas):
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(
            user=personas.sysadmin, role=Role.AUDITOR, unit=personas.city.C
        )


def test_an_administrator_may_hold_business_roles_and_a_business_role_twice(personas):
    role_assign(
        actor=personas.secadmin, user=personas.sysadmin, role=Role.VIEWER, unit=personas.city.C
    )
    role_assign(
        actor=personas.secadmin, user=personas.member, role=Role.HANDLER, unit=personas.city.T2
    )
    assert RoleAssignment.objects.filter(user=personas.member, role=Role.HANDLER).count() == 2


def test_only_the_security_administrator_assigns_roles(personas):
    for actor in (personas.sysadmin, personas.auditor, personas.parent):
        with pytest.raises(PermissionDenied):
            role_assign(actor=actor, user=personas.member, role=Role.VIEWER, unit=personas.city.T1)


def test_nobody_changes_their_own_roles(personas):
    with pytest.raises(ValidationError) as exc:
        role_assign(
            actor=personas.secadmin, user=personas.secadmin, role=Role.VIEWER, unit=personas.city.C
        )
    assert exc.value.message_dict == {"role": ["不能修改自己的角色。"]}


def test_assign_and_revoke_are_audited_and_take_effect_at_once(personas):
    from anxin.core.models import User

    assignment = role_assign(
        actor=personas.secadmin, user=personas.sibling, role=Role.UNIT_HEAD, unit=personas.city.T1
    )
    assert User.objects.restrict(personas.sibling, "view").filter(username="member").exists()
    role_revoke(actor=personas.secadmin, assignment=assignment)
    assert not User.objects.restrict(personas.sibling, "view").filter(username="member").exists()
    actions = list(
        AuditEvent.objects.filter(object_id=str(personas.sibling.pk))
        .values_list("action", "actor_label", "after", "before")
        .order_by("id")
    )
    assert actions[-2:] == [
        (
            "role.assign",
            "secadmin",
            {"role": "unit_head", "unit": "T1", "include_subtree": True},
            {},
        ),
        (
            "role.revoke",
            "secadmin",
            {},
            {"role": "unit_head", "unit": "T1", "include_subtree": True},
        ),
    ]


def test_role_page_shows_the_separation_message(personas, client_for):
    person = make_person("twohats", personas.city.C, [(Role.AUDITOR, personas.city.C)])
    response = client_for(personas.secadmin).post(
        f"/people/{person.username}/", {"role": Role.SYSADMIN, "unit": "C", "include_subtree": "on"}
    )
    assert response.status_code == 200
    assert SEPARATION in response.content.decode()


def test_an_administrator_role_is_held_once(personas):
    with pytest.raises(ValidationError) as exc:
        role_assign(
            actor=personas.secadmin, user=personas.auditor, role=Role.AUDITOR, unit=personas.city.D1
        )
    assert list(exc.value.message_dict) == ["role"]


def test_a_security_administrator_grants_only_within_scope(personas):
    narrow = make_person("narrowsec", personas.city.D2, [])
    role_assign(actor=None, user=narrow, role=Role.SECADMIN, unit=personas.city.D2)
    with pytest.raises(PermissionDenied):
        role_assign(actor=narrow, user=personas.member, role=Role.VIEWER, unit=personas.city.C)
    role_assign(actor=narrow, user=personas.outsider, role=Role.VIEWER, unit=personas.city.T3)


def test_the_system_administrator_cannot_take_over_the_other_administrators(personas):
    from anxin.core.services import otp_reset, password_reset

    for target in (personas.auditor, personas.secadmin):
        with pytest.raises(PermissionDenied):
            password_reset(actor=personas.sysadmin, user=target)
        with pytest.raises(PermissionDenied):
            otp_reset(actor=personas.sysadmin, user=target)
    assert password_reset(actor=personas.sysadmin, user=personas.member)
