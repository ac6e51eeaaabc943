"""Staff pages of the ledger import (台账导入) and the hazard ledger export.

Upload → preview → confirm. The uploaded workbook is kept on the server between the preview
and the confirmation, checked and SM4-encrypted by :mod:`anxin.core.attachments` (owner: the
importing person, purpose ``ledger``); the session names it. Nothing comes back from the
browser but the confirmation: at confirm time the file is read again from storage, its SM3
hash compared, the preview run again and the rows saved only if the preview is still the one
the person saw (its digest). Otherwise the new preview is shown, to be confirmed again.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.attachments import attachment_add, attachment_read
from anxin.core.crypto import sm3_hex
from anxin.core.models import Unit
from anxin.core.models_attachments import Attachment
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.safety import selectors_hazards
from anxin.safety.ledgers import (
    IMPORT_ACTION,
    LedgerError,
    LedgerPreview,
    hazard_ledger_export_record,
    ledger_commit,
    ledger_parsed_drop,
    ledger_parsed_keep,
    ledger_parsed_load,
    ledger_preview,
    territorial_choices,
    write_hazard_ledger,
)

SESSION_KEY = "safety_ledger_import"
PURPOSE = "ledger"
#: ready rows listed on the preview page
SHOWN_ROWS = 50


def _require(user: Any, action: str) -> None:
    if not can(user, action):
        raise PermissionDenied


class LedgerUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Ledger of"),
        choices=[
            ("sites", gettext_lazy("Sites (enterprises and places)")),
            ("hazards", gettext_lazy("Hazards")),
        ],
        widget=forms.RadioSelect,
    )
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        help_text=gettext_lazy(
            "The ledger as you keep it: title rows, merged headers and a signature footer are "
            "fine. Nothing is saved before you confirm the preview."
        ),
    )
    unit = forms.ChoiceField(label=gettext_lazy("Import into"))

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        self.fields["unit"].choices = [  # type: ignore[attr-defined]
            (u.code, "\u3000" * max(u.depth - 1, 0) + u.name) for u in units
        ]
        self.fields["file"].widget.attrs["accept"] = ".xlsx"
        for name in ("unit",):
            self.fields[name].widget.attrs["class"] = "form-select"
        self.fields["file"].widget.attrs["class"] = "form-control"

    def clean_unit(self) -> Unit:
        unit = self.units.get(self.cleaned_data["unit"])
        if unit is None:
            raise ValidationError(_("Choose a unit of your scope."))
        return unit


def _rows_table(preview: LedgerPreview) -> tuple[list[str], list[list[Any]]]:
    """The first ready rows as the page lists them (no contact person's name or phone)."""
    rows = preview.rows_ready[:SHOWN_ROWS]
    if preview.kind == "sites":
        head = [_("Row"), _("Name"), _("Credit code"), _("Sector"), _("Territorial unit")]
        head += [_("Address"), _("Risk level")]
        body = [
            [
                r["_row"],
                r["name"],
                r.get("credit_code") or "",
                r["_sector"].name,
                r["_unit"].name,
                r["address"],
                r["risk_level"],
            ]
            for r in rows
        ]
        from anxin.safety.choices import RiskLevel

        labels = dict(RiskLevel.choices)
        for line in body:
            line[6] = labels.get(line[6], line[6])
        return head, body
    from anxin.safety.hazard_rules import HazardGrade

    grades = dict(HazardGrade.choices)
    head = [_("Row"), _("Site"), _("Hazard description"), _("Grade"), _("Found on")]
    head += [_("Deadline")]
    body = [
        [
            r["_row"],
            r["_site"].name,
            r["description"],
            grades.get(r.get("grade") or "general", ""),
            r.get("found_on") or "",
            r.get("deadline") or "",
        ]
        for r in rows
    ]
    return head, body


def _render_preview(
    request: AuthedHttpRequest, preview: LedgerPreview, unit: Unit, *, changed: bool = False
) -> HttpResponse:
    head, body = _rows_table(preview)
    return render(
        request,
        "safety/ledger_preview.html",
        {
            "preview": preview,
            "unit": unit,
            "ready": len(preview.rows_ready),
            "head": head,
            "body": body,
            "more": max(len(preview.rows_ready) - SHOWN_ROWS, 0),
            "changed": changed,
            "kind_label": _("Sites") if preview.kind == "sites" else _("Hazards"),
        },
    )


def _stored(request: AuthedHttpRequest, state: dict[str, Any]) -> Attachment | None:
    try:
        uid = uuid.UUID(str(state.get("attachment")))
    except ValueError:
        return None
    return Attachment.objects.filter(
        uid=uid,
        owner_type=request.user._meta.label_lower,
        owner_id=request.user.pk,
        purpose=PURPOSE,
    ).first()


@login_required
@require_http_methods(["GET", "POST"])
def ledger_import(request: AuthedHttpRequest) -> HttpResponse:
    """Upload a ledger and see its preview (nothing saved)."""
    _require(request.user, IMPORT_ACTION)
    units = territorial_choices(request.user)
    initial = {"kind": "sites"}
    if request.user.unit is not None and any(u.pk == request.user.unit_id for u in units):
        initial["unit"] = request.user.unit.code
    form = LedgerUploadForm(
        request.POST or None, request.FILES or None, units=units, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        kind, unit = form.cleaned_data["kind"], form.cleaned_data["unit"]
        try:
            stored = attachment_add(
                actor=request.user,
                owner=request.user,
                upload=form.cleaned_data["file"],
                purpose=PURPOSE,
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            data = attachment_read(stored)
            ledger_parsed_drop((request.session.get(SESSION_KEY) or {}).get("parsed"))
            kept: list[str] = []

            def keep(file_hash: str, parsed: Any) -> None:
                kept.append(ledger_parsed_keep(file_hash, parsed, user=request.user))

            preview = ledger_preview(kind, data, user=request.user, unit=unit, keep=keep)
            preview.file_name = stored.name
            request.session[SESSION_KEY] = {
                "attachment": str(stored.uid),
                "kind": kind,
                "unit": unit.code,
                "file_hash": preview.file_hash,
                "digest": preview.digest,
                "parsed": kept[0] if kept else None,
            }
            return _render_preview(request, preview, unit)
    return render(request, "safety/ledger_import.html", {"form": form})


@login_required
@require_POST
def ledger_confirm(request: AuthedHttpRequest) -> HttpResponse:
    """Save the previewed ledger: the stored file, read again, if its preview is unchanged."""
    _require(request.user, IMPORT_ACTION)
    state = request.session.get(SESSION_KEY) or {}
    stored = _stored(request, state) if state else None
    units = {u.code: u for u in territorial_choices(request.user)}
    unit = units.get(state.get("unit", ""))
    if stored is None or unit is None:
        messages.error(request, _("There is no ledger waiting to be imported; upload it again."))
        return redirect("ledger_import")
    data = attachment_read(stored)
    if sm3_hex(data) != state.get("file_hash"):
        request.session.pop(SESSION_KEY, None)
        ledger_parsed_drop(state.get("parsed"))
        messages.error(request, _("The stored ledger has changed; upload it again."))
        return redirect("ledger_import")
    # the rows as read at upload (not read again), checked against the database again
    parsed = ledger_parsed_load(state.get("parsed"), user=request.user)
    preview = ledger_preview(state["kind"], data, user=request.user, unit=unit, parsed=parsed)
    preview.file_name = stored.name
    if request.POST.get("digest") != state.get("digest") or preview.digest != state["digest"]:
        state["digest"] = preview.digest
        request.session[SESSION_KEY] = state
        return _render_preview(request, preview, unit, changed=True)
    try:
        counts = ledger_commit(state["kind"], preview, actor=request.user)
    except LedgerError as exc:
        messages.error(request, exc.message)
        return _render_preview(request, preview, unit)
    request.session.pop(SESSION_KEY, None)
    ledger_parsed_drop(state.get("parsed"))
    return render(
        request,
        "safety/ledger_done.html",
        {"preview": preview, "counts": counts, "unit": unit, "kind": state["kind"]},
    )


@login_required
@require_GET
def hazard_ledger_export(request: AuthedHttpRequest) -> FileResponse:
    """The hazard ledger with the hazard list's filters, as .xlsx (no personal data)."""
    _require(request.user, "hazard.view")
    filters = {k: request.GET.get(k) or None for k in selectors_hazards.HAZARD_FILTERS}
    hazard_ledger_export_record(actor=request.user, filters=filters)
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
    return FileResponse(
        write_hazard_ledger(selectors_hazards.hazard_list(user=request.user, **filters)),
        as_attachment=True,
        filename=f"anxin-hazards-{stamp}.xlsx",
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
