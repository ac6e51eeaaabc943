# ruff: noqa: F811  (the fixtures are imported from notice_fixtures by name)
"""Who sees a 督办 notice, and what a notice about an accusation may say (the shield)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from anxin.petitions import services as petition_services
from anxin.petitions.models import Category
from anxin.supervision import notices
from anxin.supervision.documents_notices import notice_document
from anxin.supervision.notice_subjects import resolve
from anxin.supervision.selectors_notices import notice_get_for_user, notice_list
from anxin.supervision.tests.notice_fixtures import (  # noqa: F401
    in_days,
    issuer,
    letter,
    notified,
    office,
    register,
)

pytestmark = pytest.mark.django_db


def visible(user: Any) -> set[str]:
    return {n.matters for n in notice_list(user=user)}


def test_the_addressed_unit_and_the_issuer_see_it_siblings_and_outsiders_do_not(
    personas, issuer, letter
):
    for person in (issuer, personas.same, personas.member, personas.parent, personas.viewer):
        assert visible(person) == {letter.matters}, person.username
        assert notice_get_for_user(user=person, id=str(letter.uid)) == letter
    for person in (personas.sibling, personas.outsider, personas.enterprise, personas.auditor):
        assert visible(person) == set(), person.username
        with pytest.raises(Http404):
            notice_get_for_user(user=person, id=str(letter.uid))
    with pytest.raises(Http404):
        notice_get_for_user(user=issuer, id="not-a-uuid")


def test_list_filters(personas, issuer, letter, notified):
    other = notices.notice_issue(
        actor=issuer,
        kind="letter",
        unit=personas.city.T2,
        matters="二街道事项",
        reply_by=in_days(2),
    )
    assert {n.pk for n in notice_list(user=issuer, unit="T2")} == {other.pk}
    assert {n.pk for n in notice_list(user=issuer, unit="D1")} == {letter.pk, other.pk}
    notices.notice_reply(actor=personas.same, notice=letter, text="答复")
    assert {n.pk for n in notice_list(user=issuer, status="replied")} == {letter.pk}
    assert {n.pk for n in notice_list(user=issuer, overdue=True)} == set()
    # Past the deadline (moved back directly: the service refuses a past deadline).
    type(other).objects.filter(pk=other.pk).update(reply_by=in_days(-1))
    assert {n.pk for n in notice_list(user=issuer, overdue=True)} == {other.pk}
    assert {n.pk for n in notice_list(user=issuer, overdue=False)} == {letter.pk}
    with pytest.raises(ValidationError) as exc:
        list(notice_list(user=issuer, unit="NOPE"))
    assert exc.value.message_dict == {"unit": ["未知单位：NOPE"]}
    with pytest.raises(ValidationError) as exc:
        list(notice_list(user=issuer, status="lost"))
    assert exc.value.message_dict == {"status": ["未知状态：lost"]}


@pytest.fixture
def claim(personas, register):
    p = register(title="拖欠工资三个月未发放").petition
    petition_services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    return p


@pytest.fixture
def accusation(personas, register):
    p = register(
        kind="accusation",
        title="举报一街道干部张某某收受红包",
        category=Category.objects.get(code="discipline"),
        accused_unit=personas.city.T1,
        accused_person="某干部",
    ).petition
    petition_services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D1)
    return p


def test_a_sheet_on_a_petition_names_its_number_and_title(personas, issuer, claim, notified):
    n = notices.notice_issue(
        actor=issuer,
        kind="sheet",
        subject_type="petitions.petition",
        subject_id=claim.pk,
        matters="请加快办理。",
        reply_by=in_days(5),
    )
    assert (n.unit, n.subject_label, n.shielded) == (
        personas.city.T1,
        f"{claim.number} 拖欠工资三个月未发放",
        False,
    )
    assert n.subject_url == f"/petitions/{claim.uid}/"
    assert notified[0]["body"] == n.subject_label
    # The item must be visible to the issuer: the sibling's head issuing on it is refused.
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=personas.outsider,
            kind="sheet",
            subject_type="petitions.petition",
            subject_id=claim.pk,
            matters="事项",
            reply_by=in_days(5),
        )
    assert exc.value.message_dict == {"subject_id": ["你的范围内没有该事项。"]}


def test_a_notice_on_an_accusation_to_the_accused_unit_names_the_case_number_only(
    personas, issuer, accusation, notified
):
    assert resolve("petitions.petition", personas.same, accusation.pk) is None  # shielded
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=issuer,
            kind="sheet",
            subject_type="petitions.petition",
            subject_id=accusation.pk,
            unit=personas.city.T1,
            matters="张三反映的问题请核实。",
            reply_by=in_days(5),
        )
    assert exc.value.message_dict == {"matters": ["督办事项不得写出举报人的姓名或联系方式。"]}
    n = notices.notice_issue(
        actor=issuer,
        kind="sheet",
        subject_type="petitions.petition",
        subject_id=accusation.pk,
        unit=personas.city.T1,
        matters="请就举报反映的问题说明整改情况。",
        reply_by=in_days(5),
    )
    assert (n.subject_label, n.shielded) == (accusation.number, True)
    # The accused unit's head sees the notice, with the number and the matters only ...
    seen = notice_get_for_user(user=personas.same, id=str(n.uid))
    assert seen.subject_label == accusation.number
    text = seen.subject_label + seen.matters + notified[0]["title"] + notified[0]["body"]
    for secret in ("张三", "13812345678", "11010519491231002X", "收受红包", accusation.title):
        assert secret not in text
    # ... and in the document.
    _, data = notice_document(seen)
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert accusation.number in xml
    for secret in ("张三", "收受红包", "13812345678"):
        assert secret not in xml


def test_the_domain_apps_register_their_items():
    from anxin.supervision.notice_subjects import subject_types

    assert [t.key for t in subject_types()] == [
        "petitions.petition",
        "safety.accident",
        "safety.enforcementorder",
        "safety.hazard",
    ]
    assert resolve("safety.drill", None, 1) is None
