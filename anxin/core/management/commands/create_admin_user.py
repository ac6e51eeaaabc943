from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from anxin.core.choices import ADMIN_ROLES
from anxin.core.models import Unit
from anxin.core.services import role_assign, user_create


class Command(BaseCommand):
    help = (
        "Create one of the three administrators (sysadmin, secadmin, auditor) with an initial "
        "password that must be changed at first sign-in; prints the password once."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--name", required=True, help="the person's full name")
        parser.add_argument("--role", required=True, choices=sorted(ADMIN_ROLES))
        parser.add_argument("--unit", help="home and scope unit code (default: the root unit)")

    def handle(
        self, *args: Any, username: str, name: str, role: str, unit: str | None, **options: Any
    ) -> None:
        scope = (
            Unit.objects.filter(code=unit) if unit else Unit.objects.filter(parent=None)
        ).first()
        if scope is None:
            raise CommandError("load the organisation tree first (manage.py load_units FILE)")
        try:
            with transaction.atomic():
                person, initial = user_create(actor=None, username=username, name=name, unit=scope)
                role_assign(actor=None, user=person, role=role, unit=scope)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{username}: initial password {initial}")
