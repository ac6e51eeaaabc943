"""Run the 督办 sweep (and optionally send the outbox) now, as the periodic jobs do."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from anxin.supervision.escalation import escalation_sweep
from anxin.supervision.notifications import outbox_deliver


class Command(BaseCommand):
    help = "Record deadline warnings and escalation steps and notify, once each (safe to rerun)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--send", action="store_true", help="also send the queued e-mails and SMS"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = escalation_sweep()
        self.stdout.write(
            f"warned {len(result.warned)} clock(s), {len(result.escalated)} escalation step(s), "
            f"{result.notifications} notification(s) in {result.batches} batch(es)"
        )
        if options["send"]:
            total = 0
            while sent := outbox_deliver(limit=100):
                total += sent
            self.stdout.write(f"sent {total} message(s)")
