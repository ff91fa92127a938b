"""申报: batches, the application queue / 我的申报, one application's page with the moves its
status allows this user, the enterprise's form, materials and invoices, the expert's 评审, and
the enterprise's 通知.

Thin like every view: ``access_*`` decides the role, ``application_queryset_for`` the scope (an
application outside it is a 404, as if there were none), ``shuzhuan.applications.services`` and
``shuzhuan.funds.services`` decide what is valid. A refusal comes back on the page as the
service's message on the field it names; success redirects to the application's page with a
message.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_editions,
    access_has,
    access_require,
    access_scope_region,
    access_towns,
    access_view,
)
from shuzhuan.accounts.models import Role, User
from shuzhuan.applications import services as svc
from shuzhuan.applications.cycle import approval_cycle
from shuzhuan.applications.exports import public_notice_pdf, public_notice_xlsx
from shuzhuan.applications.models import (
    ENDED,
    PAST_ACCEPTANCE,
    Application,
    Notice,
    PolicyBatch,
    Status,
)
from shuzhuan.applications.notify import notice_mark_read
from shuzhuan.applications.scoring import SCORING_SHEET
from shuzhuan.applications.selectors import (
    ApplicationFilter,
    application_filter,
    application_queryset_for,
    application_status_counts,
    batch_list,
    batches_open_for,
    expert_reviews_for,
    notices_for,
)
from shuzhuan.applications.workflow import TRANSITIONS, Transition, transitions_from
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER
from shuzhuan.matching.selectors import push_opted_out
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_built
from shuzhuan.rules.loader import RulebookError
from shuzhuan.web.downloads import PDF, XLSX, download_response
from shuzhuan.web.forms_applications import (
    KIND_LABELS,
    AcceptForm,
    ApplicationForm,
    ApproveForm,
    AssignExpertsForm,
    BatchForm,
    InvoiceForm,
    MaterialForm,
    NoticeForm,
    ObjectionForm,
    ObjectionResolveForm,
    PayShareForm,
    ReasonForm,
    ReviewForm,
    SubmitForm,
)

# Moves made through a form of their own (the rest are a button, with a reason where required).
SPECIAL_MOVES = {"submit", "accept", "approve", "start_notice", "revoke"}
# Moves that end or send back an application: a red button.
DANGER_TARGETS = {Status.REJECTED, Status.RETURNED, Status.WITHDRAWN, Status.FAILED}
# Moves no person makes from the page: closing follows the last share's payment, reopening
# disbursement follows the reversal of a closed application's payment (funds.payment_reverse).
HIDDEN_MOVES = {"close", "reopen_disbursement"}
QUEUE_TITLES = {Role.TOWN_OFFICER.value: "申报预审", Role.AUDITOR.value: "申报项目"}
STATUS_BADGE = {
    Status.DRAFT: "secondary",
    Status.RETURNED: "warning",
    Status.REJECTED: "danger",
    Status.FAILED: "danger",
    Status.WITHDRAWN: "secondary",
    Status.CLOSED: "success",
}


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _application(request: HttpRequest, number: str) -> Application:
    """The application by number within the user's scope, or 404."""
    found = application_queryset_for(_user(request)).filter(number=number).first()
    if found is None:
        raise Http404("没有找到该申报，或您无权查看。")
    return found


def _detail(app: Application) -> HttpResponse:
    return redirect("web:application_detail", number=app.number)


def _policy_titles(batch: PolicyBatch) -> dict[str, str]:
    try:
        return {p.id: p.title for p in edition_built(batch.edition).policies}
    except RulebookError:  # an edition that no longer builds must not take the page down
        return {}


# --- batches ----------------------------------------------------------------------------------


@require_GET
@access_view(Perm.BATCH_VIEW)
def batch_list_view(request: HttpRequest) -> HttpResponse:
    batches = batch_list(region=access_scope_region(request.user))
    return render(
        request,
        "web/batch_list.html",
        {"batches": batches, "can_manage": access_has(request.user, Perm.BATCH_MANAGE)},
    )


def _published_editions(user: User) -> list[PolicyEdition]:
    return list(
        access_editions(user).filter(status=PolicyEdition.Status.PUBLISHED).order_by("-effective_from")
    )


@require_http_methods(["GET", "POST"])
@access_view(Perm.BATCH_MANAGE)
def batch_create_view(request: HttpRequest) -> HttpResponse:
    user = access_require(request.user, Perm.BATCH_MANAGE)
    editions = _published_editions(user)
    chosen_id = (
        request.POST.get("edition")
        or request.GET.get("edition")
        or (editions[0].edition_id if editions else "")
    )
    chosen = next((e for e in editions if e.edition_id == chosen_id), None)
    built = edition_built(chosen) if chosen is not None else None
    form = BatchForm(
        request.POST if request.method == "POST" else None,
        initial=BatchForm.initial_for(edition_id=chosen_id, split=built.funding_split if built else {}),
        editions=[(e.edition_id, f"{e.edition_id}（{e.document.get('document', '')}）") for e in editions],
        policies=[(p.id, f"{p.title}（{p.id}）") for p in built.policies] if built else [],
    )
    if request.method == "POST" and form.is_valid() and chosen is not None:
        try:
            if user.region is None:
                raise ApplicationError("您的账户未设置管辖区域，不能发布申报批次", field="region")
            batch = svc.batch_create(
                acting_user=user,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                edition=chosen,
                policy_ids=form.cleaned_data["policy_ids"],
                year=form.cleaned_data["year"],
                opens_on=form.cleaned_data["opens_on"],
                closes_on=form.cleaned_data["closes_on"],
                region=user.region,
                funding_split=form.split(),
                required_materials=form.materials(),
                notice_days=form.cleaned_data["notice_days"],
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已创建申报批次“{batch.name}”（未开放），核对后请开放申报。")
            return redirect("web:batch_detail", code=batch.code)
    return render(request, "web/batch_form.html", {"form": form, "edition": built, "stored": chosen})


def _batch(request: HttpRequest, code: str) -> PolicyBatch:
    found = batch_list(region=access_scope_region(request.user)).filter(code=code).first()
    if found is None:
        raise Http404("没有找到该申报批次。")
    return found


@require_GET
@access_view(Perm.BATCH_VIEW)
def batch_detail(request: HttpRequest, code: str) -> HttpResponse:
    batch = _batch(request, code)
    apps = application_queryset_for(_user(request)).filter(batch=batch)
    titles = _policy_titles(batch)
    region = access_scope_region(request.user)
    # 审批周期, 公示名单: bureau and auditors, over their region's applications
    can_report = access_has(request.user, Perm.BATCH_REPORT) and region is not None
    return render(
        request,
        "web/batch_detail.html",
        {
            "batch": batch,
            "policies": [(pid, titles.get(pid, pid)) for pid in batch.policy_ids],
            "split": [(svc.LEVEL_NAMES[k], Decimal(v)) for k, v in batch.funding_split.items()],
            "counts": [(Status(s).label, n) for s, n in sorted(application_status_counts(apps).items())],
            "total": apps.count(),
            "can_manage": access_has(request.user, Perm.BATCH_MANAGE),
            "can_report": can_report,
            "cycle": approval_cycle(batch=batch, region=region) if can_report else None,
            # 兑现清单 per level that shares this batch's awards (funds readers)
            "disbursement_levels": [
                (level, LEVEL_LABELS[level])
                for level in LEVEL_ORDER
                if Decimal(str(batch.funding_split.get(level) or "0")) > 0
            ]
            if access_has(request.user, Perm.FUNDS_VIEW) and region is not None
            else [],
        },
    )


def _report_batch(request: HttpRequest, code: str) -> tuple[PolicyBatch, Region]:
    """The batch (404 outside the user's region) and the region whose applications a report
    covers; a reader without a region has no scope to report on."""
    access_require(request.user, Perm.BATCH_REPORT)
    region = access_scope_region(request.user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    return _batch(request, code), region


def _public_notice_download(
    request: HttpRequest, code: str, write: Callable[..., bytes], *, suffix: str, content_type: str
) -> HttpResponse:
    """The batch's 公示名单 within the user's region, as ``write`` makes it, named ``….suffix``."""
    batch, region = _report_batch(request, code)
    return download_response(
        write(batch=batch, region=region),
        filename=f"{batch.name}公示名单.{suffix}",
        fallback=f"public-notice-{batch.code}.{suffix}",
        content_type=content_type,
    )


@require_GET
@access_view(Perm.BATCH_REPORT)
def public_notice_xlsx_view(request: HttpRequest, code: str) -> HttpResponse:
    """公示名单 as a workbook: the batch's applications under public notice, within region."""
    return _public_notice_download(request, code, public_notice_xlsx, suffix="xlsx", content_type=XLSX)


@require_GET
@access_view(Perm.BATCH_REPORT)
def public_notice_pdf_view(request: HttpRequest, code: str) -> HttpResponse:
    """公示名单 as a printable A4 PDF."""
    return _public_notice_download(request, code, public_notice_pdf, suffix="pdf", content_type=PDF)


@require_POST
@access_view(Perm.BATCH_MANAGE)
def batch_status_view(request: HttpRequest, code: str) -> HttpResponse:
    user = access_require(request.user, Perm.BATCH_MANAGE)
    batch = _batch(request, code)
    status = request.POST.get("status", "")
    try:
        batch = svc.batch_set_status(acting_user=user, batch=batch, status=status)
    except ApplicationError as exc:
        messages.error(request, exc.message, extra_tags="danger")
    else:
        messages.success(request, f"批次“{batch.name}”已{batch.get_status_display()}。")
    return redirect("web:batch_detail", code=batch.code)


# --- the queue / 我的申报 ------------------------------------------------------------------------


@require_GET
@access_view(Perm.APPLICATION_VIEW)
def application_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if user.role == Role.EXPERT:
        return redirect("web:review_list")
    filters = ApplicationFilter(
        batch=request.GET.get("batch", ""),
        status=request.GET.get("status", ""),
        town=request.GET.get("town", ""),
        q=request.GET.get("q", ""),
    )
    scoped = application_queryset_for(user)
    page = Paginator(application_filter(scoped, filters), 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    is_firm = access_has(user, Perm.APPLICATION_APPLY)
    by_status = application_status_counts(scoped)
    open_batches: list[dict[str, Any]] = []
    if is_firm and user.enterprise is not None:
        for b in batches_open_for(user.enterprise):
            titles = _policy_titles(b)
            open_batches.append(
                {"batch": b, "policies": [(pid, titles.get(pid, pid)) for pid in b.policy_ids]}
            )
    titles_by_batch: dict[int, dict[str, str]] = {}
    rows = []
    for app in page:
        if app.batch_id not in titles_by_batch:
            titles_by_batch[app.batch_id] = _policy_titles(app.batch)
        rows.append(
            {"app": app, "policy_title": titles_by_batch[app.batch_id].get(app.policy_id, app.policy_id)}
        )
    return render(
        request,
        "web/application_list.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query": query.urlencode(),
            "is_firm": is_firm,
            "open_batches": open_batches,
            "batches": batch_list(region=access_scope_region(user)) if not is_firm else [],
            "towns": access_towns(user),
            "statuses": Status.choices,
            "counts": [(v, label, by_status[v]) for v, label in Status.choices if by_status.get(v)],
            "title": "我的申报" if is_firm else QUEUE_TITLES.get(user.role, "申报受理"),
        },
    )


# --- the enterprise's form ----------------------------------------------------------------------


def _open_batch(request: HttpRequest, code: str) -> PolicyBatch:
    user = _user(request)
    if user.enterprise is None:
        raise Http404("您的账户未绑定企业。")
    found = next((b for b in batches_open_for(user.enterprise) if b.code == code), None)
    if found is None:
        raise Http404("该批次不存在或不在申报期内。")
    return found


@require_http_methods(["GET", "POST"])
@access_view(Perm.APPLICATION_APPLY)
def application_create_view(request: HttpRequest, code: str, policy_id: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_APPLY)
    batch = _open_batch(request, code)
    titles = _policy_titles(batch)
    if policy_id not in batch.policy_ids:
        raise Http404("该批次不受理这项政策。")
    form = ApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid() and user.enterprise is not None:
        try:
            app = svc.application_create(
                acting_user=user,
                batch=batch,
                policy_id=policy_id,
                enterprise=user.enterprise,
                data=form.service_data(),
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"草稿已保存，申报编号 {app.number}。请上传材料、核对预审结果后提交。")
            return _detail(app)
    return render(
        request,
        "web/application_form.html",
        {
            "form": form,
            "batch": batch,
            "policy_id": policy_id,
            "policy_title": titles.get(policy_id, policy_id),
            "app": None,
        },
    )


@require_http_methods(["GET", "POST"])
@access_view(Perm.APPLICATION_APPLY)
def application_edit_view(request: HttpRequest, number: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_APPLY)
    app = _application(request, number)
    if app.status not in svc.EDITABLE:
        messages.error(
            request, f"申报当前状态为“{app.get_status_display()}”，不能修改。", extra_tags="danger"
        )
        return _detail(app)
    initial = {
        "project_name": app.project_name,
        "project_summary": app.project_summary,
        "kinds": app.kinds,
        "in_pilot_plan": app.in_pilot_plan,
        "declared_investment": f"{app.declared_investment:,.2f}",
    }
    form = ApplicationForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            svc.application_update(acting_user=user, application=app, data=form.service_data())
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, "已保存修改。")
            return _detail(app)
    return render(
        request,
        "web/application_form.html",
        {
            "form": form,
            "batch": app.batch,
            "policy_id": app.policy_id,
            "policy_title": _policy_titles(app.batch).get(app.policy_id, app.policy_id),
            "app": app,
        },
    )


# --- one application's page ----------------------------------------------------------------------


def _experts() -> list[User]:
    return list(User.objects.filter(role=Role.EXPERT, is_active=True).order_by("username"))


def _moves(user: User, app: Application) -> list[Transition]:
    return [
        t
        for t in transitions_from(app.status)
        if t.action not in HIDDEN_MOVES and user.role in {r.value for r in t.roles}
    ]


def _shares(app: Application) -> list[dict[str, Any]]:
    from shuzhuan.funds.models import AwardShare
    from shuzhuan.funds.selectors import share_payment

    award = _award(app)
    if award is None:
        return []
    rows = []
    for share in AwardShare.objects.filter(award=award).order_by("level"):
        rows.append({"share": share, "payment": share_payment(share)})  # None: unpaid or reversed
    return rows


def _award(app: Application) -> Any:
    from shuzhuan.funds.models import Award

    return Award.objects.filter(application=app).first()


class _Bound(dict[str, Any]):
    """Forms that came back with a refusal, remembering which ones the page shows."""

    def __init__(self, forms: dict[str, Any]):
        super().__init__(forms)
        self.used: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return super().get(key, default)


def _detail_context(
    request: HttpRequest, app: Application, bound: dict[str, Any] | None = None
) -> dict[str, Any]:
    user = _user(request)
    bound = _Bound(bound or {})
    role = user.role
    is_firm = role == Role.ENTERPRISE
    is_bureau = role == Role.BUREAU_OFFICER
    moves = _moves(user, app)
    titles = _policy_titles(app.batch)
    precheck = None
    explanation = None
    try:
        if app.status not in PAST_ACCEPTANCE:
            precheck = svc.application_precheck(app)
        else:
            x = svc.application_explain(app)
            explanation = next((r for r in x.results if r.policy.id == app.policy_id), None)
    except ApplicationError as exc:
        messages.warning(request, f"无法计算补助上限：{exc.message}")
    forms: dict[str, Any] = {}
    plain: list[dict[str, Any]] = []
    for move in moves:
        if move.action in SPECIAL_MOVES:
            continue
        form = bound.get(move.action) or ReasonForm(prefix=move.action)
        if move.reason_required:
            form.fields["reason"].label = f"{move.label}的理由"
            form.fields["reason"].required = True
        plain.append({"move": move, "form": form, "danger": move.target in DANGER_TARGETS})
    actions = {m.action for m in moves}
    if "submit" in actions:
        forms["submit"] = bound.get("submit") or SubmitForm(prefix="submit")
    if "accept" in actions:
        forms["accept"] = bound.get("accept") or AcceptForm(
            prefix="accept",
            initial={
                "verified_investment": f"{app.declared_investment:,.2f}",
                "accepted_on": timezone.localdate(),
            },
        )
    if "approve" in actions:
        forms["approve"] = bound.get("approve") or ApproveForm(
            prefix="approve", initial={"amount": f"{app.ceiling:,.2f}" if app.ceiling is not None else ""}
        )
    if "start_notice" in actions:
        forms["start_notice"] = bound.get("start_notice") or NoticeForm(
            prefix="start_notice", initial={"starts_on": timezone.localdate()}
        )
    if "revoke" in actions:
        revoke = bound.get("revoke") or ReasonForm(prefix="revoke")
        revoke.fields["reason"].label = "撤销核定的理由"
        revoke.fields["reason"].required = True
        forms["revoke"] = revoke
    if is_bureau and app.status == Status.EXPERT_REVIEW:
        forms["experts"] = bound.get("experts") or AssignExpertsForm(prefix="experts", experts=_experts())
    if is_bureau and app.status == Status.PUBLIC_NOTICE:
        forms["objection"] = bound.get("objection") or ObjectionForm(
            prefix="objection", initial={"received_on": timezone.localdate()}
        )
    can_apply = is_firm and access_has(user, Perm.APPLICATION_APPLY)
    if can_apply and app.status not in ENDED:
        forms["material"] = bound.get("material") or MaterialForm(prefix="material", batch=app.batch)
    if can_apply and app.status in svc.INVOICE_EDITABLE:
        forms["invoice"] = bound.get("invoice") or InvoiceForm(prefix="invoice")
    reviews = (
        list(app.expert_reviews.select_related("expert"))
        if role in (Role.BUREAU_OFFICER, Role.AUDITOR)
        else []
    )
    objections = list(app.objections.select_related("recorded_by", "resolved_by"))
    shares = _shares(app)
    can_pay = access_has(user, Perm.DISBURSE) and app.status == Status.DISBURSING
    for row in shares:
        if can_pay and row["payment"] is None:
            key = f"pay-{row['share'].pk}"
            row["form"] = bound.get(key) or PayShareForm(
                prefix=key, initial={"idempotency_key": PayShareForm.fresh_key()}
            )
    resolve_forms = {}
    if is_bureau:
        for o in objections:
            if o.resolved_at is None:
                key = f"resolve-{o.pk}"
                resolve_forms[o.pk] = bound.get(key) or ObjectionResolveForm(prefix=key)
    # A refused form this page no longer shows (the status moved on meanwhile): its messages.
    orphans = [
        str(e)
        for key, form in bound.items()
        if key not in bound.used
        for errors in form.errors.values()
        for e in errors
    ]
    return {
        "app": app,
        "refusals": orphans,
        "policy_title": titles.get(app.policy_id, app.policy_id),
        "kind_labels": [KIND_LABELS.get(k, k) for k in app.kinds or []],
        "badge": STATUS_BADGE.get(Status(app.status), "primary"),
        "history": [
            {"change": c, "label": TRANSITIONS[c.action].label if c.action in TRANSITIONS else c.action}
            for c in app.status_changes.select_related("actor")
        ],
        "materials": app.materials.select_related("uploaded_by"),
        "invoices": app.invoices.all(),
        "reviews": reviews,
        "sheet": SCORING_SHEET,
        "objections": [{"objection": o, "form": resolve_forms.get(o.pk)} for o in objections],
        "award": _award(app),
        "shares": shares,
        "precheck": precheck,
        "explanation": explanation,
        "plain_moves": plain,
        "forms": forms,
        "can_edit": can_apply and app.status in svc.EDITABLE,
        "can_pay": can_pay,
        "can_remove_invoice": can_apply and app.status in svc.INVOICE_EDITABLE,
        "is_firm": is_firm,
        "is_expert": role == Role.EXPERT,
        "my_review": app.expert_reviews.filter(expert=user).first() if role == Role.EXPERT else None,
        "show_reviews": role in (Role.BUREAU_OFFICER, Role.AUDITOR),
    }


def _render_detail(
    request: HttpRequest, app: Application, bound: dict[str, Any] | None = None
) -> HttpResponse:
    app.refresh_from_db()
    return render(request, "web/application_detail.html", _detail_context(request, app, bound))


@require_GET
@access_view(Perm.APPLICATION_VIEW)
def application_detail(request: HttpRequest, number: str) -> HttpResponse:
    return _render_detail(request, _application(request, number))


# --- moves ----------------------------------------------------------------------------------------

Handler = Callable[[HttpRequest, User, Application], Any]


def _plain_move(request: HttpRequest, user: User, app: Application, action: str) -> Any:
    form = ReasonForm(request.POST, prefix=action)
    form.is_valid()
    try:
        return svc.application_move(
            acting_user=user, application=app, action=action, reason=form.cleaned_data.get("reason", "")
        )
    except ApplicationError as exc:
        form.apply_error(exc)
        raise _Refused({action: form}) from exc


class _Refused(Exception):
    """A move's form came back with the service's refusal on it."""

    def __init__(self, bound: dict[str, Any]):
        super().__init__("refused")
        self.bound = bound


def _run(form: Any, key: str, call: Callable[[], Any]) -> Any:
    """Validate ``form``, then call the service; a refusal goes onto the form."""
    if not form.is_valid():
        raise _Refused({key: form})
    try:
        return call()
    except ApplicationError as exc:
        form.apply_error(exc)
        raise _Refused({key: form}) from exc


def _submit(request: HttpRequest, user: User, app: Application) -> Any:
    form = SubmitForm(request.POST, prefix="submit")
    return _run(
        form,
        "submit",
        lambda: svc.application_submit(
            acting_user=user, application=app, declaration=form.cleaned_data.get("declaration", False)
        ),
    )


def _include(request: HttpRequest, user: User, app: Application) -> Any:
    form = ReasonForm(request.POST, prefix="include")
    return _run(form, "include", lambda: svc.application_include(acting_user=user, application=app))


def _request_acceptance(request: HttpRequest, user: User, app: Application) -> Any:
    form = ReasonForm(request.POST, prefix="request_acceptance")
    return _run(
        form,
        "request_acceptance",
        lambda: svc.application_request_acceptance(acting_user=user, application=app),
    )


def _accept(request: HttpRequest, user: User, app: Application) -> Any:
    form = AcceptForm(request.POST, prefix="accept")
    return _run(
        form,
        "accept",
        lambda: svc.application_accept(
            acting_user=user,
            application=app,
            verified_investment=(form.cleaned_data.get("verified_investment") or "").replace("，", ","),
            notes=form.cleaned_data.get("notes", ""),
            accepted_on=form.cleaned_data.get("accepted_on"),
        ),
    )


def _approve(request: HttpRequest, user: User, app: Application) -> Any:
    from shuzhuan.funds.services import award_approve

    form = ApproveForm(request.POST, prefix="approve")

    def call() -> Any:
        amount = svc.money(form.cleaned_data.get("amount"), field="amount", label="核定补助金额")
        return award_approve(
            acting_user=user, application=app, amount=amount, reason=form.cleaned_data.get("reason", "")
        )

    return _run(form, "approve", call)


def _start_notice(request: HttpRequest, user: User, app: Application) -> Any:
    form = NoticeForm(request.POST, prefix="start_notice")
    return _run(
        form,
        "start_notice",
        lambda: svc.application_start_notice(
            acting_user=user, application=app, starts_on=form.cleaned_data.get("starts_on")
        ),
    )


def _revoke(request: HttpRequest, user: User, app: Application) -> Any:
    from shuzhuan.funds.services import award_revoke

    form = ReasonForm(request.POST, prefix="revoke")
    return _run(
        form,
        "revoke",
        lambda: award_revoke(acting_user=user, application=app, reason=form.cleaned_data.get("reason", "")),
    )


def _start_disbursement(request: HttpRequest, user: User, app: Application) -> Any:
    form = ReasonForm(request.POST, prefix="start_disbursement")
    return _run(
        form,
        "start_disbursement",
        lambda: svc.application_start_disbursement(acting_user=user, application=app),
    )


HANDLERS: dict[str, Handler] = {
    "submit": _submit,
    "include": _include,
    "request_acceptance": _request_acceptance,
    "accept": _accept,
    "approve": _approve,
    "start_notice": _start_notice,
    "revoke": _revoke,
    "start_disbursement": _start_disbursement,
}


@require_POST
@access_view(Perm.APPLICATION_VIEW)
def application_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One move of the workflow. A role the table does not allow the move → 403; an application
    outside the user's scope → 404; a move the status or the data refuses → the page again, with
    the message on the form."""
    user = _user(request)
    move = TRANSITIONS.get(action)
    if move is None or action in HIDDEN_MOVES:
        raise Http404("没有这项操作。")
    if user.role not in {r.value for r in move.roles}:
        raise PermissionDenied("您没有执行此操作的权限。")
    app = _application(request, number)
    handler = HANDLERS.get(action)
    try:
        if handler is not None:
            handler(request, user, app)
        else:
            _plain_move(request, user, app, action)
    except _Refused as refused:
        messages.error(request, f"未能办理“{move.label}”，请查看下方提示。", extra_tags="danger")
        return _render_detail(request, app, refused.bound)
    app.refresh_from_db()
    messages.success(request, f"已办理“{move.label}”，申报当前状态：{app.get_status_display()}。")
    return _detail(app)


# --- forms that record more than a move -----------------------------------------------------------


def _posted(
    request: HttpRequest,
    app: Application,
    form: Any,
    key: str,
    call: Callable[[], Any],
    done: Callable[[Any], str],
) -> HttpResponse:
    """``_run`` for a form on the application's page: a refusal shows the page again with the
    form on it; success goes back to the page with the message ``done(result)``."""
    try:
        result = _run(form, key, call)
    except _Refused as refused:
        return _render_detail(request, app, refused.bound)
    messages.success(request, done(result))
    return _detail(app)


@require_POST
@access_view(Perm.APPLICATION_APPLY)
def material_upload_view(request: HttpRequest, number: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_APPLY)
    app = _application(request, number)
    form = MaterialForm(request.POST, request.FILES, prefix="material", batch=app.batch)
    return _posted(
        request,
        app,
        form,
        "material",
        lambda: svc.material_upload(
            acting_user=user,
            application=app,
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
        ),
        lambda material: f"已上传材料：{material.original_name}。",
    )


@require_GET
@access_view(Perm.APPLICATION_VIEW)
def material_download(request: HttpRequest, number: str, material_id: int) -> FileResponse:
    """The stored file, streamed — only to someone who may see the application."""
    app = _application(request, number)
    material = app.materials.filter(pk=material_id).first()
    if material is None:
        raise Http404("没有找到该材料。")
    path = svc.material_path(material)
    try:
        handle = path.open("rb")
    except OSError:
        raise Http404("材料文件不存在。") from None
    response = FileResponse(
        handle, as_attachment=True, filename=material.original_name, content_type=material.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@access_view(Perm.APPLICATION_APPLY)
def invoice_add_view(request: HttpRequest, number: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_APPLY)
    app = _application(request, number)
    form = InvoiceForm(request.POST, prefix="invoice")
    return _posted(
        request,
        app,
        form,
        "invoice",
        lambda: svc.invoice_add(
            acting_user=user,
            application=app,
            number=form.cleaned_data["number"],
            issued_on=form.cleaned_data["issued_on"],
            amount=form.cleaned_data["amount"].replace("，", ","),
            seller=form.cleaned_data.get("seller", ""),
        ),
        lambda invoice: f"已录入发票 {invoice.number}（{invoice.amount:,.2f} 元）。",
    )


@require_POST
@access_view(Perm.APPLICATION_APPLY)
def invoice_remove_view(request: HttpRequest, number: str, invoice_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_APPLY)
    app = _application(request, number)
    invoice = app.invoices.filter(pk=invoice_id).first()
    if invoice is None:
        raise Http404("没有找到该发票。")
    try:
        svc.invoice_remove(acting_user=user, invoice=invoice)
    except ApplicationError as exc:
        messages.error(request, exc.message, extra_tags="danger")
    else:
        messages.success(request, f"已删除发票 {invoice.number}。")
    return _detail(app)


@require_POST
@access_view(Perm.APPLICATION_REVIEW)
def expert_assign_view(request: HttpRequest, number: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_REVIEW)
    app = _application(request, number)
    pool = _experts()
    form = AssignExpertsForm(request.POST, prefix="experts", experts=pool)

    def done(reviews: list[Any]) -> str:
        names = "、".join(str(r.expert) for r in reviews)
        return f"已指派评审专家：{names}。" if names else "所选专家均已指派过。"

    return _posted(
        request,
        app,
        form,
        "experts",
        lambda: svc.expert_assign(
            acting_user=user,
            application=app,
            experts=[u for u in pool if str(u.pk) in set(form.cleaned_data["experts"])],
        ),
        done,
    )


@require_POST
@access_view(Perm.APPLICATION_REVIEW)
def objection_record_view(request: HttpRequest, number: str) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_REVIEW)
    app = _application(request, number)
    form = ObjectionForm(request.POST, prefix="objection")
    return _posted(
        request,
        app,
        form,
        "objection",
        lambda: svc.objection_record(
            acting_user=user,
            application=app,
            content=form.cleaned_data.get("content", ""),
            received_on=form.cleaned_data.get("received_on"),
        ),
        lambda _: "已登记公示异议；异议处理完毕且不成立后方可兑现。",
    )


@require_POST
@access_view(Perm.APPLICATION_REVIEW)
def objection_resolve_view(request: HttpRequest, number: str, objection_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.APPLICATION_REVIEW)
    app = _application(request, number)
    objection = app.objections.filter(pk=objection_id).first()
    if objection is None:
        raise Http404("没有找到该异议。")
    key = f"resolve-{objection.pk}"
    form = ObjectionResolveForm(request.POST, prefix=key)
    return _posted(
        request,
        app,
        form,
        key,
        lambda: svc.objection_resolve(
            acting_user=user,
            objection=objection,
            upheld=form.cleaned_data["upheld"],
            resolution=form.cleaned_data.get("resolution", ""),
        ),
        lambda _: "已记录异议处理结果。",
    )


@require_POST
@access_view(Perm.DISBURSE)
def share_pay_view(request: HttpRequest, number: str, share_id: int) -> HttpResponse:
    from shuzhuan.funds.models import AwardShare
    from shuzhuan.funds.services import share_pay

    user = access_require(request.user, Perm.DISBURSE)
    app = _application(request, number)
    share = AwardShare.objects.filter(pk=share_id, award__application=app).first()
    if share is None:
        raise Http404("没有找到该资金份额。")
    key = f"pay-{share.pk}"
    form = PayShareForm(request.POST, prefix=key)
    try:
        result = _run(
            form,
            key,
            lambda: share_pay(
                acting_user=user,
                share=share,
                reference=form.cleaned_data.get("reference", ""),
                idempotency_key=form.cleaned_data["idempotency_key"],
            ),
        )
    except _Refused as refused:
        return _render_detail(request, app, refused.bound)
    app.refresh_from_db()
    level = svc.LEVEL_NAMES.get(share.level, share.level)
    if not result.created:
        messages.info(request, f"{level}资金此前已兑现（凭证 {result.entry.reference}），未重复支付。")
        return _detail(app)
    done = "，全部份额已兑现，申报已办结" if app.status == Status.CLOSED else ""
    messages.success(request, f"已兑现{level}资金 {share.amount:,.2f} 元{done}。")
    return _detail(app)


# --- the expert's 评审 -----------------------------------------------------------------------------


@require_GET
@access_view(Perm.EXPERT_REVIEW)
def review_list(request: HttpRequest) -> HttpResponse:
    reviews = list(expert_reviews_for(_user(request)))
    return render(
        request,
        "web/review_list.html",
        {
            "pending": [r for r in reviews if r.submitted_at is None],
            "done": [r for r in reviews if r.submitted_at is not None],
        },
    )


@require_http_methods(["GET", "POST"])
@access_view(Perm.EXPERT_REVIEW)
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.EXPERT_REVIEW)
    review = expert_reviews_for(user).filter(pk=review_id).first()
    if review is None:
        raise Http404("没有找到该评审任务。")
    app = review.application
    form = ReviewForm(request.POST if request.method == "POST" else None, prefix="review")
    if request.method == "POST" and review.submitted_at is None:
        try:
            _run(
                form,
                "review",
                lambda: svc.expert_review_submit(
                    acting_user=user,
                    review=review,
                    no_conflict=form.cleaned_data["conflict"] == "none",
                    conflict_reason=form.cleaned_data.get("conflict_reason", ""),
                    scores=form.scores() if form.cleaned_data["conflict"] == "none" else None,
                    comment=form.cleaned_data.get("comment", ""),
                ),
            )
        except _Refused:
            pass
        else:
            review.refresh_from_db()
            if review.total is not None:
                messages.success(request, f"评审已提交，总分 {review.total}。")
            else:
                messages.success(request, "已声明回避，本次评审不计分。")
            return redirect("web:review_list")
    return render(
        request,
        "web/review_detail.html",
        {
            "review": review,
            "app": app,
            "policy_title": _policy_titles(app.batch).get(app.policy_id, app.policy_id),
            "kind_labels": [KIND_LABELS.get(k, k) for k in app.kinds or []],
            "materials": app.materials.all(),
            "invoices": app.invoices.all(),
            "form": form,
            "sheet": SCORING_SHEET,
            "max_total": sum(c.max_points for c in SCORING_SHEET),
            "scores": [(c, review.scores.get(c.code, "")) for c in SCORING_SHEET],
        },
    )


# --- 通知 ----------------------------------------------------------------------------------------


@require_GET
@access_view(Perm.NOTICE_INBOX)
def notice_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    page = Paginator(notices_for(user.enterprise_id), 30).get_page(request.GET.get("page"))
    opted_out = user.enterprise is not None and push_opted_out(user.enterprise)
    return render(request, "web/notice_list.html", {"page": page, "push_opted_out": opted_out})


@require_POST
@access_view(Perm.NOTICE_INBOX)
def notice_read(request: HttpRequest) -> HttpResponse:
    """Mark one notice (``notice``) or all of them read; to the notice's application, if any, or
    the page inside the site it points to (a pushed match: where to apply)."""
    user = _user(request)
    raw = request.POST.get("notice", "")
    notice: Notice | None = None
    if raw:
        notice = notices_for(user.enterprise_id).filter(pk=int(raw) if raw.isdigit() else 0).first()
        if notice is None:
            raise Http404("没有找到该通知。")
    notice_mark_read(enterprise_id=user.enterprise_id, notice_ids=[notice.pk] if notice else None)
    if notice is not None and notice.application is not None:
        return redirect("web:application_detail", number=notice.application.number)
    if notice is not None and notice.link.startswith("/") and not notice.link.startswith("//"):
        return redirect(notice.link)
    if notice is None:
        messages.success(request, "已将全部通知标为已读。")
    return redirect(reverse("web:notice_list"))
