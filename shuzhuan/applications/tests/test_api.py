"""The 申报 API: a whole line from draft to an approved amount with the bearer tokens of each
role, the fields of an application, amounts in and out, and refusals that name their field.
(Who gets which status code on every operation is in tests/test_authorization_matrix.py.)"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from conftest import County
from shuzhuan.accounts.models import Role
from shuzhuan.accounts.services import api_token_create
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, PolicyBatch
from shuzhuan.applications.tests.factories import advance, draft, open_batch, pdf
from shuzhuan.funds.tests.factories import allocate

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as TestResponse

pytestmark = pytest.mark.django_db

SCORES = {"necessity": 18, "solution": 25, "investment": 16, "outcome": 17, "foundation": 8}  # 84


@dataclass
class Api:
    """Calls with ``Authorization: Bearer`` as one of the county's users."""

    county: County
    tokens: dict[str, str] = field(default_factory=dict)

    def __call__(self, role: str, method: str, url: str, body: Any = None, **params: Any) -> TestResponse:
        if role not in self.tokens:
            _, self.tokens[role] = api_token_create(acting_user=None, user=self.county.users[role])
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if method == "GET":
            return Client().get(url, params, headers=headers)
        data = None if body is None else json.dumps(body, ensure_ascii=False)
        return Client().generic(method, url, data or "", content_type="application/json", headers=headers)

    def ok(self, role: str, method: str, url: str, body: Any = None, expect: int = 200, **params: Any) -> Any:
        response = self(role, method, url, body, **params)
        assert response.status_code == expect, response.content.decode()
        return response.json() if response.content else None

    def refused(
        self, role: str, method: str, url: str, body: Any = None, expect: int = 400
    ) -> dict[str, Any]:
        response = self(role, method, url, body)
        assert response.status_code == expect, response.content.decode()
        error: dict[str, Any] = response.json()["error"]
        return error


@pytest.fixture
def api(county: County) -> Api:
    return Api(county)


@pytest.fixture
def batch(county: County) -> PolicyBatch:
    return open_batch(
        code="api-2025", acting_user=county.users["bureau_officer"], policy_ids=["cixi-2025-new-it"]
    )


NEW = {
    "batch": "api-2025",
    "policy_id": "cixi-2025-new-it",
    "project_name": "智能车间改造项目",
    "kinds": ["new_it"],
    "declared_investment": 800000,
}


def _today() -> str:
    return timezone.localdate().isoformat()


def _app(number: str) -> Application:
    return Application.objects.get(number=number)


def test_a_whole_line_from_draft_to_an_approved_amount(county: County, api: Api, batch: PolicyBatch) -> None:
    allocate(programme="new-it", year=2025)

    # The enterprise finds the open batch and saves a draft.
    (listed,) = api.ok("enterprise", "GET", "/api/batches")
    assert listed["code"] == "api-2025" and listed["status"] == "open"
    assert listed["policies"] == [{"id": "cixi-2025-new-it", "title": "新一代信息技术数字化改造项目补助"}]
    assert listed["funding_split"] == {"central": "0.5", "city": "0.25", "county": "0.25"}
    assert listed["required_materials"] == [{"code": "plan", "label": "项目实施方案", "required": True}]
    created = api.ok("enterprise", "POST", "/api/applications", NEW, expect=201)
    number = created["number"]
    base = f"/api/applications/{number}"
    assert created["status"] == "draft" and created["declared_investment"] == "800000.00"
    assert (created["enterprise"], created["town"]) == (county.own.uscc, "cixi-guanhaiwei")
    assert created["policy_title"] == "新一代信息技术数字化改造项目补助"
    assert created["can_edit"] and created["can_edit_invoices"]
    assert {a["action"]: a["path"] for a in created["actions"]} == {
        "submit": f"{base}/submit",
        "withdraw": f"{base}/transitions/withdraw",
    }
    # A draft is the enterprise's own: nobody else finds it.
    for role in ("town_officer", "bureau_officer", "auditor", "expert"):
        assert api.refused(role, "GET", base, expect=404)["code"] == "not_found"

    # Editing the draft: only the fields sent; amounts as text with separators.
    changed = api.ok("enterprise", "PATCH", base, {"declared_investment": "750,000.5"})
    assert changed["declared_investment"] == "750000.50" and changed["project_name"] == NEW["project_name"]
    api.ok("enterprise", "PATCH", base, {"declared_investment": 800000})

    # The pre-check: the engine's estimate from the declared investment, and what is missing.
    pre = api.ok("enterprise", "GET", f"{base}/precheck")
    assert (pre["eligible"], pre["ceiling"], pre["edition"]) == (True, "160000.00", "cixi-2025")
    assert [s["name"] for s in pre["steps"]] == ["threshold", "basis", "rate", "cap", "ceiling"]
    assert pre["steps"][1]["value"] == "800000.00" and pre["steps"][2]["value"] == "0.2"
    assert pre["missing"] == ["缺少申报材料：项目实施方案", "尚未录入发票（验收前须录入）"]

    # Submitting needs the materials and the declaration.
    assert api.refused("enterprise", "POST", f"{base}/submit", {"declaration": True})["field"] == "materials"
    # (Materials are uploaded on the application's page: a file, not JSON.)
    svc.material_upload(
        acting_user=county.users["enterprise"], application=_app(number), kind="plan", upload=pdf()
    )
    invoice = api.ok(
        "enterprise",
        "POST",
        f"{base}/invoices",
        {"number": "3302 0001", "issued_on": _today(), "amount": 800000, "seller": "宁波某软件公司"},
        expect=201,
    )
    assert invoice["number"] == "33020001" and invoice["amount"] == "800000.00"
    extra = api.ok(
        "enterprise",
        "POST",
        f"{base}/invoices",
        {"number": "33020002", "issued_on": _today(), "amount": "1.5"},
        201,
    )
    assert api("enterprise", "DELETE", f"{base}/invoices/{extra['id']}").status_code == 204
    assert (
        api.refused("enterprise", "DELETE", f"{base}/invoices/{extra['id']}", expect=404)["code"]
        == "not_found"
    )
    assert api.refused("enterprise", "POST", f"{base}/submit", {})["field"] == "declaration"
    submitted = api.ok("enterprise", "POST", f"{base}/submit", {"declaration": True})
    assert submitted["status"] == "submitted" and submitted["declaration_accepted"]
    assert not submitted["can_edit"]
    assert api.refused("enterprise", "PATCH", base, {"project_name": "改名"})["field"] == "status"
    assert [m["kind_label"] for m in submitted["materials"]] == ["项目实施方案"]
    assert (
        submitted["materials"][0]["download_url"]
        == f"/applications/{number}/materials/{submitted['materials'][0]['id']}/"
    )

    # The town officer pre-reviews: a reason is needed to return it; the bureau's move is not theirs.
    queue = api.ok("town_officer", "GET", "/api/applications")
    assert [a["number"] for a in queue["items"]] == [number]
    town_view = api.ok("town_officer", "GET", base)
    assert {a["action"] for a in town_view["actions"]} == {"town_pass", "town_return"}
    assert (
        api.refused("town_officer", "POST", f"{base}/transitions/formal_pass", {}, expect=403)["code"]
        == "forbidden"
    )
    assert api.refused("town_officer", "POST", f"{base}/transitions/town_return", {})["field"] == "reason"
    assert api.ok("town_officer", "POST", f"{base}/transitions/town_pass", {})["status"] == "formal_review"

    # The bureau: formal review, experts (assigned and scored through the services), inclusion.
    api.ok("bureau_officer", "POST", f"{base}/transitions/formal_pass", {"reason": "材料齐全"})
    assert api.refused("bureau_officer", "POST", f"{base}/include")["field"] == "experts"
    expert = county.users["expert"]
    (review,) = svc.expert_assign(
        acting_user=county.users["bureau_officer"], application=_app(number), experts=[expert]
    )
    svc.expert_review_submit(acting_user=expert, review=review, no_conflict=True, scores=SCORES)
    assert [a["number"] for a in api.ok("expert", "GET", "/api/applications")["items"]] == [number]
    included = api.ok("bureau_officer", "POST", f"{base}/include")
    assert (included["status"], included["expert_score"]) == ("included", "84.00")

    # The enterprise implements the project and asks for acceptance.
    assert api.ok("enterprise", "POST", f"{base}/transitions/start")["status"] == "implementing"
    assert api.ok("enterprise", "POST", f"{base}/request-acceptance")["status"] == "acceptance_requested"

    # Acceptance: the verified investment (a number), never above the declared one.
    error = api.refused("bureau_officer", "POST", f"{base}/transitions/accept", {})
    assert error["field"] == "action" and f"POST {base}/accept" in error["message"]
    bad = {"verified_investment": 900000, "notes": "现场核查"}
    assert api.refused("bureau_officer", "POST", f"{base}/accept", bad)["field"] == "verified_investment"
    assert (
        api.refused("bureau_officer", "POST", f"{base}/accept", {"verified_investment": 700000})["field"]
        == "notes"
    )
    accepted = api.ok(
        "bureau_officer", "POST", f"{base}/accept", {"verified_investment": 700000, "notes": "现场核查"}
    )
    assert accepted["status"] == "accepted"
    assert (accepted["verified_investment"], accepted["ceiling"]) == ("700000.00", "140000.00")
    assert (accepted["accepted_on"], accepted["ceiling_edition"]) == (_today(), "cixi-2025")
    assert {a["action"]: a["path"] for a in accepted["actions"]} == {"approve": f"{base}/approve"}
    assert api("enterprise", "GET", base).json()["actions"] == []

    # Approval through funds.services.award_approve: at or below the ceiling, a reason when below.
    assert (
        api.refused("enterprise", "POST", f"{base}/approve", {"amount": 1}, expect=403)["code"] == "forbidden"
    )
    assert api.refused("bureau_officer", "POST", f"{base}/approve", {"amount": "150000"})["field"] == "amount"
    assert api.refused("bureau_officer", "POST", f"{base}/approve", {"amount": 120000})["field"] == "reason"
    assert api.refused("bureau_officer", "POST", f"{base}/approve", {"amount": "1.234"})["field"] == "amount"
    approved = api.ok(
        "bureau_officer", "POST", f"{base}/approve", {"amount": "120,000.00", "reason": "部分投入与项目无关"}
    )
    assert (approved["status"], approved["approved_amount"]) == ("approved", "120000.00")
    assert approved["approved_reason"] == "部分投入与项目无关"
    assert {a["action"]: a["path"] for a in approved["actions"]} == {"start_notice": None, "revoke": None}

    # The record: every move, who made it and why.
    history = [(h["action"], h["from_status"], h["to_status"], h["actor"]) for h in approved["history"]]
    assert history == [
        ("submit", "draft", "submitted", "firm"),
        ("town_pass", "submitted", "formal_review", "town"),
        ("formal_pass", "formal_review", "expert_review", "bureau"),
        ("include", "expert_review", "included", "bureau"),
        ("start", "included", "implementing", "firm"),
        ("request_acceptance", "implementing", "acceptance_requested", "firm"),
        ("accept", "acceptance_requested", "accepted", "bureau"),
        ("approve", "accepted", "approved", "bureau"),
    ]
    assert approved["history"][2]["reason"] == "材料齐全"
    assert approved["history"][-1]["label"] == "核定金额"

    # The budgets: 120,000.00 committed 50/25/25 across the levels (auditors read them too).
    budgets = api.ok("auditor", "GET", "/api/funds/budgets", programme="new-it", year=2025)
    assert [(b["level"], b["committed"], b["paid"], b["outstanding"]) for b in budgets] == [
        ("central", "60000.00", "0.00", "60000.00"),
        ("city", "30000.00", "0.00", "30000.00"),
        ("county", "30000.00", "0.00", "30000.00"),
    ]
    assert (budgets[0]["allocated"], budgets[0]["remaining"]) == ("14230000.00", "14170000.00")
    assert budgets[0]["level_label"] == "中央"
    assert api.refused("town_officer", "GET", "/api/funds/budgets", expect=403)["code"] == "forbidden"


def test_scope_another_enterprise_or_town_is_a_404(county: County, api: Api, batch: PolicyBatch) -> None:
    owner = make_user(Role.ENTERPRISE, username="elsewhere_firm", enterprise=county.elsewhere)
    app = draft(batch=batch, enterprise=county.elsewhere, firm=owner)
    app = advance(app, "submitted", firm=owner)
    url = f"/api/applications/{app.number}"
    assert api.ok("bureau_officer", "GET", url)["town_name"] == "周巷镇"
    assert api.ok("auditor", "GET", url)["actions"] == []  # auditors read, never act
    for role in ("enterprise", "town_officer", "expert"):
        assert api.refused(role, "GET", url, expect=404)["message"] == "没有找到该申报，或您无权查看。"
    # A move the role may make, on an application outside the scope: 404, not a refusal.
    assert (
        api.refused("town_officer", "POST", f"{url}/transitions/town_pass", {}, expect=404)["code"]
        == "not_found"
    )
    assert (
        api.refused("enterprise", "POST", f"{url}/transitions/withdraw", {}, expect=404)["code"]
        == "not_found"
    )
    assert api.refused("service_provider", "GET", url, expect=403)["code"] == "forbidden"


def test_list_filters_and_pages(county: County, api: Api, batch: PolicyBatch) -> None:
    other = open_batch(
        code="api-2025-b", acting_user=county.users["bureau_officer"], policy_ids=["cixi-2025-ai"]
    )
    firms = {
        e.pk: make_user(Role.ENTERPRISE, username=f"firm_{i}", enterprise=e)
        for i, e in enumerate([county.own, county.neighbour, county.elsewhere])
    }
    numbers = {}
    for e in (county.own, county.neighbour, county.elsewhere):
        app = advance(draft(batch=batch, enterprise=e, firm=firms[e.pk]), "submitted", firm=firms[e.pk])
        numbers[e.name] = app.number
    ai = draft(
        batch=other,
        enterprise=county.own,
        policy_id="cixi-2025-ai",
        firm=firms[county.own.pk],
        kinds=["ai_model"],
    )
    advance(ai, "submitted", firm=firms[county.own.pk])
    svc.application_move(
        acting_user=county.users["town_officer"],
        application=_app(numbers[county.own.name]),
        action="town_pass",
    )

    def listed(role: str, **params: Any) -> list[str]:
        body = api.ok(role, "GET", "/api/applications", **params)
        return sorted(a["number"] for a in body["items"])

    assert len(listed("bureau_officer")) == 4
    assert listed("bureau_officer", town="cixi-zhouxiang") == [numbers[county.elsewhere.name]]
    assert listed("bureau_officer", batch="api-2025-b") == [ai.number]
    assert listed("bureau_officer", status="formal_review") == [numbers[county.own.name]]
    assert listed("bureau_officer", q=county.neighbour.uscc) == [numbers[county.neighbour.name]]
    assert len(listed("town_officer")) == 3  # 观海卫镇 only
    assert listed("town_officer", town="cixi-zhouxiang") == []  # a filter never widens the scope
    page = api.ok("bureau_officer", "GET", "/api/applications", page=2, page_size=3)
    assert (page["count"], len(page["items"])) == (4, 1)
    row = api.ok("bureau_officer", "GET", "/api/applications", batch="api-2025-b")["items"][0]
    assert set(row) == {
        "number", "batch", "policy_id", "enterprise", "enterprise_name", "town", "town_name", "status",
        "status_label", "project_name", "declared_investment", "verified_investment", "ceiling",
        "approved_amount", "submitted_at", "updated_at",
    }  # fmt: skip
    assert (row["status_label"], row["declared_investment"], row["ceiling"]) == (
        "待镇街预审",
        "800000.00",
        None,
    )


def test_batches_for_officers_include_those_not_open(county: County, api: Api, batch: PolicyBatch) -> None:
    closed = open_batch(code="api-closed", acting_user=county.users["bureau_officer"])
    svc.batch_set_status(acting_user=None, batch=closed, status=PolicyBatch.Status.CLOSED)
    assert sorted(b["code"] for b in api.ok("town_officer", "GET", "/api/batches")) == [
        "api-2025",
        "api-closed",
    ]
    assert [b["code"] for b in api.ok("enterprise", "GET", "/api/batches")] == ["api-2025"]
    assert api.ok("auditor", "GET", "/api/batches/api-closed")["status_label"] == "已截止"
    assert api.refused("enterprise", "GET", "/api/batches/api-closed", expect=404)["code"] == "not_found"
    assert api.refused("expert", "GET", "/api/batches", expect=403)["code"] == "forbidden"


def test_create_refusals_name_the_field(county: County, api: Api, batch: PolicyBatch) -> None:
    assert (
        api.refused("enterprise", "POST", "/api/applications", {**NEW, "batch": "nope"})["field"] == "batch"
    )
    assert (
        api.refused("enterprise", "POST", "/api/applications", {**NEW, "policy_id": "cixi-2025-ai"})["field"]
        == "policy_id"
    )
    no_name = {k: v for k, v in NEW.items() if k != "project_name"}
    assert api.refused("enterprise", "POST", "/api/applications", no_name)["field"] == "project_name"
    assert (
        api.refused("enterprise", "POST", "/api/applications", {**NEW, "kinds": ["blockchain"]})["field"]
        == "kinds"
    )
    for amount in ("abc", -1, "1.001"):
        error = api.refused("enterprise", "POST", "/api/applications", {**NEW, "declared_investment": amount})
        assert error["field"] == "declared_investment", amount
    assert (
        api.refused("enterprise", "POST", "/api/applications", {**NEW, "colour": "red"}, expect=422)["code"]
        == "validation"
    )
    assert api.refused("bureau_officer", "POST", "/api/applications", NEW, expect=403)["code"] == "forbidden"
    first = api.ok(
        "enterprise", "POST", "/api/applications", {**NEW, "declared_investment": 800000.5}, expect=201
    )
    assert first["declared_investment"] == "800000.50"
    error = api.refused("enterprise", "POST", "/api/applications", NEW)
    assert error["field"] == "policy_id" and "已有此项政策的申报" in error["message"]


def test_the_generic_move_takes_plain_moves_only(county: County, api: Api, batch: PolicyBatch) -> None:
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    base = f"/api/applications/{app.number}/transitions"
    error = api.refused("enterprise", "POST", f"{base}/submit", {})
    assert error["field"] == "action" and f"/api/applications/{app.number}/submit" in error["message"]
    assert (
        api.refused("bureau_officer", "POST", f"{base}/close", {}, expect=404)["code"] == "not_found"
    )  # a draft
    assert api.refused("enterprise", "POST", f"{base}/no-such-move", {}, expect=404)["code"] == "not_found"
    assert api.refused("enterprise", "POST", f"{base}/town_pass", {}, expect=403)["code"] == "forbidden"
    assert api.refused("service_provider", "POST", f"{base}/withdraw", {}, expect=403)["code"] == "forbidden"
    withdrawn = api.ok("enterprise", "POST", f"{base}/withdraw", {"reason": "项目调整"})
    assert withdrawn["status"] == "withdrawn" and withdrawn["history"][-1]["reason"] == "项目调整"
    error = api.refused("enterprise", "POST", f"{base}/withdraw", {})
    assert error["field"] == "status" and "已撤回" in error["message"]


def test_automatic_and_page_only_moves_say_where_they_are_made(
    county: County, api: Api, batch: PolicyBatch
) -> None:
    u = county.users
    allocate(programme="new-it", year=2025)
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=u["enterprise"]),
        "approved",
        firm=u["enterprise"],
        town=u["town_officer"],
        bureau=u["bureau_officer"],
        expert=u["expert"],
    )
    base = f"/api/applications/{app.number}/transitions"
    assert "请在申报页面办理" in api.refused("bureau_officer", "POST", f"{base}/start_notice", {})["message"]
    assert "自动办理" in api.refused("bureau_officer", "POST", f"{base}/close", {})["message"]


def test_a_session_write_needs_the_csrf_token(county: County, batch: PolicyBatch) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(county.users["enterprise"])
    body = json.dumps(NEW, ensure_ascii=False)
    response = client.post("/api/applications", body, content_type="application/json")
    assert response.status_code == 403 and response.json()["error"]["code"] == "csrf_failed"
    token = get_token(RequestFactory().get("/"))
    client.cookies["csrftoken"] = token
    response = client.post(
        "/api/applications", body, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert response.status_code == 201, response.content


def test_invoices_are_the_enterprises_and_only_before_acceptance(
    county: County, api: Api, batch: PolicyBatch
) -> None:
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    url = f"/api/applications/{app.number}/invoices"
    good = {"number": "33020001", "issued_on": _today(), "amount": "1000"}
    assert api.refused("enterprise", "POST", url, {**good, "amount": 0})["field"] == "amount"
    assert api.refused("enterprise", "POST", url, {**good, "number": "发票"})["field"] == "number"
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert api.refused("enterprise", "POST", url, {**good, "issued_on": tomorrow})["field"] == "issued_on"
    assert api.refused("enterprise", "POST", url, {**good, "issued_on": None})["field"] == "issued_on"
    api.ok("enterprise", "POST", url, good, expect=201)
    assert api.refused("enterprise", "POST", url, good)["field"] == "number"  # entered already
    assert api.refused("bureau_officer", "POST", url, good, expect=403)["code"] == "forbidden"
