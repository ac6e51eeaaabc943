"""Optimistic locking (issue 8, item 3): two people edit the same case; the second, working from
what they read before the first edit, gets the clear conflict message — on the page and through
the API — and nothing of the first edit is overwritten, nothing of the refused one recorded."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.services import api_key_create
from anxin.core.testing import make_person
from anxin.petitions.models import Petition, PetitionEvent

pytestmark = [pytest.mark.django_db]

CONFLICT = "您打开此记录后，他人已对其作了修改。请重新加载后再试。"


@pytest.fixture
def clerk2(personas):
    return make_person("clerk2", personas.city.DEP, [(Role.CLERK, personas.city.C)])


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def version_on_page(client: Client, petition: Petition) -> int:
    page = client.get(f"/petitions/{petition.uid}/").content.decode()
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the case page posts no version"
    return int(match.group(1))


def audited(petition: Petition, action: str) -> int:
    return AuditEvent.objects.filter(action=action, object_id=str(petition.pk)).count()


def test_the_second_edit_from_a_stale_page_is_refused_with_the_message(
    personas, register, client_for, clerk2
):
    petition = register().petition
    first, second = client_for(personas.clerk), client_for(clerk2)
    read_first, read_second = version_on_page(first, petition), version_on_page(second, petition)
    assert read_first == read_second == petition.version

    response = first.post(
        f"/petitions/{petition.uid}/act/forward/", {"to_unit": "T1", "version": read_first}
    )
    assert response.status_code == 302
    response = second.post(
        f"/petitions/{petition.uid}/act/forward/",
        {"to_unit": "T2", "version": read_second},
        follow=True,
    )
    assert response.status_code == 200 and CONFLICT in response.content.decode()
    petition.refresh_from_db()
    assert petition.current_unit == personas.city.T1 and petition.version == read_first + 1
    assert audited(petition, "petition.forwarded") == 1
    assert PetitionEvent.objects.filter(petition=petition, kind="forwarded").count() == 1
    # another step from the same stale page is refused the same way
    response = second.post(
        f"/petitions/{petition.uid}/act/pause/",
        {"reason": "需鉴定", "version": read_second},
        follow=True,
    )
    assert CONFLICT in response.content.decode()
    assert Petition.objects.get(pk=petition.pk).status == petition.status
    # reloaded, the second person sees the first edit and may act on it
    assert version_on_page(second, petition) == petition.version


def test_the_second_edit_through_the_api_gets_409_and_the_error_shape(personas, register, clerk2):
    petition = register().petition
    first, second = api(personas.clerk), api(clerk2)
    url = f"/api/v1/petitions/{petition.uid}"
    read_first = first.get(url).json()["version"]
    read_second = second.get(url).json()["version"]

    r = first.post(
        f"{url}/actions/forward",
        {"to_unit": "T1", "version": read_first},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["version"] == read_first + 1
    r = second.post(
        f"{url}/actions/forward",
        {"to_unit": "T2", "version": read_second},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert r.json() == {
        "message": CONFLICT,
        "code": "version_conflict",
        "extra": {"current_version": read_first + 1},
    }
    petition.refresh_from_db()
    assert petition.current_unit == personas.city.T1
    assert audited(petition, "petition.forwarded") == 1
    assert second.get(url).json()["current_unit"] == "T1"


def test_the_plan_owner_and_the_backlog_target_are_not_overwritten_from_a_stale_page(
    personas, register, client_for
):
    from datetime import date, timedelta

    from anxin.petitions import services
    from anxin.petitions.models import ResolutionOwner

    petition = register().petition
    services.petition_accept(actor=personas.clerk, petition=petition, lead_unit=personas.city.T1)
    head = make_person("head2", personas.city.T1, [(Role.UNIT_HEAD, personas.city.T1)])
    first, second = client_for(personas.same), client_for(head)
    read_first, read_second = version_on_page(first, petition), version_on_page(second, petition)
    url = f"/petitions/{petition.uid}/plan"
    first.post(f"{url}/owner/", {"level": "township", "name": "王镇长", "version": read_first})
    response = second.post(
        f"{url}/owner/",
        {"level": "township", "name": "李镇长", "version": read_second},
        follow=True,
    )
    assert CONFLICT in response.content.decode()
    assert list(
        ResolutionOwner.objects.filter(petition=petition).values_list("name", flat=True)
    ) == ["王镇长"]
    assert audited(petition, "petition.owner_set") == 1
    target = date.today() + timedelta(days=30)
    first.post(
        f"{url}/backlog/",
        {"target_on": target.isoformat(), "version": version_on_page(first, petition)},
    )
    response = second.post(
        f"{url}/backlog/",
        {"target_on": (target + timedelta(days=30)).isoformat(), "version": read_second},
        follow=True,
    )
    assert CONFLICT in response.content.decode()
    petition.refresh_from_db()
    assert petition.backlog_target_on == target
    # through the API: 409 with the error shape
    r = api(head).post(
        f"/api/v1/petitions/{petition.uid}/plan/backlog",
        {"target_on": (target + timedelta(days=60)).isoformat(), "version": read_second},
        content_type="application/json",
    )
    assert r.status_code == 409 and r.json()["code"] == "version_conflict"
    assert r.json()["message"] == CONFLICT
    assert Petition.objects.get(pk=petition.pk).backlog_target_on == target
