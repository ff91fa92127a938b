"""Experts and service providers get a home region: the bureau that registered them manages them.

Accounts made before this field existed were made with the CLI of a one-county install; they
are given that county when the install has exactly one county, and left for the CLI otherwise.
"""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    Region = apps.get_model("enterprises", "Region")
    User = apps.get_model("accounts", "User")
    counties = list(Region.objects.filter(level="county")[:2])
    if len(counties) == 1:
        User.objects.filter(role__in=["expert", "service_provider"], home_region__isnull=True).update(
            home_region=counties[0]
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("enterprises", "0002_default_reference_data"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="home_region",
            field=models.ForeignKey(
                blank=True,
                help_text="专家、服务商账户由该区域的经信局管理",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="enterprises.region",
                verbose_name="归属区域",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
