"""The web server SIGKILLed in the middle of a disbursement run, on PostgreSQL.

The real server (waitress serving the project, ``crash_server.py``) runs as a subprocess against
the test database; a bureau officer logs in over HTTP — the login form's CSRF token, the session
cookie — and POSTs the run from the funds page. The server stops inside the 6th payment's
transaction (the last share of the second award: its payment row, audit entry and closing status
change written, the COMMIT not yet sent), says so in a marker file, and is killed there.

Afterwards every payment is whole or absent, the balances reconcile and ``shuzhuan audit verify``
passes; a restarted server's run pays the rest, each share exactly once and to the fen; and one
audit row edited by hand in SQL makes ``shuzhuan audit verify`` fail, naming that entry.

Skipped on SQLite (see ``test_postgres.py``); in ``transactional_db`` so that the server sees the
data the test commits.
"""

from __future__ import annotations

import http.cookiejar
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from http.client import HTTPResponse
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection

from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.applications.models import Application, Status, StatusChange
from shuzhuan.audit.models import AuditEntry
from shuzhuan.funds.models import AwardShare, LedgerEntry
from shuzhuan.funds.selectors import budget_balances
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
SERVER = Path(__file__).with_name("crash_server.py")
CRASH_AT = 6  # the second award's last share: its payment would also close the application


@pytest.fixture(autouse=True)
def _reference_data(transactional_db: None) -> None:
    reference_data_load()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def _server(tmp_path: Path, name: str, **env: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The server on a free port, up and answering; always gone (killed) afterwards."""
    port = _free_port()
    log = tmp_path / f"{name}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, str(SERVER), str(port)],
            cwd=settings.BASE_DIR,
            env=subprocess_env(**env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert proc.poll() is None, f"the server exited: {log.read_text(errors='replace')}"
            try:
                with urllib.request.build_opener().open(f"{base}/login/", timeout=2) as response:
                    assert response.status == 200
                break
            except (urllib.error.URLError, ConnectionError):
                assert time.monotonic() < deadline, (
                    f"the server did not answer: {log.read_text(errors='replace')}"
                )
                time.sleep(0.05)
        yield base, proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


class Browser:
    """Real HTTP with a cookie jar: what a browser sends, without the browser."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode("utf-8"))

    def post(self, path: str, data: dict[str, str], *, timeout: float = 30) -> tuple[HTTPResponse, str]:
        body = urllib.parse.urlencode(data).encode()
        response: HTTPResponse = self.opener.open(self.base + path, data=body, timeout=timeout)
        with response:
            return response, response.read().decode("utf-8")

    def cookie(self, name: str) -> str | None:
        return next((c.value for c in self.cookies if c.name == name), None)

    def login(self, username: str, password: str) -> None:
        token = _csrf_token(self.get("/login/"))
        response, _ = self.post(
            "/login/", {"csrfmiddlewaretoken": token, "username": username, "password": password}
        )
        assert urllib.parse.urlsplit(response.url).path == "/", response.url  # redirected home
        assert self.cookie("sessionid"), "no session cookie after login"

    def run_disbursement(self, *, timeout: float = 30) -> str:
        """The bureau's 批量兑现 on the funds page: every level, every batch."""
        token = _csrf_token(self.get("/funds/"))
        _, page = self.post(
            "/funds/disbursements/",
            {"csrfmiddlewaretoken": token, "run-level": "", "run-batch": ""},
            timeout=timeout,
        )
        return page


def _csrf_token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def _audit_verify() -> subprocess.CompletedProcess[str]:
    """``shuzhuan audit verify``, the command an operator runs."""
    return subprocess.run(
        [sys.executable, "-m", "shuzhuan.cli", "audit", "verify"],
        cwd=settings.BASE_DIR,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _assert_whole_or_absent(shares: dict[int, Decimal]) -> list[LedgerEntry]:
    """Each payment is complete — one ledger row of the share's amount, its audit entry, the
    application closed exactly when all its shares are paid — or absent; the balances reconcile."""
    payments = list(LedgerEntry.objects.filter(kind=K.PAYMENT).order_by("pk"))
    assert len({p.share_id for p in payments}) == len(payments)  # no share twice
    assert all(p.share_id in shares and p.amount == shares[p.share_id] for p in payments)
    audited = {e.payload["entry"]: e.payload for e in AuditEntry.objects.filter(action="funds.payment")}
    assert set(audited) == {p.pk for p in payments}
    assert all(D(audited[p.pk]["amount"]) == p.amount for p in payments)
    paid_shares = {p.share_id for p in payments}
    for app in Application.objects.filter(award__isnull=False):
        app_shares = set(AwardShare.objects.filter(award__application=app).values_list("pk", flat=True))
        closed = app.status == Status.CLOSED
        assert closed == (app_shares <= paid_shares), (app.number, app.status)
        assert StatusChange.objects.filter(application=app, action="close").count() == int(closed)
        assert AuditEntry.objects.filter(action="application.close", object_id=app.number).count() == int(
            closed
        )
    paid_by_level: dict[str, Decimal] = {}
    for p in payments:
        paid_by_level[p.budget.level] = paid_by_level.get(p.budget.level, D("0.00")) + p.amount
    for b in budget_balances():
        assert b.allocated - b.committed == b.remaining >= 0
        assert b.paid <= b.committed
        assert b.paid == paid_by_level.get(b.level, D("0.00"))
        assert b.outstanding == b.committed - b.paid
    return payments


def test_the_server_killed_inside_a_payment_of_a_run_leaves_each_payment_whole_or_absent(
    county: Any, roles: dict[str, Any], tmp_path: Path
) -> None:
    apps, shares = four_disbursing(county, roles)
    assert len(shares) == 12 and sum(shares.values()) == D("450000.00") * 4

    # 1. The run, over HTTP, stopped inside the 6th payment's transaction and killed there.
    marker = tmp_path / "paused"
    with _server(
        tmp_path, "crashing", SHUZHUAN_CRASH_AT_PAYMENT=str(CRASH_AT), SHUZHUAN_CRASH_MARKER=str(marker)
    ) as (
        base,
        proc,
    ):
        officer = Browser(base)
        officer.login("bureau", PASSWORD)
        outcome: dict[str, Any] = {}

        def run() -> None:
            try:
                outcome["page"] = officer.run_disbursement(timeout=60)
            except Exception as exc:  # the connection dies with the server
                outcome["error"] = exc

        request = threading.Thread(target=run, daemon=True)
        request.start()
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert request.is_alive(), f"the run ended without pausing: {outcome}"
            assert time.monotonic() < deadline, "the server never paused inside a payment"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        request.join(timeout=30)
        assert "page" not in outcome, "the run answered although its server was killed"
        assert isinstance(outcome.get("error"), (urllib.error.URLError, ConnectionError, OSError))
    wait_for_dead_clients()  # PostgreSQL rolls back the killed server's open transaction

    # 2. After the crash: five whole payments, the sixth absent — and with it the close of the
    #    second application, which was in the same transaction.
    payments = _assert_whole_or_absent(shares)
    assert len(payments) == CRASH_AT - 1
    assert [Application.objects.get(pk=a.pk).status for a in apps] == [
        Status.CLOSED,
        Status.DISBURSING,  # two of three shares paid; the third and the close rolled back
        Status.DISBURSING,
        Status.DISBURSING,
    ]
    verified = _audit_verify()
    assert verified.returncode == 0, verified.stderr
    assert "audit chain intact" in verified.stdout

    # 3. Restarted, without the pause: the run pays the other seven, each share exactly once.
    with _server(tmp_path, "restarted") as (base, _):
        officer = Browser(base)
        officer.login("bureau", PASSWORD)
        page = officer.run_disbursement()
        # Paid: the second award's last share and the six of the third and fourth; skipped: the
        # second award's two paid before the crash (the first award, closed, is not in the run).
        assert "兑现完成：支付 7 笔，共 1,012,500.00 元；跳过 2 笔。" in page, re.findall(
            r"兑现完成[^<]*", page
        )
        again = officer.run_disbursement()  # nothing left in disbursement
        assert "兑现完成：支付 0 笔，共 0.00 元；跳过 0 笔。" in again
    payments = _assert_whole_or_absent(shares)
    assert sorted((p.share_id, p.amount) for p in payments) == sorted(shares.items())  # to the fen
    assert all(p.payment_attempt == 1 for p in payments)
    assert all(Application.objects.get(pk=a.pk).status == Status.CLOSED for a in apps)
    for b in budget_balances():
        assert (b.committed, b.paid, b.outstanding) == (
            D("450000.00") * 4 * D(SPLIT[b.level]),
            D("450000.00") * 4 * D(SPLIT[b.level]),
            D("0.00"),
        )
    verified = _audit_verify()
    assert verified.returncode == 0, verified.stderr

    # 4. One audit row edited by hand, in SQL: `audit verify` fails and names that entry.
    victim = AuditEntry.objects.filter(action="funds.payment").order_by("seq")[3]
    with connection.cursor() as cursor:
        cursor.execute(
            """UPDATE audit_auditentry SET payload = jsonb_set(payload, '{amount}', '"1.00"') WHERE seq = %s""",
            [victim.seq],
        )
        assert cursor.rowcount == 1
    tampered = _audit_verify()
    assert tampered.returncode != 0
    assert f"entry #{victim.seq} was changed" in tampered.stderr, tampered.stderr
