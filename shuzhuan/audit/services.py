from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from shuzhuan.audit.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


_HASHED_FIELDS = (
    "seq", "created_at", "actor_id", "actor_username", "action", "object_type", "object_id",
    "reason", "payload", "prev_hash",
)  # fmt: skip


def entry_digest(entry: AuditEntry) -> str:
    """SHA-256 over an entry's content and its predecessor's hash (everything but ``hash``)."""
    body = json.dumps(
        {name: getattr(entry, name) for name in _HASHED_FIELDS},
        sort_keys=True,
        ensure_ascii=False,
        cls=DjangoJSONEncoder,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def audit_record(
    *,
    actor: Any | None,
    action: str,
    object_type: str = "",
    object_id: str | int = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records."""
    clean_payload = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder, ensure_ascii=False))
    actor_id = getattr(actor, "pk", None)
    actor_username = getattr(actor, "username", "") or ("system" if actor is None else "")
    with transaction.atomic():
        head, _ = AuditChainHead.objects.select_for_update().get_or_create(id=1)
        entry = AuditEntry(
            seq=head.last_seq + 1,
            created_at=timezone.now(),
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            reason=reason,
            payload=clean_payload,
            prev_hash=head.last_hash,
        )
        entry.hash = entry_digest(entry)
        entry.save(force_insert=True)
        head.last_seq = entry.seq
        head.last_hash = entry.hash
        head.save(update_fields=["last_seq", "last_hash"])
    return entry


@dataclass(frozen=True)
class AuditVerification:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    problem: str = ""


def audit_verify() -> AuditVerification:
    """Walk the chain; report the first entry that was changed, inserted or removed."""
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        if entry.seq != expected_seq:
            return AuditVerification(False, checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return AuditVerification(
                False, checked, entry.seq, f"entry #{entry.seq} does not follow its predecessor"
            )
        if entry_digest(entry) != entry.hash:
            return AuditVerification(False, checked, entry.seq, f"entry #{entry.seq} was changed")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    # The head row remembers the last entry written through audit_record, so removing the
    # newest entries, rewriting the last one or appending rows behind its back shows up here.
    head = AuditChainHead.objects.filter(id=1).first()
    if head is None:
        if checked:
            return AuditVerification(False, checked, checked, "the chain head row is missing")
        return AuditVerification(True, checked)
    if head.last_seq > checked:
        return AuditVerification(False, checked, checked + 1, f"entry #{checked + 1} was removed")
    if head.last_seq < checked:
        seq = head.last_seq + 1
        return AuditVerification(False, checked, seq, f"entry #{seq} was added outside audit_record")
    if checked and head.last_hash != prev_hash:
        return AuditVerification(False, checked, checked, f"entry #{checked} does not match the chain head")
    return AuditVerification(True, checked)
