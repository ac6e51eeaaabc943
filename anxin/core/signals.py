"""Sign-in events go to the audit trail (等保 2.0: security events are audited)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from anxin.core.middleware import OTP_ENROLLED, has_confirmed_device
    from anxin.core.services import auth_event_record

    auth_event_record(actor=user, action="auth.login")
    if request is not None and hasattr(request, "session"):
        request.session[OTP_ENROLLED] = has_confirmed_device(user)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    from anxin.core.services import auth_event_record

    if user is not None:
        auth_event_record(actor=user, action="auth.logout")


@receiver(user_login_failed)
def _login_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kw: Any) -> None:
    from anxin.core.services import auth_event_record

    # The attempted username is kept (it identifies the targeted account); never the password.
    auth_event_record(
        actor=None, action="auth.login_failed", username=str(credentials.get("username", ""))
    )
