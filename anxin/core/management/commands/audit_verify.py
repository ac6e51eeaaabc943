from typing import Any

from django.core.management.base import BaseCommand

from anxin.core.audit import audit_verify


class Command(BaseCommand):
    help = "Verify the SM3 hash chain of the audit trail; exit 1 naming the first bad record."

    def handle(self, *args: Any, **options: Any) -> None:
        result = audit_verify()
        if result.ok:
            self.stdout.write(
                f"audit chain intact: {result.checked} sealed records, head #{result.head_seq} "
                f"{result.head_hash or '-'}; {result.unsealed} waiting to be sealed"
            )
            return
        self.stderr.write(
            f"audit chain BROKEN at sequence {result.bad_seq} (record id {result.bad_event_id}): "
            f"{result.problem}; {result.checked} records before it are intact"
        )
        raise SystemExit(1)
