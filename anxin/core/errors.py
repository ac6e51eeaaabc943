"""Errors that services raise and every interface (page, API, command) reports the same way."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _


class ServiceError(Exception):
    """A refusal with a stable ``code`` and a message for people (Chinese by default)."""

    status = 400
    code = "invalid"
    default_message = _("The request could not be processed.")

    def __init__(self, message: Any = None, *, code: str | None = None, extra: dict | None = None):
        self.message = message if message is not None else self.default_message
        if code:
            self.code = code
        self.extra = extra or {}
        super().__init__(str(self.message))


class VersionConflict(ServiceError):
    status = 409
    code = "version_conflict"
    default_message = _(
        "This record was changed by someone else after you opened it. Reload it and try again."
    )


def check_version(obj: Any, expected: int | None) -> None:
    """Optimistic locking: refuse an update made against a stale version."""
    if expected is not None and int(expected) != obj.version:
        raise VersionConflict(extra={"current_version": obj.version})
