"""The calendar page: only the system administrator; lists, sets and removes days."""

from __future__ import annotations

from datetime import date

import pytest

from anxin.core import calendar
from anxin.core.models_calendar import CalendarDay

pytestmark = [pytest.mark.django_db, pytest.mark.urls("anxin.core.tests.urls_calendar")]

URL = "/settings/calendar/"


@pytest.fixture(autouse=True)
def _calendar_actions():
    calendar.register_calendar_actions()


def test_others_are_refused(personas, client_for):
    for person in (personas.same, personas.clerk, personas.secadmin, personas.viewer):
        client = client_for(person)
        assert client.get(URL).status_code == 403
        assert client.post(URL, {"date": "2027-01-01", "kind": "holiday"}).status_code == 403
        assert client.post(URL + "2027-01-01/delete/").status_code == 403
    assert not CalendarDay.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_page_warns_about_a_year_without_data(personas, client_for):
    client = client_for(personas.sysadmin)
    html = client.get(URL + "?year=2027", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "alert-warning" in html and "2027" in html
    html = client.get(URL + "?year=2026", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "alert-warning" not in html
    assert "<script" not in html.split("</nav>", 1)[1]  # CSP: no inline scripts of ours
    assert "style=" not in html


def test_set_change_and_remove_a_day(personas, client_for):
    client = client_for(personas.sysadmin)
    response = client.post(URL, {"date": "2027-10-01", "kind": "holiday", "note": "国庆节"})
    assert response.status_code == 302
    assert response["Location"] == URL + "?year=2027"
    day = CalendarDay.objects.get()
    assert (day.date, day.kind, day.note) == (date(2027, 10, 1), "holiday", "国庆节")
    html = client.get(URL + "?year=2027").content.decode()
    assert "国庆节" in html and "2027-10-01" in html
    client.post(URL, {"date": "2027-10-01", "kind": "workday", "note": ""})
    assert CalendarDay.objects.get().kind == "workday"
    response = client.post(URL + "2027-10-01/delete/")
    assert response.status_code == 302
    assert not CalendarDay.objects.exists()


def test_invalid_input_is_shown_on_the_form(personas, client_for):
    client = client_for(personas.sysadmin)
    response = client.post(URL, {"date": "not-a-date", "kind": "party"})
    assert response.status_code == 200
    assert response.content.decode().count("invalid-feedback") == 2
    assert client.post(URL + "2027-13-45/delete/").status_code == 404
    response = client.post(URL + "2027-01-01/delete/", follow=True)
    assert response.status_code == 200
    assert not CalendarDay.objects.exists()
