"""Per-request facts the audit trail needs (who, from where), set by middleware."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestContext:
    ip: str | None = None
    via: str = "web"  # web | api | command | task


_OUTSIDE_REQUESTS = RequestContext(via="command")
_current: contextvars.ContextVar[RequestContext | None] = contextvars.ContextVar(
    "anxin_request_context", default=None
)


def current() -> RequestContext:
    return _current.get() or _OUTSIDE_REQUESTS


def set_current(ctx: RequestContext) -> contextvars.Token[RequestContext | None]:
    return _current.set(ctx)


def reset(token: contextvars.Token[RequestContext | None]) -> None:
    _current.reset(token)
