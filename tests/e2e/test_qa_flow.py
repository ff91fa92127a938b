"""智能应答 in a real browser: a signed-in enterprise user opens 政策问答 from the navigation bar,
asks "我投了80万做AI大模型项目能补多少？" and sees the answer appended to the panel (htmx, no
reload) with the amount computed by the policy engine and the clause it rests on; then a visitor
who is not signed in finds the public policy page from the login page and asks the same question.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import nav, sign_in_as

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County

QUESTION = "我投了80万做AI大模型项目能补多少？"
DOCUMENT = "慈经信建〔2025〕15号"

pytestmark = pytest.mark.usefixtures("shipped_editions")


def test_an_enterprise_asks_in_the_chat_panel(page: Page, live_server: LiveServer, county: County) -> None:
    sign_in_as(page, live_server, "firm")
    nav(page, "政策问答")
    expect(page.get_by_role("heading", name="政策问答")).to_be_visible()
    url = page.url
    form = page.get_by_test_id("qa-form")
    form.get_by_label("您的问题").fill(QUESTION)
    form.get_by_role("button", name="提问").click()

    exchange = page.get_by_test_id("qa-exchange").last
    expect(exchange.get_by_test_id("qa-question")).to_have_text(QUESTION)
    expect(exchange.get_by_test_id("qa-amount")).to_have_text("300,000.00")
    expect(exchange.get_by_test_id("qa-citations")).to_contain_text(DOCUMENT)
    expect(exchange.get_by_test_id("qa-answer")).to_contain_text("按30万元")
    expect(exchange.get_by_test_id("qa-confidence")).to_contain_text("置信度")
    assert page.url == url  # appended in place, no navigation
    expect(form.get_by_label("您的问题")).to_have_value("")  # ready for the next question

    form.get_by_label("您的问题").fill("食堂的菜单是什么")
    form.get_by_role("button", name="提问").click()
    expect(page.get_by_test_id("qa-exchange")).to_have_count(2)
    expect(page.get_by_test_id("qa-passed-on")).to_be_visible()


def test_a_visitor_asks_on_the_public_policy_page(page: Page, live_server: LiveServer) -> None:
    page.goto(f"{live_server.url}/login/")
    page.get_by_test_id("public-policy-link").click()
    expect(page.get_by_test_id("public-policy").first).to_be_visible()
    expect(page.get_by_text("人工智能大模型应用项目补助").first).to_be_visible()
    form = page.get_by_test_id("qa-form")
    form.get_by_label("您的问题").fill(QUESTION)
    form.get_by_role("button", name="提问").click()
    exchange = page.get_by_test_id("qa-exchange").last
    expect(exchange.get_by_test_id("qa-amount")).to_have_text("300,000.00")
    expect(exchange.get_by_test_id("qa-citations")).to_contain_text(DOCUMENT)
