"""Item 11: a petition about a safety problem becomes a hazard in one step, linked from the
petitions side. Staff who handle the case see the hazard's progress and are prompted to answer
when it is closed; the site's enterprise contact never learns a petition exists."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.testing import make_person
from anxin.petitions import services
from anxin.petitions.models import PetitionEvent
from anxin.petitions.models_hazards import PetitionHazardLink
from anxin.safety import hazards as hazard_services
from anxin.safety import services as safety_services
from anxin.safety.models import Sector
from anxin.safety.models_hazards import Hazard

pytestmark = [pytest.mark.django_db]

TITLE = "某厂仓库堆放易燃物品无人管理"
CONTENT = "举报人张三反映：仓库门口堆满油漆桶，消防通道被堵。"
NEUTRAL = "仓库门口堆放油漆桶，堵塞消防通道"


@pytest.fixture
def site(personas):
    return safety_services.site_create(
        actor=None,
        name="一街道机械制造有限公司",
        sector=Sector.objects.get(code="industry_trade"),
        unit=personas.city.V1,
        address="一街道和平路8号",
        risk_level="yellow",
        contact_user=personas.enterprise,
    )


@pytest.fixture
def safety_handler(personas):
    """A handler of T1 (the case's lead unit) who is also an inspector there."""
    return make_person(
        "safety_handler",
        personas.city.T1,
        [(Role.HANDLER, personas.city.T1), (Role.INSPECTOR, personas.city.T1)],
    )


@pytest.fixture
def petition(personas, register):
    p = register(title=TITLE, content=CONTENT).petition
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    return p


def convert(actor, petition, site):
    return services.petition_to_hazard(
        actor=actor,
        petition=petition,
        site=site,
        description=NEUTRAL,
        grade="general",
        deadline=timezone.localdate() + timedelta(days=10),
    )


def login(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_one_step_makes_a_registered_hazard_linked_from_the_case(petition, site, safety_handler):
    hazard = convert(safety_handler, petition, site)
    assert hazard.status == "registered"
    assert hazard.source == "other"
    assert hazard.description == NEUTRAL
    assert PetitionHazardLink.objects.get(petition=petition).hazard == hazard
    event = PetitionEvent.objects.get(petition=petition, kind="hazard_linked")
    assert event.data["hazard"] == hazard.number


@pytest.mark.parametrize("who", ["member", "clerk", "enterprise", "outsider"])
def test_only_a_handler_who_may_also_register_hazards_at_the_site(personas, petition, site, who):
    # member: handles T1's cases but is no inspector; clerk: city clerk, does not handle it
    with pytest.raises(PermissionDenied):
        convert(getattr(personas, who), petition, site)
    assert not Hazard.objects.exists()
    assert not PetitionHazardLink.objects.exists()


def test_an_inspector_who_does_not_handle_the_case_cannot(personas, petition, site):
    inspector = make_person("insp", personas.city.T1, [(Role.INSPECTOR, personas.city.D1)])
    with pytest.raises(PermissionDenied):
        convert(inspector, petition, site)


def test_the_enterprise_contact_learns_nothing_of_the_petition(
    personas, petition, site, safety_handler
):
    hazard = convert(safety_handler, petition, site)
    c = login(personas.enterprise)
    page = c.get(f"/safety/hazards/{hazard.uid}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert NEUTRAL in html
    for secret in (TITLE, "张三", petition.number, "/petitions/", "信访"):
        assert secret not in html
    assert c.get(f"/petitions/{petition.uid}/").status_code in (403, 404)
    assert c.get(f"/petitions/{petition.number}/").status_code in (403, 404)


def test_the_case_page_shows_the_hazards_progress(
    personas, petition, site, safety_handler, django_assert_max_num_queries
):
    hazard = convert(safety_handler, petition, site)
    convert(safety_handler, petition, site)
    c = login(safety_handler)
    url = f"/petitions/{petition.uid}/"
    c.get(url)
    with django_assert_max_num_queries(200) as ctx:
        html = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    two = len(ctx.captured_queries)
    convert(safety_handler, petition, site)
    with django_assert_max_num_queries(two):  # a third hazard adds no query
        c.get(url)
    assert 'id="hazards"' in html
    assert hazard.number in html
    assert "关联事故隐患" in html
    assert "已登记" in html


def _close(actor, hazard):
    FIVE = {
        "responsible": "李四",
        "measures": "清理通道",
        "funds": "1000",
        "contingency_plan": "应急预案",
    }
    h = hazard_services.run(
        "start_rectification",
        actor=actor,
        hazard=hazard,
        data={**FIVE, "deadline": timezone.localdate() + timedelta(days=10)},
    )
    Hazard.objects.filter(pk=h.pk).update(status="verified", submitted_at=timezone.now())
    h = Hazard.objects.get(pk=h.pk)
    return hazard_services.hazard_close(actor=actor, hazard=h, notes="销号")


def test_closing_the_hazard_prompts_the_handler(
    petition, site, safety_handler, django_capture_on_commit_callbacks
):
    hazard = convert(safety_handler, petition, site)
    with django_capture_on_commit_callbacks(execute=True):
        _close(safety_handler, hazard)
    event = PetitionEvent.objects.get(petition=petition, kind="hazard_closed")
    assert event.data == {"hazard": hazard.number}
    c = login(safety_handler)
    html = c.get(f"/petitions/{petition.uid}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "关联隐患已销号，请答复信访人" in html


def test_safety_never_imports_petitions():
    import pathlib
    import re

    imports = re.compile(r"^\s*(from|import)\s+anxin\.petitions", re.MULTILINE)

    root = pathlib.Path(hazard_services.__file__).parent
    for path in root.rglob("*.py"):
        if "tests" in path.parts:
            continue
        assert not imports.search(path.read_text(encoding="utf-8")), path


def test_the_case_page_turns_it_into_a_hazard_in_one_step(personas, petition, site, safety_handler):
    client = login(safety_handler)
    page = client.get(f"/petitions/{petition.uid}/").content.decode()
    assert 'id="make-hazard"' in page
    response = client.post(
        f"/petitions/{petition.uid}/hazard/",
        {
            "site": site.name,
            "description": "厂区消防通道被堵塞",
            "grade": "general",
        },
        follow=True,
    )
    assert response.status_code == 200
    link = petition.hazard_links.select_related("hazard").get()
    assert link.hazard.description == "厂区消防通道被堵塞" and link.hazard.site == site
    # an unknown site is refused with a message; nothing is made
    client.post(f"/petitions/{petition.uid}/hazard/", {"site": "不存在的单位", "description": "x"})
    assert petition.hazard_links.count() == 1
    # a handler without the inspector role sees no form
    assert (
        'id="make-hazard"'
        not in login(personas.member).get(f"/petitions/{petition.uid}/").content.decode()
    )
