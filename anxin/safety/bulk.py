"""Bulk sites and hazards for benchmarks and load tests (``manage.py seed_bulk --hazards M``).

One site per ten hazards, spread over every active sector and every township or village; each
hazard found in the last three years with the fields its services would have set for its state
(五落实 once rectifying, verification, 销号, a reason when void), its ``rectify_by`` clock, and
the steps of its timeline (``HazardEvent``) that the rollups count: its creation (``reported`` or
``registered``, at ``found_at``) and its end (``closed`` at ``closed_at``, ``voided``) — so that
``rebuild_rollups`` finds what the services would have left and the dashboards read realistic
hazard figures. Sites carry valid 统一社会信用代码 (unique, GB 32100 check character).
Deterministic for a seed.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.utils import timezone

from anxin.core.bulk import (
    BulkWriter,
    analyze,
    indexes_dropped,
    next_id,
    reset_sequences,
    stop_state,
)
from anxin.core.choices import UnitKind
from anxin.core.identifiers import CREDIT_ALPHABET, credit_code_check_char
from anxin.core.models import Unit
from anxin.safety.hazard_rules import (
    CLOCK_NAME,
    CLOCK_SUBJECT,
    HazardGrade,
    HazardSource,
    HazardStatus,
)
from anxin.safety.models import Sector, Site
from anxin.safety.models_hazards import Hazard, HazardEvent
from anxin.supervision.models import Clock

#: the ``seed_bulk`` option that asks for hazards
OPTION = "hazards"
OPTION_HELP = "hazards (and one site per ten) to write"
CHUNK = 20_000
YEARS = 3
HAZARDS_PER_SITE = 10

SITE_WORDS = ["宏达", "安顺", "鑫源", "华泰", "永兴", "金辉", "恒通", "瑞丰", "东方", "新城"]
SITE_KINDS = [
    "商贸有限公司",
    "建材厂",
    "物流有限公司",
    "酒店",
    "加油站",
    "烟花爆竹经营部",
    "幼儿园",
    "建筑工程有限公司",
]
PROBLEMS = [
    ("安全出口被货物堵塞", "清理堵塞物，保持安全出口畅通"),
    ("消防器材过期未更换", "更换过期灭火器并建立检查记录"),
    ("电气线路私拉乱接", "由持证电工重新敷设线路"),
    ("特种作业人员无证上岗", "停止作业，组织培训取证"),
    ("危险化学品储存混放", "按性质分类分区储存"),
    ("脚手架未设置连墙件", "按方案补设连墙件并验收"),
    ("应急照明不亮", "维修更换应急照明灯具"),
    ("未开展安全教育培训", "制定培训计划并组织全员培训"),
]
ROADS = ["解放路", "人民路", "建设大道", "滨河路", "工业园一路", "新华街"]


def _credit_code(n: int) -> str:
    """A well-formed 统一社会信用代码 for the n-th bulk site (unique per n)."""
    body = ""
    value = n
    for _ in range(9):
        body = CREDIT_ALPHABET[value % 31] + body
        value //= 31
    first17 = "9199" + "0100" + body  # 9 1: enterprise; 990100: the fictional city
    return first17 + credit_code_check_char(first17)


def _status_for(rng: random.Random, age: int) -> str:
    s = HazardStatus
    if age < 30:
        pairs = [(s.REPORTED, 5), (s.REGISTERED, 20), (s.RECTIFYING, 45), (s.SUBMITTED, 15),
                 (s.VERIFIED, 5), (s.CLOSED, 8), (s.VOID, 2)]  # fmt: skip
    elif age < 120:
        pairs = [(s.REGISTERED, 4), (s.RECTIFYING, 18), (s.SUBMITTED, 6), (s.VERIFIED, 4),
                 (s.CLOSED, 66), (s.VOID, 2)]  # fmt: skip
    else:
        pairs = [(s.RECTIFYING, 3), (s.CLOSED, 94), (s.VOID, 3)]
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


SITE_FIELDS = [
    "id", "uid", "name", "credit_code", "sector_id", "regulating_unit_id", "unit_id", "address",
    "risk_level", "created_at", "updated_at",
]  # fmt: skip
HAZARD_FIELDS = [
    "id", "uid", "site_id", "unit_id", "description", "place", "grade", "status", "source",
    "found_at", "deadline", "responsible", "measures", "funds", "contingency_plan",
    "production_stopped", "resumption_approved_at", "supervision_unit_id",
    "supervision_listed_at", "submitted_at", "verified_at", "verification_notes", "closed_at",
    "void_reason", "created_at", "updated_at",
]  # fmt: skip
EVENT_FIELDS = ["hazard_id", "at", "kind", "actor_id", "actor_label", "data"]
#: who the bulk timeline names (the account ``seed_bulk`` creates is named the same)
EVENT_LABEL = "批量数据"
CLOCK_FIELDS = [
    "subject_type", "subject_id", "name", "unit_id", "rule", "start_on", "days", "due_on",
    "state", "stopped_on", "created_at", "updated_at",
]  # fmt: skip


def seed(
    count: int,
    *,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``count`` hazards and their sites in the caller's transaction; returns count."""
    if count <= 0:
        return 0
    rng = random.Random(seed * 7919 + 1)
    today = today or timezone.localdate()
    tz = timezone.get_current_timezone()
    sectors = list(Sector.objects.filter(is_active=True).order_by("pk"))
    units = list(
        Unit.objects.filter(
            is_active=True, kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE]
        ).order_by("pk")
    )
    districts = list(Unit.objects.filter(is_active=True, kind=UnitKind.DISTRICT).order_by("pk"))
    if not sectors or not units:
        raise RuntimeError("seed_bulk needs the organisation tree and the sectors")
    n_sites = max(1, count // HAZARDS_PER_SITE)
    first_site = next_id(Site)
    first_hazard = next_id(Hazard)
    site_writer = BulkWriter(Site, SITE_FIELDS)
    hazard_writer = BulkWriter(Hazard, HAZARD_FIELDS)
    clock_writer = BulkWriter(Clock, CLOCK_FIELDS)
    event_writer = BulkWriter(HazardEvent, EVENT_FIELDS)
    site_units: list[tuple[int, int]] = []  # (site id, unit id) by index
    tables = [site_writer.table, hazard_writer.table, clock_writer.table, event_writer.table]
    span = YEARS * 365
    with indexes_dropped(tables):
        rows: list[tuple[Any, ...]] = []
        now = timezone.now()
        for i in range(n_sites):
            pk = first_site + i
            sector = sectors[i % len(sectors)]
            unit = units[rng.randrange(len(units))]
            rows.append(
                (
                    pk,
                    uuid.UUID(int=rng.getrandbits(128), version=4),
                    f"示范市{rng.choice(SITE_WORDS)}{rng.choice(SITE_KINDS)}{pk}号",
                    _credit_code(pk),
                    sector.pk,
                    sector.department_id,
                    unit.pk,
                    f"示范市{rng.choice(ROADS)}{rng.randrange(1, 999)}号",
                    rng.choices(["red", "orange", "yellow", "blue"], weights=[3, 12, 40, 45])[0],
                    now,
                    now,
                )
            )
            site_units.append((pk, unit.pk))
        site_writer.write(rows)
        done = 0
        while done < count:
            n = min(CHUNK, count - done)
            hazards: list[tuple[Any, ...]] = []
            clocks: list[tuple[Any, ...]] = []
            events: list[tuple[Any, ...]] = []
            for i in range(n):
                pk = first_hazard + done + i
                site_id, unit_id = site_units[rng.randrange(n_sites)]
                age = int(span * (rng.random() ** 1.3))
                found = dt.datetime.combine(
                    today - dt.timedelta(days=age), dt.time(9 + rng.randrange(8)), tz
                )
                status = _status_for(rng, age)
                major = rng.random() < 0.05
                problem, measure = PROBLEMS[rng.randrange(len(PROBLEMS))]
                deadline = found.date() + dt.timedelta(days=rng.choice([7, 15, 30, 60]))
                registered = status not in (HazardStatus.REPORTED, HazardStatus.VOID)
                rectifying = status in (
                    HazardStatus.RECTIFYING,
                    HazardStatus.SUBMITTED,
                    HazardStatus.VERIFIED,
                    HazardStatus.CLOSED,
                )
                submitted = status in (
                    HazardStatus.SUBMITTED,
                    HazardStatus.VERIFIED,
                    HazardStatus.CLOSED,
                )
                verified = status in (HazardStatus.VERIFIED, HazardStatus.CLOSED)
                end = found + dt.timedelta(days=rng.randrange(3, 40))
                stopped = major and rng.random() < 0.4
                source = (
                    HazardSource.REPORT
                    if status in (HazardStatus.REPORTED, HazardStatus.VOID)
                    else rng.choice([HazardSource.INSPECTION, HazardSource.SELF_CHECK])
                )
                void_reason = "经核实不属于事故隐患" if status == HazardStatus.VOID else ""
                hazards.append(
                    (
                        pk,
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        site_id if status != HazardStatus.REPORTED else None,
                        unit_id,
                        f"{problem}（{rng.choice(ROADS)}）",
                        "",
                        HazardGrade.MAJOR if major else HazardGrade.GENERAL,
                        status,
                        source,
                        found,
                        deadline if registered else None,
                        "王经理" if rectifying else "",
                        measure if rectifying else "",
                        Decimal(rng.randrange(1, 50) * 1000) if rectifying else None,
                        "已制定专项应急预案" if rectifying and major else "",
                        stopped,
                        end if stopped and status == HazardStatus.CLOSED else None,
                        districts[unit_id % len(districts)].pk
                        if major and districts and registered and rng.random() < 0.3
                        else None,
                        found if major and registered else None,
                        end if submitted else None,
                        end if verified else None,
                        "经现场验收，整改到位" if verified else "",
                        end if status == HazardStatus.CLOSED else None,
                        void_reason,
                        found,
                        end if status not in (HazardStatus.REPORTED,) else found,
                    )
                )
                # the timeline the services write: creation, then the end when there is one
                grade = HazardGrade.MAJOR if major else HazardGrade.GENERAL
                events.append(
                    (
                        pk,
                        found,
                        "registered" if registered else "reported",
                        None,
                        EVENT_LABEL,
                        {
                            "grade": grade,
                            "deadline": deadline.isoformat() if registered else None,
                            "source": source,
                            "inspection": None,
                            "recurrence_of": None,
                        },
                    )
                )
                if status == HazardStatus.CLOSED:
                    events.append((pk, end, "closed", None, EVENT_LABEL, {"notes": ""}))
                elif status == HazardStatus.VOID:
                    events.append((pk, end, "voided", None, EVENT_LABEL, {"reason": void_reason}))
                if registered:
                    open_ = status in (
                        HazardStatus.REGISTERED,
                        HazardStatus.RECTIFYING,
                        HazardStatus.SUBMITTED,
                    )
                    start = min(found.date(), deadline)
                    stopped_on = min(end.date(), today)
                    clocks.append(
                        (
                            CLOCK_SUBJECT, pk, CLOCK_NAME, unit_id, "fixed", start,
                            (deadline - start).days, deadline,
                            "running" if open_ else stop_state(stopped_on, deadline),
                            None if open_ else stopped_on,
                            found, found,
                        )
                    )  # fmt: skip
            hazard_writer.write(hazards)
            clock_writer.write(clocks)
            event_writer.write(events)
            done += n
            if progress:
                progress(done, count)
    reset_sequences([Site, Hazard, Clock, HazardEvent])
    analyze(tables)
    return count
