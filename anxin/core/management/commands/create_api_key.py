from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from anxin.core.models import User
from anxin.core.services import api_key_create


class Command(BaseCommand):
    help = "Create an API key that acts as USER (with that user's scope); prints it once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--user", required=True, help="username the key acts as")
        parser.add_argument("--name", required=True, help="what uses the key")

    def handle(self, *args: Any, user: str, name: str, **options: Any) -> None:
        person = User.objects.filter(username=user).first()
        if person is None:
            raise CommandError(f"no user named {user!r}")
        try:
            _key, raw = api_key_create(actor=None, user=person, name=name)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(raw)
