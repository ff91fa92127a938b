"""Writes over stored policy editions: copy an edition as a draft, change a parameter of the
draft, publish it. Each takes ``acting_user``, runs in one transaction and writes its audit entry
(``object_type="policy_edition"``, ``object_id=<edition id>``) in it. Every document is validated
by the rulebook's loader; a refusal is an ApplicationError naming edition, policy and step, and
nothing is half-published.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import parameter_value
from shuzhuan.rules.loader import RulebookError, edition_from_document, rulebook_from_editions
from shuzhuan.rules.model import Edition

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

EDITION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
FEN = Decimal("0.01")
RESERVED_IDS = {"new", "calc"}  # page paths under /policies/


def _validated(document: dict[str, Any], *, field: str | None = None) -> Edition:
    try:
        return edition_from_document(document)
    except RulebookError as exc:
        raise ApplicationError(f"校验未通过：{exc}", field=field) from None


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")


def edition_draft_create(
    *,
    acting_user: AbstractBaseUser | None,
    based_on: PolicyEdition,
    edition_id: str,
    effective_from: dt.date,
    document_number: str = "",
    title: str = "",
) -> PolicyEdition:
    """Copy ``based_on`` as a draft with a new id and effective date (open-ended).

    Its policies are renamed to the new edition (cixi-2025-ai → cixi-2026-ai); a one-time
    reward keeps its reward group, so it is still paid once per enterprise across editions.
    A new 文号 (``document_number``) replaces the old one where the policies cite it."""
    edition_id = (edition_id or "").strip().lower()
    if not EDITION_ID.match(edition_id) or edition_id in RESERVED_IDS:
        raise ApplicationError("版本编号只能由小写字母、数字和连字符组成，如 cixi-2026", field="edition_id")
    with transaction.atomic():
        if PolicyEdition.objects.filter(edition_id=edition_id).exists():
            raise ApplicationError(f"版本编号 {edition_id} 已存在", field="edition_id")
        old_id = based_on.edition_id
        document = copy.deepcopy(based_on.document)
        old_number = document.get("document")
        document.update(id=edition_id, effective_from=effective_from.isoformat(), effective_to=None)
        if document_number.strip():
            document["document"] = document_number.strip()
        if title.strip():
            document["title"] = title.strip()
        for policy in document.get("policies", []):
            old_policy_id = str(policy.get("id", ""))
            if policy.get("once_per_enterprise") and "reward_group" not in policy:
                policy["reward_group"] = old_policy_id
            policy["id"] = f"{edition_id}-{old_policy_id.removeprefix(f'{old_id}-')}"
            citation = policy.get("citation")
            if isinstance(citation, dict) and citation.get("document") == old_number:
                citation["document"] = document["document"]
        _validated(document)
        draft = PolicyEdition.objects.create(
            edition_id=edition_id,
            document=document,
            effective_from=effective_from,
            effective_to=None,
            status=PolicyEdition.Status.DRAFT,
            based_on=based_on,
            created_by=acting_user,  # type: ignore[misc]
        )
        audit_record(
            actor=acting_user,
            action="policy_edition.draft_create",
            object_type="policy_edition",
            object_id=edition_id,
            payload={"based_on": old_id, "effective_from": effective_from.isoformat()},
        )
    return draft


def edition_parameter_set(
    *,
    acting_user: AbstractBaseUser | None,
    draft: PolicyEdition,
    policy_id: str,
    step: str,
    value: Decimal | str,
) -> PolicyEdition:
    """Set one parameter step (a plain number: cap, rate, threshold) of a draft's policy."""
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError("请输入数字", field="value") from None
    if not amount.is_finite() or amount < 0:
        raise ApplicationError("数值不能为负数", field="value")
    with transaction.atomic():
        draft = PolicyEdition.objects.select_for_update().get(pk=draft.pk)
        where = f"{draft.edition_id} / {policy_id} / {step}"
        if not draft.is_draft:
            raise ApplicationError(f"{draft.edition_id} 已发布，不能修改；请基于它新建版本", field="edition")
        document = copy.deepcopy(draft.document)
        policy = next((p for p in document.get("policies", []) if p.get("id") == policy_id), None)
        if policy is None:
            raise ApplicationError(f"{draft.edition_id}：没有政策 {policy_id}", field="policy")
        target = next((s for s in policy.get("steps", []) if s.get("name") == step), None)
        if target is None:
            raise ApplicationError(f"{draft.edition_id} / {policy_id}：没有步骤 {step}", field="step")
        before = parameter_value(target.get("expr"))
        if before is None:
            raise ApplicationError(f"{where}：该步骤是公式，不是可直接修改的参数", field="step")
        if target.get("unit", "yuan") == "ratio":
            if amount > 1:
                raise ApplicationError(f"{where}：比例应在 0 与 1 之间（如 0.50）", field="value")
        elif amount != amount.quantize(FEN):
            raise ApplicationError(f"{where}：金额最多两位小数（元、角、分）", field="value")
        target["expr"] = _plain(amount)
        _validated(document, field="value")
        draft.document = document
        draft.save(update_fields=["document", "updated_at"])
        audit_record(
            actor=acting_user,
            action="policy_edition.parameter_set",
            object_type="policy_edition",
            object_id=draft.edition_id,
            payload={"policy": policy_id, "step": step, "before": str(before), "after": _plain(amount)},
        )
    return draft


def edition_publish(*, acting_user: AbstractBaseUser | None, draft: PolicyEdition) -> PolicyEdition:
    """Publish a draft. The published edition that is open-ended and began earlier is closed the
    day before the draft takes effect; any overlap left over is refused, and nothing changes."""
    with transaction.atomic():
        published = list(
            PolicyEdition.objects.select_for_update().filter(status=PolicyEdition.Status.PUBLISHED)
        )
        draft = PolicyEdition.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise ApplicationError(f"{draft.edition_id} 已经发布", field="edition")
        new = _validated(draft.document)
        closed: list[tuple[PolicyEdition, dict[str, Any]]] = []
        editions = [new]
        for stored in published:
            document = stored.document
            if stored.effective_to is None and stored.effective_from < draft.effective_from:
                document = {
                    **document,
                    "effective_to": (draft.effective_from - dt.timedelta(days=1)).isoformat(),
                }
                closed.append((stored, document))
            editions.append(_validated(document))
        try:
            rulebook_from_editions(editions)
        except RulebookError as exc:
            raise ApplicationError(f"生效日期与已发布版本重叠：{exc}", field="effective_from") from None
        now = timezone.now()
        for stored, document in closed:
            stored.document = document
            stored.effective_to = dt.date.fromisoformat(document["effective_to"])
            stored.save(update_fields=["document", "effective_to", "updated_at"])
            audit_record(
                actor=acting_user,
                action="policy_edition.close",
                object_type="policy_edition",
                object_id=stored.edition_id,
                payload={"effective_to": document["effective_to"], "replaced_by": draft.edition_id},
            )
        draft.status = PolicyEdition.Status.PUBLISHED
        draft.published_by = acting_user  # type: ignore[assignment]
        draft.published_at = now
        draft.save(update_fields=["status", "published_by", "published_at", "updated_at"])
        audit_record(
            actor=acting_user,
            action="policy_edition.publish",
            object_type="policy_edition",
            object_id=draft.edition_id,
            payload={
                "effective_from": draft.effective_from.isoformat(),
                "effective_to": draft.effective_to.isoformat() if draft.effective_to else None,
                "based_on": draft.based_on.edition_id if draft.based_on else None,
            },
        )
    return draft
