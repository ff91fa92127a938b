"""The application workflow on the pages: the enterprise's form, pre-check, materials (served only
within scope), invoices and submission; the town officer's and the bureau's moves; the expert's
scoring sheet; approval, notice and payment; the inbox; batches and funds. Refusals come back
as a Chinese message on the field they name, and nothing is written. (Which role gets which
status code on every URL is in tests/test_authorization_matrix.py; the whole line in a real
browser is tests/e2e/test_application_flow.py.)"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from conftest import County
from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, Material, Notice, PolicyBatch, Status
from shuzhuan.applications.selectors import application_queryset_for
from shuzhuan.applications.tests.factories import PDF_BYTES, advance, draft, open_batch, pdf
from shuzhuan.funds.models import LedgerEntry
from shuzhuan.funds.tests.factories import allocate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _materials(settings: Any, tmp_path: Path) -> Path:
    settings.MATERIALS_DIR = tmp_path / "materials"
    return Path(settings.MATERIALS_DIR)


@pytest.fixture
def batch(county: County) -> PolicyBatch:
    return open_batch(
        acting_user=county.users["bureau_officer"],
        funding_split={"central": "0.40", "city": "0.35", "county": "0.25"},
    )


def _client(county: County, role: str) -> Client:
    client = Client()
    client.force_login(county.users[role])
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def _error(html: str, field: str) -> str:
    """The text of the error shown under form field ``field`` (its data-testid)."""
    match = re.search(rf'data-testid="error-{re.escape(field)}">([^<]*)<', html)
    assert match, f"no error shown for {field}"
    return match.group(1)


def _submitted(county: County, batch: PolicyBatch, **data: Any) -> Application:
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"], **data)
    return advance(app, Status.SUBMITTED, **county.roles())


# --- scope -----------------------------------------------------------------------------------


def test_application_queryset_for_each_role(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    mine = _submitted(county, batch)
    own_draft = draft(
        batch=batch, enterprise=county.own, firm=roles["firm"], policy_id="cixi-2025-ai", kinds=["ai_model"]
    )
    other_firm = make_user(Role.ENTERPRISE, username="elsewhere_firm", enterprise=county.elsewhere)
    theirs = advance(draft(batch=batch, enterprise=county.elsewhere, firm=other_firm), Status.SUBMITTED)
    u = county.users
    assert set(application_queryset_for(u["bureau_officer"])) == {mine, theirs}  # no drafts
    assert set(application_queryset_for(u["auditor"])) == {mine, theirs}
    assert set(application_queryset_for(u["town_officer"])) == {mine}
    assert set(application_queryset_for(u["enterprise"])) == {mine, own_draft}
    assert set(application_queryset_for(other_firm)) == {theirs}
    assert set(application_queryset_for(u["expert"])) == set()
    assert set(application_queryset_for(u["service_provider"])) == set()


def test_a_draft_is_the_enterprises_own(county: County, batch: PolicyBatch) -> None:
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    assert _client(county, "enterprise").get(f"/applications/{app.number}/").status_code == 200
    for role in ("bureau_officer", "town_officer", "auditor", "expert"):
        assert _client(county, role).get(f"/applications/{app.number}/").status_code == 404, role


def test_other_town_and_other_enterprise_get_404(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    other_town = make_user(Role.TOWN_OFFICER, username="zhouxiang", region="cixi-zhouxiang")
    other_firm = make_user(Role.ENTERPRISE, username="neighbour_firm", enterprise=county.neighbour)
    for user in (other_town, other_firm):
        client = Client()
        client.force_login(user)
        assert client.get(f"/applications/{app.number}/").status_code == 404
        assert app.number not in _html(client.get("/applications/"))
    client = Client()
    client.force_login(other_town)
    response = client.post(f"/applications/{app.number}/actions/town_pass/")
    assert response.status_code == 404
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


# --- the enterprise ----------------------------------------------------------------------------


def test_enterprise_sees_open_batches_and_saves_a_draft(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "enterprise")
    page = _html(client.get("/applications/"))
    assert batch.name in page and f"/apply/{batch.code}/cixi-2025-new-it/" in page
    response = client.post(
        f"/apply/{batch.code}/cixi-2025-new-it/",
        {
            "project_name": "智能仓储改造",
            "kinds": ["new_it"],
            "declared_investment": "800,000.00",
            "project_summary": "WMS 与 AGV",
        },
    )
    app = Application.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.number}/"
    assert app.status == Status.DRAFT and app.declared_investment == Decimal("800000.00")
    page = _html(client.get(response["Location"]))
    assert "已保存" in page
    assert "160,000.00 元" in page  # the pre-check: 20% of the declared 800,000
    assert "缺少申报材料：项目实施方案" in page
    assert "尚未录入发票" in page


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"declared_investment": "1.234"}, "declared_investment", "最多两位小数"),
        ({"declared_investment": "-5"}, "declared_investment", "不能为负数"),
        ({"declared_investment": "八十万"}, "declared_investment", "必须是数字"),
        ({"kinds": []}, "kinds", "请至少选择一种项目类型"),
        ({"project_name": " "}, "project_name", "请填写项目名称"),
    ],
)
def test_form_refusals_name_the_field_and_store_nothing(
    county: County, batch: PolicyBatch, data: dict[str, Any], field: str, message: str
) -> None:
    form = {"project_name": "智能仓储改造", "kinds": ["new_it"], "declared_investment": "800000", **data}
    response = _client(county, "enterprise").post(f"/apply/{batch.code}/cixi-2025-new-it/", form)
    assert response.status_code == 200
    assert message in _error(_html(response), field)
    assert not Application.objects.exists()


def test_edit_a_draft_and_not_after_submission(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "enterprise")
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    form = {"project_name": "改名后的项目", "kinds": ["new_it"], "declared_investment": "900000"}
    assert client.post(f"/applications/{app.number}/edit/", form).status_code == 302
    app.refresh_from_db()
    assert app.project_name == "改名后的项目" and app.declared_investment == Decimal("900000.00")
    app = advance(app, Status.SUBMITTED, **county.roles())
    response = client.post(f"/applications/{app.number}/edit/", {**form, "project_name": "再改"})
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).project_name == "改名后的项目"


def test_material_upload_is_checked_by_content(county: County, batch: PolicyBatch, _materials: Path) -> None:
    client = _client(county, "enterprise")
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(
        f"/applications/{app.number}/materials/", {"material-kind": "plan", "material-file": fake}
    )
    assert response.status_code == 200
    assert "按文件内容识别" in _error(_html(response), "file")
    assert not Material.objects.exists() and not any(_materials.rglob("*.*"))
    response = client.post(f"/applications/{app.number}/materials/", {"material-kind": "plan"})
    assert response.status_code == 200 and _error(_html(response), "file")
    response = client.post(
        f"/applications/{app.number}/materials/",
        {"material-kind": "plan", "material-file": pdf("实施方案.pdf")},
    )
    assert response.status_code == 302
    assert Material.objects.get().original_name == "实施方案.pdf"


def test_material_download_streams_the_file_only_within_scope(county: County, batch: PolicyBatch) -> None:
    firm = county.users["enterprise"]
    app = draft(batch=batch, enterprise=county.own, firm=firm)
    material = svc.material_upload(
        acting_user=firm, application=app, kind="plan", upload=pdf("实施方案 v2.pdf")
    )
    url = f"/applications/{app.number}/materials/{material.pk}/"
    response = _client(county, "enterprise").get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "filename*=utf-8''%E5%AE%9E%E6%96%BD%E6%96%B9%E6%A1%88%20v2.pdf" in response["Content-Disposition"]
    assert b"".join(response.streaming_content) == PDF_BYTES  # type: ignore[attr-defined]
    # A draft: nobody else sees it.
    for role in ("bureau_officer", "town_officer", "auditor", "expert"):
        assert _client(county, role).get(url).status_code == 404, role
    assert _client(county, "service_provider").get(url).status_code == 403
    # Submitted: the officers of its town and county, and an assigned expert.
    app = advance(app, Status.EXPERT_REVIEW, **county.roles())
    for role in ("bureau_officer", "town_officer", "auditor"):
        assert _client(county, role).get(url).status_code == 200, role
    assert _client(county, "expert").get(url).status_code == 404
    svc.expert_assign(
        acting_user=county.users["bureau_officer"], application=app, experts=[county.users["expert"]]
    )
    assert _client(county, "expert").get(url).status_code == 200
    other_firm = make_user(Role.ENTERPRISE, username="other_firm", enterprise=county.neighbour)
    other_town = make_user(Role.TOWN_OFFICER, username="zhouxiang", region="cixi-zhouxiang")
    for user in (other_firm, other_town):
        client = Client()
        client.force_login(user)
        assert client.get(url).status_code == 404
    # The material of another application under this application's number: 404 too.
    mine = draft(
        batch=batch,
        enterprise=county.neighbour,
        firm=other_firm,
        policy_id="cixi-2025-ai",
        kinds=["ai_model"],
    )
    client = Client()
    client.force_login(other_firm)
    assert client.get(f"/applications/{mine.number}/materials/{material.pk}/").status_code == 404


def test_invoices_add_refuse_and_remove(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "enterprise")
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    url = f"/applications/{app.number}/invoices/"
    good = {"invoice-number": "33020001", "invoice-issued_on": "2025-03-01", "invoice-amount": "12,345.60"}
    assert client.post(url, good).status_code == 302
    invoice = app.invoices.get()
    assert invoice.amount == Decimal("12345.60")
    assert "12,345.60 元" in _html(client.get(f"/applications/{app.number}/"))
    for changes, field, message in (
        ({"invoice-number": "33020001"}, "number", "已录入"),
        ({"invoice-number": "发票一"}, "number", "数字或字母"),
        ({"invoice-amount": "0"}, "amount", "应大于 0"),
        ({"invoice-issued_on": "2025-02-30"}, "issued_on", ""),
        (
            {"invoice-issued_on": (timezone.localdate() + dt.timedelta(days=2)).isoformat()},
            "issued_on",
            "晚于今天",
        ),
    ):
        response = client.post(url, {**good, "invoice-number": "33020002", **changes})
        assert response.status_code == 200
        assert message in _error(_html(response), field)
    assert app.invoices.count() == 1
    assert client.post(f"/applications/{app.number}/invoices/{invoice.pk}/delete/").status_code == 302
    assert not app.invoices.exists()


def test_submit_needs_the_declaration_and_the_materials(county: County, batch: PolicyBatch) -> None:
    client = _client(county, "enterprise")
    firm = county.users["enterprise"]
    app = draft(batch=batch, enterprise=county.own, firm=firm)
    url = f"/applications/{app.number}/actions/submit/"
    response = client.post(url, {})
    assert response.status_code == 200
    assert "请勾选承诺" in _error(_html(response), "declaration")
    response = client.post(url, {"submit-declaration": "on"})
    assert response.status_code == 200
    assert "尚缺申报材料：项目实施方案" in _html(response)
    assert Application.objects.get(pk=app.pk).status == Status.DRAFT
    svc.material_upload(acting_user=firm, application=app, kind="plan", upload=pdf())
    assert client.post(url, {"submit-declaration": "on"}).status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_withdraw(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    response = _client(county, "enterprise").post(f"/applications/{app.number}/actions/withdraw/")
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.WITHDRAWN


# --- officers ------------------------------------------------------------------------------------


def test_town_officer_queue_and_pre_review(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    client = _client(county, "town_officer")
    queue = _html(client.get("/applications/", {"status": "submitted"}))
    assert app.number in queue and "申报预审" in queue
    page = _html(client.get(f"/applications/{app.number}/"))
    assert "预审通过" in page and 'data-testid="action-town_return"' in page
    assert 'data-testid="action-formal_pass"' not in page  # the bureau's move
    response = client.post(f"/applications/{app.number}/actions/town_return/", {"town_return-reason": ""})
    assert response.status_code == 200
    assert "须填写理由" in _error(_html(response), "reason")
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED
    response = client.post(f"/applications/{app.number}/actions/town_pass/")
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.FORMAL_REVIEW
    # A move from the wrong status: the message, nothing written.
    response = client.post(f"/applications/{app.number}/actions/town_pass/")
    assert response.status_code == 200
    assert "不能执行“预审通过”" in _html(response)
    history = _html(_client(county, "enterprise").get(f"/applications/{app.number}/"))
    assert "预审通过" in history and "town" in history


def test_roles_outside_a_move_get_403(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    for role in ("enterprise", "expert", "auditor"):
        response = _client(county, role).post(f"/applications/{app.number}/actions/town_pass/")
        assert response.status_code == 403, role
    assert (
        _client(county, "town_officer").post(f"/applications/{app.number}/actions/formal_pass/").status_code
        == 403
    )
    assert (
        _client(county, "bureau_officer").post(f"/applications/{app.number}/actions/close/").status_code
        == 404
    )
    assert (
        _client(county, "bureau_officer").post(f"/applications/{app.number}/actions/nonsense/").status_code
        == 404
    )
    assert Application.objects.get(pk=app.pk).status == Status.SUBMITTED


def test_auditor_reads_without_action_forms(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    page = _html(_client(county, "auditor").get(f"/applications/{app.number}/"))
    assert app.project_name in page and "当前没有您可以办理的事项" in page
    assert '<form method="post" action="/applications/' not in page


def test_bureau_assigns_an_expert_who_scores_and_the_bureau_includes(
    county: County, batch: PolicyBatch
) -> None:
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.EXPERT_REVIEW, **roles
    )
    bureau = _client(county, "bureau_officer")
    response = bureau.post(f"/applications/{app.number}/experts/", {})
    assert response.status_code == 200 and "请至少选择一位专家" in _html(response)
    response = bureau.post(
        f"/applications/{app.number}/experts/", {"experts-experts": [str(roles["expert"].pk)]}
    )
    assert response.status_code == 302
    review = app.expert_reviews.get()
    expert = _client(county, "expert")
    assert app.number in _html(expert.get("/reviews/"))
    url = f"/reviews/{review.pk}/"
    scores = {
        "review-score_necessity": "18",
        "review-score_solution": "25",
        "review-score_investment": "16",
        "review-score_outcome": "17",
        "review-score_foundation": "8",
    }
    response = expert.post(url, scores)
    assert response.status_code == 200 and "请先作出利益冲突声明" in _error(_html(response), "conflict")
    response = expert.post(url, {**scores, "review-conflict": "none", "review-score_solution": "31"})
    assert response.status_code == 200
    assert "应在 0 到 30 之间" in _error(_html(response), "score_solution")
    response = expert.post(url, {**scores, "review-conflict": "none", "review-score_outcome": "17.3"})
    assert "0.5 分为单位" in _error(_html(response), "score_outcome")
    review.refresh_from_db()
    assert review.submitted_at is None
    response = expert.post(url, {**scores, "review-conflict": "none", "review-comment": "方案可行"})
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.total == Decimal("84.00") and review.no_conflict_declared
    page = _html(bureau.get(f"/applications/{app.number}/"))
    assert "84.00" in page and "无利益冲突" in page
    assert bureau.post(f"/applications/{app.number}/actions/include/").status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.INCLUDED


def test_expert_declares_a_conflict(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.EXPERT_REVIEW, **roles
    )
    (review,) = svc.expert_assign(acting_user=roles["bureau"], application=app, experts=[roles["expert"]])
    expert = _client(county, "expert")
    response = expert.post(f"/reviews/{review.pk}/", {"review-conflict": "conflict"})
    assert "请说明回避理由" in _error(_html(response), "conflict_reason")
    response = expert.post(
        f"/reviews/{review.pk}/", {"review-conflict": "conflict", "review-conflict_reason": "曾任该企业顾问"}
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.total is None and review.conflict_reason == "曾任该企业顾问"
    other = make_user(Role.EXPERT, username="expert2")
    client = Client()
    client.force_login(other)
    assert client.get(f"/reviews/{review.pk}/").status_code == 404


def test_acceptance_refusals_name_the_field(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.ACCEPTANCE_REQUESTED, **roles
    )
    bureau = _client(county, "bureau_officer")
    url = f"/applications/{app.number}/actions/accept/"
    base = {"accept-verified_investment": "700,000", "accept-notes": "现场核查", "accept-accepted_on": ""}
    for changes, field, message in (
        ({"accept-verified_investment": "900000"}, "verified_investment", "不能高于申报投入额"),
        ({"accept-verified_investment": "abc"}, "verified_investment", "必须是数字"),
        ({"accept-notes": ""}, "notes", "请填写验收意见"),
    ):
        response = bureau.post(url, {**base, **changes})
        assert response.status_code == 200
        assert message in _error(_html(response), field)
    assert Application.objects.get(pk=app.pk).status == Status.ACCEPTANCE_REQUESTED
    assert bureau.post(url, base).status_code == 302
    app.refresh_from_db()
    assert app.status == Status.ACCEPTED and app.ceiling == Decimal("140000.00")
    page = _html(bureau.get(f"/applications/{app.number}/"))
    assert "140,000.00 元" in page and "补助上限的计算" in page


def test_approval_notice_objection_and_payment(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    allocate(programme="new-it", year=batch.year)
    app = advance(draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.ACCEPTED, **roles)
    bureau = _client(county, "bureau_officer")
    url = f"/applications/{app.number}/actions/approve/"
    response = bureau.post(url, {"approve-amount": "140000.01"})
    assert "超过补助上限" in _error(_html(response), "amount")
    response = bureau.post(url, {"approve-amount": "100000"})
    assert "须填写理由" in _error(_html(response), "reason")
    assert Application.objects.get(pk=app.pk).status == Status.ACCEPTED
    assert bureau.post(url, {"approve-amount": "140,000.00"}).status_code == 302
    started = timezone.localdate() - dt.timedelta(days=3)
    response = bureau.post(
        f"/applications/{app.number}/actions/start_notice/", {"start_notice-starts_on": started.isoformat()}
    )
    assert response.status_code == 302
    app.refresh_from_db()
    assert app.status == Status.PUBLIC_NOTICE and app.notice_ends_on == started + dt.timedelta(days=6)
    response = bureau.post(f"/applications/{app.number}/actions/start_disbursement/")
    assert response.status_code == 200 and "期满后方可兑现" in _html(response)
    assert (
        bureau.post(f"/applications/{app.number}/objections/", {"objection-content": ""}).status_code == 200
    )
    response = bureau.post(f"/applications/{app.number}/objections/", {"objection-content": "投入额有疑问"})
    assert response.status_code == 302
    objection = app.objections.get()
    key = f"resolve-{objection.pk}"
    response = bureau.post(
        f"/applications/{app.number}/objections/{objection.pk}/resolve/", {f"{key}-upheld": "no"}
    )
    assert "请填写处理结果" in _error(_html(response), "resolution")
    response = bureau.post(
        f"/applications/{app.number}/objections/{objection.pk}/resolve/",
        {f"{key}-upheld": "no", f"{key}-resolution": "经核实发票无误"},
    )
    assert response.status_code == 302
    # The notice period has ended (recorded as started ten days ago), so disbursement may start.
    Application.objects.filter(pk=app.pk).update(
        notice_starts_on=timezone.localdate() - dt.timedelta(days=10),
        notice_ends_on=timezone.localdate() - dt.timedelta(days=4),
    )
    assert bureau.post(f"/applications/{app.number}/actions/start_disbursement/").status_code == 302
    app.refresh_from_db()
    assert app.status == Status.DISBURSING
    shares = {s.level: s for s in app.award.shares.all()}
    assert {k: s.amount for k, s in shares.items()} == {
        "central": Decimal("56000.00"),
        "city": Decimal("49000.00"),
        "county": Decimal("35000.00"),
    }
    page = _html(bureau.get(f"/applications/{app.number}/"))
    assert "56,000.00 元" in page and page.count('data-testid="pay-form"') == 3
    central = shares["central"]
    pay = f"/applications/{app.number}/shares/{central.pk}/pay/"
    response = bureau.post(
        pay, {f"pay-{central.pk}-idempotency_key": "k1", f"pay-{central.pk}-reference": ""}
    )
    assert "请填写支付凭证号" in _error(_html(response), "reference")
    data = {f"pay-{central.pk}-idempotency_key": "k1", f"pay-{central.pk}-reference": "ZF001"}
    assert bureau.post(pay, data).status_code == 302
    assert bureau.post(pay, data).status_code == 302  # a double submit pays once
    assert LedgerEntry.objects.filter(share=central, kind=LedgerEntry.Kind.PAYMENT).count() == 1
    for level in ("city", "county"):
        s = shares[level]
        bureau.post(
            f"/applications/{app.number}/shares/{s.pk}/pay/",
            {f"pay-{s.pk}-idempotency_key": f"k-{level}", f"pay-{s.pk}-reference": f"ZF-{level}"},
        )
    app.refresh_from_db()
    assert app.status == Status.CLOSED
    assert "该申报已办结" in _html(bureau.get(f"/applications/{app.number}/"))


def test_disbursement_run_from_the_funds_page(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    allocate(programme="new-it", year=batch.year)
    app = advance(draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.DISBURSING, **roles)
    response = _client(county, "bureau_officer").post(
        "/funds/disbursements/", {"run-level": "", "run-batch": batch.code}
    )
    assert response.status_code == 200
    assert "支付 3 笔" in _html(response)
    assert Application.objects.get(pk=app.pk).status == Status.CLOSED


# --- the inbox ---------------------------------------------------------------------------------


def test_inbox_unread_count_and_mark_read(county: County, batch: PolicyBatch) -> None:
    app = _submitted(county, batch)
    client = _client(county, "enterprise")
    page = _html(client.get("/notices/"))
    assert f"申报 {app.number} 待镇街预审" in page
    assert re.search(r'data-testid="unread-count"[^>]*>1<', page)
    notice = Notice.objects.get()
    response = client.post("/notices/read/", {"notice": str(notice.pk)})
    assert response.status_code == 302 and response["Location"] == f"/applications/{app.number}/"
    assert 'data-testid="unread-count"' not in _html(client.get("/notices/"))
    other = make_user(Role.ENTERPRISE, username="neighbour_firm", enterprise=county.neighbour)
    c2 = Client()
    c2.force_login(other)
    assert c2.post("/notices/read/", {"notice": str(notice.pk)}).status_code == 404


# --- batches -----------------------------------------------------------------------------------


def _batch_form(**changes: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "edition": "cixi-2025",
        "policy_ids": ["cixi-2025-new-it", "cixi-2025-pilot"],
        "code": "2025-web",
        "name": "2025年度第二批",
        "year": "2025",
        "opens_on": today.isoformat(),
        "closes_on": (today + dt.timedelta(days=20)).isoformat(),
        "required_materials": "plan 项目实施方案\nreport 审计报告（可选）",
        "share_central": "0.5",
        "share_city": "0.25",
        "share_county": "0.25",
        "notice_days": "7",
        **changes,
    }


def test_batch_create_open_and_close(county: County) -> None:
    client = _client(county, "bureau_officer")
    page = _html(client.get("/batches/new/"))
    assert "cixi-2025-pilot" in page and 'value="0.50"' in page
    response = client.post("/batches/new/", _batch_form())
    assert response.status_code == 302 and response["Location"] == "/batches/2025-web/"
    batch = PolicyBatch.objects.get(code="2025-web")
    assert batch.status == PolicyBatch.Status.DRAFT
    assert batch.required_materials == [
        {"code": "plan", "label": "项目实施方案", "required": True},
        {"code": "report", "label": "审计报告", "required": False},
    ]
    assert client.post("/batches/2025-web/status/", {"status": "open"}).status_code == 302
    assert PolicyBatch.objects.get(pk=batch.pk).status == PolicyBatch.Status.OPEN
    assert batch.name in _html(_client(county, "enterprise").get("/applications/"))
    client.post("/batches/2025-web/status/", {"status": "closed"})
    assert batch.name not in _html(_client(county, "enterprise").get("/applications/"))


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"share_county": "0.3"}, "share_county", "之和应为 1"),
        ({"share_city": "x"}, "share_city", "必须是数字"),
        ({"policy_ids": []}, "policy_ids", "请至少选择一项政策"),
        ({"policy_ids": ["cixi-2024-pilot"]}, "policy_ids", "不在该版本中"),
        ({"closes_on": "2020-01-01"}, "closes_on", "不能早于开始日期"),
        ({"required_materials": "项目实施方案"}, "required_materials", "第 1 行"),
        ({"notice_days": "0"}, "notice_days", ""),
    ],
)
def test_batch_refusals_name_the_field(
    county: County, changes: dict[str, Any], field: str, message: str
) -> None:
    response = _client(county, "bureau_officer").post("/batches/new/", _batch_form(**changes))
    assert response.status_code == 200
    assert message in _error(_html(response), field)
    assert not PolicyBatch.objects.exists()


# --- funds -------------------------------------------------------------------------------------


def test_funds_allocation_and_balances(county: County) -> None:
    client = _client(county, "bureau_officer")
    form = {
        "allocation-level": "central",
        "allocation-programme": "pilot",
        "allocation-year": "2025",
        "allocation-amount": "14,230,000.00",
        "allocation-reference": "财建〔2025〕1号",
    }
    response = client.post("/funds/allocations/", {**form, "allocation-amount": "-1"})
    assert response.status_code == 200 and "不能为负数" in _error(_html(response), "amount")
    response = client.post("/funds/allocations/", {**form, "allocation-reference": ""})
    assert "请填写下达文件文号" in _error(_html(response), "reference")
    assert not LedgerEntry.objects.exists()
    assert client.post("/funds/allocations/", form).status_code == 302
    page = _html(client.get("/funds/"))
    assert "14,230,000.00 元" in page
    auditor = _html(_client(county, "auditor").get("/funds/"))
    assert "14,230,000.00 元" in auditor and 'data-testid="allocation-form"' not in auditor


def test_revoke_needs_a_reason_and_releases_the_commitments(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    allocate(programme="new-it", year=batch.year)
    app = advance(draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.APPROVED, **roles)
    bureau = _client(county, "bureau_officer")
    url = f"/applications/{app.number}/actions/revoke/"
    response = bureau.post(url, {"revoke-reason": ""})
    assert response.status_code == 200
    assert "须填写理由" in _error(_html(response), "reason")
    assert Application.objects.get(pk=app.pk).status == Status.APPROVED
    assert bureau.post(url, {"revoke-reason": "企业自愿放弃"}).status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.REJECTED
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.RELEASE).count() == 3
    page = _html(bureau.get(f"/applications/{app.number}/"))
    assert "企业自愿放弃" in page and "撤销核定" in page


def test_acceptance_failure_with_a_reason(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.ACCEPTANCE_REQUESTED, **roles
    )
    bureau = _client(county, "bureau_officer")
    response = bureau.post(f"/applications/{app.number}/actions/fail/", {"fail-reason": "系统未上线"})
    assert response.status_code == 302
    assert Application.objects.get(pk=app.pk).status == Status.FAILED
    firm_page = _html(_client(county, "enterprise").get(f"/applications/{app.number}/"))
    assert "验收未通过" in firm_page and "系统未上线" in firm_page


def test_pages_render_for_their_roles(county: County, batch: PolicyBatch) -> None:
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.EXPERT_REVIEW, **roles
    )
    (review,) = svc.expert_assign(acting_user=roles["bureau"], application=app, experts=[roles["expert"]])
    batch_page = _html(_client(county, "town_officer").get(f"/batches/{batch.code}/"))
    assert batch.name in batch_page and "中央 0.4" in batch_page and "开放申报" not in batch_page
    assert "截止申报" in _html(_client(county, "bureau_officer").get(f"/batches/{batch.code}/"))
    expert_page = _html(_client(county, "expert").get(f"/applications/{app.number}/"))
    assert f"/reviews/{review.pk}/" in expert_page and "当前没有您可以办理的事项" not in expert_page
    review_page = _html(_client(county, "expert").get(f"/reviews/{review.pk}/"))
    assert "利益冲突声明" in review_page and "满分 100 分" in review_page
    assert _client(county, "expert").get("/applications/")["Location"] == "/reviews/"
