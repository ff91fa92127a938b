"""Who sees what, proven in a real browser: scope of a town officer, an enterprise user's
isolation, the login lockout, the import page, and how the enterprise list looks."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import openpyxl
from django.conf import settings
from playwright.sync_api import Page, expect

from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import PASSWORD, make_user
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import (
    EnterpriseFactory,
    add_qualification,
    industry,
    make_uscc,
    town,
)
from tests.e2e.conftest import computed_style, login

if TYPE_CHECKING:
    from pytest_django.live_server_helper import LiveServer

    from conftest import County


def _enterprise(**fields: Any) -> Enterprise:
    enterprise: Enterprise = EnterpriseFactory.create(**fields)
    return enterprise


def _towns_in_table(page: Page) -> list[str]:
    return [t.strip() for t in page.get_by_test_id("town").all_inner_texts()]


def _names_in_table(page: Page) -> list[str]:
    return [n.strip() for n in page.get_by_test_id("enterprise-link").all_inner_texts()]


def _htmx_settled(page: Page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")


def _search(page: Page, text: str) -> None:
    """Type into the search box and submit with Enter; htmx swaps the rows in place."""
    box = page.get_by_role("searchbox", name="搜索")
    box.fill(text)
    with page.expect_response(
        lambda r: "/enterprises/?" in r.url and r.request.headers.get("hx-request") == "true"
    ) as response:
        box.press("Enter")
    assert response.value.ok
    _htmx_settled(page)


def test_town_officer_sees_only_enterprises_of_own_town(
    page: Page, live_server: LiveServer, county: County
) -> None:
    hidden = _enterprise(name="慈溪市丁模具有限公司", town=town("cixi-zhouxiang"))

    login(page, live_server, "town", PASSWORD)
    expect(page.get_by_test_id("whoami")).to_contain_text("观海卫镇")
    page.get_by_test_id("nav").get_by_role("link", name="企业库").click()

    expect(page).to_have_title(re.compile("^企业库"))
    expect(page.get_by_test_id("nav").locator("a.active")).to_have_text("企业库")
    expect(page.get_by_test_id("result-count")).to_contain_text("共 2 家企业")
    assert _towns_in_table(page) == ["观海卫镇", "观海卫镇"]
    names = _names_in_table(page)
    assert county.own.name in names and county.neighbour.name in names
    assert hidden.name not in names and county.elsewhere.name not in names
    # The town filter offers only the officer's own town.
    town_options = page.get_by_role("combobox", name="镇（街道）").locator("option").all_inner_texts()
    assert town_options == ["全部镇（街道）", "观海卫镇"]

    # Searching by the hidden enterprise's exact name finds nothing, and says so.
    _search(page, hidden.name)
    expect(page.get_by_test_id("empty-state")).to_be_visible()
    expect(page.get_by_test_id("result-count")).to_contain_text("共 0 家企业")
    assert _names_in_table(page) == []
    assert "q=" in page.url  # htmx pushed the filter into the address bar

    # … also when asking for its town in the URL directly.
    page.goto(f"{live_server.url}/enterprises/?town=cixi-zhouxiang&q={hidden.uscc}")
    expect(page.get_by_test_id("empty-state")).to_be_visible()

    # A search inside the scope still works.
    page.goto(f"{live_server.url}/enterprises/")
    _search(page, "乙家电")
    assert _names_in_table(page) == [county.neighbour.name]
    assert _towns_in_table(page) == ["观海卫镇"]


def test_list_filters_work_without_javascript(
    page_no_js: Page, live_server: LiveServer, county: County
) -> None:
    page = page_no_js
    login(page, live_server, "bureau", PASSWORD)
    page.goto(f"{live_server.url}/enterprises/")
    assert len(_names_in_table(page)) == 3
    page.get_by_role("combobox", name="镇（街道）").select_option(label="周巷镇")
    with page.expect_navigation():
        page.get_by_role("button", name="查询").click()
    assert "town=cixi-zhouxiang" in page.url
    assert _names_in_table(page) == [county.elsewhere.name]
    expect(page.get_by_role("combobox", name="镇（街道）")).to_have_value("cixi-zhouxiang")
    # The reset link clears the filters.
    with page.expect_navigation():
        page.get_by_role("link", name="清除条件").click()
    assert len(_names_in_table(page)) == 3


def test_enterprise_user_sees_own_enterprise_only(
    page: Page, live_server: LiveServer, county: County
) -> None:
    qualification = county.own.qualifications.select_related("type").get()
    login(page, live_server, "firm", PASSWORD)

    # Their own enterprise: name and qualifications.
    page.get_by_test_id("nav").get_by_role("link", name="企业信息").click()
    expect(page).to_have_url(re.compile(rf"/enterprises/{county.own.uscc}/$"))
    expect(page.get_by_test_id("enterprise-name")).to_have_text(county.own.name)
    expect(page.get_by_test_id("qualifications")).to_contain_text(qualification.type.name)
    expect(page.get_by_test_id("qualifications")).to_contain_text(str(qualification.year))
    expect(page.get_by_test_id("nav").locator("a.active")).to_have_text("企业信息")

    # Another enterprise — in another town, or a neighbour in the same town — is not there.
    for other in (county.elsewhere, county.neighbour):
        response = page.goto(f"{live_server.url}/enterprises/{other.uscc}/")
        assert response is not None and response.status in (403, 404)
        expect(page.get_by_test_id("not-found")).to_be_visible()
        expect(page.get_by_test_id("nav")).to_be_visible()  # rendered inside the layout
        expect(page.locator("body")).not_to_contain_text(other.name)

        api = page.request.get(f"{live_server.url}/api/enterprises/{other.uscc}")
        assert api.status in (403, 404), api.text()
        assert other.name not in api.text()
        status = page.evaluate("uscc => fetch(`/api/enterprises/${uscc}`).then(r => r.status)", other.uscc)
        assert status in (403, 404)

    own = page.request.get(f"{live_server.url}/api/enterprises/{county.own.uscc}")
    assert own.status == 200
    assert own.json()["name"] == county.own.name

    # The registry list is for officers: 403, shown inside the layout.
    response = page.goto(f"{live_server.url}/enterprises/")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("forbidden")).to_be_visible()
    expect(page.get_by_test_id("whoami")).to_contain_text("firm")


def test_five_wrong_passwords_lock_the_account(page: Page, live_server: LiveServer, county: County) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    user = make_user(Role.TOWN_OFFICER, username="clerk", region="cixi-guanhaiwei")

    for attempt in range(1, limit):
        response = login(page, live_server, user.username, "wrong-password")
        assert response is not None and response.status == 200
        error = page.get_by_test_id("login-error")
        expect(error).to_contain_text("用户名或密码错误")
        expect(error).to_contain_text(f"还可尝试 {limit - attempt} 次")
    response = login(page, live_server, user.username, "wrong-password")  # the 5th failure locks
    expect(page.get_by_test_id("locked")).to_contain_text("账户已锁定")

    response = login(page, live_server, user.username, PASSWORD)  # 6th, with the right password
    assert response is not None and response.status == 429
    expect(page.get_by_test_id("locked")).to_contain_text("账户已锁定")
    expect(page.get_by_test_id("locked")).to_contain_text("30 分钟")
    expect(page).to_have_title(re.compile("^账户已锁定"))

    # Not logged in: the home page sends us back to the login form.
    page.goto(f"{live_server.url}/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    # Another account is not affected by the lockout.
    login(page, live_server, "town", PASSWORD)
    expect(page.get_by_test_id("whoami")).to_contain_text("town")


def _messy_workbook(path: Path, good: list[str]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["慈溪市2025年度中小企业数字化改造名单（第一批）"])
    ws.merge_cells("A1:G1")
    ws.append(["序号", "社会信用代码", "企业名称", "镇街", "所属行业", "从业人数", "备注"])
    ws.append([1, good[0].lower(), "慈溪市戊智能家居有限公司", "观海卫", "家用电器", "120人", ""])  # row 3
    ws.append([2, "91330282MA2X", "慈溪市坏代码有限公司", "周巷镇", "汽配", 30, ""])  # row 4: bad USCC
    ws.append(
        [3, f" {good[1]} ", "\u3000慈溪市己精密轴承有限公司\u3000", "慈溪市周巷镇", "轴承", 45, ""]
    )  # row 5
    ws.append([None] * 7)  # row 6: blank
    ws.append([4, good[2], "慈溪市庚科技有限公司", "火星镇", "电子", 12, ""])  # row 7: unknown town
    ws.append([5, good[0], "慈溪市戊智能家居有限公司（重复）", "观海卫镇", "家电", 120, "重复"])  # row 8
    wb.save(path)


def test_bureau_officer_imports_a_messy_workbook(
    page: Page, live_server: LiveServer, county: County, tmp_path: Path
) -> None:
    good = [make_uscc() for _ in range(3)]
    workbook = tmp_path / "企业名单.xlsx"
    _messy_workbook(workbook, good)

    login(page, live_server, "bureau", PASSWORD)
    page.get_by_test_id("nav").get_by_role("link", name="导入企业名单").click()
    expect(page).to_have_title(re.compile("^导入企业名单"))
    page.get_by_label("企业名单（.xlsx、.xls 或 .csv）").set_input_files(workbook)
    dry_run = page.get_by_label("仅检查，不写入（试导入）")
    expect(dry_run).to_be_checked()  # a real write is a deliberate choice
    dry_run.uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("上传")).click()

    report = page.get_by_test_id("import-report")
    expect(report).to_contain_text("导入完成")
    expect(report.get_by_test_id("imported")).to_have_text("2")
    expect(report.get_by_test_id("rejected")).to_have_text("3")
    rejected_rows = report.get_by_test_id("rejected-row").locator("td:first-child").all_inner_texts()
    assert [r.strip() for r in rejected_rows] == ["4", "7", "8"]
    expect(report).to_contain_text("火星镇")
    expect(report).to_contain_text("重复")
    assert Enterprise.objects.filter(uscc__in=good[:2]).count() == 2

    page.get_by_test_id("nav").get_by_role("link", name="企业库").click()
    _search(page, "己精密")
    assert _names_in_table(page) == ["慈溪市己精密轴承有限公司"]
    assert _towns_in_table(page) == ["周巷镇"]
    page.get_by_role("link", name="慈溪市己精密轴承有限公司").click()
    expect(page.get_by_test_id("enterprise-name")).to_have_text("慈溪市己精密轴承有限公司")
    expect(page.locator("body")).to_contain_text(good[1])


def test_enterprise_list_looks_right(
    page: Page, live_server: LiveServer, county: County, tmp_path: Path
) -> None:
    sectors = [("cixi-hushan", "home_appliances", "家电"), ("cixi-longshan", "moulds", "模具")]
    sectors.append(("cixi-zhouxiang", "bearings", "轴承"))
    for i, (town_code, industry_code, label) in enumerate(sectors * 3):
        e = _enterprise(
            name=f"慈溪市{'甲乙丙丁戊己庚辛壬'[i]}{label}科技有限公司",
            town=town(town_code),
            industry=industry(industry_code),
            above_scale=i % 2 == 0,
            employees=40 + i * 13,
        )
        if i % 3 == 0:
            add_qualification(e, "national_tech_sme", 2025)

    login(page, live_server, "bureau", PASSWORD)
    page.goto(f"{live_server.url}/enterprises/")
    expect(page.get_by_test_id("result-count")).to_contain_text("共 12 家企业")

    # Bootstrap from node_modules is applied (primary navbar colour, table styling) and htmx ran.
    assert computed_style(page, "nav.navbar", "backgroundColor") == "rgb(13, 110, 253)"
    assert computed_style(page, "[data-testid=enterprise-table]", "width") != "auto"
    assert page.evaluate("typeof window.htmx") == "object"
    # Chinese text is laid out in a CJK font (not tofu boxes): a heading of two CJK characters is
    # about two em wide.
    width = page.eval_on_selector(
        "h1",
        "el => { const r = document.createRange(); r.selectNodeContents(el); return r.getBoundingClientRect().width; }",
    )
    font_size = float(computed_style(page, "h1", "fontSize").removesuffix("px"))
    assert 2.5 * font_size <= width <= 3.5 * font_size  # “企业库”: three characters

    shot = tmp_path / "enterprise_list.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 30_000, shot.stat().st_size
