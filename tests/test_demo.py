from __future__ import annotations

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
