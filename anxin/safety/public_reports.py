"""Hazard reports from the public (issue 4, item 7) and their triage by inspectors.

A report is a hazard in status ``reported`` (the triage queue), created through
:func:`anxin.safety.hazards.hazard_create` with ``actor=None`` and ``public=True``: no address is
kept, photos always lose their GPS data. The reporter gets a tracking code, shown once and
stored only as its SM3 digest; it is never put in a URL. The reporter's name and phone (none
when anonymous) are kept encrypted on the hazard and never shown to the site: the enterprise
contact's pages and the API show nothing of them, staff see "（公众举报）".

Triage: :func:`anxin.safety.hazards.hazard_register` (with an existing site),
:func:`hazard_register_new_site` (creating the site first), :func:`hazard_inspection_task`
(a draft inspection of the site, linked to the report) and
:func:`anxin.safety.hazards.hazard_void` (the reason is what the reporter reads).
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from anxin.core.attachments import attachments_add
from anxin.core.audit import audit_record
from anxin.core.choices import UnitKind
from anxin.core.crypto import sm3_hex
from anxin.core.identifiers import mask_name, mask_phone
from anxin.core.models import Unit, User
from anxin.safety import hazards, inspections, services
from anxin.safety.hazard_rules import HazardSource, HazardStatus
from anxin.safety.models import Site
from anxin.safety.models_hazards import Hazard, HazardEvent

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
PHOTO = "report_photo"
MAX_PHOTOS = 5

#: what the reporter reads instead of the internal states
PUBLIC_STATUS = {
    HazardStatus.REPORTED: "received",
    HazardStatus.REGISTERED: "registered",
    HazardStatus.RECTIFYING: "registered",
    HazardStatus.SUBMITTED: "registered",
    HazardStatus.VERIFIED: "rectified",
    HazardStatus.CLOSED: "closed",
    HazardStatus.VOID: "void",
}


def public_status_label(key: str) -> str:
    labels = {
        "received": _("Received, awaiting review"),
        "registered": _("Registered as a hazard; being rectified"),
        "rectified": _("Rectified and checked"),
        "closed": _("Closed: the hazard is removed"),
        "void": _("Not taken up"),
    }
    return labels[key]


def tracking_digest(code: str) -> str:
    return sm3_hex("anxin-hazard-report:" + (code or "").strip().upper().replace("-", ""))


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def report_units() -> Any:
    """The places a citizen chooses from: townships (streets) and villages (communities)."""
    return Unit.objects.filter(
        is_active=True, kind__in=[UnitKind.TOWNSHIP, UnitKind.VILLAGE]
    ).order_by("path")


@transaction.atomic
def hazard_report_public(
    *,
    description: str,
    place_text: str,
    unit: Unit | None,
    photos: Iterable[Any] = (),
    anonymous: bool = True,
    name: str = "",
    phone: str = "",
) -> tuple[Hazard, str]:
    """A citizen reports a hazard: a ``reported`` hazard and its tracking code (shown once)."""
    photos = list(photos)
    errors: dict[str, str] = {}
    if unit is None or not report_units().filter(pk=unit.pk).exists():
        errors["unit"] = _("Choose the township or village where the hazard is.")
    if not (place_text or "").strip():
        errors["place_text"] = _("Say where the hazard is.")
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = _("At most %(n)d photos.") % {"n": MAX_PHOTOS}
    name, phone = (name or "").strip(), (phone or "").strip()
    if not anonymous and not (name and phone):
        errors["name"] = _("Give your name and phone, or report anonymously.")
    if errors:
        raise ValidationError(errors)
    assert unit is not None
    hazard = hazards.hazard_create(
        actor=None,
        description=description,
        unit=unit,
        place=place_text,
        status=HazardStatus.REPORTED,
        source=HazardSource.REPORT,
        public=True,
    )
    code = _new_code()
    hazard.tracking_digest = tracking_digest(code)
    hazard.reporter_name = "" if anonymous else name[:50]
    hazard.reporter_phone = "" if anonymous else phone[:30]
    hazard.save(update_fields=["tracking_digest", "reporter_name", "reporter_phone"])
    attachments_add(actor=None, owner=hazard, uploads=photos, purpose=PHOTO, public=True)
    return hazard, code


def hazard_by_tracking_code(code: str) -> Hazard | None:
    if not (code or "").strip():
        return None
    return (
        Hazard.objects.select_related("site")
        .filter(tracking_digest=tracking_digest(code))
        .exclude(tracking_digest="")
        .first()
    )


def _first_event(hazard: Hazard, kind: str) -> dt.datetime | None:
    event = HazardEvent.objects.filter(hazard=hazard, kind=kind).order_by("at", "id").first()
    return event.at if event is not None else None


def public_view(hazard: Hazard) -> dict[str, Any]:
    """What the reporter may read: the state, its dates, the void reason and the site's name —
    never who in the administration did what, never the site's internals."""
    key = PUBLIC_STATUS[HazardStatus(hazard.status)]
    registered = hazard.status not in (HazardStatus.REPORTED, HazardStatus.VOID)
    return {
        "number": hazard.number,
        "status": key,
        "status_label": public_status_label(key),
        "reported_at": hazard.found_at,
        "registered_at": _first_event(hazard, "registered") if registered else None,
        "rectified_at": hazard.verified_at,
        "closed_at": hazard.closed_at,
        "void_reason": hazard.void_reason if hazard.status == HazardStatus.VOID else "",
        "site_name": hazard.site.name if registered and hazard.site is not None else "",
        "inspection_arranged": hazard.inspection_id is not None,
        "description": hazard.description,
        "place": hazard.place,
    }


def reporter_label(hazard: Hazard) -> str:
    """What staff see of the reporter: the fact of a public report, nothing else."""
    return _("(public report)") if hazard.tracking_digest else ""


def reporter_named(hazard: Hazard) -> bool:
    """A public report whose reporter left a name or phone (not anonymous)."""
    return bool(hazard.tracking_digest and (hazard.reporter_name or hazard.reporter_phone))


def reporter_masked(hazard: Hazard) -> dict[str, str]:
    """The reporter's contact details masked (李*, 138****5678): what the reveal button hides."""
    return {
        "name": mask_name(hazard.reporter_name) if hazard.reporter_name else "",
        "phone": mask_phone(hazard.reporter_phone) if hazard.reporter_phone else "",
    }


def reporter_may_reveal(user: Any, hazard: Hazard) -> bool:
    """Staff with ``hazard.reveal_reporter`` over the hazard — never the site's contact."""
    if not reporter_named(hazard) or user is None or not user.is_authenticated:
        return False
    if hazard.site is not None and hazard.site.contact_user_id == user.pk:
        return False
    return Hazard.objects.restrict(user, "hazard.reveal_reporter").filter(pk=hazard.pk).exists()


@transaction.atomic
def hazard_reporter_reveal(*, actor: User, hazard: Hazard) -> dict[str, str]:
    """The reporter's name and phone in full, for a person who may call them back; audited as
    ``hazard.reporter_revealed`` (the audit keeps who looked, not what they saw)."""
    if not reporter_may_reveal(actor, hazard):
        raise PermissionDenied
    audit_record(
        actor=actor,
        action="hazard.reporter_revealed",
        obj=hazard,
        after={"name": bool(hazard.reporter_name), "phone": bool(hazard.reporter_phone)},
    )
    return {"name": hazard.reporter_name, "phone": hazard.reporter_phone}


# --- triage -------------------------------------------------------------------------------------


@transaction.atomic
def hazard_register_new_site(
    *,
    actor: User | None,
    hazard: Hazard,
    version: int | None = None,
    site_fields: dict[str, Any],
    grade: str | None = None,
    deadline: dt.date | None = None,
) -> tuple[Hazard, Site]:
    """Triage: the report is about a site not yet on file — register the site, then the hazard."""
    site = services.site_create(actor=actor, **site_fields)
    hazard = hazards.hazard_register(
        actor=actor, hazard=hazard, version=version, site=site, grade=grade, deadline=deadline
    )
    return hazard, site


@transaction.atomic
def hazard_inspection_task(
    *, actor: User | None, hazard: Hazard, version: int | None = None, site: Site | None = None
) -> Any:
    """Triage: turn the report into an inspection task — a draft inspection of the site, linked
    to the report, which stays in the queue until the inspection registers or voids it."""
    locked = hazards._lock(hazard, version)
    if locked.status != HazardStatus.REPORTED:
        raise hazards.HazardStateConflict(
            _("Only a reported hazard becomes an inspection task; this one is %(status)s.")
            % {"status": locked.get_status_display()},
            extra={"status": locked.status},
        )
    if (
        actor is not None
        and not Hazard.objects.restrict(actor, "hazard.manage").filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied
    if locked.inspection_id is not None:
        raise hazards.HazardStateConflict(_("An inspection is already arranged for this report."))
    site = site or locked.site
    if site is None:
        raise ValidationError({"site": _("Choose the site of the hazard.")})
    inspection = inspections.inspection_create(
        actor=actor,
        site=site,
        place=locked.place,
        problems=_("Reported by the public: %(text)s") % {"text": locked.description},
    )
    locked.site, locked.unit, locked.inspection = site, site.unit, inspection
    hazards._save(locked, "site", "unit", "inspection")
    hazards._event(locked, "inspection_task", actor, inspection=str(inspection.uid))
    return inspection


# --- retention of a reporter's identity (个人信息保护法 Art. 19, 47) ------------------------------


def reports_past_retention(cutoff: dt.datetime) -> Any:
    """Closed or voided hazards that ended before ``cutoff`` and still hold a reporter.

    A voided hazard keeps no void time of its own: voiding is its last change, so its
    ``updated_at`` is the void time."""
    from django.db.models import Q

    ended = Q(status=HazardStatus.CLOSED, closed_at__lt=cutoff) | Q(
        status=HazardStatus.VOID, updated_at__lt=cutoff
    )
    return Hazard.objects.filter(ended).filter(~Q(reporter_name="") | ~Q(reporter_phone=""))


def reporters_anonymise(*, cutoff: dt.datetime, batch: int = 1000) -> int:
    """Clear the reporter's name and phone of the reports :func:`reports_past_retention`
    finds, a batch per transaction (set-based updates); returns how many. The caller's run
    writes the one audit event (``privacy.anonymise``, counts only)."""
    from django.db.models import F

    done = 0
    reports = reports_past_retention(cutoff)
    while True:
        with transaction.atomic():
            ids = list(reports.order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return done
            # the version moves (optimistic locking); updated_at stays: it is a void's time
            done += Hazard.objects.filter(pk__in=ids).update(
                reporter_name="", reporter_phone="", version=F("version") + 1
            )
