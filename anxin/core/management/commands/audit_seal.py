from typing import Any

from django.core.management.base import BaseCommand

from anxin.core.audit import audit_seal


class Command(BaseCommand):
    help = "Seal audit records not yet in the hash chain (the periodic job does this every minute)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"sealed {audit_seal()} records")
