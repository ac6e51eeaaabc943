"""Shared steps of every petition service: locking, state checks, the timeline."""

from __future__ import annotations

import secrets
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from anxin.core.audit import audit_record
from anxin.core.crypto import sm3_hex
from anxin.core.errors import ServiceError, check_version
from anxin.core.models import Unit, User
from anxin.petitions.choices import Kind
from anxin.petitions.models import (
    Counter,
    Petition,
    PetitionEvent,
    PetitionUnit,
)
from anxin.petitions.transitions import TRANSITIONS

QUERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class StateConflict(ServiceError):
    status = 409
    code = "invalid_state"


def query_digest(code: str) -> str:
    return sm3_hex("anxin-petition-query:" + code.strip().upper().replace("-", ""))


def _new_query_code() -> str:
    raw = "".join(secrets.choice(QUERY_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _next_number(year: int) -> str:
    """The year's next case number; the counter row stays locked until the caller commits."""
    table = connection.ops.quote_name(Counter._meta.db_table)
    sql = f"UPDATE {table} SET value = value + 1 WHERE name = %s AND year = %s RETURNING value"
    with connection.cursor() as cursor:  # one statement (PostgreSQL; SQLite >= 3.35)
        cursor.execute(sql, ["XF", year])
        row = cursor.fetchone()
    if row is None:  # the year's first case
        Counter.objects.get_or_create(name="XF", year=year)
        Counter.objects.filter(name="XF", year=year).update(value=F("value") + 1)
        row = (Counter.objects.select_for_update().get(name="XF", year=year).value,)
    return f"XF{year}{row[0]:07d}"


def today() -> date:
    return timezone.localdate()


# --- shared steps ---------------------------------------------------------------------------


def _event(
    petition: Petition,
    event_kind: str,
    actor: User | None,
    /,
    *,
    unit: Unit | None = None,
    public: bool = False,
    audit: dict[str, Any] | None = None,
    **data: Any,
) -> None:
    PetitionEvent.objects.create(
        petition=petition,
        kind=event_kind,
        actor=actor,
        actor_label=actor.display_name if actor else (_("Petitioner") if public else _("System")),
        unit=unit,
        data=data,
    )
    audit_record(
        actor=actor,
        action=f"petition.{event_kind}",
        obj=petition,
        after=audit if audit is not None else data,
        public=public,
    )


def _link(petition: Petition, unit: Unit, role: str) -> None:
    PetitionUnit.objects.get_or_create(petition=petition, unit=unit, role=role)


def _move_holding(petition: Petition, previous: Unit, to_unit: Unit) -> None:
    """The case changes hands: the old holder keeps read access as a former unit."""
    PetitionUnit.objects.filter(petition=petition, role=PetitionUnit.Role.HOLDING).delete()
    _link(petition, previous, PetitionUnit.Role.FORMER)
    _link(petition, to_unit, PetitionUnit.Role.HOLDING)


def _lock(petition: Petition, version: int | None) -> Petition:
    locked = Petition.objects.select_for_update().get(pk=petition.pk)
    check_version(locked, version)
    return locked


def _step(actor: User | None, petition: Petition, action: str, version: int | None) -> Petition:
    """Lock the case, check its version, its state and the actor's right to take the step."""
    allowed, _target, permission = TRANSITIONS[action]
    locked = _lock(petition, version)
    if locked.status not in allowed:
        raise StateConflict(
            _("The case is %(status)s; “%(action)s” is not possible in this state.")
            % {"status": locked.get_status_display(), "action": action_label(action)},
            extra={"status": locked.status},
        )
    if (
        actor is not None
        and not Petition.objects.restrict(actor, permission).filter(pk=locked.pk).exists()
    ):
        raise PermissionDenied
    return locked


def _save(petition: Petition, *fields: str) -> None:
    petition.version += 1
    petition.updated_at = timezone.now()
    petition.save(update_fields=[*fields, "version", "updated_at"])


def action_label(action: str) -> str:
    labels = {
        "accept": _("accept"),
        "decline": _("decline"),
        "forward": _("forward"),
        "object": _("object to the assignment"),
        "settle_objection": _("settle the objection"),
        "merge": _("merge"),
        "extend": _("extend the time limit"),
        "pause": _("pause the clock"),
        "resume": _("resume the clock"),
        "decide": _("draft the decision"),
        "decide_review": _("draft the review decision"),
        "decide_recheck": _("draft the re-review decision"),
        "sign_off": _("sign off"),
        "deliver": _("record delivery"),
        "rate": _("record the rating"),
        "request_review": _("request a review"),
        "request_recheck": _("request a re-review"),
        "close": _("close"),
    }
    return str(labels.get(action, action))


def _unit_for_accusation(petition: Petition, unit: Unit, field_name: str) -> None:
    """Art. 30: an accusation never goes to the accused unit or anywhere inside it."""
    if (
        petition.kind == Kind.ACCUSATION
        and petition.accused_unit is not None
        and unit.path.startswith(petition.accused_unit.path)
    ):
        raise ValidationError(
            {
                field_name: _(
                    "An accusation cannot be sent to the accused unit or a unit under it "
                    "(Regulation on Petition Work, Art. 30)."
                )
            }
        )
