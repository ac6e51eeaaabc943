"""Pages: the 三色督办 board, the inbox with its badge, the preferences."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from anxin.supervision.models import Notification
from anxin.supervision.notifications import notify

from .conftest import start

pytestmark = pytest.mark.django_db


@pytest.fixture
def overdue(personas):
    today = timezone.localdate()
    return {
        "t1": start(1, personas.city.T1, today - dt.timedelta(days=3)),
        "t2": start(2, personas.city.T2, today + dt.timedelta(days=60)),
    }


def test_board_shows_the_scope_with_colours_and_links(personas, overdue, client_for):
    from anxin.petitions.models import Petition  # noqa: F401  (the app registered its links)

    response = client_for(personas.parent).get("/supervision/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "一街道" in html and "二街道" in html
    assert 'data-colour="red"' in html
    rows = response.context["rows"]
    assert [r["colour"] for r in rows] == ["red", "normal"]
    assert rows[0]["item"] == "信访事项"
    assert response.context["counts"]["red"] == 1

    response = client_for(personas.sibling).get("/supervision/?colour=red")
    assert response.context["rows"] == []
    response = client_for(personas.sibling).get("/supervision/")
    assert [r["clock"].subject_id for r in response.context["rows"]] == [2]


def test_board_is_for_staff_with_clock_view(personas, client_for):
    assert client_for(personas.enterprise).get("/supervision/").status_code == 403
    assert client_for(personas.auditor).get("/supervision/").status_code == 403


def test_board_query_count_is_fixed(personas, client_for, django_assert_max_num_queries):
    today = timezone.localdate()
    for i in range(30):
        start(100 + i, personas.city.T1, today - dt.timedelta(days=i % 5))
    client = client_for(personas.parent)
    client.get("/supervision/")
    with django_assert_max_num_queries(14):
        response = client.get("/supervision/")
    assert len(response.context["rows"]) == 30


def test_board_is_in_the_navigation(personas, client_for):
    html = client_for(personas.member).get("/").content.decode()
    assert 'href="/supervision/"' in html


def test_clock_link_leads_to_the_item_within_scope(personas, overdue, client_for):
    response = client_for(personas.same).get(f"/supervision/clocks/{overdue['t1'].pk}/")
    assert response.status_code == 302  # no petition 1 exists: back to the board
    assert response["Location"] == "/supervision/"
    assert (
        client_for(personas.sibling).get(f"/supervision/clocks/{overdue['t1'].pk}/").status_code
        == 404
    )


def note(personas, user, key):
    notify(user_ids=[user.pk], kind="deadline_overdue", title=f"通知{key}", dedupe_key=key)
    return Notification.objects.get(dedupe_key=f"{key}:{user.pk}")


def test_inbox_shows_only_ones_own(personas, client_for):
    note(personas, personas.member, "a")
    note(personas, personas.same, "b")
    html = client_for(personas.member).get("/supervision/inbox/").content.decode()
    assert "通知a" in html and "通知b" not in html


def test_badge_counts_unread(personas, client_for):
    note(personas, personas.member, "a")
    note(personas, personas.member, "b")
    html = client_for(personas.member).get("/").content.decode()
    assert 'id="inbox-unread">2<' in html


def test_mark_read_with_htmx_and_without(personas, client_for):
    mine = note(personas, personas.member, "a")
    other = note(personas, personas.same, "b")
    client = client_for(personas.member)
    response = client.post(f"/supervision/inbox/{mine.pk}/read/", headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{mine.pk}"' in html
    assert 'id="inbox-unread" hx-swap-oob="true"></span>' in html  # the badge empties
    mine.refresh_from_db()
    assert mine.read_at is not None
    assert client.post(f"/supervision/inbox/{other.pk}/read/").status_code == 404
    other.refresh_from_db()
    assert other.read_at is None


def test_mark_all_read(personas, client_for):
    note(personas, personas.member, "a")
    note(personas, personas.member, "b")
    client = client_for(personas.member)
    response = client.post("/supervision/inbox/read-all/")
    assert response.status_code == 302
    assert not Notification.objects.filter(user=personas.member, read_at__isnull=True).exists()
    response = client.post("/supervision/inbox/read-all/", headers={"HX-Request": "true"})
    assert response.status_code == 204 and response["HX-Refresh"] == "true"


def test_inbox_is_keyset_paginated(personas, client_for):
    for i in range(55):
        note(personas, personas.member, f"k{i}")
    client = client_for(personas.member)
    first = client.get("/supervision/inbox/")
    assert len(first.context["page"].items) == 50
    assert first.context["page"].items[0].title == "通知k54"
    second = client.get(first.context["next_url"])
    assert [n.title for n in second.context["page"].items] == [
        f"通知k{i}" for i in range(4, -1, -1)
    ]


def test_preferences_page_saves(personas, client_for):
    client = client_for(personas.member)
    response = client.get("/supervision/preferences/")
    assert response.status_code == 200
    assert "期限预警" in response.content.decode()
    response = client.post(
        "/supervision/preferences/", {"deadline_overdue:sms": "1", "deadline_warning:email": "1"}
    )
    assert response.status_code == 302
    from anxin.supervision.notifications import preferences_for

    prefs = {p["kind"]: (p["email"], p["sms"]) for p in preferences_for(personas.member)}
    # every kind on the page is saved; those left unticked are off
    assert prefs == {
        "deadline_overdue": (False, True),
        "deadline_warning": (True, False),
        "notice.issued": (False, False),
        "notice.replied": (False, False),
        "notice.sent_back": (False, False),
    }
