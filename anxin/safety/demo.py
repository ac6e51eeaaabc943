"""Demo data of the safety app: sectors with their regulating departments, checklists, and
~80 sites (一企一档) across every sector and township, with permits — some expiring soon.

Written through the services (actor=None, the system). Deterministic for a seed; a second run
keeps the existing sites. Inspections, hazards, enforcement and accidents add their own demo
records in their own parts.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from anxin.core.demo import DemoContext
from anxin.core.identifiers import CREDIT_ALPHABET, credit_code_check_char
from anxin.core.models import Unit, User
from anxin.safety import services
from anxin.safety.checklist_seed import seed_checklists, seed_sectors
from anxin.safety.models import ChecklistItem, ChecklistTemplate, Sector, Site

COUNT = 80

#: sector → the demo city's regulating department (管行业必须管安全)
DEPARTMENTS = {
    "industry_trade": "SFS-YJGLJ",
    "hazardous_chemicals": "SFS-YJGLJ",
    "non_coal_mines": "SFS-YJGLJ",
    "fireworks": "SFS-YJGLJ",
    "construction": "SFS-ZJJ",
    "schools": "SFS-JYJ",
    "entertainment": "SFS-WLJ",
    "hotels": "SFS-WLJ",
    "road_transport": "SFS-JTYSJ",
    "crowded_places": "SFS-XFZD",
    "rental_housing": "SFS-GAJ",
}

#: sectors that a district's own 应急管理局 regulates where the district has one
DISTRICT_EMERGENCY_SECTORS = {"industry_trade", "hazardous_chemicals", "fireworks"}

#: name patterns per sector ({p} = the place's short name)
NAMES: dict[str, list[str]] = {
    "crowded_places": [
        "{p}购物广场",
        "{p}农贸市场",
        "{p}百货大楼",
        "{p}社区养老服务中心",
        "{p}汽车客运站候车厅",
    ],
    "road_transport": [
        "示范市{p}客运有限公司",
        "{p}顺达物流有限公司",
        "{p}公交运输有限公司",
        "{p}危险货物运输有限公司",
    ],
    "schools": ["{p}第一小学", "{p}实验中学", "{p}中心幼儿园", "{p}职业技术学校"],
    "non_coal_mines": ["{p}石料厂", "{p}建材矿业有限公司", "{p}石英砂矿"],
    "entertainment": ["{p}星光KTV", "{p}欢乐迪歌舞厅", "{p}电玩城"],
    "fireworks": ["{p}烟花爆竹零售点", "{p}鸿运烟花爆竹批发有限公司"],
    "construction": ["{p}安置房二期项目", "{p}学校综合楼工程", "{p}商业综合体项目"],
    "hotels": ["{p}宾馆", "{p}快捷酒店", "{p}家庭旅馆"],
    "rental_housing": ["{p}路{n}号出租楼", "{p}新村{n}栋出租房"],
    "hazardous_chemicals": ["{p}加油站", "{p}化工贸易有限公司", "{p}燃气储配站"],
    "industry_trade": [
        "{p}机械制造有限公司",
        "{p}木业有限公司",
        "{p}食品有限公司",
        "{p}铝制品有限公司",
    ],
}

#: permits kept for each sector: (kind, number prefix, issuing authority)
PERMITS: dict[str, list[tuple[str, str, str]]] = {
    "crowded_places": [("fire_safety", "示消安检字", "示范市消防救援支队")],
    "road_transport": [("road_transport", "示交运管许可字", "示范市交通运输局")],
    "schools": [("school", "教民", "示范市教育局")],
    "non_coal_mines": [
        ("safety_production", "（示）FM安许证字", "示范市应急管理局"),
        ("mining", "C99", "示范市自然资源和规划局"),
    ],
    "entertainment": [("entertainment", "示文娱", "示范市文化和旅游局")],
    "fireworks": [("fireworks", "（示）YH经字", "示范市应急管理局")],
    "construction": [("construction", "施工许可", "示范市住房和城乡建设局")],
    "hotels": [("special_trade", "示公特", "示范市公安局")],
    "rental_housing": [],
    "hazardous_chemicals": [("hazardous_chemicals", "示危化经字", "示范市应急管理局")],
    "industry_trade": [],
}

#: the early legal code of rules.md §6 that fails the GB 32100 check (saved with a warning)
LEGACY_CODE = "91350100M0001TGQXM"

RISK_WEIGHTS = (("red", 1), ("orange", 3), ("yellow", 6), ("blue", 8))


def credit_code(ctx: DemoContext, division: str, *, kind: str = "91") -> str:
    """A well-formed code with a correct check character: 9+1 (enterprise), the GB/T 2260
    code of the district, a 9-character organisation code, the check character."""
    org = "".join(ctx.rng.choice(CREDIT_ALPHABET[:10]) for _ in range(8))
    org += ctx.rng.choice(CREDIT_ALPHABET)
    first17 = kind + division[:6] + org
    return first17 + credit_code_check_char(first17)


def _failing(code: str) -> str:
    right = code[-1]
    wrong = CREDIT_ALPHABET[(CREDIT_ALPHABET.index(right) + 7) % len(CREDIT_ALPHABET)]
    return code[:-1] + wrong


def _short(unit: Unit) -> str:
    for suffix in ("街道", "镇", "乡"):
        if unit.name.endswith(suffix):
            return unit.name[: -len(suffix)]
    return unit.name


def seed_sector_departments(ctx: DemoContext) -> None:
    seed_sectors(Sector)
    units = {u.code: u for u in Unit.objects.filter(code__in=set(DEPARTMENTS.values()))}
    set_ = 0
    for sector in Sector.objects.select_related("department"):
        department = units.get(DEPARTMENTS.get(sector.code, ""))
        if department is not None and sector.department_id is None:
            services.sector_update(actor=None, sector=sector, version=None, department=department)
            set_ += 1
    made = seed_checklists(Sector, ChecklistTemplate, ChecklistItem, published_at=timezone.now())
    ctx.say(f"safety sectors: {set_} departments set; checklists: {made} created")


def seed(ctx: DemoContext) -> None:
    from anxin.safety.demo_accidents import link_investigation_hazards, seed_accidents
    from anxin.safety.demo_enforcement import seed_enforcement
    from anxin.safety.demo_hazards import seed_hazards

    seed_sector_departments(ctx)
    _seed_sites(ctx)
    seed_accidents(ctx)
    seed_hazards(ctx)
    link_investigation_hazards(ctx)
    seed_enforcement(ctx)
    # 督办 notices on overdue items of both domain apps: supervision seeds before them, so the
    # last domain app to seed (safety) asks for them
    from anxin.supervision.demo_notices import seed_notices

    seed_notices(ctx)


def _seed_sites(ctx: DemoContext) -> None:
    if Site.objects.exists():
        ctx.say("safety sites: kept the existing ones")
        return
    sectors = list(Sector.objects.select_related("department").filter(is_active=True))
    units = {u.code: u for u in Unit.objects.all()}
    townships = sorted((u for u in units.values() if u.kind == "township"), key=lambda u: u.path)
    villages: dict[int, list[Unit]] = {}
    for u in units.values():
        if u.kind == "village" and u.parent_id is not None:
            villages.setdefault(u.parent_id, []).append(u)
    enterprise = User.objects.filter(username="enterprise", is_active=True).first()
    demo_township = units.get("SFS-AP-01")
    today = timezone.localdate()
    risks = [r for r, w in RISK_WEIGHTS for _ in range(w)]
    made = permits = legacy = 0
    used_names: set[str] = set()
    for i in range(ctx.count(COUNT)):
        sector = sectors[i % len(sectors)]
        township = (
            demo_township if (demo_township and i % 5 == 0) else townships[i % len(townships)]
        )
        district = units[township.ancestor_codes()[-1]]
        place = township
        if villages.get(township.pk) and ctx.rng.random() < 0.6:
            place = ctx.rng.choice(villages[township.pk])
        name = ctx.rng.choice(NAMES[sector.code]).format(
            p=_short(township), n=ctx.rng.randint(1, 99)
        )
        if name in used_names:
            name = f"{name}（{place.name}）"
        if name in used_names:
            continue
        used_names.add(name)
        code = ""
        if sector.code != "rental_housing":
            code = credit_code(ctx, district.division_code or "990100")
            if i == 7:
                code, legacy = LEGACY_CODE, legacy + 1
            elif i % 29 == 13:
                code, legacy = _failing(code), legacy + 1
        regulating = sector.department
        if sector.code in DISTRICT_EMERGENCY_SECTORS:
            regulating = units.get(f"{district.code}-YJGLJ", regulating)
        contact = None
        if enterprise is not None and made == 0 and demo_township is not None:
            # the demo login 企业联系人 郑伟 is the contact of the first site, in 城关街道
            township, place, contact = demo_township, demo_township, enterprise
        site = services.site_create(
            actor=None,
            name=name,
            credit_code=code,
            sector=sector,
            unit=place,
            regulating_unit=regulating,
            address=f"{district.name}{township.name}{ctx.faker.street_name()}{ctx.rng.randint(1, 300)}号",
            latitude=round(30.5 + ctx.rng.random() * 0.4, 6),
            longitude=round(114.2 + ctx.rng.random() * 0.5, 6),
            risk_level=ctx.rng.choice(risks),
            contact_user=contact,
            contact_name=ctx.faker.name(),
            contact_phone=ctx.faker.phone_number(),
        )
        made += 1
        for n, (kind, prefix, issuer) in enumerate(PERMITS[sector.code]):
            issued = today - timedelta(days=ctx.rng.randint(200, 1000))
            expires = issued + timedelta(days=3 * 365)
            if i % 6 == 0 and n == 0:
                expires = today + timedelta(days=ctx.rng.randint(-10, 29))  # due for renewal
            expires = max(expires, issued)
            services.permit_add(
                actor=None,
                site=site,
                kind=kind,
                number=f"{prefix}〔{issued.year}〕{i + 1:04d}",
                issued_by=issuer,
                issued_on=issued,
                expires_on=expires,
            )
            permits += 1
    ctx.say(f"safety sites: {made} created ({legacy} with a legacy credit code), {permits} permits")
