"""System checks with stable ids (``manage.py check``; ``check --deploy`` for production)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.core.exceptions import ImproperlyConfigured


@register(Tags.security)
def check_keys(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    from anxin.core.crypto import parse_key

    issues: list[Any] = []
    try:
        parse_key(settings.ANXIN_DATA_KEY)
        for key in settings.ANXIN_DATA_KEYS_PREVIOUS:
            parse_key(key, "ANXIN_DATA_KEYS_PREVIOUS")
    except ImproperlyConfigured as exc:
        issues.append(Error(str(exc), id="anxin.E001", hint="See docs/configuration.md"))
    return issues


@register(Tags.security, deploy=True)
def check_production(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    issues: list[Any] = []
    if not settings.PRODUCTION:
        issues.append(
            Warning(
                f"ANXIN_ENV is {settings.ANXIN_ENV!r}; deployments set ANXIN_ENV=production.",
                id="anxin.W001",
            )
        )
        return issues
    if settings.DEBUG:
        issues.append(Error("DEBUG must be off in production.", id="anxin.E002"))
    if settings.ANXIN_DEMO:
        issues.append(
            Error(
                "ANXIN_DEMO is on: demo accounts share a published password and skip the "
                "second factor.",
                id="anxin.E003",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        issues.append(Error("ALLOWED_HOSTS must list the site's host names.", id="anxin.E004"))
    if not settings.ANXIN_REQUIRE_ADMIN_OTP:
        issues.append(
            Warning(
                "ANXIN_REQUIRE_ADMIN_OTP is off: administrators sign in without a second factor.",
                id="anxin.W002",
            )
        )
    return issues
