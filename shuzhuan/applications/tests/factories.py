"""Building batches and applications in tests through the real services (never raw ORM writes
for workflow state)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from shuzhuan.accounts.models import User
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.policies.models import PolicyEdition

# The smallest valid PDF: enough for the content check.
PDF_BYTES = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def open_batch(
    *,
    code: str = "2025-digital",
    edition: str = "cixi-2025",
    policy_ids: list[str] | None = None,
    year: int = 2025,
    acting_user: User | None = None,
    materials: list[dict[str, Any]] | None = None,
    funding_split: dict[str, str] | None = None,
    notice_days: int = 7,
) -> PolicyBatch:
    stored = PolicyEdition.objects.get(edition_id=edition)
    today = timezone.localdate()
    batch = svc.batch_create(
        acting_user=acting_user,
        code=code,
        name=f"{year}年度中小企业数字化改造项目（{code}）",
        edition=stored,
        policy_ids=policy_ids or [p["id"] for p in stored.document["policies"]],
        year=year,
        opens_on=today - dt.timedelta(days=30),
        closes_on=today + dt.timedelta(days=30),
        region=Region.objects.get(code="cixi"),
        funding_split=funding_split,
        required_materials=materials
        if materials is not None
        else [{"code": "plan", "label": "项目实施方案", "required": True}],
        notice_days=notice_days,
    )
    return svc.batch_set_status(acting_user=acting_user, batch=batch, status=PolicyBatch.Status.OPEN)


def pdf(name: str = "方案.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF_BYTES, content_type="application/pdf")


def draft(
    *,
    batch: PolicyBatch,
    enterprise: Enterprise,
    policy_id: str = "cixi-2025-new-it",
    firm: User | None = None,
    **data: Any,
) -> Application:
    fields = {
        "project_name": "智能车间改造项目",
        "kinds": ["new_it"],
        "in_pilot_plan": False,
        "declared_investment": "800000",
        **data,
    }
    return svc.application_create(
        acting_user=firm, batch=batch, policy_id=policy_id, enterprise=enterprise, data=fields
    )


def advance(
    app: Application,
    to: str,
    *,
    firm: User | None = None,
    town: User | None = None,
    bureau: User | None = None,
    expert: User | None = None,
    verified: Decimal | str = "700000",
    amount: Decimal | str | None = None,
    reason: str = "",
) -> Application:
    """Drive ``app`` forward along the main line until it reaches ``to``, through the real
    services all the way: past ACCEPTED the funds services approve ``amount`` (default: the
    ceiling; ``reason`` when below it — the programme's budgets must have been allocated, see
    ``shuzhuan.funds.tests.factories.allocate``), the public notice starts ``notice_days + 1``
    days ago, disbursement starts the day after it ended, and CLOSED pays every share."""
    from shuzhuan.funds import services as funds

    order = [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.FORMAL_REVIEW,
        Status.EXPERT_REVIEW,
        Status.INCLUDED,
        Status.IMPLEMENTING,
        Status.ACCEPTANCE_REQUESTED,
        Status.ACCEPTED,
        Status.APPROVED,
        Status.PUBLIC_NOTICE,
        Status.DISBURSING,
        Status.CLOSED,
    ]
    target = order.index(Status(to))
    while order.index(Status(app.status)) < target:
        s = app.status
        if s == Status.DRAFT:
            for m in app.batch.required_materials:
                svc.material_upload(acting_user=firm, application=app, kind=m["code"], upload=pdf())
            app = svc.application_submit(acting_user=firm, application=app, declaration=True)
        elif s == Status.SUBMITTED:
            app = svc.application_move(acting_user=town, application=app, action="town_pass")
        elif s == Status.FORMAL_REVIEW:
            app = svc.application_move(acting_user=bureau, application=app, action="formal_pass")
        elif s == Status.EXPERT_REVIEW:
            reviewer = expert or User.objects.filter(role="expert", is_active=True).first()
            assert reviewer is not None, "an expert user is needed"
            (review,) = svc.expert_assign(acting_user=bureau, application=app, experts=[reviewer]) or list(
                app.expert_reviews.filter(expert=reviewer)
            )
            svc.expert_review_submit(
                acting_user=reviewer,
                review=review,
                no_conflict=True,
                scores={"necessity": 18, "solution": 25, "investment": 16, "outcome": 17, "foundation": 8},
            )
            app = svc.application_include(acting_user=bureau, application=app)
        elif s == Status.INCLUDED:
            app = svc.application_move(acting_user=firm, application=app, action="start")
        elif s == Status.IMPLEMENTING:
            if not app.invoices.exists():
                svc.invoice_add(
                    acting_user=firm,
                    application=app,
                    number=f"3302{app.pk:08d}",
                    issued_on=timezone.localdate() - dt.timedelta(days=10),
                    amount=app.declared_investment,
                )
            app = svc.application_request_acceptance(acting_user=firm, application=app)
        elif s == Status.ACCEPTANCE_REQUESTED:
            app = svc.application_accept(
                acting_user=bureau, application=app, verified_investment=verified, notes="现场核查，资料齐全"
            )
        elif s == Status.ACCEPTED:
            funds.award_approve(
                acting_user=bureau,
                application=app,
                amount=app.ceiling if amount is None else amount,
                reason=reason,
            )
        elif s == Status.APPROVED:
            app = svc.application_start_notice(
                acting_user=bureau,
                application=app,
                starts_on=timezone.localdate() - dt.timedelta(days=app.batch.notice_days + 1),
            )
        elif s == Status.PUBLIC_NOTICE:
            assert app.notice_ends_on is not None
            app = svc.application_start_disbursement(
                acting_user=bureau, application=app, today=app.notice_ends_on + dt.timedelta(days=1)
            )
        elif s == Status.DISBURSING:
            for share in app.award.shares.filter(amount__gt=0):
                funds.share_pay(
                    acting_user=bureau,
                    share=share,
                    reference=funds.payment_reference(share, year=app.batch.year),
                    idempotency_key=funds.payment_idempotency_key(share),
                )
        app.refresh_from_db()
    return app
