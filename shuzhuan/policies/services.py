"""Writes over stored policy editions: copy an edition as a draft, change a parameter, the key
industries or the funding split of the draft, publish it or delete it. Each takes ``acting_user``, runs in one transaction and writes its audit entry
(``object_type="policy_edition"``, ``object_id=<edition id>``) in it. Every document is validated
by the rulebook's loader; a refusal is an ApplicationError naming edition, policy and step, and
nothing is half-published.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import ProtectedError, RestrictedError
from django.utils import timezone

from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.selectors import industry_list
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.rules.fields import FUNDING_LEVEL_LABELS, FUNDING_LEVELS
from shuzhuan.rules.loader import RulebookError, edition_from_document, rulebook_from_editions
from shuzhuan.rules.model import Edition
from shuzhuan.rules.parameters import ParameterError, document_parameter_set, parameter_number

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

EDITION_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}[a-z0-9]$")
RESERVED_IDS = {"new", "calc"}  # page paths under /policies/
FEN = Decimal("0.01")
SHARE_STEP = Decimal("0.0001")  # funding shares: at most four decimals


def _validated(document: dict[str, Any], *, field: str | None = None) -> Edition:
    try:
        return edition_from_document(document)
    except RulebookError as exc:
        raise ApplicationError(f"{document.get('id', '')} 校验未通过：{exc}".lstrip(), field=field) from None


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
    """Set one parameter step (a plain number: cap, rate, threshold) of a draft's policy. The
    checks are the rulebook's (``shuzhuan.rules.parameters``), shared with the impact preview."""
    try:
        amount = parameter_number(value)
    except ParameterError as exc:
        raise ApplicationError(exc.message, field=exc.field) from None
    with transaction.atomic():
        draft = PolicyEdition.objects.select_for_update().get(pk=draft.pk)
        if not draft.is_draft:
            raise ApplicationError(f"{draft.edition_id} 已发布，不能修改；请基于它新建版本", field="edition")
        try:
            document, change = document_parameter_set(
                draft.document, policy_id=policy_id, step=step, value=amount
            )
        except ParameterError as exc:
            raise ApplicationError(exc.message, field=exc.field) from None
        _validated(document, field="value")
        draft.document = document
        draft.save(update_fields=["document", "updated_at"])
        audit_record(
            actor=acting_user,
            action="policy_edition.parameter_set",
            object_type="policy_edition",
            object_id=draft.edition_id,
            payload={
                "policy": policy_id,
                "step": step,
                "before": str(change.before),
                "after": _plain(amount),
            },
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


def _draft_locked(draft: PolicyEdition, *, action: str) -> PolicyEdition:
    """The draft's row, locked for this transaction; a published edition is refused."""
    locked = PolicyEdition.objects.select_for_update().filter(pk=draft.pk).first()
    if locked is None:
        raise ApplicationError(f"草稿 {draft.edition_id} 已不存在", field="edition")
    if not locked.is_draft:
        hint = "已发布的版本只由新版本替代" if action == "删除" else "请基于它新建版本"
        raise ApplicationError(f"{locked.edition_id} 已发布，不能{action}；{hint}", field="edition")
    return locked


def edition_key_industries_set(
    *, acting_user: AbstractBaseUser | None, draft: PolicyEdition, industries: Iterable[str]
) -> PolicyEdition:
    """Set a draft's key industries (重点行业, ``industry IN key_industries``): codes from the
    registry's Industry table, at least one, kept in the table's order."""
    wanted = {str(code).strip() for code in industries if str(code).strip()}
    if not wanted:
        raise ApplicationError("重点行业：请至少选择一个行业", field="key_industries")
    known = [i.code for i in industry_list() if i.code in wanted]
    unknown = sorted(wanted - set(known))
    if unknown:
        raise ApplicationError(f"重点行业：没有行业代码 {'、'.join(unknown)}", field="key_industries")
    with transaction.atomic():
        draft = _draft_locked(draft, action="修改重点行业")
        document = copy.deepcopy(draft.document)
        before = document.get("key_industries")
        document["key_industries"] = known
        _validated(document, field="key_industries")
        draft.document = document
        draft.save(update_fields=["document", "updated_at"])
        audit_record(
            actor=acting_user,
            action="policy_edition.key_industries_set",
            object_type="policy_edition",
            object_id=draft.edition_id,
            payload={"before": before, "after": known},
        )
    return draft


def _share(level: str, raw: Any) -> Decimal:
    where = f"{FUNDING_LEVEL_LABELS[level]}份额"
    text = "" if raw is None else str(raw).strip()  # a JSON float prints as written: 0.25
    if not text:
        raise ApplicationError(
            f"{where}：请填写 0 与 1 之间的小数（如 0.25）", field=f"funding_split.{level}"
        )
    try:
        share = Decimal(text)
    except InvalidOperation:
        raise ApplicationError(f"{where}：“{text}”不是数字", field=f"funding_split.{level}") from None
    if not share.is_finite() or share < 0 or share > 1:
        raise ApplicationError(f"{where}：须在 0 与 1 之间（如 0.25）", field=f"funding_split.{level}")
    if share != share.quantize(SHARE_STEP):
        raise ApplicationError(f"{where}：最多四位小数", field=f"funding_split.{level}")
    return share


def edition_funding_split_set(
    *, acting_user: AbstractBaseUser | None, draft: PolicyEdition, shares: Mapping[str, Any]
) -> PolicyEdition:
    """Set a draft's edition-level funding split (三级资金分担: central, city, county), the shares
    its policies use unless one has its own. Each share is between 0 and 1 (at most four decimals)
    and the three sum to exactly 1; a refusal names the level (field ``funding_split.<level>``)."""
    unknown = sorted(set(shares) - set(FUNDING_LEVELS))
    if unknown:
        raise ApplicationError(f"三级资金分担：没有资金层级 {'、'.join(unknown)}", field="funding_split")
    split = {level: _share(level, shares.get(level)) for level in FUNDING_LEVELS}
    total = sum(split.values(), Decimal(0))
    if total != 1:
        raise ApplicationError(
            f"三级资金分担：中央、市级、县级份额之和须等于 1，现为 {_plain(total)}", field="funding_split"
        )
    stored = {
        level: f"{share:.2f}" if share == share.quantize(FEN) else _plain(share)
        for level, share in split.items()
    }
    with transaction.atomic():
        draft = _draft_locked(draft, action="修改资金分担比例")
        document = copy.deepcopy(draft.document)
        before = document.get("funding_split")
        document["funding_split"] = stored
        _validated(document, field="funding_split")
        draft.document = document
        draft.save(update_fields=["document", "updated_at"])
        audit_record(
            actor=acting_user,
            action="policy_edition.funding_split_set",
            object_type="policy_edition",
            object_id=draft.edition_id,
            payload={"before": before, "after": stored},
        )
    return draft


def edition_draft_delete(*, acting_user: AbstractBaseUser | None, draft: PolicyEdition) -> None:
    """Delete a draft (never a published edition). A draft another edition is based on stays until
    that one is gone (``based_on`` is PROTECT), as does one any other record refers to. The audit
    entry keeps the deleted document."""
    with transaction.atomic():
        draft = _draft_locked(draft, action="删除")
        dependants = list(
            PolicyEdition.objects.filter(based_on=draft)
            .order_by("edition_id")
            .values_list("edition_id", flat=True)
        )
        if dependants:
            raise ApplicationError(
                f"{draft.edition_id} 是 {'、'.join(dependants)} 的基础版本，不能删除；请先删除基于它的草稿",
                field="edition",
            )
        edition_id = draft.edition_id
        payload = {
            "based_on": draft.based_on.edition_id if draft.based_on else None,
            "effective_from": draft.effective_from.isoformat(),
            "document": draft.document,
        }
        try:
            with transaction.atomic():
                draft.delete()
        except (ProtectedError, RestrictedError):
            raise ApplicationError(f"{edition_id} 已被其他记录引用，不能删除", field="edition") from None
        audit_record(
            actor=acting_user,
            action="policy_edition.draft_delete",
            object_type="policy_edition",
            object_id=edition_id,
            payload=payload,
        )
