import json
import os
from pathlib import Path
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from anxin.core.models import User
from anxin.petitions.privacy import personal_data_export


def _private(path: str, flags: int) -> int:
    return os.open(path, flags, 0o600)


class Command(BaseCommand):
    help = (
        "Export a person's own data on their request (个人信息保护法 Art. 45) to a JSON file: "
        "the cases they raised, their own fields and the written answers addressed to them. "
        "Run by the staff member handling the request (--operator); audited (privacy.export)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--id-number", default="", help="the person's citizen ID number")
        who.add_argument("--phone", default="", help="the person's phone number")
        parser.add_argument(
            "--operator",
            required=True,
            help="username of the staff member handling the request (searches their scope)",
        )
        parser.add_argument("--output", required=True, help="the JSON file to write")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            operator = User.objects.get(username=options["operator"], is_active=True)
        except User.DoesNotExist as exc:
            raise CommandError(f"no active user {options['operator']!r}") from exc
        output = Path(options["output"])
        if output.exists():
            raise CommandError(f"{output} exists; give a new file name")
        try:
            data = personal_data_export(
                actor=operator, id_number=options["id_number"], phone=options["phone"]
            )
        except PermissionDenied as exc:
            raise CommandError(f"{operator.username} may not reveal personal data") from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        # the file holds personal data: readable by its owner only
        with open(output, "x", encoding="utf-8", opener=_private) as fh:
            json.dump(data, fh, ensure_ascii=False, indent=2)
        self.stdout.write(f"{len(data['cases'])} cases written to {output}")
