"""``import_ledger {sites|hazards} FILE [--unit CODE] [--commit] [--json] [--user USERNAME]``.

Prints the preview of an Excel ledger (rows read, rows ready, duplicates, every error with its
sheet row); with ``--json`` exactly ``{rows_read, rows_ready, duplicates: [{row, key}],
errors: [{row, column, message}]}``. Saves only with ``--commit``: every ready row, in one
transaction, or nothing (exit status 1). ``--user`` is the person whose scope applies; without
it the command acts as the system, with the ``--unit`` subtree (or everything) as its scope.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from anxin.core.models import Unit, User
from anxin.core.scoping import can
from anxin.safety.ledgers import IMPORT_ACTION, KINDS, LedgerError, ledger_commit, ledger_preview


class Command(BaseCommand):
    help = "Preview (and with --commit, import) a ledger of sites or hazards from an .xlsx file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--unit", metavar="CODE", help="import into this unit's subtree")
        parser.add_argument("--commit", action="store_true", help="save the ready rows")
        parser.add_argument("--json", action="store_true", help="print the preview as JSON")
        parser.add_argument("--user", metavar="USERNAME", help="act with this person's scope")

    def handle(self, *args: Any, **options: Any) -> None:
        translation.activate(settings.LANGUAGE_CODE)
        unit = None
        if options["unit"]:
            unit = Unit.objects.filter(code=options["unit"]).first()
            if unit is None:
                raise CommandError(f"unknown unit code: {options['unit']}")
        user = None
        if options["user"]:
            user = User.objects.filter(username=options["user"], is_active=True).first()
            if user is None:
                raise CommandError(f"unknown or inactive user: {options['user']}")
            if not can(user, IMPORT_ACTION):
                raise CommandError(f"{user.username} may not import ledgers ({IMPORT_ACTION})")
            if unit is None:
                unit = user.unit
        try:
            with open(options["file"], "rb") as handle:
                data = handle.read()
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc.strerror}") from exc

        def progress(n: int) -> None:
            if not options["json"] and n:
                self.stderr.write(f"… {n} rows read")

        preview = ledger_preview(options["kind"], data, user=user, unit=unit, progress=progress)
        preview.file_name = options["file"].rsplit("/", 1)[-1][:120]
        if options["json"]:
            self.stdout.write(json.dumps(preview.to_json(), ensure_ascii=False))
        else:
            self._print(preview)
        if not options["commit"]:
            return
        try:
            counts = ledger_commit(options["kind"], preview, actor=user)
        except (LedgerError, PermissionDenied) as exc:
            self.stderr.write(getattr(exc, "message", None) or "permission denied")
            sys.exit(1)
        if not options["json"]:
            self.stdout.write(f"imported: {counts['created']}")
        else:
            self.stderr.write(f"imported: {counts['created']}")

    def _print(self, preview: Any) -> None:
        out = self.stdout
        out.write(f"file: {preview.file_name}  SM3 {preview.file_hash}")
        if preview.sheet:
            out.write(f"sheet: {preview.sheet}")
        out.write(f"rows read: {preview.rows_read}")
        out.write(f"rows ready: {len(preview.rows_ready)}")
        out.write(f"duplicates: {len(preview.duplicates)} ({preview.existing} already saved)")
        for d in preview.duplicates:
            where = f"repeats row {d.first_row}" if d.first_row else "already saved"
            out.write(f"  row {d.row}: {d.key} ({where})")
        out.write(f"errors: {len(preview.errors)}")
        for e in preview.errors:
            row = "file" if e.row is None else f"row {e.row}"
            column = f" [{e.column}]" if e.column else ""
            out.write(f"  {row}{column}: {e.message}")
