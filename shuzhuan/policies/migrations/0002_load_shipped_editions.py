"""Store the shipped editions (cixi-2024, cixi-2025), published: in force in a fresh database."""

from django.db import migrations


def load(apps, schema_editor):
    from shuzhuan.policies.shipped import editions_load_shipped

    editions_load_shipped(apps.get_model("policies", "PolicyEdition"))


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_policy_edition")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
