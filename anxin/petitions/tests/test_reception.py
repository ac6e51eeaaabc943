"""Public reception days (公开接访/约访, item 12): sessions, bookings, the visit, with personas.

The session's receiving office here is T1: ``same`` (unit head of T1) and ``parent`` (unit
head of D1, above it) and the city-wide ``clerk`` see its bookings; ``sibling`` (T2) and
``outsider`` (T3) get 404; ``viewer`` and ``member`` (a handler) may list the sessions but get
403 on the bookings.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.petitions import reception
from anxin.petitions.models import Category, Petition
from anxin.petitions.models_reception import ReceptionBooking, ReceptionSession
from anxin.petitions.reception import ReceptionConflict

pytestmark = [pytest.mark.django_db]

NAME = "李四"
PHONE = "13812345678"


@pytest.fixture
def make_session(personas: Any):
    """A session of ``same`` at T1, tomorrow (published unless told otherwise)."""

    def make(*, capacity: int = 5, published: bool = True, **overrides: Any) -> ReceptionSession:
        start = timezone.now() + timedelta(days=1)
        kwargs: dict[str, Any] = {
            "actor": personas.same,
            "leader": personas.same,
            "leader_title": "一街道党工委书记",
            "unit": personas.city.T1,
            "starts_at": start,
            "ends_at": start + timedelta(hours=3),
            "place": "一街道便民服务中心二楼",
            "topics": "征地拆迁、物业管理",
            "capacity": capacity,
        }
        kwargs.update(overrides)
        if "starts_at" in overrides and "ends_at" not in overrides:
            kwargs["ends_at"] = overrides["starts_at"] + timedelta(hours=3)
        session = reception.reception_session_create(**kwargs)
        if published:
            session = reception.reception_session_publish(actor=personas.same, session=session)
        return session

    return make


def book(session: ReceptionSession, name: str = NAME, phone: str = PHONE):
    return reception.reception_book(
        session=session, name=name, phone=phone, topic="拆迁安置房逾期未交付"
    )


def begin(session: ReceptionSession) -> None:
    """Move a session to now (services refuse to create sessions in the past)."""
    now = timezone.now()
    ReceptionSession.objects.filter(pk=session.pk).update(
        starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )


def refusal(exc_info: pytest.ExceptionInfo[Any]) -> str:
    return str(exc_info.value.message)


# --- the booking flow on the portal ---------------------------------------------------------


@pytest.mark.smoke
def test_a_citizen_books_on_the_portal_and_gets_a_code_shown_once(make_session):
    session = make_session()
    client = Client()
    page = client.get("/portal/reception/").content.decode()
    assert "一街道便民服务中心二楼" in page and "same" in page and "一街道党工委书记" in page
    assert f"/portal/reception/{session.pk}/book/" in page

    response = client.post(
        f"/portal/reception/{session.pk}/book/",
        {"name": NAME, "phone": PHONE, "topic": "拆迁安置房逾期未交付"},
    )
    assert response.status_code == 200  # answered in place: no redirect carrying the code
    page = response.content.decode()
    booking = ReceptionBooking.objects.get()
    code = page.split('id="confirmation-code">')[1].split("<")[0]
    assert len(code) == 14 and booking.confirmation_digest == reception.confirmation_digest(code)
    assert code not in booking.confirmation_digest
    assert response["Cache-Control"].startswith("max-age=0")
    # name and phone are SM4-encrypted at rest; the code is stored only as its digest
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT name, phone FROM petitions_receptionbooking WHERE id = %s", [booking.pk]
        )
        raw_name, raw_phone = cursor.fetchone()
    assert raw_name.startswith("sm4gcm$") and raw_phone.startswith("sm4gcm$")
    assert NAME not in raw_name and PHONE not in raw_phone

    # the code looks the booking up (POST only), with the name and phone masked
    found = client.post("/portal/reception/booking/", {"code": code.lower()}).content.decode()
    assert "李*" in found and "138****5678" in found and PHONE not in found
    assert 'id="booking-status"' in found and "已预约" in found
    # a GET with a code in the address shows nothing
    assert "李*" not in client.get(f"/portal/reception/booking/?code={code}").content.decode()


def test_public_booking_audit_keeps_no_address_and_no_personal_data(make_session):
    session = make_session()
    Client(REMOTE_ADDR="203.0.113.9").post(
        f"/portal/reception/{session.pk}/book/",
        {"name": NAME, "phone": PHONE, "topic": "拆迁安置房逾期未交付"},
    )
    event = AuditEvent.objects.get(action="reception.book")
    assert event.actor is None and event.actor_label == "public" and event.actor_ip is None
    assert event.after == {"session": session.pk}
    text = f"{event.object_repr}{event.after}{event.before}"
    assert NAME not in text and PHONE not in text


def test_booking_input_is_checked(make_session):
    session = make_session()
    with pytest.raises(ValidationError) as exc_info:
        reception.reception_book(session=session, name=" ", phone="12", topic="")
    assert exc_info.value.message_dict == {
        "name": ["请填写您的姓名。"],
        "phone": ["电话号码无效。"],
        "topic": ["请简要说明您要反映的事项。"],
    }
    assert not ReceptionBooking.objects.exists()


def test_the_citizen_cancels_with_the_code_and_the_place_is_free_again(make_session):
    session = make_session(capacity=1)
    _booking, code = book(session)
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert "一街道便民服务中心二楼" not in client.get("/portal/reception/").content.decode()
    page = client.post(
        "/portal/reception/booking/", {"code": code, "action": "cancel"}
    ).content.decode()
    assert "您的预约已取消。" in page
    booking = ReceptionBooking.objects.get()
    assert booking.cancelled_at is not None
    event = AuditEvent.objects.get(action="reception.booking_cancel")
    assert event.actor_ip is None and event.actor_label == "public"
    assert "一街道便民服务中心二楼" in client.get("/portal/reception/").content.decode()
    with pytest.raises(ReceptionConflict) as exc_info:
        reception.reception_booking_cancel(code=code)
    assert refusal(exc_info) == "该预约已取消。"
    with pytest.raises(ValidationError) as exc_info2:
        reception.reception_booking_cancel(code="AAAA-BBBB-CCCC")
    assert exc_info2.value.message_dict == {"code": ["没有与此确认码对应的预约，请核对后重试。"]}


# --- refusals: capacity, cancelled, unpublished, past ---------------------------------------


def test_capacity_is_kept(make_session):
    session = make_session(capacity=2)
    book(session, name="甲")
    book(session, name="乙")
    with pytest.raises(ReceptionConflict) as exc_info:
        book(session, name="丙")
    assert refusal(exc_info) == "该接访场次预约已满。"
    assert exc_info.value.code == "session_full" and exc_info.value.status == 409
    assert ReceptionBooking.objects.count() == 2
    # the portal no longer lists it, and its booking page says why
    client = Client()
    assert (
        f"/portal/reception/{session.pk}/book/"
        not in client.get("/portal/reception/").content.decode()
    )
    page = client.get(f"/portal/reception/{session.pk}/book/").content.decode()
    assert "该接访场次预约已满。" in page and 'name="name"' not in page


@pytest.mark.dbdep
def test_the_last_place_cannot_be_booked_twice(make_session):
    session = make_session(capacity=1)
    stale = ReceptionSession.objects.get(pk=session.pk)  # both bookers loaded the same page
    book(session, name="甲")
    with pytest.raises(ReceptionConflict) as exc_info:
        book(stale, name="乙")
    assert refusal(exc_info) == "该接访场次预约已满。"
    assert ReceptionBooking.objects.filter(session=session).count() == 1


@pytest.mark.dbdep
@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_bookings_of_the_last_place(make_session):
    """Two threads book the last place at once: the session row lock lets one through."""
    if connection.vendor != "postgresql":
        pytest.skip("threads share no in-memory SQLite database; the sequential test covers it")
    session = make_session(capacity=1)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(name: str) -> None:
        try:
            barrier.wait(timeout=10)
            book(session, name=name)
            outcomes.append("booked")
        except ReceptionConflict as exc:
            outcomes.append(exc.code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == ["booked", "session_full"]
    assert ReceptionBooking.objects.filter(session=session).count() == 1


def test_cancelled_unpublished_and_past_sessions_are_refused(personas, make_session):
    draft = make_session(published=False)
    with pytest.raises(ReceptionConflict) as exc_info:
        book(draft)
    assert refusal(exc_info) == "该接访场次未开放预约。"

    cancelled = make_session(starts_at=timezone.now() + timedelta(days=2))
    reception.reception_session_cancel(
        actor=personas.same, session=cancelled, reason="领导临时公出"
    )
    with pytest.raises(ReceptionConflict) as exc_info:
        book(cancelled)
    assert refusal(exc_info) == "该接访场次已取消。"

    past = make_session(starts_at=timezone.now() + timedelta(days=3))
    begin(past)
    with pytest.raises(ReceptionConflict) as exc_info:
        book(past)
    assert refusal(exc_info) == "该接访场次已开始，不能再预约。"
    assert not ReceptionBooking.objects.exists()

    client = Client()
    listed = client.get("/portal/reception/").content.decode()
    assert "一街道便民服务中心二楼" not in listed
    assert client.get(f"/portal/reception/{draft.pk}/book/").status_code == 404
    page = client.post(
        f"/portal/reception/{cancelled.pk}/book/", {"name": NAME, "phone": PHONE, "topic": "x"}
    ).content.decode()
    assert "该接访场次已取消。" in page and not ReceptionBooking.objects.exists()


def test_a_booker_of_a_cancelled_session_sees_the_reason(personas, make_session):
    session = make_session()
    _booking, code = book(session)
    reception.reception_session_cancel(actor=personas.same, session=session, reason="领导临时公出")
    page = Client().post("/portal/reception/booking/", {"code": code}).content.decode()
    assert "本场接访已取消" in page and "领导临时公出" in page


# --- sessions: who may create, publish, cancel ----------------------------------------------


def test_sessions_are_created_in_scope_and_checked(personas, make_session):
    c = personas.city
    start = timezone.now() + timedelta(days=5)
    common = {
        "leader": personas.same,
        "starts_at": start,
        "ends_at": start + timedelta(hours=2),
        "place": "会议室",
        "topics": "各类事项",
        "capacity": 3,
    }
    with pytest.raises(PermissionDenied):
        reception.reception_session_create(actor=personas.sibling, unit=c.T1, **common)
    with pytest.raises(PermissionDenied):
        reception.reception_session_create(actor=personas.member, unit=c.T1, **common)
    with pytest.raises(ValidationError) as exc_info:
        reception.reception_session_create(
            actor=personas.same,
            unit=c.T1,
            **{**common, "starts_at": timezone.now() - timedelta(hours=1), "capacity": 0},
        )
    assert exc_info.value.message_dict == {
        "starts_at": ["接访开始时间须晚于当前时间。"],
        "capacity": ["至少提供 1 个名额。"],
    }
    with pytest.raises(ValidationError) as exc_info:
        reception.reception_session_create(
            actor=personas.same, unit=c.T1, **{**common, "ends_at": start}
        )
    assert exc_info.value.message_dict == {"ends_at": ["接访结束时间须晚于开始时间。"]}
    first = reception.reception_session_create(actor=personas.parent, unit=c.T1, **common)
    assert first.created_by == personas.parent and not first.published
    with pytest.raises(ValidationError) as exc_info:
        reception.reception_session_create(
            actor=personas.clerk,
            unit=c.DEP,
            **{
                **common,
                "starts_at": start + timedelta(hours=1),
                "ends_at": start + timedelta(hours=4),
            },
        )
    assert "该领导在此时段已有接访安排" in exc_info.value.message_dict["starts_at"][0]
    assert AuditEvent.objects.filter(action="reception.session_create").count() == 1


def test_staff_publish_and_cancel_through_the_pages(personas, make_session, client_for):
    session = make_session(published=False)
    url = f"/petitions/reception/sessions/{session.pk}/"
    assert client_for(personas.sibling).post(url + "publish/").status_code == 404
    assert client_for(personas.viewer).post(url + "publish/").status_code == 403
    same = client_for(personas.same)
    response = same.post(url + "publish/", {"version": session.version})
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.published and session.version == 2
    assert (
        f"/portal/reception/{session.pk}/book/"
        in Client().get("/portal/reception/").content.decode()
    )
    same.post(url + "cancel/", {"version": 1, "reason": "领导公出"})  # stale version
    session.refresh_from_db()
    assert session.cancelled_at is None
    same.post(url + "cancel/", {"version": 2, "reason": "领导公出"})
    session.refresh_from_db()
    assert session.cancelled_at is not None and session.cancel_reason == "领导公出"
    event = AuditEvent.objects.get(action="reception.session_cancel")
    assert event.actor == personas.same and event.after == {
        "reason": "领导公出",
        "active_bookings": 0,
    }


def test_staff_create_a_session_on_the_page(personas, client_for):
    start = timezone.localtime(timezone.now() + timedelta(days=7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    response = client_for(personas.clerk).post(
        "/petitions/reception/sessions/new/",
        {
            "leader": "parent",
            "leader_title": "一区区长",
            "unit": "D1",
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
            "place": "一区信访接待中心",
            "topics": "城乡建设",
            "capacity": "8",
        },
    )
    session = ReceptionSession.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{session.pk}/")
    assert session.starts_at == start and session.leader == personas.parent
    assert session.unit == personas.city.D1 and not session.published
    assert client_for(personas.viewer).get("/petitions/reception/sessions/new/").status_code == 403


# --- only the receiving office sees the bookings --------------------------------------------


@pytest.mark.smoke
def test_only_the_receiving_office_sees_the_bookings(personas, make_session, client_for):
    session = make_session()
    book(session)
    url = f"/petitions/reception/sessions/{session.pk}/"
    for persona in ("same", "parent", "clerk"):
        page = client_for(getattr(personas, persona)).get(url)
        assert page.status_code == 200, persona
        text = page.content.decode()
        assert NAME in text and "138****5678" in text and PHONE not in text, persona
    for persona in ("sibling", "outsider", "enterprise", "auditor", "sysadmin"):
        assert client_for(getattr(personas, persona)).get(url).status_code == 404, persona
    for persona in ("viewer", "member"):  # may list the sessions, not read the bookings
        assert client_for(getattr(personas, persona)).get(url).status_code == 403, persona

    def bookings(user: Any) -> int:
        return ReceptionBooking.objects.restrict(user, "view").count()

    assert [bookings(personas.same), bookings(personas.parent), bookings(personas.clerk)] == [1] * 3
    for persona in ("sibling", "outsider", "viewer", "member", "enterprise"):
        assert bookings(getattr(personas, persona)) == 0, persona


def test_the_session_list_is_scoped(personas, make_session, client_for):
    make_session()
    listing = "/petitions/reception/sessions/"
    for persona in ("same", "parent", "clerk", "viewer", "member"):
        page = client_for(getattr(personas, persona)).get(listing).content.decode()
        assert "一街道便民服务中心二楼" in page, persona
    assert (
        "一街道便民服务中心二楼" not in client_for(personas.sibling).get(listing).content.decode()
    )
    assert client_for(personas.enterprise).get(listing).status_code == 403
    assert NAME not in client_for(personas.viewer).get(listing).content.decode()


def test_nobody_is_notified_of_a_booking(make_session, mailoutbox):
    session = make_session()
    last = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
    book(session)
    assert mailoutbox == []
    after = AuditEvent.objects.filter(id__gt=last).values_list("action", flat=True)
    assert list(after) == ["reception.book"]


# --- the visit is recorded as an intake linked to the booking -------------------------------


@pytest.mark.smoke
def test_the_visit_is_recorded_as_a_petition_linked_to_the_booking(
    personas, make_session, client_for
):
    session = make_session()
    booking, _code = book(session)
    url = f"/petitions/reception/bookings/{booking.pk}/visit/"
    # not before the day of the session
    with pytest.raises(ReceptionConflict) as exc_info:
        reception.reception_visit_record(
            actor=personas.clerk,
            booking=booking,
            kind="claim",
            category=Category.objects.get(code="labour"),
            title="t",
            content="c",
            unit=personas.city.T1,
        )
    assert refusal(exc_info) == "自接访当日起方可登记来访。"
    begin(session)
    # the unit head manages the session but does not register petitions
    assert client_for(personas.same).get(url).status_code == 403
    assert client_for(personas.sibling).get(url).status_code == 404
    clerk = client_for(personas.clerk)
    assert "拆迁安置房逾期未交付" in clerk.get(url).content.decode()
    response = clerk.post(
        url,
        {
            "kind": "claim",
            "category": "land",
            "title": "拆迁安置房逾期未交付",
            "content": "2023年拆迁，承诺两年交房，至今未交付，过渡费停发。",
            "unit": "T1",
        },
    )
    assert response.status_code == 200
    booking.refresh_from_db()
    petition = booking.visited_petition
    assert petition is not None and petition.number in response.content.decode()
    assert petition.channel == "visit" and petition.registering_unit == personas.city.T1
    assert petition.registered_by == personas.clerk
    assert [c.name for c in petition.complainants.all()] == [NAME]
    assert petition.complainants.get().phone == PHONE
    event = AuditEvent.objects.get(action="reception.visit_record")
    assert event.after == {"session": session.pk, "leader": "same", "petition": petition.number}
    # the session page links the case; a second record is refused
    page = clerk.get(f"/petitions/reception/sessions/{session.pk}/").content.decode()
    assert petition.number in page
    with pytest.raises(ReceptionConflict) as exc_info:
        reception.reception_visit_record(
            actor=personas.clerk,
            booking=booking,
            kind="claim",
            category=petition.category,
            title="again",
            content="again",
            unit=personas.city.T1,
        )
    assert refusal(exc_info) == f"该预约的来访已登记为信访事项 {petition.number}。"
    assert Petition.objects.count() == 1
    # once visited, the booker can no longer cancel
    with pytest.raises(ReceptionConflict):
        reception.reception_booking_cancel(code=_code)


# --- query counts ---------------------------------------------------------------------------


@pytest.mark.dbdep
def test_the_portal_session_list_is_a_fixed_number_of_queries(
    personas, make_session, django_assert_num_queries
):
    for day in range(1, 6):
        session = make_session(starts_at=timezone.now() + timedelta(days=day))
        book(session, name=f"甲{day}")
    client = Client()
    client.get("/portal/reception/")  # warm up (content types, translations)
    with django_assert_num_queries(1):
        response = client.get("/portal/reception/")
    assert response.content.decode().count("/book/") == 5


@pytest.mark.dbdep
def test_the_staff_session_page_is_a_fixed_number_of_queries(personas, make_session, client_for):
    """The session, the view_bookings check and the bookings: 3 queries, whatever the bookings.

    (The rest — sign-in session, user, grants, navbar — belongs to core and is not pinned here.)
    """
    session = make_session(capacity=20)
    book(session, name="乙")
    client = client_for(personas.same)
    url = f"/petitions/reception/sessions/{session.pk}/"
    client.get(url)

    def queries() -> tuple[int, int]:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        ours = [q for q in ctx.captured_queries if "petitions_reception" in q["sql"]]
        return len(ctx.captured_queries), len(ours)

    total, ours = queries()
    assert ours == 3
    for i in range(10):
        book(session, name=f"乙{i}")
    assert queries() == (total, 3)


# --- demo data ------------------------------------------------------------------------------


@pytest.mark.slow
def test_demo_sessions(settings):
    import random

    from faker import Faker

    from anxin.core import demo
    from anxin.petitions.demo_reception import seed_reception

    settings.ANXIN_DEMO = True
    faker = Faker("zh_CN")
    faker.seed_instance(1)
    ctx = demo.DemoContext(seed=1, rng=random.Random(1), faker=faker, demo_logins=True)
    demo.seed(ctx)
    seed_reception(ctx)
    seed_reception(ctx)  # a second run keeps them
    assert ReceptionSession.objects.count() == 9
    assert ReceptionSession.objects.filter(published=True).count() == 6
    assert ReceptionBooking.objects.filter(cancelled_at__isnull=False).count() == 3
    assert ctx.out[-1] == "reception days: kept the existing ones"
