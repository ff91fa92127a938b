"""Browser tests in real Chromium (Debian's /usr/bin/chromium), driven by Playwright.

* One browser per session; a fresh browser context (cookies, storage) per test.
* The app runs in pytest-django's ``live_server``; static files come through the staticfiles
  finders, i.e. the same npm Bootstrap and htmx (``node_modules``, ``STATICFILES_DIRS``) that
  ``collectstatic`` gathers for production — never a CDN. A page whose CSS/JS fails to load
  fails its test.
* The enterprise-list screenshot lands in the test's ``tmp_path`` (``--basetemp=DIR`` to keep it).
* Every test here is marked ``e2e`` automatically: ``scripts/test.sh`` runs the unit suites with
  ``-m "not e2e"`` and these with ``-m e2e tests/e2e``.
* No Chromium → the tests skip with the reason (``scripts/test.sh`` makes that a failure under CI).
"""

from __future__ import annotations

import os
import re

# Playwright's sync API runs an asyncio event loop in this thread; Django would otherwise refuse
# ORM calls made from the test body (fixtures, assertions on the database).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Response
    from pytest_django.live_server_helper import LiveServer

HERE = Path(__file__).resolve().parent
CHROMIUM = Path(os.environ.get("SHUZHUAN_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 10_000


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # tryfirst: the marks must be in place before ``-m e2e`` / ``-m "not e2e"`` deselects.
    for item in items:
        if HERE in item.path.resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Browser]:
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set SHUZHUAN_CHROMIUM)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the dev extra installs it
        pytest.skip("the Python package 'playwright' is not installed (pip install -e '.[dev]')")
    from django.db import connections

    # Once Playwright's event loop runs in this thread, Django keeps database connections per
    # asyncio context instead of per thread, and the test body would get a second connection to
    # the in-memory test database, one the live server does not share (SQLite shared-cache
    # table locks, data seen at different times). Keep the connections made before the loop.
    before = {alias: connections[alias] for alias in connections}
    with sync_playwright() as p:
        for alias, connection in before.items():
            connections[alias] = connection
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(autouse=True)
def _e2e_database(transactional_db: None, live_server: LiveServer) -> None:
    """The live server needs committed data, so these tests run in ``transactional_db``, which
    empties every table afterwards — including the reference data (regions, industries,
    qualification types) that a data migration loads. Put it back before each test.
    (Not ``serialized_rollback``: in a run together with other transactional tests, content types
    re-created by their flushes clash with the serialized snapshot.)"""
    from shuzhuan.enterprises.models import Industry, QualificationType, Region
    from shuzhuan.enterprises.reference import load_reference

    if not Region.objects.exists():
        load_reference(Region, Industry, QualificationType)


def _open_page(browser: Browser, live_server: LiveServer, **options: Any) -> Iterator[Page]:
    from django.db import connections

    shared = live_server.thread.connections_override
    assert all(connections[alias] is conn for alias, conn in shared.items()), (
        "the test body and the live server must share the in-memory database connection"
    )
    context = browser.new_context(
        base_url=live_server.url,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        viewport={"width": 1366, "height": 900},
        **options,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    broken: list[str] = []
    # A request cut short by the next navigation (net::ERR_ABORTED) is not a broken asset.
    page.on(
        "requestfailed",
        lambda request: (
            broken.append(f"{request.failure} {request.url}")
            if "/static/" in request.url and "ERR_ABORTED" not in (request.failure or "")
            else None
        ),
    )
    page.on(
        "response",
        lambda response: (
            broken.append(f"{response.status} {response.url}")
            if "/static/" in response.url and response.status >= 400
            else None
        ),
    )
    try:
        yield page
    finally:
        context.close()
    assert not broken, f"static assets did not load: {broken}"


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    yield from _open_page(browser, live_server)


@pytest.fixture
def page_no_js(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A browser with JavaScript switched off: the pages must still work as plain HTML forms."""
    yield from _open_page(browser, live_server, java_script_enabled=False)


def login(page: Page, live_server: LiveServer, username: str, password: str) -> Response | None:
    """Submit the login form like a person would; returns the response the form led to."""
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("用户名", exact=True).fill(username)
    page.get_by_label("密码", exact=True).fill(password)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="登录").click()
    return navigation.value


@pytest.fixture
def shipped_editions(_e2e_database: None) -> None:
    """The shipped policy editions, for the modules that ask (``usefixtures``): a transactional
    test's flush empties the editions table too."""
    from shuzhuan.policies.models import PolicyEdition
    from shuzhuan.policies.shipped import editions_load_shipped

    editions_load_shipped(PolicyEdition)


def sign_in_as(page: Page, live_server: LiveServer, username: str) -> None:
    """Sign out whoever is signed in, and sign in as ``username`` (the test users' password)."""
    from playwright.sync_api import expect

    from shuzhuan.accounts.tests.factories import PASSWORD

    page.context.clear_cookies()
    login(page, live_server, username, PASSWORD)
    expect(page.get_by_test_id("whoami")).to_contain_text(username)


def nav(page: Page, label: str) -> None:
    """Follow the navigation bar's link whose name starts with ``label``."""
    page.get_by_test_id("nav").get_by_role("link", name=re.compile(f"^{label}")).click()


def edition_draft(page: Page, *, based_on: str, edition_id: str, effective_from: str) -> None:
    """A new draft edition from the policies page: copied from ``based_on``, in force from
    ``effective_from`` (YYYY-MM-DD); the draft's page follows."""
    page.get_by_test_id("nav").get_by_role("link", name="政策", exact=True).click()
    page.get_by_test_id("edition-new").click()
    form = page.get_by_test_id("edition-form")
    form.get_by_label("基于版本").select_option(based_on)
    form.get_by_label("新版本编号").fill(edition_id)
    form.get_by_label("生效日期").fill(effective_from)
    with page.expect_navigation():
        form.get_by_role("button", name="创建草稿").click()


def calculate_ai_project(page: Page, as_of: str) -> None:
    """The policy calculator, from the navigation bar, for an accepted AI-model project verified
    at 1,000,000, on ``as_of`` (YYYY-MM-DD)."""
    page.get_by_test_id("nav").get_by_role("link", name="政策计算器").click()
    form = page.get_by_test_id("calc-form")
    form.get_by_label("计算日期").fill(as_of)
    form.get_by_label("人工智能大模型").check()
    form.get_by_label("已验收").check()
    form.get_by_label("核定投入额（元）").fill("1000000")
    with page.expect_navigation():
        form.get_by_role("button", name="计算").click()


def computed_style(page: Page, selector: str, prop: str) -> Any:
    return page.eval_on_selector(selector, "(el, prop) => getComputedStyle(el)[prop]", prop)
