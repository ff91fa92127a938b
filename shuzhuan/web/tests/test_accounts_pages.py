"""The account pages: 用户管理 for bureau officers and 我的账户 for everyone signed in."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from django.urls import get_resolver

from conftest import County
from shuzhuan.accounts.models import ApiToken, Role, User
from shuzhuan.accounts.services import api_token_create
from shuzhuan.accounts.tests.factories import PASSWORD, make_user
from shuzhuan.audit.models import AuditEntry

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

STRONG = "Hai-Wei-2025-qiye"


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def bureau(county: County) -> Client:
    return _client(county.users["bureau_officer"])


def _errors(response: TestResponse) -> dict[str, list[str]]:
    """Field name → the error texts shown under it on the page."""
    found: dict[str, list[str]] = {}
    html = response.content.decode()
    for name, text in re.findall(r'data-testid="error-(\w+)">([^<]*)<', html):
        found.setdefault(name, []).append(text)
    return found


def _new_user(**overrides: Any) -> dict[str, str]:
    return {
        "username": "li_si",
        "display_name": "李四",
        "role": "town_officer",
        "region": "cixi-zhouxiang",
        "home_region": "",
        "enterprise": "",
        "password1": STRONG,
        "password2": STRONG,
        **overrides,
    }


# --- the list ---------------------------------------------------------------------------------


def test_list_shows_the_accounts_in_scope_with_search_and_filters(county: County, bureau: Client) -> None:
    make_user(Role.BUREAU_OFFICER, username="ningbo_boss", region="ningbo")
    make_user(
        Role.TOWN_OFFICER, username="zhouxiang_town", region="cixi-zhouxiang", display_name="周巷镇经发办"
    )
    page = bureau.get("/users/")
    assert page.status_code == 200
    listed = {u.username for u in page.context["page"].object_list}
    assert listed == {"town", "zhouxiang_town", "firm", "expert", "provider", "auditor"}
    html = page.content.decode()
    assert "ningbo_boss" not in html and 'data-username="bureau"' not in html
    assert 'aria-current="page" href="/users/"' in html  # the nav item is active

    def usernames(**params: str) -> set[str]:
        return {u.username for u in bureau.get("/users/", params).context["page"].object_list}

    assert usernames(q="周巷") == {"zhouxiang_town"}
    assert usernames(role="enterprise") == {"firm"}
    assert usernames(region="cixi-guanhaiwei") == {"town", "firm"}
    assert usernames(region="ningbo") == listed  # asking for a wider region does not widen the scope
    empty = bureau.get("/users/", {"q": "没有这个人"}).content.decode()
    assert 'data-testid="empty-state"' in empty and "没有符合条件的用户" in empty


def test_list_shows_locked_accounts(county: County, bureau: Client) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "firm", "password": "wrong-password"})
    page = bureau.get("/users/")
    html = page.content.decode()
    row = re.search(r'data-username="firm">(.*?)</tr>', html, re.S)
    assert row is not None and "已锁定" in row.group(1)
    assert html.count('data-testid="locked-badge"') == 1
    locked = bureau.get("/users/", {"status": "locked"}).context["page"].object_list
    assert [u.username for u in locked] == ["firm"]


# --- create -----------------------------------------------------------------------------------


def test_create_a_town_officer(county: County, bureau: Client) -> None:
    response = bureau.post("/users/new/", _new_user(), follow=True)
    assert response.redirect_chain == [("/users/li_si/edit/", 302)]
    assert "已创建用户 li_si（镇（街道））" in response.content.decode()
    user = User.objects.get(username="li_si")
    assert (user.role, user.region.code if user.region else None, user.display_name) == (
        "town_officer",
        "cixi-zhouxiang",
        "李四",
    )
    assert user.check_password(STRONG)
    assert AuditEntry.objects.get(action="user.create", object_id=str(user.pk)).actor_username == "bureau"
    assert Client().post("/login/", {"username": "li_si", "password": STRONG}).status_code == 302


def test_create_an_enterprise_user_by_uscc_and_an_expert(county: County, bureau: Client) -> None:
    firm = _new_user(username="qiye", role="enterprise", region="", enterprise=county.elsewhere.uscc.lower())
    assert bureau.post("/users/new/", firm).status_code == 302
    assert User.objects.get(username="qiye").enterprise == county.elsewhere
    expert = _new_user(username="zhuanjia", role="expert", region="")
    assert bureau.post("/users/new/", expert).status_code == 302
    home = User.objects.get(username="zhuanjia").home_region
    assert home is not None and home.code == "cixi"


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"username": ""}, "username", "必填"),
        ({"role": ""}, "role", "必填"),
        ({"password2": STRONG + "x"}, "password2", "两次输入的密码不一致"),
        ({"password1": "12345678", "password2": "12345678"}, "password1", "密码"),
        ({"region": "cixi"}, "region", "必须是一个镇或街道"),
        ({"region": ""}, "region", "必须指定管辖区域"),
        ({"region": "ningbo"}, "region", "选择一个有效的选项"),  # not even offered
        ({"role": "bureau_officer", "region": "cixi"}, "region", "不能与您同级或更高"),
        (
            {"role": "enterprise", "region": "", "enterprise": "91330282MA0000000X"},
            "enterprise",
            "企业库中没有",
        ),
        ({"role": "expert"}, "region", "不按区域管辖"),  # without JavaScript every field is sent
        ({"username": "town"}, "username", "用户名已存在"),
    ],
)
def test_create_errors_are_shown_on_their_field_in_chinese(
    county: County, bureau: Client, overrides: dict[str, str], field: str, words: str
) -> None:
    response = bureau.post("/users/new/", _new_user(**overrides))
    assert response.status_code == 200
    errors = _errors(response)
    assert field in errors, errors
    assert any(words in e for e in errors[field]), errors
    assert 'data-testid="form-errors"' in response.content.decode()
    assert STRONG not in response.content.decode()  # passwords are not echoed back
    assert not User.objects.filter(username="li_si").exists()


def test_create_form_offers_regions_in_scope_only(county: County) -> None:
    town_bureau = make_user(Role.BUREAU_OFFICER, username="town_bureau", region="cixi-guanhaiwei")
    html = _client(town_bureau).get("/users/new/").content.decode()
    options = re.findall(r'<option value="([\w-]+)"', html)
    assert set(options) - set(Role.values) == {"cixi-guanhaiwei"}
    html = _client(county.users["bureau_officer"]).get("/users/new/").content.decode()
    assert 'value="cixi-zhouxiang"' in html and 'value="ningbo"' not in html
    assert 'data-roles="auditor bureau_officer town_officer"' in html  # for user_form.js


# --- edit, reset password, deactivate, activate, unlock ---------------------------------------


def test_edit_name_and_region(county: County, bureau: Client) -> None:
    page = bureau.get("/users/town/edit/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="region"' in html and 'name="enterprise"' not in html and 'name="home_region"' not in html
    response = bureau.post(
        "/users/town/edit/", {"display_name": "王五", "region": "cixi-hushan"}, follow=True
    )
    assert response.redirect_chain == [("/users/town/edit/", 302)]
    assert "已保存用户 town 的信息" in response.content.decode()
    town = User.objects.get(username="town")
    assert town.display_name == "王五" and town.region is not None and town.region.code == "cixi-hushan"


def test_edit_errors(county: County, bureau: Client) -> None:
    response = bureau.post("/users/town/edit/", {"display_name": "王五", "region": "cixi"})
    assert "必须是一个镇或街道" in _errors(response)["region"][0]
    response = bureau.post("/users/firm/edit/", {"display_name": "", "enterprise": "91330282MA0000000X"})
    assert "企业库中没有" in _errors(response)["enterprise"][0]
    assert User.objects.get(username="firm").enterprise == county.own


def test_reset_password(county: County, bureau: Client) -> None:
    assert bureau.get("/users/firm/password/").status_code == 200
    response = bureau.post("/users/firm/password/", {"password1": STRONG, "password2": "other"})
    assert _errors(response) == {"password2": ["两次输入的密码不一致"]}
    response = bureau.post("/users/firm/password/", {"password1": "12345678", "password2": "12345678"})
    assert "password1" in _errors(response)
    response = bureau.post("/users/firm/password/", {"password1": STRONG, "password2": STRONG}, follow=True)
    assert response.redirect_chain == [("/users/firm/edit/", 302)]
    assert "已重置用户 firm 的密码" in response.content.decode()
    assert Client().post("/login/", {"username": "firm", "password": STRONG}).status_code == 302


def test_deactivate_and_activate(county: County, bureau: Client) -> None:
    firm_browser = _client(county.users["enterprise"])
    response = bureau.post("/users/firm/deactivate/", follow=True)
    html = response.content.decode()
    assert "已停用用户 firm" in html and 'data-testid="activate"' in html
    assert not User.objects.get(username="firm").is_active
    assert firm_browser.get("/").status_code == 302  # signed out everywhere
    response = bureau.post("/users/firm/deactivate/", follow=True)  # again: a message, no change
    assert "该账户已是停用状态" in response.content.decode()
    assert 'class="alert alert-danger' in response.content.decode()
    response = bureau.post("/users/firm/activate/", follow=True)
    assert "已启用用户 firm" in response.content.decode()
    assert User.objects.get(username="firm").is_active
    assert bureau.get("/users/firm/deactivate/").status_code == 405


def test_unlock(county: County, bureau: Client) -> None:
    for _ in range(5):
        Client().post("/login/", {"username": "firm", "password": "wrong-password"})
    page = bureau.get("/users/firm/edit/").content.decode()
    assert 'data-testid="unlock"' in page and "登录已锁定" in page
    response = bureau.post("/users/firm/unlock/", follow=True)
    html = response.content.decode()
    assert "已解除用户 firm 的登录锁定" in html and 'data-testid="unlock"' not in html
    assert Client().post("/login/", {"username": "firm", "password": PASSWORD}).status_code == 302


def test_forms_need_the_csrf_token(county: County) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["bureau_officer"])
    assert client.post("/users/firm/deactivate/").status_code == 403
    assert client.post("/users/new/", _new_user()).status_code == 403
    assert User.objects.get(username="firm").is_active
    page = client.get("/users/firm/edit/").content.decode()
    assert page.count('name="csrfmiddlewaretoken"') >= 3  # edit, deactivate, logout


# --- a bureau officer scoped to one town ------------------------------------------------------

USER_ROUTES = [
    ("GET", "users/<str:username>/edit/"),
    ("POST", "users/<str:username>/edit/"),
    ("GET", "users/<str:username>/password/"),
    ("POST", "users/<str:username>/password/"),
    ("POST", "users/<str:username>/deactivate/"),
    ("POST", "users/<str:username>/activate/"),
    ("POST", "users/<str:username>/unlock/"),
]


def test_every_per_user_page_is_in_the_town_scope_walk() -> None:
    routes = {str(p.pattern) for p in get_resolver("shuzhuan.web.urls").url_patterns}
    per_user = {r for r in routes if r.startswith("users/<str:username>/")}
    assert per_user == {route for _, route in USER_ROUTES}


@pytest.mark.parametrize(("method", "route"), USER_ROUTES)
def test_a_town_scoped_bureau_officer_manages_only_that_town(county: County, method: str, route: str) -> None:
    town_bureau = make_user(Role.BUREAU_OFFICER, username="town_bureau", region="cixi-guanhaiwei")
    make_user(Role.TOWN_OFFICER, username="zhouxiang_town", region="cixi-zhouxiang")
    client = _client(town_bureau)
    # 观海卫镇's town officer is theirs; 周巷镇's, the county's bureau and the county's expert are not.
    inside = client.generic(method, "/" + route.replace("<str:username>", "town"))
    assert inside.status_code in {200, 302}
    for outside in ("zhouxiang_town", "bureau", "expert", "town_bureau"):
        response = client.generic(method, "/" + route.replace("<str:username>", outside))
        assert response.status_code == 404, outside
    assert client.get("/users/").status_code == 200
    listed = {u.username for u in client.get("/users/").context["page"].object_list}
    assert listed == {"town", "firm"}
    assert User.objects.get(username="zhouxiang_town").is_active


@pytest.mark.parametrize("role", ["town_officer", "auditor", "enterprise", "expert", "service_provider"])
def test_other_roles_cannot_reach_user_management(county: County, role: str) -> None:
    client = _client(county.users[role])
    assert client.get("/users/").status_code == 403
    assert client.get("/users/new/").status_code == 403
    assert client.post("/users/firm/deactivate/").status_code == 403
    assert User.objects.get(username="firm").is_active
    assert 'href="/users/"' not in client.get("/account/").content.decode()  # not in the nav


# --- 我的账户 -----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["bureau_officer", "town_officer", "enterprise", "expert", "auditor"])
def test_everyone_changes_their_own_password_and_stays_signed_in(county: County, role: str) -> None:
    user = county.users[role]
    client = _client(user)
    other_browser = _client(user)
    page = client.get("/")
    assert 'href="/account/"' in page.content.decode()
    data = {"old_password": PASSWORD, "password1": STRONG, "password2": STRONG}
    response = client.post("/account/password/", data, follow=True)
    assert response.redirect_chain == [("/account/", 302)]
    assert "密码已修改" in response.content.decode()
    assert client.get("/account/").status_code == 200  # this session goes on
    assert other_browser.get("/account/").status_code == 302  # others end
    assert User.objects.get(pk=user.pk).check_password(STRONG)


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"old_password": "wrong", "password1": STRONG, "password2": STRONG}, "old_password", "原密码不正确"),
        ({"old_password": PASSWORD, "password1": STRONG, "password2": "x"}, "password2", "不一致"),
        ({"old_password": PASSWORD, "password1": "12345678", "password2": "12345678"}, "password1", "密码"),
        (
            {"old_password": PASSWORD, "password1": PASSWORD, "password2": PASSWORD},
            "password1",
            "不能与原密码相同",
        ),
        ({"password1": STRONG, "password2": STRONG}, "old_password", "必填"),
    ],
)
def test_password_change_errors(county: County, data: dict[str, str], field: str, words: str) -> None:
    response = _client(county.users["expert"]).post("/account/password/", data)
    assert response.status_code == 200
    errors = _errors(response)
    assert any(words in e for e in errors.get(field, [])), errors
    assert User.objects.get(username="expert").check_password(PASSWORD)


def test_a_new_token_is_shown_once_and_works(county: County) -> None:
    client = _client(county.users["town_officer"])
    response = client.post("/account/tokens/", {"name": "对接系统"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    match = re.search(r'value="(szt_[^"]+)"', response.content.decode())
    assert match is not None
    raw = match.group(1)
    assert Client().get("/api/accounts/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 200
    page = client.get("/account/").content.decode()
    assert raw not in page and "对接系统" in page and raw[:8] in page  # listed by its prefix only
    assert raw not in str(dict(client.session))

    token = ApiToken.objects.get(user=county.users["town_officer"])
    response = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "已吊销令牌" in response.content.decode()
    assert Client().get("/api/accounts/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404  # gone from the list


def test_token_name_is_required(county: County) -> None:
    response = _client(county.users["expert"]).post("/account/tokens/", {"name": ""})
    assert "必填" in _errors(response)["name"][0]
    assert not ApiToken.objects.exists()


def test_nobody_revokes_someone_elses_token_here(county: County) -> None:
    token, _ = api_token_create(acting_user=None, user=county.users["town_officer"])
    assert (
        _client(county.users["bureau_officer"]).post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    )
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
