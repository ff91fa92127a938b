"""免申即享 on the stored copy of the shipped cixi-2024 edition: databases migrated before the
``auto_grant`` key existed hold the sample-enterprise reward without it (a fresh database loads
the package files, which have it). Only a stored policy without the key is changed, so an
officer's own choice is never overwritten."""

from django.db import migrations

EDITION = "cixi-2024"
POLICY = "cixi-2024-sample"


def forwards(apps, schema_editor):
    PolicyEdition = apps.get_model("policies", "PolicyEdition")
    stored = PolicyEdition.objects.filter(edition_id=EDITION).first()
    if stored is None:
        return
    document = stored.document
    changed = False
    for policy in document.get("policies", []):
        if policy.get("id") == POLICY and "auto_grant" not in policy:
            policy["auto_grant"] = True
            changed = True
    if changed:
        stored.document = document
        stored.save(update_fields=["document", "updated_at"])


class Migration(migrations.Migration):
    dependencies = [
        ("matching", "0001_match_runs_matches_changes_pushes"),
        ("policies", "0002_load_shipped_editions"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
