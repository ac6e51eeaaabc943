"""The hazard ledger: its filters (one function for the page and the API), keyset pages, and a
query count that does not depend on the number of rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.safety import hazards
from anxin.safety import selectors_hazards as selectors
from anxin.safety.models import Sector

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


def _numbers(qs):
    return {h.number for h in qs}


@pytest.fixture
def ledger(personas, site, other_site, make_site, hazard_factory, inspector):
    today = timezone.localdate()
    hotels = Sector.objects.get(code="hotels")
    hotel = make_site(name="二街道宾馆", credit_code="", sector=hotels, unit=personas.city.T2)
    rows = {
        "general": hazard_factory(),
        "major": hazard_factory(grade="major"),
        "overdue": hazard_factory(
            found_at=timezone.now() - timedelta(days=40), deadline=today - timedelta(days=3)
        ),
        "other": hazard_factory(site=other_site),
        "hotel": hazard_factory(site=hotel),
    }
    rows["supervised"] = hazards.hazard_list_for_supervision(
        actor=None, hazard=rows["major"], unit=personas.city.D1
    )
    return rows


def test_filters(personas, ledger, site):
    user = personas.parent
    assert _numbers(selectors.hazard_list(user=user)) == {h.number for h in ledger.values()}
    assert _numbers(selectors.hazard_list(user=user, grade="major")) == {ledger["major"].number}
    assert _numbers(selectors.hazard_list(user=user, overdue="1")) == {ledger["overdue"].number}
    assert _numbers(selectors.hazard_list(user=user, supervised=True)) == {ledger["major"].number}
    assert _numbers(selectors.hazard_list(user=user, sector="hotels")) == {ledger["hotel"].number}
    assert _numbers(selectors.hazard_list(user=user, unit="T2")) == {ledger["hotel"].number}
    assert ledger["hotel"].number not in _numbers(selectors.hazard_list(user=user, unit="V1"))
    # the regulating department is matched too
    assert ledger["hotel"].number not in _numbers(selectors.hazard_list(user=user, unit="DEP"))
    assert len(selectors.hazard_list(user=user, unit="DEP")) == 4
    assert _numbers(selectors.hazard_list(user=user, site=str(site.uid))) == {
        ledger[k].number for k in ("general", "major", "overdue")
    }
    assert selectors.hazard_list(user=user, status="open").count() == 5
    assert selectors.hazard_list(user=user, status="closed").count() == 0
    assert selectors.hazard_list(user=user, unit="NOPE").count() == 0
    assert _numbers(selectors.hazard_list(user=user, q="配电箱")) == _numbers(
        selectors.hazard_list(user=user)
    )


def test_the_api_list_uses_the_same_filters(personas, api, ledger):
    r = api(personas.parent).get("/api/v1/hazards", {"overdue": "true"})
    assert r.status_code == 200
    body = r.json()
    assert body["count"] == 1 and body["items"][0]["overdue"] is True
    assert body["items"][0]["status"] == "registered"
    r = api(personas.parent).get("/api/v1/hazards", {"supervised": "true"})
    assert [i["supervision"]["unit"] for i in r.json()["items"]] == ["D1"]


def test_keyset_pages_walk_the_whole_ledger(personas, api, ledger):
    client = api(personas.parent)
    seen, url = [], "/api/v1/hazards?limit=2"
    while url:
        body = client.get(url).json()
        seen += [i["id"] for i in body["items"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == 5


def _count(client, url):
    client.get(url)  # warm up: the API key's last-use time is written once a while
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_ledger_page_query_count_is_constant(personas, client_for, hazard_factory, site):
    client = client_for(personas.parent)
    hazard_factory()
    one = _count(client, "/safety/hazards/")
    for _ in range(12):
        hazard_factory(grade="major")
    many = _count(client, "/safety/hazards/")
    assert many == one
    filtered = _count(client, "/safety/hazards/?unit=D1&overdue=on&grade=major")
    assert filtered <= one + 1  # the unit's path is one lookup


def test_the_api_list_query_count_is_constant(personas, api, hazard_factory):
    client = api(personas.parent)
    hazard_factory()
    one = _count(client, "/api/v1/hazards")
    for _ in range(12):
        hazard_factory()
    assert _count(client, "/api/v1/hazards") == one


def test_the_inspection_list_query_count_is_constant(personas, api, client_for, site, inspector):
    from anxin.safety import inspections

    client = api(personas.parent)
    page = client_for(personas.parent)
    inspections.inspection_create(actor=inspector, site=site, content="检查")
    one, one_page = _count(client, "/api/v1/inspections"), _count(page, "/safety/inspections/")
    for _ in range(8):
        inspections.inspection_create(actor=inspector, site=site, content="检查")
    assert _count(client, "/api/v1/inspections") == one
    assert _count(page, "/safety/inspections/") == one_page


def test_a_ledger_page_is_two_queries(personas, hazard_factory, django_assert_num_queries):
    from anxin.core.pagination import keyset_page
    from anxin.safety.presenters_hazards import hazard_out

    for _ in range(5):
        hazard_factory(grade="major")
    user = personas.parent
    user.unit  # noqa: B018 - loaded before counting, as the request does
    from anxin.core.scoping import grants_of

    grants_of(user)
    with django_assert_num_queries(2):  # the count and the page, rows with their sites and units
        page = keyset_page(
            selectors.hazard_list(user=user, grade="major"), selectors.HAZARD_ORDERING, limit=3
        )
        [hazard_out(h) for h in page.items]
