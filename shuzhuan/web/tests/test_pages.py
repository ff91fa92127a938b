"""The server-rendered pages without a browser: htmx fragments, navigation, empty states, login
messages. The same flows in real Chromium are in tests/e2e."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from conftest import County
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import EnterpriseFilter
from shuzhuan.enterprises.tests.factories import make_uscc
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


def _upload(name: str, body: bytes) -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, body, content_type="text/csv")


def test_import_runs_as_a_task_and_shows_its_report(
    county: County, settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.UPLOAD_DIR = tmp_path
    client = _client(county, "bureau_officer")
    good = make_uscc(4242)
    csv_text = f"企业名称,统一社会信用代码,镇街\n慈溪市新导入有限公司,{good},观海卫\n坏行,123,观海卫\n"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/enterprises/import/", {"file": _upload("名单.csv", csv_text.encode("utf-8"))}
        )
    assert response.status_code == 302
    job = BackgroundTask.objects.get()
    assert response["Location"] == f"/enterprises/import/{job.pk}/"
    assert job.status == BackgroundTask.Status.SUCCEEDED and job.owner_id == county.users["bureau_officer"].pk
    page = client.get(response["Location"]).content.decode()
    assert "导入完成" in page and 'data-testid="rejected-row"><td>3</td>' in page
    assert 'data-testid="rejected-row"><td>2</td>' not in page
    assert Enterprise.objects.get(uscc=good).town.code == "cixi-guanhaiwei"
    # the stored upload is removed once the task has run
    assert not any((tmp_path / "imports").iterdir())


def test_import_task_page_shows_progress_until_done(county: County) -> None:
    user = county.users["bureau_officer"]
    job = BackgroundTask.objects.create(
        id=uuid.uuid4(),
        kind="enterprise_import",
        owner_id=user.pk,
        status=BackgroundTask.Status.RUNNING,
        done=1000,
        total=5000,
        params={"filename": "大名单.xlsx", "dry_run": False},
    )
    client = _client(county, "bureau_officer")
    partial = client.get(f"/enterprises/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "20%" in partial and "hx-get" in partial and "<html" not in partial
    BackgroundTask.objects.filter(pk=job.pk).update(
        status=BackgroundTask.Status.FAILED, error="第1行到第20行中没有找到表头"
    )
    done = client.get(f"/enterprises/import/{job.pk}/", headers={"HX-Request": "true"}).content.decode()
    assert "hx-get" not in done and "没有找到表头" in done
