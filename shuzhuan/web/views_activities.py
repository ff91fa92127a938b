"""活动与人才: the officers' pages — the overview (events with kind/date/region filters and their
registration and attendance counts, training classes with trainees and employment, certification
figures), an event with its registrations and attendance, a training class with its trainees and
their outcome, skill certifications; and for the bureau and town officers the forms that record
them.

Thin like every view: ``access_*`` decides the role, ``shuzhuan.activities.selectors`` which
records the user sees (their region's subtree; anything else is a 404), the services what may be
written. A refused form comes back with the service's message on the field it names; a refused
row action (attendance, a trainee's outcome) comes back as a message on the page.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from shuzhuan.accounts.access import (
    Perm,
    access_enterprises,
    access_has,
    access_require,
    access_scope_region,
    access_view,
)
from shuzhuan.accounts.models import User
from shuzhuan.activities.models import Event, SkillCertification, TrainingClass
from shuzhuan.activities.selectors import (
    EventFilter,
    activity_summary,
    certifications_for,
    class_list,
    class_trainees,
    classes_for,
    employment_rate,
    event_filter,
    event_registrations,
    events_for,
)
from shuzhuan.activities.services import (
    attendance_set,
    certification_record,
    event_create,
    registration_add,
    trainee_add,
    trainee_outcome_set,
    training_class_create,
)
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.models import Region
from shuzhuan.web.forms_activities import (
    AttendanceForm,
    CertificationFilterForm,
    CertificationForm,
    EventFilterForm,
    EventForm,
    OutcomeForm,
    RegistrationForm,
    TraineeForm,
    TrainingClassForm,
)

PAGE_SIZE = 50


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _scope(request: HttpRequest) -> Region:
    """The officer's region; nothing is shown to one who has none."""
    region = access_scope_region(request.user)
    if region is None:
        raise PermissionDenied("您的账户未设置管辖区域。")
    return region


def _regions(scope: Region) -> QuerySet[Region]:
    """Where the user may hold or record activities: their region and the towns under it."""
    return Region.objects.filter(
        path__startswith=scope.path, level__in=[Region.Level.COUNTY, Region.Level.TOWN]
    ).order_by("path")


def _query(request: HttpRequest) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _error(request: HttpRequest, exc: ApplicationError) -> None:
    messages.error(request, exc.message, extra_tags="danger")  # Bootstrap's alert-danger


def _messages_of(form: Any) -> str:
    return "；".join(str(e) for errors in form.errors.values() for e in errors)


# --- the overview --------------------------------------------------------------------------------


@require_GET
@access_view(Perm.ACTIVITY_VIEW)
def activities_overview(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    scope = _scope(request)
    form = EventFilterForm(request.GET or None, regions=_regions(scope))
    filters = EventFilter()
    events = events_for(user)
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            filters = EventFilter(
                kind=data["kind"], region=data["region"], start=data["start"], end=data["end"]
            )
        else:  # a region outside the scope, a date that is not one: nothing rather than everything
            events = events.none()
    page = Paginator(event_filter(events, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    summary = activity_summary(
        filters.region or scope, filters.start or dt.date(1900, 1, 1), filters.end or dt.date(2999, 12, 31)
    )
    context = {
        "scope": scope,
        "form": form,
        "page": page,
        "query": _query(request),
        "summary": summary,
        "classes": class_list(classes_for(user)),
        "certification_count": certifications_for(user).count(),
        "can_manage": access_has(user, Perm.ACTIVITY_MANAGE),
    }
    return render(request, "web/activities.html", context)


# --- events --------------------------------------------------------------------------------------


def _event(user: User, pk: int) -> Event:
    found = events_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该活动，或您无权查看。")
    return found


def _event_url(event: Event) -> str:
    return reverse("web:activity_event", args=[event.pk])


def _event_page(request: HttpRequest, event: Event, form: RegistrationForm | None = None) -> HttpResponse:
    user = _user(request)
    can_manage = access_has(user, Perm.ACTIVITY_MANAGE)
    registrations = list(event_registrations(event))
    context = {
        "event": event,
        "registrations": registrations,
        "attended": sum(1 for r in registrations if r.attended),
        "can_manage": can_manage,
        "form": (form or RegistrationForm(enterprises=access_enterprises(user))) if can_manage else None,
    }
    return render(request, "web/activity_event.html", context)


@require_GET
@access_view(Perm.ACTIVITY_VIEW)
def activity_event(request: HttpRequest, pk: int) -> HttpResponse:
    return _event_page(request, _event(_user(request), pk))


def _record_new(
    request: HttpRequest,
    form_class: type[EventForm] | type[TrainingClassForm],
    create: Callable[..., Any],
    done: Callable[[Any], tuple[str, str]],
    template: str,
) -> HttpResponse:
    """A new event or class: the form (regions within the user's), the service, and on success
    a message and the record's page (``done`` gives both); a refusal lands on its field."""
    user = access_require(request.user, Perm.ACTIVITY_MANAGE)
    scope = _scope(request)
    form = form_class(
        request.POST if request.method == "POST" else None,
        regions=_regions(scope),
        initial={"region": scope.code},
    )
    if request.method == "POST" and form.is_valid():
        try:
            record = create(acting_user=user, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            message, url = done(record)
            messages.success(request, message)
            return redirect(url)
    return render(request, template, {"form": form})


@require_http_methods(["GET", "POST"])
@access_view(Perm.ACTIVITY_MANAGE)
def activity_event_new(request: HttpRequest) -> HttpResponse:
    return _record_new(
        request,
        EventForm,
        event_create,
        lambda event: (f"已登记活动：{event.title}（{event.held_on:%Y-%m-%d}）。", _event_url(event)),
        "web/activity_event_form.html",
    )


@require_POST
@access_view(Perm.ACTIVITY_MANAGE)
def activity_registration_add(request: HttpRequest, pk: int) -> HttpResponse:
    """Success: back to the event page. Refused: the page again, with the form's errors."""
    user = access_require(request.user, Perm.ACTIVITY_MANAGE)
    event = _event(user, pk)
    form = RegistrationForm(request.POST, enterprises=access_enterprises(user))
    if form.is_valid():
        try:
            registration = registration_add(acting_user=user, event=event, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已登记报名：{registration.attendee_name}。")
            return redirect(_event_url(event))
    return _event_page(request, event, form)


@require_POST
@access_view(Perm.ACTIVITY_MANAGE)
def activity_attendance(request: HttpRequest, pk: int, registration_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.ACTIVITY_MANAGE)
    event = _event(user, pk)
    registration = event.registrations.filter(pk=registration_id).first()
    if registration is None:
        raise Http404("没有找到该报名记录。")
    registration.event = event
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择“已签到”或“未签到”。", extra_tags="danger")
        return redirect(_event_url(event))
    try:
        attendance_set(acting_user=user, registration=registration, attended=form.cleaned_data["attended"])
    except ApplicationError as exc:
        _error(request, exc)
    else:
        state = "已签到" if form.cleaned_data["attended"] else "未签到"
        messages.success(request, f"{registration.attendee_name}：{state}。")
    return redirect(_event_url(event))


# --- training classes ----------------------------------------------------------------------------


def _class(user: User, pk: int) -> TrainingClass:
    found = classes_for(user).filter(pk=pk).first()
    if found is None:
        raise Http404("没有找到该培训班，或您无权查看。")
    return found


def _class_url(training_class: TrainingClass) -> str:
    return reverse("web:activity_class", args=[training_class.pk])


def _class_page(
    request: HttpRequest, training_class: TrainingClass, form: TraineeForm | None = None
) -> HttpResponse:
    user = _user(request)
    can_manage = access_has(user, Perm.ACTIVITY_MANAGE)
    trainees = list(class_trainees(training_class))
    completed = sum(1 for t in trainees if t.completed)
    employed = sum(1 for t in trainees if t.completed and t.employed)
    context = {
        "training_class": training_class,
        "trainees": trainees,
        "completed": completed,
        "employed": sum(1 for t in trainees if t.employed),
        "employment_rate": employment_rate(completed=completed, employed=employed),
        "can_manage": can_manage,
        "form": (form or TraineeForm(enterprises=access_enterprises(user))) if can_manage else None,
    }
    return render(request, "web/activity_class.html", context)


@require_GET
@access_view(Perm.ACTIVITY_VIEW)
def activity_class(request: HttpRequest, pk: int) -> HttpResponse:
    return _class_page(request, _class(_user(request), pk))


@require_http_methods(["GET", "POST"])
@access_view(Perm.ACTIVITY_MANAGE)
def activity_class_new(request: HttpRequest) -> HttpResponse:
    return _record_new(
        request,
        TrainingClassForm,
        training_class_create,
        lambda training_class: (f"已开设培训班：{training_class.name}。", _class_url(training_class)),
        "web/activity_class_form.html",
    )


@require_POST
@access_view(Perm.ACTIVITY_MANAGE)
def activity_trainee_add(request: HttpRequest, pk: int) -> HttpResponse:
    user = access_require(request.user, Perm.ACTIVITY_MANAGE)
    training_class = _class(user, pk)
    form = TraineeForm(request.POST, enterprises=access_enterprises(user))
    if form.is_valid():
        try:
            trainee = trainee_add(acting_user=user, training_class=training_class, **form.cleaned_data)
        except ApplicationError as exc:
            form.apply_error(exc)
        else:
            messages.success(request, f"已登记学员：{trainee.name}。")
            return redirect(_class_url(training_class))
    return _class_page(request, training_class, form)


@require_POST
@access_view(Perm.ACTIVITY_MANAGE)
def activity_trainee_outcome(request: HttpRequest, pk: int, trainee_id: int) -> HttpResponse:
    user = access_require(request.user, Perm.ACTIVITY_MANAGE)
    training_class = _class(user, pk)
    trainee = training_class.trainees.filter(pk=trainee_id).first()
    if trainee is None:
        raise Http404("没有找到该学员。")
    trainee.training_class = training_class
    form = OutcomeForm(request.POST, enterprises=access_enterprises(user))
    if not form.is_valid():
        messages.error(request, f"{trainee.name}：{_messages_of(form)}", extra_tags="danger")
        return redirect(_class_url(training_class))
    try:
        trainee = trainee_outcome_set(acting_user=user, trainee=trainee, **form.cleaned_data)
    except ApplicationError as exc:
        messages.error(request, f"{trainee.name}：{exc.message}", extra_tags="danger")
    else:
        outcome = "已结业" if trainee.completed else "未结业"
        if trainee.employed:
            outcome += f"，签约就业（{trainee.employer}）"
        messages.success(request, f"{trainee.name}：{outcome}。")
    return redirect(_class_url(training_class))


# --- skill certifications ------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@access_view(Perm.ACTIVITY_VIEW)
def activity_certifications(request: HttpRequest) -> HttpResponse:
    """The list (by year, occupation and level) and, for those who manage, the record form."""
    user = _user(request)
    scope = _scope(request)
    can_manage = access_has(user, Perm.ACTIVITY_MANAGE)
    form: CertificationForm | None = None
    if request.method == "POST":
        user = access_require(user, Perm.ACTIVITY_MANAGE)
        form = CertificationForm(request.POST, regions=_regions(scope), enterprises=access_enterprises(user))
        if form.is_valid():
            try:
                certification = certification_record(acting_user=user, **form.cleaned_data)
            except ApplicationError as exc:
                form.apply_error(exc)
            else:
                messages.success(
                    request,
                    f"已登记技能等级认定：{certification.person_name}，{certification.occupation}"
                    f"（{certification.get_level_display()}）。",
                )
                return redirect("web:activity_certifications")
    elif can_manage:
        form = CertificationForm(regions=_regions(scope), enterprises=access_enterprises(user))

    filters = CertificationFilterForm(request.GET or None)
    certifications = certifications_for(user)
    if filters.is_bound:
        if filters.is_valid():
            data = filters.cleaned_data
            if data["year"]:
                certifications = certifications.filter(certified_on__year=data["year"])
            if data["occupation"]:
                certifications = certifications.filter(occupation=data["occupation"].strip())
            if data["level"]:
                certifications = certifications.filter(level=data["level"])
        else:
            certifications = certifications.none()
    counts = dict(certifications.order_by().values_list("level").annotate(n=Count("id")))
    by_level = [(label, counts.get(level, 0)) for level, label in SkillCertification.Level.choices]
    occupations = (
        certifications_for(user).order_by("occupation").values_list("occupation", flat=True).distinct()
    )
    context = {
        "scope": scope,
        "filters": filters,
        "page": Paginator(certifications, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": _query(request),
        "by_level": by_level,
        "occupations": list(occupations),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "web/activity_certifications.html", context)
