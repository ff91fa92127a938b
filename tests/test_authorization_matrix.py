"""Every URL of the project × every role → the one expected answer.

The table below is the authorisation policy, written out. ``test_every_url_pattern_is_in_the_table``
walks Django's resolver (pages, the JSON API, its docs and schema) and fails when a pattern has no
row here, and ``test_every_api_operation_is_in_the_table`` does the same for each API method — so
nobody can add a page or an endpoint without saying who may use it.

Path parameters are filled from the ``county`` fixture: ``own`` is the enterprise user's enterprise
(观海卫镇), ``neighbour`` another enterprise in 观海卫镇, ``elsewhere`` one in 周巷镇, ``missing`` a
valid-looking USCC nobody has; a qualification's ``<type>``/``<year>`` is one ``own`` holds. Each API
operation is checked twice: with a session cookie and with ``Authorization: Bearer``. Every request
runs in a savepoint that is rolled back, so each role meets the fixture's data as it was (a write by
the bureau officer does not change what the town officer's request finds).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, path
from openpyxl import load_workbook

from conftest import County
from shuzhuan.accounts.models import Role
from shuzhuan.accounts.services import api_token_create
from shuzhuan.accounts.tests.factories import PASSWORD, make_user
from shuzhuan.api import api
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tasks import IMPORT_TASK
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, make_uscc, town
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.services import edition_draft_create

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

ANON = "anonymous"
ROLES = (ANON, "bureau_officer", "town_officer", "enterprise", "expert", "service_provider", "auditor")


@dataclass(frozen=True)
class Redirect:
    """A 302 to ``to``; "{own}" stands for the enterprise user's USCC."""

    to: str


LOGIN = Redirect("/login/?next=")  # to the login page, remembering where the user was going
HOME = Redirect("/")
Outcome = int | Redirect


@dataclass(frozen=True)
class Case:
    route: str  # the pattern as the resolver spells it, e.g. "enterprises/<str:uscc>/"
    method: str
    expect: tuple[Outcome, ...]  # one per ROLES entry, in that order
    target: str = ""  # own | neighbour | elsewhere | missing (a <uscc>), task | task_other (an import task),
    # user | user_peer | user_above | self (a <username>), token_other (an API token)
    data: dict[str, Any] | None = None
    bearer: bool = False  # also check with an API token instead of the session

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ROLES), f"{self.route}: one outcome per role, in ROLES order"

    @property
    def id(self) -> str:
        return f"{self.method} /{self.route}" + (f" [{self.target}]" if self.target else "")


def _api(route: str, method: str, expect: tuple[Outcome, ...], **kw: Any) -> Case:
    return Case(route, method, expect, bearer=True, **kw)


# fmt: off
#                    anonymous  bureau  town  firm  expert  provider  auditor
ALL_200 =           (LOGIN,     200,    200,  200,  200,    200,      200)
OFFICERS =          (LOGIN,     200,    200,  403,  403,    403,      200)
BUREAU_ONLY =       (LOGIN,     200,    403,  403,  403,    403,      403)
ALL_405 =           (405,       405,    405,  405,  405,    405,      405)
ALL_404 =           (404,       404,    404,  404,  404,    404,      404)
API_ALL_200 =       (401,       200,    200,  200,  200,    200,      200)
API_OFFICERS =      (401,       200,    200,  403,  403,    403,      200)
EDITORS =           (LOGIN,     200,    200,  403,  403,    403,      403)  # bureau; town in own town

# Keeping the registry by hand. ``own`` is in the town officer's town; 周巷镇 is not.
NEW_USCC = make_uscc(9_999_998)
NEW_ENTERPRISE = {"uscc": NEW_USCC, "name": "慈溪市新登记有限公司", "town": "cixi-guanhaiwei", "status": "active"}
EDIT_FORM = {"name": "慈溪市甲汽配有限公司", "town": "cixi-guanhaiwei", "industry": "auto_parts",
             "is_sme": "on", "employees": "81", "status": "active"}
MOVE_FORM = {**EDIT_FORM, "town": "cixi-zhouxiang"}
QUALIFICATION = {"type": "provincial_digital_workshop", "year": "2024"}
HELD = {"type": "national_tech_sme", "year": "2024"}  # <type>/<year> in routes: held by ``own`` only
CALC_CASE = {"as_of": "2025-06-30", "enterprise": {"industry": "auto_parts", "is_sme": True},
             "project": {"kinds": ["pilot"], "in_pilot_plan": True, "accepted": True,
                         "verified_investment": "700000"}}
API_BUREAU_ONLY =   (401,       200,    403,  403,  403,    403,      403)
NEW_EDITION = {"based_on": "cixi-2025", "edition_id": "cixi-2026", "effective_from": "2026-01-01"}
NEW_CAP = {"policy": "matrix-draft-ai", "step": "cap", "value": "500000"}
DRAFT_ACTION =      (LOGIN,     Redirect("/policies/matrix-draft/"), 403, 403, 403, 403, 403)
# A user outside the bureau officer's management scope: a 404, as if there were no such user.
NOT_MANAGED =       (LOGIN,     404,    403,  403,  403,    403,      403)
BUREAU_ACTION =     (LOGIN,     Redirect("/users/matrix_user/edit/"), 403, 403, 403, 403, 403)

CASES: list[Case] = [
    # --- pages ---------------------------------------------------------------------------
    Case("", "GET", ALL_200),
    Case("login/", "GET",                     (200,   HOME, HOME, HOME, HOME, HOME, HOME)),
    Case("login/", "POST",                    (200,   HOME, HOME, HOME, HOME, HOME, HOME),
         data={"username": "nobody", "password": "wrong"}),
    Case("logout/", "GET", ALL_405),
    Case("logout/", "POST",                   (Redirect("/login/"),) * 7),
    Case("enterprises/", "GET", OFFICERS),
    Case("enterprises/export.xlsx", "GET", OFFICERS),
    Case("enterprises/import/", "GET", BUREAU_ONLY),
    Case("enterprises/import/", "POST", BUREAU_ONLY, data={"dry_run": "on"}),  # no file: form errors
    Case("enterprises/import/", "DELETE", ALL_405),
    # An import task: only the bureau officer who started it sees it; another's task is a 404.
    Case("enterprises/import/<uuid:task_id>/", "GET", BUREAU_ONLY, target="task"),
    Case("enterprises/import/<uuid:task_id>/", "GET",
         (LOGIN, 404, 403, 403, 403, 403, 403), target="task_other"),
    Case("enterprises/import/<uuid:task_id>/", "POST", ALL_405, target="task"),
    Case("enterprises/mine/", "GET",
         (LOGIN, Redirect("/enterprises/"), Redirect("/enterprises/"), Redirect("/enterprises/{own}/"),
          403, 403, Redirect("/enterprises/"))),
    Case("enterprises/<str:uscc>/", "GET",    (LOGIN, 200, 200, 200, 403, 403, 200), target="own"),
    Case("enterprises/<str:uscc>/", "GET",    (LOGIN, 200, 200, 404, 403, 403, 200), target="neighbour"),
    Case("enterprises/<str:uscc>/", "GET",    (LOGIN, 200, 404, 404, 403, 403, 200), target="elsewhere"),
    Case("enterprises/<str:uscc>/", "GET",    (LOGIN, 404, 404, 404, 403, 403, 404), target="missing"),
    Case("enterprises/new/", "GET", EDITORS),
    Case("enterprises/new/", "POST",          (LOGIN, Redirect(f"/enterprises/{NEW_USCC}/"),
          Redirect(f"/enterprises/{NEW_USCC}/"), 403, 403, 403, 403), data=NEW_ENTERPRISE),
    Case("enterprises/new/", "POST", EDITORS, data={}),  # form errors
    Case("enterprises/new/", "DELETE", ALL_405),
    Case("enterprises/<str:uscc>/edit/", "GET", EDITORS, target="own"),
    Case("enterprises/<str:uscc>/edit/", "GET", (LOGIN, 200, 404, 403, 403, 403, 403), target="elsewhere"),
    Case("enterprises/<str:uscc>/edit/", "GET", (LOGIN, 404, 404, 403, 403, 403, 403), target="missing"),
    Case("enterprises/<str:uscc>/edit/", "POST",
         (LOGIN, Redirect("/enterprises/{own}/"), Redirect("/enterprises/{own}/"), 403, 403, 403, 403),
         target="own", data=EDIT_FORM),
    # Moving an enterprise out of their town: the town officer gets the form back with the refusal.
    Case("enterprises/<str:uscc>/edit/", "POST",
         (LOGIN, Redirect("/enterprises/{own}/"), 200, 403, 403, 403, 403), target="own", data=MOVE_FORM),
    Case("enterprises/<str:uscc>/edit/", "POST", (LOGIN, 200, 404, 403, 403, 403, 403),
         target="elsewhere", data={}),  # bureau: form errors; town officer: not theirs → 404
    Case("enterprises/<str:uscc>/edit/", "DELETE", ALL_405, target="own"),
    Case("enterprises/<str:uscc>/qualifications/", "POST",
         (LOGIN, Redirect("/enterprises/{own}/"), 403, 403, 403, 403, 403), target="own", data=QUALIFICATION),
    Case("enterprises/<str:uscc>/qualifications/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="missing", data=QUALIFICATION),
    Case("enterprises/<str:uscc>/qualifications/", "GET", ALL_405, target="own"),
    Case("enterprises/<str:uscc>/qualifications/<str:type>/<int:year>/delete/", "POST",
         (LOGIN, Redirect("/enterprises/{own}/"), 403, 403, 403, 403, 403), target="own"),
    Case("enterprises/<str:uscc>/qualifications/<str:type>/<int:year>/delete/", "POST",
         (LOGIN, 404, 403, 403, 403, 403, 403), target="elsewhere"),  # it does not hold that one
    Case("enterprises/<str:uscc>/qualifications/<str:type>/<int:year>/delete/", "GET", ALL_405, target="own"),
    # --- user management: bureau officers, for accounts within their region (see access_users).
    # Targets: "user" an expert the county bureau registered; "user_peer" another bureau officer of
    # the county (same level: not managed); "user_above" a Ningbo bureau officer; "self".
    Case("users/", "GET", BUREAU_ONLY),
    Case("users/", "POST", ALL_405),
    Case("users/new/", "GET", BUREAU_ONLY),
    Case("users/new/", "POST", BUREAU_ONLY, data={"username": ""}),  # form errors
    Case("users/<str:username>/edit/", "GET", BUREAU_ONLY, target="user"),
    Case("users/<str:username>/edit/", "POST", BUREAU_ONLY, target="user", data={"display_name": "改"}),
    Case("users/<str:username>/edit/", "GET", NOT_MANAGED, target="user_peer"),
    Case("users/<str:username>/edit/", "GET", NOT_MANAGED, target="user_above"),
    Case("users/<str:username>/edit/", "POST", NOT_MANAGED, target="user_above", data={"display_name": "改"}),
    Case("users/<str:username>/edit/", "GET", NOT_MANAGED, target="self"),
    Case("users/<str:username>/password/", "GET", BUREAU_ONLY, target="user"),
    Case("users/<str:username>/password/", "POST", BUREAU_ONLY, target="user"),  # form errors
    Case("users/<str:username>/password/", "POST", NOT_MANAGED, target="user_above"),
    Case("users/<str:username>/password/", "GET", NOT_MANAGED, target="self"),
    Case("users/<str:username>/deactivate/", "POST", BUREAU_ACTION, target="user"),
    Case("users/<str:username>/deactivate/", "POST", NOT_MANAGED, target="user_above"),
    Case("users/<str:username>/deactivate/", "POST", NOT_MANAGED, target="self"),
    Case("users/<str:username>/deactivate/", "GET", ALL_405, target="user"),
    Case("users/<str:username>/activate/", "POST", BUREAU_ACTION, target="user"),
    Case("users/<str:username>/activate/", "POST", NOT_MANAGED, target="user_peer"),
    Case("users/<str:username>/activate/", "GET", ALL_405, target="user"),
    Case("users/<str:username>/unlock/", "POST", BUREAU_ACTION, target="user"),
    Case("users/<str:username>/unlock/", "POST", NOT_MANAGED, target="user_above"),
    Case("users/<str:username>/unlock/", "GET", ALL_405, target="user"),
    # --- 我的账户: everyone signed in, for their own account only ---------------------------
    Case("account/", "GET", ALL_200),
    Case("account/", "POST", ALL_405),
    Case("account/password/", "POST", ALL_200, data={"old_password": "wrong"}),  # form errors
    Case("account/password/", "GET", ALL_405),
    Case("account/tokens/", "POST", ALL_200, data={"name": "matrix"}),  # the new token, shown once
    Case("account/tokens/", "GET", ALL_405),
    # Someone else's token is nobody's to revoke here (own tokens: shuzhuan/web/tests).
    Case("account/tokens/<int:token_id>/revoke/", "POST",
         (LOGIN, 404, 404, 404, 404, 404, 404), target="token_other"),
    Case("account/tokens/<int:token_id>/revoke/", "GET", ALL_405, target="token_other"),
    # --- API documentation (session only: it is a page for people) -----------------------
    Case("api/", "GET", ALL_404),
    Case("api/docs", "GET", ALL_200),
    Case("api/openapi.json", "GET", ALL_200),
    # --- API operations ------------------------------------------------------------------
    _api("api/accounts/me", "GET", API_ALL_200),
    _api("api/accounts/me", "POST", ALL_405),
    # Password for a token: each role with its own password; anonymous with a wrong one.
    _api("api/accounts/token", "POST",        (400,   200,  200,  200,  200,  200,  200)),
    _api("api/accounts/token", "GET", ALL_405),
    _api("api/enterprises/", "GET", API_OFFICERS),
    _api("api/enterprises/", "POST",          (401,   201,  201,  403,  403,  403,  403), data=NEW_ENTERPRISE),
    _api("api/enterprises/", "POST",          (401,   201,  400,  403,  403,  403,  403),
         data={**NEW_ENTERPRISE, "town": "cixi-zhouxiang"}),  # the town officer: not in their town
    _api("api/enterprises/", "PUT", ALL_405),
    _api("api/enterprises/towns", "GET", API_OFFICERS),
    _api("api/enterprises/industries", "GET", API_ALL_200),
    _api("api/enterprises/qualification-types", "GET", API_ALL_200),
    _api("api/enterprises/<uscc>", "GET",     (401,   200,  200,  200,  403,  403,  200), target="own"),
    _api("api/enterprises/<uscc>", "GET",     (401,   200,  200,  404,  403,  403,  200), target="neighbour"),
    _api("api/enterprises/<uscc>", "GET",     (401,   200,  404,  404,  403,  403,  200), target="elsewhere"),
    _api("api/enterprises/<uscc>", "GET",     (401,   404,  404,  404,  403,  403,  404), target="missing"),
    _api("api/enterprises/<uscc>", "DELETE", ALL_405, target="own"),
    _api("api/enterprises/<uscc>", "PATCH",   (401,   200,  200,  403,  403,  403,  403), target="own",
         data={"employees": 81}),
    _api("api/enterprises/<uscc>", "PATCH",   (401,   200,  400,  403,  403,  403,  403), target="own",
         data={"town": "cixi-zhouxiang"}),  # moving it out of the town officer's town
    _api("api/enterprises/<uscc>", "PATCH",   (401,   200,  404,  403,  403,  403,  403), target="elsewhere",
         data={"employees": 81}),
    _api("api/enterprises/<uscc>", "PATCH",   (401,   404,  404,  403,  403,  403,  403), target="missing",
         data={"employees": 81}),
    _api("api/enterprises/<uscc>/qualifications", "POST", (401, 201, 403, 403, 403, 403, 403), target="own",
         data={**QUALIFICATION, "year": 2024}),
    _api("api/enterprises/<uscc>/qualifications", "POST", (401, 201, 403, 403, 403, 403, 403),
         target="elsewhere", data={**QUALIFICATION, "year": 2024}),
    _api("api/enterprises/<uscc>/qualifications", "POST", (401, 404, 403, 403, 403, 403, 403),
         target="missing", data={**QUALIFICATION, "year": 2024}),
    _api("api/enterprises/<uscc>/qualifications", "GET", ALL_405, target="own"),
    _api("api/enterprises/<uscc>/qualifications/<type>/<year>", "DELETE",
         (401, 204, 403, 403, 403, 403, 403), target="own"),
    _api("api/enterprises/<uscc>/qualifications/<type>/<year>", "DELETE",
         (401, 404, 403, 403, 403, 403, 403), target="elsewhere"),  # it does not hold that one
    _api("api/enterprises/<uscc>/qualifications/<type>/<year>", "GET", ALL_405, target="own"),
    # The policy calculator: every signed-in role (no scope: it reads no registry data).
    _api("api/policy/calc", "POST", API_ALL_200, data=CALC_CASE),
    _api("api/policy/calc", "GET", ALL_405),
    # --- 政策: published editions for everyone signed in; drafts, editing and publishing for the
    # bureau. Targets: "edition" cixi-2025 (published), "draft" matrix-draft (a copy of it),
    # "edition_missing" an id nobody has. A draft is a 404 to those who may not publish.
    Case("policies/", "GET", ALL_200),
    Case("policies/", "POST", ALL_405),
    Case("policies/calc/", "GET", ALL_200),
    Case("policies/calc/", "POST", ALL_405),
    Case("policies/new/", "GET", BUREAU_ONLY),
    Case("policies/new/", "POST", BUREAU_ONLY, data={}),  # form errors
    Case("policies/new/", "POST",             (LOGIN, Redirect("/policies/cixi-2026/"), 403, 403, 403, 403, 403),
         data=NEW_EDITION),
    Case("policies/new/", "DELETE", ALL_405),
    Case("policies/<str:edition_id>/", "GET", ALL_200, target="edition"),
    Case("policies/<str:edition_id>/", "GET", (LOGIN, 200, 404, 404, 404, 404, 404), target="draft"),
    Case("policies/<str:edition_id>/", "GET", (LOGIN, 404, 404, 404, 404, 404, 404), target="edition_missing"),
    Case("policies/<str:edition_id>/", "POST", ALL_405, target="edition"),
    Case("policies/<str:edition_id>/parameters/", "POST", DRAFT_ACTION, target="draft", data=NEW_CAP),
    Case("policies/<str:edition_id>/parameters/", "POST", BUREAU_ONLY, target="edition",
         data=NEW_CAP),  # published: the page again, with the refusal
    Case("policies/<str:edition_id>/parameters/", "GET", ALL_405, target="draft"),
    Case("policies/<str:edition_id>/publish/", "POST", DRAFT_ACTION, target="draft"),
    Case("policies/<str:edition_id>/publish/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="edition_missing"),
    Case("policies/<str:edition_id>/publish/", "GET", ALL_405, target="draft"),
    _api("api/accounts/users", "GET", API_BUREAU_ONLY),
    _api("api/accounts/users", "POST",        (401,   201,  403,  403,  403,  403,  403)),  # an expert
    _api("api/accounts/users", "DELETE", ALL_405),
]
# fmt: on

MISSING_USCC = make_uscc(9_999_999)
_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


# --- discovery --------------------------------------------------------------------------


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[str]:
    for p in patterns:
        route = prefix + str(p.pattern)
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, route)
        elif isinstance(p, URLPattern):
            yield route


def project_routes() -> set[str]:
    return set(_walk(get_resolver().url_patterns))


def api_operations() -> set[tuple[str, str]]:
    """(route, METHOD) for every operation in the OpenAPI schema, spelled like the resolver."""
    ops: set[tuple[str, str]] = set()
    for api_path, methods in api.get_openapi_schema()["paths"].items():
        route = re.sub(r"\{(\w+)\}", r"<\1>", api_path.lstrip("/"))
        ops.update((route, method.upper()) for method in methods)
    return ops


def test_discovery_finds_pages_api_operations_and_docs() -> None:
    routes = project_routes()
    assert {"", "enterprises/<str:uscc>/", "api/enterprises/<uscc>", "api/docs", "api/openapi.json"} <= routes
    assert ("api/accounts/token", "POST") in api_operations()


def test_every_url_pattern_is_in_the_table() -> None:
    in_table = {c.route for c in CASES}
    unchecked = sorted(project_routes() - in_table)
    stale = sorted(in_table - project_routes())
    assert not unchecked, (
        "URL patterns without an expected outcome per role — add rows to CASES in "
        f"tests/test_authorization_matrix.py: {unchecked}"
    )
    assert not stale, f"CASES has rows for URL patterns that no longer exist: {stale}"


def _unlisted_page(request: HttpRequest) -> HttpResponse:  # pragma: no cover - never requested
    return HttpResponse("")


# A copy of the project's URLconf with one page nobody put in the table (see the next test).
urlpatterns = [*get_resolver("config.urls").url_patterns, path("unlisted/<int:pk>/", _unlisted_page)]


@pytest.mark.urls(__name__)
def test_the_guard_catches_a_page_missing_from_the_table() -> None:
    with pytest.raises(AssertionError, match=re.escape("unlisted/<int:pk>/")):
        test_every_url_pattern_is_in_the_table()


def test_every_api_operation_is_in_the_table() -> None:
    in_table = {(c.route, c.method) for c in CASES}
    unchecked = sorted(api_operations() - in_table)
    assert not unchecked, f"API operations without rows in CASES: {unchecked}"


def test_every_operation_row_is_also_checked_with_a_token() -> None:
    operation_routes = {route for route, _ in api_operations()}
    assert all(c.bearer for c in CASES if c.route in operation_routes)


# --- the matrix -------------------------------------------------------------------------


def _import_task(owner_id: int | None) -> str:
    job = BackgroundTask.objects.create(
        id=uuid.uuid4(), kind=IMPORT_TASK, owner_id=owner_id, params={"filename": "名单.xlsx"}
    )
    return str(job.pk)


def _user_target(target: str, county: County) -> str:
    """The username a user-management row is about (see the targets above the rows)."""
    if target == "self":
        return county.users["bureau_officer"].username
    if target == "user_peer":
        return make_user(Role.BUREAU_OFFICER, username="matrix_peer", region="cixi").username
    if target == "user_above":
        return make_user(Role.BUREAU_OFFICER, username="matrix_above", region="ningbo").username
    assert target == "user", target
    return make_user(Role.EXPERT, username="matrix_user", home_region="cixi").username


def _edition_target(target: str, county: County) -> str:
    if target == "draft":
        return edition_draft_create(
            acting_user=county.users["bureau_officer"],
            based_on=PolicyEdition.objects.get(edition_id="cixi-2025"),
            edition_id="matrix-draft",
            effective_from=dt.date(2026, 1, 1),
        ).edition_id
    return {"edition": "cixi-2025", "edition_missing": "cixi-1999"}[target]


def _url(case: Case, county: County) -> str:
    if case.target in {"user", "user_peer", "user_above", "self"}:
        return "/" + _PARAM.sub(_user_target(case.target, county), case.route)
    if case.target == "token_other":
        token, _ = api_token_create(acting_user=None, user=make_user(Role.EXPERT, username="matrix_owner"))
        return "/" + _PARAM.sub(str(token.pk), case.route)
    if case.target in {"edition", "draft", "edition_missing"}:
        return "/" + _PARAM.sub(_edition_target(case.target, county), case.route)
    if case.target.startswith("task"):
        owner = county.users["bureau_officer"].pk if case.target == "task" else None
        return "/" + _PARAM.sub(_import_task(owner), case.route)
    uscc = {
        "own": county.own.uscc,
        "neighbour": county.neighbour.uscc,
        "elsewhere": county.elsewhere.uscc,
        "missing": MISSING_USCC,
        "": "",
    }[case.target]
    if _PARAM.search(case.route):
        assert uscc, f"{case.id}: the route has a parameter, give the row a target"
    return "/" + _PARAM.sub(lambda m: HELD.get(m.group(1), uscc), case.route)


def _request(client: Client, case: Case, url: str, role: str, headers: dict[str, str]) -> TestResponse:
    if case.route == "api/accounts/token":
        username = "nobody" if role == ANON else _USERNAMES[role]
        password = "wrong" if role == ANON else PASSWORD
        body = json.dumps({"username": username, "password": password})
        return client.generic(case.method, url, body, content_type="application/json", headers=headers)
    if case.route == "api/accounts/users" and case.method == "POST":
        body = json.dumps(
            {"username": f"matrix_{uuid.uuid4().hex[:8]}", "password": PASSWORD, "role": "expert"}
        )
        return client.generic(case.method, url, body, content_type="application/json", headers=headers)
    if case.route.startswith("api/") and case.data is not None:
        body = json.dumps(case.data, ensure_ascii=False)
        return client.generic(case.method, url, body, content_type="application/json", headers=headers)
    if case.method == "POST":
        return client.post(url, case.data or {}, headers=headers)
    return client.generic(case.method, url, headers=headers)


_USERNAMES = {
    "bureau_officer": "bureau",
    "town_officer": "town",
    "enterprise": "firm",
    "expert": "expert",
    "service_provider": "provider",
    "auditor": "auditor",
}


def _mismatch(response: TestResponse, expected: Outcome, county: County) -> str | None:
    if isinstance(expected, Redirect):
        location = response.get("Location", "")
        target = expected.to.replace("{own}", county.own.uscc)
        ok = response.status_code == 302 and (
            location.startswith(target) if expected is LOGIN else location == target
        )
        return None if ok else f"expected 302 → {target}, got {response.status_code} {location}".rstrip()
    if response.status_code != expected:
        return f"expected {expected}, got {response.status_code}"
    return None


@dataclass
class _Clients:
    county: County
    tokens: dict[str, str] = field(default_factory=dict)

    def session(self, role: str) -> Client:
        client = Client()
        if role != ANON:
            client.force_login(self.county.users[role])
        return client

    def bearer(self, role: str) -> dict[str, str]:
        if role == ANON:
            return {"Authorization": "Bearer szt_not-a-real-token"}
        if role not in self.tokens:
            _, self.tokens[role] = api_token_create(acting_user=None, user=self.county.users[role])
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@contextmanager
def _rolled_back() -> Iterator[None]:
    """Whatever the request writes is undone afterwards."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_authorization_matrix(case: Case, county: County) -> None:
    clients = _Clients(county)
    url = _url(case, county)
    problems = []
    for role, expected in zip(ROLES, case.expect, strict=True):
        client = clients.session(role)
        with _rolled_back():
            response = _request(client, case, url, role, {})
        if (problem := _mismatch(response, expected, county)) is not None:
            problems.append(f"{role:<17} session: {problem}")
        if case.bearer:
            headers = clients.bearer(role)
            with _rolled_back():
                response = _request(Client(), case, url, role, headers)
            if (problem := _mismatch(response, expected, county)) is not None:
                problems.append(f"{role:<17} bearer:  {problem}")
    assert not problems, f"{case.method} {url}\n" + "\n".join(problems)


# --- what a list contains -----------------------------------------------------------------


def _names(enterprises: list[Enterprise]) -> set[str]:
    return {e.name for e in enterprises}


@pytest.fixture
def more_towns(county: County) -> list[Enterprise]:
    """Enterprises in two more towns, so "only my town" is not true by accident."""
    return [
        EnterpriseFactory.create(name="慈溪市丁模具有限公司", town=town("cixi-zhouxiang")),
        EnterpriseFactory.create(name="慈溪市戊电器有限公司", town=town("cixi-hushan")),
    ]


def test_town_officer_list_page_shows_only_own_town(county: County, more_towns: list[Enterprise]) -> None:
    client = Client()
    client.force_login(county.users["town_officer"])
    response = client.get("/enterprises/")
    assert response.status_code == 200
    listed = list(response.context["page"].object_list)
    assert _names(listed) == {county.own.name, county.neighbour.name}
    assert {e.town.name for e in listed} == {"观海卫镇"}
    html = response.content.decode()
    for hidden in [county.elsewhere, *more_towns]:
        assert hidden.name not in html and hidden.uscc not in html
    # Asking for another town by its code does not widen the scope.
    response = client.get("/enterprises/", {"town": "cixi-zhouxiang"})
    assert list(response.context["page"].object_list) == []


def test_town_officer_export_contains_only_own_town(county: County, more_towns: list[Enterprise]) -> None:
    client = Client()
    client.force_login(county.users["town_officer"])
    response = client.get("/enterprises/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(b"".join(response.streaming_content))).active  # type: ignore[attr-defined]
    assert sheet is not None
    cells = {str(c) for row in sheet.iter_rows(values_only=True) for c in row if c is not None}
    assert {county.own.uscc, county.neighbour.uscc} <= cells
    assert not {county.elsewhere.uscc, *(e.uscc for e in more_towns)} & cells


@pytest.mark.parametrize("transport", ["session", "bearer"])
def test_town_officer_api_list_contains_only_own_town(
    county: County, more_towns: list[Enterprise], transport: str
) -> None:
    clients = _Clients(county)
    if transport == "session":
        client, headers = clients.session("town_officer"), {}
    else:
        client, headers = Client(), clients.bearer("town_officer")
    body = client.get("/api/enterprises/", headers=headers).json()
    assert body["count"] == 2
    assert {i["uscc"] for i in body["items"]} == {county.own.uscc, county.neighbour.uscc}
    assert {i["town_name"] for i in body["items"]} == {"观海卫镇"}
    towns = client.get("/api/enterprises/towns", headers=headers).json()
    assert [t["code"] for t in towns] == ["cixi-guanhaiwei"]


def test_bureau_and_auditor_api_lists_contain_the_whole_county(
    county: County, more_towns: list[Enterprise]
) -> None:
    clients = _Clients(county)
    for role in ("bureau_officer", "auditor"):
        body = Client().get("/api/enterprises/", headers=clients.bearer(role)).json()
        assert body["count"] == 5, role
        expected = {county.own.uscc, county.neighbour.uscc, county.elsewhere.uscc}
        assert expected | {e.uscc for e in more_towns} == {i["uscc"] for i in body["items"]}


def test_enterprise_user_api_list_is_refused(county: County) -> None:
    clients = _Clients(county)
    response = Client().get("/api/enterprises/", headers=clients.bearer("enterprise"))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert county.own.uscc not in response.content.decode()


def test_a_deactivated_user_is_anonymous_on_pages_and_the_api(county: County) -> None:
    user = county.users["town_officer"]
    client = Client()
    client.force_login(user)
    _, raw = api_token_create(acting_user=None, user=user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = client.get("/enterprises/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/api/enterprises/").status_code == 401
    assert Client().get("/api/enterprises/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401
