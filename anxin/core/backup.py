"""Backup and restore of the database, with a manifest and a verification step.

``backup_create`` writes the dump (SQLite: an online ``sqlite3`` backup, WAL-safe; PostgreSQL:
``pg_dump --format=custom``) and, next to it, ``<dump>.manifest.json``: the format version, the
database vendor, when, the Anxin version, the SM3 digest of the dump, the row count of every
table of the ``anxin.*`` apps, the audit chain head and an SM3 fingerprint of the SM4 data key.
The key itself is never written: it is kept apart from backups (docs/configuration.md §5).

``backup_restore`` refuses a manifest of another vendor, another key or a dump whose digest
differs, restores (SQLite: ``backup()`` into the configured database; PostgreSQL:
``pg_restore --clean --if-exists --no-owner``), then verifies: the row counts equal the
manifest's, ``audit_verify`` passes and the chain head equals the manifest's, and a sample of
every encrypted field decrypts with the configured keys. Both record an audit event
(``system.backup``, ``system.restore``); the restore's is recorded after the restore, so it is
in the restored chain.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections, transaction

from anxin.core import crypto
from anxin.core.audit import audit_record, audit_seal, audit_verify
from anxin.core.fields import Undecryptable, encrypted_fields
from anxin.core.models import AuditChainHead

FORMAT_VERSION = 1
MANIFEST_SUFFIX = ".manifest.json"
DECRYPT_SAMPLE = 20


class BackupError(Exception):
    """A backup or restore that cannot go on; the message is for the operator."""


@dataclass
class RestoreResult:
    ok: bool
    problem: str = ""
    counts: dict[str, int] = field(default_factory=dict)
    head_seq: int = 0
    head_hash: str = ""
    sampled: int = 0


# --- Facts about the database and the key --------------------------------------------------


def key_fingerprint(key: crypto.DataKey | None = None) -> str:
    """SM3 over a label and the key: identifies the key, reveals nothing of it."""
    key = key or crypto.keyring()[0]
    return crypto.sm3_hex(b"anxin-backup-key-fingerprint\x00" + key.key)


def configured_fingerprints() -> set[str]:
    """Fingerprints of the current key and of every previous key still configured."""
    _, ring = crypto.keyring()
    return {key_fingerprint(k) for k in ring.values()}


def counted_tables() -> list[tuple[str, str]]:
    """``(model label, table)`` of every concrete table of the ``anxin.*`` apps, sorted."""
    found = set()
    for config in apps.get_app_configs():
        if not config.name.startswith("anxin."):
            continue
        for model in config.get_models(include_auto_created=True):
            opts = model._meta
            if opts.proxy or not opts.managed:
                continue
            found.add((opts.label, opts.db_table))
    return sorted(found)


def _count_rows(cursor: Any) -> dict[str, int]:
    counts = {}
    for label, table in counted_tables():
        cursor.execute(f'SELECT COUNT(*) FROM "{table}"')
        counts[label] = cursor.fetchone()[0]
    return counts


def _head_of(cursor: Any) -> tuple[int, str]:
    cursor.execute(
        f'SELECT last_seq, last_hash FROM "{AuditChainHead._meta.db_table}" WHERE id = 1'
    )
    row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else (0, "")


def file_sm3(path: Path) -> str:
    import hashlib

    digest = hashlib.new("sm3")
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def manifest_path(dump: Path) -> Path:
    return dump.with_name(dump.name + MANIFEST_SUFFIX)


def default_output(vendor: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    ext = "sqlite3" if vendor == "sqlite" else "pgdump"
    return Path(settings.VAR_DIR) / "backups" / f"anxin-{stamp}.{ext}"


# --- PostgreSQL tools -----------------------------------------------------------------------


def pg_tool(name: str) -> str | None:
    """The newest ``/usr/lib/postgresql/*/bin/<name>``, else ``<name>`` on PATH (or None)."""
    best: tuple[int, ...] | None = None
    found = None
    for d in Path("/usr/lib/postgresql").glob("*/bin"):
        exe = d / name
        if not os.access(exe, os.X_OK):
            continue
        version = tuple(int(p) for p in re.findall(r"\d+", d.parent.name)) or (0,)
        if best is None or version > best:
            best, found = version, str(exe)
    return found or shutil.which(name)


def _pg_env(alias: str) -> dict[str, str]:
    """libpq variables from ``settings.DATABASES[alias]`` (HOST may be a socket directory)."""
    db = connections[alias].settings_dict
    env = dict(os.environ)
    for var, key in (
        ("PGHOST", "HOST"),
        ("PGPORT", "PORT"),
        ("PGUSER", "USER"),
        ("PGPASSWORD", "PASSWORD"),
        ("PGDATABASE", "NAME"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = str(sslmode)
    return env


def _run(argv: list[str], env: dict[str, str]) -> None:
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupError(
            f"{Path(argv[0]).name} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}"
        )


# --- Backup ---------------------------------------------------------------------------------


def _dump_sqlite(alias: str, output: Path) -> tuple[dict[str, int], tuple[int, str]]:
    connection = connections[alias]
    connection.ensure_connection()
    target = sqlite3.connect(output)
    try:
        # The online backup API copies a consistent snapshot while others keep writing.
        connection.connection.backup(target)
        # One self-contained file: no -wal/-shm beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"the SQLite backup failed: {exc}") from exc
    finally:
        target.close()
    # Counts and head are read from the copy itself, so they describe exactly what it holds.
    copy = sqlite3.connect(f"file:{output}?mode=ro", uri=True)
    try:
        cursor = copy.cursor()
        return _count_rows(cursor), _head_of(cursor)
    finally:
        copy.close()


def _dump_postgresql(alias: str, output: Path) -> tuple[dict[str, int], tuple[int, str]]:
    exe = pg_tool("pg_dump")
    if exe is None:
        raise BackupError("pg_dump not found (install the PostgreSQL client programs)")
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("a PostgreSQL backup cannot run inside a transaction")
    # pg_dump reads the snapshot our transaction exported, so the counts and the head read here
    # describe exactly what the dump holds, even while others keep writing.
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts, head = _count_rows(cursor), _head_of(cursor)
        _run(
            [exe, "--format=custom", f"--snapshot={snapshot}", f"--file={output}"],
            _pg_env(alias),
        )
    return counts, head


def backup_create(*, actor: Any = None, output: Path | None = None, alias: str = "default") -> Path:
    """Write the dump and its manifest; returns the dump's path. Audited (``system.backup``)."""
    connection = connections[alias]
    vendor = connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise BackupError(f"no backup method for a {vendor} database")
    audit_seal()  # the dump carries a sealed chain, with a head to compare after a restore
    output = Path(output) if output else default_output(vendor)
    output.parent.mkdir(parents=True, exist_ok=True)
    if output.exists() or manifest_path(output).exists():
        raise BackupError(f"{output} (or its manifest) already exists; choose another --output")
    if vendor == "sqlite":
        counts, (seq, head_hash) = _dump_sqlite(alias, output)
    else:
        counts, (seq, head_hash) = _dump_postgresql(alias, output)
    os.chmod(output, 0o600)
    digest = file_sm3(output)
    manifest = {
        "format": FORMAT_VERSION,
        "vendor": vendor,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "anxin_version": settings.ANXIN_VERSION,
        "dump": output.name,
        "dump_sm3": digest,
        "dump_bytes": output.stat().st_size,
        "row_counts": counts,
        "audit_head": {"seq": seq, "hash": head_hash},
        "key_fingerprint": key_fingerprint(),
    }
    mpath = manifest_path(output)
    mpath.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n")
    os.chmod(mpath, 0o600)
    with transaction.atomic(using=alias):
        audit_record(
            actor=actor,
            action="system.backup",
            object_type="backup",
            object_id=output.name,
            object_repr=str(output),
            after={
                "sm3": digest,
                "vendor": vendor,
                "rows": sum(counts.values()),
                "audit_head_seq": seq,
            },
        )
    return output


# --- Restore --------------------------------------------------------------------------------


def read_manifest(dump: Path) -> dict[str, Any]:
    mpath = manifest_path(dump)
    if not dump.is_file():
        raise BackupError(f"no backup file at {dump}")
    if not mpath.is_file():
        raise BackupError(f"no manifest next to the backup (expected {mpath})")
    try:
        manifest = json.loads(mpath.read_text())
    except ValueError as exc:
        raise BackupError(f"the manifest {mpath} is not valid JSON: {exc}") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_VERSION:
        raise BackupError(
            f"the manifest {mpath} is not an Anxin backup manifest of format {FORMAT_VERSION}"
        )
    return manifest


def restore_check(dump: Path, manifest: dict[str, Any], alias: str = "default") -> None:
    """Refuse, before anything is replaced, a backup this installation cannot restore."""
    vendor = connections[alias].vendor
    if manifest.get("vendor") != vendor:
        raise BackupError(
            f"this backup is of a {manifest.get('vendor')} database; the configured database is "
            f"{vendor}. Nothing was restored."
        )
    if manifest.get("key_fingerprint") not in configured_fingerprints():
        raise BackupError(
            "the backup was made under another personal-data key: its key fingerprint matches "
            "neither ANXIN_DATA_KEY nor ANXIN_DATA_KEYS_PREVIOUS. Configure the key of the backup "
            "(see docs/configuration.md §5). Nothing was restored."
        )
    digest = file_sm3(dump)
    if digest != manifest.get("dump_sm3"):
        raise BackupError(
            f"the backup file's SM3 digest {digest} differs from the manifest's "
            f"{manifest.get('dump_sm3')}: the file is damaged or altered. Nothing was restored."
        )


def current_counts(alias: str = "default") -> dict[str, int]:
    with connections[alias].cursor() as cursor:
        return _count_rows(cursor)


def restore_verify(manifest: dict[str, Any], alias: str = "default") -> RestoreResult:
    """Compare the restored database with the manifest; stop at the first mismatch."""
    counts = current_counts(alias)
    expected: dict[str, int] = manifest.get("row_counts") or {}
    for label in sorted(set(expected) | set(counts)):
        if label not in counts:
            return RestoreResult(False, f"{label}: in the backup but not in this version")
        if expected.get(label) != counts[label]:
            return RestoreResult(
                False,
                f"{label}: {counts[label]} rows restored, the manifest records "
                f"{expected.get(label, 'none')}",
                counts,
            )
    chain = audit_verify()
    if not chain.ok:
        return RestoreResult(
            False,
            f"audit chain broken at sequence {chain.bad_seq}: {chain.problem}",
            counts,
        )
    head = manifest.get("audit_head") or {}
    if (chain.head_seq, chain.head_hash) != (head.get("seq"), head.get("hash")):
        return RestoreResult(
            False,
            f"audit chain head #{chain.head_seq} {chain.head_hash or '-'} differs from the "
            f"manifest's #{head.get('seq')} {head.get('hash') or '-'}",
            counts,
            chain.head_seq,
            chain.head_hash,
        )
    sampled = 0
    for model, names in encrypted_fields():
        for name in names:
            values = list(
                model._base_manager.using(alias)  # type: ignore[attr-defined]
                .exclude(**{f"{name}__isnull": True})
                .exclude(**{name: ""})
                .order_by("pk")
                .values_list(name, flat=True)[:DECRYPT_SAMPLE]
            )
            bad = sum(isinstance(v, Undecryptable) for v in values)
            sampled += len(values)
            if bad:
                return RestoreResult(
                    False,
                    f"{model._meta.label}.{name}: {bad} of {len(values)} sampled values do not "
                    "decrypt with the configured key",
                    counts,
                    chain.head_seq,
                    chain.head_hash,
                    sampled,
                )
    return RestoreResult(True, "", counts, chain.head_seq, chain.head_hash, sampled)


def _load_sqlite(dump: Path, alias: str) -> None:
    connection = connections[alias]
    connection.ensure_connection()
    source = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        source.backup(connection.connection)
    except sqlite3.Error as exc:
        raise BackupError(
            f"the SQLite restore failed ({exc}); stop the web server and the task consumer first"
        ) from exc
    finally:
        source.close()


def _load_postgresql(dump: Path, alias: str) -> None:
    exe = pg_tool("pg_restore")
    if exe is None:
        raise BackupError("pg_restore not found (install the PostgreSQL client programs)")
    env = _pg_env(alias)
    connections[alias].close()  # hold no lock on the tables pg_restore drops
    _run(
        [
            exe,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            f"--dbname={env.get('PGDATABASE', '')}",
            str(dump),
        ],
        env,
    )


def backup_restore(*, actor: Any = None, dump: Path, alias: str = "default") -> RestoreResult:
    """Check, restore, verify, and record ``system.restore`` in the restored chain."""
    dump = Path(dump)
    manifest = read_manifest(dump)
    restore_check(dump, manifest, alias)
    connection = connections[alias]
    if connection.in_atomic_block:
        raise BackupError("a restore cannot run inside a transaction")
    if connection.vendor == "sqlite":
        _load_sqlite(dump, alias)
    else:
        _load_postgresql(dump, alias)
    result = restore_verify(manifest, alias)
    with transaction.atomic(using=alias):
        audit_record(
            actor=actor,
            action="system.restore",
            object_type="backup",
            object_id=dump.name,
            object_repr=str(dump),
            after={
                "sm3": manifest["dump_sm3"],
                "backup_created_at": manifest.get("created_at"),
                "verified": result.ok,
                "problem": result.problem,
            },
        )
    return result
