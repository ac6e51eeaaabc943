"""The project's URLs plus ``/bench/bare/``: the yardstick of ``intake_vs_bare``."""

import json

from django.http import HttpRequest, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> JsonResponse:
    """Parse the JSON body and answer, as a minimal Django endpoint would: no database."""
    if request.method == "POST":
        data = json.loads(request.body or b"{}")
        return JsonResponse({"title": data.get("title", "")}, status=201)
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), *project_urlpatterns]
