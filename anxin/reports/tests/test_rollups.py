"""Rollups follow every audited change in the writer's transaction, and a rebuild from the
ledgers gives the same figures."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anxin.petitions import services
from anxin.petitions.models import DeclineReason
from anxin.reports import rollups
from anxin.reports.models_rollups import ClockDaily, HazardDaily, PetitionDaily, PetitionMonthly
from anxin.reports.tests.rollup_helpers import snapshot
from anxin.safety import hazards

pytestmark = pytest.mark.django_db


def test_registering_a_petition_counts_it_received_on_its_day(personas: Any, register: Any) -> None:
    p = register(received_on=dt.date(2026, 9, 16), channel="visit").petition
    row = PetitionDaily.objects.get()
    assert (row.day, row.unit_id, row.channel, row.kind, row.category_id) == (
        dt.date(2026, 9, 16),
        personas.city.C.pk,
        "visit",
        "claim",
        p.category_id,
    )
    assert (row.received, row.accepted, row.closed) == (1, 0, 0)


def test_a_second_petition_of_the_same_key_increments_the_same_row(register: Any) -> None:
    register(received_on=dt.date(2026, 9, 16))
    register(received_on=dt.date(2026, 9, 16), title="另一件事情")
    assert list(PetitionDaily.objects.values_list("received", flat=True)) == [2]


def test_accepting_declining_and_closing_move_their_counters(personas: Any, register: Any) -> None:
    a = register(received_on=dt.date(2026, 9, 16)).petition
    b = register(received_on=dt.date(2026, 9, 16), title="另一件事情").petition
    services.petition_accept(actor=personas.clerk, petition=a, lead_unit=personas.city.T1)
    b = services.petition_decline(
        actor=personas.clerk, petition=b, reason=DeclineReason.objects.get(code="litigation")
    )
    services.petition_close(actor=personas.clerk, petition=b, reason="已告知通过诉讼渠道解决")
    today = timezone.localdate()
    row = PetitionDaily.objects.get(day=today)
    assert (row.unit_id, row.accepted, row.declined, row.closed) == (personas.city.C.pk, 1, 1, 1)


def test_the_increment_is_one_read_and_one_write(
    personas: Any, register: Any, django_assert_max_num_queries: Any
) -> None:
    p = register(received_on=dt.date(2026, 9, 16)).petition
    services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    from anxin.core.models import AuditEvent

    event = AuditEvent.objects.filter(action="petition.accepted").get()
    with django_assert_max_num_queries(2):  # the timeline row, then the UPDATE (row exists)
        rollups._petition("accepted", event, p)
    # the case's indicator rows (kpi_rollups) are already current: their two reads, no write
    with django_assert_max_num_queries(4):
        rollups.apply_event(event, p)


def test_other_actions_do_not_touch_the_rollups(
    personas: Any, django_assert_num_queries: Any
) -> None:
    from anxin.core.models import AuditEvent

    event = AuditEvent(action="unit.update", object_type="core.unit", object_id="1")
    with django_assert_num_queries(0):
        rollups.apply_event(event, personas.city.C)


@pytest.mark.usefixtures("media")
def test_a_hazard_counts_found_for_its_territory_and_regulator(
    personas: Any, site: Any, hazard_factory: Any
) -> None:
    found = timezone.now() - dt.timedelta(days=3)
    hazard_factory(
        found_at=found, grade="major", deadline=timezone.localdate() + dt.timedelta(days=10)
    )
    row = HazardDaily.objects.get()
    assert (row.day, row.unit_id, row.regulating_unit_id, row.grade, row.sector_id, row.found) == (
        timezone.localdate(found),
        site.unit_id,
        site.regulating_unit_id,
        "major",
        site.sector_id,
        1,
    )


def test_rebuild_command_recomputes_a_range_only(personas: Any, register: Any) -> None:
    register(received_on=dt.date(2026, 9, 16))
    register(received_on=dt.date(2026, 9, 20))
    PetitionDaily.objects.update(received=7)
    out = StringIO()
    call_command("rebuild_rollups", "--from", "2026-09-16", "--to", "2026-09-16", stdout=out)
    assert "petitiondaily: 1 rows" in out.getvalue()
    assert dict(PetitionDaily.objects.values_list("day", "received")) == {
        dt.date(2026, 9, 16): 1,
        dt.date(2026, 9, 20): 7,
    }


def test_rebuild_rejects_a_reversed_range() -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--from is after --to"):
        call_command("rebuild_rollups", "--from", "2026-09-20", "--to", "2026-09-16")


# --- rebuild == incremental -------------------------------------------------------------------

OPS = st.lists(
    st.tuples(
        st.sampled_from(["register", "accept", "decline", "close", "hazard", "hazard_void"]),
        st.integers(min_value=0, max_value=40),  # days back
        st.sampled_from(["web", "letter", "visit"]),
        st.sampled_from(["claim", "suggestion"]),
    ),
    min_size=1,
    max_size=12,
)


class _Rollback(Exception):
    pass


@pytest.mark.usefixtures("media")
@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_rebuild_equals_incremental(
    personas: Any, register: Any, site: Any, hazard_factory: Any, ops: list[Any]
) -> None:
    litigation = DeclineReason.objects.get(code="litigation")
    today = timezone.localdate()
    try:
        with transaction.atomic():
            for model in (PetitionDaily, PetitionMonthly, HazardDaily, ClockDaily):
                model.objects.all().delete()
            registered: list[Any] = []
            declined: list[Any] = []
            open_hazards: list[Any] = []
            for op, back, channel, kind in ops:
                day = today - dt.timedelta(days=back)
                if op == "register":
                    registered.append(
                        register(
                            received_on=day,
                            channel=channel,
                            kind=kind,
                            title=f"事项{len(registered)}号",
                        ).petition
                    )
                elif op == "accept" and registered:
                    services.petition_accept(
                        actor=personas.clerk, petition=registered.pop(), lead_unit=personas.city.T1
                    )
                elif op == "decline" and registered:
                    declined.append(
                        services.petition_decline(
                            actor=personas.clerk, petition=registered.pop(), reason=litigation
                        )
                    )
                elif op == "close" and declined:
                    services.petition_close(
                        actor=personas.clerk, petition=declined.pop(), reason="已告知其他渠道"
                    )
                elif op == "hazard":
                    found = timezone.now() - dt.timedelta(days=back)
                    open_hazards.append(
                        hazard_factory(
                            found_at=found,
                            grade="general",
                            deadline=timezone.localdate(found) + dt.timedelta(days=60),
                        )
                    )
                elif op == "hazard_void" and open_hazards:
                    hazards.hazard_void(actor=None, hazard=open_hazards.pop(), reason="登记错误")
            incremental = snapshot()
            rollups.rebuild()
            assert snapshot() == incremental
            raise _Rollback
    except _Rollback:
        pass


def test_a_failing_rollup_never_fails_the_writer(
    personas: Any, register: Any, monkeypatch: Any, caplog: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollups, "bump", broken)
    p = register(received_on=dt.date(2026, 9, 16)).petition
    assert p.pk is not None and not PetitionDaily.objects.exists()
    assert "rollups: petition.registered on petitions.petition" in caplog.text
    rollups.rebuild()  # the next rebuild counts it
    assert PetitionDaily.objects.get().received == 1
