"""One dispatcher from an action name and its fields to the service that takes the step.

The API (``POST /petitions/{id}/actions/{action}``) and the case page's forms both call
``run``, so the two interfaces cannot drift apart.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from anxin.core.models import Unit, User
from anxin.petitions import services
from anxin.petitions.models import DeclineReason, Petition
from anxin.petitions.transitions import ACTIONS

__all__ = ["ACTIONS", "accused_account", "run", "unit_by_code"]


def unit_by_code(code: str | None, field: str) -> Unit | None:
    if not code:
        return None
    unit = Unit.objects.filter(code=code, is_active=True).first()
    if unit is None:
        raise ValidationError({field: _("Unknown unit code: %(code)s") % {"code": code}})
    return unit


def accused_account(username: str | None) -> User | None:
    """The account of an accused person, so that the shield hides the case from it."""
    if not username:
        return None
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"accused_user": _("Unknown user: %(name)s") % {"name": username}})
    return user


def _required_unit(code: str | None, field: str) -> Unit:
    unit = unit_by_code(code, field)
    if unit is None:
        raise ValidationError({field: _("Choose a unit.")})
    return unit


def _user(username: str | None) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise ValidationError({"leader": _("Unknown user: %(name)s") % {"name": username}})
    return user


def _reason(code: str) -> DeclineReason:
    reason = DeclineReason.objects.filter(code=code, is_active=True).first()
    if reason is None:
        raise ValidationError({"reason": _("Choose a reason from the list.")})
    return reason


def run(action: str, *, actor: User, petition: Petition, data: dict[str, Any]) -> Any:
    v = data.get("version")
    if action == "accept":
        return services.petition_accept(
            actor=actor,
            petition=petition,
            version=v,
            lead_unit=_required_unit(data.get("lead_unit"), "lead_unit"),
            co_units=[_required_unit(c, "co_units") for c in data.get("co_units") or []],
            leader=_user(data.get("leader")),
        )
    if action == "decline":
        return services.petition_decline(
            actor=actor,
            petition=petition,
            version=v,
            reason=_reason(data.get("reason") or ""),
            channel_advice=data.get("channel_advice") or "",
        )
    if action == "forward":
        return services.petition_forward(
            actor=actor,
            petition=petition,
            version=v,
            to_unit=_required_unit(data.get("to_unit"), "to_unit"),
        )
    if action == "object":
        return services.petition_object(
            actor=actor, petition=petition, version=v, reason=data.get("reason") or ""
        )
    if action == "settle_objection":
        if data.get("upheld") is None:
            raise ValidationError({"upheld": _("Say whether the objection is upheld.")})
        return services.petition_settle_objection(
            actor=actor,
            petition=petition,
            version=v,
            upheld=bool(data["upheld"]),
            to_unit=unit_by_code(data.get("to_unit"), "to_unit"),
        )
    if action == "merge":
        from anxin.petitions.selectors import petition_get_for_user

        into = petition_get_for_user(user=actor, id=str(data.get("into") or ""))
        return services.petition_merge(actor=actor, petition=petition, into=into, version=v)
    if action == "extend":
        return services.petition_extend(
            actor=actor,
            petition=petition,
            version=v,
            days=int(data.get("days") or 0),
            reason=data.get("reason") or "",
        )
    if action == "pause":
        return services.petition_pause(
            actor=actor, petition=petition, version=v, reason=data.get("reason") or ""
        )
    if action == "resume":
        return services.petition_resume(actor=actor, petition=petition, version=v)
    if action in ("decide", "decide_review", "decide_recheck"):
        step = {
            "decide": services.petition_decide,
            "decide_review": services.petition_decide_review,
            "decide_recheck": services.petition_decide_recheck,
        }[action]
        return step(
            actor=actor,
            petition=petition,
            version=v,
            outcome=data.get("outcome") or "",
            facts=data.get("facts") or "",
            reasons=data.get("reasons") or "",
            legal_basis=data.get("legal_basis") or "",
            request=data.get("request") or "",
        )
    if action == "sign_off":
        return services.petition_sign_off(actor=actor, petition=petition, version=v)
    if action == "deliver":
        delivered_on = data.get("delivered_on")
        if isinstance(delivered_on, str):
            try:
                delivered_on = date.fromisoformat(delivered_on)
            except ValueError:
                delivered_on = None
        if delivered_on is None:
            raise ValidationError({"delivered_on": _("Give the date of delivery.")})
        return services.petition_deliver(
            actor=actor,
            petition=petition,
            version=v,
            document=data.get("document") or "",
            method=data.get("method") or "",
            delivered_on=delivered_on,
        )
    if action == "rate":
        return services.petition_rate(
            actor=actor, petition=petition, version=v, rating=data.get("rating") or ""
        )
    if action == "request_review":
        return services.petition_request_review(
            actor=actor, petition=petition, version=v, reason=data.get("reason") or ""
        )
    if action == "request_recheck":
        return services.petition_request_recheck(
            actor=actor, petition=petition, version=v, reason=data.get("reason") or ""
        )
    if action == "close":
        return services.petition_close(
            actor=actor, petition=petition, version=v, reason=data.get("reason") or ""
        )
    raise ValidationError(_("Unknown action."))
