"""The registry API: pagination, the fields of a row and of the detail, filters."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from conftest import County
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, town


@pytest.fixture
def bureau(county: County) -> Client:
    client = Client()
    client.force_login(county.users["bureau_officer"])
    return client


@pytest.fixture
def many(county: County) -> list[str]:
    """Twelve more enterprises; with the county's three, 15 in name order."""
    for n in range(12):
        EnterpriseFactory.create(name=f"慈溪市分页{n:02d}有限公司", town=town("cixi-zhouxiang"))
    return list(Enterprise.objects.order_by("name", "uscc").values_list("uscc", flat=True))


def _page(client: Client, **params: Any) -> dict[str, Any]:
    response = client.get("/api/enterprises/", params)
    assert response.status_code == 200, response.content
    body: dict[str, Any] = response.json()
    return body


def test_pages_cover_the_list_once_in_order(bureau: Client, many: list[str]) -> None:
    seen: list[str] = []
    for page in (1, 2, 3, 4):
        body = _page(bureau, page=page, page_size=4)
        assert body["count"] == 15
        seen += [item["uscc"] for item in body["items"]]
    assert seen == many
    assert [len(_page(bureau, page=p, page_size=4)["items"]) for p in (1, 4, 5)] == [4, 3, 0]


def test_default_and_maximum_page_size(bureau: Client, many: list[str]) -> None:
    EnterpriseFactory.create_batch(45, town=town("cixi-hushan"))
    body = _page(bureau)
    assert (body["count"], len(body["items"])) == (60, 50)
    assert len(_page(bureau, page=2)["items"]) == 10
    assert len(_page(bureau, page_size=1000)["items"]) == 60  # capped at 100, fewer exist


@pytest.mark.parametrize("params", [{"page": 0}, {"page": "x"}, {"page_size": 0}])
def test_bad_page_parameters_are_refused(bureau: Client, params: dict[str, Any]) -> None:
    response = bureau.get("/api/enterprises/", params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation"


def test_count_follows_the_filters(bureau: Client, many: list[str], county: County) -> None:
    body = _page(bureau, town="cixi-guanhaiwei")
    assert body["count"] == 2
    assert {i["uscc"] for i in body["items"]} == {county.own.uscc, county.neighbour.uscc}
    body = _page(bureau, qualification="national_tech_sme", year=2024)
    assert [i["uscc"] for i in body["items"]] == [county.own.uscc]
    assert _page(bureau, q="分页0")["count"] == 10


def test_a_page_costs_a_fixed_number_of_queries(bureau: Client, many: list[str]) -> None:
    with CaptureQueriesContext(connection) as small:
        _page(bureau, page_size=2)
    with CaptureQueriesContext(connection) as large:
        _page(bureau, page_size=15)
    assert len(small.captured_queries) == len(large.captured_queries)  # town/industry joined, no N+1


def test_row_fields(bureau: Client, county: County) -> None:
    Enterprise.objects.filter(pk=county.own.pk).update(revenue=Decimal("5266100.00"), above_scale=True)
    Enterprise.objects.filter(pk=county.neighbour.pk).update(industry=None)
    items = {i["uscc"]: i for i in _page(bureau)["items"]}
    assert items[county.own.uscc] == {
        "uscc": county.own.uscc,
        "name": "慈溪市甲汽配有限公司",
        "town": "cixi-guanhaiwei",
        "town_name": "观海卫镇",
        "industry": "auto_parts",
        "industry_name": county.own.industry.name if county.own.industry else None,
        "is_sme": True,
        "above_scale": True,
        "employees": 80,
        "revenue": "5266100.00",
        "has_rd_activity": False,
        "status": "active",
    }
    assert (items[county.neighbour.uscc]["industry"], items[county.neighbour.uscc]["industry_name"]) == (
        None,
        None,
    )


def test_detail_has_the_row_fields_and_qualifications(bureau: Client, county: County) -> None:
    body = bureau.get(f"/api/enterprises/{county.own.uscc.lower()}").json()
    assert body["uscc"] == county.own.uscc
    assert body["town_name"] == "观海卫镇"
    assert body["qualifications"] == [
        {"type": "national_tech_sme", "name": "国家科技型中小企业", "level": "national", "year": 2024}
    ]
    assert bureau.get(f"/api/enterprises/{county.neighbour.uscc}").json()["qualifications"] == []


def test_errors_have_one_shape(bureau: Client, county: County) -> None:
    body = Client().get("/api/enterprises/").json()
    assert body["error"]["code"] == "unauthenticated"
    body = bureau.get("/api/enterprises/91330282MA0000000X").json()
    assert body["error"]["code"] == "not_found"
    response = Client().post("/api/accounts/token", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"
