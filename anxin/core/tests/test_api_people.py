"""/api/v1/people: read within scope (404 outside), no secrets, the phone only for a manager."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from anxin.core.services import api_key_create, user_update
from anxin.core.testing import make_person

pytestmark = [pytest.mark.django_db]


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="t")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_a_unit_head_lists_the_people_of_the_subtree(personas):
    body = api(personas.parent).get("/api/v1/people").json()
    assert [p["username"] for p in body["items"]] == [
        "enterprise",
        "member",
        "parent",
        "same",
        "sibling",
    ]
    assert body["count"] == 5 and body["next"] is None
    same = next(p for p in body["items"] if p["username"] == "same")
    assert same == {
        "username": "same",
        "name": "same",
        "unit": "T1",
        "unit_name": personas.city.T1.name,
        "is_active": True,
        "roles": ["unit_head"],
        "email": "",
        "phone": None,
        "last_login": None,
        "version": 1,
    }


def test_filters_are_those_of_the_people_page(personas):
    client = api(personas.parent)
    assert [p["username"] for p in client.get("/api/v1/people?unit=T2").json()["items"]] == [
        "sibling"
    ]
    assert [p["username"] for p in client.get("/api/v1/people?q=memb").json()["items"]] == [
        "member"
    ]
    user_update(actor=None, user=personas.member, is_active=False)
    got = client.get("/api/v1/people?active=0").json()["items"]
    assert [p["username"] for p in got] == ["member"]


def test_outside_the_scope_a_person_is_not_found(personas):
    client = api(personas.parent)
    r = client.get("/api/v1/people/outsider")
    assert r.status_code == 404
    assert r.json() == {"message": "未找到。", "code": "not_found", "extra": {}}
    assert client.get("/api/v1/people/outsider/roles").status_code == 404


def test_a_role_without_user_view_gets_403(personas):
    r = api(personas.member).get("/api/v1/people")
    assert r.status_code == 403 and r.json()["code"] == "forbidden"


def test_the_roles_of_a_person(personas):
    roles = api(personas.parent).get("/api/v1/people/same/roles").json()
    assert [(r["role"], r["unit"], r["include_subtree"]) for r in roles] == [
        ("unit_head", "T1", True)
    ]
    assert roles[0]["role_label"] == "单位负责人"


def test_the_phone_is_shown_only_to_who_may_manage_the_account(personas, client_for):
    user_update(actor=None, user=personas.same, phone="13800001111")
    assert api(personas.parent).get("/api/v1/people/same").json()["phone"] is None
    body = client_for(personas.sysadmin).get("/api/v1/people/same").json()
    assert body["phone"] == "13800001111"
    assert "password" not in body and "otp" not in str(body)


def test_the_list_costs_a_fixed_number_of_queries(personas):
    client = api(personas.parent)
    client.get("/api/v1/people")  # warm up
    with CaptureQueriesContext(connection) as few:
        client.get("/api/v1/people")
    for i in range(6):
        make_person(f"extra{i}", personas.city.T1, [])
    with CaptureQueriesContext(connection) as more:
        client.get("/api/v1/people")
    assert len(more) == len(few)
