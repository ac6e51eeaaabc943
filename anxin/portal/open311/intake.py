"""``POST requests``: an Open311 request becomes a web petition or a public hazard report.

Both go through the same services as the portal's forms, with ``actor=None``: the petitions
intake service (:func:`anxin.petitions.services.petition_register`, channel ``web``, registered
at the portal's unit) and :func:`anxin.safety.public_reports.hazard_report_public`. So the same
validation applies, the audit trail keeps no client address, and the petitioner's or reporter's
identity is kept encrypted where those services keep it — never in the text of the matter, so
no GET can show it. ``email`` is not kept (Anxin answers by phone, letter or the portal).
``media_url`` is not fetched: the link is noted in the text for the staff who read the case.

Creation is never deferred: the answer carries the ``service_request_id`` (the case or hazard
number) and a ``token`` (the item's uid) that ``tokens/{token}`` resolves.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from anxin.core.models import Unit
from anxin.petitions import services as petition_services
from anxin.petitions.choices import Channel, Kind
from anxin.portal.open311 import catalogue
from anxin.portal.open311.catalogue import Service
from anxin.portal.views import portal_unit
from anxin.safety import public_reports

TITLE_LENGTH = 30
MAX_DESCRIPTION = 4000


class Refused(Exception):
    """The request cannot be created: an Open311 error ``status`` with its descriptions."""

    def __init__(self, status: int, messages: list[str]) -> None:
        self.status = status
        self.messages = messages
        super().__init__("; ".join(messages))


@dataclass
class Created:
    service_request_id: str
    token: str
    service_notice: str


@dataclass
class Location:
    lat: Decimal | None
    long: Decimal | None
    address_string: str
    unit: Unit | None  # from address_id


def media_label() -> str:
    return pgettext("open311", "Media link")


def coordinates_label() -> str:
    return pgettext("open311", "Coordinates")


def place_label() -> str:
    return pgettext("open311", "Place")


def _line(label: str, value: Any) -> str:
    return _("%(label)s: %(value)s") % {"label": label, "value": value}


def _coordinate(value: str | None, limit: int) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value)
    except ArithmeticError:
        return None
    if not number.is_finite() or abs(number) > limit:
        return None
    return number


def read_location(params: Any) -> Location:
    """``lat`` + ``long``, ``address_string`` or ``address_id`` (a township or village code):
    at least one is required."""
    errors: list[str] = []
    lat_raw, long_raw = params.get("lat"), params.get("long")
    lat, long = _coordinate(lat_raw, 90), _coordinate(long_raw, 180)
    if (lat_raw is not None and lat is None) or (long_raw is not None and long is None):
        errors.append(_("lat and long must be decimal degrees (WGS84)."))
    elif (lat is None) != (long is None):
        errors.append(_("Give both lat and long, or neither."))
    unit = None
    address_id = params.get("address_id")
    if address_id is not None:
        unit = public_reports.report_units().filter(code=address_id).first()
        if unit is None:
            errors.append(
                _("address_id %(id)s is not the code of a township or village.")
                % {"id": address_id}
            )
    address = (params.get("address_string") or "")[:200]
    if not errors and lat is None and not address and unit is None:
        errors.append(_("A location is required: lat and long, address_string or address_id."))
    if errors:
        raise Refused(400, errors)
    return Location(lat, long, address, unit)


def _media_url(params: Any) -> str:
    url = params.get("media_url")
    if url is None:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise Refused(400, [_("media_url must be an http or https address.")]) from None
    return url


def _local(moment: Any) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _number(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _refuse(exc: ValidationError) -> Refused:
    return Refused(400, [str(m) for m in exc.messages])


def _identity_name(params: Any) -> str:
    # Chinese names: family name first
    return "".join(p for p in (params.get("last_name"), params.get("first_name")) if p)[:50]


def _common_lines(location: Location, media_url: str) -> list[str]:
    lines = []
    if location.lat is not None and location.long is not None:
        lines.append(
            _line(coordinates_label(), f"{_number(location.lat)}, {_number(location.long)}")
        )
    if media_url:
        lines.append(_line(media_label(), media_url))
    return lines


def _accused_unit(value: str | None) -> Unit | None:
    if value is None:
        return None
    unit = Unit.objects.filter(Q(code=value) | Q(name=value), is_active=True).first()
    if unit is None:
        raise Refused(400, [_("No unit has this name or code: %(value)s") % {"value": value}])
    return unit


def petition_create(*, service: Service, params: Any) -> Created:
    attrs = catalogue.parse_attributes(service, params)
    location = read_location(params)
    media_url = _media_url(params)
    description = (params.get("description") or "")[:MAX_DESCRIPTION]
    if not description:
        raise Refused(400, [_("Describe the matter in description.")])
    anonymous = attrs["anonymous"] == "yes"
    lines = []
    if "request" in attrs:
        lines.append(_line(pgettext("open311", "Request"), attrs["request"]))
    if "occurred_at" in attrs:
        lines.append(_line(_("When it happened"), _local(attrs["occurred_at"])))
    if "people_involved" in attrs:
        lines.append(_line(_("People concerned"), _number(attrs["people_involved"])))
    if "contact_preference" in attrs:
        names = [
            catalogue.value_name("contact_preference", service, k)
            for k in attrs["contact_preference"]
        ]
        lines.append(_line(_("Preferred answer"), "、".join(names)))
    if location.address_string:
        lines.append(_line(place_label(), location.address_string))
    lines += _common_lines(location, media_url)
    content = "\n".join([description, *lines]).strip() if lines else description
    first_sentence = re.split(r"[\r\n。！？!?]", description, maxsplit=1)[0][:TITLE_LENGTH]
    title = attrs.get("title") or first_sentence.strip() or service.name
    people = []
    if not anonymous and (name := _identity_name(params)):
        people = [
            petition_services.ComplainantIn(
                name=name,
                id_number=attrs.get("id_number", ""),
                phone=(params.get("phone") or "")[:30],
                address=attrs.get("contact_address", ""),
            )
        ]
    place_unit = location.unit
    if "place_unit" in attrs:
        place_unit = public_reports.report_units().get(code=attrs["place_unit"])
    kind = attrs["kind"]
    accused_unit = _accused_unit(attrs.get("accused_unit")) if kind == Kind.ACCUSATION else None
    try:
        result = petition_services.petition_register(
            actor=None,
            channel=Channel.WEB,
            kind=kind,
            category=service.category,  # type: ignore[arg-type]
            title=title,
            content=content,
            unit=portal_unit(),
            place_unit=place_unit,
            complainants=people,
            anonymous=anonymous,
            accused_unit=accused_unit,
            accused_person=attrs.get("accused_person", "") if kind == Kind.ACCUSATION else "",
        )
    except ValidationError as exc:
        raise _refuse(exc) from None
    petition = result.petition
    notice = _(
        "Your petition is registered as %(number)s. Its query code is %(code)s: keep it safe. "
        "It is shown only this once, and with it you follow the case, rate the answer and ask "
        "for a review on the portal."
    ) % {"number": petition.number, "code": result.query_code}
    return Created(petition.number, str(petition.uid), notice)


def hazard_create(*, service: Service, params: Any) -> Created:
    address_id_given = frozenset({"unit"}) if params.get("address_id") is not None else frozenset()
    attrs = catalogue.parse_attributes(service, params, given=address_id_given)
    location = read_location(params)
    media_url = _media_url(params)
    description = (params.get("description") or "")[:MAX_DESCRIPTION]
    if not description:
        raise Refused(400, [_("Describe the hazard in description.")])
    unit = location.unit
    if "unit" in attrs:
        unit = public_reports.report_units().get(code=attrs["unit"])
    lines = []
    if "features" in attrs:
        names = [catalogue.value_name("features", service, k) for k in attrs["features"]]
        lines.append(_line(_("What was seen"), "、".join(names)))
    if "observed_at" in attrs:
        lines.append(_line(_("Seen at"), _local(attrs["observed_at"])))
    if "people_at_risk" in attrs:
        lines.append(_line(_("People at risk"), _number(attrs["people_at_risk"])))
    if "details" in attrs:
        lines.append(attrs["details"])
    lines += _common_lines(location, media_url)
    text = catalogue.hazard_tag(service.name) + "\n".join([description, *lines])
    place = location.address_string
    if attrs.get("landmark"):
        place = _("%(place)s (near %(landmark)s)") % {
            "place": place or "",
            "landmark": attrs["landmark"],
        }
    if not place and location.lat is not None:
        place = _line(coordinates_label(), f"{_number(location.lat)}, {_number(location.long)}")  # type: ignore[arg-type]
    if not place and unit is not None:
        place = unit.name
    anonymous = attrs["anonymous"] == "yes"
    try:
        hazard, code = public_reports.hazard_report_public(
            description=text,
            place_text=place[:200],
            unit=unit,
            anonymous=anonymous,
            name="" if anonymous else _identity_name(params),
            phone="" if anonymous else (params.get("phone") or ""),
        )
    except ValidationError as exc:
        raise _refuse(exc) from None
    notice = _(
        "Your hazard report is received as %(number)s. Its tracking code is %(code)s: keep it "
        "safe. It is shown only this once; with it you follow the report on the portal."
    ) % {"number": hazard.number, "code": code}
    return Created(hazard.number, str(hazard.uid), notice)


def request_create(*, service: Service, params: Any) -> Created:
    if service.kind == "petition":
        return petition_create(service=service, params=params)
    return hazard_create(service=service, params=params)
