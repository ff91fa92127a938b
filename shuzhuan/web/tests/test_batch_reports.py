"""A batch's reports on the pages: the approval-cycle table, the public-notice list (.xlsx, .pdf)
and the disbursement list per funding level (.xlsx) — downloads named in Chinese (RFC 5987), for
bureau officers and auditors, over their own region's applications. (Which role gets which status
code on each URL is in tests/test_authorization_matrix.py.)"""

from __future__ import annotations

import datetime as dt
import io
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest
from django.test import Client
from django.utils import timezone
from openpyxl import load_workbook

from conftest import County
from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.enterprises.models import Region
from shuzhuan.funds.tests.factories import allocate
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.web.downloads import content_disposition, download_filename

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def _materials(settings: Any, tmp_path: Path) -> None:
    settings.MATERIALS_DIR = tmp_path / "materials"


@pytest.fixture
def batch(county: County) -> PolicyBatch:
    return open_batch(
        acting_user=county.users["bureau_officer"],
        funding_split={"central": "0.50", "city": "0.50", "county": "0"},
    )


@pytest.fixture
def apps(county: County, batch: PolicyBatch) -> dict[str, Application]:
    """``closed`` own's, paid in full; ``notice`` neighbour's (观海卫镇) and ``elsewhere`` (周巷镇)
    under public notice."""
    u = county.users
    allocate(programme="new-it", acting_user=u["bureau_officer"])
    roles: dict[str, Any] = {"bureau": u["bureau_officer"], "expert": u["expert"]}
    return {
        "closed": advance(
            draft(batch=batch, enterprise=county.own, firm=u["enterprise"]),
            Status.CLOSED,
            firm=u["enterprise"],
            town=u["town_officer"],
            **roles,
        ),
        "notice": advance(
            draft(batch=batch, enterprise=county.neighbour),
            Status.PUBLIC_NOTICE,
            town=u["town_officer"],
            **roles,
        ),
        "elsewhere": advance(draft(batch=batch, enterprise=county.elsewhere), Status.PUBLIC_NOTICE, **roles),
    }


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _filename(response: Any) -> str:
    """The UTF-8 file name of a download (``filename*``), decoded."""
    match = re.search(r"filename\*=UTF-8''(\S+)$", response["Content-Disposition"])
    assert match, response["Content-Disposition"]
    return unquote(match.group(1))


def _cells(response: Any) -> set[str]:
    ws = load_workbook(io.BytesIO(response.content)).active
    assert ws is not None
    return {str(c) for row in ws.iter_rows(values_only=True) for c in row if c is not None}


# --- Content-Disposition ------------------------------------------------------------------------


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    header = content_disposition("2025年度 公示名单.xlsx", fallback="public-notice-2025.xlsx")
    assert header == (
        "attachment; filename=\"public-notice-2025.xlsx\"; filename*=UTF-8''"
        "2025%E5%B9%B4%E5%BA%A6%20%E5%85%AC%E7%A4%BA%E5%90%8D%E5%8D%95.xlsx"
    )
    # What no file system takes is replaced; the fallback keeps to plain ASCII.
    assert download_filename('a/b:c*"d"<e>|f?.xlsx') == "a_b_c_d_e_f_.xlsx"
    assert content_disposition("名单.pdf", fallback='名 "x".pdf').startswith('attachment; filename="x_.pdf";')
    assert header.isascii()


# --- 公示名单 -------------------------------------------------------------------------------------


def test_public_notice_downloads_for_the_bureau(
    county: County, batch: PolicyBatch, apps: dict[str, Any]
) -> None:
    client = _client(county.users["bureau_officer"])
    response = client.get(f"/batches/{batch.code}/public-notice.xlsx")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert response["Content-Disposition"] == (
        f'attachment; filename="public-notice-{batch.code}.xlsx"; '
        f"filename*=UTF-8''{quote(f'{batch.name}公示名单.xlsx', safe='')}"
    )
    assert _filename(response) == f"{batch.name}公示名单.xlsx"
    assert response["Cache-Control"] == "private, no-store"
    cells = _cells(response)
    assert {county.neighbour.uscc, county.elsewhere.uscc} <= cells
    assert county.own.uscc not in cells  # closed: no longer under notice

    pdf = client.get(f"/batches/{batch.code}/public-notice.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert _filename(pdf) == f"{batch.name}公示名单.pdf"
    assert pdf["Content-Disposition"].startswith(f'attachment; filename="public-notice-{batch.code}.pdf";')


def test_public_notice_list_keeps_to_the_readers_region(
    county: County, batch: PolicyBatch, apps: dict[str, Any]
) -> None:
    auditor = make_user(Role.AUDITOR, username="auditor_guanhaiwei", region="cixi-guanhaiwei")
    cells = _cells(_client(auditor).get(f"/batches/{batch.code}/public-notice.xlsx"))
    assert county.neighbour.uscc in cells and county.elsewhere.uscc not in cells
    assert _client(county.users["auditor"]).get(f"/batches/{batch.code}/public-notice.pdf").status_code == 200


def test_a_batch_outside_the_region_is_a_404(county: County) -> None:
    bureau = county.users["bureau_officer"]
    stored = PolicyEdition.objects.get(edition_id="cixi-2025")
    today = timezone.localdate()
    town_batch = svc.batch_create(
        acting_user=bureau,
        code="guanhaiwei-2025",
        name="观海卫镇2025年度批次",
        edition=stored,
        policy_ids=["cixi-2025-new-it"],
        year=2025,
        opens_on=today - dt.timedelta(days=1),
        closes_on=today + dt.timedelta(days=30),
        region=Region.objects.get(code="cixi-guanhaiwei"),
    )
    outsider = make_user(Role.BUREAU_OFFICER, username="bureau_zhouxiang", region="cixi-zhouxiang")
    for path in ("public-notice.xlsx", "public-notice.pdf"):
        assert _client(outsider).get(f"/batches/{town_batch.code}/{path}").status_code == 404
        assert _client(bureau).get(f"/batches/{town_batch.code}/{path}").status_code == 200
    response = _client(outsider).get(f"/funds/disbursements/city.xlsx?batch={town_batch.code}")
    assert response.status_code == 404


def test_town_officer_and_enterprise_are_refused(county: County, batch: PolicyBatch) -> None:
    for role in ("town_officer", "enterprise", "expert", "service_provider"):
        client = _client(county.users[role])
        assert client.get(f"/batches/{batch.code}/public-notice.xlsx").status_code == 403, role
        assert client.get("/funds/disbursements/city.xlsx").status_code == 403, role


# --- 兑现清单 -------------------------------------------------------------------------------------


def test_disbursement_list_downloads_by_batch_year_or_all(
    county: County, batch: PolicyBatch, apps: dict[str, Any]
) -> None:
    client = _client(county.users["bureau_officer"])
    response = client.get(f"/funds/disbursements/city.xlsx?batch={batch.code}")
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert _filename(response) == f"{batch.name} 宁波级资金兑现清单.xlsx"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="disbursements-city-{batch.code}.xlsx";'
    )
    cells = _cells(response)
    assert (
        f"{batch.name} 宁波级资金兑现清单" in cells and apps["closed"].number in cells and "已支付" in cells
    )
    assert apps["notice"].number not in cells  # not yet due

    by_year = client.get("/funds/disbursements/central.xlsx?year=2025")
    assert _filename(by_year) == "2025年度 中央级资金兑现清单.xlsx"
    assert 'filename="disbursements-central-2025.xlsx"' in by_year["Content-Disposition"]
    assert apps["closed"].number in _cells(by_year)
    assert apps["closed"].number not in _cells(client.get("/funds/disbursements/central.xlsx?year=2024"))
    everything = client.get("/funds/disbursements/county.xlsx")
    assert _filename(everything) == "全部年度 慈溪级资金兑现清单.xlsx"
    assert apps["closed"].number not in _cells(everything)  # the county's ratio is 0: no share

    auditor = make_user(Role.AUDITOR, username="auditor_zhouxiang", region="cixi-zhouxiang")
    assert apps["closed"].number not in _cells(_client(auditor).get("/funds/disbursements/city.xlsx"))
    assert apps["closed"].number in _cells(
        _client(county.users["auditor"]).get("/funds/disbursements/city.xlsx")
    )


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/funds/disbursements/province.xlsx", 404),
        ("/funds/disbursements/city.xlsx?batch=no-such-batch", 404),
        ("/funds/disbursements/city.xlsx?year=abc", 400),
        ("/funds/disbursements/city.xlsx?year=1999", 400),
    ],
)
def test_disbursement_list_bad_input(county: County, url: str, status: int) -> None:
    response = _client(county.users["bureau_officer"]).get(url)
    assert response.status_code == status
    if status == 400:
        assert "年度" in _html(response)


# --- the pages ----------------------------------------------------------------------------------


def test_batch_page_shows_the_cycle_and_the_downloads_to_bureau_and_auditor(
    county: County, batch: PolicyBatch, apps: dict[str, Any]
) -> None:
    for role in ("bureau_officer", "auditor"):
        page = _html(_client(county.users[role]).get(f"/batches/{batch.code}/"))
        assert 'data-testid="approval-cycle"' in page, role
        for stage in ("town_review", "formal_review", "expert_review", "acceptance", "approval", "notice"):
            assert f'data-stage="{stage}"' in page
        assert "审批用时" in page and "全流程" in page and "P90" in page
        assert f"/batches/{batch.code}/public-notice.xlsx" in page
        assert f"/batches/{batch.code}/public-notice.pdf" in page
        # the levels that share this batch's awards: central and city (the county's ratio is 0)
        assert f"/funds/disbursements/central.xlsx?batch={batch.code}" in page
        assert f"/funds/disbursements/city.xlsx?batch={batch.code}" in page
        assert "/funds/disbursements/county.xlsx" not in page
    town = _html(_client(county.users["town_officer"]).get(f"/batches/{batch.code}/"))
    assert batch.name in town
    assert (
        "approval-cycle" not in town and "public-notice" not in town and "/funds/disbursements/" not in town
    )


def test_cycle_table_figures(county: County, batch: PolicyBatch, apps: dict[str, Any]) -> None:
    response = _client(county.users["bureau_officer"]).get(f"/batches/{batch.code}/")
    cycle = response.context["cycle"]
    stages = {s.code: s for s in cycle.stages}
    assert stages["town_review"].count == 3  # every application has left pre-review
    assert stages["approval"].count == 3
    # 公示 is two statuses (approved, under notice): the two still under notice have not left it
    assert stages["notice"].count == 1
    assert stages["disbursement"].count == 1  # only the closed one has left disbursement
    assert cycle.end_to_end.count == 1 and cycle.government.count == 1
    assert cycle.end_to_end.median_days is not None


def test_funds_page_links_the_disbursement_lists(county: County) -> None:
    client = _client(county.users["auditor"])
    page = _html(client.get("/funds/"))
    for level in ("central", "city", "county"):
        assert f'href="/funds/disbursements/{level}.xlsx"' in page
    assert 'href="/funds/disbursements/city.xlsx?year=2025"' in _html(client.get("/funds/?year=2025"))
