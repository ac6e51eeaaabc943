"""Demo petitions: a year of realistic cases in every state, kind and channel (item 15).

Cases are driven through the real services with past dates, so clocks, timelines and audit
records are what the system itself would have written. Deterministic for a seed.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from anxin.core.demo import DemoContext
from anxin.core.models import Unit, User
from anxin.petitions import services
from anxin.petitions.demo_reception import seed_reception
from anxin.petitions.models import Category, DeclineReason, Petition
from anxin.petitions.vocabularies import load_vocabularies

COUNT = 300

MATTERS = {
    "land": [
        (
            "征地补偿款未足额发放",
            "村里征地已两年，补偿款只发了一半，村委会说镇里没拨付，请求核查并足额发放。",
        ),
        ("拆迁安置房迟迟未交付", "旧城改造拆迁后承诺两年交房，现已超期一年，过渡费也停发了。"),
    ],
    "labour": [
        (
            "建筑工地拖欠农民工工资",
            "我们在工地干了八个月，包工头拖欠工资共计十二万元，多次讨要无果。",
        ),
        ("单位未缴纳社会保险", "公司三年未给职工缴纳养老保险和医疗保险，要求补缴。"),
    ],
    "construction": [
        ("小区违章建筑影响通行", "一楼住户私自搭建违章建筑，占用消防通道，物业不管。"),
        ("老旧小区改造质量差", "改造后外墙保温层脱落，楼道灯不亮，施工方不予返修。"),
    ],
    "environment": [
        ("夜间施工噪音扰民", "附近工地每天夜里十二点后还在施工，噪音扰民严重，老人孩子无法休息。"),
        ("化工厂排放异味", "工业园区化工厂夜间排放刺鼻气味，周边居民多人咳嗽头晕。"),
    ],
    "safety": [
        (
            "小作坊违规存放液化气",
            "街边餐馆后厨存放十几罐液化气，没有通风和报警装置，存在安全隐患。",
        ),
        (
            "出租房电动车楼道充电",
            "出租屋业主在楼道里私拉电线给电动车充电，多次劝阻无效，担心起火。",
        ),
    ],
    "education": [("学校违规收取补课费", "学校组织假期补课，每人收费一千五百元，家长被迫参加。")],
    "health": [("医院收费不明", "住院结算单有多项未使用的检查费用，医院解释不清。")],
    "law": [("判决执行难", "法院判决对方还款，两年了仍未执行到位，请求督促执行。")],
    "transport": [("公交线路取消出行不便", "公交公司取消了通往村里的唯一线路，村民出行十分不便。")],
    "market": [("商家虚假宣传", "健身房收了预付款后关门跑路，会员卡无法退费。")],
    "discipline": [("举报村干部优亲厚友", "村支书在低保评定中优亲厚友，把低保名额给了自己亲戚。")],
}

#: the state each demo case is driven to, with weights
TARGETS = [
    ("registered", 12),
    ("forwarded", 6),
    ("objected", 2),
    ("declined", 8),
    ("handling", 24),
    ("decided", 14),
    ("rated", 12),
    ("review", 6),
    ("reviewed", 4),
    ("recheck", 3),
    ("closed", 9),
]


def _pick(ctx: DemoContext, weighted: list[tuple[str, int]]) -> str:
    return ctx.rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


def seed(ctx: DemoContext) -> None:
    load_vocabularies(Category, DeclineReason)
    seed_reception(ctx)
    if Petition.objects.exists():
        ctx.say("petitions: kept the existing ones")
        return
    users = {
        u.username: u
        for u in User.objects.filter(
            username__in=["clerk", "handler", "leader", "reviewer", "city_leader"]
        )
    }
    clerk = users.get("clerk")
    leader = users.get("leader")
    units = {u.code: u for u in Unit.objects.all()}
    city = units["SFS"]
    townships = [u for u in units.values() if u.kind == "township"]
    villages = [u for u in units.values() if u.kind == "village"]
    demo_township = units.get("SFS-AP-01")
    categories = {c.code: c for c in Category.objects.all()}
    litigation = DeclineReason.objects.get(code="litigation")
    today = timezone.localdate()
    made = 0
    for i in range(ctx.count(COUNT)):
        code = ctx.rng.choice(list(MATTERS))
        title, content = ctx.rng.choice(MATTERS[code])
        kind = (
            "accusation"
            if code == "discipline"
            else ctx.rng.choices(["claim", "suggestion"], weights=[85, 15])[0]
        )
        received = today - timedelta(days=ctx.rng.randint(0, 364))
        township = demo_township if (demo_township and i % 3 == 0) else ctx.rng.choice(townships)
        place = ctx.rng.choice([v for v in villages if v.parent_id == township.pk] or [township])
        channel = ctx.rng.choice(["web", "letter", "phone", "fax", "visit", "visit", "web"])
        anonymous = kind == "accusation" and ctx.rng.random() < 0.5
        people = (
            []
            if anonymous
            else [
                services.ComplainantIn(
                    name=ctx.faker.name(),
                    phone=ctx.faker.phone_number(),
                    address=ctx.faker.address(),
                    id_number=ctx.faker.ssn() if ctx.rng.random() < 0.6 else "",
                )
            ]
        )
        accused: dict[str, Any] = {}
        if kind == "accusation":
            accused = {"accused_unit": place, "accused_person": ctx.faker.name()}
        result = services.petition_register(
            actor=clerk,
            channel=channel,
            kind=kind,
            category=categories[code],
            title=f"{title}（{place.name}）",
            content=f"{content}地点：{place.name}。",
            unit=city,
            received_on=received,
            place_unit=place,
            complainants=people,
            anonymous=anonymous,
            confidential=ctx.rng.random() < 0.1,
            **accused,
        )
        _advance(
            ctx,
            result.petition,
            _pick(ctx, TARGETS),
            township,
            clerk,
            leader,
            users,
            litigation,
            received,
        )
        made += 1
    ctx.say(f"petitions: {made} created")


def _staff(unit: Unit, tag: str, demo_user: User | None) -> User | None:
    """The demo login of the demo township, else the Faker staff member seed() made there."""
    if demo_user is not None and demo_user.unit_id == unit.pk:
        return demo_user
    return User.objects.filter(username=f"{unit.code.lower().replace('-', '_')}_{tag}").first()


def _advance(
    ctx: DemoContext,
    p: Petition,
    target: str,
    township: Unit,
    clerk: User | None,
    leader: User | None,
    users: dict[str, User],
    litigation: DeclineReason,
    received: Any,
) -> None:
    today = timezone.localdate()

    def day(offset: int) -> Any:
        return min(received + timedelta(days=offset), today)

    if target == "registered":
        return
    lead = township
    if p.kind == "accusation":
        lead = township.parent or township  # never inside the accused unit (Art. 30)
    if target in ("forwarded", "objected"):
        services.petition_forward(actor=None, petition=p, to_unit=lead, on=day(3))
        if target == "objected":
            services.petition_object(
                actor=None, petition=p, reason="该事项属于其他部门职责", on=day(5)
            )
        return
    if target == "declined":
        services.petition_decline(actor=None, petition=p, reason=litigation, on=day(6))
        return
    owner = leader if (leader and lead.code == "SFS-AP-01") else None
    services.petition_accept(actor=None, petition=p, lead_unit=lead, leader=owner, on=day(8))
    if target == "handling":
        if ctx.rng.random() < 0.2 and p.kind == "claim":
            services.petition_extend(actor=None, petition=p, days=15, reason="需调取相关材料核实")
        return
    drafter = _staff(lead, "h", users.get("handler"))
    if drafter is None:
        return
    outcome = ctx.rng.choice(["support", "explain", "reject"])
    services.petition_decide(
        actor=drafter,
        petition=p,
        outcome=outcome,
        facts="经调查核实，反映的情况基本属实。",
        reasons="根据相关规定和调查结果作出本意见。",
        legal_basis="《信访工作条例》第三十二条",
    )
    p.refresh_from_db()
    services.petition_sign_off(actor=None, petition=p, on=day(40))
    services.petition_deliver(
        actor=None, petition=p, document="decision", method="post", delivered_on=day(43)
    )
    if target == "decided":
        return
    if target == "rated" or p.kind != "claim":
        services.petition_rate(
            actor=None,
            petition=p,
            rating=ctx.rng.choice(["satisfied", "basically_satisfied", "dissatisfied"]),
        )
        return
    if target == "closed":
        services.petition_rate(actor=None, petition=p, rating="satisfied")
        services.petition_close(actor=None, petition=p, reason="信访人评价满意")
        return
    services.petition_rate(actor=None, petition=p, rating="dissatisfied")
    services.petition_request_review(actor=None, petition=p, reason="对处理意见不服", on=day(50))
    if target == "review" or lead.parent is None:
        return
    reviewer = _staff(lead.parent, "u", users.get("reviewer")) or drafter
    services.petition_decide_review(
        actor=reviewer,
        petition=p,
        outcome="explain",
        facts="复查认定原处理意见事实清楚。",
        reasons="维持原处理意见。",
        legal_basis="《信访工作条例》第三十五条",
    )
    p.refresh_from_db()
    services.petition_sign_off(actor=None, petition=p, on=day(70))
    services.petition_deliver(
        actor=None, petition=p, document="review_decision", method="in_person", delivered_on=day(72)
    )
    if target == "reviewed":
        return
    services.petition_request_recheck(actor=None, petition=p, reason="仍不服复查意见", on=day(80))
