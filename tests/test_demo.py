from __future__ import annotations

from decimal import Decimal

import pytest

from shuzhuan.accounts.models import Role, User
from shuzhuan.demo import REFERENCE_SIZE, SEED_COUNTS, demo_load
from shuzhuan.enterprises.models import Enterprise, Qualification

pytestmark = pytest.mark.django_db


def test_demo_county_has_every_role_and_proportional_qualifications() -> None:
    report, accounts = demo_load(size=400, seed=7)
    assert report.imported == 400 and not report.rejected
    assert Enterprise.objects.count() == 400
    assert {a.role for a in accounts} == {Role(r).label for r in Role}
    for code, (count, _years) in SEED_COUNTS.items():
        expected = max(1, round(count * 400 / REFERENCE_SIZE))
        assert Qualification.objects.filter(type__code=code).count() == expected, code
    # every town of the county has enterprises
    assert Enterprise.objects.values("town").distinct().count() == 19
    town_user = User.objects.get(username="town_guanhaiwei")
    assert town_user.region is not None and town_user.region.code == "cixi-guanhaiwei"
    firm_user = User.objects.get(username="enterprise")
    assert firm_user.enterprise is not None and firm_user.enterprise.town.code == "cixi-guanhaiwei"


def test_loading_twice_changes_nothing() -> None:
    demo_load(size=100, seed=3)
    before = (Enterprise.objects.count(), Qualification.objects.count(), User.objects.count())
    report, _ = demo_load(size=100, seed=3)
    assert (report.imported, report.updated, report.unchanged) == (0, 0, 100)
    assert (Enterprise.objects.count(), Qualification.objects.count(), User.objects.count()) == before


def test_demo_programme_reproduces_the_seed_figures_and_covers_every_state() -> None:
    from django.db.models import Sum

    from shuzhuan.applications.models import Application, Status
    from shuzhuan.audit.services import audit_verify
    from shuzhuan.demo_programme import demo_programme_load
    from shuzhuan.funds.inspection import self_inspection
    from shuzhuan.funds.selectors import budget_balances

    demo_load(size=600, seed=11)
    report = demo_programme_load(seed=11)
    assert not report.skipped and report.batches == 3
    closed_2024 = Application.objects.filter(batch__code="2024-new-it", status=Status.CLOSED)
    assert closed_2024.count() == 38
    assert closed_2024.aggregate(s=Sum("approved_amount"))["s"] == Decimal("5266100.00")
    pilot = Application.objects.filter(batch__code="2025-pilot")
    assert pilot.count() == 29 and pilot.aggregate(s=Sum("approved_amount"))["s"] == Decimal("8715800.00")
    assert set(Application.objects.values_list("status", flat=True)) == set(Status.values)
    allocated = {(b.level, b.programme, b.year): b.allocated for b in budget_balances(year=2025)}
    assert allocated[("central", "pilot", 2025)] == Decimal("14230000.00")
    assert allocated[("city", "pilot", 2025)] == Decimal("6848100.00")
    assert self_inspection() == []
    assert audit_verify().ok
    again = demo_programme_load(seed=11)
    assert again.skipped and Application.objects.count() == report.applications
