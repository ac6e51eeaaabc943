"""Seed the key sectors and version 1 of each sector's checklist (anxin/safety/checklist_seed.py).

The regulating departments are data (units), so they are left empty here: the system
administrator sets them on /safety/sectors/ (the demo data sets them for the demo city).
"""

from django.db import migrations
from django.utils import timezone


def seed(apps, schema_editor):
    from anxin.safety.checklist_seed import seed_checklists, seed_sectors

    Sector = apps.get_model("safety", "Sector")
    seed_sectors(Sector)
    seed_checklists(
        Sector,
        apps.get_model("safety", "ChecklistTemplate"),
        apps.get_model("safety", "ChecklistItem"),
        published_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("safety", "0002_accidents")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
