"""活动与人才 reads: scoped querysets and the summary figures."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from conftest import County
from shuzhuan.activities.selectors import (
    activity_summary,
    certifications_for,
    classes_for,
    employment_rate,
    events_for,
)
from shuzhuan.activities.services import attendance_set, registration_add
from shuzhuan.activities.tests.factories import make_certification, make_class, make_event, make_trainee
from shuzhuan.enterprises.models import Region

pytestmark = pytest.mark.django_db

Y2024 = (dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def _region(code: str) -> Region:
    return Region.objects.get(code=code)


@pytest.fixture
def activities(county: County) -> None:
    """观海卫镇: two 现场会 (3 registrations, 2 attended) and a 2023 one; 周巷镇: one 现场会 and a
    briefing; the county: one 对接会. A class in each town, certifications in each."""
    first = make_event(region="cixi-guanhaiwei", held_on=dt.date(2024, 3, 5))
    make_event(region="cixi-guanhaiwei", held_on=dt.date(2024, 11, 30))
    make_event(region="cixi-guanhaiwei", held_on=dt.date(2023, 12, 31))  # outside 2024
    for name, firm in (("张三", county.own), ("李四", county.neighbour), ("王五", None)):
        registration = registration_add(acting_user=None, event=first, attendee_name=name, enterprise=firm)
        if firm is not None:
            attendance_set(acting_user=None, registration=registration, attended=True)
    other = make_event(region="cixi-zhouxiang", held_on=dt.date(2024, 6, 1))
    registration_add(acting_user=None, event=other, attendee_name="赵六", enterprise=county.elsewhere)
    make_event(region="cixi-zhouxiang", kind="briefing", held_on=dt.date(2024, 7, 1))
    make_event(region="cixi", kind="matchmaking", held_on=dt.date(2024, 8, 1))

    ghw = make_class(region="cixi-guanhaiwei", starts_on=dt.date(2024, 3, 1))
    make_trainee(ghw, name="甲", completed=True, employed=True)
    make_trainee(ghw, name="乙", completed=True, employed=True)
    make_trainee(ghw, name="丙", completed=True)
    make_trainee(ghw, name="丁")
    zx = make_class(region="cixi-zhouxiang", starts_on=dt.date(2024, 9, 1), ends_on=dt.date(2024, 12, 1))
    make_trainee(zx, name="戊", completed=True, employed=True)

    make_certification(region="cixi-guanhaiwei", level=3)
    make_certification(region="cixi-guanhaiwei", level=4, person_name="李四")
    make_certification(region="cixi-zhouxiang", level=4, person_name="王五")
    make_certification(region="cixi-zhouxiang", level=1, certified_on=dt.date(2025, 1, 2), person_name="赵六")


def test_the_county_summary_for_2024(activities: None) -> None:
    s = activity_summary(_region("cixi"), *Y2024)
    assert s["events"]["onsite"] == {"label": "现场会", "count": 3, "registrations": 4, "attended": 2}
    assert s["events"]["briefing"]["count"] == 1 and s["events"]["matchmaking"]["count"] == 1
    assert s["events"]["training"] == {"label": "培训班", "count": 0, "registrations": 0, "attended": 0}
    assert s["events_total"] == {"count": 5, "registrations": 4, "attended": 2}
    assert (s["classes"], s["trainees"], s["completed"], s["employed"]) == (2, 5, 4, 3)
    assert s["employment_rate"] == Decimal("75.00")
    assert s["certifications"] == 3
    assert s["certifications_by_level"] == {1: 0, 2: 0, 3: 1, 4: 2, 5: 0}
    assert activity_summary(None, *Y2024)["events_total"] == s["events_total"]


def test_a_towns_summary_leaves_out_the_other_towns(activities: None) -> None:
    s = activity_summary(_region("cixi-guanhaiwei"), *Y2024)
    assert s["events"]["onsite"] == {"label": "现场会", "count": 2, "registrations": 3, "attended": 2}
    assert s["events_total"]["count"] == 2  # not 周巷镇's, not the county's own 对接会
    assert (s["classes"], s["trainees"], s["completed"], s["employed"]) == (1, 4, 3, 2)
    assert s["employment_rate"] == Decimal("66.67")  # 2 / 3, half-up
    assert s["certifications_by_level"] == {1: 0, 2: 0, 3: 1, 4: 1, 5: 0}
    zx = activity_summary(_region("cixi-zhouxiang"), *Y2024)
    assert zx["events_total"] == {"count": 2, "registrations": 1, "attended": 0}
    assert zx["employment_rate"] == Decimal("100.00")
    assert zx["certifications"] == 1


def test_the_period_bounds_are_included(activities: None) -> None:
    s = activity_summary(None, dt.date(2023, 12, 31), dt.date(2024, 3, 5))
    assert s["events"]["onsite"]["count"] == 2
    assert (
        activity_summary(None, dt.date(2025, 1, 1), dt.date(2025, 12, 31))["certifications_by_level"][1] == 1
    )


def test_no_completed_trainees_means_no_rate(county: County) -> None:
    make_trainee(make_class(), name="甲")
    s = activity_summary(None, *Y2024)
    assert s["trainees"] == 1 and s["employment_rate"] is None
    assert employment_rate(completed=0, employed=0) is None
    assert employment_rate(completed=3, employed=1) == Decimal("33.33")
    assert employment_rate(completed=8, employed=1) == Decimal("12.50")
    assert employment_rate(completed=800, employed=1) == Decimal("0.13")  # 0.125: half-up, not to even
    assert employment_rate(completed=108, employed=108) == Decimal("100.00")


def test_scoped_querysets(county: County, activities: None) -> None:
    u = county.users
    assert events_for(u["bureau_officer"]).count() == 6
    assert events_for(u["auditor"]).count() == 6
    assert {e.region.code for e in events_for(u["town_officer"])} == {"cixi-guanhaiwei"}
    assert {c.region.code for c in classes_for(u["town_officer"])} == {"cixi-guanhaiwei"}
    assert certifications_for(u["town_officer"]).count() == 2
    for role in ("enterprise", "expert", "service_provider"):
        assert not events_for(u[role]).exists()
        assert not classes_for(u[role]).exists()
        assert not certifications_for(u[role]).exists()
