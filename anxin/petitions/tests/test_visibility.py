"""Who sees a case (item 11) and the whistleblower shield (item 10), with the personas."""

import pytest
from django.test import Client

from anxin.core.choices import Role
from anxin.core.services import api_key_create
from anxin.core.testing import make_person
from anxin.petitions import services
from anxin.petitions.models import Category, Petition

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def visible(user) -> set[str]:
    return set(Petition.objects.restrict(user, "view").values_list("title", flat=True))


def test_the_holding_unit_and_its_parents_see_a_case_siblings_do_not(personas, register):
    p = register(title="甲案").petition
    services.petition_forward(actor=personas.clerk, petition=p, to_unit=personas.city.T1)
    assert "甲案" in visible(personas.same)  # T1 holds it
    assert "甲案" in visible(personas.parent)  # D1 is above T1
    assert "甲案" in visible(personas.clerk)  # city-wide clerk, registering unit C
    assert "甲案" not in visible(personas.sibling)
    assert "甲案" not in visible(personas.outsider)
    assert "甲案" not in visible(personas.enterprise)
    assert "甲案" not in visible(personas.auditor)  # administrators do not read cases


def test_the_forwarding_unit_keeps_read_access(personas, register):
    unit_clerk = make_person("t2clerk", personas.city.T2, [(Role.CLERK, personas.city.T2)])
    p = register(title="乙案", unit=personas.city.T2, actor=unit_clerk).petition
    services.petition_forward(actor=unit_clerk, petition=p, to_unit=personas.city.T3)
    assert "乙案" in visible(unit_clerk)
    assert "乙案" in visible(personas.outsider)


def test_co_units_and_review_units_see_the_case(personas, register):
    p = register(title="丙案").petition
    services.petition_accept(
        actor=personas.clerk, petition=p, lead_unit=personas.city.T1, co_units=[personas.city.T3]
    )
    assert "丙案" in visible(personas.outsider)  # T3 is a co-handling unit


def accusation(personas, register, **kw):
    return register(
        kind="accusation",
        title="举报某街道干部",
        category=Category.objects.get(code="discipline"),
        accused_unit=personas.city.T1,
        accused_person="某干部",
        **kw,
    ).petition


def test_an_accusation_is_invisible_inside_the_accused_unit(personas, register):
    p = accusation(personas, register)
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D1)
    assert "举报某街道干部" in visible(personas.parent)
    # T1's own staff never see it, even with a city-wide role
    insider = make_person("insider", personas.city.T1, [(Role.VIEWER, personas.city.C)])
    assert "举报某街道干部" not in visible(insider)
    assert "举报某街道干部" not in visible(personas.same)
    insider_client = Client()
    insider_client.force_login(insider)
    assert insider_client.get(f"/petitions/{p.uid}/").status_code == 404
    _key, raw = api_key_create(actor=None, user=insider, name="t")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get(f"/api/v1/petitions/{p.uid}").status_code == 404
    assert api.get(f"/api/v1/petitions/{p.uid}/timeline").status_code == 404
    assert api.get("/api/v1/petitions").json()["count"] == 0
    assert api.get("/api/v1/petitions?q=举报").json()["count"] == 0


def test_an_accusation_cannot_go_to_the_accused_unit(personas, register):
    from django.core.exceptions import ValidationError

    p = accusation(personas, register)
    for step in (
        lambda: services.petition_forward(
            actor=personas.clerk, petition=p, to_unit=personas.city.V1
        ),
        lambda: services.petition_accept(
            actor=personas.clerk, petition=p, lead_unit=personas.city.T1
        ),
        lambda: services.petition_accept(
            actor=personas.clerk,
            petition=p,
            lead_unit=personas.city.D1,
            co_units=[personas.city.T1],
        ),
    ):
        with pytest.raises(ValidationError):
            step()
    p.refresh_from_db()
    assert p.current_unit == personas.city.C and p.status == "registered"


def test_the_accused_person_never_sees_it(personas, register, client_for):
    accusation(personas, register, accused_user=personas.parent)
    assert "举报某街道干部" not in visible(personas.parent)
    # named through the API by username, the same
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    body = {
        "channel": "letter",
        "kind": "accusation",
        "category": "discipline",
        "title": "举报区领导",
        "content": "……",
        "unit": "C",
        "anonymous": True,
        "accused_unit": "D1",
        "accused_user": "viewer",
    }
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").post(
        "/api/v1/petitions", body, content_type="application/json"
    )
    assert response.status_code == 201
    # the city-wide viewer would see it, but is the accused person
    assert "举报区领导" not in visible(personas.viewer)
    assert "举报区领导" in visible(personas.clerk)


def test_confidential_identity_is_for_handling_staff(personas, register, client_for):
    p = register(title="丁案", confidential=True).petition
    services.petition_forward(actor=personas.clerk, petition=p, to_unit=personas.city.T1)
    viewer = client_for(personas.viewer).get(f"/petitions/{p.uid}/").content.decode()
    assert "张三" not in viewer
    handler = client_for(personas.same).get(f"/petitions/{p.uid}/").content.decode()
    assert "张三" in handler
    assert "11010519491231002X" not in handler and "1101**********002X" in handler
    assert "13812345678" not in handler


def test_revealing_personal_data_needs_a_reason_and_is_audited(personas, register, client_for):
    from anxin.core.models import AuditEvent

    p = register(title="戊案").petition
    client = client_for(personas.clerk)
    page = client.post(f"/petitions/{p.uid}/reveal/", {"reason": "电话回访核实诉求"})
    assert "13812345678" in page.content.decode()
    event = AuditEvent.objects.get(action="petition.reveal")
    assert event.actor == personas.clerk and event.after["reason"] == "电话回访核实诉求"
    assert (
        client_for(personas.viewer).post(f"/petitions/{p.uid}/reveal/", {"reason": "x"}).status_code
        == 403
    )


def test_materials_follow_the_case_and_the_shield(
    personas, register, client_for, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    upload = SimpleUploadedFile("证据.txt", "村干部收受红包的证据".encode())
    p = accusation(personas, register, files=[upload])
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D1)
    from anxin.core.attachments import attachments_of

    (attachment,) = attachments_of(p)
    url = f"/petitions/{p.uid}/files/{attachment.uid}/"
    response = client_for(personas.parent).get(url)
    assert response.status_code == 200
    assert response.content.decode() == "村干部收受红包的证据"
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert client_for(personas.same).get(url).status_code == 404  # inside the accused unit
    assert client_for(personas.outsider).get(url).status_code == 404


def test_the_shield_covers_documents_and_exports(personas, register, client_for):
    import io

    from openpyxl import load_workbook

    p = accusation(personas, register)
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D1)
    insider = make_person("insider2", personas.city.T1, [(Role.CLERK, personas.city.C)])
    client = client_for(insider)
    assert client.get(f"/petitions/{p.uid}/documents/acceptance_notice.docx").status_code == 404
    response = client.get("/petitions/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    numbers = [row[0] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert p.number not in numbers
    # the handling district still gets both
    parent = client_for(personas.parent)
    assert parent.get(f"/petitions/{p.uid}/documents/acceptance_notice.docx").status_code == 200


def test_the_deadlines_of_an_accusation_are_shielded_too(personas, register, client_for):
    """The clocks of an accusation (board, 我的待办, the clock link) follow the shield: someone
    working in the accused unit with a role over the holding unit does not learn of it."""
    from anxin.supervision.models import Clock

    p = accusation(personas, register)
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D1)
    clock = Clock.objects.get(subject_type="petitions.petition", subject_id=p.pk, name="handle_by")
    insider = make_person("insider", personas.city.T1, [(Role.HANDLER, personas.city.D1)])
    outside_t1 = make_person("d1handler", personas.city.D1, [(Role.HANDLER, personas.city.D1)])

    def clocks(user) -> set[int]:
        return set(Clock.objects.restrict(user, "view").values_list("pk", flat=True))

    assert clock.pk in clocks(outside_t1)
    assert clock.pk not in clocks(insider)
    assert clock.pk not in clocks(personas.same)  # T1's head, scope T1 only anyway
    assert client_for(insider).get(f"/supervision/clocks/{clock.pk}/").status_code == 404
    assert client_for(outside_t1).get(f"/supervision/clocks/{clock.pk}/").status_code == 302
    link = f"/petitions/{p.uid}/"
    assert link not in client_for(insider).get("/supervision/").content.decode()
    assert link in client_for(outside_t1).get("/supervision/").content.decode()


def test_the_clocks_shield_hides_accusations_against_the_person_and_their_units(personas, register):
    """The clocks' shield (``hidden_petition_ids``) is the case shield: accusations against
    the person, and against their home unit or any unit above it; no others."""
    from anxin.petitions.scoping import hidden_petition_ids, shield_q
    from anxin.supervision.models import Clock

    def against(unit, **kw):
        return register(
            kind="accusation",
            title="举报",
            category=Category.objects.get(code="discipline"),
            accused_unit=unit,
            accused_person="某干部",
            **kw,
        ).petition

    against_person = against(personas.city.T3, accused_user=personas.parent)
    against_unit = against(personas.city.T1)
    against_district = against(personas.city.D1)
    elsewhere = against(personas.city.T3)
    cases = [against_person, against_unit, against_district, elsewhere]
    for p in cases:
        services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.D2)
    from anxin.petitions.models import Petition

    clocks = Clock.objects.filter(subject_type="petitions.petition")
    assert set(clocks.values_list("subject_id", flat=True)) >= {p.pk for p in cases}

    for user in (personas.parent, personas.same, personas.clerk):
        hidden = set(hidden_petition_ids(user).values_list("pk", flat=True))
        assert hidden == set(Petition.objects.filter(shield_q(user)).values_list("pk", flat=True))
        shown = set(
            Clock.objects.restrict(user, "view")
            .filter(subject_type="petitions.petition", subject_id__in=[p.pk for p in cases])
            .values_list("subject_id", flat=True)
        )
        assert not shown & hidden
    # the parent works in D1: the accusations against it and against them are hidden
    assert set(hidden_petition_ids(personas.parent).values_list("pk", flat=True)) == {
        against_person.pk,
        against_district.pk,
    }
    # T1's head: the accusations against T1 and against D1 above it
    assert set(hidden_petition_ids(personas.same).values_list("pk", flat=True)) == {
        against_unit.pk,
        against_district.pk,
    }
