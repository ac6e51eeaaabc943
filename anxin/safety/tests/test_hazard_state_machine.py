"""Stateful property test of the hazard workflow through the services (issue 8, item 9).

A hypothesis ``RuleBasedStateMachine`` records a few hazards at one site (排查/登记, or a report
triaged into a registration) and drives them with every step the services offer — start the
rectification (under 五落实 for a major hazard), evidence, submit, 验收 passed or failed (with a
new deadline), 挂牌督办, regrade, the written application to resume production and its refusal
or approval, 销号, void — by personas who may and may not take them, while a controllable
"today" moves forward. An independent model (rules.md §4, the permission table, the state
table) predicts each step: success, or exactly which refusal. After every step:

- the status is the model's and one the transition table allows from the previous one;
- a refused step raised the expected error and changed nothing (hazard rows, clocks,
  applications, timeline, audit trail);
- a successful step added exactly one ``hazard.*`` audit event on the hazard;
- the rectification clock ``rectify_by`` is open exactly while the hazard is open with a
  deadline and not yet verified, due on the hazard's deadline; once stopped it is met exactly
  when the rectification was submitted by the deadline; a resumption review clock is open
  exactly while its application is pending, due 10 days (calendar, 民法典 Art. 201/203) after it;
- a major hazard past the start of its rectification has all of 五落实; a major hazard that
  stopped production is closed only after an approved resumption (安全生产法 Art. 65(3)).

Budget: ``ANXIN_STATEFUL_EXAMPLES`` and ``ANXIN_STATEFUL_STEPS`` (defaults 10 × 30).
"""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
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
    rule,
    run_state_machine_as_test,
)

from anxin.core.calendar import is_working_day
from anxin.core.models import AuditEvent, Unit
from anxin.safety import hazards
from anxin.safety.hazard_review import (
    hazard_apply_resumption,
    hazard_refuse_resumption,
    hazard_regrade,
)
from anxin.safety.hazard_rules import TRANSITIONS
from anxin.safety.hazards import (
    FiveImplementationsMissing,
    HazardStateConflict,
    ResumptionNotApproved,
)
from anxin.safety.models_hazards import Hazard, HazardEvent, ResumptionApplication
from anxin.safety.tests.hazard_fixtures import file_upload
from anxin.supervision.models import Clock

pytest_plugins = ["anxin.safety.tests.hazard_fixtures"]
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("media")]

EXAMPLES = int(os.environ.get("ANXIN_STATEFUL_EXAMPLES", "10"))
STEPS = int(os.environ.get("ANXIN_STATEFUL_STEPS", "30"))
START = dt.date(2026, 9, 14)
TZ = ZoneInfo(django_settings.TIME_ZONE)
SUBJECT = "safety.hazard"
REVIEW_DAYS = 10  # 16号令 Art. 23: the regulator reviews the application within 10 days
STATS: Counter[str] = Counter()
OPEN = ("registered", "rectifying", "submitted", "verified")
FIVE = ("responsible", "measures", "funds", "contingency_plan")


def period_end(start: dt.date, days: int) -> dt.date:
    """民法典 Art. 201 (start day not counted) and 203 (a last day off work moves on)."""
    end = start + dt.timedelta(days=days)
    while not is_working_day(end):
        end += dt.timedelta(days=1)
    return end


#: who may do what (safety.hazard_permissions) at the site in V1 regulated by DEP
MAY = {
    "hazard.manage": {"insp", "same", "parent"},
    "hazard.verify": {"insp", "same", "parent"},
    "hazard.supervise": {"same", "parent"},
    "hazard.submit": {"enterprise"},
}
PEOPLE = ["insp", "same", "parent", "enterprise", "member", "outsider", "viewer"]
WHO = st.tuples(st.integers(0, 9), st.sampled_from(PEOPLE))


class Today:
    def __init__(self, real_localdate: Any) -> None:
        self.day = START
        self.tick = 0
        self._real_localdate = real_localdate

    def localdate(self, value: Any = None, timezone: Any = None) -> dt.date:
        if value is None:
            return self.day
        return self._real_localdate(value, timezone)

    def now(self) -> dt.datetime:
        self.tick += 1
        return dt.datetime.combine(self.day, dt.time(9), tzinfo=TZ) + dt.timedelta(
            microseconds=self.tick
        )


@pytest.fixture
def today(monkeypatch: Any) -> Today:
    clock = Today(timezone.localdate)
    monkeypatch.setattr(timezone, "localdate", clock.localdate)
    monkeypatch.setattr(timezone, "now", clock.now)
    return clock


@dataclass
class Item:
    pk: int
    status: str
    grade: str
    found_on: dt.date
    deadline: dt.date | None
    stopped: bool
    plan: dict[str, Any] = field(default_factory=dict)
    listed: bool = False
    approved: bool = False
    evidence: int = 0
    submitted_on: dt.date | None = None
    applications: list[str] = field(default_factory=list)
    review_started: dict[int, dt.date] = field(default_factory=dict)
    rectify_open: bool = False
    audit: int = 1


class Refused(Exception):
    def __init__(self, kind: type[Exception], why: str) -> None:
        super().__init__(f"{kind.__name__}: {why}")
        self.kind = kind


class HazardMachine(RuleBasedStateMachine):
    people: dict[str, Any] = {}
    site: Any = None
    today: Today | None = None

    def __init__(self) -> None:
        super().__init__()
        assert self.today is not None
        self.today.day = START
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.items: list[Item] = []
        self.forced: Item | None = None
        self.city = Unit.objects.get(code="C")

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @property
    def day(self) -> dt.date:
        assert self.today is not None
        return self.today.day

    def actor(self, name: str) -> Any:
        return None if name == "system" else self.people[name]

    def may(self, actor: str, permission: str) -> bool:
        return actor == "system" or actor in MAY[permission]

    def who(self, actor: Any, permission: str) -> str:
        k, anyone = actor
        if k < 7:
            allowed = sorted(MAY[permission])
            return allowed[k % len(allowed)]
        return anyone

    def gate(self, item: Item, action: str, actor: str) -> None:
        allowed, _target, permission = TRANSITIONS[action]
        if item.status not in allowed:
            raise Refused(HazardStateConflict, f"{action} from {item.status}")
        if not self.may(actor, permission):
            raise Refused(PermissionDenied, f"{actor} may not {action}")

    def pick(self, i: int, action: str) -> Item:
        if self.forced is not None:
            return self.forced
        if i % 4 != 3:
            ready = [h for h in self.items if h.status in TRANSITIONS[action][0]]
            if ready:
                return ready[i % len(ready)]
        return self.items[i % len(self.items)]

    def db(self, item: Item) -> Hazard:
        return Hazard.objects.get(pk=item.pk)

    def snapshot(self) -> Any:
        return (
            list(Hazard.objects.order_by("pk").values()),
            list(Clock.objects.filter(subject_type=SUBJECT).order_by("pk").values()),
            list(ResumptionApplication.objects.order_by("pk").values()),
            HazardEvent.objects.count(),
            AuditEvent.objects.count(),
        )

    def step(self, item: Item, action: str, predict: Any, call: Any, audit: int = 1) -> None:
        before_status = item.status
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
        except (HazardStateConflict, PermissionDenied, ValidationError) as exc:
            raise AssertionError(f"{action} was refused: {exc!r}; expected success") from exc
        except (FiveImplementationsMissing, ResumptionNotApproved) as exc:
            raise AssertionError(f"{action} was refused: {exc!r}; expected success") from exc
        apply()
        STATS[action] += 1
        if action in TRANSITIONS:
            allowed, target, _permission = TRANSITIONS[action]
            assert before_status in allowed
            if action == "verify":
                assert item.status in ("verified", "rectifying")
            else:
                assert item.status == (target or before_status)
        item.audit += audit

    def set_deadline(self, item: Item, deadline: dt.date) -> None:
        item.deadline = deadline
        item.rectify_open = True

    # --- rules ---------------------------------------------------------------------------

    def _create(self, actor: str, grade: str, stopped: bool, ahead: int | None, reported: bool):
        deadline = None if ahead is None else self.day + dt.timedelta(days=ahead)
        made: list[Hazard] = []

        def predict() -> Any:
            if actor not in ("system", *MAY["hazard.manage"]):
                raise Refused(PermissionDenied, f"{actor} may not record hazards")
            if deadline is not None and deadline < self.day:
                raise Refused(ValidationError, "deadline before the finding")

            def apply() -> None:
                item = Item(
                    made[0].pk,
                    "reported" if reported else "registered",
                    grade,
                    self.day,
                    deadline,
                    stopped,
                )
                item.rectify_open = deadline is not None and not reported
                self.items.append(item)

            return apply

        def call() -> None:
            made.append(
                hazards.hazard_create(
                    actor=self.actor(actor),
                    site=self.site,
                    description="配电箱未上锁，电缆破损裸露",
                    grade=grade,
                    deadline=deadline,
                    production_stopped=stopped,
                    status="reported" if reported else "registered",
                )
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

    @initialize(
        grade=st.sampled_from(["general", "major"]),
        stopped=st.booleans(),
        ahead=st.sampled_from([None, 0, 15, 30]),
        reported=st.booleans(),
    )
    def first(self, grade: str, stopped: bool, ahead: int | None, reported: bool) -> None:
        self._create("system", grade, stopped, ahead, reported)

    @rule(
        actor=st.sampled_from(["system", "insp", "same", "member", "outsider"]),
        grade=st.sampled_from(["general", "major"]),
        stopped=st.booleans(),
        ahead=st.sampled_from([None, -1, 0, 15, 30]),
        reported=st.booleans(),
    )
    def create(
        self, actor: str, grade: str, stopped: bool, ahead: int | None, reported: bool
    ) -> None:
        if len(self.items) < 4:
            self._create(actor, grade, stopped, ahead, reported)

    @rule(days=st.sampled_from([0, 1, 3, 7, 12, 20, 40]))
    def advance(self, days: int) -> None:
        assert self.today is not None
        self.today.day += dt.timedelta(days=days)

    @rule(
        i=st.integers(0, 7),
        actor=WHO,
        ahead=st.sampled_from([None, -1, 10, 30]),
        grade=st.sampled_from([None, "general", "major"]),
    )
    def register(self, i: int, actor: Any, ahead: int | None, grade: str | None) -> None:
        item = self.pick(i, "register")
        actor = self.who(actor, "hazard.manage")
        deadline = None if ahead is None else self.day + dt.timedelta(days=ahead)

        def predict() -> Any:
            self.gate(item, "register", actor)
            if deadline is not None and deadline < item.found_on:
                raise Refused(ValidationError, "deadline before the finding")

            def apply() -> None:
                item.status = "registered"
                item.grade = grade or item.grade
                if deadline is not None:
                    self.set_deadline(item, deadline)
                # a registered hazard with a deadline has its clock
                item.rectify_open = item.deadline is not None

            return apply

        self.step(
            item,
            "register",
            predict,
            lambda: hazards.hazard_register(
                actor=self.actor(actor), hazard=self.db(item), deadline=deadline, grade=grade
            ),
        )

    @rule(
        i=st.integers(0, 7),
        actor=WHO,
        five=st.sampled_from(["all", "all", "no funds", "none"]),
        ahead=st.sampled_from([None, None, -1, 5, 20, 60]),
        stopped=st.sampled_from([None, True, False]),
    )
    def start_rectification(
        self, i: int, actor: Any, five: str, ahead: int | None, stopped: bool | None
    ) -> None:
        item = self.pick(i, "start_rectification")
        actor = self.who(actor, "hazard.manage")
        given = self.day + dt.timedelta(days=ahead) if ahead is not None else None
        plans: dict[str, dict[str, Any]] = {
            "all": {
                "responsible": "王五",
                "measures": "更换电缆，加锁",
                "funds": Decimal("5000.00"),
                "contingency_plan": "断电预案",
            },
            "no funds": {"responsible": "王五", "measures": "更换电缆", "contingency_plan": "预案"},
            "none": {},
        }
        plan = plans[five]

        def predict() -> Any:
            self.gate(item, "start_rectification", actor)
            deadline = given or item.deadline
            if item.grade == "major":
                if any(not plan.get(f) for f in FIVE) or deadline is None:
                    raise Refused(FiveImplementationsMissing, "五落实")
            elif deadline is None:
                raise Refused(ValidationError, "no deadline")
            assert deadline is not None
            if deadline < item.found_on:
                raise Refused(ValidationError, "deadline before the finding")

            def apply() -> None:
                item.plan = dict(plan)
                if stopped is not None:
                    item.stopped = stopped
                self.set_deadline(item, deadline)
                item.status = "rectifying"

            return apply

        self.step(
            item,
            "start_rectification",
            predict,
            lambda: hazards.hazard_start_rectification(
                actor=self.actor(actor),
                hazard=self.db(item),
                deadline=given,
                production_stopped=stopped,
                **plan,
            ),
        )

    @rule(i=st.integers(0, 7), actor=st.sampled_from(["enterprise", "enterprise", *PEOPLE]))
    def evidence(self, i: int, actor: str) -> None:
        item = self.pick(i, "submit_rectification")

        def predict() -> Any:
            if not self.may(actor, "hazard.submit"):
                raise Refused(PermissionDenied, f"{actor} is not the site's contact")
            if actor != "system" and item.status in ("reported", "void"):
                # the contact never sees the triage queue nor voided reports
                raise Refused(PermissionDenied, "not the contact's hazard")
            if item.status != "rectifying":
                raise Refused(HazardStateConflict, "evidence while rectifying only")

            def apply() -> None:
                item.evidence += 1

            return apply

        self.step(
            item,
            "evidence",
            predict,
            lambda: hazards.hazard_evidence_add(
                actor=self.actor(actor), hazard=self.db(item), upload=file_upload()
            ),
            audit=0,  # the file's own audit event (attachment.add), no step of the hazard
        )

    @rule(i=st.integers(0, 7), actor=WHO, with_file=st.booleans())
    def submit(self, i: int, actor: Any, with_file: bool) -> None:
        item = self.pick(i, "submit_rectification")
        actor = self.who(actor, "hazard.submit")

        def predict() -> Any:
            self.gate(item, "submit_rectification", actor)
            if not with_file and not item.evidence:
                raise Refused(ValidationError, "no new evidence")

            def apply() -> None:
                item.status = "submitted"
                item.evidence = 0
                item.submitted_on = self.day

            return apply

        self.step(
            item,
            "submit_rectification",
            predict,
            lambda: hazards.hazard_submit_rectification(
                actor=self.actor(actor),
                hazard=self.db(item),
                files=[file_upload()] if with_file else [],
            ),
        )

    @rule(
        i=st.integers(0, 7),
        actor=WHO,
        passed=st.booleans(),
        notes=st.sampled_from(["电缆仍裸露", ""]),
        ahead=st.sampled_from([None, -400, 10, 30]),
    )
    def verify(self, i: int, actor: Any, passed: bool, notes: str, ahead: int | None) -> None:
        item = self.pick(i, "verify")
        actor = self.who(actor, "hazard.verify")
        deadline = self.day + dt.timedelta(days=ahead) if ahead is not None else None

        def predict() -> Any:
            self.gate(item, "verify", actor)
            if passed:

                def passes() -> None:
                    item.status = "verified"
                    item.rectify_open = False

                return passes
            if not notes:
                raise Refused(ValidationError, "no reasons")
            if deadline is not None and deadline < item.found_on:
                raise Refused(ValidationError, "deadline before the finding")

            def fails() -> None:
                item.status = "rectifying"
                if deadline is not None:
                    self.set_deadline(item, deadline)

            return fails

        self.step(
            item,
            "verify",
            predict,
            lambda: hazards.hazard_verify(
                actor=self.actor(actor),
                hazard=self.db(item),
                passed=passed,
                notes=notes,
                deadline=None if passed else deadline,
            ),
        )

    @rule(i=st.integers(0, 7), actor=WHO)
    def list_for_supervision(self, i: int, actor: Any) -> None:
        item = self.pick(i, "list_for_supervision")
        actor = self.who(actor, "hazard.supervise")

        def predict() -> Any:
            self.gate(item, "list_for_supervision", actor)
            if item.grade != "major":
                raise Refused(ValidationError, "only a major hazard")
            if item.listed:
                raise Refused(HazardStateConflict, "already listed")

            def apply() -> None:
                item.listed = True

            return apply

        self.step(
            item,
            "list_for_supervision",
            predict,
            lambda: hazards.hazard_list_for_supervision(
                actor=self.actor(actor), hazard=self.db(item), unit=self.city, document="督办"
            ),
        )

    @rule(
        i=st.integers(0, 7),
        actor=WHO,
        grade=st.sampled_from(["general", "major"]),
        reason=st.sampled_from(["复核后定级", ""]),
        fill=st.booleans(),
    )
    def regrade(self, i: int, actor: Any, grade: str, reason: str, fill: bool) -> None:
        item = self.pick(i, "regrade")
        actor = self.who(actor, "hazard.manage")
        blanks: dict[str, Any] = (
            {
                "responsible": "赵六",
                "measures": "停用设备",
                "funds": Decimal("800.00"),
                "contingency_plan": "预案",
            }
            if fill
            else {}
        )

        def predict() -> Any:
            self.gate(item, "regrade", actor)
            if grade == item.grade:
                raise Refused(ValidationError, "same grade")
            if not reason:
                raise Refused(ValidationError, "no reason")
            if grade == "general" and item.listed:
                raise Refused(ValidationError, "listed stays major")
            plan = dict(item.plan)
            if grade == "major" and item.status in ("rectifying", "submitted", "verified"):
                for f in FIVE:
                    plan[f] = plan.get(f) or blanks.get(f)
                if any(not plan.get(f) for f in FIVE) or item.deadline is None:
                    raise Refused(FiveImplementationsMissing, "五落实")

            def apply() -> None:
                item.grade = grade
                item.plan = plan

            return apply

        self.step(
            item,
            "regrade",
            predict,
            lambda: hazard_regrade(
                actor=self.actor(actor), hazard=self.db(item), grade=grade, reason=reason, **blanks
            ),
        )

    @rule(i=st.integers(0, 7), actor=WHO, text=st.sampled_from(["申请复产", ""]))
    def apply_resumption(self, i: int, actor: Any, text: str) -> None:
        item = self.pick(i, "apply_resumption")
        actor = self.who(actor, "hazard.submit")

        def predict() -> Any:
            self.gate(item, "apply_resumption", actor)
            if not item.stopped:
                raise Refused(ValidationError, "no resumption needed")
            if item.approved:
                raise Refused(HazardStateConflict, "already approved")
            if "pending" in item.applications:
                raise Refused(HazardStateConflict, "one under review")
            if not text:
                raise Refused(ValidationError, "no text")

            def apply() -> None:
                item.applications.append("pending")
                item.review_started[len(item.applications)] = self.day

            return apply

        self.step(
            item,
            "apply_resumption",
            predict,
            lambda: hazard_apply_resumption(
                actor=self.actor(actor), hazard=self.db(item), text=text
            ),
        )

    def _decide(self, item: Item, approved: bool) -> None:
        if "pending" in item.applications:
            n = item.applications.index("pending")
            item.applications[n] = "approved" if approved else "refused"

    @rule(i=st.integers(0, 7), actor=WHO, reasons=st.sampled_from(["整改资料不全", ""]))
    def refuse_resumption(self, i: int, actor: Any, reasons: str) -> None:
        item = self.pick(i, "refuse_resumption")
        actor = self.who(actor, "hazard.verify")

        def predict() -> Any:
            self.gate(item, "refuse_resumption", actor)
            if "pending" not in item.applications:
                raise Refused(HazardStateConflict, "nothing under review")
            if not reasons:
                raise Refused(ValidationError, "no reasons")
            return lambda: self._decide(item, False)

        self.step(
            item,
            "refuse_resumption",
            predict,
            lambda: hazard_refuse_resumption(
                actor=self.actor(actor), hazard=self.db(item), reasons=reasons
            ),
        )

    @rule(i=st.integers(0, 7), actor=WHO)
    def approve_resumption(self, i: int, actor: Any) -> None:
        item = self.pick(i, "approve_resumption")
        actor = self.who(actor, "hazard.verify")

        def predict() -> Any:
            self.gate(item, "approve_resumption", actor)
            if not item.stopped:
                raise Refused(ValidationError, "no resumption needed")
            if item.approved:
                raise Refused(HazardStateConflict, "already approved")

            def apply() -> None:
                item.approved = True
                self._decide(item, True)

            return apply

        self.step(
            item,
            "approve_resumption",
            predict,
            lambda: hazards.hazard_approve_resumption(
                actor=self.actor(actor), hazard=self.db(item), notes="现场复核通过"
            ),
        )

    @rule(i=st.integers(0, 7), actor=WHO)
    def close(self, i: int, actor: Any) -> None:
        item = self.pick(i, "close")
        actor = self.who(actor, "hazard.manage")

        def predict() -> Any:
            self.gate(item, "close", actor)
            if item.stopped and not item.approved:
                raise Refused(ResumptionNotApproved, "复产未经审查同意")

            def apply() -> None:
                item.status = "closed"

            return apply

        self.step(
            item,
            "close",
            predict,
            lambda: hazards.hazard_close(actor=self.actor(actor), hazard=self.db(item)),
        )

    @rule(i=st.integers(0, 7), actor=WHO, reason=st.sampled_from(["重复登记", ""]))
    def void(self, i: int, actor: Any, reason: str) -> None:
        item = self.pick(i, "void")
        actor = self.who(actor, "hazard.manage")

        def predict() -> Any:
            self.gate(item, "void", actor)
            if not reason:
                raise Refused(ValidationError, "no reason")

            def apply() -> None:
                item.status = "void"
                item.rectify_open = False

            return apply

        self.step(
            item,
            "void",
            predict,
            lambda: hazards.hazard_void(
                actor=self.actor(actor), hazard=self.db(item), reason=reason
            ),
        )

    # --- the way forward ---------------------------------------------------------------------

    @rule(i=st.integers(0, 2))
    def proceed(self, i: int) -> None:
        item = self.items[i % len(self.items)]
        self.forced = item
        try:
            if item.status == "reported":
                self.register(i, (0, "insp"), 20, None)
            elif item.status == "registered":
                self.start_rectification(i, (0, "insp"), "all", None if item.deadline else 20, None)
            elif item.status == "rectifying":
                self.submit(i, (0, "enterprise"), True)
            elif item.status == "submitted":
                self.verify(i, (0, "insp"), True, "", None)
            elif item.status == "verified" and item.stopped:
                if not item.approved and "pending" not in item.applications:
                    self.apply_resumption(i, (0, "enterprise"), "申请复产")
                elif not item.approved:
                    self.approve_resumption(i, (0, "insp"))
                else:
                    self.close(i, (0, "insp"))
            elif item.status == "verified":
                self.close(i, (0, "insp"))
        finally:
            self.forced = None

    @rule(i=st.integers(0, 2))
    def proceed_again(self, i: int) -> None:
        self.proceed(i)

    @rule(i=st.integers(0, 2))
    def proceed_once_more(self, i: int) -> None:
        self.proceed(i)

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def hazards_are_as_the_model_says(self) -> None:
        rows = {h.pk: h for h in Hazard.objects.filter(pk__in=[h.pk for h in self.items])}
        for item in self.items:
            h = rows[item.pk]
            assert (h.status, h.grade, h.deadline) == (item.status, item.grade, item.deadline)
            assert h.production_stopped == item.stopped
            assert (h.supervision_unit_id is not None) == item.listed
            assert (h.resumption_approved_at is not None) == item.approved
            if h.grade == "major" and h.status in ("rectifying", "submitted", "verified"):
                assert h.responsible and h.measures and h.funds and h.contingency_plan
                assert h.deadline is not None  # 五落实
            if h.status == "closed" and h.production_stopped:
                assert h.resumption_approved_at is not None  # 安全生产法 Art. 65(3)
            audited = AuditEvent.objects.filter(
                object_type=SUBJECT, object_id=str(item.pk), action__startswith="hazard."
            ).count()
            assert audited == item.audit, (h.number, audited, item.audit)
            statuses = list(
                ResumptionApplication.objects.filter(hazard=h)
                .order_by("number")
                .values_list("status", flat=True)
            )
            assert statuses == item.applications

    @invariant()
    def clocks_keep_the_deadlines(self) -> None:
        for item in self.items:
            clocks = {
                c.name: c
                for c in Clock.objects.filter(subject_type=SUBJECT, subject_id=item.pk).exclude(
                    state="cancelled"
                )
            }
            live = {n for n, c in clocks.items() if c.state in ("running", "paused")}
            expected = {"rectify_by"} if item.rectify_open else set()
            expected |= {
                f"resumption_review_{n + 1}"
                for n, status in enumerate(item.applications)
                if status == "pending"
            }
            assert live == expected, (item.status, sorted(live), sorted(expected))
            rectify = clocks.get("rectify_by")
            if rectify is not None and rectify.state in ("running", "paused"):
                assert rectify.rule == "fixed" and rectify.due_on == item.deadline
                assert rectify.start_on <= rectify.due_on
            elif rectify is not None:  # stopped by the passed verification
                assert item.submitted_on is not None
                assert rectify.stopped_on == max(item.submitted_on, rectify.start_on)
                assert (rectify.state == "met") == (rectify.stopped_on <= rectify.due_on)
            for n, started in item.review_started.items():
                clock = clocks[f"resumption_review_{n}"]
                assert clock.rule == "calendar_days" and clock.start_on == started
                assert clock.due_on == period_end(started, REVIEW_DAYS)


@pytest.mark.slow
def test_no_sequence_of_steps_breaks_the_hazard_rules(
    personas: Any, site: Any, inspector: Any, today: Today
) -> None:
    HazardMachine.people = {
        "insp": inspector,
        **{n: getattr(personas, n) for n in PEOPLE if n != "insp"},
    }
    HazardMachine.site = site
    HazardMachine.today = today
    today.day = START
    run_state_machine_as_test(
        HazardMachine,
        settings=settings(
            max_examples=EXAMPLES,
            stateful_step_count=STEPS,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    if os.environ.get("ANXIN_STATEFUL_STATS"):
        print(sorted(STATS.items()))


def test_a_reported_deadline_starts_its_clock_at_the_registration(
    site: Any, inspector: Any
) -> None:
    """Found by the machine: a registered hazard with a deadline had no rectify_by clock."""
    deadline = timezone.localdate() + dt.timedelta(days=10)
    h = hazards.hazard_create(
        actor=None, site=site, description="消防通道堵塞", status="reported", deadline=deadline
    )
    h = hazards.hazard_register(actor=inspector, hazard=h)
    clock = Clock.objects.get(subject_type=SUBJECT, subject_id=h.pk, name="rectify_by")
    assert (clock.state, clock.due_on) == ("running", deadline)
