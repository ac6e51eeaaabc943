"""The personal data lifecycle (个人信息保护法 Art. 19, 45, 47): anonymisation and export."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.utils import timezone

from anxin.core.models import AuditEvent
from anxin.petitions.models import Complainant, Decision, Petition
from anxin.petitions.privacy import (
    ANONYMISED,
    personal_data_anonymise,
    personal_data_export,
)
from anxin.petitions.services import ComplainantIn

NOW = timezone.now()
DAYS = 1825


def _close(petition: Petition, days_ago: int) -> Petition:
    Petition.objects.filter(pk=petition.pk).update(
        status="closed", closed_at=NOW - timedelta(days=days_ago)
    )
    petition.refresh_from_db()
    return petition


def _people(petition: Petition) -> list[tuple[str, str, str, str]]:
    return [
        (c.name, c.id_number, c.phone, c.address)
        for c in Complainant.objects.filter(petition=petition).order_by("pk")
    ]


@pytest.fixture
def old_and_recent(register: Any) -> tuple[Petition, Petition]:
    old = _close(register(kind="accusation", accused_person="李四").petition, DAYS + 1)
    recent = _close(register(kind="accusation", accused_person="李四").petition, DAYS - 1)
    return old, recent


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


def test_retention_boundary_one_day_either_side(old_and_recent: Any) -> None:
    old, recent = old_and_recent
    counts = personal_data_anonymise(now=NOW)
    assert counts == {"petitions": 1, "complainants": 1, "texts": 0, "hazard_reporters": 0}
    assert _people(old) == [(ANONYMISED, "", "", "")]
    assert _people(recent) == [("张三", "11010519491231002X", "13812345678", "一街道和平路1号")]
    old.refresh_from_db()
    recent.refresh_from_db()
    assert old.accused_person == "" and old.anonymised_at == NOW
    assert recent.accused_person == "李四" and recent.anonymised_at is None


def test_case_is_kept_for_statistics(old_and_recent: Any) -> None:
    old, _recent = old_and_recent
    before = Petition.objects.get(pk=old.pk)
    personal_data_anonymise(now=NOW)
    after = Petition.objects.get(pk=old.pk)
    assert Petition.objects.count() == 2
    assert Complainant.objects.count() == 2
    for field in (
        "number",
        "status",
        "category_id",
        "kind",
        "channel",
        "received_on",
        "closed_at",
        "current_unit_id",
        "title",
        "content",
    ):
        assert getattr(after, field) == getattr(before, field), field
    assert after.version == before.version + 1


def test_second_run_changes_nothing_and_is_audited_again(old_and_recent: Any) -> None:
    old, _recent = old_and_recent
    personal_data_anonymise(now=NOW)
    stamp = Petition.objects.get(pk=old.pk).anonymised_at
    counts = personal_data_anonymise(now=NOW + timedelta(hours=1))
    assert counts == {"petitions": 0, "complainants": 0, "texts": 0, "hazard_reporters": 0}
    assert Petition.objects.get(pk=old.pk).anonymised_at == stamp
    assert [e.after["counts"] for e in _events("privacy.anonymise")] == [
        {"petitions": 1, "complainants": 1, "texts": 0, "hazard_reporters": 0},
        {"petitions": 0, "complainants": 0, "texts": 0, "hazard_reporters": 0},
    ]


def test_dry_run_changes_nothing(old_and_recent: Any) -> None:
    old, _recent = old_and_recent
    counts = personal_data_anonymise(now=NOW, dry_run=True)
    assert counts == {"petitions": 1, "complainants": 1, "texts": 0, "hazard_reporters": 0}
    assert _people(old)[0][0] == "张三"
    assert Petition.objects.get(pk=old.pk).anonymised_at is None
    assert _events("privacy.anonymise") == []


def test_one_audit_event_with_counts_and_no_data(register: Any, personas: Any) -> None:
    for _ in range(3):
        _close(
            register(
                complainants=[
                    ComplainantIn(name="王五", id_number="", phone="13900000001", address=""),
                    ComplainantIn(name="赵六", id_number="", phone="13900000002", address=""),
                ]
            ).petition,
            DAYS + 30,
        )
    personal_data_anonymise(now=NOW)
    (event,) = _events("privacy.anonymise")
    assert event.actor is None
    assert event.after == {
        "counts": {"petitions": 3, "complainants": 6, "texts": 0, "hazard_reporters": 0},
        "retention_days": {"petition_complainant": 1825, "hazard_reporter": 1095},
    }
    text = json.dumps([event.before, event.after, event.object_repr], ensure_ascii=False)
    assert "王五" not in text and "139" not in text


def test_names_in_the_case_texts_are_replaced(register: Any, personas: Any) -> None:
    from anxin.core.models import User
    from anxin.core.search import search_filter
    from anxin.petitions.matching import SEARCH_TABLE

    petition = register(
        kind="accusation",
        accused_person="李四",
        title="张三举报李四",
        content="我是张三，电话13812345678，举报村干部李四侵占补偿款。",
    ).petition
    Decision.objects.create(
        petition=petition,
        stage="decision",
        unit=personas.city.C,
        request="张三请求查处",
        facts="经查，李四确有违规",
        reasons="依法处理",
        outcome="support",
        legal_basis="信访工作条例第三十二条",
        drafted_by=User.objects.get(pk=personas.clerk.pk),
    )
    _close(petition, DAYS + 1)
    assert search_filter(Petition.objects.all(), SEARCH_TABLE, "张三").count() == 1
    assert personal_data_anonymise(now=NOW, dry_run=True)["texts"] == 2
    assert Petition.objects.get(pk=petition.pk).title == "张三举报李四"
    assert personal_data_anonymise(now=NOW)["texts"] == 2
    petition.refresh_from_db()
    assert petition.title == f"{ANONYMISED}举报{ANONYMISED}"
    assert petition.content == (
        f"我是{ANONYMISED}，电话{ANONYMISED}，举报村干部{ANONYMISED}侵占补偿款。"
    )
    decision = Decision.objects.get(petition=petition)
    assert (decision.request, decision.facts, decision.reasons) == (
        f"{ANONYMISED}请求查处",
        f"经查，{ANONYMISED}确有违规",
        "依法处理",
    )
    assert search_filter(Petition.objects.all(), SEARCH_TABLE, "张三").count() == 0
    assert search_filter(Petition.objects.all(), SEARCH_TABLE, "补偿款").count() == 1


def test_only_closed_cases_count(register: Any) -> None:
    open_case = register().petition
    Petition.objects.filter(pk=open_case.pk).update(received_on=NOW.date() - timedelta(days=4000))
    assert personal_data_anonymise(now=NOW)["petitions"] == 0
    assert _people(open_case)[0][0] == "张三"


def test_public_hazard_reporter_cleared_after_its_retention(personas: Any) -> None:
    from anxin.safety.models_hazards import Hazard
    from anxin.safety.public_reports import hazard_report_public

    def report(days_ago: int) -> Hazard:
        hazard, _code = hazard_report_public(
            description="路边井盖缺失",
            place_text="和平路口",
            unit=personas.city.T1,
            anonymous=False,
            name="钱七",
            phone="13700000000",
        )
        Hazard.objects.filter(pk=hazard.pk).update(
            status="void", void_reason="重复", updated_at=NOW - timedelta(days=days_ago)
        )
        return hazard

    old, recent = report(1096), report(1094)
    assert personal_data_anonymise(now=NOW, dry_run=True)["hazard_reporters"] == 1
    assert personal_data_anonymise(now=NOW)["hazard_reporters"] == 1
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.reporter_name, old.reporter_phone, old.status) == ("", "", "void")
    assert (recent.reporter_name, recent.reporter_phone) == ("钱七", "13700000000")
    assert personal_data_anonymise(now=NOW)["hazard_reporters"] == 0


def test_retention_is_configurable(old_and_recent: Any, settings: Any) -> None:
    settings.ANXIN_RETENTION_DAYS = {"petition_complainant": DAYS - 2, "hazard_reporter": 1095}
    assert personal_data_anonymise(now=NOW)["petitions"] == 2


def test_staff_without_administration_may_not_run_it(personas: Any) -> None:
    with pytest.raises(PermissionDenied):
        personal_data_anonymise(actor=personas.clerk, now=NOW)


def test_command_dry_run_prints_counts(old_and_recent: Any, capsys: Any) -> None:
    call_command("anonymise_personal_data", "--dry-run")
    out = capsys.readouterr().out
    assert "petitions: 1 would be anonymised" in out
    assert "complainants: 1 would be anonymised" in out
    assert Petition.objects.filter(anonymised_at__isnull=False).count() == 0
    call_command("anonymise_personal_data")
    assert "petitions: 1 anonymised" in capsys.readouterr().out
    assert len(_events("privacy.anonymise")) == 1


# --- export (Art. 45) ------------------------------------------------------------------


@pytest.fixture
def three_cases(register: Any, personas: Any) -> dict[str, Petition]:
    from anxin.core.models import User

    me = ComplainantIn(
        name="张三", id_number="11010519491231002X", phone="13812345678", address="和平路1号"
    )
    other = ComplainantIn(
        name="孙八", id_number="110105195001010012", phone="13600000000", address="和平路2号"
    )
    mine = register(complainants=[me]).petition
    shared = register(complainants=[other, me], accused_person="李四", kind="accusation").petition
    theirs = register(complainants=[other]).petition
    Decision.objects.create(
        petition=mine,
        stage="decision",
        unit=personas.city.C,
        facts="经查属实",
        reasons="依法支持",
        outcome="support",
        legal_basis="信访工作条例第三十二条",
        drafted_by=User.objects.get(username=personas.clerk.username),
        signed_off_at=NOW,
    )
    return {"mine": mine, "shared": shared, "theirs": theirs}


def test_export_finds_exactly_the_persons_cases(three_cases: Any, personas: Any) -> None:
    data = personal_data_export(actor=personas.clerk, id_number=" 11010519491231002x ")
    numbers = {c["number"] for c in data["cases"]}
    assert numbers == {three_cases["mine"].number, three_cases["shared"].number}
    by_number = {c["number"]: c for c in data["cases"]}
    mine = by_number[three_cases["mine"].number]
    assert mine["you"] == [
        {
            "name": "张三",
            "id_number": "11010519491231002X",
            "phone": "13812345678",
            "address": "和平路1号",
            "representative_of_a_group": False,
        }
    ]
    assert [a["facts"] for a in mine["written_answers"]] == ["经查属实"]
    assert mine["content"] == three_cases["mine"].content
    shared = by_number[three_cases["shared"].number]
    assert shared["content"] is None  # an accusation's text is left out
    text = json.dumps(data, ensure_ascii=False)
    assert "孙八" not in text and "13600000000" not in text and "李四" not in text


def test_export_by_phone(three_cases: Any, personas: Any) -> None:
    data = personal_data_export(actor=personas.clerk, phone="138-1234-5678")
    assert len(data["cases"]) == 2


def test_export_audited_without_the_identity(three_cases: Any, personas: Any) -> None:
    personal_data_export(actor=personas.clerk, id_number="11010519491231002X")
    (event,) = _events("privacy.export")
    assert event.actor == personas.clerk
    assert event.after == {"searched_by": "id_number", "cases": 2}
    text = json.dumps([event.before, event.after, event.object_repr, event.object_id])
    assert "110105" not in text


def test_export_limited_to_the_actors_scope(three_cases: Any, personas: Any) -> None:
    data = personal_data_export(actor=personas.outsider, id_number="11010519491231002X")
    assert data["cases"] == []


def test_export_needs_exactly_one_key(personas: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        personal_data_export(actor=personas.clerk)
    assert exc.value.messages == ["请提供公民身份号码或电话号码（二选一）。"]
    with pytest.raises(ValidationError):
        personal_data_export(actor=personas.clerk, id_number="x", phone="1")
    assert _events("privacy.export") == []


def test_export_command_writes_the_file(three_cases: Any, personas: Any, tmp_path: Any) -> None:
    out = tmp_path / "export.json"
    call_command(
        "export_personal_data",
        "--phone",
        "13812345678",
        "--operator",
        personas.clerk.username,
        "--output",
        str(out),
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert len(data["cases"]) == 2
    assert out.stat().st_mode & 0o777 == 0o600
    with pytest.raises(CommandError):
        call_command(
            "export_personal_data",
            "--phone",
            "13812345678",
            "--operator",
            personas.clerk.username,
            "--output",
            str(out),
        )


def test_retention_read_from_the_environment(monkeypatch: Any) -> None:
    from config import settings as config_settings
    from config.env import EnvError

    monkeypatch.setenv("ANXIN_RETENTION_DAYS", "petition_complainant=3650")
    assert config_settings._retention_days() == {
        "petition_complainant": 3650,
        "hazard_reporter": 1095,
    }
    for bad in ("petition_complainant=0", "unknown=10", "hazard_reporter", "hazard_reporter=x"):
        monkeypatch.setenv("ANXIN_RETENTION_DAYS", bad)
        with pytest.raises(EnvError):
            config_settings._retention_days()


def test_the_daily_job_runs_the_service(old_and_recent: Any) -> None:
    from config.schedule import personal_data_anonymise_job

    assert personal_data_anonymise_job.call_local() == 1
    assert personal_data_anonymise_job.call_local() == 0
    assert len(_events("privacy.anonymise")) == 2
