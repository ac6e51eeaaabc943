"""Demo 督办 notices: sheets on the overdue items of the clock table, letters to the units with
the most overdue items, some replied, accepted or sent back — all through the services.

Supervision seeds before the domain apps (``INSTALLED_APPS`` order), so this is not the app's
``demo`` module: the last demo module to run calls :func:`seed_notices` once the petitions,
hazards and accidents (and their clocks) exist.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Count
from django.utils import timezone

from anxin.core.choices import Role
from anxin.core.models import RoleAssignment, Unit, User
from anxin.supervision import notice_subjects, notices
from anxin.supervision.choices import ClockState
from anxin.supervision.models import Clock
from anxin.supervision.models_notices import SupervisionNotice

SHEETS = 8
LETTERS = 3

MATTERS_SHEET = [
    "该事项已超过办理期限，请查明逾期原因，明确责任人和办结时限，按期书面答复。",
    "请对照法定时限加快办理，办理过程中存在困难的，请一并书面说明。",
    "请于期限内办结并将办理结果、群众满意情况书面报告。",
]
MATTERS_LETTER = (
    "经查，你单位目前有{n}件事项逾期未办结。请逐件说明逾期原因和整改措施，"
    "明确办结时限，并将整改情况书面答复。"
)


def _supervisor() -> User | None:
    return (
        User.objects.filter(
            is_active=True,
            unit__isnull=False,
            role_assignments__role=Role.SUPERVISOR,
        )
        .order_by("pk")
        .first()
    )


def _head_of(unit: Unit) -> User | None:
    ra = (
        RoleAssignment.objects.filter(role=Role.UNIT_HEAD, unit=unit, user__is_active=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return ra.user if ra is not None else None


def _answer(ctx: Any, notice: SupervisionNotice, supervisor: User) -> None:
    head = _head_of(notice.unit)
    if head is None or ctx.rng.random() < 0.4:
        return
    notices.notice_reply(
        actor=head,
        notice=notice,
        text="已组织专人核查，逾期原因系材料补正时间较长，现已明确责任人，将于三个工作日内办结。",
    )
    if ctx.rng.random() < 0.5:
        notices.notice_accept(actor=supervisor, notice=notice)
    elif ctx.rng.random() < 0.5:
        notices.notice_send_back(
            actor=supervisor,
            notice=notice,
            reason="答复未说明具体整改措施和办结时限，请补充。",
            reply_by=timezone.localdate() + timedelta(days=5),
        )


def seed_notices(ctx: Any) -> None:
    if SupervisionNotice.objects.exists():
        ctx.say("supervision notices: kept the existing ones")
        return
    supervisor = _supervisor()
    if supervisor is None:
        ctx.say("supervision notices: no supervisor, none made")
        return
    today = timezone.localdate()
    types = [t.key for t in notice_subjects.subject_types()]
    overdue = Clock.objects.filter(
        state=ClockState.RUNNING, due_on__lt=today, subject_type__in=types
    )
    made = 0
    for clock in overdue.select_related("unit").order_by("due_on", "pk")[: ctx.count(SHEETS) * 3]:
        if made >= ctx.count(SHEETS):
            break
        subject = notice_subjects.resolve(clock.subject_type, supervisor, clock.subject_id)
        if subject is None or (
            SupervisionNotice.objects.filter(
                subject_type=clock.subject_type, subject_id=clock.subject_id
            ).exists()
        ):
            continue
        unit = subject.unit
        if supervisor.unit is not None and supervisor.unit.path.startswith(unit.path):
            continue
        notice = notices.notice_issue(
            actor=supervisor,
            kind="sheet",
            subject_type=clock.subject_type,
            subject_id=clock.subject_id,
            matters=ctx.rng.choice(MATTERS_SHEET),
            reply_by=today + timedelta(days=ctx.rng.randint(3, 10)),
        )
        made += 1
        _answer(ctx, notice, supervisor)
    letters = 0
    worst = (
        overdue.values("unit")
        .annotate(n=Count("pk"))
        .order_by("-n", "unit")[: ctx.count(LETTERS) * 2]
    )
    units = {u.pk: u for u in Unit.objects.filter(pk__in=[row["unit"] for row in worst])}
    for row in worst:
        unit = units[row["unit"]]
        if letters >= ctx.count(LETTERS) or (
            supervisor.unit is not None and supervisor.unit.path.startswith(unit.path)
        ):
            continue
        notice = notices.notice_issue(
            actor=supervisor,
            kind="letter",
            unit=unit,
            matters=MATTERS_LETTER.format(n=row["n"]),
            reply_by=today + timedelta(days=ctx.rng.randint(5, 10)),
        )
        letters += 1
        _answer(ctx, notice, supervisor)
    ctx.say(f"supervision notices: {made} sheets and {letters} letters")
