from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection

from anxin.core.backup import (
    BackupError,
    backup_restore,
    current_counts,
    read_manifest,
    restore_check,
)


class Command(BaseCommand):
    help = (
        "Replace the configured database with a backup made by `manage.py backup`, then verify "
        "row counts, the audit chain and that the configured key decrypts the data."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", type=Path, help="the dump (its manifest lies next to it)")
        parser.add_argument(
            "--yes", action="store_true", help="really replace the configured database"
        )

    def handle(self, *args: Any, path: Path, yes: bool, **options: Any) -> None:
        try:
            manifest = read_manifest(path)
            restore_check(path, manifest)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not yes:
            name = connection.settings_dict["NAME"]
            try:
                now = f"{sum(current_counts().values())} rows now"
            except DatabaseError:
                now = "empty or not migrated"
            self.stdout.write(
                f"would replace the {connection.vendor} database {name} "
                f"({now}) with the backup of "
                f"{manifest['created_at']} ({sum(manifest['row_counts'].values())} rows, "
                f"audit head #{manifest['audit_head']['seq']})"
            )
            raise CommandError("nothing restored: pass --yes to replace the database")
        try:
            result = backup_restore(actor=None, dump=path)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if not result.ok:
            self.stderr.write(f"restored, but verification FAILED: {result.problem}")
            raise SystemExit(1)
        self.stdout.write(
            f"restored {path} and verified: {sum(result.counts.values())} rows as in the "
            f"manifest, audit chain intact up to #{result.head_seq}, {result.sampled} sampled encrypted "
            "values decrypt with the configured key"
        )
