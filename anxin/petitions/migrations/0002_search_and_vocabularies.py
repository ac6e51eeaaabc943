from django.db import migrations

from anxin.core.search import SearchIndexOperation
from anxin.petitions.vocabularies import load_vocabularies


def load(apps, schema_editor):
    load_vocabularies(apps.get_model("petitions", "Category"),
                      apps.get_model("petitions", "DeclineReason"))


class Migration(migrations.Migration):
    dependencies = [("petitions", "0001_initial")]

    operations = [
        SearchIndexOperation("petitions_petition_fts"),
        migrations.RunPython(load, migrations.RunPython.noop),
    ]
