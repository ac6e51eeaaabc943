"""schemathesis against /api/v1/openapi.json: no server error, no response off its own schema.

The whole API of version 1 — every operation, every method — is called through the WSGI
application inside the test database, seeded with the demo city (``seed_demo --scale 0.05``)
and authenticated with an API key of a demo login, so that lists have rows to serialise.
Hypothesis runs a bounded number of examples per operation (``MAX_EXAMPLES``), derandomised,
so the run is repeatable and stays well under a minute on two cores.

It runs in the PostgreSQL stage of ``make test`` with the rest of the suite (and on SQLite
when run by hand).
"""

from __future__ import annotations

import io
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    response_schema_conformance,
    status_code_conformance,
)

from anxin.core.models import User
from anxin.core.services import api_key_create

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

MAX_EXAMPLES = 5
#: no 5xx; every status code documented; every body within its documented schema
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
#: the demo logins whose keys call the API: a city-wide unit head and a city-wide inspector
CALLERS = ("city_leader", "inspector")


@pytest.fixture
def demo_city(settings: Any) -> None:
    settings.ANXIN_DEMO = True
    settings.ALLOWED_HOSTS = ["*"]
    call_command("seed_demo", "--seed", "7", "--scale", "0.05", stdout=io.StringIO())


@pytest.fixture
def keep_connection() -> Any:
    """The WSGI application closes the database connection at the end of each request
    (``close_old_connections``), which would end the test's transaction on PostgreSQL; Django's
    own test client disconnects it the same way."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _check_operation(operation: Any, headers: dict[str, str], seen: set[tuple[str, int]]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        seen.add((operation.label, response.status_code))

    run()


def _real_ids(user: Any) -> dict[str, str]:
    """One record of each kind that ``user`` may see (ids as the API writes them)."""
    from anxin.petitions.models import Petition
    from anxin.petitions.models_reception import ReceptionSession
    from anxin.safety.models import ChecklistTemplate, Site
    from anxin.safety.models_accidents import Accident
    from anxin.safety.models_enforcement import EnforcementOrder
    from anxin.safety.models_hazards import Hazard
    from anxin.safety.models_inspections import Inspection, InspectionPlan

    found: dict[str, str] = {"units": "SFS", "people": user.username}
    for prefix, qs in (
        ("petitions", Petition.objects.restrict(user, "view")),
        ("sites", Site.objects.restrict(user, "view")),
        ("hazards", Hazard.objects.restrict(user, "view")),
        ("inspections", Inspection.objects.restrict(user, "view")),
        ("accidents", Accident.objects.restrict(user, "view")),
        ("enforcement-orders", EnforcementOrder.objects.restrict(user, "view")),
        ("inspection-plans", InspectionPlan.objects.restrict(user, "view")),
    ):
        uid = qs.order_by("id").values_list("uid", flat=True).first()
        if uid is not None:
            found[prefix] = str(uid)
    checklist = ChecklistTemplate.objects.order_by("id").values_list("pk", flat=True).first()
    if checklist is not None:
        found["checklists"] = str(checklist)
    session = ReceptionSession.objects.order_by("id").values_list("pk", flat=True).first()
    if session is not None:
        found["reception-sessions"] = str(session)
    return found


def _path_parameters(path: str, real: dict[str, str]) -> dict[str, str] | None:
    parts = path.strip("/").split("/")
    if parts[:2] == ["api", "v1"]:
        parts = parts[2:]
    value = real.get(parts[0])
    if value is None:
        return None
    params: dict[str, str] = {}
    for part in parts[1:]:
        if part.startswith("{"):
            name = part.strip("{}").split("}")[0]
            if params:  # a second parameter (a kind, a file, a permit): not known here
                return None
            params[name] = value
    return params


def test_every_operation_answers_within_its_schema(demo_city: None, keep_connection: None) -> None:
    from config.wsgi import application

    keys = {}
    for username in CALLERS:
        _key, raw = api_key_create(
            actor=None, user=User.objects.get(username=username), name="schemathesis"
        )
        keys[username] = raw
    schema = schemathesis.openapi.from_wsgi(
        "/api/v1/openapi.json", application, headers={"Authorization": f"Bearer {keys[CALLERS[0]]}"}
    )
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    assert len(operations) >= 30
    failures: list[str] = []
    seen: set[tuple[str, int]] = set()
    for username, raw in keys.items():
        for operation in operations:
            if username != CALLERS[0] and operation.method.upper() != "GET":
                continue  # the writes are fuzzed once, with the first caller's key
            try:
                _check_operation(operation, {"Authorization": f"Bearer {raw}"}, seen)
            except Exception as exc:  # collect them all, then fail once
                failures.append(f"{username} {operation.label}: {exc}")
    # Then every read of one record, with real ids of records the callers may see.
    for username, raw in keys.items():
        real = _real_ids(User.objects.get(username=username))
        for operation in operations:
            if operation.method.upper() != "GET" or "{" not in operation.path:
                continue
            params = _path_parameters(operation.path, real)
            if params is None:
                continue
            case = operation.Case(path_parameters=params)
            try:
                response = case.call_and_validate(
                    headers={"Authorization": f"Bearer {raw}"},
                    checks=CHECKS,
                )
                seen.add((f"{operation.label} (real)", response.status_code))
            except Exception as exc:
                failures.append(f"{username} {operation.label} {params}: {exc}")
    assert not failures, "\n\n".join(failures)
    import os

    if os.environ.get("ANXIN_ST_DEBUG"):
        print(sorted(seen))
    # Not vacuous: the lists answered with rows for these callers.
    ok = {label for label, status in seen if status == 200}
    for label in ("GET /units", "GET /petitions", "GET /hazards", "GET /sites"):
        assert f"{label}" in {x.replace("/api/v1", "") for x in ok}, label
