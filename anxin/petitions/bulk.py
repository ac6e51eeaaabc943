"""Bulk petitions for benchmarks and load tests (``manage.py seed_bulk --petitions N``).

Generates what the services would have written for cases registered over the last three years
and moved through the workflow: the case row, its units (registering, holding, lead), its
complainant (SM4-encrypted, from a small pool encrypted once), its ``accept_by``/``handle_by``
clocks, the written decision of decided cases, its full-text index row, and the first step of
its timeline (``PetitionEvent`` ``registered``, which the rollups count as received). Texts come from a
pool tokenised once by jieba (see :mod:`anxin.core.search`), so indexing a million cases costs
no segmentation per case. The rest of the timelines is not generated: the bench reads ledgers,
search, figures and sweeps, not case pages.

Deterministic for a seed. Case numbers continue each year's counter, which is moved past them.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.utils import timezone

from anxin.core.bulk import (
    BulkWriter,
    analyze,
    indexes_dropped,
    next_id,
    reset_sequences,
    stop_state,
)
from anxin.core.calendar import WorkingCalendar
from anxin.core.choices import UnitKind
from anxin.core.models import Unit, User
from anxin.core.search import _index_text
from anxin.petitions.choices import Channel, Kind, Outcome, Rating, Stage, Status
from anxin.petitions.demo import MATTERS
from anxin.petitions.matching import SEARCH_TABLE
from anxin.petitions.models import (
    Category,
    Complainant,
    Counter,
    Decision,
    DeclineReason,
    Petition,
    PetitionEvent,
    PetitionUnit,
)
from anxin.petitions.rules import CLOCKS, handle_days
from anxin.petitions.services._common import query_digest
from anxin.supervision.models import Clock
from anxin.supervision.rules import compute_due

#: the ``seed_bulk`` option that asks for petitions
OPTION = "petitions"
OPTION_HELP = "petitions to write"
CHUNK = 20_000
YEARS = 3
SUBJECT = "petitions.petition"

CHANNELS = [
    (Channel.WEB, 45),
    (Channel.PHONE, 25),
    (Channel.LETTER, 15),
    (Channel.VISIT, 12),
    (Channel.FAX, 3),
]
KINDS = [(Kind.CLAIM, 70), (Kind.SUGGESTION, 20), (Kind.ACCUSATION, 10)]
PLACES = [
    "幸福小区",
    "滨江花园",
    "城南工业园",
    "老街菜市场",
    "第二中学",
    "人民医院",
    "汽车站",
    "东湖村",
]
ASKS = ["请求尽快处理。", "希望有关部门核实。", "多次反映未解决。", "请给予书面答复。", ""]
FACTS = "经调查核实，反映的情况基本属实，已责成有关单位限期整改。"
REASONS = "依据有关法律法规和政策规定，提出如下处理意见。"
BASIS = "《信访工作条例》第三十二条"
NAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明"]


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass
class Pools:
    """Everything that is the same for many rows, prepared once."""

    texts: list[tuple[str, str, str]]  # title, content, their index text
    category_tokens: dict[int, str]
    people: list[tuple[Any, Any]]  # encrypted name, encrypted phone (database values)
    townships: list[Unit]
    districts: list[Unit]
    departments: list[Unit]
    categories: list[Category]
    decline_reason: DeclineReason | None
    drafter: User
    calendar: WorkingCalendar
    due_cache: dict[tuple[str, dt.date, int], dt.date] = field(default_factory=dict)

    def due(self, rule: str, start: dt.date, days: int) -> dt.date:
        key = (rule, start, days)
        found = self.due_cache.get(key)
        if found is None:
            found = self.due_cache[key] = compute_due(rule, start, days, calendar=self.calendar)
        return found


def _pools(rng: random.Random, drafter: User) -> Pools:
    categories = list(Category.objects.filter(is_active=True).order_by("pk"))
    texts: list[tuple[str, str, str]] = []
    matters = [m for ms in MATTERS.values() for m in ms]
    for i in range(1_500):
        title, content = matters[i % len(matters)]
        place = rng.choice(PLACES)
        title = f"{place}{title}" if i % 3 else title
        content = f"{place}居民反映：{content}{rng.choice(ASKS)}"
        texts.append((title[:200], content, ""))
    # the services index "number title content category" (matching.search_text); the number
    # (one token: letters and digits) and the category's tokens are added per case
    texts = [(t, c, _index_text(f"{t} {c}")) for t, c, _ in texts]
    name_field = Complainant._meta.get_field("name")
    phone_field = Complainant._meta.get_field("phone")
    people = []
    for i in range(400):
        name = NAMES[i % len(NAMES)] + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 2 else "")
        phone = f"13{rng.randrange(10**9):09d}"
        people.append(
            (
                name_field.get_db_prep_value(name, connection),
                phone_field.get_db_prep_value(phone, connection),
            )
        )
    units = list(Unit.objects.filter(is_active=True).order_by("pk"))
    return Pools(
        texts=texts,
        people=people,
        townships=[u for u in units if u.kind == UnitKind.TOWNSHIP],
        districts=[u for u in units if u.kind == UnitKind.DISTRICT],
        departments=[u for u in units if u.kind == UnitKind.DEPARTMENT],
        categories=categories,
        category_tokens={c.pk: _index_text(c.name) for c in categories},
        decline_reason=DeclineReason.objects.filter(is_active=True).order_by("pk").first(),
        drafter=drafter,
        calendar=WorkingCalendar(),
    )


def _status_for(rng: random.Random, age: int) -> str:
    if age < 15:
        return _weighted(
            rng, [(Status.REGISTERED, 50), (Status.HANDLING, 45), (Status.DECLINED, 5)]
        )
    if age < 60:
        return _weighted(
            rng,
            [
                (Status.REGISTERED, 3),
                (Status.HANDLING, 55),
                (Status.DECIDED, 30),
                (Status.DECLINED, 5),
                (Status.CLOSED, 7),
            ],
        )
    return _weighted(
        rng,
        [
            (Status.CLOSED, 82),
            (Status.DECIDED, 4),
            (Status.REVIEW, 2),
            (Status.REVIEWED, 2),
            (Status.HANDLING, 6),
            (Status.DECLINED, 4),
        ],
    )


DECIDED = {Status.DECIDED, Status.REVIEW, Status.REVIEWED, Status.CLOSED}

PETITION_FIELDS = [
    "id", "uid", "number", "query_digest", "channel", "kind", "category_id", "title", "content",
    "received_on", "registered_at", "registering_unit_id", "current_unit_id", "lead_unit_id",
    "status", "anonymous", "accused_unit_id", "decline_reason_id", "outcome", "rating",
    "rated_at", "closed_at", "close_reason", "updated_at", "version",
]  # fmt: skip
UNIT_FIELDS = ["petition_id", "unit_id", "role", "created_at"]
EVENT_FIELDS = ["petition_id", "at", "kind", "actor_id", "actor_label", "unit_id", "data"]
#: who the bulk timeline names (the account ``seed_bulk`` creates is named the same)
EVENT_LABEL = "批量数据"
PERSON_FIELDS = ["petition_id", "name", "phone"]
CLOCK_FIELDS = [
    "subject_type", "subject_id", "name", "unit_id", "rule", "start_on", "days", "due_on",
    "state", "stopped_on", "created_at", "updated_at",
]  # fmt: skip
DECISION_FIELDS = [
    "petition_id", "stage", "unit_id", "facts", "reasons", "outcome", "legal_basis",
    "drafted_by_id", "drafted_at", "signed_off_by_id", "signed_off_at",
]  # fmt: skip


def seed(
    count: int,
    *,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``count`` petitions (with their rows) in the caller's transaction; returns count."""
    if count <= 0:
        return 0
    rng = random.Random(seed)
    today = today or timezone.localdate()
    drafter = User.objects.filter(is_active=True).order_by("pk").first()
    if drafter is None:
        raise RuntimeError("seed_bulk needs at least one user: run seed_demo or load_units first")
    pools = _pools(rng, drafter)
    if not pools.townships or not pools.categories:
        raise RuntimeError("seed_bulk needs the organisation tree and the categories")
    tz = timezone.get_current_timezone()
    first_id = next_id(Petition)
    counters = {
        c.year: c.value for c in Counter.objects.filter(name="XF")
    }  # the numbers continue each year's counter
    seq = dict(counters)
    writers = {
        "petition": BulkWriter(Petition, PETITION_FIELDS),
        "unit": BulkWriter(PetitionUnit, UNIT_FIELDS),
        "person": BulkWriter(Complainant, PERSON_FIELDS),
        "clock": BulkWriter(Clock, CLOCK_FIELDS),
        "decision": BulkWriter(Decision, DECISION_FIELDS),
        "event": BulkWriter(PetitionEvent, EVENT_FIELDS),
    }
    search = _SearchWriter()
    tables = [w.table for w in writers.values()]
    accept = CLOCKS["accept_by"]
    handle_rule = CLOCKS["handle_by"].rule
    span = YEARS * 365
    with indexes_dropped([*tables, SEARCH_TABLE]):
        done = 0
        while done < count:
            n = min(CHUNK, count - done)
            rows: dict[str, list[tuple[Any, ...]]] = {k: [] for k in writers}
            docs: list[tuple[int, str]] = []
            for i in range(n):
                pk = first_id + done + i
                age = int(span * (rng.random() ** 1.3))  # more recent cases than old ones
                received = today - dt.timedelta(days=age)
                year = received.year
                seq[year] = seq.get(year, 0) + 1
                number = f"XF{year}{seq[year]:07d}"
                kind = _weighted(rng, KINDS)
                channel = _weighted(rng, CHANNELS)
                category = pools.categories[pk % len(pools.categories)]
                title, content, tokens = pools.texts[rng.randrange(len(pools.texts))]
                reg_unit = (
                    rng.choice(pools.townships)
                    if rng.random() < 0.7 or not pools.districts
                    else rng.choice(pools.districts)
                )
                status = _status_for(rng, age)
                accused = rng.choice(pools.departments) if kind == Kind.ACCUSATION else None
                accepted = status not in (Status.REGISTERED, Status.DECLINED)
                lead = (
                    rng.choice(pools.departments)
                    if accepted and pools.departments and rng.random() < 0.3
                    else (reg_unit if accepted else None)
                )
                if accused is not None and lead is not None and lead.pk == accused.pk:
                    lead = reg_unit
                registered_at = dt.datetime.combine(
                    received, dt.time(8 + rng.randrange(10), rng.randrange(60)), tz
                )
                accepted_on = min(received + dt.timedelta(days=rng.randrange(1, 19)), today)
                decided_on = min(accepted_on + dt.timedelta(days=rng.randrange(10, 61)), today)
                outcome = rating = ""
                rated_at = closed_at = None
                close_reason = ""
                if status in DECIDED:
                    outcome = _weighted(
                        rng, [(Outcome.SUPPORT, 50), (Outcome.EXPLAIN, 35), (Outcome.REJECT, 15)]
                    )
                    if rng.random() < 0.7:
                        rating = _weighted(
                            rng,
                            [
                                (Rating.SATISFIED, 70),
                                (Rating.BASICALLY_SATISFIED, 20),
                                (Rating.DISSATISFIED, 10),
                            ],
                        )
                        rated_at = registered_at + dt.timedelta(
                            days=(decided_on - received).days + 3
                        )
                if status == Status.CLOSED:
                    closed_at = registered_at + dt.timedelta(days=(decided_on - received).days + 30)
                    close_reason = "评价期满" if not rating else "已评价"
                rows["petition"].append(
                    (
                        pk,
                        uuid.UUID(int=rng.getrandbits(128), version=4),
                        number,
                        query_digest(f"BULK{seed}X{pk}"),
                        channel,
                        kind,
                        category.pk,
                        title,
                        content,
                        received,
                        registered_at,
                        reg_unit.pk,
                        (lead or reg_unit).pk,
                        lead.pk if lead else None,
                        status,
                        channel != Channel.VISIT and rng.random() < 0.1,
                        accused.pk if accused else None,
                        pools.decline_reason.pk
                        if status == Status.DECLINED and pools.decline_reason
                        else None,
                        outcome,
                        rating,
                        rated_at,
                        closed_at,
                        close_reason,
                        closed_at or registered_at,
                        1,
                    )
                )
                rows["unit"].append((pk, reg_unit.pk, PetitionUnit.Role.REGISTERING, registered_at))
                rows["unit"].append(
                    (pk, (lead or reg_unit).pk, PetitionUnit.Role.HOLDING, registered_at)
                )
                if lead is not None:
                    rows["unit"].append((pk, lead.pk, PetitionUnit.Role.LEAD, registered_at))
                rows["event"].append(
                    (
                        pk, registered_at, "registered", None, EVENT_LABEL, reg_unit.pk,
                        {"channel": channel, "kind": kind, "received_on": received.isoformat(),
                         "number": number},
                    )
                )  # fmt: skip
                name, phone = pools.people[pk % len(pools.people)]
                rows["person"].append((pk, name, phone))
                accept_due = pools.due(accept.rule, received, accept.days)
                decided_yet = accepted or status == Status.DECLINED
                rows["clock"].append(
                    (
                        SUBJECT, pk, "accept_by", reg_unit.pk, accept.rule, received,
                        accept.days, accept_due,
                        stop_state(accepted_on, accept_due) if decided_yet else "running",
                        accepted_on if decided_yet else None,
                        registered_at, registered_at,
                    )
                )  # fmt: skip
                if accepted:
                    days = handle_days(kind)
                    handle_due = pools.due(handle_rule, accepted_on, days)
                    done_handling = status in DECIDED
                    rows["clock"].append(
                        (
                            SUBJECT, pk, "handle_by", (lead or reg_unit).pk, handle_rule,
                            accepted_on, days, handle_due,
                            stop_state(decided_on, handle_due) if done_handling else "running",
                            decided_on if done_handling else None,
                            registered_at, registered_at,
                        )
                    )  # fmt: skip
                    if done_handling:
                        signed = dt.datetime.combine(decided_on, dt.time(16), tz)
                        rows["decision"].append(
                            (
                                pk, Stage.DECISION, (lead or reg_unit).pk, FACTS, REASONS,
                                outcome, BASIS, drafter.pk, signed, drafter.pk, signed,
                            )
                        )  # fmt: skip
                docs.append((pk, f"{number.lower()} {tokens} {pools.category_tokens[category.pk]}"))
            for key, writer in writers.items():
                writer.write(rows[key])
            search.write(docs)
            done += n
            if progress:
                progress(done, count)
    for year, value in seq.items():
        if value != counters.get(year):
            Counter.objects.update_or_create(name="XF", year=year, defaults={"value": value})
    reset_sequences([Petition, PetitionUnit, Complainant, Clock, Decision, PetitionEvent])
    analyze([*tables, SEARCH_TABLE])
    return count


class _SearchWriter:
    """Rows of the petitions' full-text table, written like :func:`search_put_many` would."""

    def write(self, docs: list[tuple[int, str]]) -> None:
        quote = connection.ops.quote_name
        table = quote(SEARCH_TABLE)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # COPY the token text into a temporary table, then one INSERT … SELECT makes
                # the vectors: PostgreSQL does the work set-based, in C.
                cursor.execute(
                    "CREATE TEMP TABLE IF NOT EXISTS bulk_search_docs "
                    "(object_id bigint, tokens text) ON COMMIT DROP"
                )
                with cursor.cursor.copy(
                    "COPY bulk_search_docs (object_id, tokens) FROM STDIN"
                ) as c:
                    for row in docs:
                        c.write_row(row)
                cursor.execute(
                    f"INSERT INTO {table} (object_id, vector) "
                    "SELECT object_id, strip(to_tsvector('simple', tokens)) FROM bulk_search_docs"
                )
                cursor.execute("TRUNCATE bulk_search_docs")
            else:
                cursor.executemany(f"INSERT INTO {table} (rowid, tokens) VALUES (%s, %s)", docs)
