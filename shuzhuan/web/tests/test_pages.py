"""The server-rendered pages without a browser: htmx fragments, navigation, empty states, login
messages. The same flows in real Chromium are in tests/e2e."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from conftest import County
from shuzhuan.enterprises.selectors import EnterpriseFilter
from shuzhuan.web.templatetags.shuzhuan_web import duration_zh


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=30), "30 分钟"),
        (timedelta(hours=1, minutes=5), "1 小时 5 分钟"),
        (timedelta(days=1), "1 天"),
        (timedelta(seconds=20), "1 分钟"),
        (timedelta(0), "0 分钟"),
        (None, ""),
    ],
)
def test_duration_zh(value: timedelta | None, text: str) -> None:
    assert duration_zh(value) == text


def test_filter_active() -> None:
    assert not EnterpriseFilter().active
    assert not EnterpriseFilter(q="  ").active
    assert EnterpriseFilter(q="汽配").active
    assert EnterpriseFilter(status="active").active


def test_list_answers_htmx_with_the_rows_only(county: County) -> None:
    client = _client(county, "town_officer")
    full = client.get("/enterprises/", {"q": "乙家电"})
    fragment = client.get("/enterprises/", {"q": "乙家电"}, headers={"HX-Request": "true"})
    restore = client.get(
        "/enterprises/", {"q": "乙家电"}, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    for response in (full, fragment, restore):
        assert response.status_code == 200
        assert county.neighbour.name in response.content.decode()
        assert "HX-Request" in response["Vary"]
    assert "<html" in full.content.decode() and "<html" in restore.content.decode()
    assert "<html" not in fragment.content.decode()
    assert 'id="enterprise-filters"' not in fragment.content.decode()


def test_list_empty_states(county: County) -> None:
    page = _client(county, "town_officer").get("/enterprises/", {"q": county.elsewhere.name}).content.decode()
    assert 'data-testid="empty-state"' in page and "没有符合条件的企业" in page and "清除条件" in page


def test_active_navigation_item(county: County) -> None:
    client = _client(county, "bureau_officer")
    list_page = client.get("/enterprises/").content.decode()
    assert 'class="nav-link active" aria-current="page" href="/enterprises/"' in list_page
    detail = client.get(f"/enterprises/{county.own.uscc}/").content.decode()
    assert 'class="nav-link active" aria-current="page" href="/enterprises/"' in detail
    import_page = client.get("/enterprises/import/").content.decode()
    assert 'aria-current="page" href="/enterprises/import/"' in import_page
    assert "<title>导入企业名单 · " in import_page


def test_login_counts_down_then_locks(county: County) -> None:
    client = Client()
    first = client.post("/login/", {"username": "town", "password": "wrong"}).content.decode()
    assert "用户名或密码错误。还可尝试 4 次" in first
    assert "30 分钟" in first
    for _ in range(3):
        client.post("/login/", {"username": "town", "password": "wrong"})
    locked = client.post("/login/", {"username": "town", "password": "wrong"})
    assert locked.status_code == 429
    assert "账户已锁定" in locked.content.decode()
    # Another account name has its own count.
    other = client.post("/login/", {"username": "bureau", "password": "wrong"}).content.decode()
    assert "还可尝试 4 次" in other


def test_error_pages_render_in_the_layout(county: County) -> None:
    client = _client(county, "enterprise")
    missing = client.get(f"/enterprises/{county.elsewhere.uscc}/")
    assert missing.status_code == 404
    assert 'data-testid="not-found"' in missing.content.decode()
    assert 'data-testid="nav"' in missing.content.decode()
    forbidden = client.get("/enterprises/import/")
    assert forbidden.status_code == 403
    assert 'data-testid="forbidden"' in forbidden.content.decode()
    assert 'data-testid="nav"' in forbidden.content.decode()
