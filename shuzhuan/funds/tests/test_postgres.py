"""Exactly-once under concurrency and after a crash, on PostgreSQL.

SQLite serialises every writer on one file lock and ignores ``select_for_update``, so these
tests say nothing there and are skipped. They run in ``transactional_db`` (each thread and the
subprocess need committed data and their own connections), which empties every table afterwards
— reference data and the stored editions included — so a fixture puts those back first.
The same crash, with the web server killed in the middle of a disbursement run over HTTP, is
``test_crash_server.py``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connections

from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import advance, open_batch
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.cli import main
from shuzhuan.core.errors import ApplicationError
from shuzhuan.funds import services as funds
from shuzhuan.funds.models import Award, LedgerEntry
from shuzhuan.funds.selectors import budget_balances
from shuzhuan.funds.tests.factories import accepted_in_bulk, allocate, pilot_draft
from shuzhuan.funds.tests.postgres import (
    REQUIRES_POSTGRES,
    SPLIT,
    four_disbursing,
    reference_data_load,
    subprocess_env,
    wait_for_dead_clients,
)

pytestmark = [REQUIRES_POSTGRES, pytest.mark.django_db(transaction=True)]
K = LedgerEntry.Kind
D = Decimal


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    reference_data_load()


def _concurrently(fn: Callable[[int], Any], n: int, *, at_once: int) -> list[Any]:
    """Run ``fn(0) … fn(n-1)`` on ``n`` threads released together, at most ``at_once`` holding a
    database connection at a time (PostgreSQL's default limit is 100). Each thread closes its
    connection when done. Returns each call's result or the exception it raised."""
    go = threading.Event()
    gate = threading.Semaphore(at_once)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        go.wait()
        with gate:
            try:
                results[i] = fn(i)
            except Exception as exc:
                results[i] = exc
            finally:
                connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    go.set()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung (deadlock?)"
    return results


def _awarded(county: Any, roles: dict[str, Any], status: Status) -> Application:
    """The county's own pilot project, 900,000 verified and awarded 450,000.00 split by ``SPLIT``,
    driven to ``status``."""
    allocate()
    batch = open_batch(acting_user=roles["bureau"], funding_split=SPLIT)
    app = pilot_draft(batch=batch, enterprise=county.own, firm=roles["firm"])
    return advance(app, status, **roles, verified="900000")


def test_fifty_concurrent_payments_of_one_share_pay_it_exactly_once(county, roles):
    app = _awarded(county, roles, Status.DISBURSING)
    share = app.award.shares.get(level="city")
    bureau = roles["bureau"]

    def pay(i: int) -> funds.PaymentResult:
        # Half retry with the run's key, half come in under keys of their own (a second run,
        # a double click): either way the share is paid once.
        key = funds.payment_idempotency_key(share) if i % 2 == 0 else f"duplicate-{i}"
        return funds.share_pay(acting_user=bureau, share=share, reference=f"ZF-{i}", idempotency_key=key)

    results = _concurrently(pay, 50, at_once=50)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    assert sum(r.created for r in results) == 1
    assert len({r.entry.pk for r in results}) == 1
    assert LedgerEntry.objects.filter(share=share, kind=K.PAYMENT).count() == 1
    assert AuditEntry.objects.filter(action="funds.payment").count() == 1
    city = next(b for b in budget_balances() if b.level == "city")
    assert city.paid == share.amount == D("112500.00")
    assert audit_verify().ok


def test_fifty_concurrent_payments_of_a_reversed_share_pay_it_again_exactly_once(county, roles):
    app = _awarded(county, roles, Status.CLOSED)
    bureau = roles["bureau"]
    share = app.award.shares.get(level="city")
    first = LedgerEntry.objects.get(share=share, kind=K.PAYMENT)
    funds.payment_reverse(acting_user=bureau, entry=first, reason="收款账户有误，资金退回")

    def pay(i: int) -> funds.PaymentResult:
        # A third retry the first payment's key (refused: spent on a reversed payment), a third
        # the re-payment's key (the run's), a third keys of their own (a double click).
        key = [
            funds.payment_idempotency_key(share),
            funds.payment_idempotency_key(share, attempt=2),
            f"repay-{i}",
        ][i % 3]
        return funds.share_pay(acting_user=bureau, share=share, reference=f"ZF-{i}", idempotency_key=key)

    results = _concurrently(pay, 50, at_once=50)
    refused = [r for r in results if isinstance(r, ApplicationError)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)]
    assert others == []
    assert len(refused) == 17 and all(r.field == "idempotency_key" and "已冲正" in r.message for r in refused)
    done = [r for r in results if isinstance(r, funds.PaymentResult)]
    assert sum(r.created for r in done) == 1 and len({r.entry.pk for r in done}) == 1
    (second,) = LedgerEntry.objects.filter(share=share, kind=K.PAYMENT, reversed_by__isnull=True)
    assert (second.payment_attempt, second.amount) == (2, share.amount)
    assert LedgerEntry.objects.filter(share=share, kind=K.PAYMENT).count() == 2
    city = next(b for b in budget_balances() if b.level == "city")
    assert (city.paid, city.outstanding) == (share.amount, D("0.00"))  # paid once, net
    assert Application.objects.get(pk=app.pk).status == Status.CLOSED
    assert audit_verify().ok


def test_two_hundred_concurrent_approvals_never_overdraw_a_budget_that_fits_one_hundred(county, roles):
    # 100 awards of 1,000.00 split 500 / 250 / 250 fit these budgets exactly.
    allocate(amounts={"central": "50000", "city": "25000", "county": "25000"})
    batch = open_batch(acting_user=roles["bureau"], funding_split=SPLIT)
    apps = accepted_in_bulk(batch=batch, n=200, ceiling=D("1000.00"))
    bureau = roles["bureau"]

    def approve(i: int) -> Award:
        return funds.award_approve(acting_user=bureau, application=apps[i], amount="1000.00")

    started = time.monotonic()
    results = _concurrently(approve, 200, at_once=40)
    elapsed = time.monotonic() - started
    refused = [r for r in results if isinstance(r, ApplicationError)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, ApplicationError)]
    assert others == []
    assert len(refused) == 100 and all("余额不足" in r.message for r in refused)
    assert Award.objects.count() == 100
    assert Application.objects.filter(status=Status.APPROVED).count() == 100
    assert LedgerEntry.objects.filter(kind=K.COMMITMENT).count() == 300
    for b in budget_balances():
        assert b.remaining == D("0.00") and b.committed == b.allocated
    assert audit_verify().ok
    assert elapsed < 30, f"200 approvals took {elapsed:.1f} s"


def _read_until(proc: subprocess.Popen[str], marker: str, timeout: float) -> list[str]:
    lines: list[str] = []
    done = threading.Event()

    def read() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith(marker):
                done.set()
                return
        done.set()

    threading.Thread(target=read, daemon=True).start()
    assert done.wait(timeout), f"no {marker!r} within {timeout} s: {lines}"
    assert lines and lines[-1].startswith(marker), lines
    return lines


def test_a_disbursement_run_killed_midway_leaves_each_payment_whole_or_absent(county, roles, capsys):
    apps, shares = four_disbursing(county, roles)
    assert len(shares) == 12

    # 1. Killed inside the 5th payment's transaction (its rows written, not committed).
    worker = Path(__file__).with_name("crash_worker.py")
    proc = subprocess.Popen(
        [sys.executable, str(worker)],
        cwd=settings.BASE_DIR,
        env=subprocess_env(SHUZHUAN_CRASH_AT_PAYMENT="5"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = _read_until(proc, "PAUSED-IN-PAYMENT", timeout=60)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert sum(line.startswith("已支付 ") for line in lines) == 4

    # 2. After the crash: four payments, each complete (row + audit entry + closure), the fifth absent.
    wait_for_dead_clients()
    payments = list(LedgerEntry.objects.filter(kind=K.PAYMENT).order_by("pk"))
    assert len(payments) == 4
    audited = {e.payload["entry"] for e in AuditEntry.objects.filter(action="funds.payment")}
    assert audited == {p.pk for p in payments}
    assert all(p.share_id is not None and p.amount == shares[p.share_id] for p in payments)
    assert [Application.objects.get(pk=a.pk).status for a in apps] == [
        Status.CLOSED,  # its three shares, and the close, in the transactions of the first three
        Status.DISBURSING,
        Status.DISBURSING,
        Status.DISBURSING,
    ]
    assert audit_verify().ok

    # 3. Run again (the real CLI, a fresh process): the other eight are paid, once.
    rerun = subprocess.run(
        [sys.executable, "-m", "shuzhuan.cli", "funds", "disburse", "--json"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert (len(report["paid"]), len(report["skipped"]), report["failed"]) == (8, 1, [])
    assert report["skipped"][0]["reason"] == "此前已支付"
    assert funds.disbursement_run(acting_user=None).paid == []

    by_share = LedgerEntry.objects.filter(kind=K.PAYMENT).values_list("share_id", "amount")
    assert sorted(by_share) == sorted(shares.items())  # every share exactly once, to the fen
    assert all(Application.objects.get(pk=a.pk).status == Status.CLOSED for a in apps)
    for b in budget_balances():
        assert (b.committed, b.paid, b.outstanding) == (D("450000.00") * 4 * D(SPLIT[b.level]),) * 2 + (
            D("0.00"),
        )
        assert b.remaining == b.allocated - b.committed

    # 4. The audit chain holds; a hand edit of one row breaks it, and verify names that row.
    capsys.readouterr()
    assert main(["audit", "verify"]) == 0
    assert "audit chain intact" in capsys.readouterr().out
    victim = AuditEntry.objects.filter(action="funds.payment").order_by("seq")[2]
    changed = {**victim.payload, "amount": "1.00"}
    AuditEntry.objects.filter(pk=victim.pk).update(payload=changed)
    assert main(["audit", "verify"]) == 1
    err = capsys.readouterr().err
    assert f"entry #{victim.seq}" in err and "changed" in err
