"""Named personas for tests, shared by every app.

The test city::

    C  (city)
    ├── D1 (district) ── T1 (township) ── V1 (village)
    │                └─ T2 (township)          ← sibling of T1
    ├── D2 (district) ── T3 (township)         ← outside D1 altogether
    └── DEP (department)

Personas (all active, password ``PASSWORD``): ``same`` (unit head of T1, home T1), ``member``
(handler in T1), ``parent`` (unit head of D1), ``sibling`` (unit head of T2), ``outsider``
(unit head of T3), ``clerk`` (clerk with city-wide scope, home DEP), ``sysadmin``, ``secadmin``,
``auditor`` (one administrator role each, scope C), ``viewer`` (read-only, scope C) and
``enterprise`` (enterprise contact in T1).
"""

from __future__ import annotations

from dataclasses import dataclass

from anxin.core.choices import Role, UnitKind
from anxin.core.models import Unit, User
from anxin.core.services import role_assign, unit_create, user_create

PASSWORD = "Persona-pass-2026"


@dataclass
class City:
    C: Unit
    D1: Unit
    D2: Unit
    T1: Unit
    T2: Unit
    T3: Unit
    V1: Unit
    DEP: Unit


def make_city() -> City:
    c = unit_create(
        actor=None, code="C", name="测试市", kind=UnitKind.CITY, division_code="990100000000"
    )
    d1 = unit_create(
        actor=None,
        code="D1",
        name="一区",
        kind=UnitKind.DISTRICT,
        parent=c,
        division_code="990102000000",
    )
    d2 = unit_create(
        actor=None,
        code="D2",
        name="二区",
        kind=UnitKind.DISTRICT,
        parent=c,
        division_code="990103000000",
    )
    t1 = unit_create(
        actor=None,
        code="T1",
        name="一街道",
        kind=UnitKind.TOWNSHIP,
        parent=d1,
        division_code="990102001000",
    )
    t2 = unit_create(
        actor=None,
        code="T2",
        name="二街道",
        kind=UnitKind.TOWNSHIP,
        parent=d1,
        division_code="990102002000",
    )
    t3 = unit_create(
        actor=None,
        code="T3",
        name="三街道",
        kind=UnitKind.TOWNSHIP,
        parent=d2,
        division_code="990103001000",
    )
    v1 = unit_create(
        actor=None,
        code="V1",
        name="一社区",
        kind=UnitKind.VILLAGE,
        parent=t1,
        division_code="990102001201",
    )
    dep = unit_create(actor=None, code="DEP", name="测试局", kind=UnitKind.DEPARTMENT, parent=c)
    return City(c, d1, d2, t1, t2, t3, v1, dep)


@dataclass
class Personas:
    city: City
    same: User
    member: User
    parent: User
    sibling: User
    outsider: User
    clerk: User
    sysadmin: User
    secadmin: User
    auditor: User
    viewer: User
    enterprise: User


def make_person(
    username: str, home: Unit, roles: list[tuple[str, Unit]], must_change_password: bool = False
) -> User:
    person, _ = user_create(
        actor=None,
        username=username,
        name=username,
        unit=home,
        password=PASSWORD,
        must_change_password=must_change_password,
    )
    for role, scope in roles:
        role_assign(actor=None, user=person, role=role, unit=scope)
    return person


def make_personas() -> Personas:
    city = make_city()
    return Personas(
        city=city,
        same=make_person("same", city.T1, [(Role.UNIT_HEAD, city.T1)]),
        member=make_person("member", city.T1, [(Role.HANDLER, city.T1)]),
        parent=make_person("parent", city.D1, [(Role.UNIT_HEAD, city.D1)]),
        sibling=make_person("sibling", city.T2, [(Role.UNIT_HEAD, city.T2)]),
        outsider=make_person("outsider", city.T3, [(Role.UNIT_HEAD, city.T3)]),
        clerk=make_person("clerk", city.DEP, [(Role.CLERK, city.C)]),
        sysadmin=make_person("sysadmin", city.C, [(Role.SYSADMIN, city.C)]),
        secadmin=make_person("secadmin", city.C, [(Role.SECADMIN, city.C)]),
        auditor=make_person("auditor", city.C, [(Role.AUDITOR, city.C)]),
        viewer=make_person("viewer", city.C, [(Role.VIEWER, city.C)]),
        enterprise=make_person("enterprise", city.T1, [(Role.ENTERPRISE, city.T1)]),
    )
