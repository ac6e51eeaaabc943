"""Deferred intake (issue 7): the acknowledgement first, search tokens and repeat matching after
the commit — once, harmlessly again, and by the catch-up job when the task never ran."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.core.search import search_filter
from anxin.core.services import api_key_create
from anxin.petitions.matching import SEARCH_TABLE
from anxin.petitions.models import Petition, PetitionEvent
from anxin.petitions.services import (
    ComplainantIn,
    followup,
    petition_followup,
    petition_register,
    petitions_followup_catch_up,
)

pytestmark = [pytest.mark.django_db]

TITLE = "小区夜间施工噪音扰民"
TEXT = "工地每晚施工到凌晨，噪音扰民严重。"
PENDING = "检索索引与重复件比对处理中"


def _register(personas: Any, category: Any, **overrides: Any) -> Petition:
    """Register without running what runs after the commit (a crash, or the task not yet run)."""
    kwargs: dict[str, Any] = {
        "actor": personas.clerk,
        "channel": "letter",
        "kind": "claim",
        "category": category,
        "title": TITLE,
        "content": TEXT,
        "unit": personas.city.C,
        "complainants": [ComplainantIn(name="张三", phone="13812345678")],
    }
    kwargs.update(overrides)
    return petition_register(**kwargs).petition


def _enqueues(callbacks: list[Any]) -> list[int]:
    """The cases whose follow-up is handed to Huey by these after-commit callbacks."""
    return [c.args[0] for c in callbacks if getattr(c, "func", None) is followup._enqueue]


def _found(word: str) -> set[int]:
    return set(
        search_filter(Petition.objects.all(), SEARCH_TABLE, word).values_list("pk", flat=True)
    )


def test_the_case_is_acknowledged_first_and_followed_up_after_commit(
    personas, claim_category, register, client_for, django_capture_on_commit_callbacks
):
    first = register(title=TITLE, content=TEXT).petition
    with django_capture_on_commit_callbacks() as callbacks:
        second = _register(personas, claim_category)
    second.refresh_from_db()
    assert second.followup_pending and second.flags == [] and second.repeat_of_id is None
    assert second.number and second.pk not in _found("凌晨")
    assert PetitionEvent.objects.filter(petition=second, kind="registered").count() == 1
    page = client_for(personas.clerk).get(f"/petitions/{second.uid}/").content.decode()
    assert second.number in page and PENDING in page

    assert _enqueues(callbacks) == [second.pk]  # Huey runs the task at once in the tests
    for callback in callbacks:
        callback()
    second.refresh_from_db()
    assert not second.followup_pending
    assert second.flags == ["possible_repeat"] and second.repeat_of_id == first.pk
    assert _found("凌晨") == {first.pk, second.pk}
    event = PetitionEvent.objects.get(petition=second, kind="repeat_matched")
    assert event.actor is None and event.data["flags"] == ["possible_repeat"]
    assert event.data["related"] == [{"number": first.number, "reason": "similar"}]
    # the task sealed the registration's audit events, left unsealed by the request
    assert not AuditEvent.objects.filter(object_id=str(second.pk), hash="").exists()
    page = client_for(personas.clerk).get(f"/petitions/{second.uid}/").content.decode()
    assert PENDING not in page


def test_a_second_run_changes_nothing(personas, claim_category, register):
    register(title=TITLE, content=TEXT)
    petition = register(title=TITLE, content=TEXT).petition
    assert not petition.followup_pending and petition.flags == ["possible_repeat"]
    events = PetitionEvent.objects.filter(petition=petition).count()
    audits = AuditEvent.objects.count()
    version = petition.version
    assert petition_followup(petition_id=petition.pk) is False
    petition.refresh_from_db()
    assert petition.flags == ["possible_repeat"] and petition.version == version
    assert PetitionEvent.objects.filter(petition=petition).count() == events
    assert AuditEvent.objects.count() == audits


def test_the_follow_up_keeps_what_happened_to_the_case_meanwhile(
    personas, claim_category, register, django_capture_on_commit_callbacks
):
    register(title=TITLE, content=TEXT)
    with django_capture_on_commit_callbacks():
        petition = _register(personas, claim_category)
    Petition.objects.filter(pk=petition.pk).update(flags=["objection_pending"], version=3)
    assert petition_followup(petition_id=petition.pk) is True
    petition.refresh_from_db()
    assert petition.flags == ["objection_pending", "possible_repeat"]
    assert petition.version == 3  # not a person's edit: an open case page stays valid


def test_the_comparison_runs_before_the_write_transaction(
    personas, claim_category, register, django_capture_on_commit_callbacks, monkeypatch
):
    """On SQLite the write transaction holds the database's one write lock: the comparison
    (reads only) must not run inside it, or every intake waits behind the follow-up."""
    from django.db import connection

    from anxin.petitions import matching

    register(title=TITLE, content=TEXT)
    with django_capture_on_commit_callbacks():
        petition = _register(personas, claim_category)
    depth: dict[str, int] = {}
    real_find, real_index = matching.find_related, matching.index_petition

    def find(p: Petition) -> Any:
        depth["find"] = len(connection.atomic_blocks)
        return real_find(p)

    def index(p: Petition) -> None:
        depth["index"] = len(connection.atomic_blocks)
        real_index(p)

    monkeypatch.setattr(matching, "find_related", find)
    monkeypatch.setattr(matching, "index_petition", index)
    assert petition_followup(petition_id=petition.pk) is True
    assert depth["find"] == depth["index"] - 1
    petition.refresh_from_db()
    assert petition.flags == ["possible_repeat"]


def test_a_case_edited_during_the_comparison_is_compared_as_it_is_now(
    personas, claim_category, register, django_capture_on_commit_callbacks, monkeypatch
):
    from anxin.petitions import matching

    first = register(title=TITLE, content=TEXT).petition
    with django_capture_on_commit_callbacks():
        petition = _register(personas, claim_category, title="路灯不亮", content="路灯坏了。")
    calls: list[str] = []
    real_find = matching.find_related

    def find(p: Petition) -> Any:
        calls.append(p.title)
        if len(calls) == 1:  # a clerk corrects the text while the comparison runs
            Petition.objects.filter(pk=p.pk).update(title=TITLE, content=TEXT, version=2)
        return real_find(p)

    monkeypatch.setattr(matching, "find_related", find)
    assert petition_followup(petition_id=petition.pk) is True
    assert calls == ["路灯不亮", TITLE]
    petition.refresh_from_db()
    assert petition.repeat_of_id == first.pk and petition.flags == ["possible_repeat"]


@pytest.mark.dbdep
def test_the_follow_up_locks_the_case_row_only(
    personas, claim_category, register, django_capture_on_commit_callbacks
):
    """Locking the category too deadlocked with intakes of that category: they check their
    foreign key at COMMIT while holding the rollup rows the follow-up moves."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    register(title=TITLE, content=TEXT)
    with django_capture_on_commit_callbacks():
        petition = _register(personas, claim_category)
    with CaptureQueriesContext(connection) as ctx:
        assert petition_followup(petition_id=petition.pk) is True
    locks = [q["sql"] for q in ctx.captured_queries if "FOR UPDATE" in q["sql"]]
    if connection.features.has_select_for_update:
        assert len(locks) == 1
        assert locks[0].endswith('FOR UPDATE OF "petitions_petition"')
    else:
        assert locks == []


def test_a_case_with_no_earlier_match_is_only_indexed(
    personas, claim_category, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        petition = _register(personas, claim_category, title="路灯不亮", content="三街道路灯坏了。")
    petition.refresh_from_db()
    assert not petition.followup_pending and petition.flags == [] and petition.repeat_of_id is None
    assert _found("路灯") == {petition.pk}
    assert not PetitionEvent.objects.filter(petition=petition, kind="repeat_matched").exists()


def test_the_catch_up_job_picks_up_the_stragglers(
    personas, claim_category, django_capture_on_commit_callbacks
):
    from config.schedule import petitions_followup_catch_up_job

    with django_capture_on_commit_callbacks():  # the process died before enqueueing
        old = _register(personas, claim_category)
        recent = _register(personas, claim_category, title="路灯不亮", content="路灯坏了。")
    Petition.objects.filter(pk=old.pk).update(registered_at=timezone.now() - timedelta(minutes=5))
    assert AuditEvent.objects.filter(hash="").exists()
    assert petitions_followup_catch_up_job.call_local() == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert not old.followup_pending and _found("凌晨") == {old.pk}
    # a case registered a moment ago is its own task's: the job leaves it alone
    assert recent.followup_pending and not _found("路灯")
    assert not AuditEvent.objects.filter(hash="").exists()  # the job sealed the chain
    assert petitions_followup_catch_up_job.call_local() == 0  # a rerun finds nothing
    assert petitions_followup_catch_up(older_than=timedelta(0)) == 1
    recent.refresh_from_db()
    assert not recent.followup_pending


def test_a_failing_case_does_not_stop_the_catch_up(
    personas, claim_category, django_capture_on_commit_callbacks, monkeypatch
):
    from anxin.petitions import matching

    with django_capture_on_commit_callbacks():
        bad = _register(personas, claim_category)
        good = _register(personas, claim_category, title="路灯不亮", content="路灯坏了。")
    real = matching.index_petition

    def index(petition: Petition) -> None:
        if petition.pk == bad.pk:
            raise RuntimeError("index unavailable")
        real(petition)

    monkeypatch.setattr(matching, "index_petition", index)
    assert petitions_followup_catch_up(older_than=timedelta(0)) == 1
    assert Petition.objects.get(pk=bad.pk).followup_pending
    assert not Petition.objects.get(pk=good.pk).followup_pending


BODY = {
    "channel": "web",
    "kind": "claim",
    "category": "labour",
    "title": "拖欠工资",
    "content": "公司拖欠工资两个月。",
    "unit": "C",
    "complainants": [{"name": "王五", "phone": "13900001111"}],
}


def test_the_api_acknowledges_with_a_fixed_number_of_queries(
    personas, django_assert_num_queries, django_capture_on_commit_callbacks
):
    _key, raw = api_key_create(actor=None, user=personas.clerk, name="t")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # the first case of the year starts its counter and the day's rollup row; the key's
    # last-used time is written once
    assert (
        client.post("/api/v1/petitions", BODY, content_type="application/json").status_code == 201
    )
    with django_capture_on_commit_callbacks() as callbacks:
        with django_assert_num_queries(QUERIES):
            response = client.post("/api/v1/petitions", BODY, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"].startswith("XF") and body["query_code"] and body["related"] == []
    assert body["flags"] == [] and set(body["deadlines"]) == {"accept_by"}
    assert _enqueues(callbacks) == [Petition.objects.get(number=body["number"]).pk]


#: key + roles, category, unit; the transaction (counter, case, petitioner, links, the clock with
#: its calendar and audit event in its savepoint, the clock's daily kpi rollup, timeline, audit,
#: the petitions' daily and monthly rollups, the case's indicator rows: computed, stored, their
#: day's row raised); the answer (the registrant's scope)
QUERIES = 34
