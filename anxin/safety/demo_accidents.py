"""Demo accidents (issue item 12, "a few accidents"): one in every stage and most grades.

Driven through the real services with past times, so the clocks, report history and audit
records are what the system itself would have written: an accident not yet reported (its
1-hour clock running), reports in time and late, a supplementary report that regrades a road
traffic accident, a technical appraisal, an extended investigation, a report awaiting approval
and approved ones. A second run keeps the existing accidents.

Called from ``anxin/safety/demo.py``: ``seed_accidents(ctx)`` after the sites exist.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils import timezone

from anxin.core.demo import DemoContext
from anxin.core.models import Unit
from anxin.safety import accidents as svc
from anxin.safety.models import Site
from anxin.safety.models_accidents import Accident

#: (kind, sector of the site, place, summary)
STORIES: dict[str, tuple[str, str, str]] = {
    "production": (
        "industry_trade",
        "{site}冲压车间",
        "操作工在冲压机未断电情况下清理模具，被滑块挤压。现场已停机，伤者送医。",
    ),
    "road_traffic": (
        "road_transport",
        "{town}境内省道S203线K18+300处",
        "一辆中型客车与重型半挂货车相撞，客车侧翻，车上多人受伤。交警、消防、急救已到场。",
    ),
    "fire": (
        "crowded_places",
        "{site}二层仓储区",
        "电动自行车充电时电池起火，引燃堆放的纸箱，浓烟进入楼梯间。已扑灭，人员已疏散。",
    ),
    "construction": (
        "construction",
        "{site}3号楼施工现场",
        "外墙脚手架局部坍塌，两名作业人员从六层高处坠落。已停工并封闭现场。",
    ),
    "hazardous_chemicals": (
        "hazardous_chemicals",
        "{site}储罐区",
        "甲醇储罐检修作业中发生闪爆，引发罐区火灾，周边厂房受损。已启动应急预案。",
    ),
    "poisoning": (
        "industry_trade",
        "{site}污水池",
        "两名工人未经检测进入污水池清淤，硫化氢中毒；施救人员未佩戴防护装备。",
    ),
}


def _site(sector: str, unit: Unit | None, ctx: DemoContext) -> Site | None:
    qs = Site.objects.filter(sector__code=sector).select_related("unit").order_by("id")
    if unit is not None:
        near = list(qs.filter(unit__path__startswith=unit.path)[:20])
        if near:
            return ctx.rng.choice(near)
    first = list(qs[:20])
    return ctx.rng.choice(first) if first else None


def _record(
    ctx: DemoContext,
    kind: str,
    *,
    ago: timedelta,
    town: Unit,
    deaths: int = 0,
    injuries: int = 0,
    missing: int = 0,
    loss: int = 0,
    informed_after: timedelta = timedelta(minutes=5),
) -> Accident:
    sector, place, summary = STORIES[kind]
    site = _site(sector, town, ctx)
    unit = site.unit if site is not None else town
    occurred = timezone.now() - ago
    return svc.accident_report(
        actor=None,
        occurred_at=occurred,
        unit_informed_at=occurred + informed_after,
        place=place.format(site=site.name if site else town.name, town=town.name),
        kind=kind,
        summary=summary,
        unit=unit,
        site=site,
        deaths=deaths,
        serious_injuries=injuries,
        missing=missing,
        direct_loss_yuan=Decimal(loss),
    )


def _at(a: Accident, after: timedelta) -> datetime:
    return a.unit_informed_at + after


def seed_accidents(ctx: DemoContext) -> None:
    if Accident.objects.exists():
        ctx.say("safety accidents: kept the existing ones")
        return
    towns = list(Unit.objects.filter(kind="township", is_active=True).order_by("path"))
    if not towns:
        return
    home = next((t for t in towns if t.code == "SFS-AP-01"), towns[0])

    def town() -> Unit:
        return ctx.rng.choice(towns)

    made: list[Accident] = []
    today = timezone.localdate()

    # 1. Just happened: not reported to the county yet, its 1-hour clock running.
    made.append(_record(ctx, "production", ago=timedelta(minutes=25), town=home, injuries=1))

    # 2. Two days ago, 一般: reported in time to the county and the city; investigating.
    a = _record(
        ctx,
        "production",
        ago=timedelta(days=2, hours=3),
        town=home,
        deaths=1,
        injuries=2,
        loss=1_800_000,
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(minutes=40)), reporter="企业负责人"
    )
    a = svc.accident_reported_up(
        actor=None,
        accident=a,
        level="city",
        at=_at(a, timedelta(hours=2)),
        reporter="区应急管理局值班室",
    )
    made.append(a)

    # 3. A road traffic accident five days ago: 2 dead at first (一般), a third died in hospital
    #    the next day — the supplementary report regrades it to 较大, so it must reach the
    #    province (Art. 13, 20).
    a = _record(
        ctx,
        "road_traffic",
        ago=timedelta(days=5, hours=6),
        town=town(),
        deaths=2,
        injuries=6,
        loss=900_000,
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(minutes=50)), reporter="客运公司负责人"
    )
    a = svc.accident_reported_up(
        actor=None,
        accident=a,
        level="city",
        at=_at(a, timedelta(hours=2, minutes=30)),
        reporter="县应急管理局",
    )
    a = svc.accident_supplement(
        actor=None,
        accident=a,
        deaths=3,
        serious_injuries=5,
        missing=0,
        at=_at(a, timedelta(days=1, hours=4)),
        reporter="县应急管理局",
        note="一名重伤员经抢救无效死亡",
    )
    a = svc.accident_reported_up(
        actor=None,
        accident=a,
        level="province",
        at=_at(a, timedelta(days=1, hours=5)),
        reporter="市应急管理局",
    )
    made.append(a)

    # 4. A fire forty days ago: the unit reported late (迟报, Art. 35); a technical appraisal of
    #    the battery paused the investigation for nine days.
    a = _record(
        ctx,
        "fire",
        ago=timedelta(days=40),
        town=town(),
        injuries=3,
        loss=2_600_000,
        informed_after=timedelta(minutes=20),
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(hours=2, minutes=10)), reporter="物业经理"
    )
    a = svc.accident_reported_up(
        actor=None, accident=a, level="city", at=_at(a, timedelta(hours=3)), reporter="区应急管理局"
    )
    a = svc.accident_pause(
        actor=None, accident=a, reason="电池起火原因技术鉴定", on=today - timedelta(days=30)
    )
    a = svc.accident_resume(actor=None, accident=a, on=today - timedelta(days=21))
    made.append(a)

    # 5. A scaffold collapse seventy days ago: investigation extended by 20 days; the report was
    #    received five days ago and awaits approval.
    a = _record(
        ctx,
        "construction",
        ago=timedelta(days=70),
        town=town(),
        deaths=2,
        injuries=1,
        loss=3_100_000,
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(minutes=35)), reporter="项目经理"
    )
    a = svc.accident_reported_up(
        actor=None,
        accident=a,
        level="city",
        at=_at(a, timedelta(hours=1, minutes=40)),
        reporter="区住建局",
    )
    a = svc.accident_extend_investigation(
        actor=None, accident=a, days=20, reason="需补充结构检测报告"
    )
    a = svc.accident_report_received(actor=None, accident=a, on=today - timedelta(days=5))
    made.append(a)

    # 6. A tank explosion four months ago, 重大 by its loss: up to the State Council department,
    #    report received and approved.
    a = _record(
        ctx,
        "hazardous_chemicals",
        ago=timedelta(days=120),
        town=town(),
        deaths=1,
        injuries=7,
        loss=62_000_000,
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(minutes=30)), reporter="企业主要负责人"
    )
    for i, level in enumerate(("city", "province", "state")):
        a = svc.accident_reported_up(
            actor=None,
            accident=a,
            level=level,
            at=_at(a, timedelta(minutes=30 + 90 * (i + 1))),
            reporter="应急管理部门值班室",
        )
    a = svc.accident_report_received(actor=None, accident=a, on=today - timedelta(days=62))
    a = svc.accident_approve(
        actor=None,
        accident=a,
        on=today - timedelta(days=50),
        reference=f"示政函〔{today.year}〕21号",
    )
    made.append(a)

    # 7. A poisoning half a year ago (急性工业中毒 counts as serious injury): approved.
    a = _record(
        ctx, "poisoning", ago=timedelta(days=180), town=town(), deaths=1, injuries=2, loss=1_500_000
    )
    a = svc.accident_county_reported(
        actor=None, accident=a, at=_at(a, timedelta(minutes=45)), reporter="企业负责人"
    )
    a = svc.accident_reported_up(
        actor=None, accident=a, level="city", at=_at(a, timedelta(hours=2)), reporter="区应急管理局"
    )
    a = svc.accident_report_received(actor=None, accident=a, on=today - timedelta(days=125))
    a = svc.accident_approve(
        actor=None,
        accident=a,
        on=today - timedelta(days=118),
        reference=f"安政函〔{today.year}〕7号",
    )
    made.append(a)

    ctx.say(f"safety accidents: {len(made)} created")


#: what the investigation found, by kind of accident (a hazard of the site)
FINDINGS: dict[str, str] = {
    "production": "冲压机光电保护装置失效，设备检修未执行断电挂牌（上锁挂牌）制度。",
    "road_traffic": "客运车辆动态监控平台未落实专人值守，驾驶员超时驾驶未被及时纠正。",
    "fire": "电动自行车在建筑内违规停放充电，仓储区纸箱堆放占用疏散通道。",
    "construction": "外墙脚手架连墙件设置不足，未按专项施工方案搭设验收。",
    "hazardous_chemicals": "储罐检修动火作业未进行可燃气体检测，作业审批流于形式。",
    "poisoning": "有限空间作业未执行“先通风、再检测、后作业”，未配备防护和救援装备。",
}


def link_investigation_hazards(ctx: DemoContext) -> None:
    """Link the hazards found in each accident's investigation (item 6): the site's own
    hazards on record, and a hazard registered from the investigation's finding."""
    from anxin.safety import hazards as hazard_svc
    from anxin.safety.models_hazards import Hazard

    if Accident.objects.filter(hazards__isnull=False).exists():
        ctx.say("safety accident hazards: kept the existing links")
        return
    now = timezone.now()
    linked = 0
    for a in Accident.objects.filter(site__isnull=False).select_related("site", "unit"):
        found_at = a.occurred_at + timedelta(days=2)
        if found_at > now - timedelta(hours=1) or a.kind not in FINDINGS:
            continue
        assert a.site is not None
        finding = hazard_svc.hazard_create(
            actor=None,
            site=a.site,
            description=f"事故调查发现：{FINDINGS[a.kind]}",
            grade="general" if a.grade == "ordinary" else "major",
            deadline=timezone.localdate(found_at) + timedelta(days=30),
            found_at=found_at,
        )
        on_record = list(
            svc.accident_hazard_candidates(user=None, accident=a)
            .filter(found_at__lte=a.occurred_at)
            .exclude(pk=finding.pk)[:1]
        )
        chosen: list[Hazard] = [finding, *on_record]
        svc.accident_link_hazards(actor=None, accident=a, hazards=chosen)
        linked += len(chosen)
    ctx.say(f"safety accident hazards: {linked} linked")
