import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from anxin.core.services import units_load

DEFAULT_FIXTURE = Path(__file__).resolve().parents[2] / "fixtures" / "demo_city.json"


class Command(BaseCommand):
    help = "Create or update the organisation tree from a JSON fixture (parents before children)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path", nargs="?", default=str(DEFAULT_FIXTURE))

    def handle(self, *args: Any, path: str, **options: Any) -> None:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        rows = data["units"] if isinstance(data, dict) else data
        try:
            result = units_load(actor=None, rows=rows)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"units: {result['created']} created, {result['updated']} updated")
