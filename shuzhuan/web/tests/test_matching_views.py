"""政策找人 on the pages: the enterprise's "为您匹配的政策" (its own matches only, with amounts and
a button into the open batch that takes the policy), the officers' pages within their region
(per policy the enterprises that have not applied, by town; the outreach workbook; a run's
changes), the bureau's run → background task → results, push and 免申即享 from the page, the
enterprise's opt-out. (Which role gets which status code on every URL is in
tests/test_authorization_matrix.py; the whole line in a real browser is
tests/e2e/test_matching_flow.py.)"""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from openpyxl import load_workbook

from conftest import County
from shuzhuan.applications.models import Application, Notice, PolicyBatch, Status
from shuzhuan.applications.tests.factories import draft, open_batch
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, town
from shuzhuan.matching import services as svc
from shuzhuan.matching.exports import HEADERS
from shuzhuan.matching.models import MatchRun, PushPreference, PushRecord
from shuzhuan.matching.selectors import enterprise_matches

pytestmark = pytest.mark.django_db

PILOT = "cixi-2025-pilot"
PILOT_TITLE = "重点行业中小企业数字化改造试点项目补助"
SAMPLE = "cixi-2024-sample"


@pytest.fixture(autouse=True)
def _dirs(settings: Any, tmp_path: Path) -> None:
    settings.SHUZHUAN_MATCH_DIR = str(tmp_path / "matching")
    settings.MATERIALS_DIR = tmp_path / "materials"


@pytest.fixture
def batch(county: County) -> PolicyBatch:
    return open_batch(acting_user=county.users["bureau_officer"])


@pytest.fixture
def more_towns(county: County) -> list[Enterprise]:
    """Enterprises in two more towns, so "only my town" is not true by accident."""
    return [
        EnterpriseFactory.create(name="慈溪市丁模具有限公司", town=town("cixi-zhouxiang")),
        EnterpriseFactory.create(name="慈溪市戊电器有限公司", town=town("cixi-hushan")),
    ]


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _run(county: County, **kw: Any) -> MatchRun:
    return svc.match_run(acting_user=county.users["bureau_officer"], **kw)


def _start(client: Client, capture: Any, **data: str) -> Any:
    """POST the start form; the task it queues runs once the request's transaction commits."""
    with capture(execute=True):
        return client.post("/matching/runs/", {"engine": "duckdb", **data})


def _sheet(data: bytes) -> list[tuple[Any, ...]]:
    sheet = load_workbook(io.BytesIO(data)).worksheets[0]
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# --- the enterprise: 为您匹配的政策 ---------------------------------------------------------------


def test_the_enterprise_home_shows_its_own_matches_with_amounts_and_where_to_apply(
    county: County, batch: PolicyBatch, more_towns: list[Enterprise]
) -> None:
    _run(county)
    response = _client(county, "enterprise").get("/")
    html = _html(response)
    assert "为您匹配的政策" in html
    # its own matches, exactly those of the selector, and nobody else's
    shown = re.findall(r'data-testid="match" data-policy="([^"]+)" data-status="([^"]+)"', html)
    assert shown == [(m.policy_id, m.status) for m in enterprise_matches(enterprise=county.own)]
    assert (PILOT, "prospect") in shown
    for other in (county.neighbour, county.elsewhere, *more_towns):
        assert other.name not in html and other.uscc not in html
    # a prospect: the ceiling as "最高 … 元", the policy and its citation, the button into the batch
    assert "最高 500,000.00 元" in html and PILOT_TITLE in html and "慈经信建〔2025〕15号" in html
    assert f'href="/apply/{batch.code}/{PILOT}/"' in html and "立即申报" in html
    assert f"{batch.name}，截止 {batch.closes_on:%Y-%m-%d}" in html


def test_the_button_opens_the_form_of_that_batch_and_policy_and_saves_a_draft(
    county: County, batch: PolicyBatch
) -> None:
    other = open_batch(
        code="2025-other", acting_user=county.users["bureau_officer"], policy_ids=["cixi-2025-ai"]
    )
    _run(county)
    client = _client(county, "enterprise")
    (pilot,) = [m for m in enterprise_matches(enterprise=county.own) if m.policy_id == PILOT]
    assert pilot.batch == batch and pilot.batch != other  # the one batch that takes the policy
    form = client.get(pilot.apply_path)
    assert form.status_code == 200
    assert (form.context["batch"], form.context["policy_id"]) == (batch, PILOT)
    assert PILOT_TITLE in _html(form) and batch.name in _html(form)
    response = client.post(
        pilot.apply_path,
        {
            "project_name": "汽配数字化车间试点",
            "kinds": ["pilot"],
            "in_pilot_plan": "on",
            "declared_investment": "900,000",
        },
    )
    app = Application.objects.get(enterprise=county.own)
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.number}/"
    assert (app.batch, app.policy_id, app.status) == (batch, PILOT, Status.DRAFT)
    # the home page now names the application instead of the button
    html = _html(client.get("/"))
    assert f'href="/applications/{app.number}/"' in html
    assert f'href="/apply/{batch.code}/{PILOT}/"' not in html


def test_without_an_open_batch_or_a_run_the_card_says_so(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "enterprise")
    assert "系统尚未进行政策匹配" in _html(client.get("/"))
    _run(county)
    batch.status = PolicyBatch.Status.CLOSED
    batch.save()
    html = _html(client.get("/"))
    assert "最高 500,000.00 元" in html
    assert "暂无开放的申报批次" in html and "/apply/" not in html


# --- officers: scope ----------------------------------------------------------------------------


def test_a_town_officer_sees_only_their_towns_enterprises(
    county: County, batch: PolicyBatch, more_towns: list[Enterprise]
) -> None:
    _run(county)
    client = _client(county, "town_officer")
    page = client.get(f"/matching/policies/{PILOT}/")
    html = _html(page)
    listed = {m.enterprise for m in page.context["page"]}
    assert listed == {county.own, county.neighbour}
    for hidden in (county.elsewhere, *more_towns):
        assert hidden.name not in html and hidden.uscc not in html
    assert [t.town_code for t in page.context["by_town"]] == ["cixi-guanhaiwei"]
    # asking for another town does not widen the scope
    assert list(client.get(f"/matching/policies/{PILOT}/", {"town": "cixi-zhouxiang"}).context["page"]) == []
    assert (
        client.get(f"/matching/policies/{PILOT}/export.xlsx", {"town": "cixi-zhouxiang"}).status_code == 404
    )
    rows = _sheet(client.get(f"/matching/policies/{PILOT}/export.xlsx").content)
    assert {r[1] for r in rows[1:]} == {county.own.uscc, county.neighbour.uscc}
    # the overview's figures are counted within the town, not the county's
    overview = client.get("/matching/")
    figures = overview.context["current_figures"]
    assert figures.scoped and (figures.prospect, figures.total) == (2, 2)
    (summary,) = [s for s in overview.context["summaries"] if s.policy_id == PILOT]
    assert (summary.prospect, summary.unapplied) == (2, 2)
    assert "比对企业" not in _html(overview)  # the county's totals stay with the bureau
    assert 'data-testid="run-form"' not in _html(overview)  # no bureau actions


def test_the_bureau_sees_every_town_and_filters_by_town(
    county: County, batch: PolicyBatch, more_towns: list[Enterprise]
) -> None:
    run = _run(county)
    client = _client(county, "bureau_officer")
    page = client.get(f"/matching/policies/{PILOT}/")
    assert page.context["page"].paginator.count == 5
    assert {t.town_code for t in page.context["by_town"]} == {
        "cixi-guanhaiwei",
        "cixi-zhouxiang",
        "cixi-hushan",
    }
    zhouxiang = client.get(f"/matching/policies/{PILOT}/", {"town": "cixi-zhouxiang", "status": "prospect"})
    # by name within the town: 丁 before 丙 in code point order
    assert [m.enterprise for m in zhouxiang.context["page"]] == [more_towns[0], county.elsewhere]
    assert list(client.get(f"/matching/policies/{PILOT}/", {"status": "eligible"}).context["page"]) == []
    overview = client.get("/matching/")
    html = _html(overview)
    assert overview.context["current_figures"].scoped is False
    assert overview.context["current_figures"].prospect == run.counts["prospect"] == 5
    assert f'第 <strong data-testid="run-version">{run.version}</strong> 次匹配' in html
    assert "DuckDB" in html and "比对企业 5 家" in html
    for label in ("读取企业库与项目库", "政策匹配", "写入匹配结果", "比对上次结果"):
        assert label in html  # per-phase timings
    assert client.get("/matching/policies/no-such-policy/").status_code == 404


def test_the_outreach_workbook(county: County, batch: PolicyBatch, more_towns: list[Enterprise]) -> None:
    _run(county)
    response = _client(county, "bureau_officer").get(
        f"/matching/policies/{PILOT}/export.xlsx", {"town": "cixi-guanhaiwei"}
    )
    assert response.status_code == 200
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    assert "outreach-cixi-2025-pilot-cixi-guanhaiwei" in response["Content-Disposition"]
    header, *rows = _sheet(response.content)
    assert header == HEADERS
    assert sorted(rows) == sorted(
        (e.name, e.uscc, "观海卫镇", "汽配", PILOT_TITLE, "可申报", 500000, None)
        for e in (county.own, county.neighbour)
    )
    workbook = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert workbook.cell(row=2, column=7).number_format == "#,##0.00"


def test_an_applicant_leaves_the_outreach_list(county: County, batch: PolicyBatch) -> None:
    _run(county)
    draft(
        batch=batch, enterprise=county.own, policy_id=PILOT, firm=county.users["enterprise"], kinds=["pilot"]
    )
    page = _client(county, "town_officer").get(f"/matching/policies/{PILOT}/")
    assert {m.enterprise for m in page.context["page"]} == {county.neighbour}


# --- the bureau: run → task → results --------------------------------------------------------------


def test_starting_a_run_from_the_page_runs_the_task_and_shows_the_results(
    county: County, batch: PolicyBatch, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(county, "bureau_officer")
    response = _start(client, django_capture_on_commit_callbacks, on="")
    assert response.status_code == 302 and response["Location"] == "/matching/runs/1/"
    run = MatchRun.objects.get(version=1)
    assert (run.status, run.engine, run.created_by) == (
        MatchRun.Status.SUCCEEDED,
        "duckdb",
        county.users["bureau_officer"],
    )
    assert run.task_id is not None
    job = BackgroundTask.objects.get(pk=run.task_id)  # ran as a background task (eager in tests)
    assert job.status == BackgroundTask.Status.SUCCEEDED and job.owner_id == county.users["bureau_officer"].pk
    assert job.result is not None and job.result["counts"] == {"eligible": 0, "prospect": 3, "near_miss": 0}
    assert job.percent == 100

    page = client.get("/matching/runs/1/")
    html = _html(page)
    assert page.status_code == 200 and "第 1 次匹配已完成，已成为当前结果" in html
    assert 'data-testid="count-prospect">3<' in html and "此前没有成功的匹配，全部结果计为新增" in html
    assert len(re.findall(r'data-testid="timing"', html)) == 4
    # a finished run's fragment stops polling
    fragment = _html(client.get("/matching/runs/1/", headers={"HX-Request": "true"}))
    assert fragment.startswith('<div id="match-run"') and "hx-get" not in fragment

    # a second run after the registry grew: what changed
    newcomer = EnterpriseFactory.create(name="慈溪市新来汽配有限公司", town=town("cixi-guanhaiwei"))
    assert _start(client, django_capture_on_commit_callbacks)["Location"] == "/matching/runs/2/"
    html = _html(client.get("/matching/runs/2/"))
    assert 'data-testid="changes-new">1<' in html and 'data-testid="changes-gone">0<' in html
    changes = client.get("/matching/changes/", {"run": "2"})
    (row,) = changes.context["rows"]
    assert (row[0].enterprise, row[0].policy_id, row[0].kind, row[1]) == (newcomer, PILOT, "new", PILOT_TITLE)
    assert "新增" in _html(changes)
    assert client.get("/matching/changes/", {"run": "99"}).status_code == 404
    assert list(client.get("/matching/changes/", {"kind": "gone"}).context["rows"]) == []


def test_the_progress_fragment_polls_until_the_run_is_done(county: County, batch: PolicyBatch) -> None:
    run = svc.match_run_create(acting_user=county.users["bureau_officer"])  # queued, not yet executed
    client = _client(county, "auditor")  # read-only, but may watch
    html = _html(client.get(f"/matching/runs/{run.version}/"))
    assert 'hx-get="/matching/runs/1/"' in html and 'hx-trigger="load delay:1s"' in html and "排队中" in html
    overview = _html(client.get("/matching/"))
    assert 'data-testid="active-run"' in overview and "尚未进行政策匹配" in overview
    svc.match_run_execute(run_id=run.pk)
    fragment = _html(client.get(f"/matching/runs/{run.version}/", headers={"HX-Request": "true"}))
    assert "hx-get" not in fragment and "已完成" in fragment and 'data-testid="count-prospect">3<' in fragment


def test_a_failed_run_shows_its_message(
    county: County, batch: PolicyBatch, monkeypatch: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from shuzhuan.matching.services import run as run_module

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(run_module, "_engine_run", broken)
    client = _client(county, "bureau_officer")
    assert _start(client, django_capture_on_commit_callbacks)["Location"] == "/matching/runs/1/"
    html = _html(client.get("/matching/runs/1/"))
    assert "第 1 次匹配失败：内部错误：RuntimeError" in html and "hx-get" not in html


def test_refusals_come_back_on_the_field_they_name(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "bureau_officer")
    response = client.post("/matching/runs/", {"engine": "hadoop"})
    assert response.status_code == 200
    assert "请选择计算引擎：DuckDB 或 Spark。" in _html(response) and 'data-testid="error-engine"' in _html(
        response
    )
    response = client.post("/matching/runs/", {"engine": "duckdb", "on": "2019-06-30"})
    assert re.search(r'data-testid="error-on">2019-06-30 没有生效的政策版本<', _html(response))
    response = client.post("/matching/runs/", {"engine": "duckdb", "on": "30/06/2025"})
    assert 'data-testid="error-on">匹配日期格式应为' in _html(response)
    svc.match_run_create(acting_user=county.users["bureau_officer"])  # one still queued
    response = client.post("/matching/runs/", {"engine": "duckdb"})
    assert "第 1 次匹配尚未结束（排队中），请稍后再试" in _html(response)
    assert MatchRun.objects.count() == 1
    # push and 免申即享 without a succeeded run, or from a page a newer run has overtaken
    response = client.post("/matching/push/", {"push-run": "1"})
    assert "未能办理推送" in _html(response) and "匹配运行：尚无成功的政策匹配，请先运行匹配" in _html(
        response
    )
    response = client.post("/matching/auto-grants/", {"grant-run": ""})
    assert "匹配运行：请选择匹配运行。" in _html(response)


def test_push_from_the_page_never_sends_a_match_twice(county: County, batch: PolicyBatch) -> None:
    first = _run(county)
    second = _run(county)
    client = _client(county, "bureau_officer")
    response = client.post("/matching/push/", {"push-run": str(first.version)})
    assert f"第 {first.version} 次匹配不是最新一次成功的匹配（第 {second.version} 次）" in _html(response)
    response = client.post("/matching/push/", {"push-run": str(second.version)})
    assert response.context["push"].sent == 3 and 'data-testid="push-sent">3<' in _html(response)
    notice = Notice.objects.get(enterprise=county.own)
    assert notice.link == f"/apply/{batch.code}/{PILOT}/" and "500,000.00" in notice.body
    again = client.post("/matching/push/", {"push-run": str(second.version)})
    assert again.context["push"].sent == 0 and PushRecord.objects.count() == 3

    # the enterprise follows the notice's button to the form of that batch and policy
    firm = _client(county, "enterprise")
    assert 'data-testid="notice-link"' in _html(firm.get("/notices/"))
    followed = firm.post("/notices/read/", {"notice": str(notice.pk)})
    assert followed["Location"] == f"/apply/{batch.code}/{PILOT}/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_auto_grants_from_the_page(
    county: County, batch: PolicyBatch, django_capture_on_commit_callbacks: Any
) -> None:
    client = _client(county, "bureau_officer")
    _start(client, django_capture_on_commit_callbacks, on="2024-06-01")  # the sample reward's edition
    response = client.post("/matching/auto-grants/", {"grant-run": "1"})
    (number,) = response.context["grant"].granted
    app = Application.objects.get(number=number)
    assert (app.enterprise, app.policy_id, app.status, app.ceiling) == (
        county.elsewhere,
        SAMPLE,
        Status.ACCEPTED,
        Decimal("200000.00"),
    )
    assert f'href="/applications/{number}/"' in _html(response)
    again = client.post("/matching/auto-grants/", {"grant-run": "1"})
    assert again.context["grant"].granted == [] and again.context["grant"].already == 1


def test_the_enterprise_opts_out_of_pushed_notices(county: County, batch: PolicyBatch) -> None:
    firm = _client(county, "enterprise")
    assert "当前：<strong>接收</strong>政策推送" in _html(firm.get("/notices/"))
    response = firm.post("/notices/push-preference/", {"opted_out": "1"}, follow=True)
    assert "已关闭政策推送" in _html(response) and "当前：<strong>不接收</strong>政策推送" in _html(response)
    assert PushPreference.objects.get(enterprise=county.own).opted_out
    _run(county)
    report = svc.match_push(acting_user=county.users["bureau_officer"])
    assert report.sent == 2 and not Notice.objects.filter(enterprise=county.own).exists()
    assert "政策推送已关闭" in _html(firm.get("/"))
    response = firm.post("/notices/push-preference/", {"opted_out": "maybe"}, follow=True)
    assert "推送设置：请选择接收或不接收政策推送。" in _html(response)
    firm.post("/notices/push-preference/", {"opted_out": "0"})
    assert not PushPreference.objects.get(enterprise=county.own).opted_out


def test_the_officers_home_links_to_the_matching_pages(county: County, batch: PolicyBatch) -> None:
    assert "尚未进行政策匹配" in _html(_client(county, "town_officer").get("/"))
    _run(county, on=dt.date(2025, 6, 30))
    html = _html(_client(county, "town_officer").get("/"))
    assert "最新匹配：第 1 次（2025-06-30，DuckDB）" in html and 'href="/matching/"' in html
    assert 'data-testid="home-matching"' not in _html(_client(county, "enterprise").get("/"))
