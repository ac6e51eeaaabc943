from typing import Any

from django.core.management.base import BaseCommand, CommandError

from anxin.core.models import User
from anxin.core.services import otp_reset, password_reset, user_unlock


class Command(BaseCommand):
    help = (
        "Recover an account from the server's command line (audited as the system): issue a new "
        "initial password, and optionally remove the second factor and clear a lockout. This is "
        "how the three administrators' accounts are recovered (三员分立: no administrator may "
        "reset another's)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--username", required=True)
        parser.add_argument("--otp", action="store_true", help="also remove the TOTP devices")
        parser.add_argument("--unlock", action="store_true", help="also clear a lockout")

    def handle(self, *args: Any, username: str, otp: bool, unlock: bool, **options: Any) -> None:
        person = User.objects.filter(username=username).first()
        if person is None:
            raise CommandError(f"no user named {username!r}")
        initial = password_reset(actor=None, user=person)
        if otp:
            otp_reset(actor=None, user=person)
        if unlock:
            user_unlock(actor=None, user=person)
        self.stdout.write(f"{username}: initial password {initial} (must be changed at sign-in)")
