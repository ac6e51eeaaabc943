# ruff: noqa: F811  (the fixtures are imported from notice_fixtures by name)
"""督办 notices: issuing, replying, accepting and sending back, with the clock and the audit."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.supervision import notices
from anxin.supervision.models import Clock
from anxin.supervision.models_notices import (
    NOTICE_SUBJECT_TYPE,
    NoticeReply,
    SupervisionNotice,
)
from anxin.supervision.tests.notice_fixtures import (  # noqa: F401
    in_days,
    issuer,
    letter,
    notified,
    office,
)

pytestmark = pytest.mark.django_db


def messages_of(exc: Any) -> dict[str, list[str]]:
    return exc.value.message_dict


def clock(notice: SupervisionNotice, name: str = "reply_by") -> Clock:
    return Clock.objects.of(NOTICE_SUBJECT_TYPE, notice.pk).get(name=name)


def test_issuing_a_letter_numbers_it_starts_the_clock_audits_and_notifies(
    personas, issuer, office, notified
):
    n = notices.notice_issue(
        actor=issuer,
        kind="letter",
        unit=personas.city.T1,
        matters="  请说明逾期原因。 ",
        reply_by=in_days(10),
    )
    year = n.issued_at.year
    assert n.number == f"督办〔{year}〕1号"
    assert (n.issuing_unit, n.unit, n.status, n.matters) == (
        office,
        personas.city.T1,
        "pending",
        "请说明逾期原因。",
    )
    c = clock(n)
    assert (c.unit, c.rule, c.due_on, c.state) == (
        personas.city.T1,
        "fixed",
        in_days(10),
        "running",
    )
    assert AuditEvent.objects.filter(action="notice.issue", object_id=str(n.pk)).count() == 1
    assert notified == [
        {
            "user_ids": [personas.same.pk],
            "kind": "notice.issued",
            "title": f"督办通知 督办〔{year}〕1号：请于{in_days(10).isoformat()}前答复",
            "body": "",
            "url": f"/supervision/notices/{n.uid}/",
            "dedupe_key": f"notice:{n.pk}:issued",
        }
    ]
    second = notices.notice_issue(
        actor=issuer, kind="letter", unit=personas.city.T2, matters="事项", reply_by=in_days(5)
    )
    assert second.number == f"督办〔{year}〕2号"
    # Another issuing unit counts from 1.
    other = make_person("cityissuer", personas.city.DEP, [(Role.SUPERVISOR, personas.city.C)])
    third = notices.notice_issue(
        actor=other, kind="letter", unit=personas.city.T1, matters="事项", reply_by=in_days(5)
    )
    assert third.number == f"督办〔{year}〕1号"


def test_a_unit_head_over_the_target_may_issue_but_not_to_their_own_unit(personas, notified):
    n = notices.notice_issue(
        actor=personas.parent,
        kind="letter",
        unit=personas.city.T1,
        matters="事项",
        reply_by=in_days(3),
    )
    assert n.issuing_unit == personas.city.D1
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=personas.same,
            kind="letter",
            unit=personas.city.T1,
            matters="事项",
            reply_by=in_days(3),
        )
    assert messages_of(exc) == {"unit": ["任何人不能向本单位发出督办通知。"]}


def test_who_may_not_issue(personas, issuer, notified):
    with pytest.raises(PermissionDenied):
        notices.notice_issue(
            actor=personas.member,
            kind="letter",
            unit=personas.city.T1,
            matters="事项",
            reply_by=in_days(3),
        )
    with pytest.raises(PermissionDenied):
        notices.notice_issue(
            actor=personas.clerk,
            kind="letter",
            unit=personas.city.T1,
            matters="事项",
            reply_by=in_days(3),
        )
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=issuer, kind="letter", unit=personas.city.T3, matters="事项", reply_by=in_days(3)
        )
    assert messages_of(exc) == {"unit": ["该单位不在你的督办范围内。"]}
    assert notified == []


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({"matters": "  "}, {"matters": ["请写明督办事项。"]}),
        ({"reply_by": in_days(0)}, {"reply_by": ["答复期限必须晚于今天。"]}),
        ({"unit": None}, {"unit": ["请选择督办函的主送单位。"]}),
        ({"kind": "memo"}, {"kind": ["未知的督办通知种类。"]}),
        (
            {"subject_type": "petitions.petition", "subject_id": 1},
            {"subject_type": ["督办函针对整个单位，而不是某一事项。"]},
        ),
    ],
)
def test_issue_validation(personas, issuer, notified, kwargs, errors):
    data: dict[str, Any] = {
        "actor": issuer,
        "kind": "letter",
        "unit": personas.city.T1,
        "matters": "事项",
        "reply_by": in_days(3),
    }
    data.update(kwargs)
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(**data)
    assert messages_of(exc) == errors
    assert not SupervisionNotice.objects.exists()


def test_a_sheet_needs_a_registered_item_in_scope(personas, issuer, notified):
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=issuer,
            kind="sheet",
            subject_type="safety.drill",
            subject_id=1,
            matters="事项",
            reply_by=in_days(3),
        )
    assert messages_of(exc) == {"subject_type": ["未知的事项类型。"]}
    with pytest.raises(ValidationError) as exc:
        notices.notice_issue(
            actor=issuer,
            kind="sheet",
            subject_type="petitions.petition",
            subject_id=999999,
            matters="事项",
            reply_by=in_days(3),
        )
    assert messages_of(exc) == {"subject_id": ["你的范围内没有该事项。"]}


def test_reply_stops_the_clock_and_tells_the_issuer(personas, issuer, letter, notified):
    notified.clear()
    reply = notices.notice_reply(actor=personas.member, notice=letter, text="已逐件说明。")
    letter.refresh_from_db()
    assert (letter.status, letter.version, reply.round, reply.text) == (
        "replied",
        2,
        1,
        "已逐件说明。",
    )
    assert clock(letter).state == "met"
    assert notified == [
        {
            "user_ids": [issuer.pk],
            "kind": "notice.replied",
            "title": f"一街道已答复督办通知 {letter.number}",
            "body": "已逐件说明。",
            "url": f"/supervision/notices/{letter.uid}/",
            "dedupe_key": f"notice:{letter.pk}:replied:1",
        }
    ]
    event = AuditEvent.objects.get(action="notice.reply")
    assert event.after["in_time"] is True
    with pytest.raises(notices.NoticeStateConflict) as exc:
        notices.notice_reply(actor=personas.same, notice=letter, text="再答复")
    assert str(exc.value.message) == "该督办通知不在待答复状态。"


def test_only_the_addressed_unit_replies(personas, issuer, letter):
    for person in (personas.sibling, personas.outsider, issuer, personas.viewer):
        with pytest.raises(PermissionDenied):
            notices.notice_reply(actor=person, notice=letter, text="答复")
    with pytest.raises(ValidationError) as exc:
        notices.notice_reply(actor=personas.same, notice=letter, text=" ")
    assert messages_of(exc) == {"text": ["请填写答复内容。"]}


def test_a_stale_version_is_refused(personas, letter):
    with pytest.raises(notices.ServiceError) as exc:
        notices.notice_reply(actor=personas.same, notice=letter, text="答复", version=7)
    assert exc.value.status == 409


def test_accept_closes(personas, issuer, letter):
    notices.notice_reply(actor=personas.same, notice=letter, text="已整改。")
    closed = notices.notice_accept(actor=issuer, notice=letter)
    assert closed.status == "closed" and closed.closed_at is not None
    assert NoticeReply.objects.get(notice=letter).decision == "accepted"
    assert AuditEvent.objects.filter(action="notice.accept").count() == 1
    with pytest.raises(notices.NoticeStateConflict) as exc:
        notices.notice_accept(actor=issuer, notice=closed)
    assert str(exc.value.message) == "没有待审核的答复。"


def test_the_addressed_unit_cannot_decide_on_its_own_reply(personas, issuer, letter):
    notices.notice_reply(actor=personas.same, notice=letter, text="已整改。")
    # T1's head holds notice.issue over T1, but it is their own unit; D1's head is not the
    # issuing unit; the sibling has no scope.
    for person in (personas.same, personas.parent, personas.sibling):
        with pytest.raises(PermissionDenied):
            notices.notice_accept(actor=person, notice=letter)
    # A colleague of the issuing office may decide.
    colleague = make_person("colleague", issuer.unit, [(Role.SUPERVISOR, personas.city.D1)])
    assert notices.notice_accept(actor=colleague, notice=letter).status == "closed"


def test_send_back_restarts_a_reply_clock(personas, issuer, letter, notified):
    notices.notice_reply(actor=personas.same, notice=letter, text="已整改。")
    notified.clear()
    with pytest.raises(ValidationError) as exc:
        notices.notice_send_back(actor=issuer, notice=letter, reason="", reply_by=in_days(5))
    assert messages_of(exc) == {"reason": ["请说明退回答复的理由。"]}
    back = notices.notice_send_back(
        actor=issuer, notice=letter, reason="未逐件说明原因。", reply_by=in_days(5)
    )
    assert (back.status, back.round, back.reply_by) == ("pending", 2, in_days(5))
    assert NoticeReply.objects.get(notice=letter).decision == "sent_back"
    assert clock(letter).state == "met"
    second = clock(letter, "reply_by_2")
    assert (second.state, second.due_on, second.unit) == ("running", in_days(5), personas.city.T1)
    assert [c["dedupe_key"] for c in notified] == [f"notice:{letter.pk}:sent_back:2"]
    assert notified[0]["user_ids"] == [personas.same.pk]
    assert notified[0]["body"] == "未逐件说明原因。"
    notices.notice_reply(actor=personas.member, notice=back, text="补充说明。")
    assert clock(letter, "reply_by_2").state == "met"
    assert list(
        NoticeReply.objects.filter(notice=letter).order_by("round").values_list("round", "text")
    ) == [(1, "已整改。"), (2, "补充说明。")]
