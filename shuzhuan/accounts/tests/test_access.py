"""The access_* functions, login lockout and CSRF on session requests to the API."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from ninja.errors import AuthenticationError
from ninja.security import APIKeyCookie

from conftest import County
from shuzhuan.accounts.access import (
    ROLE_PERMISSIONS,
    Perm,
    access_enterprise,
    access_enterprises,
    access_has,
    access_navigation,
    access_require,
    access_scope_region,
    access_town_allowed,
    access_towns,
)
from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.services import api_token_create
from shuzhuan.accounts.tests.factories import PASSWORD
from shuzhuan.api import api
from shuzhuan.enterprises.models import Region
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, town

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

# --- role -------------------------------------------------------------------------------


def test_every_permission_names_its_roles() -> None:
    assert set(ROLE_PERMISSIONS) == set(Perm)
    assert ROLE_PERMISSIONS[Perm.ENTERPRISE_IMPORT] == {Role.BUREAU_OFFICER}
    assert Role.EXPERT not in ROLE_PERMISSIONS[Perm.ENTERPRISE_VIEW]
    assert Role.SERVICE_PROVIDER not in ROLE_PERMISSIONS[Perm.ENTERPRISE_VIEW]
    assert Role.ENTERPRISE not in ROLE_PERMISSIONS[Perm.ENTERPRISE_LIST]


def test_anonymous_and_none_have_nothing(db: None) -> None:
    for nobody in (None, AnonymousUser()):
        assert not any(access_has(nobody, perm) for perm in Perm)
        assert not access_enterprises(nobody).exists()
        assert access_scope_region(nobody) is None
        assert access_navigation(nobody) == []
        with pytest.raises(PermissionDenied):
            access_require(nobody, Perm.DASHBOARD)


def test_deactivated_user_has_nothing(county: County) -> None:
    user = county.users["bureau_officer"]
    user.is_active = False
    assert not access_has(user, Perm.DASHBOARD)
    assert not access_enterprises(user).exists()
    assert access_scope_region(user) is None


@pytest.mark.parametrize("role", ["", "admin"])
def test_a_user_without_a_known_role_has_nothing_and_nothing_crashes(county: County, role: str) -> None:
    # e.g. an account made with `manage.py createsuperuser`, or a role retired from the code
    user = User.objects.create_user(username=f"odd{role}", password=PASSWORD)
    User.objects.filter(pk=user.pk).update(role=role, region=town("cixi-guanhaiwei").parent)
    user.refresh_from_db()
    assert not any(access_has(user, perm) for perm in Perm)
    assert not access_enterprises(user).exists()
    assert access_scope_region(user) is None
    assert not access_towns(user).exists()
    assert [item.key for item in access_navigation(user)] == ["home", "api"]
    client = Client()
    client.force_login(user)
    assert client.get("/").status_code == 403
    assert client.get("/enterprises/").status_code == 403


# --- scope ------------------------------------------------------------------------------


def test_officers_see_their_region_subtree(county: County) -> None:
    everyone = {county.own, county.neighbour, county.elsewhere}
    assert set(access_enterprises(county.users["bureau_officer"])) == everyone
    assert set(access_enterprises(county.users["auditor"])) == everyone
    assert set(access_enterprises(county.users["town_officer"])) == {county.own, county.neighbour}


def test_enterprise_user_sees_own_enterprise_only(county: County) -> None:
    user = county.users["enterprise"]
    assert list(access_enterprises(user)) == [county.own]
    assert access_enterprise(user, county.own.uscc.lower() + " ") == county.own
    for other in (county.neighbour, county.elsewhere):
        with pytest.raises(Http404):
            access_enterprise(user, other.uscc)


@pytest.mark.parametrize("role", ["expert", "service_provider"])
def test_experts_and_providers_see_no_registry_records(county: County, role: str) -> None:
    user = county.users[role]
    assert not access_enterprises(user).exists()
    assert access_scope_region(user) is None
    with pytest.raises(PermissionDenied):
        access_enterprise(user, county.own.uscc)


def test_town_scope_is_a_whole_path_segment(county: County) -> None:
    """/…/cixi/ must not match a sibling whose code merely starts the same."""
    cixi = Region.objects.get(code="cixi")
    lookalike = Region.objects.create(
        code="cixi2", name="慈溪二", level=Region.Level.COUNTY, parent=cixi.parent, path=cixi.path[:-1] + "2/"
    )
    lookalike_town = Region.objects.create(
        code="cixi2-x",
        name="某镇",
        level=Region.Level.TOWN,
        parent=lookalike,
        path=lookalike.path + "cixi2-x/",
    )
    outside = EnterpriseFactory.create(name="慈溪二某企业", town=lookalike_town)
    assert outside not in access_enterprises(county.users["bureau_officer"])
    assert lookalike_town not in access_towns(county.users["bureau_officer"])
    assert not access_town_allowed(county.users["bureau_officer"], lookalike_town)


def test_towns_in_scope(county: County) -> None:
    town_officer = county.users["town_officer"]
    assert [t.code for t in access_towns(town_officer)] == ["cixi-guanhaiwei"]
    assert access_town_allowed(town_officer, town("cixi-guanhaiwei"))
    assert not access_town_allowed(town_officer, town("cixi-zhouxiang"))
    bureau_towns = set(access_towns(county.users["bureau_officer"]).values_list("code", flat=True))
    assert {"cixi-guanhaiwei", "cixi-zhouxiang"} <= bureau_towns
    assert not access_towns(county.users["enterprise"]).exists()
    assert not access_town_allowed(county.users["enterprise"], town("cixi-guanhaiwei"))


def test_navigation_follows_permissions(county: County) -> None:
    def keys(role: str) -> list[str]:
        return [item.key for item in access_navigation(county.users[role])]

    assert (
        " ".join(keys("bureau_officer"))
        == "home enterprises import policies calc qa batches applications matching activities cockpit funds qa_admin users api"
    )
    assert (
        " ".join(keys("town_officer"))
        == "home enterprises policies calc qa batches applications matching activities cockpit api"
    )
    assert (
        " ".join(keys("auditor"))
        == "home enterprises policies calc qa batches applications matching activities cockpit funds api"
    )
    assert " ".join(keys("enterprise")) == "home enterprises policies calc qa applications notices api"
    assert " ".join(keys("expert")) == "home policies calc qa reviews api"
    assert " ".join(keys("service_provider")) == "home policies calc qa api"
    firm_nav = access_navigation(county.users["enterprise"])
    assert firm_nav[1].url == "/enterprises/mine/"


# --- lockout (django-axes, per account name) --------------------------------------------

LIMIT = 5


def _login(client: Client, username: str, password: str) -> TestResponse:
    return client.post("/login/", {"username": username, "password": password})


def _token(username: str, password: str) -> TestResponse:
    body = json.dumps({"username": username, "password": password})
    return Client().post("/api/accounts/token", body, content_type="application/json")


def _logged_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_the_limit_is_five() -> None:
    assert settings.AXES_FAILURE_LIMIT == LIMIT
    assert settings.AXES_LOCKOUT_PARAMETERS == ["username"]


def test_five_wrong_passwords_on_the_login_page_lock_the_account(county: County) -> None:
    client = Client()
    for attempt in range(1, LIMIT):
        response = _login(client, "town", "wrong-password")
        assert response.status_code == 200, attempt  # the form again, with an error
        assert 'data-testid="login-error"' in response.content.decode()
    response = _login(client, "town", "wrong-password")
    assert response.status_code == 429
    assert 'data-testid="locked"' in response.content.decode()

    # Now even the right password is refused — on the page, from another browser, and by the API.
    for browser in (client, Client()):
        response = _login(browser, "town", PASSWORD)
        assert response.status_code == 429
        assert not _logged_in(browser)
    response = _token("town", PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "locked"
    assert "token" not in response.json()

    # Other accounts are not affected (officers of one town hall share one address).
    other = Client()
    assert _login(other, "bureau", PASSWORD).status_code == 302
    assert _logged_in(other)


def test_wrong_passwords_on_the_api_count_towards_the_same_lock(county: County) -> None:
    for attempt in range(1, LIMIT):
        response = _token("town", "wrong-password")
        assert response.status_code == 400, attempt
        assert response.json()["error"]["field"] == "password"
    response = _token("town", "wrong-password")
    assert response.status_code == 429  # the API answers in JSON, not with the HTML lockout page
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"] == {
        "code": "locked",
        "message": "登录失败次数过多，账户已锁定，请稍后再试或联系管理员。",
        "field": "username",
    }
    assert _token("town", PASSWORD).status_code == 429
    client = Client()
    assert _login(client, "town", PASSWORD).status_code == 429
    assert not _logged_in(client)


def test_a_successful_login_before_the_limit_resets_the_count(county: County) -> None:
    client = Client()
    for _ in range(LIMIT - 1):
        _login(client, "town", "wrong-password")
    assert _login(client, "town", PASSWORD).status_code == 302
    client = Client()
    for _ in range(LIMIT - 1):
        assert _login(client, "town", "wrong-password").status_code == 200
    assert _login(client, "town", PASSWORD).status_code == 302


def test_a_token_for_the_right_password(county: County) -> None:
    response = _token("firm", PASSWORD)
    assert response.status_code == 200
    raw = response.json()["token"]
    me = Client().get("/api/accounts/me", HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert (me["username"], me["enterprise"]) == ("firm", county.own.uscc)


def test_a_deactivated_account_gets_no_token(county: County) -> None:
    User.objects.filter(username="firm").update(is_active=False)
    assert _token("firm", PASSWORD).status_code == 400


# --- CSRF on session requests to the API ------------------------------------------------
#
# No API operation changes data yet, so an unsafe request is built by hand and put through the
# API's own authentication chain (``api.auth``) and error handling, as ninja does for every
# operation: the first callback that returns a user wins; one that raises ends the request.


def _authenticate(request: HttpRequest) -> User | HttpResponse:
    for callback in api.auth:  # type: ignore[union-attr]
        try:
            result = callback(request)
        except Exception as exc:
            return api.on_exception(request, exc)
        if result:
            assert isinstance(result, User)
            return result
    return api.on_exception(request, AuthenticationError())


def _session_request(user: User, method: str, *, csrf: bool) -> HttpRequest:
    rf = RequestFactory()
    request = rf.generic(method, "/api/enterprises/", "{}", content_type="application/json")
    request.user = user
    request.COOKIES[settings.SESSION_COOKIE_NAME] = "a-session-key"
    if csrf:
        token = get_token(rf.get("/"))
        request.COOKIES[settings.CSRF_COOKIE_NAME] = token
        request.META["HTTP_X_CSRFTOKEN"] = token
    return request


def test_every_cookie_authentication_of_the_api_checks_csrf() -> None:
    cookie_auths = [a for a in api.auth if isinstance(a, APIKeyCookie)]  # type: ignore[union-attr]
    assert cookie_auths, "the API accepts the browser session"
    assert all(a.csrf for a in cookie_auths)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_unsafe_session_request_without_csrf_token_is_refused(county: County, method: str) -> None:
    result = _authenticate(_session_request(county.users["bureau_officer"], method, csrf=False))
    assert isinstance(result, HttpResponse)
    assert result.status_code == 403
    assert json.loads(result.content)["error"]["code"] == "csrf_failed"


def test_unsafe_session_request_with_csrf_token_is_accepted(county: County) -> None:
    user = county.users["bureau_officer"]
    assert _authenticate(_session_request(user, "POST", csrf=True)) == user


def test_safe_session_request_needs_no_csrf_token(county: County) -> None:
    user = county.users["bureau_officer"]
    assert _authenticate(_session_request(user, "GET", csrf=False)) == user


def test_bearer_request_needs_no_csrf_token(county: County) -> None:
    user = county.users["bureau_officer"]
    _, raw = api_token_create(acting_user=None, user=user)
    request = RequestFactory().post("/api/enterprises/", "{}", content_type="application/json")
    request.user = AnonymousUser()
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {raw}"
    assert _authenticate(request) == user


def test_anonymous_request_is_unauthenticated(db: None) -> None:
    request = RequestFactory().get("/api/enterprises/")
    request.user = AnonymousUser()
    result = _authenticate(request)
    assert isinstance(result, HttpResponse) and result.status_code == 401
