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
from urllib.parse import urlencode

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
from shuzhuan.activities.services import event_create, registration_add, trainee_add, training_class_create
from shuzhuan.api import api
from shuzhuan.applications.models import Status
from shuzhuan.applications.services import expert_assign, invoice_add, objection_record
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.cockpit.tasks import REPORT_TASK, report_dir
from shuzhuan.core.models import BackgroundTask
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tasks import IMPORT_TASK
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, make_uscc, town
from shuzhuan.funds.tests.factories import allocate
from shuzhuan.matching.services import match_run
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
    data: dict[str, Any] | None = None  # the form of a POST; the query string of a GET
    bearer: bool = False  # also check with an API token instead of the session
    params: dict[str, str] | None = None  # further route parameters by name (e.g. an <action>)

    def __post_init__(self) -> None:
        assert len(self.expect) == len(ROLES), f"{self.route}: one outcome per role, in ROLES order"

    @property
    def id(self) -> str:
        return (
            f"{self.method} /{self.route}"
            + (f" [{self.target}]" if self.target else "")
            + "".join(f" {k}={v}" for k, v in (self.params or {}).items())
            + (f" ?{urlencode(self.data)}" if self.method == "GET" and self.data else "")
        )


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
DRAFT_DELETED =     (LOGIN,     Redirect("/policies/"), 403, 403, 403, 403, 403)
NEW_SPLIT = {"central": "0.6", "city": "0.2", "county": "0.2"}
BAD_SPLIT = {"central": "0.6", "city": "0.3", "county": "0.2"}  # sums to 1.1: the page again, with the refusal
NEW_KEY_INDUSTRIES = {"key_industries": ["auto_parts", "textiles"]}
API_DRAFT_OPEN =    (401,       200,    404,  404,  404,    404,      404)  # a draft: 404 to non-publishers
API_REFUSED =       (401,       400,    403,  403,  403,    403,      403)  # a published edition: 400
API_NO_EDITION =    (401,       404,    403,  403,  403,    403,      403)
# 申报 and 资金 (see the targets above their rows).
APP = Redirect("{app}")  # to the application's own page
FIRM_ONLY =         (LOGIN,     403,    403,  200,  403,    403,      403)
EXPERT_ONLY =       (LOGIN,     403,    403,  403,  200,    403,      403)
FUNDS_READERS =     (LOGIN,     200,    403,  403,  403,    403,      200)
NEW_BATCH = {"edition": "cixi-2025", "policy_ids": ["cixi-2025-new-it"], "code": "matrix-new", "name": "矩阵批次",
             "year": "2025", "opens_on": "2025-01-01", "closes_on": "2025-12-31",
             "required_materials": "plan 项目实施方案", "share_central": "0.5", "share_city": "0.25",
             "share_county": "0.25", "notice_days": "7"}
NEW_APPLICATION = {"project_name": "矩阵项目", "kinds": ["new_it"], "declared_investment": "800000"}
NEW_APPLICATION_API = {**NEW_APPLICATION, "batch": "matrix-batch", "policy_id": "cixi-2025-new-it"}
NEW_INVOICE_API = {"number": "33029999", "issued_on": "2025-03-01", "amount": "1000"}
API_FIRM_ONLY =     (401,       403,    403,  200,  403,    403,      403)
API_BUREAU_REFUSED = (401,      400,    403,  403,  403,    403,      403)  # the bureau's move; status refuses
API_FIRM_REFUSED =  (401,       403,    403,  400,  403,    403,      403)  # the firm's move; status refuses
API_FIRM_ELSEWHERE = (401,      403,    403,  404,  403,    403,      403)  # the firm's op on another's
NEW_ALLOCATION = {"allocation-level": "central", "allocation-programme": "new-it", "allocation-year": "2025",
                  "allocation-amount": "1000000", "allocation-reference": "矩阵〔2025〕1号"}
QA_QUESTION = "我投了80万做AI大模型项目能补多少？"
NEW_FAQ = {"question": "申报材料要盖章吗", "answer": "需要加盖企业公章。", "citations": "矩阵答复函"}
# A user outside the bureau officer's management scope: a 404, as if there were no such user.
NOT_MANAGED =       (LOGIN,     404,    403,  403,  403,    403,      403)
BUREAU_ACTION =     (LOGIN,     Redirect("/users/matrix_user/edit/"), 403, 403, 403, 403, 403)
# 活动与人才: officers see their region's subtree; the bureau and town officers record (in their town).
NEW_EVENT = {"kind": "onsite", "title": "矩阵现场会", "held_on": "2024-05-20", "region": "cixi-guanhaiwei"}
NEW_CLASS = {"name": "矩阵培训班", "region": "cixi-guanhaiwei", "starts_on": "2024-03-01", "ends_on": "2024-06-30"}
NEW_CERTIFICATION = {"person_name": "矩阵持证人", "occupation": "电子商务师", "level": "4",
                     "certified_on": "2024-06-01", "body": "矩阵认定机构", "region": "cixi-guanhaiwei"}
TO_EVENT = Redirect("/activities/events/*")
TO_CLASS = Redirect("/activities/classes/*")
TO_CERTIFICATIONS = Redirect("/activities/certifications/")
ACTIVITY_SAVED_EVENT = (LOGIN,  TO_EVENT, TO_EVENT, 403, 403, 403, 403)
ACTIVITY_SAVED_CLASS = (LOGIN,  TO_CLASS, TO_CLASS, 403, 403, 403, 403)
ACTIVITY_VIEW_ELSEWHERE = (LOGIN, 200,  404,  403,  403,    403,      200)  # 周巷镇: not the town officer's
ACTIVITY_MISSING =  (LOGIN,     404,    404,  403,  403,    403,      404)
ACTIVITY_EDIT_MISSING = (LOGIN, 404,    404,  403,  403,    403,      403)
# 统计报告: a started report goes to its task's page; a task is its starter's (others: 404).
REPORT_STARTED = Redirect("/cockpit/reports/*")
REPORT_OWNER =      (LOGIN,     200,    404,  403,  403,    403,      404)
REPORT_NOBODY =     (LOGIN,     404,    404,  403,  403,    403,      404)

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
    # 智能应答: every signed-in role may ask; anonymous visitors use the public policy page, not the API
    # (an open endpoint would let anyone fill the officers' unanswered-question log).
    _api("api/qa/ask", "POST", API_ALL_200, data={"question": "我投了80万做AI大模型项目能补多少"}),
    _api("api/qa/ask", "GET", ALL_405),
    # Editions as JSON (same access as the 政策 pages): reading for every signed-in role, a draft only
    # for the bureau; every write for the bureau, on drafts only. <policy>/<step>: the edition's AI cap.
    _api("api/policy/editions", "GET", API_ALL_200),
    _api("api/policy/editions", "POST",       (401,   201,  403,  403,  403,  403,  403), data=NEW_EDITION),
    _api("api/policy/editions", "DELETE", ALL_405),
    _api("api/policy/editions/<edition_id>", "GET", API_ALL_200, target="edition"),
    _api("api/policy/editions/<edition_id>", "GET", API_DRAFT_OPEN, target="draft"),
    _api("api/policy/editions/<edition_id>", "GET", (401, 404, 404, 404, 404, 404, 404),
         target="edition_missing"),
    _api("api/policy/editions/<edition_id>", "DELETE", (401, 204, 403, 403, 403, 403, 403), target="draft"),
    _api("api/policy/editions/<edition_id>", "DELETE", API_REFUSED, target="edition"),
    _api("api/policy/editions/<edition_id>", "DELETE", API_NO_EDITION, target="edition_missing"),
    _api("api/policy/editions/<edition_id>", "PATCH", ALL_405, target="draft"),
    _api("api/policy/editions/<edition_id>/parameters/<policy>/<step>", "PUT", API_BUREAU_ONLY,
         target="draft", data={"value": "500000"}),
    _api("api/policy/editions/<edition_id>/parameters/<policy>/<step>", "PUT", API_REFUSED,
         target="edition", data={"value": "500000"}),
    _api("api/policy/editions/<edition_id>/parameters/<policy>/<step>", "GET", ALL_405, target="draft"),
    _api("api/policy/editions/<edition_id>/key-industries", "PUT", API_BUREAU_ONLY, target="draft",
         data=NEW_KEY_INDUSTRIES),
    _api("api/policy/editions/<edition_id>/key-industries", "PUT", API_REFUSED, target="edition",
         data=NEW_KEY_INDUSTRIES),
    _api("api/policy/editions/<edition_id>/key-industries", "GET", ALL_405, target="draft"),
    _api("api/policy/editions/<edition_id>/funding-split", "PUT", API_BUREAU_ONLY, target="draft",
         data=NEW_SPLIT),
    _api("api/policy/editions/<edition_id>/funding-split", "PUT", API_REFUSED, target="draft",
         data=BAD_SPLIT),
    _api("api/policy/editions/<edition_id>/funding-split", "GET", ALL_405, target="draft"),
    _api("api/policy/editions/<edition_id>/publish", "POST", API_BUREAU_ONLY, target="draft"),
    _api("api/policy/editions/<edition_id>/publish", "POST", API_REFUSED, target="edition"),
    _api("api/policy/editions/<edition_id>/publish", "POST", API_NO_EDITION, target="edition_missing"),
    _api("api/policy/editions/<edition_id>/publish", "GET", ALL_405, target="draft"),
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
    # Deleting a draft; its key industries and funding split. A published edition: the page again
    # with the refusal (nothing changes).
    Case("policies/<str:edition_id>/delete/", "POST", DRAFT_DELETED, target="draft"),
    Case("policies/<str:edition_id>/delete/", "POST", BUREAU_ONLY, target="edition"),
    Case("policies/<str:edition_id>/delete/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="edition_missing"),
    Case("policies/<str:edition_id>/delete/", "GET", ALL_405, target="draft"),
    Case("policies/<str:edition_id>/key-industries/", "POST", DRAFT_ACTION, target="draft",
         data=NEW_KEY_INDUSTRIES),
    Case("policies/<str:edition_id>/key-industries/", "POST", BUREAU_ONLY, target="edition",
         data=NEW_KEY_INDUSTRIES),
    Case("policies/<str:edition_id>/key-industries/", "GET", ALL_405, target="draft"),
    Case("policies/<str:edition_id>/funding-split/", "POST", DRAFT_ACTION, target="draft", data=NEW_SPLIT),
    Case("policies/<str:edition_id>/funding-split/", "POST", BUREAU_ONLY, target="draft", data=BAD_SPLIT),
    Case("policies/<str:edition_id>/funding-split/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="edition_missing", data=NEW_SPLIT),
    Case("policies/<str:edition_id>/funding-split/", "GET", ALL_405, target="draft"),
    # 影响测算: for those who edit editions, over their own region's population (a GET: writes nothing)
    Case("policies/<str:edition_id>/impact/", "GET", BUREAU_ONLY, target="draft"),
    Case("policies/<str:edition_id>/impact/", "GET", BUREAU_ONLY, target="edition"),
    Case("policies/<str:edition_id>/impact/", "GET", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="edition_missing"),
    Case("policies/<str:edition_id>/impact/", "POST", ALL_405, target="draft"),
    _api("api/accounts/users", "GET", API_BUREAU_ONLY),
    _api("api/accounts/users", "POST",        (401,   201,  403,  403,  403,  403,  403)),  # an expert
    _api("api/accounts/users", "DELETE", ALL_405),
    # --- 申报 and 资金 as JSON: the rules of the 申报 pages below (same targets, see there). A move:
    # the TRANSITIONS table's roles (else 403), within scope (else 404), and the service's refusal a
    # 400; the generic move refuses the moves that have their own operation.
    _api("api/batches", "GET",                (401,   200,  200,  200,  403,  403,  200), target="batch"),
    _api("api/batches", "POST", ALL_405),
    _api("api/batches/<code>", "GET",         (401,   200,  200,  200,  403,  403,  200), target="batch"),
    _api("api/batches/<code>", "GET",         (401,   404,  404,  404,  403,  403,  404), target="batch_missing"),
    _api("api/batches/<code>", "DELETE", ALL_405, target="batch"),
    _api("api/applications", "GET",           (401,   200,  200,  200,  200,  403,  200)),
    _api("api/applications", "POST",          (401,   403,  403,  201,  403,  403,  403), target="batch",
         data=NEW_APPLICATION_API),
    _api("api/applications", "POST", API_FIRM_REFUSED, target="batch",
         data={**NEW_APPLICATION_API, "batch": "no-such-batch"}),
    _api("api/applications", "DELETE", ALL_405),
    _api("api/applications/<number>", "GET",  (401,   200,  200,  200,  404,  403,  200), target="app_submitted"),
    _api("api/applications/<number>", "GET",  (401,   404,  404,  200,  404,  403,  404), target="app_draft"),
    _api("api/applications/<number>", "GET",  (401,   200,  404,  404,  404,  403,  200), target="app_elsewhere"),
    _api("api/applications/<number>", "GET",  (401,   200,  200,  200,  200,  403,  200), target="app_expert"),
    _api("api/applications/<number>", "GET",  (401,   404,  404,  404,  404,  403,  404), target="app_missing"),
    _api("api/applications/<number>", "PATCH", API_FIRM_ONLY, target="app_draft", data={"project_name": "矩阵改"}),
    _api("api/applications/<number>", "PATCH", API_FIRM_REFUSED, target="app_submitted",
         data={"project_name": "矩阵改"}),  # submitted: no longer editable
    _api("api/applications/<number>", "PATCH", API_FIRM_ELSEWHERE, target="app_elsewhere",
         data={"project_name": "矩阵改"}),
    _api("api/applications/<number>", "DELETE", ALL_405, target="app_draft"),
    _api("api/applications/<number>/precheck", "GET", (401, 404, 404, 200, 404, 403, 404), target="app_draft"),
    _api("api/applications/<number>/precheck", "GET", (401, 200, 200, 200, 404, 403, 200), target="app_submitted"),
    _api("api/applications/<number>/precheck", "POST", ALL_405, target="app_draft"),
    _api("api/applications/<number>/submit", "POST", API_FIRM_REFUSED, target="app_draft",
         data={"declaration": True}),  # the plan is not uploaded
    _api("api/applications/<number>/submit", "POST", API_FIRM_ELSEWHERE, target="app_elsewhere",
         data={"declaration": True}),
    _api("api/applications/<number>/submit", "GET", ALL_405, target="app_draft"),
    _api("api/applications/<number>/transitions/<action>", "POST", (401, 200, 200, 403, 403, 403, 403),
         target="app_submitted", params={"action": "town_pass"}, data={}),
    _api("api/applications/<number>/transitions/<action>", "POST", (401, 200, 404, 403, 403, 403, 403),
         target="app_elsewhere", params={"action": "town_pass"}, data={}),
    _api("api/applications/<number>/transitions/<action>", "POST", (401, 400, 400, 403, 403, 403, 403),
         target="app_submitted", params={"action": "town_return"}, data={}),  # no reason
    _api("api/applications/<number>/transitions/<action>", "POST", API_FIRM_ONLY,
         target="app_submitted", params={"action": "withdraw"}, data={"reason": "矩阵撤回"}),
    _api("api/applications/<number>/transitions/<action>", "POST", API_FIRM_ELSEWHERE,
         target="app_elsewhere", params={"action": "withdraw"}, data={}),
    _api("api/applications/<number>/transitions/<action>", "POST", API_BUREAU_REFUSED,
         target="app_submitted", params={"action": "formal_pass"}, data={}),  # not in formal review yet
    _api("api/applications/<number>/transitions/<action>", "POST", API_BUREAU_REFUSED,
         target="app_submitted", params={"action": "approve"}, data={}),  # has its own operation
    _api("api/applications/<number>/transitions/<action>", "POST", API_FIRM_REFUSED,
         target="app_draft", params={"action": "submit"}, data={}),  # has its own operation
    _api("api/applications/<number>/transitions/<action>", "POST", (401, 404, 404, 404, 404, 403, 404),
         target="app_submitted", params={"action": "no-such-move"}, data={}),
    _api("api/applications/<number>/transitions/<action>", "GET", ALL_405,
         target="app_submitted", params={"action": "town_pass"}),
    _api("api/applications/<number>/include", "POST", API_BUREAU_REFUSED, target="app_expert"),  # not scored
    _api("api/applications/<number>/include", "POST", (401, 404, 403, 403, 403, 403, 403), target="app_missing"),
    _api("api/applications/<number>/include", "GET", ALL_405, target="app_expert"),
    _api("api/applications/<number>/request-acceptance", "POST", API_FIRM_REFUSED,
         target="app_submitted"),  # no invoices, not implementing
    _api("api/applications/<number>/request-acceptance", "POST", API_FIRM_ELSEWHERE, target="app_elsewhere"),
    _api("api/applications/<number>/request-acceptance", "GET", ALL_405, target="app_submitted"),
    _api("api/applications/<number>/accept", "POST", API_BUREAU_REFUSED, target="app_submitted",
         data={"verified_investment": "700000", "notes": "矩阵验收"}),  # acceptance not requested
    _api("api/applications/<number>/accept", "POST", (401, 404, 403, 403, 403, 403, 403), target="app_missing",
         data={"verified_investment": "700000", "notes": "矩阵验收"}),
    _api("api/applications/<number>/accept", "GET", ALL_405, target="app_submitted"),
    _api("api/applications/<number>/approve", "POST", API_BUREAU_REFUSED, target="app_submitted",
         data={"amount": "1000", "reason": "矩阵"}),  # not accepted
    _api("api/applications/<number>/approve", "POST", (401, 404, 403, 403, 403, 403, 403), target="app_missing",
         data={"amount": "1000", "reason": "矩阵"}),
    _api("api/applications/<number>/approve", "GET", ALL_405, target="app_submitted"),
    _api("api/applications/<number>/invoices", "POST", (401, 403, 403, 201, 403, 403, 403), target="app_draft",
         data=NEW_INVOICE_API),
    _api("api/applications/<number>/invoices", "POST", API_FIRM_ELSEWHERE, target="app_elsewhere",
         data=NEW_INVOICE_API),
    _api("api/applications/<number>/invoices", "GET", ALL_405, target="app_draft"),
    _api("api/applications/<number>/invoices/<invoice_id>", "DELETE", (401, 403, 403, 204, 403, 403, 403),
         target="invoice"),
    _api("api/applications/<number>/invoices/<invoice_id>", "GET", ALL_405, target="invoice"),
    _api("api/funds/budgets", "GET",          (401,   200,  403,  403,  403,  403,  200)),
    _api("api/funds/budgets", "POST", ALL_405),
    # 统计驾驶舱 as JSON: officers within their region; allocations are county-wide (town: 404)
    _api("api/cockpit/figures", "GET", API_OFFICERS, data={"from": "2024", "keys": "paid.amount,qual_wf.provincial"}),
    _api("api/cockpit/figures", "GET",        (401,   404,  404,  403,  403,  403,  404),
         data={"from": "2024", "keys": "no.such"}),
    _api("api/cockpit/figures", "GET",        (401,   200,  404,  403,  403,  403,  200),
         data={"from": "2024", "keys": "alloc.amount"}),
    _api("api/cockpit/figures", "GET",        (401,   400,  400,  403,  403,  403,  400),
         data={"from": "2025", "to": "2024", "keys": "paid.amount"}),
    _api("api/cockpit/figures", "POST", ALL_405),
    _api("api/cockpit/figures/<key>/records", "GET", API_OFFICERS, params={"key": "qual_new.national_tech_sme"},
         data={"from": "2024"}),
    _api("api/cockpit/figures/<key>/records", "GET", (401, 200, 404, 403, 403, 403, 200),
         params={"key": "alloc.amount.all.central"}, data={"from": "2024"}),
    _api("api/cockpit/figures/<key>/records", "POST", ALL_405, params={"key": "paid.amount"}),
    # --- 申报: batches, the queue / 我的申报, one application and its moves, materials, invoices,
    # experts, objections, payments, 我的评审, 通知, 资金. Targets (built through the services, see
    # _application_params): "batch" an open batch of the county, "batch_missing" none; "app_draft"
    # own's draft (the enterprise's alone), "app_submitted" own's, submitted (观海卫镇), "app_elsewhere"
    # one of 周巷镇 (outside the town officer's town), "app_expert" own's in expert review with the
    # expert assigned, "app_missing" a number nobody has; "material"/"material_elsewhere" the plan of
    # app_submitted/app_elsewhere; "invoice" one of app_draft; "review"/"review_other" the expert's /
    # another expert's review of app_expert; "objection" one on own's application in public notice;
    # "share" a share of own's application in disbursement. {app} is the application's page.
    Case("batches/", "GET", OFFICERS),
    Case("batches/", "POST", ALL_405),
    Case("batches/new/", "GET", BUREAU_ONLY),
    Case("batches/new/", "POST", BUREAU_ONLY, data={}),  # form errors
    Case("batches/new/", "POST",              (LOGIN, Redirect("/batches/matrix-new/"), 403, 403, 403, 403, 403),
         data=NEW_BATCH),
    Case("batches/new/", "DELETE", ALL_405),
    Case("batches/<str:code>/", "GET", OFFICERS, target="batch"),
    Case("batches/<str:code>/", "GET",        (LOGIN, 404,  404,  403,  403,  403,  404), target="batch_missing"),
    Case("batches/<str:code>/", "POST", ALL_405, target="batch"),
    Case("batches/<str:code>/status/", "POST",
         (LOGIN, Redirect("/batches/matrix-batch/"), 403, 403, 403, 403, 403), target="batch", data={"status": "closed"}),
    Case("batches/<str:code>/status/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403), target="batch_missing",
         data={"status": "closed"}),
    Case("batches/<str:code>/status/", "GET", ALL_405, target="batch"),
    # 公示名单 (.xlsx, .pdf) and 兑现清单 per level: bureau officers and auditors, over their region's
    # applications; a batch they cannot see, or an unknown level, is a 404; a malformed year a 400.
    Case("batches/<str:code>/public-notice.xlsx", "GET", FUNDS_READERS, target="batch"),
    Case("batches/<str:code>/public-notice.xlsx", "GET", (LOGIN, 404, 403, 403, 403, 403, 404),
         target="batch_missing"),
    Case("batches/<str:code>/public-notice.xlsx", "POST", ALL_405, target="batch"),
    Case("batches/<str:code>/public-notice.pdf", "GET", FUNDS_READERS, target="batch"),
    Case("batches/<str:code>/public-notice.pdf", "GET", (LOGIN, 404, 403, 403, 403, 403, 404),
         target="batch_missing"),
    Case("batches/<str:code>/public-notice.pdf", "POST", ALL_405, target="batch"),
    Case("funds/disbursements/<str:level>.xlsx", "GET", FUNDS_READERS, target="batch",
         params={"level": "city"}, data={"batch": "matrix-batch"}),
    Case("funds/disbursements/<str:level>.xlsx", "GET", FUNDS_READERS, target="batch",
         params={"level": "central"}, data={"year": "2025"}),
    Case("funds/disbursements/<str:level>.xlsx", "GET", (LOGIN, 404, 403, 403, 403, 403, 404),
         target="batch", params={"level": "city"}, data={"batch": "no-such-batch"}),
    Case("funds/disbursements/<str:level>.xlsx", "GET", (LOGIN, 404, 403, 403, 403, 403, 404),
         target="batch", params={"level": "province"}),
    Case("funds/disbursements/<str:level>.xlsx", "GET", (LOGIN, 400, 403, 403, 403, 403, 400),
         target="batch", params={"level": "city"}, data={"year": "20x5"}),
    Case("funds/disbursements/<str:level>.xlsx", "POST", ALL_405, target="batch", params={"level": "city"}),
    Case("applications/", "GET",              (LOGIN, 200,  200,  200,  Redirect("/reviews/"), 403, 200)),
    Case("applications/", "POST", ALL_405),
    Case("apply/<str:code>/<str:policy_id>/", "GET", FIRM_ONLY, target="batch"),
    Case("apply/<str:code>/<str:policy_id>/", "GET", (LOGIN, 403, 403, 404, 403, 403, 403), target="batch_missing"),
    Case("apply/<str:code>/<str:policy_id>/", "POST", FIRM_ONLY, target="batch", data={}),  # form errors
    Case("apply/<str:code>/<str:policy_id>/", "POST",
         (LOGIN, 403, 403, Redirect("/applications/*"), 403, 403, 403), target="batch", data=NEW_APPLICATION),
    Case("apply/<str:code>/<str:policy_id>/", "DELETE", ALL_405, target="batch"),
    Case("applications/<str:number>/", "GET", (LOGIN, 200,  200,  200,  404,  403,  200), target="app_submitted"),
    Case("applications/<str:number>/", "GET", (LOGIN, 404,  404,  200,  404,  403,  404), target="app_draft"),
    Case("applications/<str:number>/", "GET", (LOGIN, 200,  404,  404,  404,  403,  200), target="app_elsewhere"),
    Case("applications/<str:number>/", "GET", (LOGIN, 200,  200,  200,  200,  403,  200), target="app_expert"),
    Case("applications/<str:number>/", "GET", (LOGIN, 404,  404,  404,  404,  403,  404), target="app_missing"),
    Case("applications/<str:number>/", "POST", ALL_405, target="app_submitted"),
    Case("applications/<str:number>/edit/", "GET", FIRM_ONLY, target="app_draft"),
    Case("applications/<str:number>/edit/", "GET", (LOGIN, 403, 403, APP, 403, 403, 403),
         target="app_submitted"),  # no longer editable: back to its page with the message
    Case("applications/<str:number>/edit/", "GET", (LOGIN, 403, 403, 404, 403, 403, 403), target="app_elsewhere"),
    Case("applications/<str:number>/edit/", "POST", (LOGIN, 403, 403, APP, 403, 403, 403), target="app_draft",
         data=NEW_APPLICATION),
    Case("applications/<str:number>/edit/", "DELETE", ALL_405, target="app_draft"),
    # A move: the roles of the TRANSITIONS table (else 403), within scope (else 404); a move the
    # status refuses is the page again with the message (200).
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, APP, APP, 403, 403, 403, 403),
         target="app_submitted", params={"action": "town_pass"}),
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, APP, 404, 403, 403, 403, 403),
         target="app_elsewhere", params={"action": "town_pass"}),
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 200, 200, 403, 403, 403, 403),
         target="app_submitted", params={"action": "town_return"}),  # no reason: refused
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 403, 403, APP, 403, 403, 403),
         target="app_submitted", params={"action": "withdraw"}),
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 403, 403, 404, 403, 403, 403),
         target="app_elsewhere", params={"action": "withdraw"}),
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 403, 403, 200, 403, 403, 403),
         target="app_draft", params={"action": "submit"}),  # no declaration: refused
    Case("applications/<str:number>/actions/<str:action>/", "POST", BUREAU_ONLY,
         target="app_submitted", params={"action": "formal_pass"}),  # not in formal review yet: refused
    Case("applications/<str:number>/actions/<str:action>/", "POST", BUREAU_ONLY,
         target="app_submitted", params={"action": "approve"}),  # not accepted: refused
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 404, 404, 404, 404, 403, 404),
         target="app_submitted", params={"action": "close"}),  # follows the last payment, no page move
    Case("applications/<str:number>/actions/<str:action>/", "POST", (LOGIN, 404, 404, 404, 404, 403, 404),
         target="app_submitted", params={"action": "no-such-move"}),
    Case("applications/<str:number>/actions/<str:action>/", "GET", ALL_405,
         target="app_submitted", params={"action": "town_pass"}),
    Case("applications/<str:number>/materials/", "POST", FIRM_ONLY, target="app_draft"),  # no file: form errors
    Case("applications/<str:number>/materials/", "POST", (LOGIN, 403, 403, 404, 403, 403, 403),
         target="app_elsewhere"),
    Case("applications/<str:number>/materials/", "GET", ALL_405, target="app_draft"),
    Case("applications/<str:number>/materials/<int:material_id>/", "GET",
         (LOGIN, 200, 200, 200, 404, 403, 200), target="material"),
    Case("applications/<str:number>/materials/<int:material_id>/", "GET",
         (LOGIN, 200, 404, 404, 404, 403, 200), target="material_elsewhere"),
    Case("applications/<str:number>/materials/<int:material_id>/", "POST", ALL_405, target="material"),
    Case("applications/<str:number>/invoices/", "POST", (LOGIN, 403, 403, APP, 403, 403, 403), target="app_draft",
         data={"invoice-number": "33029999", "invoice-issued_on": "2025-03-01", "invoice-amount": "1000"}),
    Case("applications/<str:number>/invoices/", "POST", (LOGIN, 403, 403, 404, 403, 403, 403),
         target="app_elsewhere", data={}),
    Case("applications/<str:number>/invoices/", "GET", ALL_405, target="app_draft"),
    Case("applications/<str:number>/invoices/<int:invoice_id>/delete/", "POST",
         (LOGIN, 403, 403, APP, 403, 403, 403), target="invoice"),
    Case("applications/<str:number>/invoices/<int:invoice_id>/delete/", "GET", ALL_405, target="invoice"),
    Case("applications/<str:number>/experts/", "POST", BUREAU_ONLY, target="app_expert", data={}),  # none chosen
    Case("applications/<str:number>/experts/", "POST", (LOGIN, 404, 403, 403, 403, 403, 403),
         target="app_missing", data={}),
    Case("applications/<str:number>/experts/", "GET", ALL_405, target="app_expert"),
    Case("applications/<str:number>/objections/", "POST", (LOGIN, APP, 403, 403, 403, 403, 403),
         target="objection", data={"objection-content": "公示期间收到的异议"}),
    Case("applications/<str:number>/objections/", "GET", ALL_405, target="objection"),
    Case("applications/<str:number>/objections/<int:objection_id>/resolve/", "POST",
         (LOGIN, APP, 403, 403, 403, 403, 403), target="objection",
         data={"__prefix__-upheld": "no", "__prefix__-resolution": "经核实不成立"}),
    Case("applications/<str:number>/objections/<int:objection_id>/resolve/", "GET", ALL_405, target="objection"),
    Case("applications/<str:number>/shares/<int:share_id>/pay/", "POST",
         (LOGIN, APP, 403, 403, 403, 403, 403), target="share",
         data={"__prefix__-reference": "ZF-MATRIX", "__prefix__-idempotency_key": "matrix-pay"}),
    Case("applications/<str:number>/shares/<int:share_id>/pay/", "POST", BUREAU_ONLY, target="share",
         data={}),  # no reference: refused
    Case("applications/<str:number>/shares/<int:share_id>/pay/", "GET", ALL_405, target="share"),
    Case("reviews/", "GET", EXPERT_ONLY),
    Case("reviews/", "POST", ALL_405),
    Case("reviews/<int:review_id>/", "GET", EXPERT_ONLY, target="review"),
    Case("reviews/<int:review_id>/", "POST", EXPERT_ONLY, target="review", data={}),  # no declaration: refused
    Case("reviews/<int:review_id>/", "GET", (LOGIN, 403, 403, 403, 404, 403, 403), target="review_other"),
    Case("reviews/<int:review_id>/", "DELETE", ALL_405, target="review"),
    Case("notices/", "GET", FIRM_ONLY),
    Case("notices/", "POST", ALL_405),
    Case("notices/read/", "POST", (LOGIN, 403, 403, Redirect("/notices/"), 403, 403, 403)),
    Case("notices/read/", "GET", ALL_405),
    # the enterprise's opt-out of pushed policy notices (its own enterprise only)
    Case("notices/push-preference/", "POST", (LOGIN, 403, 403, Redirect("/notices/"), 403, 403, 403),
         data={"opted_out": "1"}),
    Case("notices/push-preference/", "GET", ALL_405),
    Case("funds/", "GET", FUNDS_READERS),
    Case("funds/", "POST", ALL_405),
    Case("funds/allocations/", "POST", (LOGIN, Redirect("/funds/"), 403, 403, 403, 403, 403), data=NEW_ALLOCATION),
    Case("funds/allocations/", "POST", BUREAU_ONLY, data={}),  # form errors
    Case("funds/allocations/", "GET", ALL_405),
    Case("funds/disbursements/", "POST", BUREAU_ONLY, data={}),  # nothing in disbursement: an empty report
    Case("funds/disbursements/", "GET", ALL_405),
    # --- 政策找人: officers within their region (auditors read-only); the bureau starts runs, pushes
    # and creates 免申即享 awards. Targets: "run" a succeeded run of the county (version 1),
    # "run_missing" a version nobody has; "policy" cixi-2025-pilot (after that run), "policy_missing"
    # an id no edition has. A push or grant without a succeeded run: the page again, with the refusal.
    Case("matching/", "GET", OFFICERS),
    Case("matching/", "GET", OFFICERS, target="run"),
    Case("matching/", "POST", ALL_405),
    Case("matching/runs/", "POST",            (LOGIN, Redirect("/matching/runs/1/"), 403, 403, 403, 403, 403),
         data={"engine": "duckdb"}),
    Case("matching/runs/", "POST", BUREAU_ONLY, data={"engine": "hadoop"}),  # refused on the field
    Case("matching/runs/", "GET", ALL_405),
    Case("matching/runs/<int:version>/", "GET", OFFICERS, target="run"),
    Case("matching/runs/<int:version>/", "GET", (LOGIN, 404, 404, 403, 403, 403, 404), target="run_missing"),
    Case("matching/runs/<int:version>/", "POST", ALL_405, target="run"),
    Case("matching/push/", "POST", BUREAU_ONLY, target="run", data={"push-run": "1"}),  # what was sent
    Case("matching/push/", "POST", BUREAU_ONLY, data={"push-run": "1"}),  # no run yet: refused
    Case("matching/push/", "GET", ALL_405),
    Case("matching/auto-grants/", "POST", BUREAU_ONLY, target="run", data={"grant-run": "1"}),
    Case("matching/auto-grants/", "POST", BUREAU_ONLY, data={"grant-run": "1"}),  # no run yet: refused
    Case("matching/auto-grants/", "GET", ALL_405),
    Case("matching/changes/", "GET", OFFICERS),
    Case("matching/changes/", "GET", OFFICERS, target="run", data={"run": "1", "kind": "new"}),
    Case("matching/changes/", "GET", (LOGIN, 404, 404, 403, 403, 403, 404), data={"run": "9"}),
    Case("matching/changes/", "POST", ALL_405),
    Case("matching/policies/<str:policy_id>/", "GET", OFFICERS, target="policy"),
    Case("matching/policies/<str:policy_id>/", "GET", OFFICERS, target="policy",
         data={"town": "cixi-zhouxiang"}),  # another town: an empty list for the town officer
    Case("matching/policies/<str:policy_id>/", "GET", (LOGIN, 404, 404, 403, 403, 403, 404),
         target="policy_missing"),
    Case("matching/policies/<str:policy_id>/", "POST", ALL_405, target="policy"),
    Case("matching/policies/<str:policy_id>/export.xlsx", "GET", OFFICERS, target="policy"),
    Case("matching/policies/<str:policy_id>/export.xlsx", "GET", (LOGIN, 200, 404, 403, 403, 403, 200),
         target="policy", data={"town": "cixi-zhouxiang"}),  # outside the town officer's town
    Case("matching/policies/<str:policy_id>/export.xlsx", "GET", (LOGIN, 404, 404, 403, 403, 403, 404),
         target="policy_missing"),
    Case("matching/policies/<str:policy_id>/export.xlsx", "POST", ALL_405, target="policy"),
    # --- 活动与人才: officers within their region (auditors read-only); the bureau and town officers
    # record events, registrations, attendance, classes, trainees' outcome and certifications. Targets:
    # "activity_event"/"activity_class" in 观海卫镇 (the town officer's), "…_elsewhere" in 周巷镇, "…_missing"
    # an id nobody has. A region outside the town officer's town is not a choice: the form again (200).
    Case("activities/", "GET", OFFICERS),
    Case("activities/", "GET", OFFICERS, data={"region": "cixi-zhouxiang", "kind": "onsite"}),
    Case("activities/", "POST", ALL_405),
    Case("activities/events/new/", "GET", EDITORS),
    Case("activities/events/new/", "POST", ACTIVITY_SAVED_EVENT, data=NEW_EVENT),
    Case("activities/events/new/", "POST", (LOGIN, TO_EVENT, 200, 403, 403, 403, 403),
         data={**NEW_EVENT, "region": "cixi-zhouxiang"}),
    Case("activities/events/new/", "POST", EDITORS, data={}),  # form errors
    Case("activities/events/new/", "DELETE", ALL_405),
    Case("activities/events/<int:pk>/", "GET", OFFICERS, target="activity_event"),
    Case("activities/events/<int:pk>/", "GET", ACTIVITY_VIEW_ELSEWHERE, target="activity_event_elsewhere"),
    Case("activities/events/<int:pk>/", "GET", ACTIVITY_MISSING, target="activity_event_missing"),
    Case("activities/events/<int:pk>/", "POST", ALL_405, target="activity_event"),
    Case("activities/events/<int:pk>/registrations/", "POST", ACTIVITY_SAVED_EVENT, target="activity_event",
         data={"attendee_name": "矩阵参会人", "attendee_phone": "13800000000"}),
    Case("activities/events/<int:pk>/registrations/", "POST", (LOGIN, TO_EVENT, 404, 403, 403, 403, 403),
         target="activity_event_elsewhere", data={"attendee_name": "矩阵参会人"}),
    Case("activities/events/<int:pk>/registrations/", "POST", EDITORS, target="activity_event",
         data={}),  # form errors
    Case("activities/events/<int:pk>/registrations/", "POST", EDITORS, target="activity_event",
         data={"attendee_name": "矩阵已报名", "enterprise": "慈溪市甲汽配有限公司"}),  # registered: refused
    Case("activities/events/<int:pk>/registrations/", "POST", ACTIVITY_EDIT_MISSING,
         target="activity_event_missing", data={"attendee_name": "矩阵参会人"}),
    Case("activities/events/<int:pk>/registrations/", "GET", ALL_405, target="activity_event"),
    Case("activities/events/<int:pk>/registrations/<int:registration_id>/attendance/", "POST",
         ACTIVITY_SAVED_EVENT, target="activity_event", data={"attended": "1"}),
    Case("activities/events/<int:pk>/registrations/<int:registration_id>/attendance/", "POST",
         (LOGIN, TO_EVENT, 404, 403, 403, 403, 403), target="activity_event_elsewhere", data={"attended": "1"}),
    Case("activities/events/<int:pk>/registrations/<int:registration_id>/attendance/", "POST",
         ACTIVITY_EDIT_MISSING, target="activity_event_missing", data={"attended": "1"}),
    Case("activities/events/<int:pk>/registrations/<int:registration_id>/attendance/", "GET", ALL_405,
         target="activity_event"),
    Case("activities/classes/new/", "GET", EDITORS),
    Case("activities/classes/new/", "POST", ACTIVITY_SAVED_CLASS, data=NEW_CLASS),
    Case("activities/classes/new/", "POST", (LOGIN, TO_CLASS, 200, 403, 403, 403, 403),
         data={**NEW_CLASS, "region": "cixi-zhouxiang"}),
    Case("activities/classes/new/", "POST", EDITORS, data={**NEW_CLASS, "ends_on": "2024-01-01"}),  # refused
    Case("activities/classes/new/", "DELETE", ALL_405),
    Case("activities/classes/<int:pk>/", "GET", OFFICERS, target="activity_class"),
    Case("activities/classes/<int:pk>/", "GET", ACTIVITY_VIEW_ELSEWHERE, target="activity_class_elsewhere"),
    Case("activities/classes/<int:pk>/", "GET", ACTIVITY_MISSING, target="activity_class_missing"),
    Case("activities/classes/<int:pk>/", "POST", ALL_405, target="activity_class"),
    Case("activities/classes/<int:pk>/trainees/", "POST", ACTIVITY_SAVED_CLASS, target="activity_class",
         data={"name": "矩阵学员", "origin": "student"}),
    Case("activities/classes/<int:pk>/trainees/", "POST", (LOGIN, TO_CLASS, 404, 403, 403, 403, 403),
         target="activity_class_elsewhere", data={"name": "矩阵学员", "origin": "student"}),
    Case("activities/classes/<int:pk>/trainees/", "POST", EDITORS, target="activity_class", data={}),
    Case("activities/classes/<int:pk>/trainees/", "POST", ACTIVITY_EDIT_MISSING,
         target="activity_class_missing", data={"name": "矩阵学员", "origin": "student"}),
    Case("activities/classes/<int:pk>/trainees/", "GET", ALL_405, target="activity_class"),
    Case("activities/classes/<int:pk>/trainees/<int:trainee_id>/outcome/", "POST", ACTIVITY_SAVED_CLASS,
         target="activity_class", data={"completed": "on", "employed": "on", "employer": "矩阵就业单位"}),
    Case("activities/classes/<int:pk>/trainees/<int:trainee_id>/outcome/", "POST",
         (LOGIN, TO_CLASS, 404, 403, 403, 403, 403), target="activity_class_elsewhere", data={"completed": "on"}),
    Case("activities/classes/<int:pk>/trainees/<int:trainee_id>/outcome/", "POST", ACTIVITY_EDIT_MISSING,
         target="activity_class_missing", data={"completed": "on"}),
    Case("activities/classes/<int:pk>/trainees/<int:trainee_id>/outcome/", "GET", ALL_405,
         target="activity_class"),
    Case("activities/certifications/", "GET", OFFICERS),
    Case("activities/certifications/", "GET", OFFICERS, data={"year": "2024", "level": "4"}),
    Case("activities/certifications/", "POST", (LOGIN, TO_CERTIFICATIONS, TO_CERTIFICATIONS, 403, 403, 403, 403),
         data=NEW_CERTIFICATION),
    Case("activities/certifications/", "POST", (LOGIN, TO_CERTIFICATIONS, 200, 403, 403, 403, 403),
         data={**NEW_CERTIFICATION, "region": "cixi-zhouxiang"}),
    Case("activities/certifications/", "POST", EDITORS, data={}),  # form errors
    Case("activities/certifications/", "PUT", ALL_405),
    # --- 智能应答: the 政策问答 panel for every signed-in role; the public policy page for everyone,
    # signed in or not (anonymous asks are limited per session); documents, unanswered questions and
    # curated FAQ answers for the bureau. A refused form (no file, no question): the page again.
    Case("qa/", "GET", ALL_200),
    Case("qa/", "POST", ALL_200, data={"question": QA_QUESTION}),
    Case("qa/", "PUT", ALL_405),
    Case("policy-qa/", "GET", (200,) * 7),
    Case("policy-qa/", "POST", (200,) * 7, data={"question": QA_QUESTION}),
    Case("policy-qa/", "DELETE", ALL_405),
    Case("qa/documents/", "GET", BUREAU_ONLY),
    Case("qa/documents/", "POST", BUREAU_ONLY, data={"title": "无文件"}),  # no file: the page with the error
    Case("qa/documents/", "PUT", ALL_405),
    Case("qa/unanswered/", "GET", BUREAU_ONLY),
    Case("qa/unanswered/", "GET", BUREAU_ONLY, data={"show": "resolved"}),
    Case("qa/unanswered/", "POST", ALL_405),
    Case("qa/faqs/new/", "GET", BUREAU_ONLY),
    Case("qa/faqs/new/", "POST", (LOGIN, Redirect("/qa/unanswered/"), 403, 403, 403, 403, 403), data=NEW_FAQ),
    Case("qa/faqs/new/", "POST", BUREAU_ONLY, data={}),  # form errors
    Case("qa/faqs/new/", "DELETE", ALL_405),
    # --- 同级比较 (cockpit/peers): a rank compares counties, so officers at county level or above see
    # it (bureau, auditor); a town officer gets a 403, not a town's list. The bureau uploads (no file:
    # the page with the error) and downloads the template.
    # 统计驾驶舱: officers within their region; allocations are county-wide (a town officer: 404)
    Case("cockpit/", "GET", OFFICERS),
    Case("cockpit/", "GET", OFFICERS, data={"from": "2024", "to": "2025"}),
    Case("cockpit/", "GET",                   (LOGIN, 400,  400,  403,  403,  403,  400), data={"from": "2026", "to": "2024"}),
    Case("cockpit/", "POST", ALL_405),
    Case("cockpit/records/<str:key>/", "GET", OFFICERS, params={"key": "qual_new.national_tech_sme"},
         data={"from": "2024"}),
    Case("cockpit/records/<str:key>/", "GET", (LOGIN, 200,  404,  403,  403,  403,  200), params={"key": "alloc.amount"}),
    Case("cockpit/records/<str:key>/", "GET", (LOGIN, 404,  404,  403,  403,  403,  404), params={"key": "no.such"}),
    Case("cockpit/records/<str:key>/", "POST", ALL_405, params={"key": "paid.amount"}),
    Case("cockpit/records/<str:key>/export.xlsx", "GET", OFFICERS, params={"key": "paid.amount"}),
    Case("cockpit/records/<str:key>/export.xlsx", "GET", (LOGIN, 200, 404, 403, 403, 403, 200),
         params={"key": "alloc.amount.all.central"}),
    Case("cockpit/records/<str:key>/export.xlsx", "POST", ALL_405, params={"key": "paid.amount"}),
    Case("cockpit/peers/", "GET",             (LOGIN, 200,  403,  403,  403,  403,  200)),
    Case("cockpit/peers/", "GET",             (LOGIN, 200,  403,  403,  403,  403,  200), data={"year": "2025"}),
    Case("cockpit/peers/", "POST", BUREAU_ONLY, data={}),
    Case("cockpit/peers/", "PUT", ALL_405),
    Case("cockpit/peers/template.xlsx", "GET", BUREAU_ONLY),
    Case("cockpit/peers/template.xlsx", "POST", ALL_405),
    # --- 统计报告 (cockpit/reports): officers build a report of their own region in the background; a
    # task is its starter's only. Targets: "report" a finished report task of the bureau officer's with
    # its Word file on disk, "report_other" one nobody here started. Bad years: the form again.
    Case("cockpit/reports/", "GET", OFFICERS),
    Case("cockpit/reports/", "POST", (LOGIN, REPORT_STARTED, REPORT_STARTED, 403, 403, 403, REPORT_STARTED),
         data={"from": "2024", "to": "2025"}),
    Case("cockpit/reports/", "POST", OFFICERS, data={"from": "2025", "to": "2024"}),
    Case("cockpit/reports/", "PUT", ALL_405),
    Case("cockpit/reports/<uuid:task_id>/", "GET", REPORT_OWNER, target="report"),
    Case("cockpit/reports/<uuid:task_id>/", "GET", REPORT_NOBODY, target="report_other"),
    Case("cockpit/reports/<uuid:task_id>/", "POST", ALL_405, target="report"),
    Case("cockpit/reports/<uuid:task_id>/<str:fmt>", "GET", REPORT_OWNER, target="report", params={"fmt": "docx"}),
    Case("cockpit/reports/<uuid:task_id>/<str:fmt>", "GET", REPORT_NOBODY, target="report", params={"fmt": "pdf"}),
    Case("cockpit/reports/<uuid:task_id>/<str:fmt>", "GET", REPORT_NOBODY, target="report", params={"fmt": "exe"}),
    Case("cockpit/reports/<uuid:task_id>/<str:fmt>", "GET", REPORT_NOBODY, target="report_other",
         params={"fmt": "docx"}),
    Case("cockpit/reports/<uuid:task_id>/<str:fmt>", "POST", ALL_405, target="report", params={"fmt": "docx"}),
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


def _report_task(owner_id: int | None) -> str:
    """A finished report task with its Word file on disk (no PDF: that download is a 404)."""
    job = BackgroundTask.objects.create(
        id=uuid.uuid4(),
        kind=REPORT_TASK,
        owner_id=owner_id,
        status=BackgroundTask.Status.SUCCEEDED,
        params={"from": 2024, "to": 2025, "region": None},
        result={"title": "矩阵报告", "files": {"docx": "矩阵报告.docx", "pdf": "矩阵报告.pdf"}, "figures": 0},
    )
    folder = report_dir(job.pk)
    folder.mkdir(parents=True)
    (folder / "矩阵报告.docx").write_bytes(b"PK\x03\x04")
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


APPLICATION_TARGETS = {
    "batch", "batch_missing", "app_draft", "app_submitted", "app_elsewhere", "app_expert", "app_missing",
    "material", "material_elsewhere", "invoice", "review", "review_other", "objection", "share",
}  # fmt: skip


def _application_params(target: str, county: County) -> dict[str, str]:
    """Route parameters for the 申报 rows; the records are made through the real services."""
    u = county.users
    bureau, firm = u["bureau_officer"], u["enterprise"]
    batch = open_batch(code="matrix-batch", acting_user=bureau)
    params = {"code": batch.code, "policy_id": "cixi-2025-new-it"}
    if target == "batch":
        return params
    if target == "batch_missing":
        return {**params, "code": "no-such-batch"}
    if target == "app_missing":
        return {**params, "number": "SB2099999999"}
    roles: dict[str, Any] = {"firm": firm, "town": u["town_officer"], "bureau": bureau, "expert": u["expert"]}
    if target in {"app_elsewhere", "material_elsewhere"}:
        owner = make_user(Role.ENTERPRISE, username="matrix_elsewhere", enterprise=county.elsewhere)
        app = draft(batch=batch, enterprise=county.elsewhere, firm=owner)
        roles = {"firm": owner, "bureau": bureau}
    else:
        app = draft(batch=batch, enterprise=county.own, firm=firm)
    stage = {
        "app_draft": Status.DRAFT,
        "invoice": Status.DRAFT,
        "app_expert": Status.EXPERT_REVIEW,
        "review": Status.EXPERT_REVIEW,
        "review_other": Status.EXPERT_REVIEW,
        "objection": Status.PUBLIC_NOTICE,
        "share": Status.DISBURSING,
    }.get(target, Status.SUBMITTED)
    if stage in {Status.PUBLIC_NOTICE, Status.DISBURSING}:
        allocate(programme="new-it", year=batch.year)
    app = advance(app, stage, **roles)
    params["number"] = app.number
    if target.startswith("material"):
        params["material_id"] = str(app.materials.get().pk)
    elif target == "invoice":
        invoice = invoice_add(
            acting_user=firm, application=app, number="33020001", issued_on=dt.date(2025, 3, 1), amount="1000"
        )
        params["invoice_id"] = str(invoice.pk)
    elif stage == Status.EXPERT_REVIEW:
        (mine,) = expert_assign(acting_user=bureau, application=app, experts=[u["expert"]])
        (theirs,) = expert_assign(
            acting_user=bureau, application=app, experts=[make_user(Role.EXPERT, username="matrix_expert2")]
        )
        params["review_id"] = str((theirs if target == "review_other" else mine).pk)
    elif target == "objection":
        objection = objection_record(acting_user=bureau, application=app, content="公示期间收到的异议")
        params["objection_id"] = str(objection.pk)
    elif target == "share":
        params["share_id"] = str(app.award.shares.order_by("level").first().pk)  # type: ignore[union-attr]
    return params


MATCHING_TARGETS = {"run", "run_missing", "policy", "policy_missing"}


def _matching_params(target: str) -> dict[str, str]:
    """Route parameters for the 政策找人 rows: a succeeded run of the county, made by the service."""
    if target in {"run", "policy"}:
        match_run(acting_user=None)
    return {
        "version": "99" if target == "run_missing" else "1",
        "policy_id": "no-such-policy" if target == "policy_missing" else "cixi-2025-pilot",
    }


ACTIVITY_TARGETS = {
    "activity_event", "activity_event_elsewhere", "activity_event_missing",
    "activity_class", "activity_class_elsewhere", "activity_class_missing",
}  # fmt: skip


def _activity_params(target: str, county: County) -> dict[str, str]:
    """Route parameters for the 活动与人才 rows: an event with one registration (of the town's
    enterprise) or a class with one trainee, in 观海卫镇 or 周巷镇, made by the services."""
    if target.endswith("_missing"):
        return {"pk": "999999", "registration_id": "999999", "trainee_id": "999999"}
    elsewhere = target.endswith("_elsewhere")
    region = "cixi-zhouxiang" if elsewhere else "cixi-guanhaiwei"
    firm = county.elsewhere if elsewhere else county.own
    if target.startswith("activity_event"):
        event = event_create(
            acting_user=None, kind="onsite", title="矩阵现场会", held_on=dt.date(2024, 5, 20), region=region
        )
        registration = registration_add(
            acting_user=None, event=event, enterprise=firm, attendee_name="矩阵已报名"
        )
        return {"pk": str(event.pk), "registration_id": str(registration.pk)}
    training_class = training_class_create(
        acting_user=None,
        name="矩阵培训班",
        region=region,
        starts_on=dt.date(2024, 3, 1),
        ends_on=dt.date(2024, 6, 30),
    )
    trainee = trainee_add(acting_user=None, training_class=training_class, name="矩阵学员", origin="student")
    return {"pk": str(training_class.pk), "trainee_id": str(trainee.pk)}


def _url(case: Case, county: County) -> str:
    if case.target in {"user", "user_peer", "user_above", "self"}:
        return "/" + _PARAM.sub(_user_target(case.target, county), case.route)
    if case.target == "token_other":
        token, _ = api_token_create(acting_user=None, user=make_user(Role.EXPERT, username="matrix_owner"))
        return "/" + _PARAM.sub(str(token.pk), case.route)
    if case.target in {"edition", "draft", "edition_missing"}:
        edition_id = _edition_target(case.target, county)
        held = {"policy": f"{edition_id}-ai", "step": "cap"}  # <policy>/<step>: the edition's AI cap
        return "/" + _PARAM.sub(lambda m: held.get(m.group(1), edition_id), case.route)
    if case.target in APPLICATION_TARGETS:
        params = {**_application_params(case.target, county), **(case.params or {})}
        return "/" + _PARAM.sub(lambda m: params[m.group(1)], case.route)
    if case.target in {"report", "report_other"}:
        owner = county.users["bureau_officer"].pk if case.target == "report" else None
        params = {"task_id": _report_task(owner), **(case.params or {})}
        return "/" + _PARAM.sub(lambda m: params[m.group(1)], case.route)
    if case.target.startswith("task"):
        owner = county.users["bureau_officer"].pk if case.target == "task" else None
        return "/" + _PARAM.sub(_import_task(owner), case.route)
    if case.target in MATCHING_TARGETS:
        params = _matching_params(case.target)
        return "/" + _PARAM.sub(lambda m: params[m.group(1)], case.route)
    if case.target in ACTIVITY_TARGETS:
        params = _activity_params(case.target, county)
        return "/" + _PARAM.sub(lambda m: params[m.group(1)], case.route)
    if not case.target and case.params:  # route parameters given by the row itself
        params = case.params
        return "/" + _PARAM.sub(lambda m: params[m.group(1)], case.route)
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
    if case.route.startswith("api/") and case.data is not None and case.method != "GET":
        body = json.dumps(case.data, ensure_ascii=False)
        return client.generic(case.method, url, body, content_type="application/json", headers=headers)
    if case.method == "POST":
        data = case.data or {}
        if any(k.startswith("__prefix__") for k in data):  # a form prefixed by its record's id
            key = {"objections": "resolve", "shares": "pay"}[url.split("/")[3]]
            prefix = f"{key}-{url.split('/')[4]}"
            data = {k.replace("__prefix__", prefix): v for k, v in data.items()}
        return client.post(url, data, headers=headers)
    if case.method == "GET" and case.data:
        return client.get(url, case.data, headers=headers)
    return client.generic(case.method, url, headers=headers)


_USERNAMES = {
    "bureau_officer": "bureau",
    "town_officer": "town",
    "enterprise": "firm",
    "expert": "expert",
    "service_provider": "provider",
    "auditor": "auditor",
}


def _mismatch(response: TestResponse, expected: Outcome, county: County, url: str = "") -> str | None:
    if isinstance(expected, Redirect):
        location = response.get("Location", "")
        target = expected.to.replace("{own}", county.own.uscc)
        if "{app}" in target:  # the application's page: /applications/<number>/ from the URL
            target = target.replace("{app}", "/".join(url.split("/")[:3]) + "/")
        prefix = expected is LOGIN or target.endswith("*")
        ok = response.status_code == 302 and (
            location.startswith(target.rstrip("*")) if prefix else location == target
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


@pytest.fixture(autouse=True)
def _materials_dir(settings: Any, tmp_path: Any) -> None:
    """Uploaded materials of the 申报 rows, and the snapshots of the 政策找人 rows' runs, go to
    the test's own folder."""
    settings.MATERIALS_DIR = tmp_path / "materials"
    settings.SHUZHUAN_MATCH_DIR = str(tmp_path / "matching")
    settings.SHUZHUAN_REPORT_DIR = str(tmp_path / "reports")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_authorization_matrix(case: Case, county: County) -> None:
    clients = _Clients(county)
    url = _url(case, county)
    problems = []
    for role, expected in zip(ROLES, case.expect, strict=True):
        client = clients.session(role)
        with _rolled_back():
            response = _request(client, case, url, role, {})
        if (problem := _mismatch(response, expected, county, url)) is not None:
            problems.append(f"{role:<17} session: {problem}")
        if case.bearer:
            headers = clients.bearer(role)
            with _rolled_back():
                response = _request(Client(), case, url, role, headers)
            if (problem := _mismatch(response, expected, county, url)) is not None:
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
