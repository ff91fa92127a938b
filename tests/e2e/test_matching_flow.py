"""政策找人 in a real browser: the bureau officer starts a matching run from the web and watches
its progress page turn into the results (htmx polling, no reload); the enterprise signs in, finds
"为您匹配的政策" on its home page with the amounts, and starts an application from a match — it
lands on the form of the open batch that takes that policy and saves a draft.

About watching: in the test settings background tasks run eagerly, inside the request that
queues them, so the run would be over before the page could show it. Here the task is queued
for real (``SHUZHUAN_TASKS_EAGER`` off) into an executor that holds it, and the test runs it
while the browser watches. The live server and the test share one in-memory SQLite connection,
which two threads must not use at once: the page's polling requests are held by a Playwright
route while the task runs in the test's thread, and let through afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, Route, expect

from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.applications.tests.factories import open_batch
from shuzhuan.core.models import BackgroundTask
from shuzhuan.matching.models import MatchRun
from tests.e2e.conftest import nav, sign_in_as

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County

PILOT = "cixi-2025-pilot"
PILOT_TITLE = "重点行业中小企业数字化改造试点项目补助"


pytestmark = pytest.mark.usefixtures("shipped_editions")


@pytest.fixture(autouse=True)
def _dirs(settings: Any, tmp_path: Path) -> None:
    settings.SHUZHUAN_MATCH_DIR = str(tmp_path / "matching")
    settings.MATERIALS_DIR = tmp_path / "materials"


class HeldTasks:
    """Stands in for the task thread pool: keeps what is submitted until the test runs it."""

    def __init__(self) -> None:
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def submit(self, fn: Callable[..., Any], *args: Any) -> None:
        self.jobs.append((fn, args))

    def run_all(self) -> None:
        jobs, self.jobs = self.jobs, []
        for fn, args in jobs:
            fn(*args)  # the real task runner (shuzhuan.core.tasks), in this thread


@pytest.fixture
def held_tasks(settings: Any, monkeypatch: pytest.MonkeyPatch) -> HeldTasks:
    from shuzhuan.core import tasks

    held = HeldTasks()
    settings.SHUZHUAN_TASKS_EAGER = False
    monkeypatch.setattr(tasks, "_pool", lambda: held)
    return held


class PollGate:
    """Holds the page's htmx polling requests (``HX-Request: true``) while closed."""

    def __init__(self, page: Page) -> None:
        self.open = False
        self.waiting: list[Route] = []
        page.route(re.compile(r"/matching/runs/\d+/$"), self._handle)

    def _handle(self, route: Route) -> None:
        if route.request.headers.get("hx-request") == "true" and not self.open:
            self.waiting.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        self.open = True
        waiting, self.waiting = self.waiting, []
        for route in waiting:
            route.continue_()


def test_a_run_from_the_web_and_an_application_from_a_match(
    page: Page, live_server: LiveServer, county: County, held_tasks: HeldTasks
) -> None:
    bureau = county.users["bureau_officer"]
    batch = open_batch(code="e2e-digital", acting_user=bureau)
    open_batch(code="e2e-ai-only", acting_user=bureau, policy_ids=["cixi-2025-ai"])  # does not take pilot

    # --- the bureau starts a run and watches it complete -------------------------------------
    gate = PollGate(page)
    sign_in_as(page, live_server, "bureau")
    nav(page, "政策找人")
    expect(page.get_by_test_id("no-run")).to_contain_text("尚未进行政策匹配")
    form = page.get_by_test_id("run-form")
    expect(form.get_by_label("计算引擎")).to_have_value("duckdb")
    with page.expect_navigation():
        form.get_by_role("button", name="开始匹配").click()
    expect(page.locator(".alert-success")).to_contain_text("已发起第 1 次政策匹配（DuckDB）")
    run = page.get_by_test_id("match-run")
    expect(run).to_have_attribute("data-status", "queued")
    expect(page.get_by_test_id("run-progress")).to_be_visible()
    expect(page.get_by_test_id("run-progress-text")).to_contain_text("排队中")
    page.evaluate("window.__sameDocument = true")  # gone if the page reloads

    assert len(held_tasks.jobs) == 1  # queued as a background task, not run in the request
    held_tasks.run_all()  # the task runs; the page's polls wait at the gate meanwhile
    gate.release()

    expect(run).to_have_attribute("data-status", "succeeded")
    expect(page.get_by_test_id("run-done")).to_contain_text("第 1 次匹配已完成，已成为当前结果")
    assert page.evaluate("window.__sameDocument === true")  # swapped in place by htmx
    expect(page.get_by_test_id("count-prospect")).to_have_text("3")
    expect(page.get_by_test_id("changes-new")).to_have_text("3")
    expect(page.get_by_test_id("timing")).to_have_count(4)
    finished = MatchRun.objects.get(version=1)
    assert finished.status == MatchRun.Status.SUCCEEDED and finished.created_by == bureau
    assert finished.task_id is not None
    assert BackgroundTask.objects.get(pk=finished.task_id).status == BackgroundTask.Status.SUCCEEDED

    page.get_by_role("link", name="查看各政策的匹配企业").click()
    row = page.get_by_test_id("policy-summary").filter(has_text=PILOT_TITLE)
    expect(row.get_by_test_id("unapplied")).to_have_text("3")
    row.get_by_test_id("policy-link").click()
    expect(page.get_by_test_id("policy-title")).to_have_text(PILOT_TITLE)
    expect(page.get_by_test_id("unapplied-row")).to_have_count(3)
    expect(page.get_by_test_id("unapplied-row").filter(has_text=county.own.name)).to_contain_text(
        "最高 500,000.00 元"
    )

    # --- the enterprise sees its matches and starts an application from one ------------------
    sign_in_as(page, live_server, "firm")
    card = page.get_by_test_id("my-matches")
    expect(card).to_contain_text("为您匹配的政策")
    match = card.locator(f'[data-testid="match"][data-policy="{PILOT}"]')
    expect(match.get_by_test_id("match-status")).to_have_text("可申报")
    expect(match.get_by_test_id("match-amount")).to_contain_text("最高 500,000.00 元")
    expect(match.get_by_test_id("match-citation")).to_contain_text("慈经信建〔2025〕15号")
    expect(match.get_by_test_id("match-action")).to_contain_text(batch.name)
    for other in (county.neighbour, county.elsewhere):
        expect(page.locator("main")).not_to_contain_text(other.name)
    match.get_by_role("link", name=f"立即申报 {PILOT_TITLE}").click()

    expect(page).to_have_url(f"{live_server.url}/apply/{batch.code}/{PILOT}/")
    expect(page.locator("main")).to_contain_text(f"{batch.name} · {PILOT_TITLE}")
    form = page.get_by_test_id("application-form")
    form.get_by_label("项目名称").fill("汽配数字化车间试点改造")
    form.get_by_label("数字化改造试点", exact=True).check()
    form.get_by_label("已列入数字化改造试点计划").check()
    form.get_by_label("申报投入额（元）").fill("900,000.00")
    with page.expect_navigation():
        form.get_by_role("button", name="保存草稿").click()
    expect(page.get_by_test_id("application-status")).to_have_text("草稿")
    number = page.get_by_test_id("application-number").inner_text()
    app = Application.objects.select_related("batch").get(number=number)
    assert (app.enterprise, app.batch.code, app.policy_id, app.status) == (
        county.own,
        batch.code,
        PILOT,
        Status.DRAFT,
    )
    assert PolicyBatch.objects.get(code="e2e-ai-only").applications.count() == 0

    # back home, the match names the application instead of the button
    nav(page, "首页")
    match = page.get_by_test_id("my-matches").locator(f'[data-testid="match"][data-policy="{PILOT}"]')
    expect(match.get_by_test_id("match-application")).to_have_text(number)
    expect(match.get_by_test_id("apply-match")).to_have_count(0)
