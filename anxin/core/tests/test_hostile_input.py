"""Hostile input (issue 8): every API operation with a body and every page form, tried with the
payload corpus of ``hostile_corpus.py``; what was stored is rendered back escaped in pages and
kept literally in .docx and .xlsx files.

- **API**: the operations are enumerated from the OpenAPI document, so a new operation is covered
  without editing this file. Each (operation, payload) is one request whose every free-text field
  carries the payload; fields that name a code or a record (``channel``, ``unit``, ``site``…) and
  dates keep a valid value so that the payload reaches the service and the database. The answer
  is 2xx or 4xx, never 5xx; a 4xx has a Chinese ``message`` and changes nothing (no row in any
  table, no audit event). Each request runs in a savepoint rolled back afterwards, so every
  payload meets the same records in the same state.
- **Page forms**: every ``forms.Form`` subclass in ``anxin.*`` is built (with the arguments
  ``FORM_ARGS`` names) and validated with the payload in every ``CharField``: it validates or
  refuses with a Chinese message, and never raises.
- **Rendered back**: a petition, a hazard, a site and a public hazard report carrying the
  payloads; their pages show them escaped only; the .docx and .xlsx keep the literal text.
"""

from __future__ import annotations

import importlib
import inspect
import io
import json
import os
import pkgutil
import re
import time
import uuid
from typing import Any

import pytest
from django import forms
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from anxin.core.tests.hostile_corpus import BY_NAME, CORPUS, STORABLE, form_payloads

pytestmark = [pytest.mark.django_db]

CJK = re.compile(r"[\u4e00-\u9fff]")

# --- the API ---------------------------------------------------------------------------------

#: string fields that carry a code or a reference, with a valid value (``None``: leave it out);
#: (schema, field) overrides field. Every other string field carries the payload.
CODES: dict[Any, Any] = {
    "channel": "letter",
    "kind": "claim",
    ("AccidentIn", "kind"): "other",
    ("EnforcementOrderIn", "kind"): "rectify",
    ("NoticeIn", "kind"): "sheet",
    ("PermitIn", "kind"): "safety_production",
    ("PermitPatch", "kind"): None,
    "category": "labour",
    "unit": "C",
    ("SiteIn", "unit"): "V1",
    ("HazardIn", "unit"): None,
    "accused_person": "",
    "place_unit": None,
    "accused_unit": None,
    "accused_user": None,
    "lead_unit": None,
    "to_unit": None,
    "into": None,
    "regulating_unit": None,
    "contact_user": None,
    "sector": "industry_trade",
    ("SitePatch", "sector"): None,
    ("SitePatch", "unit"): None,
    ("SitePatch", "risk_level"): None,
    ("SitePatch", "status"): None,
    "risk_level": "yellow",
    "status": None,
    "grade": None,
    "site": "<site>",
    ("InspectionTaskIn", "site"): None,
    "hazard": None,
    "recurrence_of": None,
    "plan": None,
    "subject_type": "",
    "level": "",
    "username": "",
    "outcome": "",
    "document": "",
    "method": "",
    "rating": "",
    "source": None,
    "leader": None,
    ("ReceptionSessionIn", "leader"): "hostile",
    "organiser": "C",
    "credit_code": "",
    "id_number": "",
    "signer": None,
}

#: the action or step of each operation whose path names one; the first takes the whole corpus,
#: the others a payload of each kind (see ``SAMPLE``)
PATH_CHOICES = {
    "/petitions/{id}/actions/{action}": "petitions.actions:ACTIONS",
    "/hazards/{id}/actions/{action}": "safety.hazard_rules:ACTIONS",
    "/accidents/{id}/actions/{action}": "safety.accidents:ACTIONS",
    "/supervision-notices/{id}/actions/{action}": "supervision.api_notices:ACTIONS",
    "/petitions/{id}/plan/{op}": "petitions.api:PLAN_OPS",
    "/reception-sessions/{id}/{op}": ("cancel", "publish"),
}
FIRST = {
    "petitions.actions:ACTIONS": "decline",
    "safety.hazard_rules:ACTIONS": "start_rectification",
    "safety.accidents:ACTIONS": "supplement",
    "petitions.api:PLAN_OPS": "step",
}

#: the operations on a record that take the whole corpus besides those that create one (the
#: other operations on a record take ``SAMPLE``, to keep the run short)
FULL = {
    ("patch", "/sites/{id}", None),
    ("post", "/petitions/{id}/actions/{action}", "decline"),
    ("post", "/hazards/{id}/actions/{action}", "start_rectification"),
}

#: payloads of the kinds that failed somewhere once, for the other operations
SAMPLE = [BY_NAME[n] for n in ("script_tag", "lone_surrogate", "long_100k")]


def _choices(spec: Any) -> tuple[str, ...]:
    if isinstance(spec, tuple):
        return spec
    module, name = spec.split(":")
    values = getattr(importlib.import_module(f"anxin.{module}"), name)
    first = FIRST.get(spec, next(iter(values)))
    return (first, *[v for v in values if v != first])


def _resolve(schema: dict, node: dict) -> dict:
    ref = node.get("$ref")
    if ref:
        return schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    return node


def _types(node: dict) -> list[dict]:
    return node["anyOf"] if "anyOf" in node else [node]


def _value(
    schema: dict, owner: str, field: str, node: dict, text: str, refs: dict[str, str]
) -> Any:
    """The value of one field: the payload in free text, a valid value elsewhere."""
    options = [t for t in _types(_resolve(schema, node)) if t.get("type") != "null"]
    kind = options[0] if options else {}
    fmt = next((t.get("format") for t in options if t.get("format")), None)
    if fmt == "date":
        return timezone.localdate().isoformat()
    if fmt == "date-time":
        return timezone.now().isoformat()
    if kind.get("type") == "string":
        code = CODES.get((owner, field), CODES.get(field, "<payload>"))
        if code == "<payload>":
            return text
        if code in refs:
            return refs[code]
        return code
    if kind.get("type") == "integer":
        return None if field in ("version", "step", "subject_id", "days") else 1
    if kind.get("type") == "number":
        return 0
    if kind.get("type") == "boolean":
        return False
    if kind.get("type") == "array":
        item = _resolve(schema, kind.get("items", {}))
        if item.get("type") == "object" and field not in ("representatives", "results"):
            return [_body(schema, item, text, refs)]
        return []
    if kind.get("type") == "object" or "properties" in kind:
        return _body(schema, kind, text, refs)
    return None


def _body(schema: dict, node: dict, text: str, refs: dict[str, str]) -> dict:
    node = _resolve(schema, node)
    owner = node.get("title", "")
    body = {}
    for field, spec in node.get("properties", {}).items():
        value = _value(schema, owner, field, spec, text, refs)
        if value is not None:
            body[field] = value
    if "version" in node.get("required", []):
        body["version"] = refs["<version>"]  # the site's: a PATCH of another record gets 409
    return body


def _operations(schema: dict) -> list[tuple[str, str, dict]]:
    found = []
    for path, methods in schema["paths"].items():
        for method, op in methods.items():
            if method in ("post", "patch", "put") and "requestBody" in op:
                found.append((method, path.removeprefix("/api/v1"), op))
    return found


def _table_counts() -> tuple[int, ...]:
    """The number of rows in every table of the project, in one query."""
    from django.apps import apps

    tables = sorted(
        {m._meta.db_table for m in apps.get_models() if m._meta.managed and not m._meta.proxy}
    )
    sql = " UNION ALL ".join(f"SELECT COUNT(*) FROM {connection.ops.quote_name(t)}" for t in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return tuple(row[0] for row in cursor.fetchall())


def _encode(body: Any) -> bytes:
    """JSON as a client sends it; a lone surrogate goes as its ``\\uXXXX`` escape."""
    return json.dumps(body, ensure_ascii=True).encode()


@pytest.fixture
def records(personas: Any) -> dict[str, Any]:
    """One record of each kind the operations' paths name, in scope of the caller."""
    from anxin.petitions import services as petitions
    from anxin.petitions.models import Category
    from anxin.safety import hazards
    from anxin.safety import services as safety
    from anxin.safety.models import Sector

    city = personas.city
    petition = petitions.petition_register(
        actor=personas.clerk,
        channel="letter",
        kind="claim",
        category=Category.objects.get(code="labour"),
        title="拖欠工资",
        content="拖欠工资三个月",
        unit=city.C,
        anonymous=True,
    ).petition
    petitions.petition_accept(actor=personas.clerk, petition=petition, lead_unit=city.T1)
    site = safety.site_create(
        actor=None,
        name="一街道机械制造有限公司",
        credit_code="",
        sector=Sector.objects.get(code="industry_trade"),
        unit=city.V1,
        address="一街道和平路8号",
        risk_level="yellow",
        contact_name="李四",
        contact_phone="13812345678",
    )
    hazard = hazards.hazard_create(actor=None, site=site, description="通道堵塞")
    return {"petitions": petition, "sites": site, "hazards": hazard}


@pytest.fixture
def caller(personas: Any) -> Client:
    """An API key of a person holding every staff role city-wide."""
    from anxin.core.choices import ADMIN_ROLES, Role
    from anxin.core.services import api_key_create
    from anxin.core.testing import make_person

    person = make_person(
        "hostile", personas.city.C, [(r, personas.city.C) for r in Role if r not in ADMIN_ROLES]
    )
    _key, raw = api_key_create(actor=None, user=person, name="hostile")
    return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Bearer {raw}")


def _path(path: str, action: str | None, records: dict[str, Any]) -> str:
    parts = path.strip("/").split("/")
    record = records.get(parts[0])
    out = []
    for part in parts:
        if part == "{id}":
            out.append(str(record.uid) if record is not None else str(uuid.uuid4()))
        elif part in ("{action}", "{op}"):
            out.append(action or "x")
        elif part.startswith("{"):
            out.append("1")
        else:
            out.append(part)
    return "/api/v1/" + "/".join(out)


@pytest.mark.dbdep
@pytest.mark.parametrize("part", ["create", "on a record"])
def test_every_api_operation_takes_the_corpus(records: Any, caller: Client, part: str) -> None:
    """In two parts (the operations that create a record, those on a record), so that the
    suite's two workers share them."""
    from config.api import api

    schema = api.get_openapi_schema()
    every = _operations(schema)
    assert len(every) >= 25
    operations = [o for o in every if ("{" in o[1]) == (part == "on a record")]
    refs = {"<site>": str(records["sites"].uid), "<version>": records["sites"].version}
    baseline = _table_counts()
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    requests, started = 0, time.monotonic()
    for method, path, op in operations:
        content = op["requestBody"]["content"]
        multipart = "multipart/form-data" in content
        spec = next(iter(content.values()))["schema"]
        choices = _choices(PATH_CHOICES[path]) if path in PATH_CHOICES else (None,)
        for action in choices:
            url = _path(path, action, records)
            full = "{" not in path or (method, path, action) in FULL
            for payload in CORPUS if full else SAMPLE:
                if multipart and payload.json_only:
                    continue
                body = _body(schema, spec, payload.text, refs)
                requests += 1
                with transaction.atomic():
                    if multipart:
                        files = {k: v for k, v in body.items() if k != "files"}
                        response = getattr(caller, method)(url, files)
                    else:
                        response = getattr(caller, method)(
                            url, _encode(body), content_type="application/json"
                        )
                    status = response.status_code
                    answered.setdefault(f"{method} {path}", set()).add(status)
                    where = f"{method.upper()} {url} [{payload.name}] → {status}"
                    if status >= 500:
                        failures.append(where)
                    elif status >= 400:
                        try:
                            message = json.loads(response.content).get("message", "")
                        except ValueError:
                            message = response.content[:200].decode(errors="replace")
                        if not CJK.search(message):
                            failures.append(f"{where}: message not Chinese: {message!r}")
                        if _table_counts() != baseline:
                            failures.append(f"{where}: a refused request changed rows")
                    if os.environ.get("ANXIN_HOSTILE_DEBUG") and "{" not in path and status >= 400:
                        print(where, json.loads(response.content)["message"][:80])
                    transaction.set_rollback(True)
    if os.environ.get("ANXIN_HOSTILE_DEBUG"):
        print(requests, time.monotonic() - started)
    assert not failures, "\n".join(failures)
    # Not vacuous: the payloads were stored by the operations that create records, and those
    # on a record reached it.
    if part == "create":
        for created in ("post /petitions", "post /sites", "post /hazards"):
            assert answered[created] & {200, 201}, (created, answered[created])
    else:
        assert answered["patch /sites/{id}"] & {200}, answered["patch /sites/{id}"]


@pytest.mark.dbdep
def test_a_lone_surrogate_is_refused_as_invalid_input(records: Any, caller: Client) -> None:
    body = b'{"description": "\\ud800x", "site": "%s"}' % str(records["sites"].uid).encode()
    response = caller.post("/api/v1/hazards", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {
        "message": "请求中含有无效的 Unicode 字符（孤立的代理码点）。",
        "code": "invalid",
        "extra": {},
    }
    # a pair of surrogates is one character (here 😀) and is fine
    body = (
        b'{"description": "\\ud83d\\ude00 \xe9\x80\x9a\xe9\x81\x93", "site": "%s"}'
        % str(records["sites"].uid).encode()
    )
    response = caller.post("/api/v1/hazards", body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["description"] == "😀 通道"


# --- the page forms ------------------------------------------------------------------------------


def _form_classes() -> list[type[forms.Form]]:
    import anxin

    found: dict[str, Any] = {}
    for info in pkgutil.walk_packages(anxin.__path__, "anxin."):
        if ".tests" in info.name or ".migrations" in info.name or info.name.endswith("conftest"):
            continue
        module = importlib.import_module(info.name)
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if (
                issubclass(cls, forms.BaseForm)
                and cls.__module__ == module.__name__
                and getattr(cls, "base_fields", None)
            ):
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    return [found[k] for k in sorted(found)]


def _sectors(personas: Any) -> dict[str, Any]:
    from anxin.safety.models import Sector

    return {"sectors": list(Sector.objects.all())}


#: the arguments of the forms whose constructor needs more than ``_construct`` gives
FORM_ARGS: dict[str, Any] = {
    "anxin.safety.views_hazards.HazardFilterForm": _sectors,
    "anxin.safety.views_inspections.InspectionFilterForm": _sectors,
}


def _construct(cls: type[forms.Form], data: dict, files: dict, personas: Any) -> forms.BaseForm:
    """Build a form whatever its constructor asks for: the keyword arguments it names are
    given (the signed-in person as ``user``/``actor``, the city as ``unit``)."""
    params = inspect.signature(cls.__init__).parameters
    label = f"{cls.__module__}.{cls.__qualname__}"
    kwargs: dict[str, Any] = dict(FORM_ARGS[label](personas)) if label in FORM_ARGS else {}
    given = {
        "user": personas.clerk,
        "actor": personas.clerk,
        "unit": personas.city.C,
        "units": [personas.city.C],
        "request": None,
    }
    for name, param in params.items():
        if name in ("self", "args", "kwargs", "data", "files"):
            continue
        if name not in kwargs and (param.default is inspect.Parameter.empty or name in given):
            kwargs[name] = given.get(name)
    if "files" in params or any(p.kind == p.VAR_POSITIONAL for p in params.values()):
        return cls(data, files, **kwargs)  # type: ignore[arg-type]
    return cls(data, **kwargs)


def _valid_value(field: forms.Field) -> Any:
    """A valid value for a field that does not take free text."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        first = field.queryset.first()  # type: ignore[union-attr]
        return [field.prepare_value(first)] if first is not None else []
    if isinstance(field, forms.ModelChoiceField):
        first = field.queryset.first()  # type: ignore[union-attr]
        return field.prepare_value(first) if first is not None else ""
    if isinstance(field, forms.MultipleChoiceField):
        choices: Any = field.choices
        return [k for k, _v in choices if k not in ("", None)][:1]
    if isinstance(field, forms.ChoiceField):
        options: Any = field.choices
        values = [k for k, _v in options if k not in ("", None)]
        return values[0] if values else ""
    if isinstance(field, forms.DateTimeField):
        return timezone.localtime().strftime("%Y-%m-%d %H:%M")
    if isinstance(field, forms.DateField):
        return timezone.localdate().isoformat()
    if isinstance(field, forms.IntegerField | forms.DecimalField | forms.FloatField):
        return "1"
    if isinstance(field, forms.BooleanField):
        return "on"
    return ""


def test_every_page_form_takes_the_corpus(personas: Any) -> None:
    classes = _form_classes()
    assert len(classes) >= 20
    failures: list[str] = []
    texts = 0
    for cls in classes:
        label = f"{cls.__module__}.{cls.__qualname__}"
        try:
            probe = _construct(cls, {}, {}, personas)
        except Exception as exc:
            failures.append(f"{label}: cannot be built, name its arguments in FORM_ARGS: {exc!r}")
            continue
        text_fields = [
            name
            for name, field in probe.fields.items()
            if type(field) in (forms.CharField, forms.EmailField, forms.SlugField)
            or (isinstance(field, forms.CharField) and not isinstance(field, forms.URLField))
        ]
        texts += len(text_fields)
        base = {
            name: _valid_value(field)
            for name, field in probe.fields.items()
            if name not in text_fields and not isinstance(field, forms.FileField)
        }
        for payload in form_payloads():
            data = {**base, **dict.fromkeys(text_fields, payload.text)}
            try:
                form = _construct(cls, data, {}, personas)
                form.is_valid()
                errors = form.errors.get_json_data()
            except Exception as exc:
                failures.append(f"{label} [{payload.name}]: raised {exc!r}")
                continue
            for field, problems in errors.items():
                for problem in problems:
                    if not CJK.search(problem["message"]):
                        failures.append(f"{label}.{field} [{payload.name}]: {problem['message']!r}")
    assert not failures, "\n".join(failures)
    assert texts >= 40


# --- rendered back ----------------------------------------------------------------------------

RAW = re.compile(r"<script>alert|<img src=x onerror|<svg/onload|onfocus=\"alert", re.I)


def _assert_escaped(html: str, texts: list[str], what: str) -> None:
    from django.utils.html import escape

    assert not RAW.search(html), (what, RAW.search(html))
    assert escape(BY_NAME["script_tag"].text) in html, (what, "the payload is not shown")


def test_payloads_are_rendered_back_escaped_and_kept_in_documents(
    personas: Any, client_for: Any, settings: Any, tmp_path: Any
) -> None:
    from anxin.petitions import services as petitions
    from anxin.petitions.models import Category
    from anxin.safety import hazards
    from anxin.safety import services as safety
    from anxin.safety.models import Sector

    settings.MEDIA_ROOT = tmp_path
    city = personas.city
    xss = BY_NAME["script_tag"].text
    texts = [p.text for p in STORABLE]
    joined = " | ".join(texts)
    registered = petitions.petition_register(
        actor=personas.clerk,
        channel="letter",
        kind="claim",
        category=Category.objects.get(code="labour"),
        title=xss,
        content=joined,
        unit=city.C,
        anonymous=True,
    )
    petition = registered.petition
    site = safety.site_create(
        actor=None,
        name=xss,
        credit_code="",
        sector=Sector.objects.get(code="industry_trade"),
        unit=city.V1,
        address=joined[:200],
        risk_level="yellow",
        contact_name="李四",
        contact_phone="13812345678",
    )
    hazard = hazards.hazard_create(actor=None, site=site, description=joined, place=xss)
    staff = client_for(personas.clerk)
    pages = {
        "petition": f"/petitions/{petition.uid}/",
        "petition list": "/petitions/",
        "site": f"/safety/sites/{site.uid}/",
        "site list": "/safety/sites/",
        "hazard": f"/safety/hazards/{hazard.uid}/",
        "hazard list": "/safety/hazards/",
    }
    for what, url in pages.items():
        response = staff.get(url)
        assert response.status_code == 200, (what, url, response.status_code)
        _assert_escaped(response.content.decode(), texts, what)

    # the public side: a hazard report, and a case followed with its query code
    public = Client()
    report = public.post(
        "/portal/hazards/report/",
        {
            "description": joined,
            "unit": city.V1.code,
            "place_text": xss,
            "anonymous": "on",
        },
    )
    assert report.status_code == 200 and not RAW.search(report.content.decode())
    from anxin.safety.models_hazards import Hazard

    reported = Hazard.objects.filter(source="report").get()
    assert reported.description == joined.strip() and reported.place == xss
    tracked = public.post("/portal/track/", {"code": registered.query_code})
    assert tracked.status_code == 200 and not RAW.search(tracked.content.decode())

    # the official .docx keeps the literal text (the complainant's name in its salutation)
    import docx
    from openpyxl import load_workbook

    from anxin.petitions.documents import petition_document

    named = petitions.petition_register(
        actor=personas.clerk,
        channel="letter",
        kind="claim",
        category=Category.objects.get(code="labour"),
        title=xss,
        content=joined,
        unit=city.C,
        complainants=[petitions.ComplainantIn(name=NAME, phone="13812345678")],
    ).petition
    petitions.petition_accept(actor=personas.clerk, petition=named, lead_unit=city.T1)
    named.refresh_from_db()
    _filename, data = petition_document(named, "acceptance_notice", user=personas.same)
    lines = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert f"{NAME}：" in lines

    # and the ledger's .xlsx keeps it in its cells
    ledger = staff.get("/petitions/export.xlsx")
    book = load_workbook(io.BytesIO(b"".join(ledger.streaming_content)))
    values = {c.value for row in book.worksheets[0].iter_rows() for c in row}
    assert xss in values


#: a complainant's name made of hostile text: markup, template syntax, an emoji, RTL override
NAME = "<script>alert(1)</script>{{ 7*7 }}😀\u202e'\""
