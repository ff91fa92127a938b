from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from shuzhuan.applications.models import Application, Status, StatusChange
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError
from shuzhuan.funds import services as funds
from shuzhuan.funds.models import Award, AwardShare, Budget, LedgerEntry
from shuzhuan.funds.selectors import (
    award_paid,
    budget_balances,
    ledger_entries,
    share_payment,
    share_payment_attempt,
)
from shuzhuan.funds.tests.factories import SEED_ALLOCATIONS, allocate, pilot_draft

pytestmark = pytest.mark.django_db
K = LedgerEntry.Kind
D = Decimal


def _balance(level: str, *, programme: str = "pilot", year: int = 2025) -> Any:
    (b,) = [x for x in budget_balances(year=year, programme=programme) if x.level == level]
    return b


def _accepted(county: Any, batch: Any, roles: dict[str, Any], *, enterprise: Any = None, **data: Any) -> Any:
    enterprise = enterprise or county.own
    who = _acting(county, roles, enterprise)
    app = pilot_draft(batch=batch, enterprise=enterprise, firm=who["firm"], **data)
    return advance(app, Status.ACCEPTED, **who, verified="900000")


def _acting(county: Any, roles: dict[str, Any], enterprise: Any) -> dict[str, Any]:
    """The roles for ``enterprise``: the firm user is only ``county.own``'s, the town officer only
    观海卫镇's; elsewhere the system (None) acts for them."""
    return {
        **roles,
        "firm": roles["firm"] if enterprise == county.own else None,
        "town": roles["town"] if enterprise.town_id == county.own.town_id else None,
    }


def test_the_whole_line_to_closed_leaves_the_ledger_equal_to_the_shares_to_the_fen(county, batch, roles):
    allocate(acting_user=roles["bureau"])  # the seeds: central 14,230,000.00, Ningbo 6,848,100.00
    app = _accepted(county, batch, roles)
    assert app.ceiling == D("450000.00")  # 50% of 900,000, under the 500,000 cap

    # Below the ceiling, with a reason; an amount whose halves and quarters fall on half a fen.
    app = advance(app, Status.APPROVED, **roles, amount="333333.33", reason="部分设备未按方案采购")
    assert (app.approved_amount, app.approved_reason) == (D("333333.33"), "部分设备未按方案采购")
    award = Award.objects.get(application=app)
    assert (award.amount, award.programme, award.year) == (D("333333.33"), "pilot", 2025)
    shares = {s.level: s.amount for s in award.shares.all()}
    # central 166,666.665 → .67 (half-up), city 83,333.3325 → .33, county the remainder.
    assert shares == {"central": D("166666.67"), "city": D("83333.33"), "county": D("83333.33")}
    assert sum(shares.values()) == award.amount
    commitments = {e.budget.level: e.amount for e in ledger_entries(kind=K.COMMITMENT)}
    assert commitments == shares
    assert _balance("central").remaining == SEED_ALLOCATIONS["central"] - shares["central"]
    assert _balance("city").outstanding == shares["city"]

    app = advance(app, Status.CLOSED, **roles)
    assert app.status == Status.CLOSED
    payments = {e.budget.level: e.amount for e in ledger_entries(kind=K.PAYMENT, application=app)}
    assert payments == shares
    for level, share in shares.items():
        b = _balance(level)
        assert (b.allocated, b.committed, b.paid, b.outstanding) == (
            SEED_ALLOCATIONS[level],
            share,
            share,
            D("0.00"),
        )
        assert b.remaining == SEED_ALLOCATIONS[level] - share
    moves = list(StatusChange.objects.filter(application=app).values_list("action", flat=True))
    assert moves[-4:] == ["approve", "start_notice", "start_disbursement", "close"]
    actions = list(AuditEntry.objects.filter(object_id=app.number).values_list("action", flat=True))
    assert actions.count("funds.payment") == 3 and actions.count("application.approve") == 1
    approval = AuditEntry.objects.get(object_id=app.number, action="application.approve")
    assert approval.payload["award"] == award.pk and approval.payload["shares"] == {
        "central": "166666.67",
        "city": "83333.33",
        "county": "83333.33",
    }
    assert audit_verify().ok


def test_approval_at_the_ceiling_needs_no_reason_and_rounds_the_split_half_up(county, batch, roles):
    allocate()
    app = _accepted(county, batch, roles, declared_investment="1000000")
    app = advance(app, Status.APPROVED, **roles)  # the ceiling, 450,000
    shares = {s.level: s.amount for s in app.award.shares.all()}
    assert shares == {"central": D("225000.00"), "city": D("112500.00"), "county": D("112500.00")}
    assert app.approved_reason == ""


def test_approval_refusals_write_nothing(county, batch, roles):
    allocate(amounts={"central": "1000000", "city": "100000", "county": "1000000"})
    app = _accepted(county, batch, roles)
    bureau = roles["bureau"]
    before = (LedgerEntry.objects.count(), AuditEntry.objects.count())

    with pytest.raises(ApplicationError) as above:
        funds.award_approve(acting_user=bureau, application=app, amount="450000.01")
    assert above.value.field == "amount" and "超过补助上限" in str(above.value)
    assert str(above.value).startswith("amount: ")

    with pytest.raises(ApplicationError) as below:
        funds.award_approve(acting_user=bureau, application=app, amount="400000")
    assert below.value.field == "reason"

    # Ningbo's share of 450,000 is 112,500 but only 100,000 was handed down.
    with pytest.raises(ApplicationError) as overdraw:
        funds.award_approve(acting_user=bureau, application=app, amount="450000")
    assert overdraw.value.field == "amount"
    assert "宁波级资金余额不足" in overdraw.value.message and "112,500.00" in overdraw.value.message

    for bad in ("0", "-1", "abc", "1.001"):
        with pytest.raises(ApplicationError) as exc:
            funds.award_approve(acting_user=bureau, application=app, amount=bad, reason="理由")
        assert exc.value.field == "amount"

    for who in ("firm", "town", "expert"):
        with pytest.raises(ApplicationError):
            funds.award_approve(acting_user=roles[who], application=app, amount="400000", reason="理由")
    with pytest.raises(ApplicationError, match="无权"):
        funds.award_approve(
            acting_user=county.users["auditor"], application=app, amount="400000", reason="理由"
        )

    app.refresh_from_db()
    assert app.status == Status.ACCEPTED and app.approved_amount is None
    assert not Award.objects.exists() and not AwardShare.objects.exists()
    assert (LedgerEntry.objects.count(), AuditEntry.objects.count()) == before

    # Within every level's budget it goes through; a second approval of the same one does not.
    funds.award_approve(acting_user=bureau, application=app, amount="400000", reason="核减")
    with pytest.raises(ApplicationError) as again:
        funds.award_approve(acting_user=bureau, application=app, amount="400000", reason="核减")
    assert again.value.field == "status"


def test_no_budget_allocated_is_refused(county, batch, roles):
    app = _accepted(county, batch, roles)
    with pytest.raises(ApplicationError, match="尚未下达"):
        funds.award_approve(acting_user=roles["bureau"], application=app, amount=app.ceiling)


def test_the_last_fen_of_a_budget_can_be_committed_but_not_one_more(county, batch, roles):
    allocate(amounts={"central": "225000", "city": "112500", "county": "112500"})
    first = _accepted(county, batch, roles)
    funds.award_approve(acting_user=roles["bureau"], application=first, amount="450000")
    assert {b.level: b.remaining for b in budget_balances()} == {
        "central": D("0.00"),
        "city": D("0.00"),
        "county": D("0.00"),
    }
    second = _accepted(county, batch, roles, enterprise=county.neighbour, project_name="另一个项目")
    with pytest.raises(ApplicationError, match="余额不足"):
        funds.award_approve(acting_user=roles["bureau"], application=second, amount="0.04", reason="试")


def test_revoke_releases_the_commitments(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.PUBLIC_NOTICE, **roles)
    with pytest.raises(ApplicationError) as no_reason:
        funds.award_revoke(acting_user=roles["bureau"], application=app, reason=" ")
    assert no_reason.value.field == "reason"
    app = funds.award_revoke(acting_user=roles["bureau"], application=app, reason="公示期间异议成立")
    assert app.status == Status.REJECTED
    releases = {e.budget.level: e.amount for e in ledger_entries(kind=K.RELEASE)}
    assert releases == {"central": D("225000.00"), "city": D("112500.00"), "county": D("112500.00")}
    for b in budget_balances():
        assert (b.committed, b.remaining) == (D("0.00"), SEED_ALLOCATIONS[b.level])
    with pytest.raises(ApplicationError) as twice:
        funds.award_revoke(acting_user=roles["bureau"], application=app, reason="再次")
    assert twice.value.field == "status"


def test_revoke_is_refused_once_disbursing(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.DISBURSING, **roles)
    with pytest.raises(ApplicationError) as exc:
        funds.award_revoke(acting_user=roles["bureau"], application=app, reason="迟到的异议")
    assert exc.value.field == "status"


def test_share_pay_is_idempotent_and_closes_with_the_last_share(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.DISBURSING, **roles)
    central, city, county_share = sorted(
        app.award.shares.all(), key=lambda s: ["central", "city", "county"].index(s.level)
    )
    bureau = roles["bureau"]

    first = funds.share_pay(acting_user=bureau, share=central, reference="ZF-1", idempotency_key="k-central")
    assert first.created and first.entry.amount == central.amount
    retry = funds.share_pay(acting_user=bureau, share=central, reference="ZF-1", idempotency_key="k-central")
    assert (retry.entry.pk, retry.created) == (first.entry.pk, False)
    # Another key for a share already paid: the existing payment, nothing paid again.
    other_key = funds.share_pay(
        acting_user=bureau, share=central, reference="ZF-9", idempotency_key="k-other"
    )
    assert (other_key.entry.pk, other_key.created) == (first.entry.pk, False)
    # A key already used for another share is refused, not silently mapped.
    with pytest.raises(ApplicationError) as reused:
        funds.share_pay(acting_user=bureau, share=city, reference="ZF-2", idempotency_key="k-central")
    assert reused.value.field == "idempotency_key"
    assert LedgerEntry.objects.filter(kind=K.PAYMENT).count() == 1

    for who in ("firm", "town", "expert"):
        with pytest.raises(ApplicationError):
            funds.share_pay(acting_user=roles[who], share=city, reference="ZF-2", idempotency_key="k-city")
    for field, kw in (
        ("reference", {"reference": " ", "idempotency_key": "k-city"}),
        ("idempotency_key", {"reference": "ZF-2", "idempotency_key": ""}),
    ):
        with pytest.raises(ApplicationError) as exc:
            funds.share_pay(acting_user=bureau, share=city, **kw)
        assert exc.value.field == field

    funds.share_pay(acting_user=bureau, share=city, reference="ZF-2", idempotency_key="k-city")
    app.refresh_from_db()
    assert app.status == Status.DISBURSING
    funds.share_pay(acting_user=bureau, share=county_share, reference="ZF-3", idempotency_key="k-county")
    app.refresh_from_db()
    assert app.status == Status.CLOSED
    # A retry after the application closed still answers with the payment it made.
    late = funds.share_pay(
        acting_user=bureau, share=county_share, reference="ZF-3", idempotency_key="k-county"
    )
    assert not late.created
    assert audit_verify().ok


def test_share_pay_outside_disbursement_is_refused(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.PUBLIC_NOTICE, **roles)
    share = app.award.shares.get(level="central")
    with pytest.raises(ApplicationError) as exc:
        funds.share_pay(acting_user=roles["bureau"], share=share, reference="ZF", idempotency_key="k")
    assert exc.value.field == "status" and "公示中" in exc.value.message
    assert not LedgerEntry.objects.filter(kind=K.PAYMENT).exists()


def test_payment_reverse_is_a_reversing_entry_and_reopens_disbursement(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.CLOSED, **roles)
    payment = ledger_entries(kind=K.PAYMENT, level="city").get()
    assert payment.payment_attempt == 1
    bureau = roles["bureau"]
    with pytest.raises(ApplicationError) as no_reason:
        funds.payment_reverse(acting_user=bureau, entry=payment, reason="")
    assert no_reason.value.field == "reason"
    commitment = ledger_entries(kind=K.COMMITMENT, level="city").get()
    with pytest.raises(ApplicationError, match="只能冲正"):
        funds.payment_reverse(acting_user=bureau, entry=commitment, reason="误操作")
    with pytest.raises(ApplicationError, match="无权"):
        funds.payment_reverse(acting_user=roles["town"], entry=payment, reason="误操作")

    reversal = funds.payment_reverse(acting_user=bureau, entry=payment, reason="收款账户有误，资金退回")
    assert (reversal.kind, reversal.amount, reversal.reverses_id) == (K.REVERSAL, payment.amount, payment.pk)
    assert reversal.payment_attempt is None
    assert LedgerEntry.objects.filter(pk=payment.pk, amount=payment.amount).exists()  # untouched
    city = _balance("city")
    assert (city.paid, city.outstanding) == (D("0.00"), payment.amount)
    with pytest.raises(ApplicationError, match="已冲正"):
        funds.payment_reverse(acting_user=bureau, entry=payment, reason="再次")
    # The share is owed again: the closed application is back in disbursement, with a status
    # change that says why.
    app.refresh_from_db()
    assert app.status == Status.DISBURSING
    move = StatusChange.objects.filter(application=app).latest("at", "pk")
    assert (move.action, move.from_status, move.to_status, move.reason) == (
        "reopen_disbursement",
        Status.CLOSED,
        Status.DISBURSING,
        "收款账户有误，资金退回",
    )
    assert payment.share is not None
    assert share_payment(payment.share) is None and share_payment_attempt(payment.share) == 2
    # The first payment's key is spent: a retry under it is refused, not mapped to a new payment.
    with pytest.raises(ApplicationError, match="已冲正") as spent:
        funds.share_pay(
            acting_user=bureau,
            share=payment.share,
            reference="ZF-again",
            idempotency_key=funds.payment_idempotency_key(payment.share),
        )
    assert spent.value.field == "idempotency_key"
    actions = list(AuditEntry.objects.filter(object_id=app.number).values_list("action", flat=True))
    assert actions[-2:] == ["funds.payment_reverse", "application.reopen_disbursement"]
    assert audit_verify().ok


def test_a_reversed_share_is_paid_again_once(county, batch, roles):
    allocate()
    app = advance(_accepted(county, batch, roles), Status.CLOSED, **roles)
    bureau = roles["bureau"]
    first = ledger_entries(kind=K.PAYMENT, level="city").get()
    share = first.share
    assert share is not None
    funds.payment_reverse(acting_user=bureau, entry=first, reason="资金退回")

    # The run pays it again, as attempt 2 under a key (and a reference) of its own, and closes.
    report = funds.disbursement_run(acting_user=bureau)
    assert [(x.application, x.level) for x in report.paid] == [(app.number, "city")]
    assert [x.level for x in report.skipped] == ["central", "county"]
    second = share_payment(share)
    assert second is not None
    assert (second.payment_attempt, second.amount) == (2, share.amount)
    assert (
        second.idempotency_key
        == funds.payment_idempotency_key(share, attempt=2)
        == f"{first.idempotency_key}-2"
    )
    assert second.reference == report.paid[0].reference == f"ZF2025{share.pk:08d}-2"
    app.refresh_from_db()
    assert app.status == Status.CLOSED

    # Retries, another key, another run: the standing payment, nothing paid a third time.
    for key in (second.idempotency_key, "another-key"):
        again = funds.share_pay(acting_user=bureau, share=share, reference="ZF", idempotency_key=key)
        assert (again.entry.pk, again.created) == (second.pk, False)
    assert funds.disbursement_run(acting_user=bureau).paid == []
    assert award_paid(share.award_id) == share.award.amount  # paid once net, to the fen
    city = _balance("city")
    assert (city.paid, city.outstanding) == (share.amount, D("0.00"))
    assert LedgerEntry.objects.filter(share=share, kind=K.PAYMENT).count() == 2

    # Reversed a second time and paid by hand under a fresh key: attempt 3.
    funds.payment_reverse(acting_user=bureau, entry=second, reason="再次退回")
    third = funds.share_pay(acting_user=bureau, share=share, reference="手工", idempotency_key="by-hand")
    assert third.created and third.entry.payment_attempt == 3
    assert award_paid(share.award_id) == share.award.amount
    assert Application.objects.get(pk=app.pk).status == Status.CLOSED
    assert audit_verify().ok


def test_a_second_standing_payment_of_a_share_is_refused_by_the_database(county, batch, roles):
    """Around the services: the payment attempt is part of the unique constraint, and a payment
    must carry one."""
    allocate()
    advance(_accepted(county, batch, roles), Status.CLOSED, **roles)
    first = ledger_entries(kind=K.PAYMENT, level="city").get()
    row = {"budget": first.budget, "kind": K.PAYMENT, "share": first.share, "amount": first.amount}
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**row, payment_attempt=1, at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(**row, payment_attempt=None, at=timezone.now())
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(
            budget=first.budget, kind=K.COMMITMENT, amount=D("1.00"), payment_attempt=1, at=timezone.now()
        )


def test_reversing_a_closed_application_with_an_open_sibling_is_refused(county, batch, roles):
    """Going back to disbursement must not make a second open application of the enterprise for
    the batch and policy; the reversal is refused, with the sibling named."""
    allocate()
    app = advance(_accepted(county, batch, roles), Status.CLOSED, **roles)
    sibling = pilot_draft(batch=batch, enterprise=county.own, firm=roles["firm"], project_name="二期")
    payment = ledger_entries(kind=K.PAYMENT, level="city").get()
    with pytest.raises(ApplicationError, match=sibling.number) as exc:
        funds.payment_reverse(acting_user=roles["bureau"], entry=payment, reason="资金退回")
    assert exc.value.field == "entry"
    assert not LedgerEntry.objects.filter(kind=K.REVERSAL).exists()
    assert Application.objects.get(pk=app.pk).status == Status.CLOSED


def test_disbursement_run_pays_everything_once_and_reports(county, batch, roles):
    allocate()
    bureau = roles["bureau"]
    one = advance(_accepted(county, batch, roles), Status.DISBURSING, **roles)
    two = advance(
        _accepted(county, batch, roles, enterprise=county.neighbour, project_name="家电产线"),
        Status.DISBURSING,
        **roles,
    )
    still_in_notice = advance(
        _accepted(county, batch, roles, enterprise=county.elsewhere, project_name="轴承产线"),
        Status.PUBLIC_NOTICE,
        **roles,
    )
    # One share of ``one`` was paid by hand before the run.
    central = one.award.shares.get(level="central")
    funds.share_pay(
        acting_user=bureau,
        share=central,
        reference="手工",
        idempotency_key=funds.payment_idempotency_key(central),
    )

    city_only = funds.disbursement_run(acting_user=bureau, level="city")
    assert [(x.application, x.level) for x in city_only.paid] == [(one.number, "city"), (two.number, "city")]

    seen: list[str] = []
    report = funds.disbursement_run(acting_user=bureau, on_line=lambda outcome, line: seen.append(outcome))
    assert [(x.application, x.level) for x in report.paid] == [
        (one.number, "county"),
        (two.number, "central"),
        (two.number, "county"),
    ]
    assert [(x.application, x.level, x.reason) for x in report.skipped] == [
        (one.number, "central", "此前已支付"),
        (one.number, "city", "此前已支付"),
        (two.number, "city", "此前已支付"),
    ]
    assert report.failed == [] and len(seen) == 6
    assert report.paid[0].reference == f"ZF2025{one.award.shares.get(level='county').pk:08d}"
    for app in (one, two):
        app.refresh_from_db()
        assert app.status == Status.CLOSED
    assert Application.objects.get(pk=still_in_notice.pk).status == Status.PUBLIC_NOTICE
    assert funds.disbursement_run(acting_user=bureau).as_dict()["paid"] == []
    assert LedgerEntry.objects.filter(kind=K.PAYMENT).count() == 6

    with pytest.raises(ApplicationError) as bad_level:
        funds.disbursement_run(acting_user=bureau, level="province")
    assert bad_level.value.field == "level"
    with pytest.raises(ApplicationError):
        funds.disbursement_run(acting_user=county.users["auditor"])


def test_disbursement_run_of_one_batch(county, batch, roles):
    allocate()
    other = open_batch(code="2025-second", acting_user=roles["bureau"])
    a = advance(_accepted(county, batch, roles), Status.DISBURSING, **roles)
    b = advance(
        _accepted(county, other, roles, enterprise=county.neighbour, project_name="二批项目"),
        Status.DISBURSING,
        **roles,
    )
    report = funds.disbursement_run(acting_user=None, batch=other)
    assert {x.application for x in report.paid} == {b.number}
    a.refresh_from_db()
    assert a.status == Status.DISBURSING


def test_allocation_record_validates_and_refuses_a_repeated_reference(county):
    bureau = county.users["bureau_officer"]
    entry = funds.allocation_record(
        acting_user=bureau,
        level="central",
        programme="pilot",
        year=2025,
        amount="14230000",
        reference="财建〔2025〕100号",
        memo="中央财政中小企业数字化转型资金",
    )
    assert entry.amount == D("14230000.00") and entry.budget.name == "2025年度中央资金·pilot"
    assert Budget.objects.count() == 1
    cases: list[tuple[dict[str, Any], str]] = [
        ({"level": "province"}, "level"),
        ({"programme": "pliot"}, "programme"),
        ({"year": 1999}, "year"),
        ({"amount": "0"}, "amount"),
        ({"amount": "12.345"}, "amount"),
        ({"reference": ""}, "reference"),
        ({"reference": "财建〔2025〕100号"}, "reference"),  # already recorded for this budget
    ]
    for change, field in cases:
        kw: dict[str, Any] = {
            "level": "central",
            "programme": "pilot",
            "year": 2025,
            "amount": "1",
            "reference": "财建〔2025〕101号",
            **change,
        }
        with pytest.raises(ApplicationError) as exc:
            funds.allocation_record(acting_user=bureau, **kw)
        assert exc.value.field == field, (change, exc.value)
    with pytest.raises(ApplicationError):
        funds.allocation_record(
            acting_user=county.users["town_officer"],
            level="city",
            programme="pilot",
            year=2025,
            amount="1",
            reference="x",
        )
    assert LedgerEntry.objects.count() == 1


def test_a_one_time_reward_is_not_approved_twice_for_one_enterprise(county, roles):
    """Both sample-enterprise applications reach acceptance before either is approved, so both
    carry the full ceiling; approval re-checks and refuses the second."""
    bureau = roles["bureau"]
    allocate(
        year=2024, programme="sample", amounts={"central": "1000000", "city": "1000000", "county": "1000000"}
    )
    first_batch = open_batch(
        code="2024-sample-a",
        edition="cixi-2024",
        policy_ids=["cixi-2024-sample"],
        year=2024,
        acting_user=bureau,
    )
    second_batch = open_batch(
        code="2024-sample-b",
        edition="cixi-2024",
        policy_ids=["cixi-2024-sample"],
        year=2024,
        acting_user=bureau,
    )
    apps = []
    for b in (first_batch, second_batch):
        app = draft(batch=b, enterprise=county.elsewhere, policy_id="cixi-2024-sample", kinds=[])
        apps.append(advance(app, Status.ACCEPTED, **_acting(county, roles, county.elsewhere), verified="0"))
    assert [a.ceiling for a in apps] == [D("200000.00"), D("200000.00")]
    funds.award_approve(acting_user=bureau, application=apps[0], amount="200000")
    with pytest.raises(ApplicationError, match="一次性奖励"):
        funds.award_approve(acting_user=bureau, application=apps[1], amount="200000")
