"""Demo enforcement orders (执法文书) through the services: a year of orders of every kind on
sites with hazards, some re-inspected, one power cut-off past its 24 hours' notice, and one site
with a major hazard penalised three times within 180 days (flagged under Art. 113).

Run after ``seed_hazards`` (it needs the inspectors and the hazards); a second run keeps the
existing orders.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from anxin.core.demo import DemoContext
from anxin.safety import enforcement
from anxin.safety.demo_hazards import _inspectors
from anxin.safety.enforcement_rules import OrderKind
from anxin.safety.hazard_rules import HazardGrade
from anxin.safety.models_enforcement import EnforcementOrder
from anxin.safety.models_hazards import Hazard

COUNT = 24

FACTS = [
    "经检查，该单位{desc}，至今未采取有效措施消除事故隐患。",
    "检查发现{desc}，经责令改正后逾期未改正。",
]
DEMANDS: dict[str, str] = {
    OrderKind.RECTIFY: "1. 立即落实整改责任人和整改措施；\n2. 整改完成后书面报告整改情况。",
    OrderKind.SUSPEND: "停产停业整顿期间不得组织生产经营活动；整顿完毕经审查同意后方可恢复。",
    OrderKind.SEAL: "对不符合国家标准的设备予以查封，查封期间不得擅自启封、使用。",
    OrderKind.POWER_CUT: "拒不执行停产停业决定，通知供电单位对该单位停止供电。",
    OrderKind.CLOSURE: "提请人民政府依法予以关闭。",
}
BASES: dict[str, list[str]] = {
    OrderKind.RECTIFY: ["wsl65_3", "wsl102"],
    OrderKind.SUSPEND: ["wsl102"],
    OrderKind.SEAL: ["wsl65_4"],
    OrderKind.POWER_CUT: ["wsl70"],
    OrderKind.CLOSURE: ["wsl113", "wsl115"],
}


def _issue(ctx: DemoContext, hazard: Hazard, kind: str, team: list, days_ago: int, **kw):
    issued = timezone.now() - timedelta(days=days_ago)
    return enforcement.enforcement_order_issue(
        actor=None,
        site=hazard.site,  # type: ignore[arg-type]
        kind=kind,
        hazard=hazard,
        basis_codes=BASES[kind],
        facts=ctx.rng.choice(FACTS).format(desc=hazard.description.rstrip("。")),
        demands=DEMANDS[kind],
        deadline=timezone.localdate(issued) + timedelta(days=ctx.rng.choice([7, 15, 30])),
        officers=team[:2],
        issued_at=issued,
        **kw,
    )


def seed_enforcement(ctx: DemoContext) -> None:
    if EnforcementOrder.objects.exists():
        ctx.say("safety enforcement orders: kept the existing ones")
        return
    team = _inspectors(ctx)
    hazards = list(
        Hazard.objects.filter(site__isnull=False).select_related("site").order_by("found_at")
    )
    if len(team) < 2 or not hazards:
        return
    kinds = [OrderKind.RECTIFY] * 5 + [OrderKind.SUSPEND, OrderKind.SEAL]
    n = ctx.count(COUNT)
    made = 0
    for i in range(n):
        hazard = hazards[int(i * len(hazards) / max(n, 1))]
        days_ago = max(0, 360 - int(360 * i / max(n - 1, 1)))
        kind = ctx.rng.choice(kinds)
        fine = ctx.rng.choice([None, 5000, 20000]) if kind == OrderKind.RECTIFY else None
        order = _issue(ctx, hazard, kind, team, days_ago, fine_yuan=fine)
        made += 1
        if days_ago > 20 and ctx.rng.random() < 0.8:
            enforcement.enforcement_reinspection_record(
                actor=team[0],
                order=order,
                passed=ctx.rng.random() < 0.8,
                notes="复查发现整改不到位，已责令继续整改。",
                at=order.issued_at + timedelta(days=ctx.rng.randint(7, 20)),
            )
    # a power cut-off notified two days ago and carried out after its 24 hours
    major = [h for h in hazards if h.grade == HazardGrade.MAJOR]
    if major:
        cut = _issue(ctx, major[0], OrderKind.POWER_CUT, team, 2)
        enforcement.enforcement_execute(
            actor=team[0], order=cut, at=cut.notice_at + timedelta(hours=25)
        )
        # Art. 113: a site with a major hazard penalised three times within 180 days
        flagged = major[-1]
        for days_ago in (150, 80, 10):
            _issue(ctx, flagged, OrderKind.SUSPEND, team, days_ago)
            made += 1
        made += 1
    ctx.say(f"safety enforcement orders: {made} created")
