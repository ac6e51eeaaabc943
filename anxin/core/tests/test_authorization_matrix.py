"""The authorization matrix (issue 8 item 1): every page and every API operation, as every
persona, against the expected outcomes in :mod:`anxin.core.tests.authz_matrix`.

The endpoints are found, not listed: every URL pattern of ``django.urls.get_resolver()`` and
every operation of the OpenAPI document. A new endpoint without a matrix entry fails
``test_every_endpoint_has_an_entry``; an entry whose endpoint is gone fails it too.

The requests run in chunks (one test per chunk, so xdist spreads them), each chunk on one fixture
world (:mod:`anxin.core.tests.authz_world`) built inside the test's transaction; every request
runs in its own savepoint that is rolled back, so an allowed write never changes what the next
persona sees. A refused write must leave no audit event behind.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from anxin.core.models import AuditEvent
from anxin.core.tests import authz_matrix as m
from anxin.core.tests.authz_world import PERSONAS, World, build_world

assert m.PERSONAS == PERSONAS

pytestmark = [pytest.mark.django_db]

API_PREFIX = "/api/v1"
#: refusals: a refused write must not change anything
REFUSALS = {401, 403, 404, 405}


# --- the endpoints ------------------------------------------------------------------------
def _walk(resolver: Any, prefix: str = "", namespace: str = "") -> Any:
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), namespace, p


def url_patterns() -> dict[str, str]:
    """Every page route (``route -> url name``); the API's own routes are its operations."""
    found: dict[str, str] = {}
    for route, namespace, p in _walk(get_resolver()):
        if getattr(p.callback, "__module__", "") == "ninja.operation":
            continue  # an API operation: covered by the OpenAPI document
        found[route] = f"{namespace}{p.name or ''}"
    return found


def api_operations() -> set[str]:
    from config.api import api

    schema = api.get_openapi_schema()
    return {f"{method.upper()} {path}" for path, ops in schema["paths"].items() for method in ops}


@pytest.mark.smoke
def test_every_endpoint_has_an_entry() -> None:
    pages = url_patterns()
    names = [name for name in pages.values()]
    assert len(names) == len(set(names)), "page names must be unique to key the matrix"
    entries = {key.split("@")[0] for key in m.PAGES}
    missing_pages = sorted(set(pages.values()) - entries)
    stale_pages = sorted(entries - set(pages.values()))
    ops = api_operations()
    op_entries = {key.split("@")[0] for key in m.API}
    missing_ops = sorted(ops - op_entries)
    stale_ops = sorted(op_entries - ops)
    assert (missing_pages, stale_pages, missing_ops, stale_ops) == ([], [], [], []), (
        "the authorization matrix (anxin/core/tests/authz_matrix.py) is out of date: "
        f"pages without an entry {missing_pages}, stale page entries {stale_pages}, "
        f"operations without an entry {missing_ops}, stale operation entries {stale_ops}"
    )
    # every entry names a known persona and a known outcome
    for key, entry in m.PAGES.items():
        assert entry.get is not None and entry.post is not None and entry.op is None, key
    for key, entry in m.API.items():
        assert entry.op is not None and entry.get is None and entry.post is None, key
    for key, entry in [*m.PAGES.items(), *m.API.items()]:
        for expected in (entry.get, entry.post, entry.op):
            if expected is not None:
                assert set(expected) == set(PERSONAS), key
                assert set(expected.values()) <= m.OUTCOMES, key


# --- the requests -------------------------------------------------------------------------
def _value(world: World, spec: str) -> str:
    return world.params[spec[1:]] if spec.startswith("@") else spec


def _data(world: World, entry: m.Entry) -> dict[str, Any]:
    return {k: _value(world, v) if isinstance(v, str) else v for k, v in entry.data.items()}


def page_url(name: str, entry: m.Entry, world: World) -> str:
    kwargs = {k: _value(world, v) for k, v in entry.args.items()}
    url = reverse(name.split("@")[0], kwargs=kwargs)
    return url + entry.query


def api_url(key: str, entry: m.Entry, world: World) -> str:
    path = key.split("@")[0].split(" ", 1)[1]
    for k, v in entry.args.items():
        path = path.replace("{" + k + "}", _value(world, v))
    assert "{" not in path, f"{key}: a path parameter has no value"
    return path + entry.query


def outcome(response: Any) -> str | int:
    status = response.status_code
    if status == 200:
        return "ok"
    if status == 302:
        return "login" if response["Location"].startswith("/accounts/login/") else "redirect"
    return status


def matches(expected: str | int, actual: str | int, method: str) -> bool:
    if expected == actual:
        return True
    if method != "GET" and expected == "ok":
        # an allowed write: any answer past the authorization (400, 409, 422, a redirect…)
        return (
            actual not in REFUSALS
            and actual != "login"
            and not (isinstance(actual, int) and actual >= 500)
        )
    return False


class Caller:
    """One signed-in browser per persona; its cookies are put back before each request (a
    logout or a password change would otherwise sign it out for the next endpoint)."""

    def __init__(self, world: World) -> None:
        from anxin.conftest import verified_client

        self.cookies: dict[str, Any] = {}
        for name in PERSONAS:
            client = Client() if name == "anonymous" else verified_client(world.users[name])
            self.cookies[name] = client.cookies
        self.client = Client(raise_request_exception=False)

    def request(self, persona: str, method: str, url: str, data: dict[str, Any]) -> Any:
        import copy
        import json
        from urllib.parse import urlencode

        self.client.cookies = copy.deepcopy(self.cookies[persona])
        if method == "GET":
            return self.client.get(url)
        if url.startswith(API_PREFIX):
            return self.client.generic(method, url, json.dumps(data), "application/json")
        return self.client.generic(
            method, url, urlencode(data), "application/x-www-form-urlencoded"
        )


def run_entry(
    caller: Caller, method: str, url: str, expected: dict[str, Any], data: dict[str, Any]
) -> list[str]:
    failures: list[str] = []
    for persona in PERSONAS:
        want = expected[persona]
        with transaction.atomic():
            events = AuditEvent.objects.count() if method != "GET" else 0
            response = caller.request(persona, method, url, data)
            got = outcome(response)
            # refused (a signed-in persona's "login" is the logout page doing its job)
            refused = got in REFUSALS or (got == "login" and persona == "anonymous")
            if method != "GET" and refused:
                added = AuditEvent.objects.count() - events
                if added:
                    failures.append(f"{method} {url} as {persona}: refused ({got}) but audited")
            transaction.set_rollback(True)
        if not matches(want, got, method):
            failures.append(f"{method} {url} as {persona}: expected {want}, got {got}")
    return failures


def chunks() -> list[str]:
    return sorted({entry.chunk for entry in [*m.PAGES.values(), *m.API.values()]})


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> World:
    from anxin.conftest import _reference_data

    settings.MEDIA_ROOT = tmp_path
    _reference_data()
    return build_world()


@pytest.fixture
def quiet() -> Any:
    """Thousands of refusals: Django would log a warning line for each."""
    import logging

    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.mark.slow
@pytest.mark.parametrize("chunk", chunks())
def test_every_persona_gets_the_expected_answer(chunk: str, world: World, quiet: None) -> None:
    caller = Caller(world)
    failures: list[str] = []
    requests = 0
    for name, entry in m.PAGES.items():
        if entry.chunk != chunk:
            continue
        url = page_url(name, entry, world)
        for method, expected in (("GET", entry.get), ("POST", entry.post)):
            if expected is not None:
                failures += run_entry(caller, method, url, expected, _data(world, entry))
                requests += len(PERSONAS)
    for key, entry in m.API.items():
        if entry.chunk != chunk:
            continue
        method = key.split(" ", 1)[0]
        assert entry.op is not None, key
        failures += run_entry(
            caller, method, api_url(key, entry, world), entry.op, _data(world, entry)
        )
        requests += len(PERSONAS)
    assert requests > 0
    assert not failures, "\n".join(failures)


def test_an_outsider_never_gets_an_item_of_t1() -> None:
    """Not vacuous: every endpoint about a record of the world refuses the outsider (head of T3,
    another district), but for the entries that say why not (``m.NOT_SCOPED``)."""
    for key, entry in [*m.PAGES.items(), *m.API.items()]:
        if not any(v.startswith("@") for v in entry.args.values()) or key in m.NOT_SCOPED:
            continue
        for expected in (entry.get, entry.post, entry.op):
            if expected is not None:
                assert expected["outsider"] not in ("ok", "redirect"), key
    assert set(m.NOT_SCOPED) <= {*m.PAGES, *m.API}
