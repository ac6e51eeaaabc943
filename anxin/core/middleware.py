"""Request-wide policies: the audit context, forced password change and the admin second factor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from anxin.core import context
from anxin.core.choices import ADMIN_ROLES
from anxin.core.scoping import roles_of

#: paths a signed-in person may reach before finishing the account policy
EXEMPT_PREFIXES = ("/static/", "/healthz", "/i18n/", "/api/", "/open311/", "/portal/")


def client_ip(request: HttpRequest) -> str | None:
    """The client address; with N trusted proxies, the Nth address from the right of XFF."""
    proxies = settings.ANXIN_TRUSTED_PROXIES
    if proxies:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def needs_second_factor(user: Any) -> bool:
    return bool(
        settings.ANXIN_REQUIRE_ADMIN_OTP
        and not settings.ANXIN_DEMO
        and roles_of(user) & ADMIN_ROLES
    )


OTP_ENROLLED = "anxin_otp_enrolled"


def has_confirmed_device(user: Any) -> bool:
    from django_otp import devices_for_user

    return any(True for _ in devices_for_user(user, confirmed=True))


def policy_redirect(user: Any, session: Any = None) -> str | None:
    """Where a signed-in person must go before anything else, or None.

    Administrators must use a second factor; anyone else who enrolled one must use it too.
    Whether a person has a device is noted in the session at sign-in (no query per request).
    """
    if user.must_change_password and not settings.ANXIN_DEMO:
        return "password_change"
    if user.is_verified():
        return None
    enrolled = session.get(OTP_ENROLLED) if session is not None else None
    if enrolled is None:
        enrolled = has_confirmed_device(user)
    if enrolled:
        return "otp_verify"
    if needs_second_factor(user):
        return "otp_setup"
    return None


class AccountPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        via = "api" if request.path.startswith(("/api/", "/open311/")) else "web"
        token = context.set_current(context.RequestContext(ip=client_ip(request), via=via))
        try:
            user = getattr(request, "user", None)
            if (
                user is not None
                and user.is_authenticated
                and not request.path.startswith(EXEMPT_PREFIXES)
            ):
                target = policy_redirect(user, request.session)
                allowed = {
                    reverse("logout"),
                    reverse("password_change"),
                    reverse("otp_setup"),
                    reverse("otp_verify"),
                }
                if target and request.path not in allowed:
                    return redirect(target)
            return self.get_response(request)
        finally:
            context.reset(token)
