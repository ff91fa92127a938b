"""The application workflow: one table of moves and one function that makes them.

Every status change goes through ``application_transition``: it locks the application, checks
that the move starts from the current status, that the acting user's role may make it and that
the application is within their scope, asks for a reason where the move needs one, writes a
``StatusChange`` row and an audit entry in the same transaction, and queues the enterprise's
notice for after commit. Services that change fields along with the status (acceptance records
the verified investment, approval the amount) call it inside their own transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications.models import Application, Status, StatusChange
from shuzhuan.applications.notify import notice_for_status_change
from shuzhuan.audit.services import audit_record
from shuzhuan.core.errors import ApplicationError

_BUREAU = frozenset({Role.BUREAU_OFFICER})
_TOWN = frozenset({Role.TOWN_OFFICER, Role.BUREAU_OFFICER})
_FIRM = frozenset({Role.ENTERPRISE})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str  # the button, in Chinese
    sources: frozenset[Status]
    target: Status
    roles: frozenset[Role]
    reason_required: bool = False
    # Only a service that records more than the status may make this move (it passes
    # ``via_service=True``): acceptance, approval, payment.
    service_only: bool = False


def _t(
    action: str, label: str, sources: set[Status], target: Status, roles: frozenset[Role], **kw: Any
) -> Transition:
    return Transition(action, label, frozenset(sources), target, roles, **kw)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("submit", "提交申报", {Status.DRAFT, Status.RETURNED}, Status.SUBMITTED, _FIRM, service_only=True),
        _t(
            "withdraw", "撤回申报", {Status.DRAFT, Status.SUBMITTED, Status.RETURNED}, Status.WITHDRAWN, _FIRM
        ),
        _t("town_pass", "预审通过", {Status.SUBMITTED}, Status.FORMAL_REVIEW, _TOWN),
        _t("town_return", "退回修改", {Status.SUBMITTED}, Status.RETURNED, _TOWN, reason_required=True),
        _t("formal_pass", "形式审查通过", {Status.FORMAL_REVIEW}, Status.EXPERT_REVIEW, _BUREAU),
        _t(
            "formal_return",
            "退回修改",
            {Status.FORMAL_REVIEW},
            Status.RETURNED,
            _BUREAU,
            reason_required=True,
        ),
        _t(
            "formal_reject",
            "审查不通过",
            {Status.FORMAL_REVIEW},
            Status.REJECTED,
            _BUREAU,
            reason_required=True,
        ),
        _t("include", "入库", {Status.EXPERT_REVIEW}, Status.INCLUDED, _BUREAU, service_only=True),
        _t("exclude", "不予入库", {Status.EXPERT_REVIEW}, Status.REJECTED, _BUREAU, reason_required=True),
        _t("start", "开始实施", {Status.INCLUDED}, Status.IMPLEMENTING, _FIRM | _BUREAU),
        _t(
            "request_acceptance",
            "申请验收",
            {Status.IMPLEMENTING},
            Status.ACCEPTANCE_REQUESTED,
            _FIRM,
            service_only=True,
        ),
        _t("accept", "验收通过", {Status.ACCEPTANCE_REQUESTED}, Status.ACCEPTED, _BUREAU, service_only=True),
        _t("fail", "验收不通过", {Status.ACCEPTANCE_REQUESTED}, Status.FAILED, _BUREAU, reason_required=True),
        _t("approve", "核定金额", {Status.ACCEPTED}, Status.APPROVED, _BUREAU, service_only=True),
        _t("start_notice", "开始公示", {Status.APPROVED}, Status.PUBLIC_NOTICE, _BUREAU, service_only=True),
        _t(
            "revoke",
            "撤销核定",
            {Status.APPROVED, Status.PUBLIC_NOTICE},
            Status.REJECTED,
            _BUREAU,
            reason_required=True,
            service_only=True,
        ),
        _t(
            "start_disbursement",
            "进入兑现",
            {Status.PUBLIC_NOTICE},
            Status.DISBURSING,
            _BUREAU,
            service_only=True,
        ),
        _t("close", "办结", {Status.DISBURSING}, Status.CLOSED, _BUREAU, service_only=True),
        # A payment of a closed application reversed (funds.payment_reverse): its share is owed again.
        _t(
            "reopen_disbursement",
            "冲正后重新兑现",
            {Status.CLOSED},
            Status.DISBURSING,
            _BUREAU,
            reason_required=True,
            service_only=True,
        ),
    )
}


def transitions_from(status: str) -> list[Transition]:
    return [t for t in TRANSITIONS.values() if status in t.sources]


def application_in_scope(user: User, application: Application) -> bool:
    """Whether ``user`` may act on ``application`` at all (the role check is separate)."""
    if not user.is_active:
        return False
    if user.role == Role.ENTERPRISE:
        return user.enterprise_id is not None and user.enterprise_id == application.enterprise_id
    if user.role in (Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR):
        region = user.region
        return region is not None and application.enterprise.town.path.startswith(region.path)
    if user.role == Role.EXPERT:
        return application.expert_reviews.filter(expert=user).exists()
    return False


def application_transition(
    *,
    acting_user: User | None,
    application: Application,
    action: str,
    reason: str = "",
    attachment_ids: list[int] | None = None,
    via_service: bool = False,
    payload: dict[str, Any] | None = None,
) -> Application:
    """Make one move. ``acting_user`` None is the system (a CLI operator or a scheduled job),
    which is bound by the table's sources but not by roles. Returns the locked, updated row."""
    move = TRANSITIONS.get(action)
    if move is None:
        raise ApplicationError(f"未知操作：{action}", field="action")
    if move.service_only and not via_service:
        raise ApplicationError(f"“{move.label}”需要填写相应信息后办理", field="action")
    reason = (reason or "").strip()
    with transaction.atomic():
        app = (
            Application.objects.select_for_update()
            .select_related("enterprise__town", "batch")
            .get(pk=application.pk)
        )
        if acting_user is not None and (
            acting_user.role not in move.roles or not application_in_scope(acting_user, app)
        ):
            raise ApplicationError(f"您无权对申报 {app.number} 执行“{move.label}”", field="action")
        if app.status not in move.sources:
            raise ApplicationError(
                f"申报 {app.number} 当前状态为“{app.get_status_display()}”，不能执行“{move.label}”",
                field="status",
            )
        if move.reason_required and not reason:
            raise ApplicationError(f"“{move.label}”须填写理由", field="reason")
        before = app.status
        app.status = move.target
        app.save(update_fields=["status", "updated_at"])
        change = StatusChange.objects.create(
            application=app,
            from_status=before,
            to_status=move.target,
            action=action,
            actor=acting_user,
            reason=reason,
            at=timezone.now(),
            attachment_ids=list(attachment_ids or []),
        )
        audit_record(
            actor=acting_user,
            action=f"application.{action}",
            object_type="application",
            object_id=app.number,
            reason=reason,
            payload={"from": before, "to": str(move.target), **(payload or {})},
        )
        notice_for_status_change(change=change)
    return app
