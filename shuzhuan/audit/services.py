from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from shuzhuan.audit.models import AuditChainHead, AuditEntry

GENESIS = "0" * 64


def _entry_hash(
    *,
    seq: int,
    created_at: datetime,
    actor_id: int | None,
    actor_username: str,
    action: str,
    object_type: str,
    object_id: str,
    reason: str,
    payload: dict[str, Any],
    prev_hash: str,
) -> str:
    body = json.dumps(
        {
            "seq": seq,
            "created_at": created_at.isoformat(),
            "actor_id": actor_id,
            "actor_username": actor_username,
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "reason": reason,
            "payload": payload,
            "prev_hash": prev_hash,
        },
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
        seq = head.last_seq + 1
        created_at = timezone.now()
        digest = _entry_hash(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            reason=reason,
            payload=clean_payload,
            prev_hash=head.last_hash,
        )
        entry = AuditEntry.objects.create(
            seq=seq,
            created_at=created_at,
            actor_id=actor_id,
            actor_username=actor_username,
            action=action,
            object_type=object_type,
            object_id=str(object_id),
            reason=reason,
            payload=clean_payload,
            prev_hash=head.last_hash,
            hash=digest,
        )
        head.last_seq = seq
        head.last_hash = digest
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
        digest = _entry_hash(
            seq=entry.seq,
            created_at=entry.created_at,
            actor_id=entry.actor_id,
            actor_username=entry.actor_username,
            action=entry.action,
            object_type=entry.object_type,
            object_id=entry.object_id,
            reason=entry.reason,
            payload=entry.payload,
            prev_hash=entry.prev_hash,
        )
        if digest != entry.hash:
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
