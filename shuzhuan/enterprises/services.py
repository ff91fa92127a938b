"""Keeping the registry by hand: an enterprise's fields and its qualifications.

Each write takes ``acting_user`` and an optional ``reason``, runs in one transaction and writes its
audit entry (``object_type="enterprise"``, ``object_id=<uscc>``, ``payload={"before", "after"}``)
in that transaction. Bad input raises ``ApplicationError`` naming the field; when several fields
are wrong, ``extra["errors"]`` lists every ``{"field", "message"}``.

Who may change what is decided above the registry (``shuzhuan.accounts.access``): callers pass
``allowed_towns``, the towns the acting user may keep enterprises in (``access_towns(user)``), or
``None`` for no limit (an operator at the command line). An enterprise outside those towns cannot
be changed, and none can be placed (or moved) outside them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.money import FEN, to_yuan
from shuzhuan.core.text import clean_cell
from shuzhuan.enterprises.imports.parsing import (
    FIRST_QUALIFICATION_YEAR,
    REVENUE_LIMIT,
    CellError,
    IndustryResolver,
    TownResolver,
    is_blank,
    parse_employees,
    parse_status,
)
from shuzhuan.enterprises.models import (
    ENTERPRISE_FIELD_LABELS,
    Enterprise,
    Industry,
    Qualification,
    QualificationType,
    Region,
)
from shuzhuan.enterprises.uscc import uscc_normalize, uscc_validate

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

EDITABLE_FIELDS = tuple(name for name in ENTERPRISE_FIELD_LABELS if name != "uscc")
REASON_MAX = 500  # AuditEntry.reason


# --- cleaning ------------------------------------------------------------------------------


@dataclass
class _Errors:
    items: list[dict[str, str]] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.items.append({"field": name, "message": message})

    def attempt(self, name: str, clean: Any, *args: Any) -> Any:
        """``clean(*args)``, or None with its error noted."""
        try:
            return clean(*args)
        except ApplicationError as exc:
            self.add(exc.field or name, exc.message)
            return None

    def raise_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise ApplicationError(first["message"], field=first["field"], extra={"errors": self.items})


def _allowed_ids(allowed_towns: Iterable[Region] | None) -> set[int] | None:
    return None if allowed_towns is None else {t.pk for t in allowed_towns}


def _clean_name(value: object) -> str:
    name = clean_cell(value)
    if not name:
        raise ApplicationError("企业名称不能为空", field="name")
    if len(name) > 200:
        raise ApplicationError(f"企业名称不能超过200个字（现为{len(name)}个字）", field="name")
    return name


def _clean_town(value: object, *, allowed_ids: set[int] | None) -> Region:
    """A town or street by code, name or alias ("cixi-guanhaiwei", "观海卫镇", "观海卫")."""
    if is_blank(value):
        raise ApplicationError("所属镇（街道）不能为空", field="town")
    resolver = TownResolver(
        list(Region.objects.filter(level=Region.Level.TOWN)),
        list(Region.objects.exclude(level=Region.Level.TOWN)),
    )
    town = resolver.resolve(value)
    if town is None:
        raise ApplicationError(f"未知的镇（街道）：{clean_cell(value)}", field="town")
    if allowed_ids is not None and town.pk not in allowed_ids:
        raise ApplicationError(f"所属镇（街道）“{town.name}”不在您的管辖范围内", field="town")
    return town


def _clean_industry(value: object) -> Industry | None:
    """An industry by code, name or synonym; blank means 未分类."""
    if is_blank(value):
        return None
    found = IndustryResolver(list(Industry.objects.all())).resolve(value)
    if found is None:
        raise ApplicationError(f"未知的行业：{clean_cell(value)}", field="industry")
    return found


def _clean_bool(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise ApplicationError(f"{ENTERPRISE_FIELD_LABELS[name]}应为“是”或“否”", field=name)
    return value


def _clean_employees(value: object) -> int | None:
    try:
        return parse_employees(value)
    except CellError as exc:
        raise ApplicationError(str(exc), field="employees") from None


def _clean_revenue(value: object) -> Decimal | None:
    """Yuan, to the fen. (The pages take 万元 and convert; this is the stored unit.)"""
    if value is None or value == "":
        return None
    if isinstance(value, bool | float):
        raise ApplicationError("营业收入应为精确到分的金额（元）", field="revenue")
    try:
        amount = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError(f"营业收入“{clean_cell(value)}”不是可识别的金额", field="revenue") from None
    if not amount.is_finite():
        raise ApplicationError(f"营业收入“{clean_cell(value)}”不是可识别的金额", field="revenue")
    if amount < 0:
        raise ApplicationError("营业收入不能为负数", field="revenue")
    if amount >= REVENUE_LIMIT:
        raise ApplicationError("营业收入超出合理范围", field="revenue")
    if amount != amount.quantize(FEN, rounding=ROUND_DOWN):
        raise ApplicationError("营业收入最多精确到分（元以下两位小数）", field="revenue")
    return to_yuan(amount)


def _clean_status(value: object) -> str:
    """A status code ("active") or its Chinese word ("存续", "注销", …)."""
    try:
        status = parse_status(value)
    except CellError as exc:
        raise ApplicationError(str(exc), field="status") from None
    if status is None:
        raise ApplicationError("经营状态不能为空", field="status")
    return status


def _clean_reason(value: str) -> str:
    reason = clean_cell(value)
    if len(reason) > REASON_MAX:
        raise ApplicationError(f"说明不能超过{REASON_MAX}个字", field="reason")
    return reason


def _clean_fields(values: Mapping[str, Any], *, allowed_ids: set[int] | None) -> dict[str, Any]:
    """Model attribute values for the given registry fields; every bad one is reported."""
    cleaners = {
        "name": _clean_name,
        "town": lambda v: _clean_town(v, allowed_ids=allowed_ids),
        "industry": _clean_industry,
        "is_sme": lambda v: _clean_bool(v, "is_sme"),
        "above_scale": lambda v: _clean_bool(v, "above_scale"),
        "employees": _clean_employees,
        "revenue": _clean_revenue,
        "has_rd_activity": lambda v: _clean_bool(v, "has_rd_activity"),
        "status": _clean_status,
    }
    errors = _Errors()
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        try:
            cleaned[name] = cleaners[name](value)
        except ApplicationError as exc:
            errors.add(exc.field or name, exc.message)
    errors.raise_any()
    return cleaned


def _require_in_scope(enterprise: Enterprise, allowed_ids: set[int] | None) -> None:
    if allowed_ids is not None and enterprise.town_id not in allowed_ids:
        raise ApplicationError("该企业不在您的管辖范围内，不能修改", field="town")


# --- what the audit entry records ------------------------------------------------------------


def _value(enterprise: Enterprise, name: str) -> Any:
    """A field as the audit trail stores it: codes for towns and industries, yuan as text."""
    if name == "town":
        return enterprise.town.code
    if name == "industry":
        return enterprise.industry.code if enterprise.industry is not None else None
    if name == "revenue":
        return None if enterprise.revenue is None else str(to_yuan(enterprise.revenue))
    return getattr(enterprise, name)


def _snapshot(enterprise: Enterprise) -> dict[str, Any]:
    return {"uscc": enterprise.uscc, **{name: _value(enterprise, name) for name in EDITABLE_FIELDS}}


def _qualification_value(qtype: QualificationType, year: int) -> dict[str, Any]:
    return {"type": qtype.code, "year": year}


# --- enterprises ----------------------------------------------------------------------------


def enterprise_create(
    *,
    acting_user: AbstractBaseUser | None,
    uscc: str,
    name: str,
    town: str,
    allowed_towns: Iterable[Region] | None,
    industry: str | None = None,
    is_sme: bool = True,
    above_scale: bool = False,
    employees: int | None = None,
    revenue: Decimal | None = None,
    has_rd_activity: bool = False,
    status: str = Enterprise.Status.ACTIVE,
    reason: str = "",
) -> Enterprise:
    """Register one enterprise. ``town``/``industry``: code or name; ``revenue``: yuan."""
    allowed_ids = _allowed_ids(allowed_towns)
    errors = _Errors()
    code = errors.attempt("uscc", uscc_validate, uscc) or ""
    cleaned: dict[str, Any] = {}
    try:
        cleaned = _clean_fields(
            {
                "name": name,
                "town": town,
                "industry": industry,
                "is_sme": is_sme,
                "above_scale": above_scale,
                "employees": employees,
                "revenue": revenue,
                "has_rd_activity": has_rd_activity,
                "status": status,
            },
            allowed_ids=allowed_ids,
        )
    except ApplicationError as exc:
        errors.items.extend(exc.extra["errors"])
    reason = errors.attempt("reason", _clean_reason, reason) or ""
    errors.raise_any()

    existing = Enterprise.objects.filter(uscc=code).first()
    if existing is not None:
        raise _duplicate(existing, allowed_ids)
    enterprise = Enterprise(uscc=code, **cleaned)
    try:
        with transaction.atomic():
            enterprise.save(force_insert=True)
            audit_record(
                actor=acting_user,
                action="enterprise.create",
                object_type="enterprise",
                object_id=code,
                reason=reason,
                payload={"before": None, "after": _snapshot(enterprise)},
            )
    except IntegrityError:  # registered by someone else a moment ago
        existing = Enterprise.objects.filter(uscc=code).first()
        if existing is None:
            raise
        raise _duplicate(existing, allowed_ids) from None
    return enterprise


def _duplicate(existing: Enterprise, allowed_ids: set[int] | None) -> ApplicationError:
    """Name the registered enterprise only to someone allowed to see it."""
    if allowed_ids is None or existing.town_id in allowed_ids:
        message = f"统一社会信用代码 {existing.uscc} 已登记为“{existing.name}”，请直接修改该企业"
    else:
        message = (
            f"统一社会信用代码 {existing.uscc} 已在企业库中登记（不在您的管辖范围内），如有疑问请联系经信局"
        )
    return ApplicationError(message, field="uscc")


def enterprise_update(
    *,
    acting_user: AbstractBaseUser | None,
    enterprise: Enterprise,
    changes: Mapping[str, Any],
    allowed_towns: Iterable[Region] | None,
    reason: str = "",
) -> Enterprise:
    """Change some registry fields (the keys of ``changes``, see ``EDITABLE_FIELDS``).

    The USCC identifies the enterprise and never changes: a ``"uscc"`` key is accepted only with
    the enterprise's own code. Unchanged values are not written; no change, no audit entry.
    Returns the enterprise as stored.
    """
    allowed_ids = _allowed_ids(allowed_towns)
    unknown = sorted(set(changes) - {*EDITABLE_FIELDS, "uscc"})
    if unknown:
        raise ApplicationError(f"不能修改的字段：{'、'.join(unknown)}", field=unknown[0])
    if "uscc" in changes and uscc_normalize(changes["uscc"]) != enterprise.uscc:
        raise ApplicationError(
            f"统一社会信用代码是企业的唯一标识，登记后不能修改（本企业为 {enterprise.uscc}）；"
            "如确属登记错误，请新增正确的企业并将本企业状态改为“注销”",
            field="uscc",
        )
    _require_in_scope(enterprise, allowed_ids)
    cleaned = _clean_fields({k: v for k, v in changes.items() if k != "uscc"}, allowed_ids=allowed_ids)
    reason = _clean_reason(reason)

    with transaction.atomic():
        current = (
            Enterprise.objects.select_for_update(of=("self",))
            .select_related("town", "industry")
            .get(pk=enterprise.pk)
        )
        _require_in_scope(current, allowed_ids)
        before = _snapshot(current)
        for name, value in cleaned.items():
            setattr(current, name, value)
        after = _snapshot(current)
        changed = [name for name in EDITABLE_FIELDS if before[name] != after[name]]
        if changed:
            current.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=acting_user,
                action="enterprise.update",
                object_type="enterprise",
                object_id=current.uscc,
                reason=reason,
                payload={
                    "before": {name: before[name] for name in changed},
                    "after": {name: after[name] for name in changed},
                },
            )
    return current


# --- qualifications -------------------------------------------------------------------------


def _qualification_type(value: str) -> QualificationType:
    text = clean_cell(value)
    if not text:
        raise ApplicationError("请选择资质类型", field="type")
    found = QualificationType.objects.filter(Q(code=text) | Q(name=text)).first()
    if found is None:
        raise ApplicationError(f"未知的资质类型：{text}", field="type")
    return found


def qualification_year_range() -> tuple[int, int]:
    """Years a qualification may be recorded for: from 1990 to next year (announced ahead)."""
    return FIRST_QUALIFICATION_YEAR, timezone.localdate().year + 1


def _qualification_year(value: object) -> int:
    first, last = qualification_year_range()
    if isinstance(value, bool) or not isinstance(value, int):
        raise ApplicationError("资质年度应为四位数年份", field="year")
    if not first <= value <= last:
        raise ApplicationError(f"资质年度应在{first}—{last}年之间（填写的是{value}）", field="year")
    return value


def qualification_add(
    *,
    acting_user: AbstractBaseUser | None,
    enterprise: Enterprise,
    type: str,  # the qualification code, as in the glossary, the API and imports
    year: int,
    allowed_towns: Iterable[Region] | None,
    reason: str = "",
) -> Qualification:
    """Record that ``enterprise`` holds qualification ``type`` (code or name) for ``year``."""
    allowed_ids = _allowed_ids(allowed_towns)
    _require_in_scope(enterprise, allowed_ids)
    errors = _Errors()
    qtype: QualificationType = errors.attempt("type", _qualification_type, type)
    number: int = errors.attempt("year", _qualification_year, year)
    reason = errors.attempt("reason", _clean_reason, reason) or ""
    errors.raise_any()
    duplicate = ApplicationError(f"该企业已登记{number}年度的“{qtype.name}”，不能重复添加", field="type")
    if Qualification.objects.filter(enterprise=enterprise, type=qtype, year=number).exists():
        raise duplicate
    try:
        with transaction.atomic():
            qualification = Qualification.objects.create(enterprise=enterprise, type=qtype, year=number)
            audit_record(
                actor=acting_user,
                action="qualification.add",
                object_type="enterprise",
                object_id=enterprise.uscc,
                reason=reason,
                payload={"before": None, "after": _qualification_value(qtype, number)},
            )
    except IntegrityError:  # added by someone else a moment ago
        raise duplicate from None
    return qualification


def qualification_remove(
    *,
    acting_user: AbstractBaseUser | None,
    enterprise: Enterprise,
    type: str,  # the qualification code, as in the glossary, the API and imports
    year: int,
    allowed_towns: Iterable[Region] | None,
    reason: str = "",
) -> None:
    """Remove a qualification recorded in error. The audit entry keeps what it was."""
    _require_in_scope(enterprise, _allowed_ids(allowed_towns))
    qtype = _qualification_type(type)
    number = _qualification_year(year)
    reason = _clean_reason(reason)
    with transaction.atomic():
        deleted, _ = Qualification.objects.filter(enterprise=enterprise, type=qtype, year=number).delete()
        if not deleted:
            raise ApplicationError(f"该企业没有{number}年度的“{qtype.name}”资质记录", field="type")
        audit_record(
            actor=acting_user,
            action="qualification.remove",
            object_type="enterprise",
            object_id=enterprise.uscc,
            reason=reason,
            payload={"before": _qualification_value(qtype, number), "after": None},
        )
