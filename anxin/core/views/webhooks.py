"""The system administrator's webhook pages: endpoints, their delivery log, replays."""

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

from anxin.core import webhooks
from anxin.core.errors import ServiceError
from anxin.core.forms import BootstrapMixin
from anxin.core.models_webhooks import WebhookEventType, WebhookSubject
from anxin.core.pagination import page_context
from anxin.core.scoping import can
from anxin.core.types import AuthedHttpRequest
from anxin.core.views.auth import apply_service_errors


class WebhookEndpointForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=webhooks.NAME_MAX)
    url = forms.CharField(
        label=gettext_lazy("URL"),
        max_length=webhooks.URL_MAX,
        help_text=gettext_lazy("The receiver's address, http:// or https://; HTTPS is advised."),
    )
    events = forms.MultipleChoiceField(
        label=gettext_lazy("Events"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    subject_types = forms.MultipleChoiceField(
        label=gettext_lazy("Items"),
        choices=WebhookSubject.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    secret = forms.CharField(
        label=gettext_lazy("Secret"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=gettext_lazy(
            "Signs every delivery (HMAC-SHA256). Leave empty to generate one (when creating) "
            "or to keep the current one (when editing)."
        ),
    )
    is_active = forms.BooleanField(label=gettext_lazy("Active"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("events", "subject_types"):
            self.fields[name].widget.attrs["class"] = "form-check-input"


def _require(user: Any) -> None:
    if not can(user, webhooks.MANAGE_ACTION):
        raise PermissionDenied


@login_required
@require_GET
def webhook_list(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    endpoints = webhooks.webhook_endpoint_list(user=request.user)
    return render(request, "core/webhook_list.html", {"endpoints": endpoints})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_create(request: AuthedHttpRequest) -> HttpResponse:
    _require(request.user)
    form = WebhookEndpointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        try:
            endpoint = webhooks.webhook_endpoint_create(actor=request.user, **data)
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        else:
            # The secret is shown once, on this answer; it is never put in a URL or a message.
            return render(
                request,
                "core/webhook_secret.html",
                {"endpoint": endpoint, "secret": str(endpoint.secret)},
            )
    return render(request, "core/webhook_form.html", {"form": form, "endpoint": None})


@login_required
@require_http_methods(["GET", "POST"])
def webhook_edit(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    endpoint = webhooks.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    initial = {
        "name": endpoint.name,
        "url": endpoint.url,
        "events": endpoint.events,
        "subject_types": endpoint.subject_types,
        "is_active": endpoint.is_active,
        "version": endpoint.version,
    }
    form = WebhookEndpointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            webhooks.webhook_endpoint_update(
                actor=request.user, endpoint=endpoint, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {})
        except ServiceError as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The endpoint is saved."))
            return redirect("webhook_detail", pk=endpoint.pk)
    return render(request, "core/webhook_form.html", {"form": form, "endpoint": endpoint})


@login_required
@require_GET
def webhook_detail(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    endpoint = webhooks.webhook_endpoint_get_for_user(user=request.user, pk=pk)
    deliveries = webhooks.webhook_delivery_list(user=request.user, endpoint=endpoint)
    ctx = page_context(request, deliveries, webhooks.DELIVERY_ORDERING)
    return render(request, "core/webhook_detail.html", {**ctx, "endpoint": endpoint})


@login_required
@require_POST
def webhook_replay(request: AuthedHttpRequest, pk: int) -> HttpResponse:
    _require(request.user)
    delivery = webhooks.webhook_delivery_get_for_user(user=request.user, pk=pk)
    try:
        webhooks.webhook_delivery_replay(actor=request.user, delivery=delivery)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, _("The delivery is queued again."))
    return redirect("webhook_detail", pk=delivery.endpoint_id)
