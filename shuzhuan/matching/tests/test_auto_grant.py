"""免申即享: the sample-enterprise reward is granted from the data — once, not again on a second
run, not to an enterprise already rewarded — and then follows the path of any award."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from shuzhuan.applications.models import Application, Notice, PolicyBatch, Status, StatusChange
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.tests.factories import add_qualification
from shuzhuan.funds import services as funds
from shuzhuan.funds.tests.factories import allocate
from shuzhuan.matching import services as svc
from shuzhuan.matching.models import Match

pytestmark = pytest.mark.django_db

ON_2024 = dt.date(2024, 6, 1)  # the sample reward is a policy of the 2024 edition
SAMPLE = "cixi-2024-sample"
BUDGET: dict[str, Decimal | str] = {
    "central": Decimal("1000000"),
    "city": Decimal("1000000"),
    "county": Decimal("1000000"),
}


def test_the_sample_reward_is_granted_once_and_follows_the_award_path(
    county: Any, roles: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    bureau = roles["bureau"]
    svc.match_run(acting_user=bureau, on=ON_2024)
    with django_capture_on_commit_callbacks(execute=True):
        report = svc.match_auto_grant(acting_user=bureau)
    (number,) = report.granted
    assert report.as_dict() == {"run": 1, "granted": 1, "applications": [number], "already": 0, "inactive": 0}

    app = Application.objects.select_related("batch").get(number=number)
    assert (app.enterprise, app.policy_id, app.status, app.origin) == (
        county.elsewhere,
        SAMPLE,
        Status.ACCEPTED,
        Application.Origin.AUTO_GRANT,
    )
    assert app.ceiling == Decimal("200000.00") and app.ceiling_edition == "cixi-2024"
    assert app.submitted_at is not None and app.created_by == bureau and number.startswith("SB2024")
    batch = app.batch
    assert (batch.code, batch.name, batch.year, batch.status) == (
        "auto-grant-cixi-2024-2024",
        "免申即享 2024",
        2024,
        PolicyBatch.Status.CLOSED,
    )
    assert batch.policy_ids == [SAMPLE] and batch.funding_split == {
        "central": "0.5",
        "city": "0.25",
        "county": "0.25",
    }
    (change,) = StatusChange.objects.filter(application=app)
    assert (change.from_status, change.to_status, change.action, change.actor) == (
        "",
        "accepted",
        "auto_grant",
        bureau,
    )
    assert change.reason.startswith("免申即享：第 1 次政策匹配（2024-06-01）认定符合")
    entry = AuditEntry.objects.get(action="application.auto_grant")
    assert (
        entry.object_id == number
        and entry.payload["ceiling"] == "200000.00"
        and entry.reason == change.reason
    )
    (notice,) = Notice.objects.filter(application=app)
    assert notice.title == "免申即享：宁波市级中小企业数字化改造样本企业奖励"
    assert "无需申报" in notice.body and "200,000.00" in notice.body
    assert notice.link == f"/applications/{number}/"

    # not twice: the same run, and a second run (the reward is not yet approved, so the engine
    # still finds the enterprise eligible)
    assert svc.match_auto_grant(acting_user=None).as_dict()["granted"] == 0
    svc.match_run(acting_user=None, on=ON_2024)
    again = svc.match_auto_grant(acting_user=None)
    assert (len(again.granted), again.already) == (0, 1)
    # nor is an auto-grant policy pushed: the grant sent its own notice
    push = svc.match_push(acting_user=None)
    assert not Notice.objects.filter(
        enterprise=county.elsewhere, title__contains="样本企业", application=None
    ).exists()
    assert push.sent == 3  # the three pilot prospects of 2024

    # an officer approves the amount; notice and disbursement as for any award
    allocate(year=2024, programme="sample", amounts=BUDGET, acting_user=bureau)
    award = funds.award_approve(acting_user=bureau, application=app, amount="200000")
    assert award.amount == Decimal("200000.00") and award.programme == "sample" and award.year == 2024
    app = advance(Application.objects.get(pk=app.pk), Status.CLOSED, bureau=bureau)
    assert app.status == Status.CLOSED

    # once received, the engine no longer finds it, and nothing is granted
    third = svc.match_run(acting_user=None, on=ON_2024)
    assert not Match.objects.filter(run=third, policy_id=SAMPLE).exists()
    assert svc.match_auto_grant(acting_user=None).as_dict()["granted"] == 0
    assert Application.objects.filter(policy_id=SAMPLE).count() == 1


def test_not_to_an_enterprise_rewarded_or_applying_of_its_own(county: Any, roles: dict[str, Any]) -> None:
    bureau = roles["bureau"]
    batch = open_batch(
        code="2024-sample", edition="cixi-2024", policy_ids=[SAMPLE], year=2024, acting_user=bureau
    )
    allocate(year=2024, programme="sample", amounts=BUDGET, acting_user=bureau)
    # neighbour: rewarded through its own application (approved)
    add_qualification(county.neighbour, "ningbo_sample_enterprise", 2024)
    rewarded = advance(
        draft(batch=batch, enterprise=county.neighbour, policy_id=SAMPLE, kinds=[]),
        Status.APPROVED,
        bureau=bureau,
        town=roles["town"],
        expert=roles["expert"],
    )
    assert rewarded.status == Status.APPROVED
    # own: applying of its own (submitted, not yet approved)
    add_qualification(county.own, "ningbo_sample_enterprise", 2024)
    applying = advance(
        draft(batch=batch, enterprise=county.own, policy_id=SAMPLE, firm=roles["firm"], kinds=[]),
        Status.SUBMITTED,
        firm=roles["firm"],
    )

    run = svc.match_run(acting_user=None, on=ON_2024)
    eligible = set(Match.objects.filter(run=run, policy_id=SAMPLE).values_list("enterprise_id", flat=True))
    assert eligible == {county.own.pk, county.elsewhere.pk}  # neighbour: reward received
    report = svc.match_auto_grant(acting_user=None)
    assert (len(report.granted), report.already) == (1, 1)
    granted = Application.objects.get(number=report.granted[0])
    assert granted.enterprise == county.elsewhere
    assert set(Application.objects.filter(policy_id=SAMPLE).values_list("pk", flat=True)) == {
        rewarded.pk,
        applying.pk,
        granted.pk,
    }
    # a second one-time reward is refused at approval too (funds' own check)
    with pytest.raises(ApplicationError):
        funds.award_approve(acting_user=bureau, application=applying, amount="200000")


def test_an_edition_without_auto_grant_policies_grants_nothing(county: Any) -> None:
    svc.match_run(acting_user=None)  # today: cixi-2025, no auto-grant policy
    assert svc.match_auto_grant(acting_user=None).as_dict() == {
        "run": 1,
        "granted": 0,
        "applications": [],
        "already": 0,
        "inactive": 0,
    }


def test_auto_grant_refusals(county: Any, roles: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError, match="尚无成功的政策匹配"):
        svc.match_auto_grant(acting_user=None)
    old = svc.match_run(acting_user=None, on=ON_2024)
    svc.match_run(acting_user=None, on=ON_2024)
    with pytest.raises(ApplicationError, match="不是最新一次成功的匹配"):
        svc.match_auto_grant(acting_user=None, run=old)
    with pytest.raises(ApplicationError) as info:
        svc.match_auto_grant(acting_user=roles["town"])
    assert info.value.field == "user"
    assert not Application.objects.exists()
