"""申报 as JSON: batches, applications, their moves, invoices — beside the pages, under the same rules.

Mounted at /api/batches and /api/applications (shuzhuan/api.py). Every handler is thin: the role
is ``access_require`` (or the ``TRANSITIONS`` table's roles for a move), the scope is
``application_queryset_for`` — an application outside it is a 404, as if there were none — and
``shuzhuan.applications.services`` / ``shuzhuan.funds.services`` decide what is valid; their
refusal is a 400 naming the field (shuzhuan/api.py). Amounts go out as strings with two decimals
and come in as numbers or strings (``"800000"``, ``"1,234.50"``), checked by the services.
"""

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from shuzhuan.accounts.access import Perm, access_has, access_require, access_scope_region
from shuzhuan.accounts.models import User
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, Invoice, Material, PolicyBatch, StatusChange
from shuzhuan.applications.selectors import (
    ApplicationFilter,
    application_filter,
    application_queryset_for,
    batch_list,
    batches_open_for,
)
from shuzhuan.applications.workflow import TRANSITIONS, Transition, transitions_from
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.money import to_yuan
from shuzhuan.core.schemas import AMOUNT_HELP, AmountIn, Yuan
from shuzhuan.funds.services import award_approve

batches_router = Router(tags=["申报批次"])
router = Router(tags=["申报"])

# The operation that makes each move (by url name); a plain move goes through the generic one.
# Moves missing here and not plain are made on the application's page (start_notice, revoke,
# start_disbursement). Automatic moves are nobody's to ask for: "close" follows the payment of
# the last share, "reopen_disbursement" the reversal of a closed application's payment.
_MOVE_OPERATIONS = {
    "submit": "application_submit",
    "include": "application_include",
    "request_acceptance": "application_request_acceptance",
    "accept": "application_accept",
    "approve": "application_approve",
}
_AUTOMATIC = {"close", "reopen_disbursement"}
_Handler = TypeVar("_Handler", bound=Callable[..., Any])


def _auth(request: HttpRequest, perm: Perm) -> User:
    return access_require(request.auth, perm)  # type: ignore[attr-defined]


def _require_move(user: User, action: str) -> Transition:
    """The move, if this user's role may make it (the TRANSITIONS table); else 403."""
    move = TRANSITIONS[action]
    if user.role not in {r.value for r in move.roles}:
        raise PermissionDenied("您没有执行此操作的权限。")
    return move


def _move_subject(request: HttpRequest, number: str, action: str) -> tuple[User, Transition, Application]:
    """Who makes the move, the move and the application, in this order: 404 for a move there is
    not, 403 for a role the TRANSITIONS table does not allow it, 404 outside the user's scope."""
    user = _auth(request, Perm.APPLICATION_VIEW)
    if action not in TRANSITIONS:
        raise Http404("没有这项操作。")
    move = _require_move(user, action)
    return user, move, _application(user, number)


def _application(user: User, number: str) -> Application:
    """The application by number within the user's scope, or 404 (as the pages)."""
    found = application_queryset_for(user).filter(number=number).first()
    if found is None:
        raise Http404("没有找到该申报，或您无权查看。")
    return found


def _policy_titles(batch: PolicyBatch) -> dict[str, str]:
    """Policy id → title, read from the batch's stored edition document (no rule building)."""
    policies = batch.edition.document.get("policies") or []
    return {str(p.get("id")): str(p.get("title", "")) for p in policies if isinstance(p, dict)}


# --- batches ------------------------------------------------------------------------------------


class PolicyRefOut(Schema):
    id: str
    title: str


class MaterialRequirementOut(Schema):
    code: str
    label: str
    required: bool


class SplitOut(Schema):
    central: str = Field(description="中央分担比例")
    city: str = Field(description="市级（宁波）分担比例")
    county: str = Field(description="县级（慈溪）分担比例")


class BatchOut(Schema):
    code: str
    name: str
    edition: str = Field(description="政策版本编号")
    policies: list[PolicyRefOut] = Field(description="本批次受理的政策")
    year: int
    opens_on: dt.date
    closes_on: dt.date
    status: str = Field(description="draft 未开放 | open 申报中 | closed 已截止")
    status_label: str
    required_materials: list[MaterialRequirementOut]
    funding_split: SplitOut
    notice_days: int = Field(description="公示天数")
    region: str = Field(description="发布地区代码")

    @staticmethod
    def resolve_edition(obj: PolicyBatch) -> str:
        return obj.edition.edition_id

    @staticmethod
    def resolve_policies(obj: PolicyBatch) -> list[dict[str, str]]:
        titles = _policy_titles(obj)
        return [{"id": pid, "title": titles.get(pid, pid)} for pid in obj.policy_ids]

    @staticmethod
    def resolve_status_label(obj: PolicyBatch) -> str:
        return str(obj.get_status_display())

    @staticmethod
    def resolve_required_materials(obj: PolicyBatch) -> list[dict[str, Any]]:
        return [
            {"code": m["code"], "label": m["label"], "required": bool(m.get("required", True))}
            for m in obj.required_materials
        ]

    @staticmethod
    def resolve_region(obj: PolicyBatch) -> str:
        return obj.region.code


def _batches(user: User) -> list[PolicyBatch]:
    """Officers: every batch of their region (and above it); an enterprise user: the batches open
    to their enterprise today; anyone else: 403."""
    if access_has(user, Perm.BATCH_VIEW):
        return list(batch_list(region=access_scope_region(user)))
    access_require(user, Perm.APPLICATION_APPLY)
    if user.enterprise is None:
        return []
    return batches_open_for(user.enterprise)


@batches_router.get(
    "",
    response=list[BatchOut],
    operation_id="batch_list",
    summary="申报批次：企业为当前可申报的批次，局端、镇街和审计为权限范围内的全部批次",
)
def batch_list_op(request: HttpRequest) -> list[PolicyBatch]:
    return _batches(_auth(request, Perm.DASHBOARD))


@batches_router.get("/{code}", response=BatchOut, operation_id="batch_get", summary="申报批次详情")
def batch_get_op(request: HttpRequest, code: str) -> PolicyBatch:
    found = next((b for b in _batches(_auth(request, Perm.DASHBOARD)) if b.code == code), None)
    if found is None:
        raise Http404("没有找到该申报批次，或不在申报期内。")
    return found


# --- applications: reading ----------------------------------------------------------------------


class ApplicationOut(Schema):
    number: str = Field(description="申报编号")
    batch: str = Field(description="批次编号")
    policy_id: str
    enterprise: str = Field(description="统一社会信用代码")
    enterprise_name: str
    town: str
    town_name: str
    status: str
    status_label: str
    project_name: str
    declared_investment: Yuan = Field(description="申报投入额（元）")
    verified_investment: Yuan | None = Field(description="核定投入额（元），验收时确定")
    ceiling: Yuan | None = Field(description="补助上限（元），验收时由政策引擎计算")
    approved_amount: Yuan | None = Field(description="核定补助金额（元）")
    submitted_at: dt.datetime | None
    updated_at: dt.datetime

    @staticmethod
    def resolve_batch(obj: Application) -> str:
        return obj.batch.code

    @staticmethod
    def resolve_enterprise(obj: Application) -> str:
        return obj.enterprise.uscc

    @staticmethod
    def resolve_enterprise_name(obj: Application) -> str:
        return obj.enterprise.name

    @staticmethod
    def resolve_town(obj: Application) -> str:
        return obj.enterprise.town.code

    @staticmethod
    def resolve_town_name(obj: Application) -> str:
        return obj.enterprise.town.name

    @staticmethod
    def resolve_status_label(obj: Application) -> str:
        return str(obj.get_status_display())


class StatusChangeOut(Schema):
    action: str
    label: str
    from_status: str
    to_status: str
    actor: str | None = Field(description="操作人用户名；null 为系统")
    reason: str
    at: dt.datetime
    attachment_ids: list[int]

    @staticmethod
    def resolve_label(obj: StatusChange) -> str:
        move = TRANSITIONS.get(obj.action)
        return move.label if move else obj.action

    @staticmethod
    def resolve_actor(obj: StatusChange) -> str | None:
        return obj.actor.username if obj.actor else None


class MaterialOut(Schema):
    id: int
    kind: str
    kind_label: str
    name: str
    content_type: str
    size: int = Field(description="字节")
    sha256: str
    uploaded_by: str | None
    uploaded_at: dt.datetime
    download_url: str = Field(description="下载页面地址（按权限范围检查，使用登录会话）")

    @staticmethod
    def resolve_kind_label(obj: Material) -> str:
        labels = {m["code"]: m["label"] for m in obj.application.batch.required_materials}
        return labels.get(obj.kind, "其他材料" if obj.kind == "other" else obj.kind)

    @staticmethod
    def resolve_name(obj: Material) -> str:
        return obj.original_name

    @staticmethod
    def resolve_uploaded_by(obj: Material) -> str | None:
        return obj.uploaded_by.username if obj.uploaded_by else None

    @staticmethod
    def resolve_download_url(obj: Material) -> str:
        return reverse(
            "web:material_download", kwargs={"number": obj.application.number, "material_id": obj.pk}
        )


class InvoiceOut(Schema):
    id: int
    number: str
    issued_on: dt.date
    amount: Yuan
    seller: str


class ActionOut(Schema):
    action: str = Field(description="操作代码，如 town_pass")
    label: str
    to_status: str = Field(description="办理后的状态")
    reason_required: bool
    path: str | None = Field(description="办理此操作的接口（POST）；null 为仅能在申报页面办理")


class ApplicationDetailOut(ApplicationOut):
    batch_name: str
    policy_title: str
    edition: str = Field(description="批次的政策版本")
    project_summary: str
    kinds: list[str] = Field(description="项目类型：pilot、new_it、ai_model")
    in_pilot_plan: bool
    declaration_accepted: bool
    acceptance_notes: str
    accepted_on: dt.date | None
    expert_score: Yuan | None = Field(description="专家评审平均分（入库时计算）")
    ceiling_edition: str
    approved_reason: str = Field(description="核定金额低于上限的理由")
    notice_starts_on: dt.date | None
    notice_ends_on: dt.date | None
    created_at: dt.datetime
    history: list[StatusChangeOut] = Field(description="状态变更记录，按时间先后")
    materials: list[MaterialOut]
    invoices: list[InvoiceOut]
    actions: list[ActionOut] = Field(description="当前状态下您可以办理的操作")
    can_edit: bool = Field(description="能否修改申报内容（PATCH）")
    can_edit_invoices: bool = Field(description="能否录入、删除发票")

    @staticmethod
    def resolve_batch_name(obj: Application) -> str:
        return obj.batch.name

    @staticmethod
    def resolve_policy_title(obj: Application) -> str:
        return _policy_titles(obj.batch).get(obj.policy_id, obj.policy_id)

    @staticmethod
    def resolve_edition(obj: Application) -> str:
        return obj.batch.edition.edition_id

    @staticmethod
    def resolve_history(obj: Application) -> list[StatusChange]:
        return list(obj.status_changes.select_related("actor"))

    @staticmethod
    def resolve_materials(obj: Application) -> list[Material]:
        return list(obj.materials.select_related("uploaded_by", "application__batch"))

    @staticmethod
    def resolve_invoices(obj: Application) -> list[Invoice]:
        return list(obj.invoices.all())

    @staticmethod
    def resolve_actions(obj: Application, context: dict[str, Any]) -> list[dict[str, Any]]:
        user = context["request"].auth
        moves = [
            t
            for t in transitions_from(obj.status)
            if t.action not in _AUTOMATIC and user.role in {r.value for r in t.roles}
        ]
        return [
            {
                "action": t.action,
                "label": t.label,
                "to_status": str(t.target),
                "reason_required": t.reason_required,
                "path": _move_path(obj.number, t),
            }
            for t in moves
        ]

    @staticmethod
    def resolve_can_edit(obj: Application, context: dict[str, Any]) -> bool:
        user = context["request"].auth
        return access_has(user, Perm.APPLICATION_APPLY) and obj.status in svc.EDITABLE

    @staticmethod
    def resolve_can_edit_invoices(obj: Application, context: dict[str, Any]) -> bool:
        user = context["request"].auth
        return access_has(user, Perm.APPLICATION_APPLY) and obj.status in svc.INVOICE_EDITABLE


def _move_path(number: str, move: Transition) -> str | None:
    name = _MOVE_OPERATIONS.get(move.action)
    if name is not None:
        return reverse(f"api-1.0.0:{name}", kwargs={"number": number})
    if move.service_only:
        return None
    return reverse("api-1.0.0:application_transition", kwargs={"number": number, "action": move.action})


def _where(app: Application, move: Transition) -> str:
    """Where a move the generic operation refuses is made instead."""
    if move.action in _AUTOMATIC:
        return "该操作随资金兑现或冲正自动办理"
    path = _move_path(app.number, move)
    return f"请使用 POST {path}" if path else "请在申报页面办理"


class ApplicationFilterIn(Schema):
    batch: str = Field("", description="批次编号")
    status: str = Field("", description="状态代码，如 submitted、formal_review、accepted")
    town: str = Field("", description="镇（街道）代码，如 cixi-guanhaiwei")
    q: str = Field("", description="申报编号、项目名称、企业名称或统一社会信用代码")


@router.get(
    "",
    response=list[ApplicationOut],
    operation_id="application_list",
    summary="申报列表（按权限范围：企业为本企业的，镇街为本镇街已提交的，专家为指派给自己的）",
)
@paginate(PageNumberPagination, page_size=50)
def application_list_op(request: HttpRequest, filters: Query[ApplicationFilterIn]) -> QuerySet[Application]:
    user = _auth(request, Perm.APPLICATION_VIEW)
    return application_filter(application_queryset_for(user), ApplicationFilter(**filters.dict()))


@router.get(
    "/{number}",
    response=ApplicationDetailOut,
    operation_id="application_get",
    summary="申报详情：内容、状态记录、材料、发票、评分、上限与核定金额、您可办理的操作",
)
def application_get_op(request: HttpRequest, number: str) -> Application:
    return _application(_auth(request, Perm.APPLICATION_VIEW), number)


class PrecheckStepOut(Schema):
    name: str
    expr: str
    value: str | None = Field(description="金额为两位小数的元，比例为小数")
    unit: str
    note: str


class BetterPolicyOut(Schema):
    policy: str
    title: str
    ceiling: Yuan


class PrecheckOut(Schema):
    edition: str
    policy: str
    policy_title: str
    eligible: bool = Field(description="按申报投入额视同验收通过时是否符合条件")
    ceiling: Yuan | None = Field(description="预估补助上限（元），以申报投入额为核定投入额估算")
    steps: list[PrecheckStepOut]
    unmet: list[str] = Field(description="不满足的政策条件")
    missing: list[str] = Field(description="尚缺的材料和信息")
    better: BetterPolicyOut | None = Field(description="同一版本中上限更高的项目类政策（就高不重复）")


def _step_value(value: Decimal | None, unit: str) -> str | None:
    if value is None:
        return None
    return f"{to_yuan(value):.2f}" if unit == "yuan" else format(value.normalize(), "f")


@router.get(
    "/{number}/precheck",
    response=PrecheckOut,
    operation_id="application_precheck",
    summary="预审：政策引擎按申报投入额估算的补助上限及计算步骤，以及尚缺的材料和信息",
)
def application_precheck_op(request: HttpRequest, number: str) -> dict[str, Any]:
    app = _application(_auth(request, Perm.APPLICATION_VIEW), number)
    result = svc.application_precheck(app)
    return {
        **result,
        "policy": result["policy"].id,
        "policy_title": result["policy"].title,
        "steps": [
            {
                "name": s.name,
                "expr": s.expr,
                "value": _step_value(s.value, s.unit),
                "unit": s.unit,
                "note": s.note,
            }
            for s in result["steps"]
        ],
    }


# --- the enterprise's form -----------------------------------------------------------------------


class ApplicationCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    batch: str = Field(description="批次编号（须为本企业当前可申报的批次，见 GET /api/batches）")
    policy_id: str = Field(description="批次受理的政策，如 cixi-2025-new-it")
    project_name: str | None = Field(None, description="项目名称；项目类政策必填")
    project_summary: str = ""
    kinds: list[str] = Field([], description="项目类型：pilot、new_it、ai_model；项目类政策至少一种")
    in_pilot_plan: bool = Field(False, description="是否列入数字化改造试点计划")
    declared_investment: AmountIn | None = Field(None, description=f"申报投入额，{AMOUNT_HELP}")


class ApplicationUpdateIn(Schema):
    """只修改请求中提供的字段。"""

    model_config = ConfigDict(extra="forbid")

    project_name: str | None = None
    project_summary: str | None = None
    kinds: list[str] | None = None
    in_pilot_plan: bool | None = None
    declared_investment: AmountIn | None = Field(None, description=f"申报投入额，{AMOUNT_HELP}")


@router.post(
    "",
    response={201: ApplicationDetailOut},
    operation_id="application_create",
    summary="新建申报草稿（企业）",
)
def application_create_op(request: HttpRequest, payload: ApplicationCreateIn) -> Status[Application]:
    user = _auth(request, Perm.APPLICATION_APPLY)
    if user.enterprise is None:
        raise PermissionDenied("您的账户未绑定企业。")
    batch = batch_list(region=user.enterprise.town).filter(code=payload.batch).first()
    if batch is None:
        raise ApplicationError(f"没有批次 {payload.batch}", field="batch")
    data = payload.dict(exclude_unset=True, exclude={"batch", "policy_id"})
    app = svc.application_create(
        acting_user=user, batch=batch, policy_id=payload.policy_id, enterprise=user.enterprise, data=data
    )
    return Status(201, app)


@router.patch(
    "/{number}",
    response=ApplicationDetailOut,
    operation_id="application_update",
    summary="修改申报内容（企业；草稿或退回修改时，只改提供的字段）",
)
def application_update_op(request: HttpRequest, number: str, payload: ApplicationUpdateIn) -> Application:
    user = _auth(request, Perm.APPLICATION_APPLY)
    app = _application(user, number)
    return svc.application_update(acting_user=user, application=app, data=payload.dict(exclude_unset=True))


class InvoiceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    number: str = Field("", description="发票号码（数字或字母，不超过 32 位）")
    issued_on: dt.date | None = Field(None, description="开票日期，不晚于今天")
    amount: AmountIn | None = Field(None, description=f"发票金额，大于 0；{AMOUNT_HELP}")
    seller: str = Field("", description="销售方")


@router.post(
    "/{number}/invoices",
    response={201: InvoiceOut},
    operation_id="invoice_add",
    summary="录入项目发票（企业；申请验收前）",
)
def invoice_add_op(request: HttpRequest, number: str, payload: InvoiceIn) -> Status[Invoice]:
    user = _auth(request, Perm.APPLICATION_APPLY)
    app = _application(user, number)
    invoice = svc.invoice_add(
        acting_user=user,
        application=app,
        number=payload.number,
        issued_on=payload.issued_on,
        amount=payload.amount,
        seller=payload.seller,
    )
    return Status(201, invoice)


@router.delete(
    "/{number}/invoices/{invoice_id}",
    response={204: None},
    operation_id="invoice_remove",
    summary="删除项目发票（企业；申请验收前）",
)
def invoice_remove_op(request: HttpRequest, number: str, invoice_id: int) -> Status[None]:
    user = _auth(request, Perm.APPLICATION_APPLY)
    app = _application(user, number)
    invoice = app.invoices.filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("没有找到该发票。")
    svc.invoice_remove(acting_user=user, invoice=invoice)
    return Status(204, None)


# --- moves ----------------------------------------------------------------------------------------


class SubmitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    declaration: bool = Field(False, description="承诺申报信息真实、完整、有效；须为 true")


class ReasonIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", description="意见或理由（退回、不通过等操作必填），写入状态记录")


class AcceptIn(Schema):
    model_config = ConfigDict(extra="forbid")

    verified_investment: AmountIn | None = Field(
        None, description=f"核定投入额，不高于申报投入额；{AMOUNT_HELP}"
    )
    notes: str = Field("", description="验收意见（必填）")
    accepted_on: dt.date | None = Field(None, description="验收日期，默认今天，不晚于今天")


class ApproveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    amount: AmountIn | None = Field(None, description=f"核定补助金额，大于 0 且不高于补助上限；{AMOUNT_HELP}")
    reason: str = Field("", description="低于补助上限时必填的理由")


def _move_operation(
    path: str, name: str, summary: str, description: str | None = None
) -> Callable[[_Handler], _Handler]:
    """A move's operation: POST ``path``, answering the application as it is afterwards; ``name``
    is its operation id and url name (``_MOVE_OPERATIONS``)."""
    return router.post(
        path,
        response=ApplicationDetailOut,
        operation_id=name,
        url_name=name,
        summary=summary,
        description=description,
    )


@_move_operation("/{number}/submit", "application_submit", "提交申报（企业；须勾选承诺，所需材料齐全）")
def application_submit_op(request: HttpRequest, number: str, payload: SubmitIn) -> Application:
    user, _, app = _move_subject(request, number, "submit")
    svc.application_submit(acting_user=user, application=app, declaration=payload.declaration)
    return _application(user, number)  # as it is now


@_move_operation(
    "/{number}/transitions/{action}",
    "application_transition",
    "办理一项普通流转（撤回、镇街预审、形式审查、不予入库、开始实施、验收不通过等）",
    description=(
        "action 为 withdraw、town_pass、town_return、formal_pass、formal_return、formal_reject、exclude、"
        "start、fail 之一。需要填写更多信息的操作（提交、入库、申请验收、验收通过、核定金额）有各自的接口，"
        "在此办理会被拒绝（400，field 为 action）。"
    ),
)
def application_transition_op(
    request: HttpRequest, number: str, action: str, payload: ReasonIn | None = None
) -> Application:
    user, move, app = _move_subject(request, number, action)
    if move.service_only:
        raise ApplicationError(f"“{move.label}”不能通过此接口办理，{_where(app, move)}", field="action")
    reason = payload.reason if payload is not None else ""
    svc.application_move(acting_user=user, application=app, action=action, reason=reason)
    return _application(user, number)  # as it is now


@_move_operation(
    "/{number}/include", "application_include", "入库（经信局；所有指派的专家均已提交评审，评分取平均）"
)
def application_include_op(request: HttpRequest, number: str) -> Application:
    user, _, app = _move_subject(request, number, "include")
    svc.application_include(acting_user=user, application=app)
    return _application(user, number)  # as it is now


@_move_operation(
    "/{number}/request-acceptance", "application_request_acceptance", "申请验收（企业；须已录入项目发票）"
)
def application_request_acceptance_op(request: HttpRequest, number: str) -> Application:
    user, _, app = _move_subject(request, number, "request_acceptance")
    svc.application_request_acceptance(acting_user=user, application=app)
    return _application(user, number)  # as it is now


@_move_operation(
    "/{number}/accept",
    "application_accept",
    "验收通过（经信局）：核定投入额、验收意见和日期；政策引擎据此计算补助上限",
)
def application_accept_op(request: HttpRequest, number: str, payload: AcceptIn) -> Application:
    user, _, app = _move_subject(request, number, "accept")
    svc.application_accept(
        acting_user=user,
        application=app,
        verified_investment=payload.verified_investment,
        notes=payload.notes,
        accepted_on=payload.accepted_on,
    )
    return _application(user, number)  # as it is now


@_move_operation(
    "/{number}/approve",
    "application_approve",
    "核定补助金额（经信局）：不高于补助上限，低于上限须说明理由；按三级资金分担并占用预算",
)
def application_approve_op(request: HttpRequest, number: str, payload: ApproveIn) -> Application:
    user, _, app = _move_subject(request, number, "approve")
    award_approve(acting_user=user, application=app, amount=payload.amount, reason=payload.reason)
    return _application(user, number)  # as it is now
