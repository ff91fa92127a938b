"""Every page and API operation asks these functions, and only these, what a user may do
and see. Two questions, always both:

* role — may this kind of user do this at all (``access_has`` / ``access_require``)?
* scope — which records may they do it to (``access_enterprises``, ``access_enterprise``,
  ``access_towns``)? Officers see the subtree of their region; an enterprise user sees only
  their own enterprise; experts and service providers see no registry records.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils import timezone

from shuzhuan.accounts.models import HOME_REGION_ROLES, REGION_SCOPED_ROLES, ApiToken, Role, User
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.policies.models import PolicyEdition


class Perm(StrEnum):
    DASHBOARD = "dashboard.view"
    ENTERPRISE_LIST = "enterprise.list"
    ENTERPRISE_VIEW = "enterprise.view"
    ENTERPRISE_EXPORT = "enterprise.export"
    ENTERPRISE_IMPORT = "enterprise.import"
    ENTERPRISE_EDIT = "enterprise.edit"  # create and change registry fields, within scope
    ENTERPRISE_HISTORY = "enterprise.history"  # who changed an enterprise, when, from what to what
    QUALIFICATION_EDIT = "qualification.edit"  # conferred higher up, recorded by the bureau
    REFERENCE_VIEW = "reference.view"
    API_TOKEN = "api.token"  # noqa: S105 - a permission name, not a secret
    USER_MANAGE = "user.manage"
    ACCOUNT_SELF = "account.self"
    POLICY_CALC = "policy.calc"  # the calculator: every signed-in role
    POLICY_VIEW = "policy.view"  # published editions and their policies: every signed-in role
    POLICY_PUBLISH = "policy.publish"  # draft, edit and publish editions; see drafts
    # The application workflow. Which move a user may make is the TRANSITIONS table's roles
    # (shuzhuan.applications.workflow); which applications they see, application_queryset_for.
    APPLICATION_VIEW = "application.view"  # the queue / 我的申报 and an application's page
    APPLICATION_APPLY = "application.apply"  # fill in, upload, submit: the enterprise's own
    APPLICATION_REVIEW = "application.review"  # assign experts, record and resolve objections
    BATCH_VIEW = "batch.view"
    BATCH_MANAGE = "batch.manage"  # create, open and close 申报批次
    # A batch's approval-cycle figures and its public-notice list (.xlsx/.pdf), within region
    BATCH_REPORT = "batch.report"
    EXPERT_REVIEW = "expert.review"  # 我的评审: conflict declaration and the scoring sheet
    NOTICE_INBOX = "notice.inbox"  # the enterprise's 通知
    FUNDS_VIEW = "funds.view"  # budgets, balances, commitments, the ledger
    FUNDS_ALLOCATE = "funds.allocate"  # record an allocation handed down (下达)
    DISBURSE = "funds.disburse"  # approve amounts, pay shares, run disbursements
    # 政策找人: runs, per policy the matched enterprises that have not applied (by town, within
    # region, exportable for outreach visits), a run's changes
    MATCH_VIEW = "match.view"
    MATCH_RUN = "match.run"  # start a matching run, push its notices, create 免申即享 awards
    MATCH_MINE = "match.mine"  # an enterprise's own matches and its opt-out of pushed notices
    # 智能应答: asking is for every signed-in role (and the public policy page); curating FAQ
    # answers and following up unanswered questions is the bureau's
    QA_ASK = "qa.ask"
    QA_CURATE = "qa.curate"
    # 统计驾驶舱: live figures and charts, each figure's records, within region (a town officer
    # sees their town); report builds (.docx/.pdf/.xlsx) of the same figures; peer counties'
    # figures imported from .xlsx so a rank can be stated from data
    COCKPIT_VIEW = "cockpit.view"
    REPORT_BUILD = "report.build"
    PEER_IMPORT = "peer.import"
    # 活动与人才: events (现场会/培训班/对接会) with registrations and attendance, training
    # classes with trainees and their employment outcome, skill certifications
    ACTIVITY_VIEW = "activity.view"
    ACTIVITY_MANAGE = "activity.manage"  # bureau; a town officer within their own town


_ALL_ROLES = frozenset(Role)
_OFFICERS = frozenset({Role.BUREAU_OFFICER, Role.TOWN_OFFICER, Role.AUDITOR})

ROLE_PERMISSIONS: dict[Perm, frozenset[Role]] = {
    Perm.DASHBOARD: _ALL_ROLES,
    Perm.ENTERPRISE_LIST: _OFFICERS,
    Perm.ENTERPRISE_VIEW: _OFFICERS | {Role.ENTERPRISE},
    Perm.ENTERPRISE_EXPORT: _OFFICERS,
    Perm.ENTERPRISE_IMPORT: frozenset({Role.BUREAU_OFFICER}),
    # A town officer keeps the enterprises of their own town; access_towns() is where they may
    # place one (so none can be moved out of their town). Auditors stay read-only.
    Perm.ENTERPRISE_EDIT: frozenset({Role.BUREAU_OFFICER, Role.TOWN_OFFICER}),
    Perm.ENTERPRISE_HISTORY: _OFFICERS,
    Perm.QUALIFICATION_EDIT: frozenset({Role.BUREAU_OFFICER}),
    Perm.REFERENCE_VIEW: _ALL_ROLES,
    Perm.API_TOKEN: _ALL_ROLES,
    Perm.USER_MANAGE: frozenset({Role.BUREAU_OFFICER}),
    Perm.ACCOUNT_SELF: _ALL_ROLES,
    Perm.POLICY_CALC: _ALL_ROLES,
    Perm.POLICY_VIEW: _ALL_ROLES,
    Perm.POLICY_PUBLISH: frozenset({Role.BUREAU_OFFICER}),
    Perm.APPLICATION_VIEW: _OFFICERS | {Role.ENTERPRISE, Role.EXPERT},
    Perm.APPLICATION_APPLY: frozenset({Role.ENTERPRISE}),
    Perm.APPLICATION_REVIEW: frozenset({Role.BUREAU_OFFICER}),
    Perm.BATCH_VIEW: _OFFICERS,
    Perm.BATCH_MANAGE: frozenset({Role.BUREAU_OFFICER}),
    Perm.BATCH_REPORT: frozenset({Role.BUREAU_OFFICER, Role.AUDITOR}),
    Perm.EXPERT_REVIEW: frozenset({Role.EXPERT}),
    Perm.NOTICE_INBOX: frozenset({Role.ENTERPRISE}),
    Perm.FUNDS_VIEW: frozenset({Role.BUREAU_OFFICER, Role.AUDITOR}),
    Perm.FUNDS_ALLOCATE: frozenset({Role.BUREAU_OFFICER}),
    Perm.DISBURSE: frozenset({Role.BUREAU_OFFICER}),
    Perm.MATCH_VIEW: _OFFICERS,
    Perm.MATCH_RUN: frozenset({Role.BUREAU_OFFICER}),
    Perm.MATCH_MINE: frozenset({Role.ENTERPRISE}),
    Perm.QA_ASK: _ALL_ROLES,
    Perm.QA_CURATE: frozenset({Role.BUREAU_OFFICER}),
    Perm.COCKPIT_VIEW: _OFFICERS,
    Perm.REPORT_BUILD: _OFFICERS,
    Perm.PEER_IMPORT: frozenset({Role.BUREAU_OFFICER}),
    Perm.ACTIVITY_VIEW: _OFFICERS,
    Perm.ACTIVITY_MANAGE: frozenset({Role.BUREAU_OFFICER, Role.TOWN_OFFICER}),
}

AnyUser = User | AnonymousUser


def _active_user(user: Any) -> User | None:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    return user if isinstance(user, User) else None


def _role(user: User | None) -> Role | None:
    """The user's role, or None for no role or a value that is not (or no longer) a Role."""
    if user is None or not user.role:
        return None
    try:
        return Role(user.role)
    except ValueError:
        return None


def access_has(user: Any, perm: Perm) -> bool:
    role = _role(_active_user(user))
    return role is not None and role in ROLE_PERMISSIONS[perm]


def access_require(user: Any, perm: Perm) -> User:
    u = _active_user(user)
    if u is None or not access_has(u, perm):
        raise PermissionDenied("您没有执行此操作的权限。")
    return u


def access_scope_region(user: Any) -> Region | None:
    """The region subtree an officer works in; None for roles without a region scope."""
    u = _active_user(user)
    if u is None or _role(u) not in _OFFICERS:
        return None
    return u.region


def access_enterprises(user: Any) -> QuerySet[Enterprise]:
    """Every enterprise this user may see — the only way to start an enterprise query for a user."""
    base = Enterprise.objects.select_related("town", "industry")
    u = _active_user(user)
    if u is None or not access_has(u, Perm.ENTERPRISE_VIEW):
        return base.none()
    if _role(u) == Role.ENTERPRISE:
        return base.filter(pk=u.enterprise_id) if u.enterprise_id else base.none()
    region = u.region
    if region is None:
        return base.none()
    return base.filter(town__path__startswith=region.path)


def access_enterprise(user: Any, uscc: str) -> Enterprise:
    """One enterprise by USCC, or 404 — a record out of scope is indistinguishable from none."""
    access_require(user, Perm.ENTERPRISE_VIEW)
    found = access_enterprises(user).filter(uscc=uscc.strip().upper()).first()
    if found is None:
        raise Http404("没有找到该企业，或您无权查看。")
    return found


def access_towns(user: Any) -> QuerySet[Region]:
    """Towns/streets within the user's scope (for filters and imports)."""
    region = access_scope_region(user)
    if region is None:
        return Region.objects.none()
    return Region.objects.filter(level=Region.Level.TOWN, path__startswith=region.path)


def access_town_allowed(user: Any, town: Region) -> bool:
    region = access_scope_region(user)
    return region is not None and town.path.startswith(region.path)


# --- accounts: who manages whom ------------------------------------------------------------
#
# Every account belongs to one region (``access_user_region``): an officer's or auditor's
# jurisdiction, the town of an enterprise user's enterprise, the home region of an expert or
# service provider (the bureau that registered them). A user holding USER_MANAGE manages the
# accounts that belong to a region inside their own subtree, except themselves and the other
# managers of their very own region: a manager is managed only from strictly above. So nobody
# manages an account scoped above (or beside) them. The CLI (an operator, no acting user) is
# not bound by this.


def access_user_region(target: User) -> Region | None:
    """The region an account belongs to for management; None when no officer manages it."""
    role = _role(target)
    if role in REGION_SCOPED_ROLES:
        return target.region
    if role == Role.ENTERPRISE:
        return target.enterprise.town if target.enterprise else None
    if role in HOME_REGION_ROLES:
        return target.home_region
    return None


def _manager_region(user: Any) -> Region | None:
    u = _active_user(user)
    if u is None or not access_has(u, Perm.USER_MANAGE):
        return None
    return u.region


def access_user_manageable(user: Any, target: User) -> bool:
    """May ``user`` manage ``target`` (saved or about to be created)? Same rule as access_users."""
    region = _manager_region(user)
    if region is None or (target.pk is not None and target.pk == user.pk):
        return False
    home = access_user_region(target)
    if home is None or not home.path.startswith(region.path):
        return False
    return not (_role(target) in ROLE_PERMISSIONS[Perm.USER_MANAGE] and home.path == region.path)


def access_user_region_q(region: Region) -> Q:
    """Accounts that belong to ``region`` or below it (``access_user_region``, as a filter)."""
    p = region.path
    return (
        Q(role__in=[r.value for r in REGION_SCOPED_ROLES], region__path__startswith=p)
        | Q(role=Role.ENTERPRISE, enterprise__town__path__startswith=p)
        | Q(role__in=[r.value for r in HOME_REGION_ROLES], home_region__path__startswith=p)
    )


def access_users(user: Any) -> QuerySet[User]:
    """Every account this user may manage — the only way to start a user query for a manager."""
    base = User.objects.select_related("region", "enterprise", "enterprise__town", "home_region")
    region = _manager_region(user)
    if region is None:
        return base.none()
    managers = [r.value for r in ROLE_PERMISSIONS[Perm.USER_MANAGE]]
    return (
        base.filter(access_user_region_q(region))
        .exclude(role__in=managers, region__path=region.path)
        .exclude(pk=user.pk)
    )


def access_user(user: Any, username: str) -> User:
    """One account this user may manage, or 404 — out of scope is indistinguishable from none."""
    access_require(user, Perm.USER_MANAGE)
    found = access_users(user).filter(username=username).first()
    if found is None:
        raise Http404("没有找到该用户，或您无权管理。")
    return found


def access_user_regions(user: Any) -> QuerySet[Region]:
    """Regions a manager may place accounts in (their subtree; the service checks each role)."""
    region = _manager_region(user)
    if region is None:
        return Region.objects.none()
    return Region.objects.filter(path__startswith=region.path).order_by("path")


def access_api_tokens(user: Any) -> QuerySet[ApiToken]:
    """The user's own API tokens that still work (not revoked, not expired)."""
    u = _active_user(user)
    if u is None or not access_has(u, Perm.API_TOKEN):
        return ApiToken.objects.none()
    return ApiToken.objects.filter(user=u, revoked_at__isnull=True, expires_at__gt=timezone.now()).order_by(
        "-created_at"
    )


def access_api_token(user: Any, token_id: int) -> ApiToken:
    access_require(user, Perm.API_TOKEN)
    found = access_api_tokens(user).filter(pk=token_id).first()
    if found is None:
        raise Http404("没有找到该令牌。")
    return found


# --- policy editions: published ones for everyone signed in; drafts for publishers only ------


def access_editions(user: Any) -> QuerySet[PolicyEdition]:
    base = PolicyEdition.objects.select_related("based_on", "published_by")
    u = _active_user(user)
    if u is None or not access_has(u, Perm.POLICY_VIEW):
        return base.none()
    if access_has(u, Perm.POLICY_PUBLISH):
        return base
    return base.filter(status=PolicyEdition.Status.PUBLISHED)


def access_edition(user: Any, edition_id: str) -> PolicyEdition:
    """One edition by id, or 404 — a draft is invisible to those who may not publish."""
    access_require(user, Perm.POLICY_VIEW)
    found = access_editions(user).filter(edition_id=edition_id).first()
    if found is None:
        raise Http404("没有找到该政策版本。")
    return found


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str


def access_navigation(user: Any) -> list[NavItem]:
    items = [NavItem("首页", reverse("web:home"), "home")]
    u = _active_user(user)
    if u is None:
        return []
    if access_has(u, Perm.ENTERPRISE_LIST):
        items.append(NavItem("企业库", reverse("web:enterprise_list"), "enterprises"))
    elif u.role == Role.ENTERPRISE and u.enterprise_id:
        items.append(NavItem("企业信息", reverse("web:my_enterprise"), "enterprises"))
    if access_has(u, Perm.ENTERPRISE_IMPORT):
        items.append(NavItem("导入企业名单", reverse("web:enterprise_import"), "import"))
    if access_has(u, Perm.POLICY_VIEW):
        items.append(NavItem("政策", reverse("web:policy_list"), "policies"))
    if access_has(u, Perm.POLICY_CALC):
        items.append(NavItem("政策计算器", reverse("web:policy_calc"), "calc"))
    if access_has(u, Perm.QA_ASK):
        items.append(NavItem("政策问答", reverse("web:qa_chat"), "qa"))
    if access_has(u, Perm.BATCH_VIEW):
        items.append(NavItem("申报批次", reverse("web:batch_list"), "batches"))
    if access_has(u, Perm.APPLICATION_APPLY):
        items.append(NavItem("我的申报", reverse("web:application_list"), "applications"))
    elif access_has(u, Perm.EXPERT_REVIEW):
        items.append(NavItem("我的评审", reverse("web:review_list"), "reviews"))
    elif access_has(u, Perm.APPLICATION_VIEW):
        label = {Role.TOWN_OFFICER: "申报预审", Role.AUDITOR: "申报项目"}.get(Role(u.role), "申报受理")
        items.append(NavItem(label, reverse("web:application_list"), "applications"))
    if access_has(u, Perm.MATCH_VIEW):
        items.append(NavItem("政策找人", reverse("web:matching"), "matching"))
    if access_has(u, Perm.ACTIVITY_VIEW):
        items.append(NavItem("活动与人才", reverse("web:activities"), "activities"))
    if access_has(u, Perm.COCKPIT_VIEW):
        items.append(NavItem("统计驾驶舱", reverse("web:cockpit"), "cockpit"))
    if access_has(u, Perm.FUNDS_VIEW):
        items.append(NavItem("资金", reverse("web:funds"), "funds"))
    if access_has(u, Perm.NOTICE_INBOX):
        items.append(NavItem("通知", reverse("web:notice_list"), "notices"))
    if access_has(u, Perm.QA_CURATE):
        items.append(NavItem("问答管理", reverse("web:qa_unanswered"), "qa_admin"))
    if access_has(u, Perm.USER_MANAGE):
        items.append(NavItem("用户管理", reverse("web:user_list"), "users"))
    items.append(NavItem("接口文档", reverse("api-1.0.0:openapi-view"), "api"))
    return items


F = TypeVar("F", bound=Callable[..., HttpResponseBase])


def access_view(perm: Perm) -> Callable[[F], F]:
    """Decorate a view: anonymous → login page; a role without ``perm`` → 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access_require(request.user, perm)
            return view(request, *args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator
