"""The petitions' written documents: each kind driven through the services, read back as .docx."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any
from urllib.parse import quote

import docx
import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.documents import date_cn
from anxin.core.models import AuditEvent
from anxin.core.testing import make_person
from anxin.petitions import services
from anxin.petitions.documents import (
    DocumentNotAvailable,
    UnknownDocument,
    available_documents,
    petition_document,
    petition_document_issue,
)
from anxin.petitions.models import Decision, Petition

pytestmark = [pytest.mark.django_db]

ID_NUMBER = "11010519491231002X"
PHONE = "13812345678"
ADDRESS = "一街道和平路1号"


def reload(p: Petition) -> Petition:
    p.refresh_from_db()
    return p


def paragraphs(data: bytes) -> list[str]:
    return [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]


def text(data: bytes) -> str:
    return "\n".join(paragraphs(data))


def package_text(data: bytes) -> str:
    """Every XML part of the package, to prove a value appears nowhere in the file."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return "".join(zf.read(name).decode("utf-8") for name in zf.namelist())


def build(petition: Petition, kind: str, user: Any) -> tuple[str, bytes, str]:
    filename, data = petition_document(reload(petition), kind, user=user)
    return filename, data, text(data)


def assert_no_personal_data(data: bytes) -> None:
    xml = package_text(data)
    for secret in (ID_NUMBER, PHONE, ADDRESS, "1381", "002X"):
        assert secret not in xml


def assert_never_resolved(body: str) -> None:
    for word in ("已解决", "已化解", "化解", "问题已经解决"):
        assert word not in body


# --- driving a claim --------------------------------------------------------------------------


@pytest.fixture
def city_head(personas):
    return make_person("cityhead", personas.city.C, [(Role.UNIT_HEAD, personas.city.C)])


def forwarded(personas, register, **kw) -> Petition:
    p = register(received_on=dt.date(2026, 9, 16), **kw).petition
    return services.petition_forward(
        actor=personas.clerk, petition=p, to_unit=personas.city.T1, on=dt.date(2026, 9, 30)
    )


def accepted(personas, register, **kw) -> Petition:
    p = forwarded(personas, register, **kw)
    return services.petition_accept(
        actor=personas.same,
        petition=p,
        lead_unit=personas.city.T1,
        leader=personas.same,
        on=dt.date(2026, 10, 9),
    )


def decided(personas, register, outcome: str = "explain", **kw) -> Petition:
    p = accepted(personas, register, **kw)
    p = services.petition_extend(actor=personas.same, petition=p, days=10, reason="需现场核实")
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome=outcome,
        request="请求补发拖欠的三个月工资",
        facts="经核实，该公司已于2026年10月结清部分工资。",
        reasons="剩余部分属于劳动争议，应通过劳动仲裁解决。",
        legal_basis="《中华人民共和国劳动争议调解仲裁法》第二条",
    )
    return services.petition_sign_off(
        actor=personas.same, petition=reload(p), on=timezone.localdate() - dt.timedelta(days=5)
    )


def reviewed(personas, register, outcome: str = "reject") -> Petition:
    p = decided(personas, register)
    p = services.petition_deliver(
        actor=personas.member,
        petition=p,
        document="decision",
        method="post",
        delivered_on=timezone.localdate() - dt.timedelta(days=3),
    )
    p = services.petition_request_review(actor=None, petition=p, reason="对处理意见不服")
    services.petition_decide_review(
        actor=personas.parent,
        petition=p,
        outcome=outcome,
        facts="复查查明，原处理意见认定事实清楚。",
        reasons="原处理意见适用依据正确。",
        legal_basis="《信访工作条例》第三十五条",
    )
    return services.petition_sign_off(actor=personas.parent, petition=reload(p))


def rechecked(personas, register, city_head, outcome: str = "support") -> Petition:
    p = reviewed(personas, register)
    p = services.petition_deliver(
        actor=personas.parent,
        petition=p,
        document="review_decision",
        method="in_person",
        delivered_on=timezone.localdate(),  # signed off today
    )
    p = services.petition_request_recheck(actor=None, petition=p, reason="仍不服复查意见")
    services.petition_decide_recheck(
        actor=city_head,
        petition=p,
        outcome=outcome,
        facts="复核查明，该公司尚欠工资五千元。",
        reasons="该部分工资有工资单为证。",
        legal_basis="《保障农民工工资支付条例》第三条",
    )
    return services.petition_sign_off(actor=city_head, petition=reload(p))


# --- each kind --------------------------------------------------------------------------------


def test_forward_notice_names_where_the_matter_went(personas, register):
    p = forwarded(personas, register)
    filename, data, body = build(p, "forward_notice", personas.clerk)
    assert filename == f"{p.number}-信访事项转送告知书.docx"
    lines = paragraphs(data)
    assert "测试市" in lines[:3]  # the issuing unit's mark: the city that forwarded it
    assert f"信访件编号：{p.number}" in lines
    assert "信访事项转送告知书" in lines
    assert "张三：" in lines
    assert "你于2026年9月16日以书信形式提出的“拖欠工资三个月未发放”信访事项" in body
    assert "转送一街道处理" in body
    assert "第二十二条、第二十三条" in body
    assert "一街道应当自收到之日起15日内书面告知你接收情况以及处理途径和程序" in body
    assert lines.count("测试市") == 2  # mark and signature
    assert date_cn(timezone.localdate()) in lines
    assert_no_personal_data(data)


def test_acceptance_notice_gives_the_60_day_limit(personas, register):
    p = accepted(personas, register)
    _name, data, body = build(p, "acceptance_notice", personas.same)
    lines = paragraphs(data)
    assert "信访事项受理告知书" in lines and "张三：" in lines
    assert f"信访件编号：{p.number}" in lines
    assert lines[0] == "一街道" and lines.count("一街道") == 2  # issued by the holding unit
    assert "本机关已于2026年10月9日受理该信访事项，由本机关负责办理。" in body
    assert "第三十四条" in body and "自受理之日起60日内办结" in body
    assert "延长期限不得超过30日" in body
    assert "第三十一条第六项" in body
    assert date_cn(timezone.localdate()) in lines
    assert_no_personal_data(data)


def test_no_acceptance_notice_for_a_registered_case(personas, register):
    p = register().petition
    with pytest.raises(DocumentNotAvailable) as exc:
        petition_document(p, "acceptance_notice", user=personas.clerk)
    assert exc.value.status == 409
    assert "受理" in str(exc.value.message)
    assert available_documents(p) == []


def test_decline_notice_gives_the_reason_and_the_channel(personas, register, litigation):
    p = register(received_on=dt.date(2026, 11, 20)).petition
    p = services.petition_decline(actor=personas.clerk, petition=p, reason=litigation)
    _name, data, body = build(p, "decline_notice", personas.clerk)
    lines = paragraphs(data)
    assert "信访事项不予受理告知书" in lines and "张三：" in lines
    assert lines[0] == "测试市"
    assert "经审查，该事项属于诉讼程序解决的事项" in body
    assert "《信访工作条例》第三十一条第（一）项" in body
    assert "决定不予受理" in body
    assert "现告知你：依法向人民法院提起诉讼。" in body
    assert [k for k, _label in available_documents(p)] == ["decline_notice"]
    assert_no_personal_data(data)


def test_extension_notice_tells_the_reason_and_days(personas, register):
    p = accepted(personas, register)
    with pytest.raises(DocumentNotAvailable):
        petition_document(p, "extension_notice", user=personas.same)
    p = services.petition_extend(actor=personas.same, petition=p, days=10, reason="需现场核实")
    _name, data, body = build(p, "extension_notice", personas.same)
    lines = paragraphs(data)
    assert "信访事项延期办理告知书" in lines and lines[0] == "一街道"
    assert "因需现场核实，经本机关负责人批准，办理期限延长10日" in body
    # 60 days from 2026-10-09 → 12-08, + 10 → 12-18
    assert "延长后的办理期限至2026年12月18日" in body
    assert "第三十四条" in body and "延长期限不得超过30日" in body
    assert_no_personal_data(data)


def test_decision_only_after_sign_off(personas, register):
    p = accepted(personas, register)
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome="support",
        facts="经核实……",
        reasons="依据……",
        legal_basis="《劳动法》第五十条",
    )
    with pytest.raises(DocumentNotAvailable) as exc:
        petition_document(reload(p), "decision", user=personas.same)
    assert exc.value.status == 409 and "签发" in str(exc.value.message)
    assert "decision" not in [k for k, _label in available_documents(p)]
    services.petition_sign_off(actor=personas.same, petition=reload(p))
    assert "decision" in [k for k, _label in available_documents(p)]


def test_decision_document_of_a_claim(personas, register):
    p = decided(personas, register, outcome="explain")
    # the date of the paper is the sign-off date, not the day it is printed
    Decision.objects.filter(petition=p, stage="decision").update(
        signed_off_at=timezone.make_aware(dt.datetime(2026, 11, 2, 10, 0))
    )
    filename, data, body = build(p, "decision", personas.member)
    assert filename == f"{p.number}-信访处理意见书.docx"
    lines = paragraphs(data)
    assert lines[0] == "一街道" and lines[-1] == "2026年11月2日" and lines[-2] == "一街道"
    assert "信访处理意见书" in lines and "张三：" in lines
    assert f"信访件编号：{p.number}" in lines
    for heading in ("一、信访请求", "二、经调查核实的事实", "三、处理理由", "四、法律法规依据"):
        assert heading in lines
    assert "五、处理意见" in lines
    assert "请求补发拖欠的三个月工资" in lines
    assert "经核实，该公司已于2026年10月结清部分工资。" in lines
    assert "《中华人民共和国劳动争议调解仲裁法》第二条" in lines
    assert "处理意见：解释说明。" in lines
    assert "第三十二条第一款第二项" in body and "予以支持" not in body
    assert_never_resolved(body)
    # Art. 35: 复查 by the next-higher organ of the handling unit, 30 days from receipt
    assert "可以自收到本意见书之日起30日内，向一区请求复查（《信访工作条例》第三十五条）" in body
    assert_no_personal_data(data)


def test_review_document(personas, register):
    p = reviewed(personas, register, outcome="reject")
    _name, data, body = build(p, "review_decision", personas.parent)
    lines = paragraphs(data)
    assert "信访事项复查意见书" in lines and lines[0] == "一区" and lines[-2] == "一区"
    assert lines[-1] == date_cn(timezone.localdate())
    assert "张三：" in lines and f"信访件编号：{p.number}" in lines
    assert "你不服一街道于" in body and "作出的处理意见" in body
    assert "一、复查请求" in lines and "对处理意见不服" in lines
    assert "复查意见：不予支持。" in lines
    assert "第三十二条第一款第三项" in body
    assert_never_resolved(body)
    # Art. 36: 复核 by the organ above the 复查 unit, within 30 days
    assert "可以自收到本意见书之日起30日内，向测试市请求复核（《信访工作条例》第三十六条）" in body
    assert_no_personal_data(data)


def test_recheck_document_says_the_same_facts_are_not_accepted_again(personas, register, city_head):
    p = rechecked(personas, register, city_head, outcome="support")
    _name, data, body = build(p, "recheck_decision", city_head)
    lines = paragraphs(data)
    assert "信访事项复核意见书" in lines and lines[0] == "测试市" and lines[-2] == "测试市"
    assert "复核意见：支持。" in lines
    assert "予以支持" in body and "督促有关机关、单位执行" in body
    assert "第三十六条第三款" in body
    assert (
        "仍然以同一事实和理由提出投诉请求的，各级党委和政府信访部门和其他机关、单位不再受理" in body
    )
    assert "请求复核" not in body.split("五、复核意见")[-1]
    assert [k for k, _label in available_documents(p)] == [
        "forward_notice",
        "acceptance_notice",
        "extension_notice",
        "decision",
        "review_decision",
        "recheck_decision",
    ]
    assert_no_personal_data(data)


def test_the_service_refuses_someone_who_cannot_see_the_case(personas, register):
    p = forwarded(personas, register)
    with pytest.raises(PermissionDenied):
        petition_document_issue(actor=personas.sibling, petition=p, kind="forward_notice")
    assert not AuditEvent.objects.filter(action="petition.document").exists()
    petition_document_issue(actor=personas.same, petition=p, kind="forward_notice")
    assert AuditEvent.objects.filter(action="petition.document").count() == 1


def test_unknown_kind(personas, register):
    p = register().petition
    with pytest.raises(UnknownDocument):
        petition_document(p, "summons", user=personas.clerk)


# --- identity ---------------------------------------------------------------------------------


def test_an_anonymous_case_is_addressed_to_the_petitioner(personas, register):
    p = forwarded(personas, register, anonymous=True, complainants=[])
    _name, data, _body = build(p, "forward_notice", personas.clerk)
    assert "信访人：" in paragraphs(data)


def test_a_confidential_name_is_printed_only_for_those_who_may_see_it(personas, register):
    p = forwarded(personas, register, confidential=True)
    _n, data, _b = build(p, "forward_notice", personas.viewer)  # read-only: no reveal right
    assert "信访人：" in paragraphs(data) and "张三" not in package_text(data)
    _n, data, _b = build(p, "forward_notice", personas.same)  # the holding unit's head
    assert "张三：" in paragraphs(data)


def test_several_petitioners_are_named_and_addressed_in_the_plural(personas, register):
    people = [
        services.ComplainantIn(name="张三", phone=PHONE),
        services.ComplainantIn(name="李四", id_number=ID_NUMBER),
    ]
    p = forwarded(personas, register, complainants=people)
    _n, data, body = build(p, "forward_notice", personas.clerk)
    assert "张三、李四：" in paragraphs(data) and "你们于2026年9月16日" in body
    assert_no_personal_data(data)


# --- the page ---------------------------------------------------------------------------------


def test_the_view_serves_the_docx_and_audits_it(personas, register, client_for):
    p = decided(personas, register)
    url = f"/petitions/{p.uid}/documents/decision.docx"
    response = client_for(personas.same).get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith(f'attachment; filename="{p.number}-decision.docx"; ')
    assert f"filename*=UTF-8''{quote(p.number + '-信访处理意见书.docx')}" in disposition
    assert "no-store" in response["Cache-Control"]
    assert "信访处理意见书" in paragraphs(response.content)
    event = AuditEvent.objects.get(action="petition.document", object_id=str(p.pk))
    assert event.actor == personas.same
    assert event.after["kind"] == "decision" and event.after["names_printed"] is True
    assert len(event.after["sm3"]) == 64


def test_the_view_hides_the_case_from_outsiders_and_siblings(personas, register, client_for):
    p = decided(personas, register)
    for user in (personas.outsider, personas.sibling):
        for kind in ("decision", "acceptance_notice", "nonsense"):
            url = f"/petitions/{p.uid}/documents/{kind}.docx"
            assert client_for(user).get(url).status_code == 404
    assert not AuditEvent.objects.filter(action="petition.document").exists()


def test_the_view_404s_an_unknown_kind_and_redirects_a_document_not_yet_available(
    personas, register, client_for
):
    p = accepted(personas, register)
    client = client_for(personas.same)
    assert client.get(f"/petitions/{p.uid}/documents/summons.docx").status_code == 404
    response = client.get(f"/petitions/{p.uid}/documents/decision.docx", follow=True)
    assert response.redirect_chain[-1][0] == f"/petitions/{p.uid}/"
    assert "签发" in response.content.decode()
    assert not AuditEvent.objects.filter(action="petition.document").exists()


def test_the_case_page_lists_the_documents(personas, register, client_for, monkeypatch):
    """The card, with the context line the detail view adds (``documents_available``)."""
    from anxin.petitions import views

    original = views.render

    def render(request, template, context=None, *args, **kwargs):
        if template == "petitions/detail.html" and context is not None:
            context.setdefault("documents_available", available_documents(context["petition"]))
        return original(request, template, context, *args, **kwargs)

    monkeypatch.setattr(views, "render", render)
    p = accepted(personas, register)
    html = client_for(personas.same).get(f"/petitions/{p.uid}/").content.decode()
    assert f'href="/petitions/{p.uid}/documents/forward_notice.docx"' in html
    assert f'href="/petitions/{p.uid}/documents/acceptance_notice.docx"' in html
    assert "documents/decision.docx" not in html
