"""Backup and restore: the round trip, the manifest, tampering, the key (anxin/core/backup.py)."""

from __future__ import annotations

import base64
import json
import sqlite3
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings

from anxin.core import backup
from anxin.core.audit import audit_verify
from anxin.core.models import AuditEvent, Unit, User
from anxin.core.services import user_create
from anxin.core.testing import make_city

KEY_HEX = "0123456789abcdeffedcba9876543210"
OTHER_KEY = "00112233445566778899aabbccddeeff"

pytestmark = pytest.mark.dbdep

sqlite_only = pytest.mark.usefixtures("_sqlite_only")


@pytest.fixture
def _sqlite_only() -> None:
    if connection.vendor != "sqlite":
        pytest.skip("edits or loads the SQLite dump file directly")


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """Where the backup goes; on PostgreSQL the client programs must be installed."""
    if connection.vendor == "postgresql" and not (
        backup.pg_tool("pg_dump") and backup.pg_tool("pg_restore")
    ):
        pytest.skip("pg_dump/pg_restore not installed")
    return tmp_path / ("b.sqlite3" if connection.vendor == "sqlite" else "b.pgdump")


@pytest.fixture
def city(transactional_db: None) -> None:
    c = make_city()
    for i in range(3):
        user_create(
            actor=None, username=f"u{i}", name=f"用户{i}", unit=c.T1, phone=f"1380000000{i}"
        )


def edit_manifest(dump: Path, **changes: object) -> dict:
    mpath = backup.manifest_path(dump)
    manifest = json.loads(mpath.read_text())
    manifest.update(changes)
    mpath.write_text(json.dumps(manifest))
    return manifest


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_round_trip_restores_the_backup_and_verifies_it(city: None, out: Path) -> None:
    dump = backup.backup_create(output=out)
    manifest = json.loads(backup.manifest_path(dump).read_text())
    assert manifest["vendor"] == connection.vendor
    assert manifest["format"] == 1
    assert manifest["row_counts"]["core.Unit"] == 8
    assert manifest["row_counts"]["core.User"] == 3
    assert manifest["dump_sm3"] == backup.file_sm3(dump)
    assert manifest["key_fingerprint"] == backup.key_fingerprint()
    assert manifest["audit_head"]["seq"] == AuditEvent.objects.count() - 1  # not the backup's own
    event = AuditEvent.objects.get(action="system.backup")
    assert event.after["sm3"] == manifest["dump_sm3"]

    Unit.objects.filter(code="V1").delete()
    user_create(actor=None, username="later", name="后来者", unit=None, phone="13999999999")

    result = backup.backup_restore(dump=dump)
    assert result.ok, result.problem
    assert result.sampled == 3
    assert Unit.objects.filter(code="V1").exists()
    assert not User.objects.filter(username="later").exists()
    assert sorted(User.objects.values_list("phone", flat=True)) == [
        "13800000000",
        "13800000001",
        "13800000002",
    ]
    last = AuditEvent.objects.order_by("-id").first()
    assert last is not None and last.action == "system.restore"
    assert last.after["sm3"] == manifest["dump_sm3"] and last.after["verified"] is True
    chain = audit_verify()
    assert chain.ok and chain.head_seq == manifest["audit_head"]["seq"] + 1


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_the_key_appears_nowhere_in_the_backup(city: None, out: Path) -> None:
    dump = backup.backup_create(output=out)
    key = bytes.fromhex(KEY_HEX)
    forms = [
        key,
        KEY_HEX.encode(),
        KEY_HEX.upper().encode(),
        base64.b64encode(key),
        base64.b64encode(key).rstrip(b"="),
        base64.urlsafe_b64encode(key).rstrip(b"="),
    ]
    for path in (dump, backup.manifest_path(dump)):
        content = path.read_bytes()
        for form in forms:
            assert form not in content, (path.name, form)


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_an_edited_manifest_count_fails_verification_naming_the_table(
    city: None, out: Path
) -> None:
    dump = backup.backup_create(output=out)
    counts = json.loads(backup.manifest_path(dump).read_text())["row_counts"]
    edit_manifest(dump, row_counts={**counts, "core.User": 4})
    result = backup.backup_restore(dump=dump)
    assert not result.ok
    assert result.problem == "core.User: 3 rows restored, the manifest records 4"
    assert AuditEvent.objects.order_by("-id")[0].after["verified"] is False


@sqlite_only
@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_a_row_deleted_from_the_dump_is_caught(city: None, tmp_path: Path) -> None:
    dump = backup.backup_create(output=tmp_path / "b.sqlite3")
    raw = sqlite3.connect(dump)
    raw.execute("DELETE FROM core_unit WHERE code = 'V1'")
    raw.commit()
    raw.close()
    # The digest alone refuses the altered file before anything is replaced …
    Unit.objects.filter(code="T3").delete()
    with pytest.raises(backup.BackupError, match="SM3 digest .* differs from the manifest's"):
        backup.backup_restore(dump=dump)
    assert not Unit.objects.filter(code="T3").exists()
    # … and one who also rewrote the digest is caught by the counts.
    edit_manifest(dump, dump_sm3=backup.file_sm3(dump))
    result = backup.backup_restore(dump=dump)
    assert not result.ok
    assert result.problem == "core.Unit: 7 rows restored, the manifest records 8"


@sqlite_only
@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_a_broken_audit_chain_in_the_dump_fails_verification(city: None, tmp_path: Path) -> None:
    dump = backup.backup_create(output=tmp_path / "b.sqlite3")
    raw = sqlite3.connect(dump)
    raw.execute("UPDATE core_auditevent SET object_repr = 'forged' WHERE chain_seq = 2")
    raw.commit()
    raw.close()
    edit_manifest(dump, dump_sm3=backup.file_sm3(dump))
    result = backup.backup_restore(dump=dump)
    assert not result.ok
    assert result.problem == (
        "audit chain broken at sequence 2: content does not match its hash "
        "(the record was altered or moved)"
    )


def test_a_backup_under_another_key_is_refused(city: None, out: Path) -> None:
    with override_settings(ANXIN_DATA_KEY=KEY_HEX):
        dump = backup.backup_create(output=out)
    Unit.objects.filter(code="T3").delete()
    with (
        override_settings(ANXIN_DATA_KEY=OTHER_KEY),
        pytest.raises(backup.BackupError, match="made under another personal-data key"),
    ):
        backup.backup_restore(dump=dump)
    assert not Unit.objects.filter(code="T3").exists()
    # The old key kept as a previous key is enough: the data is still readable.
    with override_settings(ANXIN_DATA_KEY=OTHER_KEY, ANXIN_DATA_KEYS_PREVIOUS=[KEY_HEX]):
        assert backup.backup_restore(dump=dump).ok


@sqlite_only
def test_values_the_configured_key_cannot_decrypt_fail_verification(
    city: None, tmp_path: Path
) -> None:
    with override_settings(ANXIN_DATA_KEY=KEY_HEX):
        dump = backup.backup_create(output=tmp_path / "b.sqlite3")
    manifest = json.loads(backup.manifest_path(dump).read_text())
    backup._load_sqlite(dump, "default")  # as if the fingerprint check had been passed
    with override_settings(ANXIN_DATA_KEY=OTHER_KEY):
        result = backup.restore_verify(manifest)
    assert not result.ok
    assert result.problem == (
        "core.User.phone: 3 of 3 sampled values do not decrypt with the configured key"
    )


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_a_backup_of_another_vendor_is_refused(city: None, out: Path) -> None:
    dump = backup.backup_create(output=out)
    other = "postgresql" if connection.vendor == "sqlite" else "sqlite"
    edit_manifest(dump, vendor=other)
    with pytest.raises(backup.BackupError) as exc:
        backup.backup_restore(dump=dump)
    assert str(exc.value) == (
        f"this backup is of a {other} database; the configured database is "
        f"{connection.vendor}. Nothing was restored."
    )


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_backup_refuses_to_overwrite(city: None, out: Path) -> None:
    dump = backup.backup_create(output=out)
    with pytest.raises(backup.BackupError, match="already exists"):
        backup.backup_create(output=dump)


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_the_commands_refuse_without_yes_then_restore(
    city: None, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("backup", output=out)
    assert f"backup written: {out}" in capsys.readouterr().out
    Unit.objects.filter(code="T3").delete()
    with pytest.raises(CommandError, match="nothing restored: pass --yes"):
        call_command("restore", str(out))
    assert f"would replace the {connection.vendor} database" in capsys.readouterr().out
    assert not Unit.objects.filter(code="T3").exists()
    call_command("restore", str(out), yes=True)
    assert "restored" in capsys.readouterr().out
    assert Unit.objects.filter(code="T3").exists()


@override_settings(ANXIN_DATA_KEY=KEY_HEX)
def test_the_restore_command_exits_non_zero_naming_the_mismatch(
    city: None, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("backup", output=out)
    counts = json.loads(backup.manifest_path(out).read_text())["row_counts"]
    edit_manifest(out, row_counts={**counts, "core.Unit": 9})
    with pytest.raises(SystemExit) as exc:
        call_command("restore", str(out), yes=True)
    assert exc.value.code == 1
    assert "verification FAILED: core.Unit: 8 rows restored, the manifest records 9" in (
        capsys.readouterr().err
    )


def test_postgresql_backup_and_restore_commands(city: None, tmp_path: Path) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (the tests above run on both)")
    if backup.pg_tool("pg_dump") is None or backup.pg_tool("pg_restore") is None:
        pytest.skip("pg_dump/pg_restore not installed")
    out = tmp_path / "b.pgdump"
    call_command("backup", output=out)
    manifest = json.loads(backup.manifest_path(out).read_text())
    assert manifest["vendor"] == "postgresql"
    assert manifest["row_counts"]["core.User"] == 3
    assert KEY_HEX.encode() not in out.read_bytes()
    Unit.objects.filter(code="T3").delete()
    call_command("restore", str(out), yes=True)
    assert Unit.objects.filter(code="T3").exists()
    assert AuditEvent.objects.order_by("-id")[0].action == "system.restore"
    assert audit_verify().ok
