"""Rate limits on public endpoints: ``@ratelimit("portal_submit")`` on a view.

A fixed window per scope and client address, counted in Django's cache. The address is the
one the middleware took for the request (``ANXIN_TRUSTED_PROXY_COUNT``); only a keyed hash of
it is used as the cache key — it is never stored in the audit trail or anywhere else. Limits
come from ``settings.ANXIN_RATE_LIMITS`` (``{"scope": "10/m"}``; ``"off"`` for none), set from
the environment (docs/configuration.md). A refused request gets 429 with a ``Retry-After``
header: a page in Chinese for pages, the error shape ``{"message", "code", "extra"}`` for the
API paths. The view does not run, so nothing of the refused request is saved.

Several server processes need one shared cache (the database cache table or Redis); each
process's own memory would multiply the limit by the number of processes.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from anxin.core import context
from config.env import parse_rate

#: paths answered with the API's error shape
API_PREFIXES = ("/api/", "/open311/")
CODE = "rate_limited"


def now() -> float:
    return time.time()


def client_key(request: HttpRequest) -> str:
    """A keyed hash of the client address (the address itself is never kept)."""
    from anxin.core.middleware import client_ip

    ip = context.current().ip or client_ip(request) or "unknown"
    return hmac.new(settings.SECRET_KEY.encode(), ip.encode(), hashlib.sha256).hexdigest()[:32]


def hit(scope: str, key: str) -> int | None:
    """Count one request; the seconds to wait when over the limit, else None."""
    rate = parse_rate(settings.ANXIN_RATE_LIMITS.get(scope, "off"))
    if rate is None:
        return None
    limit, period = rate
    moment = now()
    window = int(moment // period)
    cache = caches[settings.ANXIN_RATE_LIMIT_CACHE]
    name = f"anxin:rl:{scope}:{key}:{window}"
    cache.add(name, 0, timeout=period + 1)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, timeout=period + 1)
        count = 1
    if count <= limit:
        return None
    return max(1, math.ceil((window + 1) * period - moment))


def refusal_message(wait: int) -> str:
    return _(
        "Too many requests in a short time. This request was not processed; please try again "
        "in %(seconds)d seconds."
    ) % {"seconds": wait}


def refusal(request: HttpRequest, wait: int) -> HttpResponse:
    message = refusal_message(wait)
    response: HttpResponse
    if request.path.startswith(API_PREFIXES):
        response = JsonResponse(
            {"message": message, "code": CODE, "extra": {"retry_after": wait}}, status=429
        )
    else:
        response = render(
            request, "core/rate_limited.html", {"message": message, "wait": wait}, status=429
        )
    response["Retry-After"] = str(wait)
    return response


def ratelimit(
    scope: str, *, methods: tuple[str, ...] = ("POST",)
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Limit ``methods`` requests of a view to ``settings.ANXIN_RATE_LIMITS[scope]``."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method in methods:
                wait = hit(scope, client_key(request))
                if wait is not None:
                    return refusal(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
