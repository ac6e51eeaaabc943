"""Seeded ledgers for the indicator and ranking tests, covering the edge cases of each
definition (docs/indicators.md). Loaded with ``pytest_plugins = ["anxin.reports.tests.kpi_data"]``
(test modules do not import it, so that pytest can rewrite its asserts).

The period is November 2026 and "today" is 20 November 2026 (``indicators.today`` is patched).
Rows are written directly: each case is a precise state on a precise date that the services
would take weeks of simulated time to reach. Every petition is linked (``PetitionUnit``) to the
units it belongs to, as the services do, so ``restrict`` sees it as in production.

Units (core.testing): C ─ D1 ─ T1 ─ V1, D1 ─ T2, C ─ D2 ─ T3, C ─ DEP.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.utils import timezone

from anxin.reports import indicators

TODAY = dt.date(2026, 11, 20)
FROM, TO = "2026-11-01", "2026-11-30"


def d(month: int, day: int) -> dt.date:
    return dt.date(2026, month, day)


def at(month: int, day: int, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(2026, month, day, hour))


@dataclass
class Seed:
    city: Any
    petitions: dict[str, Any] = field(default_factory=dict)
    hazards: dict[str, Any] = field(default_factory=dict)
    sites: dict[str, Any] = field(default_factory=dict)


class Builder:
    def __init__(self, personas: Any) -> None:
        from anxin.petitions.models import Category

        self.p = personas
        self.c = personas.city
        self.category = Category.objects.get(code="labour")
        self.n = 0
        self.seed = Seed(personas.city)

    # --- petitions ----------------------------------------------------------------------
    def petition(
        self,
        name: str,
        *,
        unit: Any,
        received: dt.date = d(11, 2),
        lead: Any = None,
        **fields: Any,
    ) -> Any:
        from anxin.petitions.models import Petition, PetitionUnit

        self.n += 1
        number = f"XF2026{self.n:07d}"
        p = Petition.objects.create(
            number=number,
            query_digest=hashlib.sha256(number.encode()).hexdigest(),
            channel="letter",
            kind=fields.pop("kind", "claim"),
            category=self.category,
            title=f"案件{name}",
            content="内容",
            received_on=received,
            registering_unit=self.c.C,
            current_unit=unit,
            lead_unit=lead,
            **fields,
        )
        links = {(self.c.C, "registering"), (unit, "holding")}
        if lead is not None:
            links.add((lead, "lead"))
        for u, role in links:
            PetitionUnit.objects.create(petition=p, unit=u, role=role)
        self.seed.petitions[name] = p
        return p

    def clock(
        self,
        petition: Any,
        name: str,
        *,
        unit: Any,
        due: dt.date,
        state: str = "running",
        stopped: dt.date | None = None,
    ) -> Any:
        from anxin.supervision.models import Clock

        return Clock.objects.create(
            subject_type="petitions.petition",
            subject_id=petition.pk,
            name=name,
            unit=unit,
            rule="calendar_days",
            start_on=due - dt.timedelta(days=15),
            days=15,
            due_on=due,
            state=state,
            stopped_on=stopped,
            paused_since=due - dt.timedelta(days=3) if state == "paused" else None,
        )

    def decision(self, petition: Any, *, unit: Any, signed: dt.datetime | None) -> Any:
        from anxin.petitions.models import Decision

        return Decision.objects.create(
            petition=petition,
            stage="decision",
            unit=unit,
            facts="事实",
            reasons="理由",
            outcome="support",
            legal_basis="依据",
            drafted_by=self.p.member,
            signed_off_by=self.p.same if signed else None,
            signed_off_at=signed,
        )

    # --- safety -------------------------------------------------------------------------
    def site(self, name: str, *, unit: Any, regulator: Any, status: str = "active") -> Any:
        from anxin.safety.models import Sector, Site

        s = Site.objects.create(
            name=name,
            sector=Sector.objects.get(code="industry_trade"),
            regulating_unit=regulator,
            unit=unit,
            address="和平路1号",
            risk_level="yellow",
            status=status,
            created_at=at(1, 5),
        )
        self.seed.sites[name] = s
        return s

    def hazard(
        self,
        name: str,
        *,
        site: Any,
        found: dt.datetime,
        status: str = "rectifying",
        grade: str = "general",
        deadline: dt.date | None = None,
        closed: dt.datetime | None = None,
        unit: Any = None,
    ) -> Any:
        from anxin.safety.models_hazards import Hazard

        h = Hazard.objects.create(
            site=site,
            unit=unit or site.unit,
            description=f"隐患{name}",
            grade=grade,
            status=status,
            found_at=found,
            deadline=deadline,
            closed_at=closed,
            void_reason="重复登记" if status == "void" else "",
        )
        self.seed.hazards[name] = h
        return h

    def inspection(self, site: Any, *, started: dt.datetime, status: str = "signed") -> Any:
        from anxin.safety.models_inspections import Inspection

        return Inspection.objects.create(
            site=site,
            started_at=started,
            place=site.address,
            content="例行检查",
            status=status,
            signed_at=started if status == "signed" else None,
        )

    def accident(self, *, unit: Any, grade: str, occurred: dt.datetime) -> Any:
        from anxin.safety.models_accidents import Accident

        return Accident.objects.create(
            occurred_at=occurred,
            unit_informed_at=occurred,
            place="和平路",
            kind="fire",
            summary="火灾",
            grade=grade,
            unit=unit,
        )


def build(personas: Any) -> Seed:
    b = Builder(personas)
    c = personas.city

    # 及时受理率 (accept_by clocks)
    p1 = b.petition("P1", unit=c.T1, lead=c.T1)
    b.clock(p1, "accept_by", unit=c.T1, due=d(11, 5), state="met", stopped=d(11, 4))
    p2 = b.petition("P2", unit=c.V1, lead=c.V1)
    b.clock(p2, "accept_by", unit=c.V1, due=d(11, 10), state="missed", stopped=d(11, 12))
    p3 = b.petition("P3", unit=c.T2)
    b.clock(p3, "accept_by", unit=c.T2, due=d(11, 15))  # running, past due: counted, not met
    p4 = b.petition("P4", unit=c.T1)
    b.clock(p4, "accept_by", unit=c.T1, due=d(11, 25))  # not yet due: not counted
    p5 = b.petition("P5", unit=c.T1, received=d(10, 15), lead=c.T1)
    b.clock(p5, "accept_by", unit=c.T1, due=d(10, 30), state="met", stopped=d(10, 29))
    p6 = b.petition("P6", unit=c.T3, lead=c.T3)  # forwarded from T1 to T3
    b.clock(p6, "accept_by", unit=c.T1, due=d(11, 8), state="cancelled")
    b.clock(p6, "accept_by", unit=c.T3, due=d(11, 18), state="met", stopped=d(11, 16))
    # an accusation against D1, accepted in time at T1: shielded from people of D1's subtree
    p7 = b.petition("P7", unit=c.T1, lead=c.T1, kind="accusation", accused_unit=c.D1)
    b.clock(p7, "accept_by", unit=c.T1, due=d(11, 6), state="met", stopped=d(11, 6))

    # 按期答复率 (handle_by clocks)
    b.clock(p1, "handle_by", unit=c.T1, due=d(11, 19), state="met", stopped=d(11, 19))
    b.clock(p2, "handle_by", unit=c.V1, due=d(11, 12), state="missed", stopped=d(11, 14))
    b.clock(p3, "handle_by", unit=c.T2, due=d(11, 9), state="paused")  # suspended: not counted
    b.clock(p7, "handle_by", unit=c.T1, due=d(11, 18))  # running, past due: late

    # 参评率 / 满意率 (decisions signed off in the period)
    p1.rating, p1.rated_at = "satisfied", at(11, 20)
    p1.save(update_fields=["rating", "rated_at"])
    b.decision(p1, unit=c.T1, signed=at(11, 19))
    p2.rating = "dissatisfied"
    p2.save(update_fields=["rating"])
    b.decision(p2, unit=c.V1, signed=at(11, 14))
    p8 = b.petition("P8", unit=c.T1, lead=c.T1)
    b.decision(p8, unit=c.T1, signed=at(11, 16))  # not rated
    p9 = b.petition("P9", unit=c.T1, lead=c.T1, received=d(9, 1), rating="satisfied")
    b.decision(p9, unit=c.T1, signed=at(10, 20))  # answered in October
    p20 = b.petition("P20", unit=c.T1, lead=c.T1, rating="basically_satisfied")
    b.decision(p20, unit=c.T1, signed=None)  # drafted, not signed off: not decided

    # 重复信访率 (received in the period)
    b.petition("P10", unit=c.T1, lead=c.T1, received=d(11, 3), repeat_of=p9)
    b.petition("P11", unit=c.T1, lead=c.T1, received=d(11, 3), status="merged", merged_into=p1)

    # 初信初访化解率 (first-time petitions closed in the period)
    b.petition("P12", unit=c.T1, lead=c.T1, received=d(10, 1), status="closed",
               closed_at=at(11, 10), rating="satisfied")  # fmt: skip
    b.petition("P13", unit=c.T1, lead=c.T1, received=d(10, 1), status="closed",
               closed_at=at(11, 11), rating="basically_satisfied", review_unit=c.D1)  # fmt: skip
    b.petition("P14", unit=c.T1, lead=c.T1, received=d(10, 1), status="closed",
               closed_at=at(11, 12), rating="satisfied", repeat_of=p9)  # fmt: skip
    b.petition("P15", unit=c.T1, lead=c.T1, received=d(10, 1), status="closed",
               closed_at=at(11, 13), rating="dissatisfied")  # fmt: skip

    # 积案化解率 (backlog listed before the period)
    b.petition("P16", unit=c.T2, lead=c.T2, received=d(6, 1), status="closed",
               closed_at=at(11, 15), is_backlog=True, backlog_since=d(9, 1))  # fmt: skip
    b.petition("P17", unit=c.T2, lead=c.T2, received=d(6, 1), status="handling",
               is_backlog=True, backlog_since=d(9, 1))  # fmt: skip
    b.petition("P18", unit=c.T2, lead=c.T2, received=d(6, 1), status="handling",
               is_backlog=True, backlog_since=d(11, 5))  # fmt: skip
    b.petition("P19", unit=c.T2, lead=c.T2, received=d(6, 1), status="closed",
               closed_at=at(10, 20), is_backlog=True, backlog_since=d(8, 1))  # fmt: skip

    # hazards: S1 in V1 and S2 in T3, both regulated by the department DEP; S3 closed
    s1 = b.site("S1", unit=c.V1, regulator=c.DEP)
    s2 = b.site("S2", unit=c.T3, regulator=c.DEP)
    s3 = b.site("S3", unit=c.T1, regulator=c.DEP, status="closed")
    b.site("S4", unit=c.T2, regulator=None)
    b.hazard("H1", site=s1, found=at(11, 2), status="closed", closed=at(11, 19), deadline=d(11, 30))
    b.hazard("H2", site=s1, found=at(11, 3), grade="major", deadline=d(11, 10))
    b.hazard("H3", site=s2, found=at(11, 4), grade="major", status="closed", closed=at(11, 19))
    b.hazard("H4", site=s1, found=at(11, 5), status="void")
    b.hazard("H5", site=None, unit=c.T1, found=at(11, 6), status="reported")
    b.hazard("H6", site=s1, found=at(10, 15), deadline=d(10, 31))  # overdue since October
    b.hazard("H7", site=s1, found=at(10, 1), status="closed", closed=at(11, 5), deadline=d(10, 20))
    b.hazard("H8", site=s3, found=at(11, 7), deadline=d(12, 31))  # not yet due

    # 检查覆盖率
    b.inspection(s1, started=at(11, 5))
    b.inspection(s2, started=at(11, 6), status="draft")  # a draft does not count
    b.inspection(s3, started=at(11, 7))  # a closed site is not in the denominator

    # accidents
    b.accident(unit=c.T1, grade="ordinary", occurred=at(11, 3))
    b.accident(unit=c.T3, grade="serious", occurred=at(11, 10))
    b.accident(unit=c.T1, grade="ordinary", occurred=at(10, 30))
    return b.seed


@pytest.fixture
def frozen_today(monkeypatch: Any) -> dt.date:
    monkeypatch.setattr(indicators, "today", lambda: TODAY)
    return TODAY


@pytest.fixture
def seeded(personas: Any, frozen_today: dt.date) -> Seed:
    """The ledgers written directly (not through the services), then the rollups recounted
    from them, as after ``seed_bulk`` and ``rebuild_rollups``."""
    from anxin.reports import rollups

    seed = build(personas)
    rollups.rebuild()
    return seed
