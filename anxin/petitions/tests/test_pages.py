"""The staff pages of petitions: ledger, intake, case page, actions, plan, backlog, export."""

import io
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from anxin.core.models import AuditEvent
from anxin.petitions import services
from anxin.petitions.models import Petition

pytestmark = [pytest.mark.django_db]


@pytest.mark.smoke
def test_intake_form_registers_and_shows_the_receipt(personas, client_for):
    client = client_for(personas.clerk)
    assert client.get("/petitions/new/").status_code == 200
    response = client.post(
        "/petitions/new/",
        {
            "channel": "visit",
            "received_on": "2026-11-20",
            "kind": "claim",
            "category": "labour",
            "title": "拖欠工资",
            "content": "工地拖欠工资。",
            "unit": "C",
            "name": "赵六",
            "representatives": "代表甲, 13800000001\n代表乙，13800000002",
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    petition = Petition.objects.get()
    assert petition.number in page and "查询码" in page
    assert petition.complainants.filter(is_representative=True).count() == 2


def test_intake_form_shows_field_errors(personas, client_for):
    response = client_for(personas.clerk).post(
        "/petitions/new/",
        {
            "channel": "letter",
            "received_on": "2026-11-20",
            "kind": "claim",
            "category": "labour",
            "title": "x",
            "content": "y",
            "unit": "C",
            "name": "钱七",
            "id_number": "110105194912310021",
        },
    )
    assert response.status_code == 200
    assert "公民身份号码无效" in response.content.decode()
    assert Petition.objects.count() == 0


def test_the_case_page_offers_only_the_steps_the_person_may_take(personas, register, client_for):
    p = register().petition
    page = client_for(personas.clerk).get(f"/petitions/{p.uid}/").content.decode()
    assert 'id="act-accept"' in page and 'id="act-forward"' in page
    assert 'id="act-sign_off"' not in page
    page = client_for(personas.viewer).get(f"/petitions/{p.uid}/").content.decode()
    assert 'id="act-' not in page


def test_an_action_posted_from_the_page(personas, register, client_for):
    p = register().petition
    client = client_for(personas.clerk)
    response = client.post(
        f"/petitions/{p.uid}/act/forward/", {"to_unit": "T1", "version": p.version}
    )
    assert response.status_code == 302
    p.refresh_from_db()
    assert p.current_unit == personas.city.T1
    # a stale version from the same page is refused with the conflict message, nothing changes
    response = client.post(
        f"/petitions/{p.uid}/act/forward/", {"to_unit": "T2", "version": 1}, follow=True
    )
    assert "您打开此记录后，他人已对其作了修改" in response.content.decode()
    p.refresh_from_db()
    assert p.current_unit == personas.city.T1


def test_plan_owners_and_backlog(personas, register, client_for):
    p = register().petition
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    client = client_for(personas.same)
    target = (date.today() + timedelta(days=30)).isoformat()
    client.post(f"/petitions/{p.uid}/plan/owner/", {"level": "township", "name": "王镇长"})
    client.post(f"/petitions/{p.uid}/plan/step/", {"text": "召开协调会", "due_on": target})
    client.post(f"/petitions/{p.uid}/plan/backlog/", {"target_on": target})
    p.refresh_from_db()
    assert p.is_backlog and p.backlog_target_on.isoformat() == target
    page = client.get("/petitions/backlog/").content.decode()
    assert p.number in page and "王镇长" in page and "召开协调会" in page
    # the sibling township may not change the plan
    assert (
        client_for(personas.sibling)
        .post(f"/petitions/{p.uid}/plan/step/", {"text": "x"})
        .status_code
        == 404
    )


def test_export_has_the_filtered_ledger_without_personal_data(personas, register, client_for):
    register(title='=HYPERLINK("http://x")拖欠工资')
    register(title="噪音扰民", kind="suggestion")
    response = client_for(personas.clerk).get("/petitions/export.xlsx?kind=claim")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "信访编号" and len(rows) == 2
    assert rows[1][5].startswith("'=HYPERLINK")
    assert "张三" not in str(rows) and "13812345678" not in str(rows)
    assert AuditEvent.objects.filter(action="petition.export").count() == 1


@pytest.mark.dbdep
def test_the_ledger_page_query_count_is_fixed(personas, register, client_for):
    for i in range(25):
        register(title=f"案件{i}")
    client = client_for(personas.clerk)
    client.get("/petitions/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/petitions/?status=registered")
    assert response.status_code == 200
    assert len(ctx.captured_queries) < 20
    # no ledger count on the page (it follows from /petitions/count/)
    assert not any("LIMIT 10001" in q["sql"] for q in ctx.captured_queries)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/petitions/count/?status=registered").status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert len(counts) == 1 and "LIMIT 10001" in counts[0]
    assert len(ctx.captured_queries) < 10


def test_a_repeat_is_shown_side_by_side_and_merged(personas, register, client_for):
    first = register(title="小区夜间施工噪音扰民", content="工地每晚施工到凌晨，噪音扰民严重。")
    second = register(title="小区夜间施工噪音扰民", content="工地每晚施工到凌晨，噪音扰民严重！")
    p = second.petition
    assert "possible_repeat" in p.flags and p.repeat_of_id == first.petition.pk
    client = client_for(personas.clerk)
    page = client.get(f"/petitions/{p.uid}/compare/{first.petition.uid}/").content.decode()
    assert first.petition.number in page and p.number in page and 'action="' in page
    client.post(
        f"/petitions/{p.uid}/act/merge/", {"into": str(first.petition.uid), "version": p.version}
    )
    p.refresh_from_db()
    first.petition.refresh_from_db()
    assert p.status == "merged" and first.petition.supporters == 1
    assert (
        client_for(personas.outsider)
        .get(f"/petitions/{p.uid}/compare/{first.petition.uid}/")
        .status_code
        == 404
    )


def test_the_case_page_shows_materials_documents_and_the_plan(
    personas, register, client_for, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    p = register(files=[SimpleUploadedFile("情况说明.txt", "材料内容".encode())]).petition
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    page = client_for(personas.same).get(f"/petitions/{p.uid}/").content.decode()
    assert "情况说明.txt" in page  # materials
    assert "acceptance_notice.docx" in page  # documents card
    assert 'name="materials"' in page  # the upload form
    assert "/plan/owner/" in page  # the resolution plan form


def _ledger_count(client, query: str = "") -> str:
    response = client.get(f"/petitions/count/{query}")
    assert response.status_code == 200
    return response.content.decode().split(">", 1)[1].split("<", 1)[0]


def test_the_ledger_answers_without_its_count_and_loads_it_after(personas, register, client_for):
    register(title="案件甲")
    client = client_for(personas.clerk)
    page = client.get("/petitions/?status=registered&q=").content.decode()
    assert 'hx-get="/petitions/count/?status=registered&amp;q="' in page
    assert 'hx-trigger="load"' in page and "共 1 条" not in page
    assert _ledger_count(client, "?status=registered&q=") == "共 1 条"
    assert _ledger_count(client, "?status=closed") == "共 0 条"


def test_the_ledger_count_equals_the_list_for_every_persona(personas, register, client_for):
    from anxin.core.choices import Role
    from anxin.core.testing import make_person
    from anxin.petitions.models import Category

    for i in range(3):
        p = register(title=f"案件{i}").petition
        if i < 2:
            services.petition_forward(actor=personas.clerk, petition=p, to_unit=personas.city.T1)
    accused = register(
        kind="accusation",
        title="举报某街道干部",
        category=Category.objects.get(code="discipline"),
        accused_unit=personas.city.T1,
        accused_person="某干部",
    ).petition
    services.petition_accept(actor=personas.clerk, petition=accused, lead_unit=personas.city.D1)
    # a city-wide reader whose home unit is the accused one: shielded from the accusation
    insider = make_person("insider", personas.city.T1, [(Role.VIEWER, personas.city.C)])
    # a reader scoped to D1 (counted from the links) whose home unit is the accused one
    scoped_insider = make_person("t1reader", personas.city.T1, [(Role.VIEWER, personas.city.D1)])
    expected = {
        "same": 2,
        "parent": 3,
        "clerk": 4,
        "insider": 3,
        "scoped_insider": 2,
        "outsider": 0,
    }
    users = {
        **{k: getattr(personas, k) for k in ("same", "parent", "clerk", "outsider")},
        "insider": insider,
        "scoped_insider": scoped_insider,
    }
    for name, user in users.items():
        client = client_for(user)
        listed = client.get("/petitions/").content.decode().count('<td class="mono"><a href=')
        titles = set(Petition.objects.restrict(user, "view").values_list("title", flat=True))
        assert len(titles) == listed == expected[name], name
        assert _ledger_count(client) == f"共 {expected[name]} 条", name
        assert ("举报某街道干部" in titles) == (name in ("parent", "clerk")), name
    assert _ledger_count(client_for(personas.clerk), "?kind=accusation") == "共 1 条"
    assert _ledger_count(client_for(insider), "?kind=accusation") == "共 0 条"
    assert _ledger_count(client_for(personas.parent), "?kind=accusation") == "共 1 条"
    assert _ledger_count(client_for(scoped_insider), "?kind=accusation") == "共 0 条"


def test_the_ledger_count_says_more_than_the_cap(personas, register, client_for, monkeypatch):
    from anxin.core import pagination

    for i in range(3):
        register(title=f"案件{i}")
    monkeypatch.setattr(pagination, "PAGE_COUNT_CAP", 2)
    assert _ledger_count(client_for(personas.clerk)) == "超过 2 条"  # city-wide
    assert _ledger_count(client_for(personas.same)) == "共 0 条"
    for p in Petition.objects.all():
        services.petition_forward(actor=personas.clerk, petition=p, to_unit=personas.city.T1)
    assert _ledger_count(client_for(personas.same)) == "超过 2 条"  # scoped: from the links
    monkeypatch.setattr(pagination, "PAGE_COUNT_CAP", 3)
    assert _ledger_count(client_for(personas.clerk)) == "共 3 条"
    assert _ledger_count(client_for(personas.same)) == "共 3 条"


def test_the_ledger_count_is_refused_like_the_list(personas, client_for, client):
    auditor = client_for(personas.auditor)  # administrators read no cases
    assert auditor.get("/petitions/").status_code == 403
    assert auditor.get("/petitions/count/").status_code == 403
    assert client.get("/petitions/count/").status_code == 302  # to the sign-in page
