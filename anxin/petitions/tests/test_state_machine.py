"""Stateful property test of the petition workflow through the services (issue 8, item 9).

A hypothesis ``RuleBasedStateMachine`` registers a few petitions and drives them with every step
the services offer — accept, decline, forward, object, settle the objection, merge, extend,
pause and resume, the three written answers and their sign-off, delivery, rating, 复查 and
复核 requests, close, backlog and plan — by personas who may and may not take them, while a
controllable "today" moves forward. An independent model (the statutory rules of
``/work/shared/rules.md`` §1–2, the permission table and the state table) predicts each step:
success, or exactly which refusal (409 state, 403 permission, 400 validation). After every step:

- the status is the model's and one the transition table allows from the previous one;
- a refused step raised the expected error and changed nothing (case rows, clocks, timeline,
  written answers, deliveries, audit trail);
- a successful step added exactly one audit event on the case (clock events aside);
- every open clock is the model's, started on the model's day, and due on the day the rules
  give for that start (民法典 Art. 201/203 for calendar days, the working-day calendar for
  working days), with at most 30 days of extension in total, and none is open on a closed,
  merged or declined case;
- 复查 and 复核 are asked only within their 30-day windows and in order.

Budget: ``ANXIN_STATEFUL_EXAMPLES`` and ``ANXIN_STATEFUL_STEPS`` (defaults 10 × 30, derandomized
in the CI profile) — ``ANXIN_STATEFUL_EXAMPLES=500`` for a long local hunt.
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from anxin.core.calendar import is_working_day
from anxin.core.choices import Role
from anxin.core.models import AuditEvent, Unit
from anxin.core.testing import make_person
from anxin.petitions import clocks, services
from anxin.petitions.choices import Status as S
from anxin.petitions.models import (
    Category,
    Decision,
    DeclineReason,
    Delivery,
    Petition,
    PetitionEvent,
)
from anxin.petitions.services import StateConflict
from anxin.petitions.transitions import SIGN_OFF_TARGET, TRANSITIONS
from anxin.supervision.models import Clock, ClockPause

pytestmark = [pytest.mark.django_db]

#: steps taken and refused, by action (printed with ``ANXIN_STATEFUL_STATS=1`` and ``-s``)
STATS: Counter[str] = Counter()
EXAMPLES = int(os.environ.get("ANXIN_STATEFUL_EXAMPLES", "10"))
STEPS = int(os.environ.get("ANXIN_STATEFUL_STEPS", "30"))
START = dt.date(2026, 9, 14)
TZ = ZoneInfo(django_settings.TIME_ZONE)
SUBJECT = "petitions.petition"

# --- the rules, written out independently of the code under test ----------------------------

#: rules.md §2: the statutory period of each clock, and how it is counted
PERIODS = {
    "accept_by": ("calendar", 15),  # Art. 22, 23
    "object_by": ("working", 5),  # Art. 23
    "handle_by": ("calendar", 60),  # Art. 34 (suggestions: the configurable 60)
    "review_request_by": ("calendar", 30),  # Art. 35
    "review_by": ("calendar", 30),  # Art. 35
    "recheck_request_by": ("calendar", 30),  # Art. 36
    "recheck_by": ("calendar", 30),  # Art. 36
}
MAX_EXTENSION = 30  # Art. 34


def period_end(start: dt.date, days: int) -> dt.date:
    """民法典 Art. 201 (start day not counted) and 203 (a last day off work moves on)."""
    end = start + dt.timedelta(days=days)
    while not is_working_day(end):
        end += dt.timedelta(days=1)
    return end


def add_working_days(start: dt.date, days: int) -> dt.date:
    end, counted = start, 0
    while counted < days:
        end += dt.timedelta(days=1)
        counted += is_working_day(end)
    return end


def due_by_rules(name: str, start: dt.date, extra: int = 0, paused: int = 0) -> dt.date:
    how, days = PERIODS[name]
    if how == "working":
        return add_working_days(start, days + extra + paused)
    return period_end(start, days + extra + paused)


#: who holds which permission (petitions.apps) and through which unit of the case (scoping)
GRANTS = {
    "clerk": {"register", "dispatch", "settle", "deliver", "record", "close"},
    "handler": {"register", "dispatch", "settle", "deliver", "record", "close"}
    | {"handle", "review", "recheck"},
    "unit_head": {"dispatch", "settle", "deliver", "record", "close"}
    | {"handle", "review", "recheck", "approve"},
    "viewer": set(),
}
ANSWERING = ("current", "lead", "review", "recheck")
LOOKUPS = {
    "dispatch": ("current",),
    "settle": ("forwarded_by",),
    "handle": ("lead",),
    "approve": ("lead", "review", "recheck"),
    "review": ("review",),
    "recheck": ("recheck",),
    "deliver": ANSWERING,
    "record": ANSWERING,
    "close": ANSWERING,
}
#: persona → (role, scope unit); "public" is actor=None (the portal, the system)
ACTORS: dict[str, tuple[str, str] | None] = {
    "clerk": ("clerk", "C"),
    "member": ("handler", "T1"),
    "same": ("unit_head", "T1"),
    "parent": ("unit_head", "D1"),
    "sibling": ("unit_head", "T2"),
    "outsider": ("unit_head", "T3"),
    "viewer": ("viewer", "C"),
    "chief": ("unit_head", "C"),
    "public": None,
}
STAFF = [a for a in ACTORS if a != "public"]
#: the staff who take most steps come up more often, so that cases get somewhere
ACTOR = st.tuples(st.integers(0, 9), st.sampled_from(STAFF))
UNITS = ["C", "D1", "T1", "T2", "V1", "DEP", "T3"]
STAGE_OF: dict[str, str] = {S.HANDLING: "decision", S.REVIEW: "review", S.RECHECK: "recheck"}
STAGE_CLOCK: dict[str, str] = {
    S.HANDLING: "handle_by",
    S.REVIEW: "review_by",
    S.RECHECK: "recheck_by",
}
STAGE_PERMISSION: dict[str, str] = {S.HANDLING: "handle", S.REVIEW: "review", S.RECHECK: "recheck"}
STAGE_UNIT = {"decision": "lead", "review": "review", "recheck": "recheck"}
ANSWER_DOCS = {"decision": "decision", "review_decision": "review", "recheck_decision": "recheck"}
ANSWER_STATUS: dict[str, str] = {
    "decision": S.DECIDED,
    "review": S.REVIEWED,
    "recheck": S.RECHECKED,
}


# --- the controllable today ------------------------------------------------------------------


class Today:
    """``timezone.localdate()`` and ``timezone.now()`` on a day the machine moves forward."""

    def __init__(self, real_localdate: Any) -> None:
        self.day = START
        self.tick = 0
        self._real_localdate = real_localdate

    def localdate(self, value: Any = None, timezone: Any = None) -> dt.date:
        if value is None:
            return self.day
        return self._real_localdate(value, timezone)

    def now(self) -> dt.datetime:
        self.tick += 1  # strictly increasing within a day, so timelines keep their order
        return dt.datetime.combine(self.day, dt.time(9), tzinfo=TZ) + dt.timedelta(
            microseconds=self.tick
        )


@pytest.fixture
def today(monkeypatch: Any) -> Today:
    clock = Today(timezone.localdate)
    monkeypatch.setattr(timezone, "localdate", clock.localdate)
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


# --- the model -------------------------------------------------------------------------------


@dataclass
class ModelClock:
    start: dt.date
    extra: int = 0
    paused: int = 0
    paused_since: dt.date | None = None


@dataclass
class Case:
    pk: int
    kind: str
    received_on: dt.date
    status: str = S.REGISTERED
    current: str | None = "C"
    forwarded_by: str | None = None
    lead: str | None = None
    review: str | None = None
    recheck: str | None = None
    objection: bool = False
    extension: int = 0
    drafts: set[str] = field(default_factory=set)
    signed_on: dict[str, dt.date] = field(default_factory=dict)
    clocks: dict[str, ModelClock] = field(default_factory=dict)
    audit: int = 1


class Refused(Exception):
    """What the model expects instead of success."""

    def __init__(self, kind: type[Exception], why: str) -> None:
        super().__init__(f"{kind.__name__}: {why}")
        self.kind = kind
        self.why = why


class PetitionMachine(RuleBasedStateMachine):
    personas: Any = None
    chief: Any = None
    today: Today | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.personas is not None and self.today is not None
        self.today.day = START
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.units = {u.code: u for u in Unit.objects.select_related("parent")}
        self.parent_of = {
            code: (u.parent.code if u.parent_id else None) for code, u in self.units.items()
        }
        self.users = {name: getattr(self.personas, name) for name in STAFF if name != "chief"}
        self.users["chief"] = self.chief
        self.category = Category.objects.get(code="labour")
        self.reason = DeclineReason.objects.get(code="litigation")
        self.cases: list[Case] = []
        self.forced: Case | None = None

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- the oracle ----------------------------------------------------------------------

    @property
    def day(self) -> dt.date:
        assert self.today is not None
        return self.today.day

    def in_scope(self, scope: str, unit: str | None) -> bool:
        while unit is not None:
            if unit == scope:
                return True
            unit = self.parent_of[unit]
        return False

    def may(self, actor: str, permission: str, case: Case, units: tuple[str, ...] = ()) -> bool:
        grant = ACTORS[actor]
        if grant is None:
            return True
        role, scope = grant
        if permission not in GRANTS[role]:
            return False
        names = units or LOOKUPS[permission]
        return any(self.in_scope(scope, getattr(case, n)) for n in names)

    def gate(self, case: Case, action: str, actor: str) -> None:
        """The state table first (409), then the permission (403), as every step does."""
        allowed, _target, permission = TRANSITIONS[action]
        if case.status not in allowed:
            raise Refused(StateConflict, f"{action} from {case.status}")
        if not self.may(actor, permission.split(".")[1], case):
            raise Refused(PermissionDenied, f"{actor} may not {action}")

    def due(self, case: Case, name: str) -> dt.date:
        c = case.clocks[name]
        return due_by_rules(name, c.start, c.extra, c.paused)

    def actor(self, name: str) -> Any:
        return None if name == "public" else self.users[name]

    def unit(self, code: str | None) -> Any:
        return None if code is None else self.units[code]

    # --- running a step against its prediction ---------------------------------------------

    def snapshot(self) -> Any:
        pks = [c.pk for c in self.cases]
        return (
            list(Petition.objects.filter(pk__in=pks).order_by("pk").values()),
            list(Clock.objects.filter(subject_type=SUBJECT).order_by("pk").values()),
            ClockPause.objects.count(),
            AuditEvent.objects.count(),
            PetitionEvent.objects.count(),
            list(Decision.objects.order_by("pk").values()),
            Delivery.objects.count(),
        )

    def step(self, case: Case, action: str, predict: Any, call: Any, *touched: Case) -> None:
        """``predict()`` raises :class:`Refused` or returns the model's change (applied on
        success); ``call()`` runs the service."""
        before_status = case.status
        try:
            apply = predict()
        except Refused as refused:
            STATS[f"x {action} {refused.kind.__name__}"] += 1
            before = self.snapshot()
            with pytest.raises(refused.kind) as caught:
                call()
            assert type(caught.value) is refused.kind, (
                f"{action}: expected {refused}, got {caught.value!r}"
            )
            assert self.snapshot() == before, f"the refused {action} changed something"
            return
        try:
            call()
        except (StateConflict, PermissionDenied, ValidationError) as exc:
            raise AssertionError(
                f"{action} was refused: {exc!r}; the model expected success"
            ) from exc
        apply()
        STATS[action] += 1
        if action in TRANSITIONS:
            allowed, target, _permission = TRANSITIONS[action]
            assert before_status in allowed
            if action == "sign_off":
                target = SIGN_OFF_TARGET[S(before_status)]
            assert case.status == (target or before_status)
        else:  # the plan and the backlog keep the state
            assert case.status == before_status
        for c in (case, *touched):
            c.audit += 1

    # --- rules -----------------------------------------------------------------------------

    def _register(self, kind: str, back: int, actor: str) -> None:
        received_on = self.day - dt.timedelta(days=back)
        made: list[Petition] = []

        def predict() -> Any:
            if not self.may(actor, "register", Case(0, kind, received_on), ("current",)):
                raise Refused(PermissionDenied, f"{actor} may not register at C")

            def apply() -> None:
                case = Case(made[0].pk, kind, received_on)
                case.clocks["accept_by"] = ModelClock(received_on)
                self.cases.append(case)

            return apply

        def call() -> None:
            made.append(
                services.petition_register(
                    actor=self.actor(actor),
                    channel="letter",
                    kind=kind,
                    category=self.category,
                    title=f"拖欠工资第{len(self.cases) + 1}件",
                    content="某公司拖欠工资，请求协调解决。",
                    unit=self.units["C"],
                    received_on=received_on,
                    complainants=[services.ComplainantIn(name="张三")],
                ).petition
            )

        try:
            apply = predict()
        except Refused as refused:
            before = self.snapshot()
            with pytest.raises(refused.kind):
                call()
            assert self.snapshot() == before
            return
        call()
        apply()

    @initialize(kind=st.sampled_from(["claim", "suggestion"]), back=st.integers(0, 20))
    def first(self, kind: str, back: int) -> None:
        self._register(kind, back, "clerk")

    @precondition(lambda self: len(self.cases) < 3)
    @rule(
        kind=st.sampled_from(["claim", "claim", "suggestion"]),
        back=st.integers(0, 20),
        actor=st.sampled_from(["clerk", "clerk", "member", "outsider"]),
    )
    def register(self, kind: str, back: int, actor: str) -> None:
        self._register(kind, back, actor)

    @rule(days=st.sampled_from([0, 1, 2, 3, 5, 7, 10, 16, 25, 31, 45]))
    def advance(self, days: int) -> None:
        assert self.today is not None
        self.today.day += dt.timedelta(days=days)

    def who(self, actor: Any, case: Case, permission: str, units: tuple[str, ...] = ()) -> str:
        """Mostly someone who may take the step (so that cases get somewhere), else anyone."""
        k, anyone = actor
        if k < 7:
            allowed = [a for a in STAFF if self.may(a, permission, case, units)]
            if allowed:
                return allowed[k % len(allowed)]
        return anyone

    def pick(self, i: int, action: str = "") -> Case:
        """Case ``i``; an even ``i`` prefers a case in a state the action may be taken from."""
        if self.forced is not None:
            return self.forced
        if action in TRANSITIONS and i % 4 != 3:
            ready = [c for c in self.cases if c.status in TRANSITIONS[action][0]]
            if ready:
                return ready[i % len(ready)]
        return self.cases[i % len(self.cases)]

    def db(self, case: Case) -> Petition:
        return Petition.objects.get(pk=case.pk)

    @rule(i=st.integers(0, 7), actor=ACTOR, lead=st.sampled_from(UNITS))
    def accept(self, i: int, actor: Any, lead: str) -> None:
        case = self.pick(i, "accept")
        actor = self.who(actor, case, "dispatch")

        def predict() -> Any:
            self.gate(case, "accept", actor)

            def apply() -> None:
                case.status, case.lead, case.objection = S.HANDLING, lead, False
                case.clocks.pop("accept_by", None)
                case.clocks.pop("object_by", None)
                case.clocks["handle_by"] = ModelClock(self.day)

            return apply

        self.step(
            case,
            "accept",
            predict,
            lambda: services.petition_accept(
                actor=self.actor(actor),
                petition=self.db(case),
                lead_unit=self.units[lead],
                leader=self.users["same"],
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR)
    def decline(self, i: int, actor: Any) -> None:
        case = self.pick(i, "decline")
        actor = self.who(actor, case, "dispatch")

        def predict() -> Any:
            self.gate(case, "decline", actor)

            def apply() -> None:
                case.status = S.DECLINED
                case.clocks.pop("accept_by", None)
                case.clocks.pop("object_by", None)

            return apply

        self.step(
            case,
            "decline",
            predict,
            lambda: services.petition_decline(
                actor=self.actor(actor), petition=self.db(case), reason=self.reason
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR, to=st.sampled_from(UNITS))
    def forward(self, i: int, actor: Any, to: str) -> None:
        case = self.pick(i, "forward")
        actor = self.who(actor, case, "dispatch")

        def predict() -> Any:
            self.gate(case, "forward", actor)
            if to == case.current:
                raise Refused(ValidationError, "already with this unit")

            def apply() -> None:
                case.forwarded_by, case.current, case.objection = case.current, to, False
                case.clocks["accept_by"] = ModelClock(self.day)
                case.clocks["object_by"] = ModelClock(self.day)

            return apply

        self.step(
            case,
            "forward",
            predict,
            lambda: services.petition_forward(
                actor=self.actor(actor), petition=self.db(case), to_unit=self.units[to]
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR, reason=st.sampled_from(["不属本单位职责", " "]))
    def object(self, i: int, actor: Any, reason: str) -> None:
        case = self.pick(i, "object")
        actor = self.who(actor, case, "dispatch")

        def predict() -> Any:
            self.gate(case, "object", actor)
            if "object_by" not in case.clocks or case.forwarded_by is None:
                raise Refused(StateConflict, "nothing forwarded to object to")
            if self.day > self.due(case, "object_by"):
                raise Refused(ValidationError, "5 working days are over")
            if not reason.strip():
                raise Refused(ValidationError, "no reason")

            def apply() -> None:
                case.objection = True
                del case.clocks["object_by"]

            return apply

        self.step(
            case,
            "object",
            predict,
            lambda: services.petition_object(
                actor=self.actor(actor), petition=self.db(case), reason=reason
            ),
        )

    @rule(
        i=st.integers(0, 7),
        actor=ACTOR,
        upheld=st.booleans(),
        to=st.sampled_from([None, None, *UNITS]),
    )
    def settle_objection(self, i: int, actor: Any, upheld: bool, to: str | None) -> None:
        case = self.pick(i, "settle_objection")
        actor = self.who(actor, case, "settle")

        def predict() -> Any:
            self.gate(case, "settle_objection", actor)
            if not case.objection:
                raise Refused(StateConflict, "no objection")

            def apply() -> None:
                case.objection = False
                if not upheld:
                    return
                target = to or case.forwarded_by
                case.current = target
                case.clocks["accept_by"] = ModelClock(self.day)
                if to is not None and to != case.forwarded_by:
                    case.clocks["object_by"] = ModelClock(self.day)

            return apply

        self.step(
            case,
            "settle_objection",
            predict,
            lambda: services.petition_settle_objection(
                actor=self.actor(actor),
                petition=self.db(case),
                upheld=upheld,
                to_unit=self.unit(to),
            ),
        )

    @precondition(lambda self: len(self.cases) > 1)
    @rule(i=st.integers(0, 7), j=st.integers(0, 2), actor=ACTOR)
    def merge(self, i: int, j: int, actor: Any) -> None:
        case, into = self.pick(i, "merge"), self.pick(j)
        actor = self.who(actor, case, "dispatch")

        def predict() -> Any:
            self.gate(case, "merge", actor)
            if case is into:
                raise Refused(ValidationError, "into itself")
            if into.status == S.MERGED:
                raise Refused(ValidationError, "into a merged case")

            def apply() -> None:
                case.status = S.MERGED
                case.clocks.clear()

            return apply

        touched = () if case is into else (into,)
        self.step(
            case,
            "merge",
            predict,
            lambda: services.petition_merge(
                actor=self.actor(actor), petition=self.db(case), into=self.db(into)
            ),
            *touched,
        )

    @rule(
        i=st.integers(0, 7),
        actor=ACTOR,
        days=st.sampled_from([0, 1, 5, 10, 20, 29, 30, 31]),
        reason=st.sampled_from(["需现场核实", ""]),
    )
    def extend(self, i: int, actor: Any, days: int, reason: str) -> None:
        case = self.pick(i, "extend")
        actor = self.who(actor, case, "approve")

        def predict() -> Any:
            self.gate(case, "extend", actor)
            if case.kind != "claim":
                raise Refused(StateConflict, "only claims")
            if days < 1 or case.extension + days > MAX_EXTENSION:
                raise Refused(ValidationError, f"{case.extension} + {days} days")
            if not reason:
                raise Refused(ValidationError, "no reason")

            def apply() -> None:
                case.extension += days
                case.clocks["handle_by"].extra += days

            return apply

        self.step(
            case,
            "extend",
            predict,
            lambda: services.petition_extend(
                actor=self.actor(actor), petition=self.db(case), days=days, reason=reason
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR, reason=st.sampled_from(["听证", ""]))
    def pause(self, i: int, actor: Any, reason: str) -> None:
        case = self.pick(i, "pause")
        actor = self.who(actor, case, STAGE_PERMISSION.get(case.status, "handle"))

        def predict() -> Any:
            self.gate(case, "pause", actor)
            # only the unit answering at this stage keeps its clock
            if not self.may(actor, STAGE_PERMISSION[case.status], case):
                raise Refused(PermissionDenied, f"{actor} does not answer at this stage")
            if not reason:
                raise Refused(ValidationError, "no reason")
            name = STAGE_CLOCK[case.status]
            if case.clocks[name].paused_since is not None:
                raise Refused(StateConflict, "already paused")
            if self.day > self.due(case, name):
                raise Refused(ValidationError, "overdue")

            def apply() -> None:
                case.clocks[name].paused_since = self.day

            return apply

        self.step(
            case,
            "pause",
            predict,
            lambda: services.petition_pause(
                actor=self.actor(actor), petition=self.db(case), reason=reason
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR)
    def resume(self, i: int, actor: Any) -> None:
        case = self.pick(i, "resume")
        actor = self.who(actor, case, STAGE_PERMISSION.get(case.status, "handle"))

        def predict() -> Any:
            self.gate(case, "resume", actor)
            # only the unit answering at this stage keeps its clock
            if not self.may(actor, STAGE_PERMISSION[case.status], case):
                raise Refused(PermissionDenied, f"{actor} does not answer at this stage")
            clock = case.clocks[STAGE_CLOCK[case.status]]
            if clock.paused_since is None:
                raise Refused(StateConflict, "not paused")

            def apply() -> None:
                assert clock.paused_since is not None
                clock.paused += (self.day - clock.paused_since).days
                clock.paused_since = None

            return apply

        self.step(
            case,
            "resume",
            predict,
            lambda: services.petition_resume(actor=self.actor(actor), petition=self.db(case)),
        )

    @rule(
        i=st.integers(0, 7),
        actor=ACTOR,
        which=st.sampled_from(["decide", "decide_review", "decide_recheck"]),
        outcome=st.sampled_from(["explain", "support", "maybe"]),
    )
    def draft(self, i: int, actor: Any, which: str, outcome: str) -> None:
        case = self.pick(i, which)
        stage = {"decide": "decision", "decide_review": "review", "decide_recheck": "recheck"}
        actor = self.who(actor, case, TRANSITIONS[which][2].split(".")[1])

        def predict() -> Any:
            self.gate(case, which, actor)
            if outcome == "maybe":
                raise Refused(ValidationError, "unknown outcome")

            def apply() -> None:
                case.drafts.add(stage[which])

            return apply

        service = getattr(services, f"petition_{which}")
        self.step(
            case,
            which,
            predict,
            lambda: service(
                actor=self.actor(actor),
                petition=self.db(case),
                outcome=outcome,
                facts="经核实……",
                reasons="依据……",
                legal_basis="《信访工作条例》第三十二条",
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR)
    def sign_off(self, i: int, actor: Any) -> None:
        case = self.pick(i, "sign_off")
        stage_unit = STAGE_UNIT.get(STAGE_OF.get(case.status, ""), "lead")
        actor = self.who(actor, case, "approve", (stage_unit,))

        def predict() -> Any:
            self.gate(case, "sign_off", actor)
            stage = STAGE_OF[case.status]
            if stage not in case.drafts:
                raise Refused(StateConflict, "nothing drafted")
            if not self.may(actor, "approve", case, (STAGE_UNIT[stage],)):
                raise Refused(PermissionDenied, "not the answering unit's head")

            def apply() -> None:
                case.clocks.pop(STAGE_CLOCK[case.status])
                case.status = ANSWER_STATUS[stage]
                case.drafts.discard(stage)
                case.signed_on[stage] = self.day

            return apply

        self.step(
            case,
            "sign_off",
            predict,
            lambda: services.petition_sign_off(actor=self.actor(actor), petition=self.db(case)),
        )

    @rule(
        i=st.integers(0, 7),
        actor=ACTOR,
        document=st.sampled_from(
            ["decision", "decision", "review_decision", "recheck_decision", "acceptance_notice"]
        ),
        back=st.sampled_from([-1, 0, 0, 1, 3, 10, 40]),
    )
    def deliver(self, i: int, actor: Any, document: str, back: int) -> None:
        case = self.pick(i, "deliver")
        delivered_on = self.day - dt.timedelta(days=back)
        actor = self.who(actor, case, "deliver")

        def predict() -> Any:
            self.gate(case, "deliver", actor)
            if delivered_on > self.day:
                raise Refused(ValidationError, "in the future")
            stage = ANSWER_DOCS.get(document)
            if stage is not None and case.status != ANSWER_STATUS[stage]:
                raise Refused(StateConflict, "answer not signed off")
            # nothing reaches the petitioner before it exists
            earliest = case.signed_on[stage] if stage is not None else case.received_on
            if delivered_on < earliest:
                raise Refused(ValidationError, f"delivered before {earliest}")

            def apply() -> None:
                window = {"decision": "review_request_by", "review": "recheck_request_by"}
                if case.kind == "claim" and stage in window:
                    case.clocks[window[stage]] = ModelClock(delivered_on)

            return apply

        self.step(
            case,
            "deliver",
            predict,
            lambda: services.petition_deliver(
                actor=self.actor(actor),
                petition=self.db(case),
                document=document,
                method="post",
                delivered_on=delivered_on,
            ),
        )

    @rule(
        i=st.integers(0, 7),
        actor=st.tuples(st.integers(0, 9), st.sampled_from(["public", "public", *STAFF])),
        rating=st.sampled_from(["satisfied", "dissatisfied", "so-so"]),
    )
    def rate(self, i: int, actor: Any, rating: str) -> None:
        case = self.pick(i, "rate")
        actor = self.who(actor, case, "record")

        def predict() -> Any:
            self.gate(case, "rate", actor)
            if rating == "so-so":
                raise Refused(ValidationError, "unknown rating")
            return lambda: None

        self.step(
            case,
            "rate",
            predict,
            lambda: services.petition_rate(
                actor=self.actor(actor), petition=self.db(case), rating=rating
            ),
        )

    def _appeal(self, i: int, actor: Any, reason: str, action: str) -> None:
        case = self.pick(i, action)
        window, decide, answered, to = {
            "request_review": ("review_request_by", "review_by", "lead", "review"),
            "request_recheck": ("recheck_request_by", "recheck_by", "review", "recheck"),
        }[action]
        actor = self.who(actor, case, "record")

        def predict() -> Any:
            self.gate(case, action, actor)
            if case.kind != "claim":
                raise Refused(StateConflict, "only claims")
            if window not in case.clocks:
                raise Refused(StateConflict, "answer not delivered")
            if self.day > self.due(case, window):
                raise Refused(ValidationError, "30 days are over")
            if not reason:
                raise Refused(ValidationError, "no reason")
            higher = self.parent_of[getattr(case, answered)]
            if higher is None:
                raise Refused(StateConflict, "no higher organ")

            def apply() -> None:
                setattr(case, to, higher)
                case.status = TRANSITIONS[action][1]  # type: ignore[assignment]
                del case.clocks[window]
                case.clocks[decide] = ModelClock(self.day)

            return apply

        service = getattr(services, f"petition_{action}")
        self.step(
            case,
            action,
            predict,
            lambda: service(actor=self.actor(actor), petition=self.db(case), reason=reason),
        )

    @rule(
        i=st.integers(0, 7),
        actor=st.tuples(st.integers(0, 9), st.sampled_from(["public", "public", *STAFF])),
        reason=st.sampled_from(["不服", ""]),
    )
    def request_review(self, i: int, actor: Any, reason: str) -> None:
        self._appeal(i, actor, reason, "request_review")

    @rule(
        i=st.integers(0, 7),
        actor=st.tuples(st.integers(0, 9), st.sampled_from(["public", "public", *STAFF])),
        reason=st.sampled_from(["仍不服", ""]),
    )
    def request_recheck(self, i: int, actor: Any, reason: str) -> None:
        self._appeal(i, actor, reason, "request_recheck")

    @rule(
        i=st.integers(0, 7),
        actor=st.tuples(st.integers(0, 9), st.sampled_from(["public", *STAFF])),
        reason=st.sampled_from(["已答复", ""]),
    )
    def close(self, i: int, actor: Any, reason: str) -> None:
        case = self.pick(i, "close")
        actor = self.who(actor, case, "close")

        def predict() -> Any:
            self.gate(case, "close", actor)
            if not reason:
                raise Refused(ValidationError, "no reason")

            def apply() -> None:
                case.status = S.CLOSED
                case.clocks.clear()

            return apply

        self.step(
            case,
            "close",
            predict,
            lambda: services.petition_close(
                actor=self.actor(actor), petition=self.db(case), reason=reason
            ),
        )

    def _plan_gate(self, case: Case, actor: str) -> None:
        """The plan steps check the right to handle first, then that the case is open."""
        if not self.may(actor, "handle", case):
            raise Refused(PermissionDenied, f"{actor} may not handle")
        if case.status in (S.CLOSED, S.MERGED):
            raise Refused(StateConflict, "the plan of a finished case")

    @rule(i=st.integers(0, 7), actor=ACTOR, ahead=st.sampled_from([-1, 0, 90]))
    def backlog(self, i: int, actor: Any, ahead: int) -> None:
        case = self.pick(i, "backlog")
        target_on = self.day + dt.timedelta(days=ahead)
        actor = self.who(actor, case, "handle")

        def predict() -> Any:
            self._plan_gate(case, actor)
            if ahead < 0:
                raise Refused(ValidationError, "target in the past")
            return lambda: None

        self.step(
            case,
            "backlog",
            predict,
            lambda: services.petition_backlog_set(
                actor=self.actor(actor), petition=self.db(case), target_on=target_on
            ),
        )

    @rule(i=st.integers(0, 7), actor=ACTOR, text=st.sampled_from(["约谈", " "]))
    def plan_step(self, i: int, actor: Any, text: str) -> None:
        case = self.pick(i, "plan_step")
        actor = self.who(actor, case, "handle")

        def predict() -> Any:
            self._plan_gate(case, actor)
            if not text.strip():
                raise Refused(ValidationError, "no text")
            return lambda: None

        self.step(
            case,
            "plan_step",
            predict,
            lambda: services.petition_plan_step_add(
                actor=self.actor(actor), petition=self.db(case), text=text
            ),
        )

    # --- the way forward: the next step of the ordinary path, so that deep states are reached

    def _proceed(self, i: int, lead: str) -> None:
        case = self.cases[i % len(self.cases)]
        anyone = (0, "clerk")
        self.forced = case
        try:
            status, stage = case.status, STAGE_OF.get(case.status)
            if status == S.REGISTERED:
                self.accept(i, anyone, lead)
            elif stage is not None and stage not in case.drafts:
                which = {"decision": "decide", "review": "decide_review"}.get(stage)
                self.draft(i, anyone, which or "decide_recheck", "explain")
            elif stage is not None:
                self.sign_off(i, anyone)
            elif status in ANSWER_STATUS.values() and case.kind == "claim":
                window: dict[str, str] = {
                    S.DECIDED: "review_request_by",
                    S.REVIEWED: "recheck_request_by",
                }
                document: dict[str, str] = {S.DECIDED: "decision", S.REVIEWED: "review_decision"}
                if status in window and window[status] not in case.clocks:
                    self.deliver(i, anyone, document[status], 0)
                elif status == S.DECIDED:
                    self.request_review(i, (0, "public"), "不服")
                elif status == S.REVIEWED:
                    self.request_recheck(i, (0, "public"), "仍不服")
                else:
                    self.close(i, anyone, "已答复")
            elif status in (S.DECIDED, S.DECLINED):
                self.close(i, anyone, "已答复")
        finally:
            self.forced = None

    @rule(i=st.integers(0, 2), lead=st.sampled_from(["T1", "V1", "T2", "D1", "DEP"]))
    def proceed(self, i: int, lead: str) -> None:
        self._proceed(i, lead)

    @rule(i=st.integers(0, 2), lead=st.sampled_from(["T1", "V1", "T2", "D1", "DEP"]))
    def proceed_again(self, i: int, lead: str) -> None:
        self._proceed(i, lead)

    @rule(i=st.integers(0, 2), lead=st.sampled_from(["T1", "V1", "T2", "D1", "DEP"]))
    def proceed_once_more(self, i: int, lead: str) -> None:
        self._proceed(i, lead)

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def cases_are_as_the_model_says(self) -> None:
        rows = {p.pk: p for p in Petition.objects.filter(pk__in=[c.pk for c in self.cases])}
        for case in self.cases:
            p = rows[case.pk]
            assert p.status == case.status, (p.number, p.status, case.status)
            for name in ("current", "forwarded_by", "lead", "review", "recheck"):
                unit = getattr(p, f"{name}_unit")
                assert (unit.code if unit else None) == getattr(case, name), (name, p.number)
            assert p.extension_days == case.extension <= MAX_EXTENSION
            assert ("objection_pending" in p.flags) == case.objection
            # 复查 and 复核 in order: a re-review only after a review, each by the organ above
            if p.status in (S.REVIEW, S.REVIEWED, S.RECHECK, S.RECHECKED):
                assert p.review_unit is not None
                assert p.review_unit_id == p.lead_unit.parent_id
            if p.status in (S.RECHECK, S.RECHECKED):
                assert p.recheck_unit_id == p.review_unit.parent_id
            audited = (
                AuditEvent.objects.filter(object_type=SUBJECT, object_id=str(case.pk))
                .exclude(action__startswith="clock.")
                .count()
            )
            assert audited == case.audit, (p.number, audited, case.audit)

    @invariant()
    def open_clocks_keep_the_statutory_deadlines(self) -> None:
        by_case: dict[int, dict[str, Clock]] = {c.pk: {} for c in self.cases}
        for clock in Clock.objects.filter(
            subject_type=SUBJECT,
            subject_id__in=list(by_case),
            state__in=["running", "paused"],
        ):
            assert clock.name not in by_case[clock.subject_id], "two open clocks of one name"
            by_case[clock.subject_id][clock.name] = clock
        for case in self.cases:
            live = by_case[case.pk]
            assert set(live) == set(case.clocks), (case.status, sorted(live), sorted(case.clocks))
            if case.status in (S.CLOSED, S.MERGED, S.DECLINED):
                assert not live
            for name, clock in live.items():
                model = case.clocks[name]
                how, days = PERIODS[name]
                assert clock.days == days and clock.rule == f"{how}_days"
                assert clock.start_on == model.start, (name, clock.start_on, model.start)
                assert clock.paused_days == model.paused
                assert (clock.state == "paused") == (model.paused_since is not None)
                assert clock.extra_days == model.extra <= MAX_EXTENSION
                if name != "handle_by":
                    assert clock.extra_days == 0
                expected = due_by_rules(name, model.start, model.extra, model.paused)
                assert clock.due_on == expected, (name, model.start, clock.due_on, expected)


@pytest.mark.slow
def test_no_sequence_of_steps_breaks_the_petition_rules(personas: Any, today: Today) -> None:
    PetitionMachine.personas = personas
    PetitionMachine.chief = make_person(
        "chief", personas.city.C, [(Role.UNIT_HEAD, personas.city.C)]
    )
    PetitionMachine.today = today
    run_state_machine_as_test(
        PetitionMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    if os.environ.get("ANXIN_STATEFUL_STATS"):
        print(sorted(STATS.items()))


# --- the bugs the machine found, kept as plain regression tests --------------------------------


def _objected(personas: Any, register: Any) -> Petition:
    p = register(received_on=dt.date(2026, 9, 16)).petition
    p = services.petition_forward(
        actor=personas.clerk, petition=p, to_unit=personas.city.T1, on=dt.date(2026, 9, 30)
    )
    return services.petition_object(
        actor=personas.same, petition=p, reason="不属本街道职责", on=dt.date(2026, 10, 9)
    )


def test_a_case_is_forwarded_again_after_an_upheld_objection(personas: Any, register: Any) -> None:
    p = _objected(personas, register)
    p = services.petition_settle_objection(
        actor=personas.clerk, petition=p, upheld=True, on=dt.date(2026, 10, 12)
    )
    p = services.petition_forward(
        actor=personas.clerk, petition=p, to_unit=personas.city.T2, on=dt.date(2026, 10, 12)
    )
    assert p.current_unit == personas.city.T2
    assert clocks.deadlines(p)["object_by"] == "2026-10-19"  # 5 working days from 10-12


def test_an_upheld_objection_sends_the_case_elsewhere(personas: Any, register: Any) -> None:
    p = _objected(personas, register)
    p = services.petition_settle_objection(
        actor=personas.clerk, petition=p, upheld=True, to_unit=personas.city.T2
    )
    assert p.current_unit == personas.city.T2 and "object_by" in clocks.running(p)


def _decided(personas: Any, register: Any) -> Petition:
    p = register(received_on=dt.date(2026, 9, 16)).petition
    p = services.petition_accept(actor=personas.clerk, petition=p, lead_unit=personas.city.T1)
    services.petition_decide(
        actor=personas.member,
        petition=p,
        outcome="explain",
        facts="经核实……",
        reasons="依据……",
        legal_basis="第三十二条",
    )
    return services.petition_sign_off(actor=personas.same, petition=p)


def test_nothing_is_delivered_before_the_answer_was_signed_off(
    personas: Any, register: Any
) -> None:
    p = _decided(personas, register)
    signed = timezone.localdate()
    with pytest.raises(ValidationError) as exc:
        services.petition_deliver(
            actor=personas.member,
            petition=p,
            document="decision",
            method="post",
            delivered_on=signed - dt.timedelta(days=1),
        )
    assert exc.value.message_dict["delivered_on"] == [
        f"该答复意见书于 {signed.isoformat()} 签发，送达日期不能早于签发日期。"
    ]
    assert clocks.running(p) == {}


def test_a_review_answer_delivered_again_restarts_the_window(personas: Any, register: Any) -> None:
    p = _decided(personas, register)
    today = timezone.localdate()
    p = services.petition_deliver(
        actor=personas.member, petition=p, document="decision", method="post", delivered_on=today
    )
    p = services.petition_request_review(actor=None, petition=p, reason="不服")
    # the handling unit may not stop the clock of its own review
    with pytest.raises(PermissionDenied):
        services.petition_pause(actor=personas.member, petition=p, reason="听证")
    services.petition_decide_review(
        actor=personas.parent,
        petition=p,
        outcome="explain",
        facts="复查查明……",
        reasons="……",
        legal_basis="第三十五条",
    )
    p = services.petition_sign_off(actor=personas.parent, petition=p)
    for _ in range(2):
        p = services.petition_deliver(
            actor=personas.parent,
            petition=p,
            document="review_decision",
            method="post",
            delivered_on=today,
        )
    assert clocks.deadlines(p)["recheck_request_by"] == period_end(today, 30).isoformat()
