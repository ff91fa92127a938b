"""影响测算 on a draft's page: the draft's saved changes and an unsaved trial change, over the
officer's own region, from applications built through the real services.

Population (cixi-2025, AI 50% ≤ 300,000): ``own`` (观海卫镇) an AI project verified at 1,000,000
→ 300,000; ``elsewhere`` (周巷镇) one verified at 400,000 → 200,000. Budget 500,000.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client

from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.applications.models import Application
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.tests import factories

if TYPE_CHECKING:
    from conftest import County

pytestmark = pytest.mark.django_db


@pytest.fixture
def projects(county: County) -> list[Application]:
    return factories.impact_projects(county)


@pytest.fixture
def draft_2026(county: County) -> PolicyEdition:
    return factories.draft_2026(county)


def _get(client: Client, query: dict[str, str] | None = None, *, htmx: bool = True) -> tuple[int, str, Any]:
    headers = {"HX-Request": "true"} if htmx else {}
    response = client.get("/policies/cixi-2026/impact/", query or {}, headers=headers)
    return response.status_code, response.content.decode(), response.context


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def test_the_draft_page_loads_the_impact_section(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    html = _client(county.users["bureau_officer"]).get("/policies/cixi-2026/").content.decode()
    assert 'hx-get="/policies/cixi-2026/impact/"' in html and 'hx-trigger="load"' in html


def test_saved_changes_against_the_base_edition(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    status, html, context = _get(_client(county.users["bureau_officer"]))
    assert status == 200 and "<html" not in html  # the htmx partial
    report = context["report"]
    assert (report.base, report.reform) == ("cixi-2025", "cixi-2026")
    assert (report.projects, report.projects_changed, report.enterprises_affected) == (2, 1, 1)
    assert str(report.budget.before) == "500000.00" and str(report.budget.delta) == "200000.00"
    assert 'data-testid="impact-delta">+200,000.00<' in html
    assert "700,000.00" in html and "观海卫镇" in html and "周巷镇" in html
    assert [str(lv.budget.delta) for lv in report.by_level] == ["100000.00", "50000.00", "50000.00"]
    (top,) = report.top
    assert (top.project_id, top.policy_after) == (projects[0].number, "cixi-2026-ai")
    assert context["preview"] == []


def test_an_unsaved_change_is_previewed_on_top_of_the_saved_ones(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    client = _client(county.users["bureau_officer"])
    # rate 0.6: own min(600,000, 500,000) = 500,000 (+200,000); elsewhere 240,000 (+40,000)
    status, html, context = _get(client, {"parameter": "cixi-2026-ai.rate", "value": "0.6"})
    assert status == 200
    assert str(context["report"].budget.delta) == "240000.00"
    assert context["report"].projects_changed == 2
    assert "试算（未保存）" in html and "cixi-2026-ai 的 rate 由 0.50 改为 0.6" in html
    draft_2026.refresh_from_db()  # nothing saved
    ai = next(p for p in draft_2026.document["policies"] if p["id"] == "cixi-2026-ai")
    assert {s["name"]: s["expr"] for s in ai["steps"]}["rate"] == "0.50"


def test_policy_and_step_may_be_given_apart(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    query = {"policy": "cixi-2026-ai", "step": "rate", "value": "0.6"}
    _, _, context = _get(_client(county.users["bureau_officer"]), query)
    assert str(context["report"].budget.delta) == "240000.00"


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"parameter": "cixi-2026-ai.rate", "value": "1.5"}, "比例应在 0 与 1 之间"),
        ({"parameter": "cixi-2026-ai.cap", "value": "abc"}, "请输入数字"),
        ({"parameter": "cixi-2026-ai.ceiling", "value": "1"}, "该步骤是公式"),
        ({"parameter": "", "value": "1"}, "请选择要试算的参数"),
    ],
)
def test_a_bad_trial_change_is_shown_not_raised(
    county: County,
    projects: list[Application],
    draft_2026: PolicyEdition,
    query: dict[str, str],
    message: str,
) -> None:
    status, html, context = _get(_client(county.users["bureau_officer"]), query)
    assert status == 200 and context["report"] is None
    assert message in html and 'data-testid="impact-error"' in html


def test_an_officer_sees_only_the_population_of_their_region(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    zhouxiang = make_user(Role.BUREAU_OFFICER, username="zx_bureau", region="cixi-zhouxiang")
    _, html, context = _get(_client(zhouxiang))
    report = context["report"]
    assert (report.projects, report.projects_changed) == (1, 0)
    assert str(report.budget.before) == "200000.00" and str(report.budget.delta) == "0.00"
    assert "观海卫镇" not in html and county.own.uscc not in html


def test_without_javascript_the_url_is_a_whole_page(
    county: County, projects: list[Application], draft_2026: PolicyEdition
) -> None:
    status, html, _ = _get(
        _client(county.users["bureau_officer"]), {"parameter": "", "value": ""}, htmx=False
    )
    assert status == 200 and "<html" in html and "影响测算" in html


def test_an_edition_without_a_base_compares_with_itself(county: County, projects: list[Application]) -> None:
    response = _client(county.users["bureau_officer"]).get(
        "/policies/cixi-2025/impact/", {"parameter": "cixi-2025-ai.cap", "value": "400000"}
    )
    report = response.context["report"]
    assert (report.base, report.reform) == ("cixi-2025", "cixi-2025")
    assert str(report.budget.delta) == "100000.00"
