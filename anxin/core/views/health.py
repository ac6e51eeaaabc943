"""/healthz: is the database reachable and is the task queue's storage usable?"""

from __future__ import annotations

import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def _check_database() -> dict:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # report, never raise: this is the health page
        return {"status": "error", "error": exc.__class__.__name__}
    return {
        "status": "ok",
        "vendor": connection.vendor,
        "ms": round((time.perf_counter() - started) * 1000, 1),
    }


def _check_queue() -> dict:
    from huey.contrib.djhuey import HUEY

    try:
        pending = HUEY.pending_count()
    except Exception as exc:
        return {"status": "error", "error": exc.__class__.__name__}
    return {
        "status": "ok",
        "backend": HUEY.__class__.__name__,
        "pending": pending,
        "immediate": HUEY.immediate,
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _check_database(), "queue": _check_queue()}
    ok = all(c["status"] == "ok" for c in checks.values())
    body = {"status": "ok" if ok else "error", "version": settings.ANXIN_VERSION, **checks}
    return JsonResponse(body, status=200 if ok else 503)
