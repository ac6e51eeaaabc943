"""Demo data of the core app: the 示范市 organisation tree, the demo logins and other staff.

``manage.py seed_demo`` calls ``seed(ctx)`` of every Anxin app that has a ``demo`` module, in
INSTALLED_APPS order; each later app adds realistic records of its own in every state. All
writes go through services. Deterministic for a given seed; a second run keeps existing data.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from faker import Faker

from anxin.core.choices import Role
from anxin.core.models import Unit, User
from anxin.core.services import role_assign, units_load, user_create

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "demo_city.json"

#: the demo logins (ANXIN_DEMO=1): username, name, home unit, [(role, scope unit)]
DEMO_USERS: list[tuple[str, str, str, list[tuple[str, str]]]] = [
    ("admin", "系统管理员", "SFS", [(Role.SYSADMIN, "SFS")]),
    ("secadmin", "安全保密管理员", "SFS", [(Role.SECADMIN, "SFS")]),
    ("auditor", "安全审计员", "SFS", [(Role.AUDITOR, "SFS")]),
    ("clerk", "登记员 陈静", "SFS-XFJ", [(Role.CLERK, "SFS")]),
    ("handler", "承办人 刘洋", "SFS-AP-01", [(Role.HANDLER, "SFS-AP-01")]),
    ("leader", "城关街道负责人 王强", "SFS-AP-01", [(Role.UNIT_HEAD, "SFS-AP-01")]),
    ("reviewer", "安平区负责人 赵敏", "SFS-AP", [(Role.UNIT_HEAD, "SFS-AP")]),
    ("city_leader", "市负责人 孙立", "SFS", [(Role.UNIT_HEAD, "SFS")]),
    ("supervisor", "督查员 周红", "SFS-DCS", [(Role.SUPERVISOR, "SFS")]),
    ("inspector", "安全检查员 吴刚", "SFS-YJGLJ", [(Role.INSPECTOR, "SFS")]),
    ("enterprise", "企业联系人 郑伟", "SFS-AP-01", [(Role.ENTERPRISE, "SFS-AP-01")]),
    ("viewer", "只读用户 冯丽", "SFS", [(Role.VIEWER, "SFS")]),
]


@dataclass
class DemoContext:
    seed: int
    rng: random.Random
    faker: Faker
    demo_logins: bool
    #: multiplies the number of records each app makes (tests use a small scale)
    scale: float = 1.0
    out: list[str] = field(default_factory=list)

    def count(self, n: int) -> int:
        return max(1, round(n * self.scale))

    def say(self, line: str) -> None:
        self.out.append(line)


def _person(
    ctx: DemoContext,
    username: str,
    name: str,
    unit: Unit,
    roles: list[tuple[str, Unit]],
    password: str | None,
) -> User | None:
    if User.objects.filter(username=username).exists():
        return None
    person, _ = user_create(
        actor=None,
        username=username,
        name=name,
        unit=unit,
        phone=ctx.faker.phone_number(),
        password=password,
        must_change_password=password is None,
        usable_password=password is not None,
    )
    for role, scope in roles:
        role_assign(actor=None, user=person, role=role, unit=scope)
    return person


def seed(ctx: DemoContext) -> None:
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))["units"]
    result = units_load(actor=None, rows=rows)
    ctx.say(f"units: {result['created']} created, {result['updated']} updated")
    units = {u.code: u for u in Unit.objects.all()}

    created = 0
    if ctx.demo_logins:
        for username, name, home, roles in DEMO_USERS:
            person = _person(
                ctx,
                username,
                name,
                units[home],
                [(r, units[c]) for r, c in roles],
                settings.ANXIN_DEMO_PASSWORD,
            )
            created += person is not None
    # Ordinary staff with Faker names: a handler and a unit head in every township and district,
    # and a clerk in each district petition bureau. They cannot sign in until an administrator
    # issues them a password (people page → reset password).
    for unit in sorted(units.values(), key=lambda u: u.path):
        wanted: list[tuple[str, str]] = []
        if unit.kind in ("township", "district"):
            wanted = [(Role.HANDLER, "h"), (Role.UNIT_HEAD, "u")]
        elif unit.kind == "department" and unit.code.endswith("-XFJ"):
            wanted = [(Role.CLERK, "c")]
        for role, tag in wanted:
            username = f"{unit.code.lower().replace('-', '_')}_{tag}"
            person = _person(ctx, username, ctx.faker.name(), unit, [(role, unit)], None)
            created += person is not None
    ctx.say(f"people: {created} created")
