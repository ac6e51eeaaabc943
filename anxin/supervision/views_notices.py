"""Staff pages of 督办 notices: the list, issuing one, the notice with its replies and the
forms to reply, accept or send back, the .docx and the replies' files."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from anxin.core.attachments import attachment_response, content_disposition
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin
from anxin.core.models import Unit
from anxin.core.pagination import page_context
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors
from anxin.supervision import notice_subjects, notices
from anxin.supervision import selectors_notices as selectors
from anxin.supervision.documents_notices import (
    DOCX_CONTENT_TYPE,
    ascii_filename,
    notice_document_issue,
)
from anxin.supervision.models_notices import (
    NOTICE_SUBJECT_TYPE,
    NoticeKind,
    NoticeStatus,
    SupervisionNotice,
)
from anxin.supervision.selectors import clocks_for

ATTACHMENT_HELP = gettext_lazy(
    "Images (JPG, PNG, GIF, WebP), PDF, Word or Excel without macros, or text; "
    "at most 20 MB each. Photos lose their location data."
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


class IssuableUnitField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "　" * obj.depth + obj.name


class NoticeForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=NoticeKind.choices)
    subject_type = forms.ChoiceField(label=gettext_lazy("Item type"), required=False)
    subject_id = forms.IntegerField(
        label=gettext_lazy("Item id"), required=False, min_value=1, widget=forms.HiddenInput
    )
    unit = IssuableUnitField(
        label=gettext_lazy("Addressed unit"),
        queryset=Unit.objects.none(),
        to_field_name="code",
        required=False,
        help_text=gettext_lazy("For a supervision sheet, empty means the unit handling the item."),
    )
    matters = forms.CharField(
        label=gettext_lazy("Matters to address"), widget=forms.Textarea(attrs={"rows": 5})
    )
    reply_by = forms.DateField(
        label=gettext_lazy("Reply by"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: dict[str, Any] = self.fields
        fields["unit"].queryset = (
            Unit.objects.restrict(user, "notice.issue").filter(is_active=True).order_by("path")
        )
        fields["subject_type"].choices = [("", "—")] + [
            (t.key, t.label) for t in notice_subjects.subject_types()
        ]


class ReplyForm(BootstrapMixin, forms.Form):
    text = forms.CharField(label=gettext_lazy("Reply"), widget=forms.Textarea(attrs={"rows": 5}))
    attachments = MultipleFileField(
        label=gettext_lazy("Attachments"), required=False, help_text=ATTACHMENT_HELP
    )


class SendBackForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reasons for sending it back"),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    reply_by = forms.DateField(
        label=gettext_lazy("New reply deadline"), widget=forms.DateInput(attrs={"type": "date"})
    )


@login_required
@require_GET
def notice_list(request: AuthedHttpRequest) -> HttpResponse:
    if not can(request.user, "notice.view"):
        raise PermissionDenied
    overdue = {"1": True, "0": False}.get(request.GET.get("overdue", ""))
    try:
        qs = selectors.notice_list(
            user=request.user,
            status=request.GET.get("status") or None,
            overdue=overdue,
            unit=request.GET.get("unit") or None,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        qs = SupervisionNotice.objects.none()
    return render(
        request,
        "supervision/notice_list.html",
        {
            **page_context(request, qs, selectors.ORDERING),
            "statuses": NoticeStatus.choices,
            "may_issue": can(request.user, "notice.issue"),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_create(request: AuthedHttpRequest) -> HttpResponse:
    if not can(request.user, "notice.issue"):
        raise PermissionDenied
    subject = None
    subject_type = request.GET.get("subject_type") or ""
    subject_id = request.GET.get("subject_id") or ""
    initial: dict[str, Any] = {"kind": NoticeKind.LETTER, "unit": request.GET.get("unit")}
    if subject_type and subject_id.isdigit():
        subject = notice_subjects.resolve(subject_type, request.user, int(subject_id))
        if subject is not None:
            initial.update(
                kind=NoticeKind.SHEET,
                subject_type=subject_type,
                subject_id=int(subject_id),
                unit=subject.unit.code,
            )
    form = NoticeForm(request.POST or None, initial=initial, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            notice = notices.notice_issue(
                actor=request.user,
                kind=data["kind"],
                unit=data["unit"],
                subject_type=data["subject_type"] if data["kind"] == NoticeKind.SHEET else "",
                subject_id=data["subject_id"] if data["kind"] == NoticeKind.SHEET else None,
                matters=data["matters"],
                reply_by=data["reply_by"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            messages.success(request, _("Notice %(number)s issued.") % {"number": notice.number})
            return redirect("notice_detail", id=notice.uid)
    return render(request, "supervision/notice_form.html", {"form": form, "subject": subject})


@login_required
@require_GET
def notice_detail(request: AuthedHttpRequest, id: str) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    return _detail(request, notice)


def _detail(
    request: AuthedHttpRequest,
    notice: SupervisionNotice,
    *,
    reply_form: ReplyForm | None = None,
    send_back_form: SendBackForm | None = None,
    status: int = 200,
) -> HttpResponse:
    may_reply = (
        notice.status == NoticeStatus.PENDING
        and SupervisionNotice.objects.restrict(request.user, "notice.reply")
        .filter(pk=notice.pk)
        .exists()
    )
    may_decide = notice.status == NoticeStatus.REPLIED and notices.notice_may_decide(
        request.user, notice
    )
    clocks = clocks_for(NOTICE_SUBJECT_TYPE, notice.pk)
    return render(
        request,
        "supervision/notice_detail.html",
        {
            "notice": notice,
            "replies": selectors.notice_replies(notice),
            "clock": clocks.get(notice.clock_name),
            "overdue": notice.is_overdue(),
            "reply_form": (reply_form or ReplyForm()) if may_reply else None,
            "send_back_form": (send_back_form or SendBackForm()) if may_decide else None,
            "may_decide": may_decide,
        },
        status=status,
    )


@login_required
@require_POST
def notice_reply(request: AuthedHttpRequest, id: str) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, id=id, action="notice.reply")
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            notices.notice_reply(
                actor=request.user,
                notice=notice,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["attachments"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return redirect("notice_detail", id=notice.uid)
        else:
            messages.success(request, _("Reply sent."))
            return redirect("notice_detail", id=notice.uid)
    return _detail(request, notice, reply_form=form, status=400)


@login_required
@require_POST
def notice_accept(request: AuthedHttpRequest, id: str) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    try:
        notices.notice_accept(actor=request.user, notice=notice)
    except ServiceError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Reply accepted; the notice is closed."))
    return redirect("notice_detail", id=notice.uid)


@login_required
@require_POST
def notice_send_back(request: AuthedHttpRequest, id: str) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    form = SendBackForm(request.POST)
    if form.is_valid():
        try:
            notices.notice_send_back(
                actor=request.user,
                notice=notice,
                reason=form.cleaned_data["reason"],
                reply_by=form.cleaned_data["reply_by"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            messages.error(request, str(exc.message))
            return redirect("notice_detail", id=notice.uid)
        else:
            messages.success(request, _("Reply sent back."))
            return redirect("notice_detail", id=notice.uid)
    if not notices.notice_may_decide(request.user, notice):
        raise PermissionDenied
    return _detail(request, notice, send_back_form=form, status=400)


@login_required
@require_GET
def notice_document(request: AuthedHttpRequest, id: str) -> HttpResponse:
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    filename, data = notice_document_issue(actor=request.user, notice=notice)
    response = HttpResponse(data, content_type=DOCX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition(filename, ascii_filename(notice))
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def notice_attachment(request: AuthedHttpRequest, id: str, file: str) -> HttpResponse:
    """A reply's file, for those who may see the notice (404 otherwise)."""
    notice = selectors.notice_get_for_user(user=request.user, id=id)
    return attachment_response(selectors.notice_attachment(notice, file))
