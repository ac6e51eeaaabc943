from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from anxin.petitions.privacy import personal_data_anonymise, retention_days


class Command(BaseCommand):
    help = (
        "Remove the identity of the people in cases closed longer ago than ANXIN_RETENTION_DAYS "
        "(个人信息保护法 Art. 19, 47); the cases stay. Audited (privacy.anonymise). Runs daily "
        "in the Huey consumer too."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="print the counts only; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = options["dry_run"]
        counts = personal_data_anonymise(actor=None, dry_run=dry_run)
        days = ", ".join(f"{k}={v}" for k, v in retention_days().items())
        self.stdout.write(f"retention (days after closing): {days}")
        verb = "would be anonymised" if dry_run else "anonymised"
        for label, n in counts.items():
            self.stdout.write(f"{label}: {n} {verb}")
