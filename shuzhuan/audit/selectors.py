"""Reads over the audit trail. Callers decide who may read which object's entries."""

from __future__ import annotations

from django.db.models import QuerySet

from shuzhuan.audit.models import AuditEntry


def audit_entries_for_object(*, object_type: str, object_id: str, limit: int = 20) -> QuerySet[AuditEntry]:
    """The latest ``limit`` entries about one object, newest first."""
    return AuditEntry.objects.filter(object_type=object_type, object_id=object_id).order_by("-seq")[:limit]
