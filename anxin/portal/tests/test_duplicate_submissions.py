"""Duplicate portal submissions (issue 8, item 3): a double click, a browser retry or a network
retry of the petition form or the hazard-report form creates ONE case; a refused submission
consumes nothing; the repeated request shows the first receipt."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.translation import gettext

from anxin.core.models import AuditEvent
from anxin.petitions import selectors
from anxin.petitions.models import Petition
from anxin.petitions.models_reception import ReceptionBooking
from anxin.petitions.tests.test_reception import make_session  # noqa: F401
from anxin.portal import submissions
from anxin.portal.models import SubmissionToken
from anxin.safety import public_reports
from anxin.safety.models_hazards import Hazard

pytestmark = [pytest.mark.django_db]

PETITION = {
    "kind": "claim",
    "category": "labour",
    "title": "拖欠工资",
    "content": "工地拖欠工资三个月。",
    "name": "孙八",
    "phone": "13700000000",
}
ALREADY = "This submission was already received: it was registered once, and this is its receipt again. Nothing new was created."  # noqa: E501
NOT_AGAIN = (
    "Use the query code shown when you first sent this form: for your safety it is not shown again."  # noqa: E501
)
EXPIRED = "This form has expired. Check what you entered and send it again."


def token_of(page: str) -> str:
    match = re.search(r'name="submission_token" value="([^"]+)"', page)
    assert match, "the form carries no submission token"
    return match.group(1)


def code_of(page: str, element: str) -> str:
    match = re.search(rf'id="{element}">([A-Z0-9-]+)<', page)
    assert match, page[:3000]
    return match.group(1)


def hazard_data(personas) -> dict:
    return {
        "description": "配电箱门敞开，电线裸露",
        "unit": personas.city.V1.code,
        "place_text": "村委会旁",
        "anonymous": "on",
    }


def test_two_posts_of_one_petition_form_create_one_case_and_show_the_same_receipt(personas):
    client = Client()
    token = token_of(client.get("/portal/petitions/new/").content.decode())
    first = client.post("/portal/petitions/new/", {**PETITION, "submission_token": token})
    second = client.post("/portal/petitions/new/", {**PETITION, "submission_token": token})
    assert first.status_code == second.status_code == 200
    petition = Petition.objects.get()
    code = code_of(first.content.decode(), "query-code")
    assert code_of(second.content.decode(), "query-code") == code
    assert selectors.petition_by_query_code(code) == petition
    page = second.content.decode()
    assert petition.number in page and gettext(ALREADY) in page
    assert gettext(ALREADY) not in first.content.decode()
    assert AuditEvent.objects.filter(action="petition.registered").count() == 1
    row = SubmissionToken.objects.get()
    # only a digest of the token and an encrypted receipt are kept: never the code in clear
    assert token not in row.digest and code not in row.receipt and row.number == petition.number


def test_a_fresh_token_makes_a_second_case(personas):
    client = Client()
    for _ in range(2):
        token = token_of(client.get("/portal/petitions/new/").content.decode())
        client.post("/portal/petitions/new/", {**PETITION, "submission_token": token})
    assert Petition.objects.count() == 2 and SubmissionToken.objects.count() == 2


def test_a_refused_submission_consumes_nothing(personas):
    client = Client()
    token = token_of(client.get("/portal/petitions/new/").content.decode())
    # the service refuses it (in the creating transaction): a petitioner without a name
    refused = client.post(
        "/portal/petitions/new/", {**PETITION, "name": "", "submission_token": token}
    )
    page = refused.content.decode()
    assert "query-code" not in page
    assert gettext("The name is required.") in page
    assert token_of(page) == token  # the corrected form goes with the same token
    assert Petition.objects.count() == 0 and SubmissionToken.objects.count() == 0
    accepted = client.post("/portal/petitions/new/", {**PETITION, "submission_token": token})
    assert gettext(ALREADY) not in accepted.content.decode()
    assert Petition.objects.count() == 1 and SubmissionToken.objects.count() == 1


def test_a_forged_or_expired_token_is_refused_and_creates_nothing(personas):
    client = Client()
    response = client.post("/portal/petitions/new/", {**PETITION, "submission_token": "x:y:z"})
    page = response.content.decode()
    assert gettext(EXPIRED) in page and "query-code" not in page
    assert token_of(page) != "x:y:z"  # a fresh token to send it again
    assert Petition.objects.count() == 0 and SubmissionToken.objects.count() == 0
    # a token made for the hazard form does not serve the petition form
    hazard_token = submissions.submission_token_new("hazard")
    page = client.post(
        "/portal/petitions/new/", {**PETITION, "submission_token": hazard_token}
    ).content.decode()
    assert gettext(EXPIRED) in page and Petition.objects.count() == 0


def test_after_half_an_hour_the_repeat_shows_the_number_but_not_the_code(personas):
    client = Client()
    token = token_of(client.get("/portal/petitions/new/").content.decode())
    client.post("/portal/petitions/new/", {**PETITION, "submission_token": token})
    SubmissionToken.objects.update(created_at=timezone.now() - timedelta(minutes=31))
    page = client.post(
        "/portal/petitions/new/", {**PETITION, "submission_token": token}
    ).content.decode()
    petition = Petition.objects.get()
    assert petition.number in page and gettext(NOT_AGAIN) in page and gettext(ALREADY) in page
    # the purge empties the receipt, and deletes the row once the token itself has expired
    from config.schedule import portal_submission_tokens_purge_job

    assert portal_submission_tokens_purge_job.call_local() == 0
    assert SubmissionToken.objects.get().receipt == ""
    assert submissions.submission_tokens_purge(now=timezone.now() + timedelta(days=1)) == 1


def test_two_posts_of_one_hazard_report_create_one_report(personas):
    client = Client()
    token = token_of(client.get("/portal/hazards/report/").content.decode())
    first = client.post(
        "/portal/hazards/report/", {**hazard_data(personas), "submission_token": token}
    )
    second = client.post(
        "/portal/hazards/report/", {**hazard_data(personas), "submission_token": token}
    )
    hazard = Hazard.objects.get()
    code = code_of(first.content.decode(), "tracking-code")
    assert code_of(second.content.decode(), "tracking-code") == code
    assert public_reports.hazard_by_tracking_code(code) == hazard
    assert hazard.number in second.content.decode()
    assert (
        gettext(
            "This report was already received: it was recorded once, and this is its receipt "
            "again. Nothing new was created."
        )
        in second.content.decode()
    )
    # a refused report (no place) consumes nothing
    token = token_of(client.get("/portal/hazards/report/").content.decode())
    client.post(
        "/portal/hazards/report/",
        {**hazard_data(personas), "place_text": "", "submission_token": token},
    )
    assert Hazard.objects.count() == 1 and SubmissionToken.objects.count() == 1


def test_a_repeated_booking_of_the_last_place_books_once_and_shows_the_same_code(make_session):  # noqa: F811
    session = make_session(capacity=1)
    url = f"/portal/reception/{session.pk}/book/"
    data = {"name": "李四", "phone": "13812345678", "topic": "拆迁安置房逾期未交付"}
    client = Client()
    token = token_of(client.get(url).content.decode())
    # a refused booking (no matter given) consumes nothing
    refused = client.post(url, {**data, "topic": "", "submission_token": token}).content.decode()
    assert "confirmation-code" not in refused and token_of(refused) == token
    assert SubmissionToken.objects.count() == 0
    first = client.post(url, {**data, "submission_token": token}).content.decode()
    # the first request took the last place: the repeat still gets the confirmation
    second = client.post(url, {**data, "submission_token": token}).content.decode()
    assert ReceptionBooking.objects.count() == 1
    assert code_of(second, "confirmation-code") == code_of(first, "confirmation-code")
    assert (
        gettext(
            "This booking was already received: the place was booked once, and this is its "
            "confirmation again. Nothing new was booked."
        )
        in second
    )
    # a token of another session's form serves nothing here
    other = make_session(starts_at=session.starts_at + timedelta(days=1))
    page = client.post(
        f"/portal/reception/{other.pk}/book/", {**data, "submission_token": token}
    ).content.decode()
    assert gettext(EXPIRED) in page and ReceptionBooking.objects.count() == 1


@pytest.mark.dbdep
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("form", ["petition", "hazard", "booking"])
def test_a_concurrent_double_post_creates_one_case(personas, make_session, form):  # noqa: F811
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")
    if form == "booking":
        url = f"/portal/reception/{make_session(capacity=1).pk}/book/"
        data = {"name": "李四", "phone": "13812345678", "topic": "拆迁安置房逾期未交付"}
        model, element = ReceptionBooking, "confirmation-code"
    else:
        url, data, model, element = {
            "petition": ("/portal/petitions/new/", PETITION, Petition, "query-code"),
            "hazard": ("/portal/hazards/report/", hazard_data(personas), Hazard, "tracking-code"),
        }[form]
    token = token_of(Client().get(url).content.decode())
    barrier = threading.Barrier(2)
    pages: list[str] = []
    errors: list[BaseException] = []

    def post() -> None:
        from django.db import connections

        try:
            barrier.wait()
            response = Client().post(url, {**data, "submission_token": token})
            assert response.status_code == 200
            pages.append(response.content.decode())
        except BaseException as exc:  # pragma: no cover - shown by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert model.objects.count() == 1 and SubmissionToken.objects.count() == 1
    assert len({code_of(page, element) for page in pages}) == 1
