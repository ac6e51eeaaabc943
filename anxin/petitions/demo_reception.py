"""Demo public reception days (item 12): published sessions for the coming weeks, with bookings.

Written through the reception services (``actor=None``: the system), so audit records are what
the system itself writes. Deterministic for a seed; a second run keeps existing sessions.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from anxin.core.demo import DemoContext
from anxin.core.models import Unit, User
from anxin.petitions import reception
from anxin.petitions.models_reception import ReceptionSession

#: leader username, title as announced, receiving office, place, topics
PLAN = [
    (
        "leader",
        "城关街道党工委书记",
        "SFS-AP-01",
        "城关街道便民服务中心二楼接待室",
        "征地拆迁补偿、老旧小区改造、物业管理和邻里纠纷",
    ),
    (
        "reviewer",
        "安平区区长",
        "SFS-AP-XFJ",
        "安平区人民来访接待中心一楼",
        "劳动保障、城乡建设、教育和医疗卫生方面的信访事项",
    ),
    (
        "city_leader",
        "示范市副市长",
        "SFS-XFJ",
        "示范市信访局接待大厅",
        "涉及多个部门、久拖未决的疑难复杂信访事项",
    ),
]

MATTERS = [
    "小区拆迁安置房逾期未交付，过渡费停发。",
    "工地拖欠工资八个月，讨要无果。",
    "老旧小区改造后外墙保温层脱落。",
    "孩子入学划片不合理，希望调整学区。",
    "村里征地补偿款只发放了一半。",
    "公交线路取消后村民出行困难。",
    "医院住院收费清单有未使用项目。",
]


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    local_day = timezone.localdate() + timedelta(days=day)
    return timezone.make_aware(datetime.combine(local_day, time(hour, minute)))


def seed_reception(ctx: DemoContext) -> None:
    if ReceptionSession.objects.exists():
        ctx.say("reception days: kept the existing ones")
        return
    users = {
        u.username: u
        for u in User.objects.filter(username__in=[p[0] for p in PLAN]).select_related("unit")
    }
    units = {u.code: u for u in Unit.objects.filter(code__in=[p[2] for p in PLAN])}
    sessions = bookings = 0
    for index, (username, title, unit_code, place, topics) in enumerate(PLAN):
        leader = users.get(username)
        unit = units.get(unit_code) or (leader.unit if leader is not None else None)
        if leader is None or unit is None:
            continue
        # three sessions a leader, a week apart; the last one stays a draft
        for week in range(3):
            session = reception.reception_session_create(
                actor=None,
                leader=leader,
                leader_title=title,
                unit=unit,
                starts_at=_at(3 + index + 7 * week, 9),
                ends_at=_at(3 + index + 7 * week, 11, 30),
                place=place,
                topics=topics,
                capacity=ctx.rng.choice([6, 8, 10]),
            )
            sessions += 1
            if week == 2:
                continue
            reception.reception_session_publish(actor=None, session=session)
            # the first week is nearly full, the second has a few bookings
            wanted = session.capacity - 1 if week == 0 else ctx.rng.randint(1, 3)
            codes = []
            for _ in range(wanted):
                _booking, code = reception.reception_book(
                    session=session,
                    name=ctx.faker.name(),
                    phone=ctx.faker.phone_number(),
                    topic=ctx.rng.choice(MATTERS),
                )
                codes.append(code)
                bookings += 1
            if week == 0 and codes:
                reception.reception_booking_cancel(code=codes[-1])
    ctx.say(f"reception days: {sessions} sessions, {bookings} bookings")
