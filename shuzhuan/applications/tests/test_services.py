from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from shuzhuan.accounts.models import Role
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, Notice, Status, StatusChange
from shuzhuan.applications.tests.factories import advance, draft, open_batch, pdf
from shuzhuan.applications.workflow import TRANSITIONS, application_transition
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(county):
    return open_batch(acting_user=county.users["bureau_officer"])


def test_main_line_to_acceptance_records_every_move_and_the_engine_ceiling(county, batch):
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    assert app.status == Status.DRAFT and app.number.startswith("SB2025")
    app = advance(app, Status.ACCEPTED, **county.roles(), verified="700000")
    assert app.status == Status.ACCEPTED
    assert app.verified_investment == Decimal("700000.00")
    assert app.ceiling == Decimal("140000.00")  # 20% of 700,000, under the 300,000 cap
    assert app.ceiling_edition == "cixi-2025"
    assert app.expert_score == Decimal("84.00")
    moves = list(StatusChange.objects.filter(application=app).values_list("from_status", "to_status"))
    assert moves == [
        ("draft", "submitted"),
        ("submitted", "formal_review"),
        ("formal_review", "expert_review"),
        ("expert_review", "included"),
        ("included", "implementing"),
        ("implementing", "acceptance_requested"),
        ("acceptance_requested", "accepted"),
    ]
    assert Notice.objects.filter(enterprise=county.own, application=app).count() == 7
    assert audit_verify().ok


def test_below_threshold_project_is_accepted_with_a_zero_ceiling(county, batch):
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    app = advance(app, Status.ACCEPTED, **county.roles(), verified="299999.99")
    assert app.ceiling == Decimal("0.00")


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_move_from_a_status_outside_its_sources_is_refused(county, batch, action):
    move = TRANSITIONS[action]
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    for status in Status:
        if status in move.sources:
            continue
        Application.objects.filter(pk=app.pk).update(status=status)
        with pytest.raises(ApplicationError):
            application_transition(
                acting_user=None, application=app, action=action, reason="理由", via_service=True
            )
        assert Application.objects.get(pk=app.pk).status == status


@pytest.mark.parametrize("action", sorted(TRANSITIONS))
def test_every_role_outside_a_move_is_refused(county, batch, action):
    move = TRANSITIONS[action]
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    source = sorted(move.sources)[0]
    for role, user in county.users.items():
        if Role(role) in move.roles:
            continue
        Application.objects.filter(pk=app.pk).update(status=source)
        with pytest.raises(ApplicationError, match="无权"):
            application_transition(
                acting_user=user, application=app, action=action, reason="理由", via_service=True
            )
        assert Application.objects.get(pk=app.pk).status == source


def test_officers_outside_the_region_and_other_enterprises_are_refused(county, batch):
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    app = advance(app, Status.SUBMITTED, **county.roles())
    other_town = make_user(Role.TOWN_OFFICER, username="zhouxiang", region="cixi-zhouxiang")
    with pytest.raises(ApplicationError, match="无权"):
        svc.application_move(acting_user=other_town, application=app, action="town_pass")
    other_firm = make_user(Role.ENTERPRISE, username="other", enterprise=county.neighbour)
    with pytest.raises(ApplicationError, match="无权"):
        svc.application_move(acting_user=other_firm, application=app, action="withdraw")
    with pytest.raises(ApplicationError):
        svc.application_update(acting_user=other_firm, application=app, data={"project_name": "x"})


def test_plain_moves_cannot_skip_the_services_that_record_more(county, batch):
    app = draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"])
    with pytest.raises(ApplicationError, match="填写相应信息"):
        svc.application_move(acting_user=county.users["enterprise"], application=app, action="submit")


def test_return_for_correction_and_resubmit(county, batch):
    firm, town = county.users["enterprise"], county.users["town_officer"]
    app = advance(draft(batch=batch, enterprise=county.own, firm=firm), Status.SUBMITTED, **county.roles())
    with pytest.raises(ApplicationError, match="理由"):
        svc.application_move(acting_user=town, application=app, action="town_return")
    app = svc.application_move(
        acting_user=town, application=app, action="town_return", reason="缺少实施方案盖章页"
    )
    assert app.status == Status.RETURNED
    app = svc.application_update(acting_user=firm, application=app, data={"declared_investment": "850000"})
    app = svc.application_submit(acting_user=firm, application=app, declaration=True)
    assert app.status == Status.SUBMITTED and app.declared_investment == Decimal("850000.00")


def test_one_open_application_per_enterprise_batch_and_policy(county, batch):
    firm = county.users["enterprise"]
    first = draft(batch=batch, enterprise=county.own, firm=firm)
    with pytest.raises(ApplicationError, match="已有此项政策"):
        draft(batch=batch, enterprise=county.own, firm=firm)
    svc.application_move(acting_user=firm, application=first, action="withdraw")
    assert draft(batch=batch, enterprise=county.own, firm=firm).status == Status.DRAFT


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"declared_investment": "-1"}, "declared_investment"),
        ({"declared_investment": "abc"}, "declared_investment"),
        ({"declared_investment": "1.234"}, "declared_investment"),
        ({"kinds": ["robots"]}, "kinds"),
        ({"kinds": []}, "kinds"),
        ({"project_name": "  "}, "project_name"),
    ],
)
def test_bad_form_input_names_the_field_and_stores_nothing(county, batch, data, field):
    with pytest.raises(ApplicationError) as exc:
        draft(batch=batch, enterprise=county.own, firm=county.users["enterprise"], **data)
    assert exc.value.field == field
    assert not Application.objects.exists()


def test_submission_needs_declaration_and_required_materials(county, batch):
    firm = county.users["enterprise"]
    app = draft(batch=batch, enterprise=county.own, firm=firm)
    with pytest.raises(ApplicationError) as exc:
        svc.application_submit(acting_user=firm, application=app, declaration=False)
    assert exc.value.field == "declaration"
    with pytest.raises(ApplicationError, match="项目实施方案"):
        svc.application_submit(acting_user=firm, application=app, declaration=True)


def test_materials_are_checked_by_content_not_name(county, batch, settings, tmp_path):
    settings.MATERIALS_DIR = tmp_path
    firm = county.users["enterprise"]
    app = draft(batch=batch, enterprise=county.own, firm=firm)
    fake = SimpleUploadedFile("方案.pdf", b"MZ\x90\x00 not a pdf at all", content_type="application/pdf")
    with pytest.raises(ApplicationError) as exc:
        svc.material_upload(acting_user=firm, application=app, kind="plan", upload=fake)
    assert exc.value.field == "file"
    settings.SHUZHUAN_MATERIAL_MAX_BYTES = 10
    with pytest.raises(ApplicationError, match="上限"):
        svc.material_upload(acting_user=firm, application=app, kind="plan", upload=pdf())
    settings.SHUZHUAN_MATERIAL_MAX_BYTES = 1024 * 1024
    m = svc.material_upload(acting_user=firm, application=app, kind="plan", upload=pdf())
    assert m.content_type == "application/pdf"
    assert (tmp_path / m.storage_name).read_bytes().startswith(b"%PDF")
    assert list(tmp_path.rglob("*")).count(tmp_path / m.storage_name) == 1


def test_precheck_estimates_from_the_declared_investment_and_lists_what_is_missing(county, batch):
    app = draft(
        batch=batch, enterprise=county.own, firm=county.users["enterprise"], declared_investment="1000000"
    )
    check = svc.application_precheck(app)
    assert check["eligible"] and check["ceiling"] == Decimal("200000.00")
    assert any("项目实施方案" in m for m in check["missing"])
    assert any("发票" in m for m in check["missing"])


def test_expert_conflict_recusal_and_score_validation(county, batch):
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.EXPERT_REVIEW, **roles
    )
    second = make_user(Role.EXPERT, username="expert2")
    r1, r2 = svc.expert_assign(
        acting_user=roles["bureau"], application=app, experts=[roles["expert"], second]
    )
    with pytest.raises(ApplicationError) as exc:
        svc.expert_review_submit(acting_user=second, review=r2, no_conflict=True, scores={"necessity": 25})
    assert exc.value.field == "scores.necessity"
    with pytest.raises(ApplicationError, match="只能提交指派给自己"):
        svc.expert_review_submit(acting_user=second, review=r1, no_conflict=False, conflict_reason="亲属")
    svc.expert_review_submit(
        acting_user=second, review=r2, no_conflict=False, conflict_reason="曾为该企业提供咨询"
    )
    with pytest.raises(ApplicationError, match="未提交"):
        svc.application_include(acting_user=roles["bureau"], application=app)
    svc.expert_review_submit(
        acting_user=roles["expert"],
        review=r1,
        no_conflict=True,
        scores={"necessity": 20, "solution": 30, "investment": 20, "outcome": 19.5, "foundation": 10},
    )
    app = svc.application_include(acting_user=roles["bureau"], application=app)
    assert app.status == Status.INCLUDED and app.expert_score == Decimal("99.50")


def test_acceptance_refuses_bad_verified_investment(county, batch):
    roles = county.roles()
    app = advance(
        draft(batch=batch, enterprise=county.own, firm=roles["firm"]), Status.ACCEPTANCE_REQUESTED, **roles
    )
    for value, field in (
        ("-5", "verified_investment"),
        ("x", "verified_investment"),
        ("900000", "verified_investment"),
    ):
        with pytest.raises(ApplicationError) as exc:
            svc.application_accept(
                acting_user=roles["bureau"], application=app, verified_investment=value, notes="ok"
            )
        assert exc.value.field == field
    with pytest.raises(ApplicationError) as exc:
        svc.application_accept(
            acting_user=roles["bureau"],
            application=app,
            verified_investment="1",
            notes="ok",
            accepted_on=dt.date.today() + dt.timedelta(days=3),
        )
    assert exc.value.field == "accepted_on"
    assert Application.objects.get(pk=app.pk).status == Status.ACCEPTANCE_REQUESTED


def test_invoice_validation(county, batch):
    firm = county.users["enterprise"]
    app = draft(batch=batch, enterprise=county.own, firm=firm)
    svc.invoice_add(
        acting_user=firm, application=app, number="33020001", issued_on=dt.date(2025, 3, 1), amount="1000"
    )
    for kwargs, field in (
        ({"number": "33020001"}, "number"),
        ({"number": "发票一"}, "number"),
        ({"amount": "0"}, "amount"),
        ({"issued_on": None}, "issued_on"),
    ):
        args: dict[str, Any] = {
            "number": "33020002",
            "issued_on": dt.date(2025, 3, 1),
            "amount": "10",
            **kwargs,
        }
        with pytest.raises(ApplicationError) as exc:
            svc.invoice_add(acting_user=firm, application=app, **args)
        assert exc.value.field == field
    assert app.invoices.count() == 1
