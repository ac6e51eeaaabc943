"""``import_ledger`` (its --json contract), the upload → preview → confirm pages, the
permission, and the hazard ledger export."""

from __future__ import annotations

import io
import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from openpyxl import load_workbook

from anxin.core.choices import Role
from anxin.core.models import AuditEvent
from anxin.core.models_attachments import Attachment
from anxin.core.testing import make_person
from anxin.safety import hazards
from anxin.safety.models import Hazard, Site
from anxin.safety.tests.test_ledger_import_sites import site_rows, xlsx

pytestmark = [pytest.mark.django_db]


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def inspector(personas: Any) -> Any:
    return make_person("insp1", personas.city.T1, [(Role.INSPECTOR, personas.city.T1)])


@pytest.fixture
def ledger_file(tmp_path: Path, sector: Any) -> Path:
    path = tmp_path / "企业台账.xlsx"
    path.write_bytes(xlsx(site_rows()))
    return path


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_ledger", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the command -------------------------------------------------------------------------------


@pytest.mark.smoke
def test_the_json_output_is_exactly_the_contract(personas: Any, ledger_file: Path) -> None:
    out, _err = run("sites", str(ledger_file), "--unit", "T1", "--json")
    assert json.loads(out) == {
        "rows_read": 7,
        "rows_ready": 3,
        "duplicates": [{"row": 8, "key": "91310115591693856A"}],
        "errors": [
            {
                "row": 5,
                "column": "所属行业",
                "message": "未知行业“火星产业”，请使用登记簿中的行业名称。",
            },
            {
                "row": 6,
                "column": "所在乡镇（街道）",
                "message": "该单位不在您的管辖范围内（一街道及其下属单位）。",
            },
            {
                "row": 7,
                "column": "所在乡镇（街道）",
                "message": "未知乡镇（街道）或村（社区）“不存在镇”。",
            },
        ],
    }
    assert Site.objects.count() == 0  # no --commit: nothing saved


def test_commit_saves_and_a_second_run_creates_nothing(personas: Any, ledger_file: Path) -> None:
    out, _err = run("sites", str(ledger_file), "--unit", "T1", "--commit")
    assert "rows read: 7" in out and "rows ready: 3" in out and "row 5 [所属行业]" in out
    assert "imported: 3" in out
    assert Site.objects.count() == 3
    event = AuditEvent.objects.get(action="ledger.import_sites")
    assert event.actor is None and event.after["file_name"] == "企业台账.xlsx"
    out, _err = run("sites", str(ledger_file), "--unit", "T1", "--commit", "--json")
    result = json.loads(out)
    assert result["rows_ready"] == 0 and len(result["duplicates"]) == 4
    assert Site.objects.count() == 3


def test_the_user_option_applies_their_scope(
    personas: Any, inspector: Any, ledger_file: Path
) -> None:
    out, _err = run("sites", str(ledger_file), "--user", "insp1", "--unit", "T2", "--json")
    result = json.loads(out)
    assert result["rows_ready"] == 0  # 二街道 is not theirs
    out, _err = run("sites", str(ledger_file), "--user", "insp1", "--json", "--commit")
    assert json.loads(out)["rows_ready"] == 3  # their own township by default
    assert set(Site.objects.values_list("created_by__username", flat=True)) == {"insp1"}
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        run("sites", str(ledger_file), "--user", "member")  # a handler may not import


def test_a_failing_row_at_commit_leaves_nothing_and_exits_1(
    personas: Any, make_site: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    for name in ("甲厂", "乙厂", "丙厂", "丁厂"):
        make_site(name=name, credit_code="", unit=personas.city.V1)
    rows = [["单位名称", "隐患描述", "发现日期", "整改期限"]]
    rows += [
        [n, "消防通道堵塞", "2026-03-05", "2026-03-20"] for n in ("甲厂", "乙厂", "丙厂", "丁厂")
    ]
    path = tmp_path / "隐患.xlsx"
    path.write_bytes(xlsx(rows, title=None))
    original, calls = hazards._import_one, {"n": 0}

    def failing(*args: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 3:
            from django.core.exceptions import ValidationError

            raise ValidationError("boom")
        return original(*args)

    monkeypatch.setattr(hazards, "_import_one", failing)
    with pytest.raises(SystemExit) as caught:
        run("hazards", str(path), "--commit")
    assert caught.value.code == 1
    assert Hazard.objects.count() == 0
    monkeypatch.setattr(hazards, "hazard_create", original)
    out, _err = run("hazards", str(path), "--commit")
    assert Hazard.objects.count() == 4


# --- the pages ---------------------------------------------------------------------------------


def upload(client: Any, data: bytes, kind: str = "sites", unit: str = "T1") -> Any:
    file = SimpleUploadedFile("台账.xlsx", data)
    return client.post("/safety/import/", {"kind": kind, "unit": unit, "file": file})


@pytest.mark.smoke
def test_upload_preview_confirm(
    personas: Any, client_for: Any, inspector: Any, sector: Any
) -> None:
    client = client_for(inspector)
    page = client.get("/safety/import/")
    assert page.status_code == 200 and 'id="ledger-upload"' in page.content.decode()
    response = upload(client, xlsx(site_rows()))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="rows-read">7<' in html and 'id="rows-ready">3<' in html
    assert "火星产业" in html and "青山化工有限公司" in html
    assert "13800000001" not in html  # no contact's phone on the page
    assert Site.objects.count() == 0
    stored = Attachment.objects.get(purpose="ledger")
    assert stored.owner_id == inspector.pk and stored.owner_type == "core.user"
    digest = response.context["preview"].digest
    done = client.post("/safety/import/confirm/", {"digest": digest})
    assert done.status_code == 200 and 'id="created">3<' in done.content.decode()
    assert Site.objects.count() == 3
    assert AuditEvent.objects.filter(action="ledger.import_sites").count() == 1
    # the session is spent: a second confirm imports nothing
    again = client.post("/safety/import/confirm/", {"digest": digest})
    assert again.status_code == 302 and Site.objects.count() == 3


def test_a_changed_register_shows_the_new_preview_first(
    personas: Any, client_for: Any, inspector: Any, sector: Any, make_site: Any
) -> None:
    client = client_for(inspector)
    response = upload(client, xlsx(site_rows()))
    digest = response.context["preview"].digest
    make_site(name="一街道出租屋", credit_code="", unit=personas.city.T1)  # someone else
    changed = client.post("/safety/import/confirm/", {"digest": digest})
    assert changed.status_code == 200 and 'id="preview-changed"' in changed.content.decode()
    assert Site.objects.count() == 1
    new_digest = changed.context["preview"].digest
    assert new_digest != digest
    done = client.post("/safety/import/confirm/", {"digest": new_digest})
    assert 'id="created">2<' in done.content.decode()
    assert Site.objects.count() == 3


def test_the_browser_cannot_pick_another_file_or_unit(
    personas: Any, client_for: Any, inspector: Any, sector: Any
) -> None:
    client = client_for(inspector)
    # a unit outside the inspector's scope is not offered
    response = upload(client, xlsx(site_rows()), unit="T2")
    assert response.status_code == 200 and "ledger-upload" in response.content.decode()
    assert client.post("/safety/import/confirm/", {"digest": "x"}).status_code == 302
    # another person's stored ledger is not theirs to confirm
    other = client_for(personas.same)
    upload(other, xlsx(site_rows()))
    assert client.post("/safety/import/confirm/", {"digest": "x"}).status_code == 302
    assert Site.objects.count() == 0


def test_a_file_that_is_not_a_workbook_is_refused(
    personas: Any, client_for: Any, inspector: Any
) -> None:
    response = upload(client_for(inspector), b"<html><table></table></html>")
    assert response.status_code == 200
    assert "ledger-upload" in response.content.decode()
    assert not Attachment.objects.exists()


def test_only_inspectors_and_unit_heads_import(personas: Any, client_for: Any) -> None:
    assert client_for(personas.member).get("/safety/import/").status_code == 403
    assert client_for(personas.viewer).get("/safety/import/").status_code == 403
    assert client_for(personas.same).get("/safety/import/").status_code == 200


# --- the export --------------------------------------------------------------------------------


def test_the_hazard_ledger_export(personas: Any, client_for: Any, make_site: Any) -> None:
    site = make_site(name="=HYPERLINK(1)", credit_code="", unit=personas.city.V1)
    hazards.hazard_create(actor=None, site=site, description="+灭火器过期", grade="major")
    hazards.hazard_create(actor=None, site=site, description="通道堵塞")
    response = client_for(personas.same).get("/safety/ledgers/hazards.xlsx?grade=major")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.worksheets[0].values)
    assert len(rows) == 2  # the header and the one major hazard
    assert rows[1][1] == "'=HYPERLINK(1)" and rows[1][5] == "'+灭火器过期"
    assert "13812345678" not in json.dumps([list(map(str, r)) for r in rows])
    assert AuditEvent.objects.filter(action="hazard.ledger_export").exists()
    # out of scope: nothing of T1 in 二街道's export
    other = client_for(personas.sibling).get("/safety/ledgers/hazards.xlsx")
    book = load_workbook(io.BytesIO(b"".join(other.streaming_content)), read_only=True)
    assert len(list(book.worksheets[0].values)) == 1


# --- the rows read at upload are kept for the confirmation ------------------------------------


def test_the_confirmation_does_not_read_the_file_again(
    personas: Any, client_for: Any, inspector: Any, sector: Any, media: Path, monkeypatch: Any
) -> None:
    from anxin.safety import ledgers

    client = client_for(inspector)
    response = upload(client, xlsx(site_rows()))
    kept = list((media / "ledger-previews").iterdir())
    assert len(kept) == 1 and "火星产业".encode() not in kept[0].read_bytes()  # SM4-encrypted

    def unread(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the ledger was read again")

    monkeypatch.setattr(ledgers, "read_ledger", unread)
    done = client.post("/safety/import/confirm/", {"digest": response.context["preview"].digest})
    assert 'id="created">3<' in done.content.decode()
    assert Site.objects.count() == 3
    assert list((media / "ledger-previews").iterdir()) == []  # deleted once saved


def test_a_kept_preview_is_only_its_uploaders_and_expires(
    personas: Any, inspector: Any, sector: Any, media: Path
) -> None:
    import datetime as dt
    import os

    from django.utils import timezone

    from anxin.core.ledger_import import read_ledger
    from anxin.safety.ledgers import (
        SPECS,
        ledger_parsed_keep,
        ledger_parsed_load,
        ledger_parsed_purge,
    )

    parsed = read_ledger(xlsx(site_rows()), SPECS["sites"])
    token = ledger_parsed_keep("f" * 64, parsed, user=inspector)
    loaded = ledger_parsed_load(token, user=inspector)
    assert loaded is not None and loaded[0] == "f" * 64
    assert loaded[1].rows_ready == parsed.rows_ready and loaded[1].errors == parsed.errors
    assert ledger_parsed_load(token, user=personas.same) is None
    assert ledger_parsed_load("../" + token[3:], user=inspector) is None
    # a damaged file is not trusted: the ledger is read again
    path = media / "ledger-previews" / f"{token}.bin"
    blob = bytearray(path.read_bytes())
    blob[-1] ^= 1
    path.write_bytes(bytes(blob))
    assert ledger_parsed_load(token, user=inspector) is None
    # older than 6 hours: purged
    fresh = ledger_parsed_keep("f" * 64, parsed, user=inspector)
    seven_hours_ago = (timezone.now() - dt.timedelta(hours=7)).timestamp()
    os.utime(path, (seven_hours_ago, seven_hours_ago))
    assert ledger_parsed_purge() == 1
    assert ledger_parsed_load(fresh, user=inspector) is not None
    assert not path.exists()
    # the hourly job runs the purge: the fresh one stays until it is 6 hours old
    from config.schedule import ledger_parsed_purge_job

    assert ledger_parsed_purge_job.call_local() == 0
    assert ledger_parsed_purge(now=timezone.now() + dt.timedelta(hours=7)) == 1
