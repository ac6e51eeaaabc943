"""Accidents ↔ hazards: the hazards found in the investigation (issue 4, item 6).

The site is in V1 (under T1, D1); ``inspector`` inspects D1 and may manage accidents there.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.safety import accidents
from anxin.safety.models_accidents import Accident

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]


@pytest.fixture
def accident(personas: Any, site: Any) -> Accident:
    return accidents.accident_report(
        actor=None,
        occurred_at=timezone.now() - timedelta(hours=3),
        place="一街道和平路8号机加工车间",
        kind="production",
        summary="冲压机作业时发生机械伤害。",
        unit=personas.city.V1,
        site=site,
        deaths=0,
        serious_injuries=1,
        direct_loss_yuan=Decimal("50000"),
    )


def test_link_and_unlink_are_audited(inspector, accident, hazard_factory):
    h1, h2 = hazard_factory(), hazard_factory(grade="major")
    a = accidents.accident_link_hazards(
        actor=inspector, accident=accident, hazards=[str(h1.uid), h2], version=accident.version
    )
    assert set(a.hazards.all()) == {h1, h2}
    assert a.version == 2
    event = AuditEvent.objects.get(action="accident.link_hazards")
    assert event.before == {"hazards": []}
    assert event.after["linked"] == sorted([h1.number, h2.number])
    assert list(h1.accidents.all()) == [a]

    a = accidents.accident_unlink_hazards(actor=inspector, accident=a, hazards=[h1])
    assert list(a.hazards.all()) == [h2]
    event = AuditEvent.objects.get(action="accident.unlink_hazards")
    assert event.after["unlinked"] == [h1.number]
    assert event.after["hazards"] == [h2.number]


def test_only_hazards_of_the_site_can_be_linked(inspector, accident, hazard_factory, other_site):
    foreign = hazard_factory(site=other_site)
    with pytest.raises(ValidationError) as exc:
        accidents.accident_link_hazards(actor=inspector, accident=accident, hazards=[foreign])
    assert exc.value.message_dict == {
        "hazards": ["只能关联事故所涉场所（或属地）内、您有权查看的已登记隐患。"]
    }
    with pytest.raises(ValidationError) as exc:
        accidents.accident_link_hazards(actor=inspector, accident=accident, hazards=[])
    assert exc.value.message_dict == {"hazards": ["请至少选择一项隐患。"]}
    assert not accident.hazards.exists()


def test_a_voided_hazard_cannot_be_linked(inspector, accident, hazard_factory):
    from anxin.safety import hazards

    h = hazard_factory()
    h = hazards.hazard_void(actor=None, hazard=h, reason="重复登记")
    with pytest.raises(ValidationError):
        accidents.accident_link_hazards(actor=inspector, accident=accident, hazards=[h])


def test_unlinking_what_is_not_linked_is_refused(inspector, accident, hazard_factory):
    h = hazard_factory()
    with pytest.raises(ValidationError) as exc:
        accidents.accident_unlink_hazards(actor=inspector, accident=accident, hazards=[h])
    assert exc.value.message_dict == {"hazards": ["所选隐患未关联本事故。"]}


def test_outsiders_cannot_link(personas, accident, hazard_factory):
    with pytest.raises(PermissionDenied):
        accidents.accident_link_hazards(
            actor=personas.outsider, accident=accident, hazards=[hazard_factory()]
        )


def test_without_a_site_hazards_of_the_unit_subtree(personas, inspector, hazard_factory):
    a = accidents.accident_report(
        actor=None,
        occurred_at=timezone.now() - timedelta(hours=2),
        place="一街道路口",
        kind="other",
        summary="脚手架坍塌。",
        unit=personas.city.T1,
    )
    h = hazard_factory()
    assert list(accidents.accident_hazard_candidates(user=inspector, accident=a)) == [h]
    accidents.accident_link_hazards(actor=inspector, accident=a, hazards=[h])
    assert list(a.hazards.all()) == [h]


def test_pages_link_and_show_both_ways(client_for, inspector, accident, hazard_factory, personas):
    h = hazard_factory(grade="major")
    c = client_for(inspector)
    page = c.get(f"/safety/accidents/{accident.uid}/").content.decode()
    assert "事故调查发现的隐患" in page and 'id="link-hazards-form"' in page
    assert h.number in page
    r = c.post(
        f"/safety/accidents/{accident.uid}/act/link_hazards/",
        {"hazards": [str(h.uid)], "version": accident.version},
    )
    assert r.status_code == 302
    assert list(accident.hazards.all()) == [h]
    page = c.get(f"/safety/accidents/{accident.uid}/").content.decode()
    assert 'id="linked-hazards"' in page and f"/safety/hazards/{h.uid}/" in page
    page = c.get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="accidents"' in page and f"/safety/accidents/{accident.uid}/" in page
    # the enterprise contact sees their hazard, never the accident link
    page = client_for(personas.enterprise).get(f"/safety/hazards/{h.uid}/").content.decode()
    assert 'id="accidents"' not in page and str(accident.uid) not in page


def test_api_detail_and_action(api, inspector, accident, hazard_factory, other_site):
    h = hazard_factory()
    c = api(inspector)
    r = c.post(
        f"/api/v1/accidents/{accident.uid}/actions/link_hazards",
        {"hazards": [str(h.uid)]},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    assert r.json()["hazards"] == [str(h.uid)]
    assert c.get(f"/api/v1/accidents/{accident.uid}").json()["hazards"] == [str(h.uid)]
    foreign = hazard_factory(site=other_site)
    r = c.post(
        f"/api/v1/accidents/{accident.uid}/actions/link_hazards",
        {"hazards": [str(foreign.uid)]},
        content_type="application/json",
    )
    assert r.status_code == 400
    r = c.post(
        f"/api/v1/accidents/{accident.uid}/actions/unlink_hazards",
        {"hazards": [str(h.uid)]},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["hazards"] == []


def test_the_dossier_shows_the_sites_accidents(client_for, inspector, accident, personas, site):
    page = client_for(inspector).get(f"/safety/sites/{site.uid}/").content.decode()
    section = page[page.index('id="accidents"') :]
    assert f"/safety/accidents/{accident.uid}/" in section
    assert "一般事故" in section and "0人死亡，1人重伤" in section
    # the enterprise contact reads the dossier without the accidents section
    page = client_for(personas.enterprise).get(f"/safety/sites/{site.uid}/").content.decode()
    assert 'id="accidents"' not in page and str(accident.uid) not in page
