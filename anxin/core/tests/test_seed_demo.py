"""seed_demo: the demo city, the demo logins, determinism and keeping existing data."""

import io

import pytest
from django.core.management import call_command

from anxin.core.models import RoleAssignment, Unit, User

pytestmark = [pytest.mark.django_db(transaction=False), pytest.mark.smoke]

DEMO_LOGINS = {
    "admin",
    "secadmin",
    "auditor",
    "clerk",
    "handler",
    "leader",
    "reviewer",
    "city_leader",
    "supervisor",
    "inspector",
    "enterprise",
    "viewer",
}


def seed(**kw) -> str:
    out = io.StringIO()
    call_command("seed_demo", "--seed", "7", "--scale", "0.05", stdout=out, **kw)
    return out.getvalue()


def test_the_demo_city_has_the_shape_of_a_prefecture_level_city(settings):
    settings.ANXIN_DEMO = True
    seed()
    kinds = {
        k: Unit.objects.filter(kind=k).count()
        for k in ("city", "district", "township", "village", "department")
    }
    assert kinds == {"city": 1, "district": 3, "township": 12, "village": 60, "department": 21}
    assert Unit.objects.get(code="SFS-AP-01").division_code == "990102101000"


def test_demo_logins_can_walk_every_case(settings):
    settings.ANXIN_DEMO = True
    seed()
    assert DEMO_LOGINS <= set(User.objects.values_list("username", flat=True))
    roles = dict(
        RoleAssignment.objects.filter(user__username__in=DEMO_LOGINS).values_list(
            "user__username", "role"
        )
    )
    assert roles["clerk"] == "clerk" and roles["reviewer"] == "unit_head"
    handler, leader, reviewer = (
        User.objects.get(username=u) for u in ("handler", "leader", "reviewer")
    )
    assert handler.unit == leader.unit and reviewer.unit == handler.unit.parent
    assert User.objects.get(username="clerk").check_password(settings.ANXIN_DEMO_PASSWORD)
    assert not User.objects.get(username="clerk").must_change_password


def test_without_demo_mode_there_are_no_published_password_logins(settings):
    settings.ANXIN_DEMO = False
    out = seed()
    assert "ANXIN_DEMO is off" in out
    assert not User.objects.filter(username__in=DEMO_LOGINS).exists()
    assert not any(u.has_usable_password() for u in User.objects.all())


def test_a_second_run_keeps_existing_data_and_the_same_seed_gives_the_same_people(settings):
    settings.ANXIN_DEMO = True
    seed()
    people = list(User.objects.order_by("username").values_list("username", "name"))
    from anxin.petitions.models import Petition

    petitions = Petition.objects.count()
    out = seed()
    assert "people: 0 created" in out and "kept the existing ones" in out
    assert list(User.objects.order_by("username").values_list("username", "name")) == people
    assert Petition.objects.count() == petitions > 0


def test_demo_has_supervision_notices(settings) -> None:
    from anxin.supervision.models_notices import SupervisionNotice

    settings.ANXIN_DEMO = True  # the demo supervisor issues them
    seed()
    assert SupervisionNotice.objects.exists()
