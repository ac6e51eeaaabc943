"""The personal data lifecycle (个人信息保护法): retention, anonymisation and a person's own data.

* ``personal_data_anonymise`` removes the identity of the people in cases closed longer ago than
  the retention of ``settings.ANXIN_RETENTION_DAYS`` (Art. 19: the shortest period necessary;
  Art. 47: deletion once it has passed), and those same strings from the case's title, content
  and written answers. The cases themselves stay for statistics. Set-based updates in batches;
  one audit event ``privacy.anonymise`` per run with counts only.
* ``personal_data_export`` gathers a person's own data on request (Art. 45) for the staff who
  handle the request; one audit event ``privacy.export`` per run, without the identity searched.

Public hazard reports are cleared here too (the safety app never imports petitions, so the
lifecycle of every identity kept by the domain apps is in one place); docs/security.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.fields import Undecryptable
from anxin.core.models import User
from anxin.core.scoping import can
from anxin.petitions.choices import Kind
from anxin.petitions.models import Complainant, Decision, Delivery, Petition

#: what an anonymised complainant's name reads (the name field may not be empty)
ANONYMISED = "（已匿名化）"

BATCH = 1000


def retention_days() -> dict[str, int]:
    """Days after closing that identities are kept, per record type (settings)."""
    return dict(settings.ANXIN_RETENTION_DAYS)


def _cutoff(kind: str, now: datetime) -> datetime:
    return now - timedelta(days=retention_days()[kind])


def petitions_past_retention(now: datetime | None = None) -> QuerySet[Petition]:
    """Closed cases past the complainants' retention whose identities are still kept."""
    cutoff = _cutoff("petition_complainant", now or timezone.now())
    return Petition.objects.filter(
        closed_at__isnull=False, closed_at__lt=cutoff, anonymised_at__isnull=True
    )


def hazard_reports_past_retention(now: datetime | None = None) -> QuerySet[Any]:
    """Public hazard reports past the reporters' retention that still hold a reporter (the
    safety app's selector; its service clears them)."""
    from anxin.safety.public_reports import reports_past_retention

    return reports_past_retention(_cutoff("hazard_reporter", now or timezone.now()))


def _batch_ids(queryset: QuerySet[Petition]) -> list[int]:
    return list(queryset.order_by("pk").values_list("pk", flat=True)[:BATCH])


def _identities(ids: list[int]) -> dict[int, list[str]]:
    """Per case, the identity strings it still holds (decrypted), longest first."""
    found: dict[int, set[str]] = {}
    people = Complainant.objects.filter(petition_id__in=ids).only(
        "petition_id", "name", "id_number", "phone", "address"
    )
    for c in people:
        for value in (c.name, c.id_number, c.phone, c.address):
            found.setdefault(c.petition_id, set()).add(value)
    accused = Petition.objects.filter(pk__in=ids).exclude(accused_person="")
    for pk, name in accused.values_list("pk", "accused_person"):
        found.setdefault(pk, set()).add(name)
    return {
        pk: sorted(
            # a single character would mangle the text; an undecryptable value reads "[?]"
            (v.strip() for v in values if not isinstance(v, Undecryptable) and v != ANONYMISED),
            key=len,
            reverse=True,
        )
        for pk, values in found.items()
    }


def _scrub(text: str, identities: list[str]) -> str:
    for value in identities:
        if len(value) >= 2:
            text = text.replace(value, ANONYMISED)
    return text


def _scrub_texts(ids: list[int], *, write: bool) -> int:
    """Replace the case's own identities in its title, content and written answers.

    Only what the case holds in its identity fields is found (a name spelt otherwise, or a
    third party named in the text, stays: docs/security.md). Returns how many texts changed;
    the changed cases are re-indexed for full-text search."""
    from anxin.core.search import search_put_many
    from anxin.petitions.matching import SEARCH_TABLE, search_text

    identities = _identities(ids)
    changed_cases = []
    for p in Petition.objects.filter(pk__in=list(identities)).select_related("category"):
        title, content = _scrub(p.title, identities[p.pk]), _scrub(p.content, identities[p.pk])
        if (title, content) != (p.title, p.content):
            p.title, p.content = title, content
            changed_cases.append(p)
    changed_answers = []
    fields = ("request", "facts", "reasons")
    for d in Decision.objects.filter(petition_id__in=list(identities)).only(
        "pk", "petition_id", *fields
    ):
        before = [getattr(d, f) for f in fields]
        after = [_scrub(t, identities[d.petition_id]) for t in before]
        if after != before:
            for f, t in zip(fields, after, strict=True):
                setattr(d, f, t)
            changed_answers.append(d)
    if write and changed_cases:
        Petition.objects.bulk_update(changed_cases, ["title", "content"])
        search_put_many(SEARCH_TABLE, [(p.pk, search_text(p)) for p in changed_cases])
    if write and changed_answers:
        Decision.objects.bulk_update(changed_answers, list(fields))
    return len(changed_cases) + len(changed_answers)


def personal_data_anonymise(
    *, actor: User | None = None, dry_run: bool = False, now: datetime | None = None
) -> dict[str, int]:
    """Remove identities past retention; the cases stay. Returns the counts per record type.

    Each batch is its own transaction (a large first run holds no long lock); the run's audit
    event is written with the last one. ``dry_run`` counts and changes nothing (not audited)."""
    if actor is not None and not can(actor, "user.manage"):
        raise PermissionDenied
    now = now or timezone.now()
    petitions = petitions_past_retention(now)
    hazards = hazard_reports_past_retention(now)
    if dry_run:
        texts, last = 0, 0
        while ids := _batch_ids(petitions.filter(pk__gt=last)):
            texts += _scrub_texts(ids, write=False)
            last = ids[-1]
        return {
            "petitions": petitions.count(),
            "complainants": Complainant.objects.filter(petition__in=petitions).count(),
            "texts": texts,
            "hazard_reporters": hazards.count(),
        }
    counts = {"petitions": 0, "complainants": 0, "texts": 0, "hazard_reporters": 0}
    while True:
        with transaction.atomic():
            ids = _batch_ids(petitions.select_for_update())
            if not ids:
                break
            # the free texts first: they are cleaned of the identities the batch still holds
            counts["texts"] += _scrub_texts(ids, write=True)
            counts["complainants"] += Complainant.objects.filter(petition_id__in=ids).update(
                name=ANONYMISED, id_number="", phone="", address=""
            )
            counts["petitions"] += Petition.objects.filter(pk__in=ids).update(
                accused_person="", anonymised_at=now, version=F("version") + 1
            )
    from anxin.safety.public_reports import reporters_anonymise

    counts["hazard_reporters"] = reporters_anonymise(
        cutoff=_cutoff("hazard_reporter", now), batch=BATCH
    )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="privacy.anonymise",
            object_type="personal_data",
            after={"counts": counts, "retention_days": retention_days()},
        )
    return counts


# --- A person's own data (Art. 45) ---------------------------------------------------------


def _norm_id(value: str) -> str:
    return re.sub(r"\s+", "", value).upper()


def _norm_phone(value: str) -> str:
    return re.sub(r"\D", "", value)


def _matching_complainants(actor: User, *, id_number: str, phone: str, batch: int) -> set[int]:
    """Ids of the complainant rows of the person, in the cases the actor may reveal.

    The identity fields are SM4-GCM encrypted with a fresh nonce (no equality in SQL), so every
    candidate row with the field filled in is read in batches and decrypted: a cost linear in
    the number of complainants (docs/security.md)."""
    field = "id_number" if id_number else "phone"
    wanted = _norm_id(id_number) if id_number else _norm_phone(phone)
    norm = _norm_id if id_number else _norm_phone
    rows = (
        Complainant.objects.filter(petition__in=Petition.objects.restrict(actor, "petition.reveal"))
        .exclude(**{field: ""})
        .only("pk", field)
        .order_by()
    )
    found: set[int] = set()
    for row in rows.iterator(chunk_size=batch):
        if norm(getattr(row, field)) == wanted:
            found.add(row.pk)
    return found


def _person(c: Complainant) -> dict[str, Any]:
    return {
        "name": c.name,
        "id_number": c.id_number,
        "phone": c.phone,
        "address": c.address,
        "representative_of_a_group": c.is_representative,
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _answers(decisions: Iterable[Decision]) -> list[dict[str, Any]]:
    return [
        {
            "stage": d.stage,
            "stage_label": str(d.get_stage_display()),  # type: ignore[attr-defined]
            "unit": d.unit.name,
            "request": d.request,
            "facts": d.facts,
            "reasons": d.reasons,
            "outcome": str(d.get_outcome_display()),  # type: ignore[attr-defined]
            "legal_basis": d.legal_basis,
            "signed_off_at": _iso(d.signed_off_at),
        }
        for d in decisions
    ]


def personal_data_export(
    *, actor: User, id_number: str = "", phone: str = "", batch: int = 500
) -> dict[str, Any]:
    """A person's own data on request (个人信息保护法 Art. 45), for the staff handling it.

    Searched by citizen ID number or phone in the cases the actor may reveal. For each case:
    its number, kind, category, dates and status, the person's own fields as stored, and the
    signed-off written answers and deliveries addressed to the petitioner. Never another
    complainant, the accused person's name, the internal timeline or plan; an accusation's
    text is left out (docs/security.md). One audit event, without the identity searched."""
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        raise PermissionDenied
    id_number, phone = id_number.strip(), phone.strip()
    if bool(id_number) == bool(phone):
        raise ValidationError(_("Give either a citizen ID number or a phone number."))
    if (id_number and not _norm_id(id_number)) or (phone and not _norm_phone(phone)):
        raise ValidationError(_("Give either a citizen ID number or a phone number."))
    mine = _matching_complainants(actor, id_number=id_number, phone=phone, batch=batch)
    people = list(Complainant.objects.filter(pk__in=mine).order_by("petition_id", "pk"))
    by_case: dict[int, list[Complainant]] = {}
    for c in people:
        by_case.setdefault(c.petition_id, []).append(c)
    petitions = list(
        Petition.objects.filter(pk__in=by_case)
        .select_related("category")
        .order_by("received_on", "pk")
    )
    decisions: dict[int, list[Decision]] = {}
    for d in (
        Decision.objects.filter(petition_id__in=by_case, signed_off_at__isnull=False)
        .select_related("unit")
        .order_by("signed_off_at", "pk")
    ):
        decisions.setdefault(d.petition_id, []).append(d)
    deliveries: dict[int, list[Delivery]] = {}
    for dl in Delivery.objects.filter(petition_id__in=by_case).order_by("delivered_on", "pk"):
        deliveries.setdefault(dl.petition_id, []).append(dl)
    cases = []
    for p in petitions:
        cases.append(
            {
                "number": p.number,
                "kind": str(p.get_kind_display()),  # type: ignore[attr-defined]
                "category": p.category.name,
                "title": p.title,
                # an accusation's text concerns a third party under examination: left out
                "content": None if p.kind == Kind.ACCUSATION else p.content,
                "received_on": _iso(p.received_on),
                "registered_at": _iso(p.registered_at),
                "closed_at": _iso(p.closed_at),
                "status": str(p.get_status_display()),  # type: ignore[attr-defined]
                "anonymised": p.anonymised_at is not None,
                "you": [_person(c) for c in by_case[p.pk]],
                "written_answers": _answers(decisions.get(p.pk, [])),
                "deliveries": [
                    {
                        "document": str(dl.get_document_display()),  # type: ignore[attr-defined]
                        "method": str(dl.get_method_display()),  # type: ignore[attr-defined]
                        "delivered_on": _iso(dl.delivered_on),
                    }
                    for dl in deliveries.get(p.pk, [])
                ],
            }
        )
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="privacy.export",
            object_type="personal_data",
            after={"searched_by": "id_number" if id_number else "phone", "cases": len(cases)},
        )
    return {
        "generated_at": _iso(timezone.now()),
        "legal_basis": "个人信息保护法 第四十五条",
        "cases": cases,
    }
