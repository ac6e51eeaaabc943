from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from anxin.core.backup import BackupError, backup_create, manifest_path, read_manifest


class Command(BaseCommand):
    help = (
        "Back up the database (SQLite: online backup; PostgreSQL: pg_dump --format=custom) with a "
        "manifest of row counts, the audit chain head and the key fingerprint (never the key)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--output",
            type=Path,
            help="where to write the dump (default var/backups/anxin-<UTC time>.sqlite3|pgdump)",
        )

    def handle(self, *args: Any, output: Path | None, **options: Any) -> None:
        try:
            dump = backup_create(actor=None, output=output)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        manifest = read_manifest(dump)
        head = manifest["audit_head"]
        self.stdout.write(
            f"backup written: {dump} (SM3 {manifest['dump_sm3']}); manifest {manifest_path(dump)}; "
            f"{sum(manifest['row_counts'].values())} rows; audit head #{head['seq']} "
            f"{head['hash'] or '-'}. Keep the data key apart from this backup."
        )
