"""How API requests authenticate: a bearer API key, or the browser session (with CSRF)."""

from __future__ import annotations

import hmac
from datetime import timedelta
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from ninja.security import HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth

from anxin.core.choices import ADMIN_ROLES
from anxin.core.middleware import policy_redirect
from anxin.core.models import ApiKey
from anxin.core.scoping import roles_of
from anxin.core.services import API_KEY_PREFIX, api_key_digest

LAST_USED_RESOLUTION = timedelta(minutes=5)


class AccountPolicyError(Exception):
    code = "account_policy"
    message = _(
        "Finish signing in first: change your initial password or confirm your second factor."
    )


class ApiKeyAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(API_KEY_PREFIX):
            return None
        # A key is 256 random bits: a fast keyed digest (SM3), looked up by its unique index,
        # is all it needs — no slow password hash. The stored digest is compared again in
        # constant time; an unknown, wrong or revoked key gets the same 401 answer.
        digest = api_key_digest(token)
        key = (
            ApiKey.objects.select_related("user")
            .filter(digest=digest, revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if key is None or not hmac.compare_digest(key.digest, digest):
            return None
        if key.user.must_change_password or roles_of(key.user) & ADMIN_ROLES:
            # A key made before its user became an administrator, or whose user must still
            # change an initial password, stops working (no second factor behind a key).
            raise AccountPolicyError
        now = timezone.now()
        if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
            # Bookkeeping, not a state change of anyone's data: no audit event.
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        request.user = key.user
        return key.user


class SessionAuth(NinjaSessionAuth):
    """Django's session, CSRF-checked; the account policy must be complete."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = super().authenticate(request, key)
        if user and policy_redirect(user, request.session):
            raise AccountPolicyError
        return user
