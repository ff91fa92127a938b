"""The demo 活动与人才: the figures the bureau reports, loaded once."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from shuzhuan.activities.models import Event, EventRegistration, SkillCertification, Trainee, TrainingClass
from shuzhuan.activities.selectors import activity_summary
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.demo_activities import demo_activities_load
from shuzhuan.enterprises.models import Region
from shuzhuan.enterprises.tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

TOWNS = ["cixi-guanhaiwei", "cixi-zhouxiang", "cixi-hushan", "cixi-kandun", "cixi-longshan"]


@pytest.fixture
def firms() -> None:
    towns = [t for t in Region.objects.filter(code__in=TOWNS)]
    assert len(towns) == len(TOWNS)
    for i in range(60):
        EnterpriseFactory.create(town=towns[i % len(towns)])


def _counts() -> tuple[int, ...]:
    return (
        Event.objects.count(),
        EventRegistration.objects.count(),
        TrainingClass.objects.count(),
        Trainee.objects.count(),
        SkillCertification.objects.count(),
        AuditEntry.objects.count(),
    )


def test_the_demo_reproduces_the_reported_figures(firms: None) -> None:
    report = demo_activities_load(seed=11)
    assert not report.skipped
    county = Region.objects.get(code="cixi")
    y2024 = activity_summary(county, dt.date(2024, 1, 1), dt.date(2024, 12, 31))
    assert y2024["events"]["onsite"]["count"] == 15  # 2024年共开展15场现场会
    assert y2024["events"]["matchmaking"]["count"] >= 3 and y2024["events"]["briefing"]["count"] >= 3
    onsite = y2024["events"]["onsite"]
    assert 0 < onsite["attended"] < onsite["registrations"]
    # every 现场会 has registrations, held in a town of the county
    for event in Event.objects.filter(kind=Event.Kind.ONSITE):
        assert event.registrations.exists() and event.region.level == Region.Level.TOWN
    for registration in EventRegistration.objects.select_related("event"):
        assert timezone.localtime(registration.registered_at).date() < registration.event.held_on

    # 数字化专员培训班三期，共培养100余名，签约就业率100%
    all_years = activity_summary(county, dt.date(2023, 1, 1), dt.date(2025, 12, 31))
    assert all_years["classes"] == 3
    assert all_years["trainees"] >= 100 and all_years["completed"] == all_years["trainees"]
    assert all_years["employed"] == all_years["trainees"]
    assert all_years["employment_rate"] == Decimal("100.00")
    for training_class in TrainingClass.objects.all():
        assert 35 <= training_class.trainees.count() <= 38
    assert set(Trainee.objects.values_list("origin", flat=True)) == {"student", "employee"}
    assert not Trainee.objects.filter(employer="").exists()

    # skill certifications over 2023–2025, five occupations, every level
    assert 150 <= all_years["certifications"] <= 250
    assert all(n > 0 for n in all_years["certifications_by_level"].values())
    assert SkillCertification.objects.values("occupation").distinct().count() == 5
    years = {d.year for d in SkillCertification.objects.values_list("certified_on", flat=True)}
    assert years == {2023, 2024, 2025}
    assert audit_verify().ok
    assert report.line().startswith("活动与人才：")


def test_loading_twice_changes_nothing(firms: None) -> None:
    demo_activities_load(seed=11)
    before = _counts()
    again = demo_activities_load(seed=11)
    assert again.skipped and _counts() == before
    assert again.classes == 3 and again.employed == again.trainees


def test_too_few_enterprises_loads_nothing(county: object) -> None:
    report = demo_activities_load(seed=11)
    assert report.skipped and "演示企业太少" in report.reason
    assert not Event.objects.exists() and not TrainingClass.objects.exists()
