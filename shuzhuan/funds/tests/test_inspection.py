"""资金使用情况自查: a clean programme yields no finding; each planted problem yields its own.

Where the services refuse a problem outright (an award above the ceiling, a second payment of a
share while a payment of it stands, a one-time reward approved twice) the fixture writes the rows *directly*, around the
services — which is exactly what the report exists to catch: a hand edit in the database, an
import, a bug. Each such test says so. The rest are planted through the real services.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from shuzhuan.applications import services as app_svc
from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.funds import services as funds
from shuzhuan.funds.inspection import project_key, self_inspection
from shuzhuan.funds.models import Award, AwardShare, Budget, LedgerEntry
from shuzhuan.funds.tests.factories import allocate, pilot_draft

pytestmark = pytest.mark.django_db
K = LedgerEntry.Kind
D = Decimal


def _who(county: Any, roles: dict[str, Any], enterprise: Enterprise) -> dict[str, Any]:
    return {
        **roles,
        "firm": roles["firm"] if enterprise == county.own else None,
        "town": roles["town"] if enterprise.town_id == county.own.town_id else None,
    }


@pytest.fixture
def clean(county, batch, roles) -> dict[str, Application]:
    """A programme with nothing wrong: a closed pilot project, a closed new-IT project of
    another enterprise, and an approved one waiting for its notice."""
    allocate()
    allocate(programme="new-it", amounts={"central": "500000", "city": "250000", "county": "250000"})
    pilot = advance(
        pilot_draft(batch=batch, enterprise=county.own, firm=roles["firm"]),
        Status.CLOSED,
        **roles,
        verified="900000",
    )
    new_it = advance(
        draft(batch=batch, enterprise=county.neighbour, project_name="家电产线联网", kinds=["new_it"]),
        Status.CLOSED,
        **_who(county, roles, county.neighbour),
        verified="600000",
    )
    waiting = advance(
        draft(batch=batch, enterprise=county.elsewhere, project_name="轴承检测上云", kinds=["new_it"]),
        Status.APPROVED,
        **_who(county, roles, county.elsewhere),
        verified="500000",
        amount="90000",
        reason="部分投入不属于新一代信息技术",
    )
    return {"pilot": pilot, "new_it": new_it, "waiting": waiting}


def _found(**kw: Any) -> set[tuple[str, str, str]]:
    return {(f.code, f.application, f.level) for f in self_inspection(**kw)}


def test_a_clean_programme_has_no_findings(clean):
    assert self_inspection() == []
    assert self_inspection(year=2025) == []
    assert self_inspection(year=2024) == []


def test_the_same_invoice_on_two_applications(county, batch, roles, clean):
    """Planted through the services: nothing stops an enterprise entering an invoice number that
    another application already claims."""
    used = clean["pilot"].invoices.get().number
    app = draft(batch=batch, enterprise=county.neighbour, project_name="二期改造", kinds=["new_it"])
    app = advance(app, Status.IMPLEMENTING, **_who(county, roles, county.neighbour))
    app_svc.invoice_add(
        acting_user=None,
        application=app,
        number=f" {used[:4]} {used[4:]} ",  # spaces do not make it another invoice
        issued_on=timezone.localdate() - dt.timedelta(days=3),
        amount="800000",
    )
    app = advance(app, Status.ACCEPTANCE_REQUESTED, **_who(county, roles, county.neighbour))
    assert _found() == {
        ("duplicate_invoice", clean["pilot"].number, ""),
        ("duplicate_invoice", app.number, ""),
    }
    (finding,) = [f for f in self_inspection() if f.application == app.number]
    assert used in finding.message and clean["pilot"].number in finding.message
    assert finding.enterprise == county.neighbour.uscc


def test_an_award_above_the_ceiling(clean):
    """Written directly: approval refuses it and the database refuses an approved amount above
    the ceiling, so the award row itself is edited by hand."""
    app = clean["waiting"]
    Award.objects.filter(application=app).update(amount=app.ceiling + D("0.01"))
    found = _found()
    assert ("above_ceiling", app.number, "") in found
    assert {code for code, number, _ in found if number == app.number} == {"above_ceiling", "award_mismatch"}
    assert {number for _, number, _ in found} == {app.number}


def test_paid_above_approved(clean, roles):
    """Written directly: ``share_pay`` pays a share once (again only after a reversal) and pays
    the share's amount, so the over-payment is a hand-written ledger row."""
    app = advance(clean["waiting"], Status.DISBURSING, **roles)
    central, city, county_share = (app.award.shares.get(level=lv) for lv in ("central", "city", "county"))
    for share in (central, city):
        funds.share_pay(
            acting_user=roles["bureau"], share=share, reference="ZF", idempotency_key=f"k{share.pk}"
        )
    assert self_inspection() == []
    LedgerEntry.objects.create(
        budget=county_share.budget,
        kind=K.PAYMENT,
        share=county_share,
        payment_attempt=1,
        amount=county_share.amount + D("1000.00"),
        reference="手工补录",
        at=timezone.now(),
    )
    assert _found() == {
        ("paid_above_share", app.number, "county"),
        ("paid_above_approved", app.number, ""),
    }


def test_a_share_paid_reversed_and_paid_again_counts_once(clean, roles):
    """Through the services: a reversal reopens the closed application, the run pays the share
    again — nothing to report at any point."""
    app = clean["pilot"]
    payment = LedgerEntry.objects.get(share__award__application=app, share__level="city", kind=K.PAYMENT)
    funds.payment_reverse(acting_user=roles["bureau"], entry=payment, reason="收款账户已注销，资金退回")
    assert Application.objects.get(pk=app.pk).status == Status.DISBURSING
    assert self_inspection() == []  # owed again, and in disbursement: nothing wrong
    assert len(funds.disbursement_run(acting_user=roles["bureau"]).paid) == 1
    assert Application.objects.get(pk=app.pk).status == Status.CLOSED
    assert self_inspection() == []


def test_a_closed_application_with_a_share_reversed_around_the_services(clean):
    """Written directly: ``payment_reverse`` reopens disbursement, so a closed application owing
    a share is a reversal row written by hand."""
    app = clean["pilot"]
    payment = LedgerEntry.objects.get(share__award__application=app, share__level="county", kind=K.PAYMENT)
    LedgerEntry.objects.create(
        budget=payment.budget,
        kind=K.REVERSAL,
        share=payment.share,
        reverses=payment,
        amount=payment.amount,
        reference="手工冲正",
        at=timezone.now(),
    )
    assert _found() == {("closed_unpaid", app.number, "county")}


def test_awards_to_enterprises_deregistered_or_missing(county, clean):
    """The registry import marks an enterprise deregistered; a missing one is an application
    whose enterprise row is gone (only a hand edit past the foreign key can do that — here the
    deferred constraint lets the test point it at no row, and it is put back before the end)."""
    Enterprise.objects.filter(pk=county.neighbour.pk).update(status=Enterprise.Status.DEREGISTERED)
    Enterprise.objects.filter(pk=county.elsewhere.pk).update(status=Enterprise.Status.MOVED_OUT)
    found = self_inspection()
    assert {(f.code, f.application) for f in found} == {
        ("enterprise_inactive", clean["new_it"].number),
        ("enterprise_inactive", clean["waiting"].number),
    }
    assert "注销" in next(f.message for f in found if f.application == clean["new_it"].number)

    Enterprise.objects.filter(pk__in=[county.neighbour.pk, county.elsewhere.pk]).update(
        status=Enterprise.Status.ACTIVE
    )
    app = clean["pilot"]
    ghost = (Enterprise.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000
    Application.objects.filter(pk=app.pk).update(enterprise_id=ghost)
    try:
        assert _found() == {("enterprise_missing", app.number, "")}
    finally:
        Application.objects.filter(pk=app.pk).update(enterprise_id=county.own.pk)


def test_a_one_time_reward_paid_twice(county, roles, clean):
    """The first reward goes through the services; approval refuses the second (see
    test_services), so its award and payment are written directly — a reward paid outside the
    system and entered by hand, say."""
    bureau = roles["bureau"]
    allocate(
        year=2024, programme="sample", amounts={"central": "500000", "city": "500000", "county": "500000"}
    )
    apps = []
    for code in ("2024-sample-a", "2024-sample-b"):
        b = open_batch(
            code=code, edition="cixi-2024", policy_ids=["cixi-2024-sample"], year=2024, acting_user=bureau
        )
        app = draft(batch=b, enterprise=county.elsewhere, policy_id="cixi-2024-sample", kinds=[])
        apps.append(advance(app, Status.ACCEPTED, **_who(county, roles, county.elsewhere), verified="0"))
    first = advance(apps[0], Status.CLOSED, **_who(county, roles, county.elsewhere))
    assert self_inspection() == []

    second = apps[1]
    award = Award.objects.create(application=second, amount=D("200000.00"), programme="sample", year=2024)
    budget = Budget.objects.get(level="county", programme="sample", year=2024)
    share = AwardShare.objects.create(award=award, budget=budget, level="county", amount=award.amount)
    for kind, attempt in ((K.COMMITMENT, None), (K.PAYMENT, 1)):
        LedgerEntry.objects.create(
            budget=budget,
            kind=kind,
            share=share,
            payment_attempt=attempt,
            amount=award.amount,
            at=timezone.now(),
        )
    Application.objects.filter(pk=second.pk).update(status=Status.CLOSED, approved_amount=award.amount)

    assert _found() == {("reward_paid_twice", second.number, "")}
    (finding,) = self_inspection(year=2024)
    assert first.number in finding.message and finding.enterprise == county.elsewhere.uscc


def test_stacking_two_project_policies_on_one_project(county, batch, roles, clean):
    """Planted through the services: the same project (same enterprise, same name up to spaces
    and full-width forms, same year) approved under both the new-IT and the AI policy."""
    allocate(programme="ai", amounts={"central": "500000", "city": "500000", "county": "500000"})
    new_it = advance(
        draft(
            batch=batch,
            enterprise=county.own,
            firm=roles["firm"],
            project_name="MES 上线",
            kinds=["new_it"],
            declared_investment="1000000",
        ),
        Status.APPROVED,
        **roles,
        verified="900000",
    )
    ai = advance(
        draft(
            batch=batch,
            enterprise=county.own,
            firm=roles["firm"],
            policy_id="cixi-2025-ai",
            project_name="ＭＥＳ上线",
            kinds=["ai_model"],
            declared_investment="1000000",
        ),
        Status.APPROVED,
        **roles,
        verified="900000",
    )
    assert (new_it.approved_amount, ai.approved_amount) == (D("180000.00"), D("300000.00"))
    assert project_key(new_it.project_name) == project_key(ai.project_name) == "mes上线"
    found = self_inspection()
    assert {(f.code, f.application) for f in found} == {("stacking", new_it.number)}
    assert ai.number in found[0].message and "就高不重复" in found[0].message


def test_a_budget_committed_beyond_its_allocation(clean):
    """Written directly: approval refuses to overdraw, so the commitment is a hand-written row."""
    budget = Budget.objects.get(level="city", programme="new-it", year=2025)
    LedgerEntry.objects.create(budget=budget, kind=K.COMMITMENT, amount=D("1000000.00"), at=timezone.now())
    assert _found() == {("budget_overcommitted", "", "city")}
    LedgerEntry.objects.create(
        budget=budget, kind=K.PAYMENT, payment_attempt=1, amount=D("1000000.00"), at=timezone.now()
    )
    assert _found() == {("budget_overcommitted", "", "city"), ("budget_overpaid", "", "city")}
    assert _found(year=2024) == set()
