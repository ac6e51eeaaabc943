"""Optimistic locking on hazards (issue 8, item 3): two inspectors act on the same hazard; the
second, working from what they read before the first acted, gets the clear conflict message —
on the page and through the API — and the first one's 五落实 stays; the refused write leaves no
audit record."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from anxin.core.models import AuditEvent
from anxin.core.services import api_key_create
from anxin.safety.models_hazards import Hazard, HazardEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]
pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]

CONFLICT = "您打开此记录后，他人已对其作了修改。请重新加载后再试。"
FIRST = {"responsible": "李四", "measures": "清理消防通道", "funds": "5000"}
SECOND = {"responsible": "王五", "measures": "另行整改", "funds": "100"}


def api(user) -> Client:
    _key, raw = api_key_create(actor=None, user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def version_on_page(client: Client, hazard: Hazard) -> int:
    page = client.get(f"/safety/hazards/{hazard.uid}/").content.decode()
    match = re.search(r'name="version" value="(\d+)"', page)
    assert match, "the hazard page posts no version"
    return int(match.group(1))


def audit_count(hazard: Hazard) -> int:
    return AuditEvent.objects.filter(object_type="safety.hazard", object_id=str(hazard.pk)).count()


def assert_first_edit_kept(hazard: Hazard, version: int) -> None:
    hazard.refresh_from_db()
    assert hazard.status == "rectifying" and hazard.version == version
    assert (hazard.responsible, hazard.measures, str(hazard.funds)) == (
        "李四",
        "清理消防通道",
        "5000.00",
    )
    assert HazardEvent.objects.filter(hazard=hazard, kind="rectification_started").count() == 1


def test_the_second_inspector_from_a_stale_page_gets_the_message(
    client_for, hazard_factory, inspector, inspector2
):
    hazard = hazard_factory()
    first, second = client_for(inspector), client_for(inspector2)
    read_first, read_second = version_on_page(first, hazard), version_on_page(second, hazard)
    assert read_first == read_second == hazard.version

    url = f"/safety/hazards/{hazard.uid}/act/start_rectification/"
    assert first.post(url, {**FIRST, "version": read_first}).status_code == 302
    hazard.refresh_from_db()
    after_first, audits = hazard.version, audit_count(hazard)
    assert after_first > read_first and audits > 0

    response = second.post(url, {**SECOND, "version": read_second}, follow=True)
    assert response.status_code == 200 and CONFLICT in response.content.decode()
    assert_first_edit_kept(hazard, after_first)
    assert audit_count(hazard) == audits
    # reloaded, the second inspector reads the current version
    assert version_on_page(second, hazard) == after_first


def test_the_second_client_through_the_api_gets_409_and_the_error_shape(
    hazard_factory, inspector, inspector2
):
    hazard = hazard_factory()
    first, second = api(inspector), api(inspector2)
    url = f"/api/v1/hazards/{hazard.uid}"
    read_first = first.get(url).json()["version"]
    read_second = second.get(url).json()["version"]

    r = first.post(
        f"{url}/actions/start_rectification",
        {**FIRST, "version": read_first},
        content_type="application/json",
    )
    assert r.status_code == 200, r.content
    after_first, audits = r.json()["version"], audit_count(hazard)
    assert audits > 0
    r = second.post(
        f"{url}/actions/start_rectification",
        {**SECOND, "version": read_second},
        content_type="application/json",
    )
    assert r.status_code == 409
    assert r.json() == {
        "message": CONFLICT,
        "code": "version_conflict",
        "extra": {"current_version": after_first},
    }
    assert_first_edit_kept(hazard, after_first)
    assert audit_count(hazard) == audits
