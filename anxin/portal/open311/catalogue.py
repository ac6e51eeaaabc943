"""The Open311 services: petition categories and public hazard report types, with attributes.

Service codes are part of the contract:

- ``petition-<category code>`` for each active petition category (``petition-labour``); group
  ``信访``. A request becomes a web petition through the petitions intake service.
- ``hazard-<type>`` for each public hazard report type below; group ``安全隐患``. A request
  becomes a public hazard report (:mod:`anxin.safety.public_reports`). A hazard has no type
  field: the type is written at the head of the description (``【消防安全】…``), where the
  inspectors triaging the report read it, and read back from there (a report from the portal
  form, without a tag, is ``hazard-other``).

Attributes cover every datatype of GeoReport v2 (``string``, ``number``, ``datetime``,
``text``, ``singlevaluelist``, ``multivaluelist``) and one informational attribute
(``variable`` false).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anxin.petitions import selectors as petition_selectors
from anxin.petitions.choices import Kind
from anxin.petitions.models import Category
from anxin.safety import public_reports

# Vocabulary data, in Chinese like the petition categories (anxin/petitions/vocabularies.py), not
# UI strings: a hazard report type's name is stored as the tag of the description and read back
# from it, so it must not change with the language.
PETITION_GROUP = "信访"
HAZARD_GROUP = "安全隐患"
PETITION_PREFIX = "petition-"
HAZARD_PREFIX = "hazard-"

#: public hazard report types: key, name (also the tag at the head of the description), keywords
HAZARD_TYPES: tuple[tuple[str, str, str], ...] = (
    ("fire", "消防安全", "火灾, 消防通道, 灭火器, 电动车充电"),
    ("gas", "燃气安全", "燃气泄漏, 液化气, 管道"),
    ("chemicals", "危险化学品", "危化品, 易燃易爆, 违规储存"),
    ("construction", "建筑施工", "工地, 脚手架, 高处作业"),
    ("building", "房屋及设施安全", "危房, 广告牌, 电梯, 井盖"),
    ("traffic", "道路交通安全", "道路, 桥梁, 交通设施"),
    ("other", "其他安全隐患", "其他"),
)
HAZARD_OTHER = "other"

MAX_STRING = 200
MAX_TEXT = 4000


def hazard_tag(name: str) -> str:
    return f"【{name}】"


@dataclass(frozen=True)
class Attribute:
    code: str
    datatype: str
    description: Any
    required: bool = False
    order: int = 0
    variable: bool = True
    datatype_description: Any = ""
    #: (key, name) pairs, or a function giving them (for lists read from the database)
    values: Iterable[tuple[str, Any]] | Callable[[], Iterable[tuple[str, Any]]] = ()

    def value_pairs(self) -> list[tuple[str, str]]:
        values = self.values() if callable(self.values) else self.values
        return [(str(k), str(n)) for k, n in values]


@dataclass(frozen=True)
class Service:
    code: str
    name: str
    description: str
    group: str
    keywords: str
    kind: str  # "petition" or "hazard"
    category: Category | None = None
    hazard_type: str = ""
    attributes: tuple[Attribute, ...] = field(default_factory=tuple)

    @property
    def metadata(self) -> bool:
        return bool(self.attributes)


# --- attributes ---------------------------------------------------------------------------------


def _place_units() -> list[tuple[str, str]]:
    return list(public_reports.report_units().values_list("code", "name"))


def _yes_no() -> list[tuple[str, Any]]:
    return [("yes", _("Yes")), ("no", _("No"))]


CONTACT_CHOICES = (
    ("phone", gettext_lazy("By telephone")),
    ("sms", gettext_lazy("By text message")),
    ("letter", gettext_lazy("By letter")),
    ("portal", gettext_lazy("On the portal, with my query code")),
)

HAZARD_FEATURES = (
    ("fire_smoke", gettext_lazy("Open flame or smoke")),
    ("smell_leak", gettext_lazy("Smell or leak")),
    ("cracks", gettext_lazy("Cracks, tilting or loose parts")),
    ("blocked_exit", gettext_lazy("Blocked exits or fire lanes")),
    ("storage", gettext_lazy("Improper storage of goods or chemicals")),
    ("electric", gettext_lazy("Exposed wires or illegal charging")),
)


def _kind_values() -> list[tuple[str, Any]]:
    return list(Kind.choices)


PETITION_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "notice",
        "string",
        gettext_lazy(
            "Your identity is never shown to the unit or person you complain about, and is never "
            "published. Accusations are handled under Art. 30 of the Regulation on Petition Work."
        ),
        variable=False,
        order=0,
    ),
    Attribute(
        "kind",
        "singlevaluelist",
        gettext_lazy("What kind of petition is it?"),
        required=True,
        order=1,
        values=_kind_values,
    ),
    Attribute(
        "anonymous",
        "singlevaluelist",
        gettext_lazy("Submit anonymously?"),
        required=True,
        order=2,
        datatype_description=gettext_lazy(
            "An anonymous petition keeps no identity: first_name, last_name, phone and email "
            "are then ignored, and you can follow the case only with its query code."
        ),
        values=_yes_no,
    ),
    Attribute(
        "title",
        "string",
        gettext_lazy("A short title of the matter"),
        order=3,
        datatype_description=gettext_lazy(
            "At most 200 characters; the start of the description when left empty."
        ),
    ),
    Attribute(
        "request",
        "text",
        gettext_lazy("What do you ask for?"),
        order=4,
        datatype_description=gettext_lazy("At most 4000 characters."),
    ),
    Attribute(
        "occurred_at",
        "datetime",
        gettext_lazy("When did it happen?"),
        order=5,
        datatype_description=gettext_lazy(
            "W3C date and time with time zone, e.g. 2026-11-27T09:30:00+08:00."
        ),
    ),
    Attribute(
        "people_involved",
        "number",
        gettext_lazy("How many people are concerned?"),
        order=6,
        datatype_description=gettext_lazy("A whole number."),
    ),
    Attribute(
        "contact_preference",
        "multivaluelist",
        gettext_lazy("How would you like to be answered?"),
        order=7,
        values=CONTACT_CHOICES,
    ),
    Attribute(
        "place_unit",
        "singlevaluelist",
        gettext_lazy("Township or village concerned"),
        order=8,
        datatype_description=gettext_lazy("address_id may give the same code."),
        values=_place_units,
    ),
    Attribute(
        "accused_unit",
        "string",
        gettext_lazy("Accused unit (accusations only): its name or code"),
        order=9,
    ),
    Attribute(
        "accused_person",
        "string",
        gettext_lazy("Accused person (accusations only)"),
        order=10,
    ),
    Attribute(
        "id_number",
        "string",
        gettext_lazy("Your citizen ID number (optional)"),
        order=11,
        datatype_description=gettext_lazy("Kept encrypted; never shown in any list."),
    ),
    Attribute(
        "contact_address",
        "string",
        gettext_lazy("Your postal address for written answers (optional)"),
        order=12,
        datatype_description=gettext_lazy("Kept encrypted; never shown in any list."),
    ),
)

HAZARD_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute(
        "anonymous",
        "singlevaluelist",
        gettext_lazy("Report anonymously?"),
        required=True,
        order=1,
        datatype_description=gettext_lazy(
            "When not anonymous, give first_name or last_name and phone. Your name and phone "
            "are never shown to the site you report."
        ),
        values=_yes_no,
    ),
    Attribute(
        "unit",
        "singlevaluelist",
        gettext_lazy("Township or village where the hazard is"),
        required=True,
        order=2,
        datatype_description=gettext_lazy("address_id may give the same code instead."),
        values=_place_units,
    ),
    Attribute(
        "features",
        "multivaluelist",
        gettext_lazy("What did you see?"),
        order=3,
        values=HAZARD_FEATURES,
    ),
    Attribute(
        "observed_at",
        "datetime",
        gettext_lazy("When did you see it?"),
        order=4,
        datatype_description=gettext_lazy(
            "W3C date and time with time zone, e.g. 2026-11-27T09:30:00+08:00."
        ),
    ),
    Attribute(
        "people_at_risk",
        "number",
        gettext_lazy("About how many people are at risk?"),
        order=5,
        datatype_description=gettext_lazy("A whole number."),
    ),
    Attribute(
        "landmark",
        "string",
        gettext_lazy("A landmark near the hazard"),
        order=6,
    ),
    Attribute(
        "details",
        "text",
        gettext_lazy("Anything else the inspectors should know"),
        order=7,
        datatype_description=gettext_lazy("At most 4000 characters."),
    ),
)


# --- the services -------------------------------------------------------------------------------


def _petition_service(category: Category) -> Service:
    return Service(
        code=PETITION_PREFIX + category.code,
        name=category.name,
        description=_("Petition (letters and visits) about: %(name)s") % {"name": category.name},
        group=PETITION_GROUP,
        keywords=category.name,
        kind="petition",
        category=category,
        attributes=PETITION_ATTRIBUTES,
    )


def _hazard_service(key: str, name: str, keywords: str) -> Service:
    return Service(
        code=HAZARD_PREFIX + key,
        name=name,
        description=_("Report a safety hazard: %(name)s") % {"name": name},
        group=HAZARD_GROUP,
        keywords=keywords,
        kind="hazard",
        hazard_type=key,
        attributes=HAZARD_ATTRIBUTES,
    )


def service_list() -> list[Service]:
    """Every service, petitions first (one query)."""
    return [_petition_service(c) for c in petition_selectors.categories()] + [
        _hazard_service(*row) for row in HAZARD_TYPES
    ]


def service_get(code: str) -> Service | None:
    code = (code or "").strip()
    if code.startswith(PETITION_PREFIX):
        category = petition_selectors.categories().filter(code=code[len(PETITION_PREFIX) :]).first()
        return _petition_service(category) if category is not None else None
    if code.startswith(HAZARD_PREFIX):
        for row in HAZARD_TYPES:
            if row[0] == code[len(HAZARD_PREFIX) :]:
                return _hazard_service(*row)
    return None


def hazard_type_of(description: str) -> tuple[str, str]:
    """The (key, name) of a hazard report's type, read from the tag its description starts with."""
    for key, name, _kw in HAZARD_TYPES:
        if description.startswith(hazard_tag(name)):
            return key, name
    key, name, _kw = HAZARD_TYPES[-1]
    return key, name


def hazard_type_q(key: str) -> Q:
    """Hazards of one report type (by the description's tag; ``other`` = every other one)."""
    if key == HAZARD_OTHER:
        q = Q()
        for other, name, _kw in HAZARD_TYPES:
            if other != HAZARD_OTHER:
                q &= ~Q(description__startswith=hazard_tag(name))
        return q
    name = dict((k, n) for k, n, _kw in HAZARD_TYPES)[key]
    return Q(description__startswith=hazard_tag(name))


# --- reading a request's attributes -------------------------------------------------------------

ATTRIBUTE_KEY = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


class InvalidAttributes(Exception):
    """A request's attribute is missing or invalid (an Open311 400)."""

    def __init__(self, messages: list[str]) -> None:
        self.messages = messages
        super().__init__("; ".join(messages))


def parse_w3c(value: str) -> dt.datetime | None:
    """A W3C date-time (``2026-11-27T12:00:00+08:00``, ``…Z``) or date, made aware (local time
    when it has no zone). A ``+`` decoded to a space by a careless client is put back."""
    value = (value or "").strip()
    if not value:
        return None
    value = re.sub(r" (\d{2}:?\d{2})$", r"+\1", value)
    try:
        parsed = parse_datetime(value)
        if parsed is None:
            day = parse_date(value)
            if day is None:
                return None
            parsed = dt.datetime.combine(day, dt.time.min)
    except ValueError:
        return None
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


def raw_attributes(data: Any) -> dict[str, list[str]]:
    """``attribute[CODE]`` and ``attribute[CODE][]`` → code → the non-empty values given."""
    found: dict[str, list[str]] = {}
    for key in data:
        match = ATTRIBUTE_KEY.match(key)
        if match is None:
            continue
        values = [v.strip() for v in data.getlist(key) if v and v.strip()]
        if values:
            found.setdefault(match.group(1), []).extend(values)
    return found


def parse_attributes(
    service: Service, data: Any, *, given: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Check the request's attributes against the service definition.

    Returns code → value (``str``, ``Decimal``, aware ``datetime``, or a list of keys for a
    ``multivaluelist``). ``given`` names required attributes already answered another way
    (``unit`` by ``address_id``). Unknown attribute codes are ignored.
    """
    raw = raw_attributes(data)
    values: dict[str, Any] = {}
    errors: list[str] = []
    for attr in service.attributes:
        if not attr.variable:
            continue
        got = raw.get(attr.code, [])
        label = {"code": attr.code, "description": attr.description}
        if not got:
            if attr.required and attr.code not in given:
                errors.append(_("Missing required attribute %(code)s: %(description)s") % label)
            continue
        if attr.datatype == "multivaluelist":
            keys = {k for k, _n in attr.value_pairs()}
            bad = [v for v in got if v not in keys]
            if bad:
                errors.append(_("Invalid value of attribute %(code)s.") % label)
            else:
                values[attr.code] = list(dict.fromkeys(got))
            continue
        value = got[0]
        if attr.datatype == "singlevaluelist":
            if value not in {k for k, _n in attr.value_pairs()}:
                errors.append(_("Invalid value of attribute %(code)s.") % label)
            else:
                values[attr.code] = value
        elif attr.datatype == "number":
            try:
                number = Decimal(value)
            except InvalidOperation:
                number = None
            if number is None or not number.is_finite() or number < 0:
                errors.append(_("Attribute %(code)s must be a number.") % label)
            else:
                values[attr.code] = number
        elif attr.datatype == "datetime":
            moment = parse_w3c(value)
            if moment is None:
                errors.append(
                    _("Attribute %(code)s must be a W3C date and time, e.g. %(example)s.")
                    % {**label, "example": "2026-11-27T09:30:00+08:00"}
                )
            else:
                values[attr.code] = moment
        else:
            limit = MAX_TEXT if attr.datatype == "text" else MAX_STRING
            if len(value) > limit:
                errors.append(
                    _("Attribute %(code)s is too long (at most %(n)d characters).")
                    % {**label, "n": limit}
                )
            else:
                values[attr.code] = value
    if errors:
        raise InvalidAttributes(errors)
    return values


def value_name(attr_code: str, service: Service, key: str) -> str:
    for attr in service.attributes:
        if attr.code == attr_code:
            return dict(attr.value_pairs()).get(key, key)
    return key
