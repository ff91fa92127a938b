"""Load the default region tree (慈溪市 and its towns and streets), industries and qualification types."""

from django.db import migrations


def load(apps, schema_editor):
    from shuzhuan.enterprises.reference import load_reference

    load_reference(
        apps.get_model("enterprises", "Region"),
        apps.get_model("enterprises", "Industry"),
        apps.get_model("enterprises", "QualificationType"),
    )


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
