from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shuzhuan.applications.cycle import approval_cycle, nearest_rank
from shuzhuan.applications.models import Application, Status, StatusChange
from shuzhuan.applications.tests.factories import advance, draft, open_batch

pytestmark = pytest.mark.django_db


def test_nearest_rank():
    assert nearest_rank([], 0.5) is None
    assert nearest_rank([3.0], 0.9) == Decimal("3.0")
    values = [float(v) for v in range(1, 11)]  # 1..10
    assert nearest_rank(values, 0.5) == Decimal("5.0")
    assert nearest_rank(values, 0.9) == Decimal("9.0")
    assert nearest_rank([1.0, 2.0, 30.0], 0.9) == Decimal("30.0")


def _spread(app: Application, days: list[float]) -> None:
    """Re-time the application's status changes (made now by the services) to known gaps: the
    n-th change happens ``days[n]`` days after the first. Test-only: real rows are never edited."""
    start = timezone.now() - dt.timedelta(days=100)
    rows = list(StatusChange.objects.filter(application=app).order_by("at", "pk"))
    assert len(rows) == len(days)
    for row, d in zip(rows, days, strict=True):
        StatusChange.objects.filter(pk=row.pk).update(at=start + dt.timedelta(days=d))


def test_stage_medians_and_p90_per_batch(county):
    u = county.users
    roles = county.roles()
    batch = open_batch(acting_user=u["bureau_officer"])
    a = advance(draft(batch=batch, enterprise=county.own, firm=u["enterprise"]), Status.ACCEPTED, **roles)
    # submitted at 0, town pass at 2, formal pass at 5, included at 15, started 16, acceptance
    # requested 60, accepted 70
    _spread(a, [0, 2, 5, 15, 16, 60, 70])
    report = approval_cycle(batch=batch)
    stages = {s.code: s for s in report.stages}
    assert stages["town_review"].median_days == Decimal("2.0") and stages["town_review"].count == 1
    assert stages["formal_review"].median_days == Decimal("3.0")
    assert stages["expert_review"].median_days == Decimal("10.0")
    assert stages["acceptance"].median_days == Decimal("10.0")
    assert stages["approval"].count == 0 and stages["approval"].median_days is None
    assert report.end_to_end.count == 0  # nothing closed yet


def test_returned_and_resubmitted_counts_both_visits(county):
    from shuzhuan.applications import services as svc

    u = county.users
    batch = open_batch(acting_user=u["bureau_officer"])
    roles = county.roles()
    app = advance(draft(batch=batch, enterprise=county.own, firm=u["enterprise"]), Status.SUBMITTED, **roles)
    app = svc.application_move(
        acting_user=u["town_officer"], application=app, action="town_return", reason="补充材料"
    )
    app = svc.application_submit(acting_user=u["enterprise"], application=app, declaration=True)
    app = svc.application_move(acting_user=u["town_officer"], application=app, action="town_pass")
    # submitted 0 → returned 1 → submitted 4 → formal_review 4.5: 1 + 0.5 days in pre-review
    _spread(app, [0, 1, 4, 4.5])
    stages = {s.code: s for s in approval_cycle(batch=batch).stages}
    assert stages["town_review"].median_days == Decimal("1.5")
    assert Application.objects.get(pk=app.pk).status == Status.FORMAL_REVIEW


def test_region_and_as_dict(county):
    from shuzhuan.enterprises.models import Region

    u = county.users
    roles = {"firm": u["enterprise"], "town": u["town_officer"], "bureau": u["bureau_officer"]}
    batch = open_batch(acting_user=u["bureau_officer"])
    advance(draft(batch=batch, enterprise=county.own, firm=u["enterprise"]), Status.FORMAL_REVIEW, **roles)
    whole = approval_cycle(batch=batch)
    assert whole.stages[0].count == 1
    elsewhere = approval_cycle(batch=batch, region=Region.objects.get(code="cixi-zhouxiang"))
    assert [s.count for s in elsewhere.stages] == [0] * 7
    data = whole.as_dict()
    assert data["batch"] == batch.code and [s["code"] for s in data["stages"]][:2] == [
        "town_review",
        "formal_review",
    ]
    assert data["stages"][1] == {
        "code": "formal_review",
        "label": "形式审查",
        "count": 0,
        "median_days": None,
        "p90_days": None,
    }
    assert isinstance(data["stages"][0]["median_days"], str)
    assert whole.totals == (whole.government, whole.end_to_end)
