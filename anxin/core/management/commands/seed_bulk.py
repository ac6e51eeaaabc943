"""``manage.py seed_bulk --petitions N --hazards M [--seed S]``: bulk data for benchmarks.

Each app that can generate bulk records has a ``bulk`` module with ``OPTION`` (the option's
name), ``OPTION_HELP`` and ``seed(count, *, seed, progress)``; this command offers one option
per module and runs them in app order (core names no other app). It writes synthetic records
straight into the tables (see :mod:`anxin.core.bulk`) — for benchmark and load-test databases,
never for a city's production data: it refuses to run in production settings.
"""

from __future__ import annotations

import importlib
import sys
import time
from types import ModuleType
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from anxin.core.bulk import bulk_session
from anxin.core.models import Unit, User


def bulk_modules() -> list[ModuleType]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("anxin."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.bulk")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.bulk":
                raise
            continue
        if hasattr(module, "OPTION"):
            found.append(module)
    return found


class Command(BaseCommand):
    help = (
        "Write realistic bulk data (Chinese text over three years, all units, categories and "
        "states) for benchmarks and load tests: COPY on PostgreSQL, batched inserts on SQLite."
    )

    def add_arguments(self, parser: Any) -> None:
        for module in bulk_modules():
            parser.add_argument(f"--{module.OPTION}", type=int, default=0, help=module.OPTION_HELP)
        parser.add_argument("--seed", type=int, default=1, help="random seed (deterministic)")

    def handle(self, *args: Any, seed: int, **options: Any) -> None:
        if getattr(settings, "ANXIN_ENV", "") == "production":
            raise CommandError("seed_bulk writes synthetic records: not in production settings.")
        if not Unit.objects.exists():
            call_command("load_units", verbosity=0)
        if not User.objects.filter(is_active=True).exists():
            from anxin.core.services import user_create

            # decisions need a drafter: an account that cannot sign in
            user_create(
                actor=None,
                username="bulk-seed",
                name="批量数据",
                unit=Unit.objects.order_by("path").first(),
                usable_password=False,
            )
        total_start = time.perf_counter()
        for module in bulk_modules():
            count = options.get(module.OPTION) or 0
            if count <= 0:
                continue
            start = time.perf_counter()

            def progress(done: int, of: int, name: str = module.OPTION, t0: float = start) -> None:
                rate = done / max(time.perf_counter() - t0, 1e-9)
                sys.stderr.write(f"\r{name}: {done:,}/{of:,} ({rate:,.0f}/s)")
                sys.stderr.flush()

            with bulk_session():
                module.seed(count, seed=seed, progress=progress)
            sys.stderr.write("\n")
            self.stdout.write(f"{module.OPTION}: {count:,} in {time.perf_counter() - start:.1f} s")
        # fresh planner statistics for every table (the organisation tree included: a stale
        # estimate of "units under the city" turns the indicators' joins into nested loops)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"seed_bulk: done in {time.perf_counter() - total_start:.1f} s")
