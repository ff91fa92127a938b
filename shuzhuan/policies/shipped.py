"""Load the shipped editions (``shuzhuan/rules/editions``) into the database, published.

Idempotent: an edition already stored (by id) is left as it is — officers may have closed its
effective dates by publishing a newer one. Used by the data migration; takes the model class so
the migration can pass its historical model.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from shuzhuan.rules.loader import EDITIONS_DIR, edition_document, edition_from_document


def editions_load_shipped(model: Any) -> list[str]:
    """Store each shipped edition that is not yet stored; returns the ids it added."""
    added = []
    for directory in sorted(p for p in EDITIONS_DIR.iterdir() if p.is_dir()):
        document = edition_document(directory)
        edition = edition_from_document(document)  # validated before anything is stored
        if model.objects.filter(edition_id=edition.id).exists():
            continue
        model.objects.create(
            edition_id=edition.id,
            document=document,
            effective_from=edition.effective_from,
            effective_to=edition.effective_to,
            status="published",
            published_at=timezone.now(),
        )
        added.append(edition.id)
    return added
