"""用户管理 and 我的账户 in a real browser: the create form shows the fields the chosen role needs,
the new account signs in, and its owner changes the password and makes an API token."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from playwright.sync_api import Page, expect

from shuzhuan.accounts.models import User
from shuzhuan.accounts.tests.factories import PASSWORD
from tests.e2e.conftest import login

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County

STRONG = "Hai-Wei-2025-qiye"
NEWER = "Zhou-Xiang-2026-xin"


def test_bureau_creates_an_enterprise_user_who_then_manages_their_own_account(
    page: Page, live_server: LiveServer, county: County, tmp_path: Path
) -> None:
    login(page, live_server, "bureau", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="用户管理").click()
    expect(page.get_by_test_id("nav").locator("a.active")).to_have_text("用户管理")
    expect(page.get_by_test_id("user-row")).to_have_count(5)
    page.get_by_test_id("user-create").click()

    region, home, firm = (
        page.get_by_label("管辖区域"),
        page.get_by_label("归属区域"),
        page.get_by_label("所属企业（统一社会信用代码）"),
    )
    page.get_by_label("角色").select_option("town_officer")
    expect(region).to_be_visible()
    expect(home).to_be_hidden()
    expect(firm).to_be_hidden()
    page.get_by_label("角色").select_option("enterprise")
    expect(region).to_be_hidden()
    expect(firm).to_be_visible()
    page.get_by_label("用户名").fill("qiye_wang")
    page.get_by_label("姓名").fill("王经理")
    firm.fill(county.neighbour.uscc)
    page.get_by_label("初始密码").fill(STRONG)
    page.get_by_label("确认密码").fill(STRONG)
    page.screenshot(path=str(tmp_path / "user-create.png"), full_page=True)
    page.get_by_role("button", name="创建").click()
    expect(page.locator(".alert-success")).to_contain_text("已创建用户 qiye_wang（企业）")
    expect(page.get_by_label("所属企业（统一社会信用代码）")).to_have_value(county.neighbour.uscc)
    assert User.objects.get(username="qiye_wang").enterprise == county.neighbour

    page.context.clear_cookies()
    login(page, live_server, "qiye_wang", STRONG)
    page.get_by_test_id("my-account").click()
    page.get_by_label("原密码").fill(STRONG)
    page.locator("#id_password1").fill(NEWER)  # "新密码" is also part of "确认新密码"
    page.get_by_label("确认新密码").fill(NEWER)
    page.get_by_role("button", name="修改密码").click()
    expect(page.locator(".alert-success")).to_contain_text("密码已修改")
    page.get_by_label("用途").fill("对接系统")
    page.get_by_role("button", name="创建令牌").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("只显示这一次")
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    page.screenshot(path=str(tmp_path / "my-account.png"), full_page=True)
    assert User.objects.get(username="qiye_wang").check_password(NEWER)
