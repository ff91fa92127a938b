"""政策找人: the officers' pages — the current matching run (figures within their region, what
changed since the run before, the time of each phase), per policy the matched enterprises that
have not applied (by town, exportable for outreach visits), a run's changes, and for the bureau
starting a run (a background task whose progress the page polls with htmx), pushing its notices
and creating the 免申即享 awards — and the enterprise's opt-out of pushed notices. (The
enterprise's "为您匹配的政策" is on the home page, ``shuzhuan.web.views.home``.)

Thin like every view: ``access_*`` decides the role and the region (an officer without one sees
nothing), ``shuzhuan.matching.selectors`` what there is to see, ``shuzhuan.matching.services``
what may be done; a refusal comes back on the page as the service's message on the field it names.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypeVar

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_enterprises,
    access_has,
    access_require,
    access_scope_region,
    access_towns,
    access_view,
)
from shuzhuan.accounts.models import User
from shuzhuan.core.errors import ApplicationError
from shuzhuan.core.tasks import task_get
from shuzhuan.enterprises.models import Region
from shuzhuan.matching.exports import policy_unapplied_xlsx
from shuzhuan.matching.models import MatchChange, MatchRun, MatchStatus
from shuzhuan.matching.selectors import (
    match_changes,
    match_run_active,
    match_run_current,
    match_run_figures,
    match_run_for_task,
    match_run_get,
    match_run_list,
    policy_get,
    policy_summaries,
    policy_titles,
    policy_unapplied,
    policy_unapplied_by_town,
)
from shuzhuan.matching.services import match_auto_grant, match_push, match_run_start, push_preference_set
from shuzhuan.web.downloads import XLSX, download_response
from shuzhuan.web.forms_matching import MatchRunForm, RunChoiceForm

PAGE_SIZE = 50
RECENT_RUNS = 10
_Report = TypeVar("_Report")


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _region(request: HttpRequest) -> Region:
    """The officer's region; matches are never shown to one who has none (it would be all)."""
    region = access_scope_region(request.user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    return region


def _wants_fragment(request: HttpRequest) -> bool:
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _timings(run: MatchRun) -> list[tuple[str, float]]:
    """(phase label, seconds) in the phases' order."""
    timings = run.timings or {}
    return [(label, float(timings[code])) for code, label in MatchRun.Phase.choices if code in timings]


def _run_context(run: MatchRun, region: Region) -> dict[str, Any]:
    timings = _timings(run)
    return {
        "run": run,
        "figures": match_run_figures(run=run, region=region)
        if run.status == MatchRun.Status.SUCCEEDED
        else None,
        "timings": timings,
        "timing_total": sum(seconds for _, seconds in timings),
    }


# --- the overview --------------------------------------------------------------------------------


def _overview(
    request: HttpRequest,
    *,
    form: MatchRunForm | None = None,
    push_form: RunChoiceForm | None = None,
    grant_form: RunChoiceForm | None = None,
    push: Any = None,
    grant: Any = None,
) -> HttpResponse:
    user = _user(request)
    region = _region(request)
    run = match_run_current()
    can_run = access_has(user, Perm.MATCH_RUN)
    context: dict[str, Any] = {
        "region": region,
        "current": run,
        "summaries": policy_summaries(region=region, run=run) if run is not None else [],
        "active": match_run_active(),
        "runs": list(match_run_list(limit=RECENT_RUNS)),
        "can_run": can_run,
        "form": (form or MatchRunForm()) if can_run else None,
        "push_form": push_form,
        "grant_form": grant_form,
        "push": push,
        "grant": grant,
    }
    if run is not None:
        context.update({f"current_{k}": v for k, v in _run_context(run, region).items() if k != "run"})
    return render(request, "web/matching.html", context)


@require_GET
@access_view(Perm.MATCH_VIEW)
def matching_overview(request: HttpRequest) -> HttpResponse:
    return _overview(request)


# --- runs ----------------------------------------------------------------------------------------


@require_POST
@access_view(Perm.MATCH_RUN)
def match_run_start_view(request: HttpRequest) -> HttpResponse:
    """Queue a run as a background task and go to its page, which shows the progress."""
    user = access_require(request.user, Perm.MATCH_RUN)
    _region(request)
    form = MatchRunForm(request.POST)
    if form.is_valid():
        try:
            task_id = match_run_start(
                acting_user=user, engine=form.cleaned_data["engine"], on=form.cleaned_data["on"]
            )
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            run = match_run_for_task(task_id)
            if run is None:  # pragma: no cover - the service creates it with the task
                raise Http404("没有找到该匹配运行。")
            messages.success(request, f"已发起第 {run.version} 次政策匹配（{run.get_engine_display()}）。")
            return redirect("web:match_run", version=run.version)
    return _overview(request, form=form)


@require_GET
@access_view(Perm.MATCH_VIEW)
def match_run_detail(request: HttpRequest, version: int) -> HttpResponse:
    """One run: its progress while queued or running (the fragment polls itself with htmx), then
    its figures within the officer's region, its changes and the time of each phase."""
    region = _region(request)
    run = match_run_get(version=version)
    if run is None:
        raise Http404("没有找到该匹配运行。")
    job = task_get(run.task_id) if run.task_id else None
    current = match_run_current()
    context = {
        **_run_context(run, region),
        "job": job,
        "percent": job.percent if job is not None else None,
        "is_current": current is not None and current.pk == run.pk,
        "region": region,
    }
    template = "web/_match_run.html" if _wants_fragment(request) else "web/match_run.html"
    return render(request, template, context)


def _chosen_run(form: RunChoiceForm) -> MatchRun | None:
    if not form.is_valid():
        return None
    run = match_run_get(version=form.cleaned_data["run"])
    if run is None:
        form.add_error("run", f"没有第 {form.cleaned_data['run']} 次匹配。")
    return run


def _run_choice_post(
    request: HttpRequest,
    prefix: Literal["push", "grant"],
    act: Callable[[User, MatchRun], _Report],
    done: Callable[[_Report], str],
) -> HttpResponse:
    """``act`` on the run chosen in the overview's form ``prefix``: the overview again with the
    message ``done(report)`` and the report, or with the form and its refusal."""
    user = access_require(request.user, Perm.MATCH_RUN)
    _region(request)
    form = RunChoiceForm(request.POST, prefix=prefix)
    refused: dict[str, Any] = {f"{prefix}_form": form}  # push_form= or grant_form=
    run = _chosen_run(form)
    if run is None:
        return _overview(request, **refused)
    try:
        report = act(user, run)
    except ApplicationError as exc:
        form.apply_error(exc)
        return _overview(request, **refused)
    messages.success(request, done(report))
    shown: dict[str, Any] = {prefix: report}  # push= or grant=
    return _overview(request, **shown)


@require_POST
@access_view(Perm.MATCH_RUN)
def match_push_view(request: HttpRequest) -> HttpResponse:
    """Push the current run's new matches as notices; the page shows what was sent."""
    return _run_choice_post(
        request,
        "push",
        lambda user, run: match_push(acting_user=user, run=run),
        lambda report: (
            f"已推送第 {report.run} 次匹配结果：{report.sent} 条通知，{report.enterprises} 家企业。"
        ),
    )


@require_POST
@access_view(Perm.MATCH_RUN)
def match_auto_grant_view(request: HttpRequest) -> HttpResponse:
    """Create the 免申即享 awards of the current run (each waits for an officer's amount)."""
    return _run_choice_post(
        request,
        "grant",
        lambda user, run: match_auto_grant(acting_user=user, run=run),
        lambda report: (
            f"免申即享：第 {report.run} 次匹配新受理 {len(report.granted)} 项，待核定金额后公示兑现。"
        ),
    )


# --- per policy: matched, not applied --------------------------------------------------------------


def _policy_filters(request: HttpRequest) -> tuple[Region | None, bool, list[str], str]:
    """(town, whether the town asked for is one the user may see, statuses, status asked for)."""
    code = request.GET.get("town", "").strip()
    town = access_towns(request.user).filter(code=code).first() if code else None
    status = request.GET.get("status", "").strip()
    statuses = [status] if status in MatchStatus.values else list(MatchStatus.values)
    return town, not code or town is not None, statuses, status if status in MatchStatus.values else ""


@require_GET
@access_view(Perm.MATCH_VIEW)
def match_policy(request: HttpRequest, policy_id: str) -> HttpResponse:
    """Per policy: the matched enterprises within the officer's region that have not applied,
    counted by town, listed by town (filterable by town and status), with the outreach list."""
    region = _region(request)
    policy = policy_get(policy_id)
    if policy is None:
        raise Http404("没有找到该政策。")
    run = match_run_current()
    town, allowed, statuses, status = _policy_filters(request)
    qs = policy_unapplied(policy_id=policy_id, region=region, run=run, statuses=statuses, town=town)
    if not allowed:  # a town outside the region (or none such): nothing, as if it had none
        qs = qs.none()
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/match_policy.html",
        {
            "policy": policy,
            "run": run,
            "region": region,
            "page": page,
            "query": query.urlencode(),
            "by_town": policy_unapplied_by_town(policy_id=policy_id, region=region, run=run),
            "towns": access_towns(request.user),
            "town_code": request.GET.get("town", "").strip(),
            "status": status,
            "statuses": MatchStatus.choices,
        },
    )


@require_GET
@access_view(Perm.MATCH_VIEW)
def match_policy_export(request: HttpRequest, policy_id: str) -> HttpResponse:
    """The outreach list (走访名单) of a policy as .xlsx: within the officer's region, ``?town=``."""
    region = _region(request)
    policy = policy_get(policy_id)
    if policy is None:
        raise Http404("没有找到该政策。")
    town, allowed, _, _ = _policy_filters(request)
    if not allowed:
        raise Http404("没有找到该镇（街道），或不在您的管辖范围内。")
    run = match_run_current()
    where = town.name if town is not None else region.name
    stamp = timezone.localdate().strftime("%Y%m%d")
    return download_response(
        policy_unapplied_xlsx(policy_id=policy_id, region=region, run=run, town=town),
        filename=f"{policy.title}走访名单（{where}）{stamp}.xlsx",
        fallback=f"outreach-{policy_id}-{town.code if town else region.code}-{stamp}.xlsx",
        content_type=XLSX,
    )


# --- what changed ------------------------------------------------------------------------------------


@require_GET
@access_view(Perm.MATCH_VIEW)
def match_changes_view(request: HttpRequest) -> HttpResponse:
    """A run's (``?run=``, default the current) new, changed and gone matches within the region."""
    region = _region(request)
    raw = request.GET.get("run", "").strip()
    if raw:
        run = match_run_get(version=int(raw)) if raw.isdigit() else None
        if run is None:
            raise Http404("没有找到该匹配运行。")
    else:
        run = match_run_current()
    kind = request.GET.get("kind", "").strip()
    kind = kind if kind in MatchChange.Kind.values else ""
    # no run: there is no current one either, and the selector answers nothing
    page = Paginator(match_changes(run=run, kind=kind or None, region=region), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    titles = policy_titles()
    return render(
        request,
        "web/match_changes.html",
        {
            "run": run,
            "region": region,
            "page": page,
            "query": query.urlencode(),
            "kind": kind,
            "kinds": MatchChange.Kind.choices,
            "figures": match_run_figures(run=run, region=region) if run is not None else None,
            "rows": [(c, titles.get(c.policy_id, c.policy_id)) for c in page],
        },
    )


# --- the enterprise's opt-out ----------------------------------------------------------------------


@require_POST
@access_view(Perm.MATCH_MINE)
def push_preference_view(request: HttpRequest) -> HttpResponse:
    """Opt out of (``opted_out=1``) or back into (``0``) pushed policy notices; to the inbox."""
    user = access_require(request.user, Perm.MATCH_MINE)
    enterprise = access_enterprises(user).first()
    if enterprise is None:
        raise Http404("您的账户未绑定企业。")
    value = request.POST.get("opted_out", "")
    if value not in ("0", "1"):
        messages.error(request, "推送设置：请选择接收或不接收政策推送。", extra_tags="danger")
        return redirect("web:notice_list")
    try:
        push_preference_set(acting_user=user, enterprise=enterprise, opted_out=value == "1")
    except ApplicationError as exc:
        messages.error(request, f"推送设置：{exc.message}", extra_tags="danger")
    else:
        messages.success(
            request,
            "已关闭政策推送：系统不再向贵企业推送匹配的政策，首页仍会显示“为您匹配的政策”。"
            if value == "1"
            else "已开启政策推送：系统匹配到新的政策时会通知贵企业。",
        )
    return redirect("web:notice_list")
