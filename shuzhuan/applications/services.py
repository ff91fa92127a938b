"""Writes over batches and applications. Every service takes ``acting_user``, runs in one
transaction and records an audit entry in it; status moves go through
``shuzhuan.applications.workflow.application_transition``. Refusals are ApplicationErrors that name
the field. Approval, public-notice revocation and payment live in ``shuzhuan.funds.services``
(they move money as well as status).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import (
    ENDED,
    Application,
    ExpertReview,
    Invoice,
    Material,
    Objection,
    PolicyBatch,
    Status,
)
from shuzhuan.applications.scoring import SCORING_SHEET, score_total
from shuzhuan.applications.workflow import application_in_scope, application_transition
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_built
from shuzhuan.rules.case import Case, EnterpriseFacts, ProjectFacts
from shuzhuan.rules.explain import Explanation, explain_in
from shuzhuan.rules.fields import FUNDING_LEVELS, PROJECT_KINDS

FEN = Decimal("0.01")
EDITABLE = frozenset({Status.DRAFT, Status.RETURNED})
# Invoices may be entered until acceptance is requested.
INVOICE_EDITABLE = frozenset({Status.DRAFT, Status.RETURNED, Status.INCLUDED, Status.IMPLEMENTING})
MATERIAL_TYPES = {
    "application/pdf": "PDF",
    "image/jpeg": "JPEG 图片",
    "image/png": "PNG 图片",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel (.xlsx)",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word (.docx)",
}
LEVEL_NAMES = {"central": "中央", "city": "宁波", "county": "慈溪"}


# --- helpers -----------------------------------------------------------------------------------


def money(value: Any, *, field: str, label: str, allow_none: bool = False) -> Decimal | None:
    """A non-negative yuan amount with at most two decimals, from a number or text ("1,234.50")."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if allow_none:
            return None
        raise ApplicationError(f"请填写{label}", field=field)
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        raise ApplicationError(f"{label}必须是数字", field=field) from None
    if not amount.is_finite():
        raise ApplicationError(f"{label}必须是数字", field=field)
    if amount < 0:
        raise ApplicationError(f"{label}不能为负数", field=field)
    if amount != amount.quantize(FEN):
        raise ApplicationError(f"{label}最多两位小数（元、角、分）", field=field)
    if amount >= Decimal("1e12"):
        raise ApplicationError(f"{label}超出合理范围", field=field)
    return amount.quantize(FEN)


def funding_split_clean(split: Mapping[str, Any], *, field: str = "funding_split") -> dict[str, str]:
    """Three shares (central, city, county), each 0–1, summing to exactly 1."""
    unknown = set(split) - set(FUNDING_LEVELS)
    if unknown:
        raise ApplicationError(f"未知的资金层级：{'、'.join(sorted(unknown))}", field=field)
    clean: dict[str, str] = {}
    total = Decimal(0)
    for level in FUNDING_LEVELS:
        try:
            share = Decimal(str(split.get(level, "0")).strip() or "0")
        except InvalidOperation:
            raise ApplicationError(
                f"{LEVEL_NAMES[level]}分担比例必须是数字", field=f"{field}.{level}"
            ) from None
        if not share.is_finite() or share < 0 or share > 1:
            raise ApplicationError(f"{LEVEL_NAMES[level]}分担比例应在 0 与 1 之间", field=f"{field}.{level}")
        clean[level] = format(share.normalize(), "f")
        total += share
    if total != 1:
        raise ApplicationError(
            f"三级资金分担比例之和应为 1（现为 {format(total.normalize(), 'f')}）", field=field
        )
    return clean


def _require_role(user: User | None, roles: Iterable[Role], what: str) -> None:
    if user is not None and (not user.is_active or user.role not in set(roles)):
        raise ApplicationError(f"您无权{what}", field="user")


def _require_scope(user: User | None, application: Application, what: str) -> None:
    if user is not None and not application_in_scope(user, application):
        raise ApplicationError(f"您无权{what}", field="application")


def _locked(application: Application) -> Application:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of an outer join (industry).
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise__town", "enterprise__industry", "batch__edition")
        .get(pk=application.pk)
    )


# --- batches -----------------------------------------------------------------------------------


def batch_create(
    *,
    acting_user: User | None,
    code: str,
    name: str,
    edition: PolicyEdition,
    policy_ids: list[str],
    year: int,
    opens_on: dt.date,
    closes_on: dt.date,
    region: Region,
    funding_split: Mapping[str, Any] | None = None,
    required_materials: list[dict[str, Any]] | None = None,
    notice_days: int = 7,
) -> PolicyBatch:
    _require_role(acting_user, {Role.BUREAU_OFFICER}, "创建申报批次")
    code = (code or "").strip().lower()
    if not code:
        raise ApplicationError("请填写批次编号", field="code")
    if not (name or "").strip():
        raise ApplicationError("请填写批次名称", field="name")
    if edition.status != PolicyEdition.Status.PUBLISHED:
        raise ApplicationError(f"政策版本 {edition.edition_id} 尚未发布", field="edition")
    built = edition_built(edition)
    known = {p.id for p in built.policies}
    if not policy_ids:
        raise ApplicationError("请至少选择一项政策", field="policy_ids")
    unknown = [p for p in policy_ids if p not in known]
    if unknown:
        raise ApplicationError(
            f"政策版本 {edition.edition_id} 中没有 {'、'.join(unknown)}", field="policy_ids"
        )
    if closes_on < opens_on:
        raise ApplicationError("申报截止日期不能早于开始日期", field="closes_on")
    if not 1 <= notice_days <= 60:
        raise ApplicationError("公示天数应在 1 到 60 天之间", field="notice_days")
    split = funding_split_clean(funding_split or {k: str(v) for k, v in built.funding_split.items()})
    materials = []
    for i, m in enumerate(required_materials or []):
        if not str(m.get("code", "")).strip() or not str(m.get("label", "")).strip():
            raise ApplicationError(f"第 {i + 1} 项申报材料缺少编号或名称", field="required_materials")
        materials.append(
            {
                "code": str(m["code"]).strip(),
                "label": str(m["label"]).strip(),
                "required": bool(m.get("required", True)),
            }
        )
    with transaction.atomic():
        if PolicyBatch.objects.filter(code=code).exists():
            raise ApplicationError(f"批次编号 {code} 已存在", field="code")
        batch = PolicyBatch.objects.create(
            code=code,
            name=name.strip(),
            edition=edition,
            policy_ids=list(policy_ids),
            year=year,
            opens_on=opens_on,
            closes_on=closes_on,
            region=region,
            funding_split=split,
            required_materials=materials,
            notice_days=notice_days,
            status=PolicyBatch.Status.DRAFT,
            created_by=acting_user,
        )
        audit_record(
            actor=acting_user,
            action="batch.create",
            object_type="policy_batch",
            object_id=code,
            payload={"edition": edition.edition_id, "policies": policy_ids, "funding_split": split},
        )
    return batch


def batch_set_status(*, acting_user: User | None, batch: PolicyBatch, status: str) -> PolicyBatch:
    """Open or close a batch for applications."""
    _require_role(acting_user, {Role.BUREAU_OFFICER}, "开放或截止申报批次")
    if status not in PolicyBatch.Status.values:
        raise ApplicationError(f"未知的批次状态：{status}", field="status")
    with transaction.atomic():
        batch = PolicyBatch.objects.select_for_update().get(pk=batch.pk)
        before = batch.status
        batch.status = status
        batch.save(update_fields=["status", "updated_at"])
        audit_record(
            actor=acting_user,
            action="batch.status",
            object_type="policy_batch",
            object_id=batch.code,
            payload={"from": before, "to": status},
        )
    return batch


# --- the application form ----------------------------------------------------------------------


def _clean_kinds(kinds: Iterable[str]) -> list[str]:
    values = sorted({str(k).strip() for k in kinds if str(k).strip()})
    bad = [k for k in values if k not in PROJECT_KINDS]
    if bad:
        raise ApplicationError(f"未知的项目类型：{'、'.join(bad)}", field="kinds")
    return values


def _project_fields(data: Mapping[str, Any], *, require_project: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "project_name" in data:
        name = str(data["project_name"] or "").strip()
        if not name:
            raise ApplicationError("请填写项目名称", field="project_name")
        fields["project_name"] = name[:200]
    if "project_summary" in data:
        fields["project_summary"] = str(data["project_summary"] or "").strip()
    if "kinds" in data:
        fields["kinds"] = _clean_kinds(data["kinds"] or [])
        if require_project and not fields["kinds"]:
            raise ApplicationError("请至少选择一种项目类型", field="kinds")
    if "in_pilot_plan" in data:
        fields["in_pilot_plan"] = bool(data["in_pilot_plan"])
    if "declared_investment" in data:
        fields["declared_investment"] = money(
            data["declared_investment"],
            field="declared_investment",
            label="申报投入额",
            allow_none=not require_project,
        ) or Decimal("0.00")
    return fields


def application_create(
    *,
    acting_user: User | None,
    batch: PolicyBatch,
    policy_id: str,
    enterprise: Enterprise,
    data: Mapping[str, Any],
    today: dt.date | None = None,
) -> Application:
    """A draft application of ``enterprise`` under one policy of ``batch``."""
    today = today or timezone.localdate()
    if acting_user is not None:
        _require_role(acting_user, {Role.ENTERPRISE}, "代企业填报申报")
        if acting_user.enterprise_id != enterprise.pk:
            raise ApplicationError("只能为本企业填报申报", field="enterprise")
    if batch.status != PolicyBatch.Status.OPEN or not batch.opens_on <= today <= batch.closes_on:
        raise ApplicationError(
            f"批次“{batch.name}”不在申报期内（{batch.opens_on} 至 {batch.closes_on}）", field="batch"
        )
    if policy_id not in batch.policy_ids:
        raise ApplicationError(f"批次“{batch.name}”不受理政策 {policy_id}", field="policy_id")
    if enterprise.status != Enterprise.Status.ACTIVE:
        raise ApplicationError("企业经营状态不是存续，不能申报", field="enterprise")
    scope = edition_built(batch.edition).policy(policy_id).scope
    fields = _project_fields(
        {"kinds": [], "in_pilot_plan": False, "project_summary": "", **data},
        require_project=scope == "project",
    )
    if "project_name" not in fields:
        if scope == "project":
            raise ApplicationError("请填写项目名称", field="project_name")
        fields["project_name"] = edition_built(batch.edition).policy(policy_id).title
    fields.setdefault("declared_investment", Decimal("0.00"))
    try:
        with transaction.atomic():
            if (
                Application.objects.filter(enterprise=enterprise, batch=batch, policy_id=policy_id)
                .exclude(status__in=ENDED)
                .exists()
            ):
                raise ApplicationError(
                    "本企业在该批次已有此项政策的申报，请继续办理原申报", field="policy_id"
                )
            app = Application.objects.create(
                batch=batch,
                policy_id=policy_id,
                enterprise=enterprise,
                number=f"tmp-{uuid.uuid4().hex[:24]}",
                created_by=acting_user,
                **fields,
            )
            app.number = f"SB{batch.year}{app.pk:06d}"
            app.save(update_fields=["number"])
            audit_record(
                actor=acting_user,
                action="application.create",
                object_type="application",
                object_id=app.number,
                payload={"batch": batch.code, "policy": policy_id, "enterprise": enterprise.uscc},
            )
    except IntegrityError:  # a concurrent create won the unique constraint
        raise ApplicationError(
            "本企业在该批次已有此项政策的申报，请继续办理原申报", field="policy_id"
        ) from None
    return app


def application_update(
    *, acting_user: User | None, application: Application, data: Mapping[str, Any]
) -> Application:
    """Change the form while it is a draft or returned for correction."""
    with transaction.atomic():
        app = _locked(application)
        _require_scope(acting_user, app, "修改该申报")
        _require_role(acting_user, {Role.ENTERPRISE}, "修改企业的申报内容")
        if app.status not in EDITABLE:
            raise ApplicationError(f"申报当前状态为“{app.get_status_display()}”，不能修改", field="status")
        scope = edition_built(app.batch.edition).policy(app.policy_id).scope
        fields = _project_fields(data, require_project=scope == "project")
        changed = {k: v for k, v in fields.items() if getattr(app, k) != v}
        for k, v in changed.items():
            setattr(app, k, v)
        if changed:
            app.save(update_fields=[*changed, "updated_at"])
            audit_record(
                actor=acting_user,
                action="application.update",
                object_type="application",
                object_id=app.number,
                payload={"fields": sorted(changed)},
            )
    return app


# --- the engine's view of an application -------------------------------------------------------


def application_case(application: Application, *, estimate: bool = False) -> Case:
    """The application as the policy engine sees it. ``estimate``: before acceptance, as if the
    declared investment were verified and the project accepted (the pre-check's estimate)."""
    from shuzhuan.applications.selectors import rewards_received
    from shuzhuan.policies.selectors import edition_rulebook

    e = application.enterprise
    quals = frozenset(e.qualifications.values_list("type__code", flat=True))
    received = rewards_received(rulebook=edition_rulebook(), enterprise_ids={e.pk}).get(e.pk, set())
    accepted = application.status in {
        Status.ACCEPTED,
        Status.APPROVED,
        Status.PUBLIC_NOTICE,
        Status.DISBURSING,
        Status.CLOSED,
    }
    verified = application.verified_investment
    if estimate and verified is None:
        verified, accepted = application.declared_investment, True
    return Case(
        as_of=application.accepted_on or timezone.localdate(),
        enterprise=EnterpriseFacts(
            uscc=e.uscc,
            industry=e.industry.code if e.industry else None,
            is_sme=e.is_sme,
            above_scale=e.above_scale,
            qualifications=quals,
            rewards_received=frozenset(received),
        ),
        project=ProjectFacts(
            kinds=frozenset(application.kinds or []),
            in_pilot_plan=application.in_pilot_plan,
            accepted=accepted,
            declared_investment=application.declared_investment,
            verified_investment=verified,
        ),
    )


def application_explain(application: Application, *, estimate: bool = False) -> Explanation:
    return explain_in(
        edition_built(application.batch.edition), application_case(application, estimate=estimate)
    )


def application_precheck(application: Application) -> dict[str, Any]:
    """What the enterprise sees before submitting: the estimated ceiling of its policy (from the
    declared investment), the policy's unmet conditions, and what is still missing."""
    x = application_explain(application, estimate=True)
    result = next(r for r in x.results if r.policy.id == application.policy_id)
    missing: list[str] = []
    have = set(application.materials.values_list("kind", flat=True))
    for m in application.batch.required_materials:
        if m.get("required", True) and m["code"] not in have:
            missing.append(f"缺少申报材料：{m['label']}")
    if result.policy.scope == "project" and not application.invoices.exists():
        missing.append("尚未录入发票（验收前须录入）")
    better = None
    if (
        x.best is not None
        and x.best.policy.id != application.policy_id
        and x.best.ceiling is not None
        and (result.ceiling is None or x.best.ceiling > result.ceiling)
    ):
        better = {"policy": x.best.policy.id, "title": x.best.policy.title, "ceiling": x.best.ceiling}
    return {
        "policy": result.policy,
        "eligible": result.eligible,
        "ceiling": result.ceiling,
        "steps": result.steps,
        "unmet": list(result.unmet),
        "missing": missing,
        "better": better,
        "edition": x.edition.id,
    }


# --- invoices and materials --------------------------------------------------------------------


def invoice_add(
    *,
    acting_user: User | None,
    application: Application,
    number: str,
    issued_on: dt.date | None,
    amount: Any,
    seller: str = "",
) -> Invoice:
    number = "".join(str(number or "").split())
    if not re.fullmatch(r"[0-9A-Za-z]{1,32}", number):
        raise ApplicationError("发票号码应为不超过 32 位的数字或字母", field="number")
    if issued_on is None:
        raise ApplicationError("请填写开票日期", field="issued_on")
    if issued_on > timezone.localdate():
        raise ApplicationError("开票日期不能晚于今天", field="issued_on")
    value = money(amount, field="amount", label="发票金额")
    if value is None or value <= 0:
        raise ApplicationError("发票金额应大于 0", field="amount")
    with transaction.atomic():
        app = _locked(application)
        _require_scope(acting_user, app, "为该申报录入发票")
        _require_role(acting_user, {Role.ENTERPRISE}, "录入企业发票")
        if app.status not in INVOICE_EDITABLE:
            raise ApplicationError(
                f"申报当前状态为“{app.get_status_display()}”，不能录入发票", field="status"
            )
        if app.invoices.filter(number=number).exists():
            raise ApplicationError(f"发票 {number} 已录入", field="number")
        invoice = Invoice.objects.create(
            application=app,
            number=number,
            issued_on=issued_on,
            amount=value,
            seller=(seller or "").strip()[:200],
        )
        audit_record(
            actor=acting_user,
            action="invoice.add",
            object_type="application",
            object_id=app.number,
            payload={"number": number, "issued_on": issued_on.isoformat(), "amount": str(value)},
        )
    return invoice


def invoice_remove(*, acting_user: User | None, invoice: Invoice) -> None:
    with transaction.atomic():
        app = _locked(invoice.application)
        _require_scope(acting_user, app, "删除该申报的发票")
        _require_role(acting_user, {Role.ENTERPRISE}, "删除企业发票")
        if app.status not in INVOICE_EDITABLE:
            raise ApplicationError(
                f"申报当前状态为“{app.get_status_display()}”，不能删除发票", field="status"
            )
        audit_record(
            actor=acting_user,
            action="invoice.remove",
            object_type="application",
            object_id=app.number,
            payload={"number": invoice.number, "amount": str(invoice.amount)},
        )
        invoice.delete()


def _materials_dir() -> Path:
    return Path(settings.MATERIALS_DIR)


def material_path(material: Material) -> Path:
    return _materials_dir() / material.storage_name


def material_upload(
    *, acting_user: User | None, application: Application, kind: str, upload: UploadedFile
) -> Material:
    """Store one file outside the web root after checking its type by content and its size."""
    limit = settings.SHUZHUAN_MATERIAL_MAX_BYTES
    if upload.size is None or upload.size == 0:
        raise ApplicationError("文件是空的", field="file")
    if upload.size > limit:
        raise ApplicationError(f"文件超过 {limit // (1024 * 1024)} MB 的上限", field="file")
    kind = (kind or "").strip()
    known = {m["code"]: m["label"] for m in application.batch.required_materials}
    if kind not in known and kind != "other":
        raise ApplicationError(f"未知的材料类型：{kind}", field="kind")
    head = upload.read(8192)
    upload.seek(0)
    guessed = filetype.guess(head) if len(head) < 8192 else None
    if guessed is None:
        data = upload.read()
        upload.seek(0)
        guessed = filetype.guess(data)
    content_type = guessed.mime if guessed else ""
    if content_type not in MATERIAL_TYPES:
        raise ApplicationError(
            "只接受 PDF、JPEG/PNG 图片、Excel (.xlsx) 和 Word (.docx) 文件（按文件内容识别）", field="file"
        )
    digest = hashlib.sha256()
    storage_name = f"{uuid.uuid4().hex[:2]}/{uuid.uuid4().hex}.{guessed.extension if guessed else 'bin'}"
    target = _materials_dir() / storage_name
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    try:
        with transaction.atomic():
            app = _locked(application)
            _require_scope(acting_user, app, "为该申报上传材料")
            _require_role(acting_user, {Role.ENTERPRISE, Role.BUREAU_OFFICER}, "上传申报材料")
            if app.status in ENDED:
                raise ApplicationError("申报已结束，不能再上传材料", field="status")
            material = Material.objects.create(
                application=app,
                kind=kind,
                original_name=(upload.name or "file")[-255:],
                content_type=content_type,
                size=upload.size,
                sha256=digest.hexdigest(),
                storage_name=storage_name,
                uploaded_by=acting_user,
            )
            audit_record(
                actor=acting_user,
                action="material.upload",
                object_type="application",
                object_id=app.number,
                payload={"kind": kind, "name": material.original_name, "sha256": material.sha256},
            )
    except Exception:
        target.unlink(missing_ok=True)
        raise
    return material


# --- moves that record more than the status ----------------------------------------------------


def application_submit(
    *, acting_user: User | None, application: Application, declaration: bool, today: dt.date | None = None
) -> Application:
    today = today or timezone.localdate()
    if not declaration:
        raise ApplicationError("请勾选承诺：申报信息真实、完整、有效", field="declaration")
    with transaction.atomic():
        app = _locked(application)
        _require_scope(acting_user, app, "提交该申报")
        batch = app.batch
        if app.status == Status.DRAFT and not batch.opens_on <= today <= batch.closes_on:
            raise ApplicationError(f"批次“{batch.name}”已不在申报期内", field="batch")
        have = set(app.materials.values_list("kind", flat=True))
        lacking = [
            m["label"] for m in batch.required_materials if m.get("required", True) and m["code"] not in have
        ]
        if lacking:
            raise ApplicationError(f"尚缺申报材料：{'、'.join(lacking)}", field="materials")
        app.declaration_accepted = True
        app.submitted_at = timezone.now()
        app.save(update_fields=["declaration_accepted", "submitted_at", "updated_at"])
        return application_transition(
            acting_user=acting_user, application=app, action="submit", via_service=True
        )


def application_move(
    *, acting_user: User | None, application: Application, action: str, reason: str = ""
) -> Application:
    """A plain move (no extra fields): withdraw, town pre-review, formal review, exclude, start,
    acceptance failure."""
    return application_transition(
        acting_user=acting_user, application=application, action=action, reason=reason
    )


def expert_assign(
    *, acting_user: User | None, application: Application, experts: Iterable[User]
) -> list[ExpertReview]:
    _require_role(acting_user, {Role.BUREAU_OFFICER}, "指派评审专家")
    experts = list(experts)
    if not experts:
        raise ApplicationError("请至少选择一位专家", field="experts")
    with transaction.atomic():
        app = _locked(application)
        _require_scope(acting_user, app, "为该申报指派专家")
        if app.status != Status.EXPERT_REVIEW:
            raise ApplicationError("只有处于专家评审阶段的申报可以指派专家", field="status")
        reviews = []
        for expert in experts:
            if expert.role != Role.EXPERT or not expert.is_active:
                raise ApplicationError(f"{expert.username} 不是在册专家", field="experts")
            review, created = ExpertReview.objects.get_or_create(
                application=app, expert=expert, defaults={"assigned_by": acting_user}
            )
            if created:
                reviews.append(review)
        audit_record(
            actor=acting_user,
            action="application.expert_assign",
            object_type="application",
            object_id=app.number,
            payload={"experts": [r.expert.username for r in reviews]},
        )
    return reviews


def expert_review_submit(
    *,
    acting_user: User | None,
    review: ExpertReview,
    no_conflict: bool,
    conflict_reason: str = "",
    scores: Mapping[str, Any] | None = None,
    comment: str = "",
) -> ExpertReview:
    """An expert declares a conflict of interest (and is recused) or scores the sheet."""
    with transaction.atomic():
        review = ExpertReview.objects.select_for_update().select_related("application").get(pk=review.pk)
        if acting_user is not None and acting_user.pk != review.expert_id:
            raise ApplicationError("只能提交指派给自己的评审", field="review")
        if review.submitted_at is not None:
            raise ApplicationError("该评审已提交，不能修改", field="review")
        if review.application.status != Status.EXPERT_REVIEW:
            raise ApplicationError("该申报已不在专家评审阶段", field="status")
        if not no_conflict:
            if not conflict_reason.strip():
                raise ApplicationError("声明存在利益冲突时请说明回避理由", field="conflict_reason")
            review.conflict_reason = conflict_reason.strip()
            review.scores, review.total = {}, None
        else:
            review.no_conflict_declared = True
            review.scores, review.total = score_total(scores or {})
        review.comment = comment.strip()
        review.submitted_at = timezone.now()
        review.save()
        audit_record(
            actor=acting_user,
            action="expert_review.submit",
            object_type="application",
            object_id=review.application.number,
            payload={"expert": review.expert_id, "recused": not no_conflict, "total": review.total},
        )
    return review


def application_include(*, acting_user: User | None, application: Application) -> Application:
    """入库: every assigned expert has submitted, at least one scored; the aggregate is the mean."""
    with transaction.atomic():
        app = _locked(application)
        reviews = list(app.expert_reviews.all())
        if not reviews:
            raise ApplicationError("尚未指派评审专家", field="experts")
        pending = [r for r in reviews if r.submitted_at is None]
        if pending:
            raise ApplicationError(f"还有 {len(pending)} 位专家未提交评审", field="experts")
        scored = [r.total for r in reviews if r.total is not None]
        if not scored:
            raise ApplicationError("所有专家均已回避，请另行指派专家", field="experts")
        app.expert_score = (sum(scored, Decimal(0)) / len(scored)).quantize(FEN)
        app.save(update_fields=["expert_score", "updated_at"])
        return application_transition(
            acting_user=acting_user,
            application=app,
            action="include",
            via_service=True,
            payload={"expert_score": str(app.expert_score), "experts": len(scored)},
        )


def application_request_acceptance(*, acting_user: User | None, application: Application) -> Application:
    with transaction.atomic():
        app = _locked(application)
        if not app.invoices.exists():
            raise ApplicationError("申请验收前请录入项目发票", field="invoices")
        return application_transition(
            acting_user=acting_user, application=app, action="request_acceptance", via_service=True
        )


def application_accept(
    *,
    acting_user: User | None,
    application: Application,
    verified_investment: Any,
    notes: str,
    accepted_on: dt.date | None = None,
) -> Application:
    """验收通过: record the verified investment and the inspection notes, and the ceiling the
    engine computes from them under the batch's edition."""
    verified = money(verified_investment, field="verified_investment", label="核定投入额")
    if not (notes or "").strip():
        raise ApplicationError("请填写验收意见", field="notes")
    accepted_on = accepted_on or timezone.localdate()
    if accepted_on > timezone.localdate():
        raise ApplicationError("验收日期不能晚于今天", field="accepted_on")
    with transaction.atomic():
        app = _locked(application)
        if verified is not None and verified > app.declared_investment:
            raise ApplicationError("核定投入额不能高于申报投入额", field="verified_investment")
        app = application_transition(
            acting_user=acting_user,
            application=app,
            action="accept",
            via_service=True,
            payload={"verified_investment": str(verified), "accepted_on": accepted_on.isoformat()},
        )
        app.verified_investment = verified
        app.acceptance_notes = notes.strip()
        app.accepted_on = accepted_on
        x = application_explain(app)
        result = next(r for r in x.results if r.policy.id == app.policy_id)
        app.ceiling = result.ceiling if result.eligible else Decimal("0.00")
        app.ceiling_edition = x.edition.id
        app.save(
            update_fields=[
                "verified_investment",
                "acceptance_notes",
                "accepted_on",
                "ceiling",
                "ceiling_edition",
                "updated_at",
            ]
        )
    return app


def application_start_notice(
    *, acting_user: User | None, application: Application, starts_on: dt.date | None = None
) -> Application:
    starts_on = starts_on or timezone.localdate()
    with transaction.atomic():
        app = _locked(application)
        app = application_transition(
            acting_user=acting_user,
            application=app,
            action="start_notice",
            via_service=True,
            payload={"starts_on": starts_on.isoformat(), "days": app.batch.notice_days},
        )
        app.notice_starts_on = starts_on
        app.notice_ends_on = starts_on + dt.timedelta(days=app.batch.notice_days - 1)
        app.save(update_fields=["notice_starts_on", "notice_ends_on", "updated_at"])
    return app


def objection_record(
    *, acting_user: User | None, application: Application, content: str, received_on: dt.date | None = None
) -> Objection:
    _require_role(acting_user, {Role.BUREAU_OFFICER}, "登记公示异议")
    if not (content or "").strip():
        raise ApplicationError("请填写异议内容", field="content")
    with transaction.atomic():
        app = _locked(application)
        _require_scope(acting_user, app, "登记该申报的异议")
        if app.status != Status.PUBLIC_NOTICE:
            raise ApplicationError("只有公示中的申报可以登记异议", field="status")
        objection = Objection.objects.create(
            application=app,
            content=content.strip(),
            received_on=received_on or timezone.localdate(),
            recorded_by=acting_user,
        )
        audit_record(
            actor=acting_user,
            action="objection.record",
            object_type="application",
            object_id=app.number,
            payload={"objection": objection.pk},
        )
    return objection


def objection_resolve(
    *, acting_user: User | None, objection: Objection, upheld: bool, resolution: str
) -> Objection:
    _require_role(acting_user, {Role.BUREAU_OFFICER}, "处理公示异议")
    if not (resolution or "").strip():
        raise ApplicationError("请填写处理结果", field="resolution")
    with transaction.atomic():
        objection = Objection.objects.select_for_update().select_related("application").get(pk=objection.pk)
        _require_scope(acting_user, objection.application, "处理该申报的异议")
        if objection.resolved_at is not None:
            raise ApplicationError("该异议已处理", field="objection")
        objection.upheld = upheld
        objection.resolution = resolution.strip()
        objection.resolved_by = acting_user
        objection.resolved_at = timezone.now()
        objection.save()
        audit_record(
            actor=acting_user,
            action="objection.resolve",
            object_type="application",
            object_id=objection.application.number,
            payload={"objection": objection.pk, "upheld": upheld},
        )
    return objection


def application_start_disbursement(
    *, acting_user: User | None, application: Application, today: dt.date | None = None
) -> Application:
    """公示期满、异议均已处理且不成立 → 兑现中."""
    today = today or timezone.localdate()
    with transaction.atomic():
        app = _locked(application)
        if app.notice_ends_on is None or today <= app.notice_ends_on:
            raise ApplicationError(
                f"公示期至 {app.notice_ends_on} 结束，期满后方可兑现", field="notice_ends_on"
            )
        if app.objections.filter(Q(resolved_at__isnull=True) | Q(upheld=True)).exists():
            raise ApplicationError("公示异议尚未处理完毕或有异议成立，不能兑现", field="objections")
        return application_transition(
            acting_user=acting_user, application=app, action="start_disbursement", via_service=True
        )


__all__ = [
    "LEVEL_NAMES",
    "MATERIAL_TYPES",
    "SCORING_SHEET",
    "application_accept",
    "application_case",
    "application_create",
    "application_explain",
    "application_include",
    "application_move",
    "application_precheck",
    "application_request_acceptance",
    "application_start_disbursement",
    "application_start_notice",
    "application_submit",
    "application_update",
    "batch_create",
    "batch_set_status",
    "expert_assign",
    "expert_review_submit",
    "funding_split_clean",
    "invoice_add",
    "invoice_remove",
    "material_path",
    "material_upload",
    "money",
    "objection_record",
    "objection_resolve",
]
