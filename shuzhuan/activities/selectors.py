"""Reads of 活动与人才: what a user may see (scoped querysets) and the figures the bureau reports
(``activity_summary``: "2024年共开展15场现场会", "培训班三期，共培养100余名，签约就业率100%")."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet

from shuzhuan.accounts.access import Perm, access_has, access_scope_region
from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.enterprises.models import Region

PERCENT = Decimal("0.01")


def _scope_path(user: Any) -> str | None:
    """The region path the user sees activities under; None: nothing at all."""
    if not access_has(user, Perm.ACTIVITY_VIEW):
        return None
    region = access_scope_region(user)
    return None if region is None else region.path


def events_for(user: Any) -> QuerySet[Event]:
    """Every event this user may see: held in their region's subtree."""
    base = Event.objects.select_related("region")
    path = _scope_path(user)
    return base.none() if path is None else base.filter(region__path__startswith=path)


def classes_for(user: Any) -> QuerySet[TrainingClass]:
    base = TrainingClass.objects.select_related("region")
    path = _scope_path(user)
    return base.none() if path is None else base.filter(region__path__startswith=path)


def certifications_for(user: Any) -> QuerySet[SkillCertification]:
    base = SkillCertification.objects.select_related("region", "enterprise")
    path = _scope_path(user)
    return base.none() if path is None else base.filter(region__path__startswith=path)


# --- lists for the pages -----------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    kind: str = ""
    region: Region | None = None  # a town (or any region) within the user's scope
    start: dt.date | None = None
    end: dt.date | None = None


def event_filter(queryset: QuerySet[Event], filters: EventFilter) -> QuerySet[Event]:
    """``queryset`` narrowed by kind, region subtree and date range, with each event's registration
    and attendance counts (``registration_count``, ``attended_count``)."""
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.region is not None:
        queryset = queryset.filter(region__path__startswith=filters.region.path)
    if filters.start is not None:
        queryset = queryset.filter(held_on__gte=filters.start)
    if filters.end is not None:
        queryset = queryset.filter(held_on__lte=filters.end)
    return queryset.annotate(
        registration_count=Count("registrations"),
        attended_count=Count("registrations", filter=Q(registrations__attended=True)),
    ).order_by("-held_on", "-id")


def class_list(queryset: QuerySet[TrainingClass]) -> QuerySet[TrainingClass]:
    """Classes with ``trainee_count``, ``completed_count`` and ``employed_count``."""
    return queryset.annotate(
        trainee_count=Count("trainees"),
        completed_count=Count("trainees", filter=Q(trainees__completed=True)),
        employed_count=Count("trainees", filter=Q(trainees__employed=True)),
    ).order_by("-starts_on", "-id")


def event_registrations(event: Event) -> QuerySet[EventRegistration]:
    return event.registrations.select_related("enterprise", "enterprise__town").order_by(
        "registered_at", "id"
    )


def class_trainees(training_class: TrainingClass) -> QuerySet[Trainee]:
    return training_class.trainees.select_related("enterprise", "employer_enterprise").order_by("id")


# --- the figures -------------------------------------------------------------------------------


def employment_rate(*, completed: int, employed: int) -> Decimal | None:
    """Employed as a percentage of those who completed, 2 places, half-up; None when none completed."""
    if not completed:
        return None
    return (Decimal(employed) * 100 / Decimal(completed)).quantize(PERCENT, rounding=ROUND_HALF_UP)


def activity_summary(region: Region | None, start: dt.date, end: dt.date) -> dict[str, Any]:
    """The period's figures (``start`` … ``end``, both included) within ``region``'s subtree, or
    the whole database for None.

    * ``events``: per kind (every ``Event.Kind`` value) ``{"label", "count", "registrations",
      "attended"}``, and ``events_total`` the same summed over the kinds; an event counts by
      ``held_on``.
    * training classes that started in the period (``classes``), their ``trainees``, how many
      ``completed`` and ``employed``, and ``employment_rate`` — employed among those who completed,
      as a Decimal percentage (2 places, half-up), None when nobody completed.
    * ``certifications`` by ``certified_on``, and ``certifications_by_level`` {1..5: count}.
    """
    path_q: dict[str, str] = {} if region is None else {"region__path__startswith": region.path}

    events = Event.objects.filter(held_on__gte=start, held_on__lte=end, **path_q)
    per_kind = {
        row["kind"]: row
        for row in events.values("kind").annotate(
            n_events=Count("id", distinct=True),
            n_registrations=Count("registrations"),
            n_attended=Count("registrations", filter=Q(registrations__attended=True)),
        )
    }
    by_kind: dict[str, dict[str, Any]] = {}
    for kind, label in Event.Kind.choices:
        row = per_kind.get(kind, {})
        by_kind[kind] = {
            "label": label,
            "count": row.get("n_events", 0),
            "registrations": row.get("n_registrations", 0),
            "attended": row.get("n_attended", 0),
        }
    total = {key: sum(v[key] for v in by_kind.values()) for key in ("count", "registrations", "attended")}

    classes = TrainingClass.objects.filter(starts_on__gte=start, starts_on__lte=end, **path_q)
    trainees = Trainee.objects.filter(training_class__in=classes).aggregate(
        n_trainees=Count("id"),
        n_completed=Count("id", filter=Q(completed=True)),
        n_employed=Count("id", filter=Q(employed=True)),
        n_employed_completed=Count("id", filter=Q(completed=True, employed=True)),
    )

    certifications = SkillCertification.objects.filter(
        certified_on__gte=start, certified_on__lte=end, **path_q
    )
    levels = {row["level"]: row["n"] for row in certifications.values("level").annotate(n=Count("id"))}
    by_level = {level: levels.get(level, 0) for level in SkillCertification.Level.values}

    return {
        "region": region,
        "start": start,
        "end": end,
        "events": by_kind,
        "events_total": total,
        "classes": classes.count(),
        "trainees": trainees["n_trainees"],
        "completed": trainees["n_completed"],
        "employed": trainees["n_employed"],
        "employment_rate": employment_rate(
            completed=trainees["n_completed"], employed=trainees["n_employed_completed"]
        ),
        "certifications": sum(by_level.values()),
        "certifications_by_level": by_level,
    }
