import importlib
import random
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from faker import Faker

from anxin.core.audit import audit_seal
from anxin.core.demo import DemoContext


class Command(BaseCommand):
    help = (
        "Load the demo city 示范市 and realistic records (Faker zh_CN), deterministic for a seed. "
        "With ANXIN_DEMO=1 it also creates the demo logins listed in the README."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument(
            "--scale",
            type=float,
            default=1.0,
            help="multiply the number of demo records (e.g. 0.1 for a quick small city)",
        )

    def handle(self, *args: Any, seed: int, scale: float, **options: Any) -> None:
        faker = Faker("zh_CN")
        faker.seed_instance(seed)
        ctx = DemoContext(
            seed=seed,
            rng=random.Random(seed),
            faker=faker,
            demo_logins=settings.ANXIN_DEMO,
            scale=scale,
        )
        for config in apps.get_app_configs():
            if not config.name.startswith("anxin."):
                continue
            try:
                module = importlib.import_module(f"{config.name}.demo")
            except ModuleNotFoundError:
                continue
            with transaction.atomic():
                module.seed(ctx)
        audit_seal()
        for line in ctx.out:
            self.stdout.write(line)
        if not ctx.demo_logins:
            self.stdout.write("ANXIN_DEMO is off: no demo logins were created.")
