"""Demo inspections and hazards (issue 4, item 12): a year of inspections on the demo sites, and
the hazards their failed items became — in every state, some overdue, some 挂牌督办.

Driven through the real services with past times (``at``), so the timelines, the deadline
clocks (met, missed, running) and the audit records are what the system itself would have
written. The demo login 企业联系人 (``enterprise``) has hazards of their site to rectify. A
second run keeps the existing records.

Called from ``anxin/safety/demo.py``: ``seed_hazards(ctx)`` after the sites exist.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw

from anxin.core.choices import Role
from anxin.core.demo import DemoContext
from anxin.core.models import RoleAssignment, Unit, User
from anxin.core.services import role_assign, user_create
from anxin.safety import hazards as svc
from anxin.safety import inspections as isvc
from anxin.safety.hazard_review import hazard_apply_resumption
from anxin.safety.hazard_rules import HazardGrade, HazardSource, HazardStatus
from anxin.safety.models import ChecklistTemplate, Sector, Site
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import Inspection, InspectionPlan

COUNT = 120

LEADERS = ["张建国", "王丽华", "刘志强", "陈晓燕", "杨永平", "赵德明", "黄秀英", "周海涛"]
MEASURES = [
    "立即清理疏散通道，设置警示标识，明确专人每日巡查",
    "更换破损电气线路，配电箱加锁并张贴责任人",
    "补充灭火器并重新检验，组织全员消防演练",
    "停止违规作业，对作业人员重新开展安全培训并考核",
    "委托有资质单位检测维修，检测合格前停用相关设备",
]
#: the first hazards found go to these states, so that each state shows up in the demo
EVERY_STATE = ("void", "registered", "submitted", "verified", "rectifying", "closed")

NOTES_FAIL = [
    "通道仍有杂物堆放，未彻底整改",
    "整改照片与现场不符，需补充说明",
    "警示标识缺失，需补齐后再次申请验收",
]


def _png(text_seed: int, size: tuple[int, int] = (240, 80)) -> bytes:
    """A small picture standing in for a signature or a photo."""
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image)
    x = 10
    for k in range(12):
        y = 20 + (text_seed * (k + 3)) % (size[1] - 30)
        draw.line((x, y, x + 15, y + 10 - (k % 3) * 8), fill="black", width=3)
        x += 18
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _jpeg(seed: int) -> bytes:
    image = Image.new("RGB", (160, 120), (120 + seed % 100, 140, 160))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=70)
    return out.getvalue()


def _inspectors(ctx: DemoContext) -> list[User]:
    """Two city-wide safety inspectors: the demo login ``inspector`` and a colleague."""
    root = Unit.objects.filter(kind="city", is_active=True).order_by("path").first()
    if root is None:
        return []
    people = list(
        User.objects.filter(
            is_active=True,
            pk__in=RoleAssignment.objects.filter(role=Role.INSPECTOR, unit=root).values("user_id"),
        ).order_by("username")
    )
    people.sort(key=lambda u: u.username != "inspector")
    home = Unit.objects.filter(code="SFS-YJGLJ").first() or root
    n = 1
    while len(people) < 2:
        username = f"sfs_yjglj_i{n}"
        n += 1
        if User.objects.filter(username=username).exists():
            continue
        person, _pw = user_create(
            actor=None,
            username=username,
            name=ctx.faker.name(),
            unit=home,
            usable_password=False,
        )
        role_assign(actor=None, user=person, role=Role.INSPECTOR, unit=root)
        people.append(person)
    return people


def _plans(ctx: DemoContext, today: Any) -> list[InspectionPlan]:
    root = Unit.objects.filter(kind="city", is_active=True).order_by("path").first()
    office = Unit.objects.filter(code="SFS-YJGLJ").first() or root
    if root is None or office is None:
        return []
    crowded = list(Sector.objects.filter(code__in=["crowded_places", "hotels", "entertainment"]))
    chemicals = list(Sector.objects.filter(code__in=["hazardous_chemicals", "fireworks"]))
    return [
        isvc.inspection_plan_create(
            actor=None,
            title=f"{today.year}年岁末年初人员密集场所安全专项检查",
            organiser=office,
            unit=root,
            sectors=crowded,
            starts_on=today - timedelta(days=40),
            ends_on=today + timedelta(days=50),
            coverage_target=90,
            notes="重点检查疏散通道、消防设施、电气线路。",
        ),
        isvc.inspection_plan_create(
            actor=None,
            title="危险化学品和烟花爆竹安全专项整治",
            organiser=office,
            unit=root,
            sectors=chemicals,
            starts_on=today - timedelta(days=200),
            ends_on=today - timedelta(days=110),
            coverage_target=100,
        ),
        isvc.inspection_plan_create(
            actor=None,
            title="全市安全生产大检查（全年）",
            organiser=office,
            unit=root,
            starts_on=today - timedelta(days=330),
            ends_on=today + timedelta(days=35),
            coverage_target=60,
        ),
    ]


def _plan_for(plans: list[InspectionPlan], site: Site, on: Any) -> InspectionPlan | None:
    for plan in plans:
        codes = {s.code for s in plan.sectors.all()}
        if plan.starts_on <= on <= plan.ends_on and (not codes or site.sector.code in codes):
            return plan
    return None


def _moment(base: datetime, days: float) -> datetime:
    """``days`` after ``base``, at most an hour ago."""
    return min(base + timedelta(days=days), timezone.now() - timedelta(hours=1))


def seed_hazards(ctx: DemoContext) -> None:
    if Inspection.objects.exists():
        ctx.say("safety inspections and hazards: kept the existing ones")
        return
    sites = list(
        Site.objects.select_related("sector", "unit", "regulating_unit", "contact_user")
        .exclude(status="closed")
        .order_by("id")
    )
    team = _inspectors(ctx)
    if not sites or not team:
        return
    templates = {t.sector_id: t for t in ChecklistTemplate.objects.filter(is_current=True)}
    items_of = {t.sector_id: list(t.items.order_by("order")) for t in templates.values()}
    now = timezone.now()
    today = timezone.localdate()
    plans = _plans(ctx, today)
    own = next((s for s in sites if s.contact_user_id is not None), None)
    n = ctx.count(COUNT)
    made_inspections = 0
    found: list[Hazard] = []
    refused = 0
    for i in range(n):
        site = own if own is not None and i % 9 == 4 else ctx.rng.choice(sites)
        days_ago = 365 - int(362 * i / max(n - 1, 1))
        local = timezone.localtime(now - timedelta(days=days_ago))
        started = local.replace(hour=ctx.rng.randint(9, 16), minute=ctx.rng.choice([0, 15, 30]))
        started = min(started, now - timedelta(hours=2))
        items = items_of.get(site.sector_id, [])
        results = []
        fails = 0
        for item in items:
            roll = ctx.rng.random()
            grade = "fail" if roll < 0.1 or (i % 4 == 0 and item.order == 2) else "pass"
            if grade == "pass" and roll > 0.95:
                grade = "na"
            fails += grade == "fail"
            results.append(
                isvc.ResultIn(
                    item_id=item.pk,
                    grade=grade,
                    notes="现场发现问题，已拍照取证" if grade == "fail" else "",
                )
            )
        people = team[:2] if (fails or ctx.rng.random() < 0.5) else team[:1]
        inspection = isvc.inspection_create(
            actor=None,
            site=site,
            inspectors=people,
            started_at=started,
            place=site.address,
            problems=f"发现{fails}项不符合要求，详见检查表。" if fails else "未发现问题。",
            handling="责令限期整改，逾期复查。" if fails else "继续保持。",
            plan=_plan_for(plans, site, started.date()),
            template=templates.get(site.sector_id),
            penalty_proposed=fails >= 2 and len(people) >= 2 and ctx.rng.random() < 0.4,
            results=results,
        )
        made_inspections += 1
        leader = ctx.rng.choice(LEADERS)
        if days_ago <= 3 and i % 2:
            pass  # still a draft on the inspector's phone
        elif i % 23 == 11:
            for person in people:
                isvc.inspection_sign(
                    actor=None,
                    inspection=inspection,
                    version=None,
                    signer="inspector",
                    user=person,
                    drawn=_data_url(_png(i + person.pk)),
                )
            isvc.inspection_record_refusal(
                actor=None,
                inspection=inspection,
                version=None,
                leader_name=leader,
                note="被检查单位负责人对检查结果有异议，拒绝在检查记录上签字，检查人员已当场说明并拍照记录。",
            )
            refused += 1
        else:
            isvc.inspection_sign(
                actor=None,
                inspection=inspection,
                version=None,
                signer="all",
                leader_name=leader,
                scan=SimpleUploadedFile(f"检查记录{i + 1}.png", _png(i, (300, 400)), "image/png"),
            )
        if fails:
            grades = {
                r.item_id: HazardGrade.MAJOR
                for r in results
                if r.grade == "fail"
                and any(it.pk == r.item_id and it.severity_hint == "major" for it in items)
                and ctx.rng.random() < 0.6
            }
            deadline = timezone.localdate(started) + timedelta(days=ctx.rng.choice([7, 15, 30]))
            found += isvc.inspection_failed_items_to_hazards(
                actor=None, inspection=inspection, grades=grades, deadline=deadline
            )
    states = _drive(ctx, found, today)
    states.update(_reports_and_recurrence(ctx, sites, found))
    ctx.say(
        f"safety inspections: {made_inspections} ({refused} refused to sign), "
        f"{len(plans)} plans; hazards: " + ", ".join(f"{k} {v}" for k, v in sorted(states.items()))
    )


def _data_url(data: bytes) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(data).decode()


def _evidence(seed: int) -> SimpleUploadedFile:
    return SimpleUploadedFile(f"整改后照片{seed}.jpg", _jpeg(seed), "image/jpeg")


def _contact(h: Hazard) -> User | None:
    return h.site.contact_user if h.site is not None else None


def _drive(ctx: DemoContext, found: list[Hazard], today: Any) -> dict[str, int]:
    """Walk each hazard as far as its age suggests; keep a few in every state."""
    counts: dict[str, int] = {}
    supervisors = list(Unit.objects.filter(kind__in=["city", "district"]).order_by("path"))
    for k, h in enumerate(found):
        age = (today - timezone.localdate(h.found_at)).days
        roll = ctx.rng.random()
        if age > 90:
            target = "closed" if roll < 0.85 else ("rectifying" if roll < 0.93 else "verified")
        elif age > 30:
            target = ["closed", "closed", "verified", "submitted", "rectifying", "registered"][
                k % 6
            ]
        else:
            target = ["registered", "rectifying", "rectifying", "submitted"][k % 4]
        if k % 29 == 7 and target == "registered":
            target = "void"
        if k < len(EVERY_STATE):  # every state at least once, whatever the scale
            target = EVERY_STATE[k]
        h = _walk(ctx, h, target, k)
        if (
            h.grade == HazardGrade.MAJOR
            and h.status != HazardStatus.VOID
            and supervisors
            and (h.status != HazardStatus.CLOSED or k % 3 == 0)
        ):
            unit = supervisors[k % len(supervisors)]
            h = (
                svc.hazard_list_for_supervision(
                    actor=None,
                    hazard=h,
                    version=None,
                    unit=unit,
                    document=f"示安委办督〔{today.year}〕{k + 1}号",
                    at=_moment(h.found_at, 3),
                )
                if h.status != HazardStatus.CLOSED
                else h
            )
        counts[h.status] = counts.get(h.status, 0) + 1
    return counts


def _walk(ctx: DemoContext, h: Hazard, target: str, k: int) -> Hazard:
    if target == "registered":
        return h
    if target == "void":
        return svc.hazard_void(
            actor=None,
            hazard=h,
            version=None,
            reason="经复核不属于事故隐患，登记有误。",
            at=_moment(h.found_at, 1),
        )
    major = h.grade == HazardGrade.MAJOR
    # production stopped for half the major hazards, and for those left submitted or verified
    # (so some written applications to resume are under review)
    stopped = major and (k % 2 == 0 or target in ("submitted", "verified"))
    deadline = h.deadline or timezone.localdate(h.found_at) + timedelta(days=15)
    if target == "rectifying" and k % 3 == 0:
        deadline = min(deadline, timezone.localdate() - timedelta(days=ctx.rng.randint(3, 20)))
        deadline = max(deadline, timezone.localdate(h.found_at))  # overdue on purpose
    h = svc.hazard_start_rectification(
        actor=None,
        hazard=h,
        version=None,
        responsible=ctx.rng.choice(LEADERS) + "（企业安全负责人）",
        measures=ctx.rng.choice(MEASURES),
        funds=Decimal(ctx.rng.choice([2000, 5000, 12000, 50000, 180000])),
        deadline=deadline,
        contingency_plan="制定专项应急预案，落实现场监护和人员疏散措施。" if major else "",
        production_stopped=stopped,
        at=_moment(h.found_at, 1),
    )
    if target == "rectifying":
        return h
    contact = _contact(h)
    done = min(
        h.found_at + timedelta(days=(deadline - timezone.localdate(h.found_at)).days - 1),
        timezone.now() - timedelta(hours=5),
    )
    done = max(done, h.found_at + timedelta(hours=2))
    if k % 5 == 2 and target in ("verified", "closed"):
        # a first submission that does not pass
        h = svc.hazard_submit_rectification(
            actor=contact,
            hazard=h,
            version=None,
            note="已按要求整改",
            files=[_evidence(k)],
            at=done - timedelta(hours=3) if done - timedelta(hours=3) > h.found_at else done,
        )
        h = svc.hazard_verify(
            actor=None,
            hazard=h,
            version=None,
            passed=False,
            notes=ctx.rng.choice(NOTES_FAIL),
            at=done - timedelta(hours=2) if done - timedelta(hours=2) > h.found_at else done,
        )
    h = svc.hazard_submit_rectification(
        actor=contact,
        hazard=h,
        version=None,
        note="已完成整改，请予验收。",
        files=[_evidence(k + 1000)],
        at=done,
    )
    if target == "submitted":
        if stopped:
            h = hazard_apply_resumption(
                actor=contact,
                hazard=h,
                version=None,
                text="我单位已完成隐患整改，现申请恢复生产，请予审查。",
                at=_moment(done, 1),
            )
        return h
    h = svc.hazard_verify(
        actor=None,
        hazard=h,
        version=None,
        passed=True,
        notes="现场复查，整改到位，验收合格。",
        at=_moment(done, 2),
    )
    if stopped:  # the written application to resume (16号令 Art. 23): its 10-day review clock
        h = hazard_apply_resumption(
            actor=contact,
            hazard=h,
            version=None,
            text="我单位已按要求完成隐患整改并经验收合格，现申请恢复生产，请予审查。",
            at=_moment(done, 3),
        )
    if target == "verified":
        return h
    if stopped:
        h = svc.hazard_approve_resumption(
            actor=None,
            hazard=h,
            version=None,
            notes="经现场审查，同意恢复生产。",
            at=_moment(done, 4),
        )
    return svc.hazard_close(
        actor=None, hazard=h, version=None, notes="隐患整改完毕，予以销号。", at=_moment(done, 5)
    )


def _reports_and_recurrence(
    ctx: DemoContext, sites: list[Site], found: list[Hazard]
) -> dict[str, int]:
    """Reports from the public waiting for triage, and one closed hazard that came back."""
    made: dict[str, int] = {}
    towns = list(Unit.objects.filter(kind="township", is_active=True).order_by("path")[:3])
    for n, town in enumerate(towns):
        svc.hazard_create(
            actor=None,
            unit=town,
            description=[
                "小区地下车库有人给电动车充电，私拉电线。",
                "路边商铺门口堆放多个液化气钢瓶。",
                "工地塔吊夜间作业，没有看到防护措施。",
            ][n % 3],
            place=f"{town.name}",
            status=HazardStatus.REPORTED,
            source=HazardSource.REPORT,
            found_at=timezone.now() - timedelta(days=n + 1),
        )
        made["reported"] = made.get("reported", 0) + 1
    original = (
        Hazard.objects.filter(pk__in=[h.pk for h in found], status=HazardStatus.CLOSED)
        .select_related("site")
        .order_by("found_at", "id")
        .first()
    )
    if original is not None:
        svc.hazard_create(
            actor=None,
            site=original.site,
            description=f"复查发现原隐患再次出现：{original.description}",
            grade=original.grade,
            deadline=timezone.localdate() + timedelta(days=10),
            source=HazardSource.INSPECTION,
            recurrence_of=original,
        )
        made["recurrence"] = 1
    return made
