"""A claim end to end through the services, on the statutory clocks (rules §1–2)."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from anxin.petitions import clocks, services
from anxin.petitions.models import PetitionEvent
from anxin.petitions.services import StateConflict

pytestmark = [pytest.mark.django_db, pytest.mark.smoke]


def reload(p):
    p.refresh_from_db()
    return p


def test_registration_gives_number_query_code_and_accept_clock(personas, register):
    result = register(received_on=date(2026, 9, 16))
    p = result.petition
    assert p.number.startswith("XF2026") and len(p.number) == 13
    assert len(result.query_code) == 14 and result.query_code not in p.query_digest
    assert p.status == "registered" and p.current_unit == personas.city.C
    # 15 days from 2026-09-16 end on a holiday (10-01) → the next working day (民法典 Art. 203)
    assert clocks.deadlines(p) == {"accept_by": "2026-10-08"}


def test_a_claim_walks_the_whole_path(personas, register):
    c = personas.city
    p = register(received_on=date(2026, 9, 16)).petition
    # forward to township T1 …
    p = services.petition_forward(
        actor=personas.clerk, petition=p, to_unit=c.T1, on=date(2026, 9, 30)
    )
    assert p.status == "registered" and p.current_unit == c.T1 and p.transfer_count == 1
    d = clocks.deadlines(p)
    assert d["object_by"] == "2026-10-13"  # 5 working days from 09-30 (rules §1)
    assert d["accept_by"] == "2026-10-15"
    # … which objects; the dispatcher upholds it and the case returns to the city
    p = services.petition_object(
        actor=personas.same, petition=p, reason="不属本街道职责", on=date(2026, 10, 9)
    )
    p = services.petition_settle_objection(
        actor=personas.clerk, petition=p, upheld=True, on=date(2026, 10, 12)
    )
    assert p.current_unit == c.C and p.transfer_count == 2
    # accepted with T1 as lead unit, the T1 head owning the case
    p = services.petition_accept(
        actor=personas.clerk,
        petition=p,
        lead_unit=c.T1,
        co_units=[c.DEP],
        leader=personas.same,
        on=date(2026, 10, 12),
    )
    assert p.status == "handling"
    assert clocks.deadlines(p)["handle_by"] == "2026-12-11"
    p = services.petition_extend(actor=personas.same, petition=p, days=10, reason="需现场核实")
    assert clocks.deadlines(p)["handle_by"] == "2026-12-21"
    with pytest.raises(ValidationError):
        services.petition_extend(actor=personas.same, petition=p, days=21, reason="再延")
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome="explain",
        facts="经核实……",
        reasons="依据……",
        legal_basis="《劳动法》第五十条",
    )
    with pytest.raises(PermissionDenied):  # the handler may not sign off
        services.petition_sign_off(actor=personas.member, petition=p)
    p = services.petition_sign_off(actor=personas.same, petition=reload(p), on=date(2026, 11, 1))
    assert p.status == "decided" and p.outcome == "explain"
    p = services.petition_deliver(
        actor=personas.member,
        petition=p,
        document="decision",
        method="post",
        delivered_on=date(2026, 11, 2),
    )
    assert clocks.deadlines(p)["review_request_by"] == "2026-12-02"
    p = services.petition_rate(actor=None, petition=p, rating="dissatisfied")
    p = services.petition_request_review(
        actor=None, petition=p, reason="不服", on=date(2026, 11, 20)
    )
    assert p.status == "review" and p.review_unit == c.D1
    assert clocks.deadlines(p)["review_by"] == "2026-12-21"  # 12-20 is a Sunday
    services.petition_decide_review(
        actor=personas.parent,
        petition=p,
        outcome="explain",
        facts="复查查明……",
        reasons="……",
        legal_basis="第三十五条",
    )
    p = services.petition_sign_off(actor=personas.parent, petition=reload(p), on=date(2026, 11, 24))
    assert p.status == "reviewed"
    p = services.petition_deliver(
        actor=personas.parent,
        petition=p,
        document="review_decision",
        method="in_person",
        delivered_on=date(2026, 11, 25),
    )
    p = services.petition_request_recheck(
        actor=None, petition=p, reason="仍不服", on=date(2026, 11, 26)
    )
    assert p.status == "recheck" and p.recheck_unit == c.C
    kinds = list(PetitionEvent.objects.filter(petition=p).values_list("kind", flat=True))
    assert kinds == [
        "registered",
        "forwarded",
        "objected",
        "objection_settled",
        "accepted",
        "extended",
        "decision_drafted",
        "signed_off",
        "delivered",
        "rated",
        "review_requested",
        "review_drafted",
        "signed_off",
        "delivered",
        "recheck_requested",
    ]


def test_a_step_in_the_wrong_state_is_409_naming_the_state(personas, register):
    p = register().petition
    with pytest.raises(StateConflict) as exc:
        services.petition_sign_off(actor=personas.clerk, petition=p)
    assert exc.value.status == 409
    assert "已登记" in str(exc.value.message)


def test_stale_version_is_a_conflict(personas, register):
    from anxin.core.errors import VersionConflict

    p = register().petition
    with pytest.raises(VersionConflict):
        services.petition_forward(
            actor=personas.clerk, petition=p, to_unit=personas.city.T1, version=p.version + 1
        )


def test_decline_needs_a_channel_and_stops_the_clock(personas, register, litigation):
    p = register().petition
    p = services.petition_decline(actor=personas.clerk, petition=p, reason=litigation)
    assert p.status == "declined" and p.channel_advice == "依法向人民法院提起诉讼"
    assert clocks.running(p) == {}


def test_group_visits_have_at_most_five_representatives(personas, register):
    reps = [services.ComplainantIn(name=f"代表{i}") for i in range(6)]
    with pytest.raises(ValidationError) as exc:
        register(channel="visit", complainants=[], representatives=reps)
    assert exc.value.message_dict["representatives"] == [
        "多人走访推选的代表不得超过 5 人（《信访工作条例》第二十条），当前填写了 6 人。"
    ]


def test_anonymous_petitions_store_no_identity(personas, register):
    p = register(anonymous=True, complainants=[]).petition
    assert p.complainants.count() == 0
    with pytest.raises(ValidationError):
        register(anonymous=True)


def test_a_bad_id_number_is_refused(personas, register):
    with pytest.raises(ValidationError) as exc:
        register(complainants=[services.ComplainantIn(name="李四", id_number="110105194912310021")])
    assert "complainants.0.id_number" in exc.value.message_dict


@pytest.mark.dbdep
def test_a_calendar_edit_moves_open_deadlines_and_notes_it(personas, register):
    from anxin.core.calendar import calendar_day_set

    p = register(received_on=date(2026, 9, 16)).petition
    assert clocks.deadlines(p) == {"accept_by": "2026-10-08"}
    # the city declares 2026-10-08 a rest day: the period now ends on the next working day
    calendar_day_set(actor=None, date=date(2026, 10, 8), kind="holiday", note="示范假日")
    assert clocks.deadlines(p) == {"accept_by": "2026-10-09"}
    event = PetitionEvent.objects.get(petition=p, kind="deadline_recomputed")
    assert event.data == {
        "clock": "accept_by",
        "old": "2026-10-08",
        "new": "2026-10-09",
        "calendar_dates": "2026-10-08",
    }


def test_a_deadline_in_a_year_without_holiday_data_does_not_fail(personas, register):
    from anxin.core.calendar import year_has_data

    assert not year_has_data(2027)
    p = register(received_on=date(2026, 11, 20)).petition
    # accepted on 2027-01-04: 60 days → 2027-03-05, counted on weekends only (no 2027 data)
    p = services.petition_accept(
        actor=personas.clerk, petition=p, lead_unit=personas.city.T1, on=date(2027, 1, 4)
    )
    assert clocks.deadlines(p)["handle_by"] == "2027-03-05"


def test_a_case_can_go_back_and_forth_between_units(personas, register):
    c = personas.city
    p = register().petition
    for unit in (c.T1, c.T2, c.T1, c.T2):
        p = services.petition_forward(actor=personas.clerk, petition=p, to_unit=unit)
    roles = set(p.unit_links.values_list("unit__code", "role"))
    assert roles == {
        ("C", "registering"),
        ("C", "former"),
        ("T1", "former"),
        ("T2", "former"),
        ("T2", "holding"),
    }
    assert p.transfer_count == 4


def test_the_case_leader_tops_the_escalation_ladder(personas, register):
    from anxin.supervision.models import Clock

    petition = register().petition
    services.petition_accept(
        actor=personas.clerk, petition=petition, lead_unit=personas.city.T1, leader=personas.same
    )
    clock = Clock.objects.get(
        subject_type="petitions.petition", subject_id=petition.pk, name="handle_by"
    )
    assert clock.responsible == personas.same and clock.leader == personas.same
