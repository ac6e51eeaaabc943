"""Sign-in, sign-out, password change and the TOTP second factor."""

from __future__ import annotations

import base64
from typing import Any

import segno
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from anxin.core.forms import BootstrapMixin
from anxin.core.middleware import OTP_ENROLLED
from anxin.core.services import (
    auth_event_record,
    otp_enrol_confirm,
    otp_enrol_start,
    password_change,
)
from anxin.core.types import AuthedHttpRequest


class LoginForm(BootstrapMixin, AuthenticationForm):
    error_messages = {
        "invalid_login": gettext_lazy(
            "Wrong username or password. After %(limit)s failed attempts in %(minutes)s minutes "
            "the account is locked for %(minutes)s minutes."
        ),
        "inactive": gettext_lazy("This account is disabled."),
    }

    def get_invalid_login_error(self) -> ValidationError:
        return ValidationError(
            self.error_messages["invalid_login"],
            code="invalid_login",
            params={
                "limit": settings.AXES_FAILURE_LIMIT,
                "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            },
        )


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    return render(
        request,
        "core/locked.html",
        {"minutes": minutes, "limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )


class PasswordChangeForm(BootstrapMixin, forms.Form):
    old_password = forms.CharField(
        label=gettext_lazy("Current password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=gettext_lazy("New password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=gettext_lazy("New password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("new_password1") != data.get("new_password2"):
            raise ValidationError(_("The two new passwords do not match."))
        return data


def apply_service_errors(form: forms.Form, exc: ValidationError, mapping: dict[str, str]) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            target = mapping.get(field, field)
            form.add_error(target if target in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@login_required
@require_http_methods(["GET", "POST"])
def password_change_view(request: AuthedHttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            password_change(
                actor=request.user,
                user=request.user,
                old_password=form.cleaned_data["old_password"],
                new_password=form.cleaned_data["new_password1"],
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, {"password": "new_password1"})
        else:
            update_session_auth_hash(request, request.user)
            messages.success(request, _("Your password has been changed."))
            return redirect("home")
    return render(request, "core/password_change.html", {"form": form})


class TokenForm(BootstrapMixin, forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        max_length=6,
        min_length=6,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": "[0-9]*"}
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_setup_view(request: AuthedHttpRequest) -> HttpResponse:
    """Enrol a TOTP device: show the secret as a QR code, confirm it with one code."""
    user = request.user
    if TOTPDevice.objects.filter(user=user, confirmed=True).exists():
        return redirect("otp_verify")
    device = otp_enrol_start(actor=user)
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if otp_enrol_confirm(actor=user, device=device, token=form.cleaned_data["token"]):
            otp_login(request, device)
            request.session[OTP_ENROLLED] = True
            messages.success(request, _("Your second factor is set up."))
            return redirect("home")
        form.add_error("token", _("The code is wrong or has expired. Try the current one."))
    qr_svg = segno.make(device.config_url, error="m").svg_inline(scale=4)
    secret = base64.b32encode(device.bin_key).decode("ascii")
    return render(
        request, "core/otp_setup.html", {"form": form, "qr_svg": qr_svg, "secret": secret}
    )


@login_required
@require_http_methods(["GET", "POST"])
def otp_verify_view(request: AuthedHttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.filter(user=request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(request.GET.get("next") or "home")
        auth_event_record(actor=request.user, action="otp.verify_failed")
        form.add_error("token", _("The code is wrong or has expired. Try the current one."))
    return render(request, "core/otp_verify.html", {"form": form})
