"""The public portal: submit, track with the query code, rate and ask for review."""

from datetime import date

import pytest
from django.test import Client
from django.utils.translation import gettext

from anxin.core.models import AuditEvent
from anxin.petitions import services
from anxin.petitions.models import Petition

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def submit(client: Client, **extra):
    data = {
        "kind": "claim",
        "category": "labour",
        "title": "拖欠工资",
        "content": "工地拖欠工资三个月。",
        "name": "孙八",
        "phone": "13700000000",
    }
    data.update(extra)
    return client.post("/portal/petitions/new/", data)


def test_a_citizen_submits_and_gets_a_number_and_query_code(personas):
    client = Client()
    assert client.get("/portal/").status_code == 200
    response = submit(client)
    assert response.status_code == 200
    petition = Petition.objects.get()
    page = response.content.decode()
    assert petition.number in page
    assert petition.channel == "web" and petition.registering_unit == personas.city.C
    event = AuditEvent.objects.get(action="petition.registered")
    assert event.actor is None and event.actor_ip is None and event.actor_label == "public"


def test_anonymous_submission_keeps_no_identity(personas):
    submit(Client(), anonymous="on", name="", phone="", kind="suggestion")
    petition = Petition.objects.get()
    assert petition.anonymous and petition.complainants.count() == 0


def test_tracking_needs_the_query_code_and_shows_progress(personas, register):
    result = register()
    client = Client()
    response = client.post("/portal/track/", {"code": result.query_code})
    page = response.content.decode()
    assert result.petition.number in page and 'id="status"' in page
    response = client.post("/portal/track/", {"code": "AAAA-BBBB-CCCC"})
    assert gettext("No case has this query code. Check it and try again.") in (
        response.content.decode()
    )
    assert result.petition.number not in response.content.decode()


def test_a_citizen_rates_and_requests_review(personas, register):
    result = register()
    p = result.petition
    c = personas.city
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=c.T1)
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome="reject",
        facts="事实",
        reasons="理由",
        legal_basis="依据",
    )
    p.refresh_from_db()
    services.petition_sign_off(actor=personas.same, petition=p)
    services.petition_deliver(
        actor=personas.member,
        petition=p,
        document="decision",
        method="online",
        delivered_on=date.today(),
    )
    client = Client()
    page = client.post("/portal/track/", {"code": result.query_code}).content.decode()
    assert "不予支持" in page and 'name="rating"' in page
    client.post(
        "/portal/track/", {"code": result.query_code, "action": "rate", "rating": "dissatisfied"}
    )
    client.post(
        "/portal/track/",
        {"code": result.query_code, "action": "request_review", "reason": "不服处理意见"},
    )
    p.refresh_from_db()
    assert p.rating == "dissatisfied" and p.status == "review" and p.review_unit == c.D1
    assert (
        AuditEvent.objects.filter(action="petition.review_requested", actor_ip__isnull=True).count()
        == 1
    )


def test_the_public_timeline_names_no_staff(personas, register):
    result = register()
    services.petition_forward(
        actor=personas.clerk, petition=result.petition, to_unit=personas.city.T1
    )
    page = Client().post("/portal/track/", {"code": result.query_code}).content.decode()
    assert "clerk" not in page and personas.clerk.name not in page


def test_no_audit_record_of_a_portal_submission_keeps_an_address(personas):
    client = Client(REMOTE_ADDR="203.0.113.7")
    submit(client)
    assert AuditEvent.objects.filter(action__startswith="petition.").exists()
    assert AuditEvent.objects.filter(action__startswith="clock.").exists()
    assert not AuditEvent.objects.filter(actor_ip__isnull=False).exists()
