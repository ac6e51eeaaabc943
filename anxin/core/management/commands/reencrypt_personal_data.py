from typing import Any

from django.core.management.base import BaseCommand

from anxin.core.crypto import current_key_id
from anxin.core.services import personal_data_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt personal data under the current ANXIN_DATA_KEY. Keep the old key in "
        "ANXIN_DATA_KEYS_PREVIOUS until this has finished (docs/configuration.md)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        counts = personal_data_reencrypt(actor=None)
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n} rows re-encrypted")
        self.stdout.write(f"all personal data is now under key {current_key_id()}")
