# ruff: noqa: F811  (the fixtures are imported from notice_fixtures by name)
"""The 督办 notice pages: list (filters, keyset, pinned queries), new, detail forms, .docx."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from anxin.core.models import AuditEvent
from anxin.supervision import notices
from anxin.supervision.models_notices import NoticeReply, SupervisionNotice
from anxin.supervision.tests.notice_fixtures import (  # noqa: F401
    in_days,
    issuer,
    letter,
    notified,
    office,
    register,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def test_list_shows_the_notices_in_scope_with_filters(client_for, personas, issuer, letter):
    page = client_for(personas.same).get("/supervision/notices/")
    assert page.status_code == 200
    assert letter.number in page.content.decode()
    assert (
        "暂无督办通知。"
        in client_for(personas.sibling).get("/supervision/notices/").content.decode()
    )
    body = client_for(issuer).get("/supervision/notices/?status=closed").content.decode()
    assert letter.number not in body
    body = client_for(issuer).get("/supervision/notices/?unit=NOPE").content.decode()
    assert "未知单位：NOPE" in body
    assert client_for(personas.auditor).get("/supervision/notices/").status_code == 403


def test_list_queries_do_not_grow_with_the_rows(client_for, personas, issuer, notified):
    client = client_for(issuer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/supervision/notices/").status_code == 200
        return len(ctx.captured_queries)

    notices.notice_issue(
        actor=issuer, kind="letter", unit=personas.city.T1, matters="一", reply_by=in_days(3)
    )
    one = count()
    for unit in (personas.city.T2, personas.city.V1, personas.city.T1):
        notices.notice_issue(
            actor=issuer, kind="letter", unit=unit, matters="多", reply_by=in_days(3)
        )
    assert count() == one


def test_list_queries_are_pinned(personas, issuer, notified, django_assert_num_queries):
    from anxin.core.pagination import keyset_page
    from anxin.core.scoping import grants_of
    from anxin.supervision.api_notices import notice_out
    from anxin.supervision.selectors_notices import ORDERING, notice_list

    for unit in (personas.city.T1, personas.city.T2, personas.city.V1):
        notices.notice_issue(
            actor=issuer, kind="letter", unit=unit, matters="事项", reply_by=in_days(3)
        )
    grants_of(issuer)  # loaded once per request
    # the unit filter's path, the count and the page, whatever the number of rows (the units
    # and the issuer are joined)
    with django_assert_num_queries(3):
        page = keyset_page(notice_list(user=issuer, overdue=False, unit="D1"), ORDERING, limit=2)
        items = [notice_out(n) for n in page.items]
    assert page.count == 3 and len(items) == 2


def test_keyset_pagination(client_for, personas, issuer, notified):
    made = [
        notices.notice_issue(
            actor=issuer,
            kind="letter",
            unit=personas.city.T1,
            matters=f"事项{i}",
            reply_by=in_days(3),
        )
        for i in range(3)
    ]
    client = client_for(issuer)
    first = client.get("/api/v1/supervision-notices?limit=2").json()
    assert [i["number"] for i in first["items"]] == [made[2].number, made[1].number]
    assert first["count"] == 3
    second = client.get(first["next"]).json()
    assert [i["number"] for i in second["items"]] == [made[0].number]
    assert second["next"] is None


def test_new_notice_prefilled_from_an_item_and_issued(
    client_for, personas, issuer, register, notified
):
    from anxin.petitions import services as petition_services

    p = register().petition
    petition_services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    client = client_for(issuer)
    page = client.get(
        f"/supervision/notices/new/?subject_type=petitions.petition&subject_id={p.pk}"
    )
    body = page.content.decode()
    assert page.status_code == 200 and p.number in body
    assert 'value="sheet" selected' in body
    response = client.post(
        "/supervision/notices/new/",
        {
            "kind": "sheet",
            "subject_type": "petitions.petition",
            "subject_id": p.pk,
            "unit": "",
            "matters": "请于期限内办结并答复。",
            "reply_by": in_days(7).isoformat(),
        },
    )
    notice = SupervisionNotice.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == f"/supervision/notices/{notice.uid}/"
    )
    assert (notice.unit, notice.subject_id) == (personas.city.T1, p.pk)
    # Invalid: a deadline of today, shown on the form in Chinese.
    response = client.post(
        "/supervision/notices/new/",
        {"kind": "letter", "unit": "T2", "matters": "事项", "reply_by": in_days(0).isoformat()},
    )
    assert response.status_code == 200 and "答复期限必须晚于今天。" in response.content.decode()
    assert client_for(personas.member).get("/supervision/notices/new/").status_code == 403


def test_the_petition_page_shows_the_button_to_supervisors_only(
    client_for, personas, issuer, register
):
    from anxin.petitions import services as petition_services

    p = register().petition
    petition_services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    link = f"/supervision/notices/new/?subject_type=petitions.petition&amp;subject_id={p.pk}"
    assert link in client_for(issuer).get(f"/petitions/{p.uid}/").content.decode()
    assert link not in client_for(personas.member).get(f"/petitions/{p.uid}/").content.decode()


@pytest.mark.usefixtures("media")
def test_reply_with_a_file_then_send_back_then_accept(
    client_for, personas, issuer, letter, notified
):
    head = client_for(personas.same)
    detail = f"/supervision/notices/{letter.uid}/"
    body = head.get(detail).content.decode()
    assert 'id="notice-reply-form"' in body and 'id="notice-accept-form"' not in body
    response = head.post(
        f"{detail}reply/",
        {
            "text": "已逐件说明。",
            "attachments": [SimpleUploadedFile("说明.txt", "说明材料".encode(), "text/plain")],
        },
    )
    assert response.status_code == 302
    reply = NoticeReply.objects.get()
    body = client_for(issuer).get(detail).content.decode()
    assert 'id="notice-send-back-form"' in body and "说明.txt" in body
    # The file: the notice's readers get it, outsiders 404.
    from anxin.core.attachments import attachments_of

    file = attachments_of(reply).get()
    url = f"{detail}files/{file.uid}/"
    got = client_for(issuer).get(url)
    assert got.status_code == 200 and got.content == "说明材料".encode()
    assert got["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert client_for(personas.sibling).get(url).status_code == 404
    # The addressed unit cannot decide; the issuer sends it back with reasons.
    assert head.post(f"{detail}accept/").status_code == 403
    response = client_for(issuer).post(
        f"{detail}send-back/", {"reason": "", "reply_by": in_days(4).isoformat()}
    )
    assert response.status_code == 400 and "此项为必填项。" in response.content.decode()
    response = client_for(issuer).post(
        f"{detail}send-back/", {"reason": "未附整改台账。", "reply_by": in_days(4).isoformat()}
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert (letter.status, letter.round) == ("pending", 2)
    assert "未附整改台账。" in head.get(detail).content.decode()
    head.post(f"{detail}reply/", {"text": "已补充台账。"})
    client_for(issuer).post(f"{detail}accept/")
    letter.refresh_from_db()
    assert letter.status == "closed"
    # Replying again: refused with the message.
    response = head.post(f"{detail}reply/", {"text": "再次答复"}, follow=True)
    assert "该督办通知不在待答复状态。" in response.content.decode()


def test_outsiders_get_404_everywhere(client_for, personas, letter):
    client = client_for(personas.outsider)
    base = f"/supervision/notices/{letter.uid}/"
    for url in (base, f"{base}document/"):
        assert client.get(url).status_code == 404
    for url in (f"{base}reply/", f"{base}accept/", f"{base}send-back/"):
        assert client.post(url, {"text": "x"}).status_code == 404


def test_docx_download_is_audited(client_for, personas, letter):
    response = client_for(personas.same).get(f"/supervision/notices/{letter.uid}/document/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert f'filename="DB{letter.year}-1-letter.docx"' in response["Content-Disposition"]
    xml = zipfile.ZipFile(io.BytesIO(response.content)).read("word/document.xml").decode()
    for text in ("督办函", "一区督查室", "一街道", letter.number, "逾期未办结信访事项3件"):
        assert text in xml
    event = AuditEvent.objects.get(action="notice.document")
    assert event.after["filename"] == f"{letter.number}-督办函.docx"
