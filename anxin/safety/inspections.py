"""The one write path of inspections (安全检查) and inspection plans (专项行动).

Keyword-only services with an explicit ``actor`` (``None`` = the system), each in one
transaction with its audit record and a line on the site's timeline. The record is edited
while it is a draft and nobody has signed it; then the inspectors and the site's leader sign
(a drawn signature or a signed scan), or the leader refuses and the inspectors note it
(安全生产法 Art. 68). A penalty is proposed only with two or more inspectors
(行政处罚法 Art. 42). Failed items become hazards in one step.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.attachments import attachment_add
from anxin.core.audit import audit_record
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import User
from anxin.core.scoping import can
from anxin.safety.hazard_rules import MIN_PENALTY_OFFICERS, HazardGrade, HazardSource
from anxin.safety.hazard_scoping import site_in_scope

# plans (专项行动) live in their own module; re-exported for the callers of this one
from anxin.safety.inspection_plans import (  # noqa: F401
    inspection_plan_create,
    inspection_plan_update,
)
from anxin.safety.models import ChecklistItem, ChecklistTemplate, Site
from anxin.safety.models_hazards import Hazard
from anxin.safety.models_inspections import (
    Inspection,
    InspectionPlan,
    InspectionResult,
    InspectionSignature,
    InspectionStatus,
    ResultGrade,
    SignatureMethod,
    SignatureRole,
)
from anxin.safety.services import site_event_record

PHOTO = "photo"
SIGNATURE = "signature"
#: a drawn signature arrives as a PNG data URL from the canvas
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_DRAWN_BYTES = 1024 * 1024


class InspectionStateConflict(ServiceError):
    status = 409
    code = "invalid_state"


@dataclass
class ResultIn:
    """One checklist item's result as a form or the API gives it."""

    item_id: int
    grade: str
    notes: str = ""
    photos: list[Any] = field(default_factory=list)
    #: the inspector keeps the photos' location on purpose (otherwise stripped)
    keep_gps: bool = False


# --- shared steps -----------------------------------------------------------------------------


def _require(actor: User | None, action: str) -> None:
    if actor is not None and not can(actor, action):
        raise PermissionDenied


def _check_site(actor: User | None, site: Site, action: str = "inspection.conduct") -> None:
    if actor is not None and not site_in_scope(actor, action, site):
        raise PermissionDenied


def _user(actor: User | None) -> User | None:
    return actor if actor is not None and actor.is_authenticated else None


def _lock(inspection: Inspection, version: int | None) -> Inspection:
    locked = (
        Inspection.objects.select_for_update(of=("self",))
        .select_related("site", "site__unit", "site__regulating_unit", "template")
        .get(pk=inspection.pk)
    )
    check_version(locked, version)
    return locked


def _save(inspection: Inspection, *fields: str) -> None:
    inspection.version += 1
    inspection.updated_at = timezone.now()
    inspection.save(update_fields=[*fields, "version", "updated_at"])


def _require_editable(inspection: Inspection) -> None:
    if inspection.status != InspectionStatus.DRAFT:
        raise InspectionStateConflict(
            _("The inspection record is %(status)s; it can no longer be changed.")
            % {"status": inspection.get_status_display()},
            extra={"status": inspection.status},
        )
    if inspection.signatures.exists():
        raise InspectionStateConflict(
            _("Signatures have been collected: the record can no longer be changed."),
            extra={"status": inspection.status},
        )


def _check_inspectors(site: Site, inspectors: list[User], penalty_proposed: bool) -> None:
    if not inspectors:
        raise ValidationError({"inspectors": _("Name at least one inspector.")})
    for person in inspectors:
        if not person.is_active or not site_in_scope(person, "inspection.conduct", site):
            raise ValidationError(
                {
                    "inspectors": _("%(name)s may not inspect this site.")
                    % {"name": person.display_name}
                }
            )
    _check_penalty(len(inspectors), penalty_proposed)


def _check_penalty(count: int, penalty_proposed: bool) -> None:
    """行政处罚法 Art. 42: a penalty is carried out by at least two enforcement officers."""
    if penalty_proposed and count < MIN_PENALTY_OFFICERS:
        raise ValidationError(
            {
                "penalty_proposed": _(
                    "An administrative penalty must be carried out by at least two "
                    "enforcement officers (Administrative Penalty Law, Art. 42)."
                )
            }
        )


def _save_results(actor: User | None, inspection: Inspection, results: Iterable[ResultIn]) -> int:
    results = list(results)
    if not results:
        return 0
    items = {i.pk: i for i in ChecklistItem.objects.filter(template_id=inspection.template_id)}
    existing = {r.item_id: r for r in inspection.results.all()}
    for r in results:
        if r.item_id not in items:
            raise ValidationError(
                {"results": _("Item %(id)s is not on this checklist.") % {"id": r.item_id}}
            )
        if r.grade not in ResultGrade.values:
            raise ValidationError({"results": _("A result is pass, fail or not applicable.")})
    for r in results:
        row = existing.get(r.item_id)
        notes = (r.notes or "").strip()
        if row is None:
            row = InspectionResult.objects.create(
                inspection=inspection, item=items[r.item_id], grade=r.grade, notes=notes
            )
        elif (row.grade, row.notes) != (r.grade, notes):
            row.grade, row.notes = r.grade, notes
            row.save(update_fields=["grade", "notes"])
        for upload in r.photos:
            attachment_add(
                actor=actor, owner=row, upload=upload, purpose=PHOTO, keep_gps=r.keep_gps
            )
    return len(results)


# --- the record --------------------------------------------------------------------------------


@transaction.atomic
def inspection_create(
    *,
    actor: User | None,
    site: Site,
    inspectors: list[User] | None = None,
    started_at: dt.datetime | None = None,
    place: str = "",
    content: str = "",
    problems: str = "",
    handling: str = "",
    plan: InspectionPlan | None = None,
    template: ChecklistTemplate | None = None,
    penalty_proposed: bool = False,
    results: Iterable[ResultIn] = (),
) -> Inspection:
    """A draft record of an inspection of ``site`` against the sector's current checklist."""
    _require(actor, "inspection.conduct")
    _check_site(actor, site)
    if inspectors is None:
        inspectors = [actor] if actor is not None else []
    inspectors = list(dict.fromkeys(inspectors))
    _check_inspectors(site, inspectors, penalty_proposed)
    if template is None:
        template = ChecklistTemplate.objects.filter(
            sector_id=site.sector_id, is_current=True
        ).first()
    elif template.sector_id != site.sector_id:
        raise ValidationError({"template": _("The checklist is not the site's sector's.")})
    started_at = started_at or timezone.now()
    if started_at > timezone.now() + dt.timedelta(minutes=10):
        raise ValidationError({"started_at": _("The inspection cannot be in the future.")})
    inspection = Inspection(
        site=site,
        plan=plan,
        template=template,
        started_at=started_at,
        place=((place or "").strip() or site.address)[:200],
        content=(content or "").strip() or (template.title if template else ""),
        problems=(problems or "").strip(),
        handling=(handling or "").strip(),
        penalty_proposed=bool(penalty_proposed),
        created_by=_user(actor),
    )
    if not inspection.content:
        raise ValidationError({"content": _("Say what was inspected.")})
    inspection.save(force_insert=True)
    inspection.inspectors.set(inspectors)
    count = _save_results(actor, inspection, results)
    site_event_record(
        site=site,
        kind="inspection_recorded",
        actor=actor,
        at=started_at,
        inspection=str(inspection.uid),
    )
    audit_record(
        actor=actor,
        action="inspection.create",
        obj=inspection,
        after={
            "site": str(site.uid),
            "inspectors": [p.username for p in inspectors],
            "template": template.pk if template else None,
            "penalty_proposed": inspection.penalty_proposed,
            "results": count,
        },
    )
    return inspection


INSPECTION_FIELDS = ("place", "content", "problems", "handling", "started_at", "plan")


@transaction.atomic
def inspection_update(
    *,
    actor: User | None,
    inspection: Inspection,
    version: int | None,
    inspectors: list[User] | None = None,
    results: Iterable[ResultIn] = (),
    **changes: Any,
) -> Inspection:
    """Change the draft (fields, inspectors, results and their photos) before anyone signs."""
    unknown = set(changes) - set(INSPECTION_FIELDS)
    if unknown:
        raise TypeError(f"inspection_update() got unexpected fields: {sorted(unknown)}")
    _require(actor, "inspection.conduct")
    inspection = _lock(inspection, version)
    _check_site(actor, inspection.site)
    _require_editable(inspection)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    fields: list[str] = []
    for name, value in changes.items():
        if isinstance(value, str):
            value = value.strip()
        if name == "content" and not value:
            raise ValidationError({"content": _("Say what was inspected.")})
        if name == "place":
            value = (value or inspection.site.address)[:200]
        if getattr(inspection, name) != value:
            before[name] = getattr(inspection, name)
            setattr(inspection, name, value)
            after[name] = value
            fields.append(name)
    if inspectors is not None:
        inspectors = list(dict.fromkeys(inspectors))
        _check_inspectors(inspection.site, inspectors, inspection.penalty_proposed)
        old = sorted(inspection.inspectors.values_list("username", flat=True))
        new = sorted(p.username for p in inspectors)
        if old != new:
            inspection.inspectors.set(inspectors)
            before["inspectors"], after["inspectors"] = old, new
    count = _save_results(actor, inspection, results)
    if count:
        after["results"] = count
    _save(inspection, *fields)
    audit_record(
        actor=actor, action="inspection.update", obj=inspection, before=before, after=after
    )
    return inspection


@transaction.atomic
def inspection_penalty_propose(
    *, actor: User | None, inspection: Inspection, version: int | None, proposed: bool = True
) -> Inspection:
    """Record that a penalty is proposed (行政处罚法 Art. 42: refused with fewer than two)."""
    _require(actor, "inspection.conduct")
    inspection = _lock(inspection, version)
    _check_site(actor, inspection.site)
    _check_penalty(inspection.inspectors.count(), proposed)
    if inspection.penalty_proposed != proposed:
        inspection.penalty_proposed = proposed
        _save(inspection, "penalty_proposed")
        audit_record(
            actor=actor,
            action="inspection.penalty",
            obj=inspection,
            before={"penalty_proposed": not proposed},
            after={"penalty_proposed": proposed},
        )
    return inspection


# --- signatures (安全生产法 Art. 68) ---------------------------------------------------------------


def _drawn_upload(data_url: str) -> SimpleUploadedFile:
    """The canvas's PNG data URL as an upload; an empty drawing is refused."""
    data_url = (data_url or "").strip()
    if not data_url.startswith(DATA_URL_PREFIX):
        raise ValidationError({"signature": _("Draw the signature in the box.")})
    payload = data_url[len(DATA_URL_PREFIX) :]
    if len(payload) > MAX_DRAWN_BYTES * 4 // 3 + 4:
        raise ValidationError({"signature": _("The drawn signature is too large.")})
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature": _("Draw the signature in the box.")}) from None
    if _is_blank(data):
        raise ValidationError({"signature": _("The signature is empty: draw it in the box.")})
    return SimpleUploadedFile("signature.png", data, content_type="image/png")


def _is_blank(data: bytes) -> bool:
    from PIL import Image, ImageOps

    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except Exception:
        return False  # not an image: the content check refuses it with its own message
    rgba = image.convert("RGBA")
    if rgba.getchannel("A").getbbox() is None:
        return True  # fully transparent
    ink = ImageOps.invert(rgba.convert("L"))
    return ink.getbbox() is None  # fully white


def _missing_signers(inspection: Inspection) -> tuple[set[int], bool]:
    """(ids of the inspectors who have not signed, whether the leader has not)."""
    signed = list(inspection.signatures.values_list("role", "user_id"))
    inspector_ids = set(inspection.inspectors.values_list("pk", flat=True))
    signed_inspectors = {u for role, u in signed if role == SignatureRole.INSPECTOR}
    leader_signed = any(role == SignatureRole.LEADER for role, _u in signed)
    return inspector_ids - signed_inspectors, not leader_signed


def _check_complete(inspection: Inspection) -> None:
    """Before the first signature: a result for every item of the checklist."""
    if inspection.template_id is None:
        return
    items = set(
        ChecklistItem.objects.filter(template_id=inspection.template_id).values_list(
            "pk", flat=True
        )
    )
    done = set(inspection.results.values_list("item_id", flat=True))
    if items - done:
        raise ValidationError(
            _("Record a result for every checklist item before signing (%(n)d missing).")
            % {"n": len(items - done)}
        )


@transaction.atomic
def inspection_sign(
    *,
    actor: User | None,
    inspection: Inspection,
    version: int | None,
    signer: str,
    drawn: str = "",
    scan: Any = None,
    leader_name: str = "",
    user: User | None = None,
) -> Inspection:
    """Add a signature to the record.

    ``signer``: ``inspector`` (the acting inspector signs for themself; the system names
    ``user``), ``leader`` (the site's leader signs on the inspector's device, or their signed
    scan is uploaded; ``leader_name`` is required), or ``all`` (a scan of the paper record
    signed by every inspector and the leader). ``drawn`` is the canvas's PNG data URL,
    ``scan`` an uploaded file. When everyone has signed, the record is ``signed``.
    """
    _require(actor, "inspection.conduct")
    inspection = _lock(inspection, version)
    _check_site(actor, inspection.site)
    if inspection.status != InspectionStatus.DRAFT:
        raise InspectionStateConflict(
            _("The inspection record is %(status)s; it can no longer be changed.")
            % {"status": inspection.get_status_display()},
            extra={"status": inspection.status},
        )
    if signer not in ("inspector", "leader", "all"):
        raise ValidationError({"signer": _("Choose who signs.")})
    if bool(drawn) == (scan is not None):
        raise ValidationError({"signature": _("Draw the signature, or upload the signed scan.")})
    if signer == "all" and scan is None:
        raise ValidationError({"signature": _("Only a scan of the paper record signs for all.")})
    missing_inspectors, leader_missing = _missing_signers(inspection)
    if not inspection.signatures.exists():
        _check_complete(inspection)
    leader_name = (leader_name or "").strip()[:50] or inspection.leader_name
    rows: list[tuple[str, User | None, str]] = []
    if signer in ("inspector", "all"):
        if signer == "inspector":
            person = user if actor is None else actor
            if person is None or person.pk not in set(
                inspection.inspectors.values_list("pk", flat=True)
            ):
                raise PermissionDenied
            if person.pk not in missing_inspectors:
                raise InspectionStateConflict(_("You have already signed this record."))
            rows.append((SignatureRole.INSPECTOR, person, person.display_name))
        else:
            for person in User.objects.filter(pk__in=missing_inspectors).order_by("pk"):
                rows.append((SignatureRole.INSPECTOR, person, person.display_name))
    if signer in ("leader", "all") and (signer == "leader" or leader_missing):
        if not leader_missing:
            raise InspectionStateConflict(_("The leader has already signed this record."))
        if not leader_name:
            raise ValidationError(
                {"leader_name": _("Give the name of the leader of the inspected unit.")}
            )
        rows.append((SignatureRole.LEADER, None, leader_name))
    if not rows:
        raise InspectionStateConflict(_("Everyone has already signed this record."))
    upload = _drawn_upload(drawn) if drawn else scan
    attachment = attachment_add(actor=actor, owner=inspection, upload=upload, purpose=SIGNATURE)
    method = SignatureMethod.DRAWN if drawn else SignatureMethod.SCAN
    now = timezone.now()
    InspectionSignature.objects.bulk_create(
        [
            InspectionSignature(
                inspection=inspection,
                role=role,
                user=person,
                name=name,
                method=method,
                attachment=attachment,
                signed_at=now,
            )
            for role, person, name in rows
        ]
    )
    fields = []
    if leader_name != inspection.leader_name:
        inspection.leader_name = leader_name
        fields.append("leader_name")
    missing_inspectors, leader_missing = _missing_signers(inspection)
    if not missing_inspectors and not leader_missing:
        inspection.status = InspectionStatus.SIGNED
        inspection.signed_at = now
        fields += ["status", "signed_at"]
        site_event_record(
            site=inspection.site,
            kind="inspection_signed",
            actor=actor,
            inspection=str(inspection.uid),
        )
    _save(inspection, *fields)
    audit_record(
        actor=actor,
        action="inspection.sign",
        obj=inspection,
        after={
            "signers": [[role, name] for role, _p, name in rows],
            "method": method,
            "attachment": str(attachment.uid),
            "status": inspection.status,
        },
    )
    return inspection


@transaction.atomic
def inspection_record_refusal(
    *,
    actor: User | None,
    inspection: Inspection,
    version: int | None,
    note: str,
    leader_name: str = "",
) -> Inspection:
    """The site's leader refuses to sign: the inspectors, who have signed, note it on the
    record (安全生产法 Art. 68) and the record is complete as ``refused_to_sign``."""
    _require(actor, "inspection.conduct")
    inspection = _lock(inspection, version)
    _check_site(actor, inspection.site)
    if inspection.status != InspectionStatus.DRAFT:
        raise InspectionStateConflict(
            _("The inspection record is %(status)s; it can no longer be changed.")
            % {"status": inspection.get_status_display()},
            extra={"status": inspection.status},
        )
    missing_inspectors, leader_missing = _missing_signers(inspection)
    if not leader_missing:
        raise InspectionStateConflict(_("The leader has already signed this record."))
    if missing_inspectors:
        raise ValidationError(
            _("The inspectors sign the record first; then they note the refusal on it.")
        )
    note = (note or "").strip()
    leader_name = (leader_name or "").strip()[:50] or inspection.leader_name
    errors = {}
    if not note:
        errors["note"] = _("Note how the leader refused to sign.")
    if not leader_name:
        errors["leader_name"] = _("Give the name of the leader of the inspected unit.")
    if errors:
        raise ValidationError(errors)
    inspection.status = InspectionStatus.REFUSED_TO_SIGN
    inspection.refusal_note = note
    inspection.leader_name = leader_name
    inspection.refused_at = timezone.now()
    _save(inspection, "status", "refusal_note", "leader_name", "refused_at")
    site_event_record(
        site=inspection.site, kind="inspection_refused", actor=actor, inspection=str(inspection.uid)
    )
    audit_record(
        actor=actor,
        action="inspection.refusal",
        obj=inspection,
        after={"leader_name": leader_name, "note": note},
    )
    return inspection


# --- failed items become hazards ---------------------------------------------------------------


@transaction.atomic
def inspection_failed_items_to_hazards(
    *,
    actor: User | None,
    inspection: Inspection,
    grades: Mapping[int, str] | None = None,
    deadline: dt.date | None = None,
) -> list[Hazard]:
    """One hazard per failed item not yet turned into one, linked to the item and the
    inspection. ``grades`` maps a checklist item's id to ``general`` or ``major`` (default:
    the item's severity hint); ``deadline``, when given, is every new hazard's deadline."""
    from anxin.safety.hazards import hazard_create

    _require(actor, "hazard.manage")
    inspection = _lock(inspection, None)
    _check_site(actor, inspection.site, "hazard.manage")
    grades = {int(k): v for k, v in (grades or {}).items()}
    bad = sorted(k for k, v in grades.items() if v not in HazardGrade.values)
    if bad:
        raise ValidationError({"grades": _("The grade is general or major.")})
    failed = list(
        inspection.results.filter(grade=ResultGrade.FAIL, hazards__isnull=True)
        .select_related("item")
        .order_by("item__order")
    )
    if not failed:
        raise ValidationError(_("No failed item is left to turn into a hazard."))
    made = []
    for result in failed:
        item = result.item
        text = item.text if not result.notes else f"{item.text}：{result.notes}"
        made.append(
            hazard_create(
                actor=actor,
                site=inspection.site,
                description=text,
                grade=grades.get(item.pk, item.severity_hint),
                deadline=deadline,
                place=inspection.place,
                found_at=inspection.started_at,
                source=HazardSource.INSPECTION,
                inspection=inspection,
                inspection_result=result,
                checklist_item=item,
                on=timezone.localdate(inspection.started_at),
            )
        )
    audit_record(
        actor=actor,
        action="inspection.hazards",
        obj=inspection,
        after={"hazards": [h.number for h in made]},
    )
    return made
