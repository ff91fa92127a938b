"""Demo programme: batches, applications in every workflow state, allocations and payments, so
``make run`` shows a living programme. Everything goes through the real services.

- ``2024-new-it`` (慈经信建〔2024〕18号, closed): 38 enterprises' new-IT projects, accepted, approved,
  noticed and paid — 5,266,100.00 yuan in all, the figure the 2025 reply reports for 2024.
- ``2025-pilot`` (慈经信建〔2025〕15号): the first pilot batch — 29 key-industry SMEs accepted and
  approved, 8,715,800.00 yuan across the three levels, against the central and Ningbo allocations
  of 14,230,000.00 and 6,848,100.00 the reply names.
- ``2026-digital`` (open): applications in every state from draft to closed, some of them the
  demo enterprise account's own.

The services stamp status changes with the current time; for the two past batches the demo then
moves those timestamps back into the batch's year (the only rows it writes around a service), so
the approval-cycle figures have something to show. Loading twice changes nothing.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from shuzhuan.accounts.models import Role, User
from shuzhuan.applications import services as svc
from shuzhuan.applications.models import Application, PolicyBatch, Status, StatusChange
from shuzhuan.enterprises.models import Enterprise, Region
from shuzhuan.policies.models import PolicyEdition

FEN = Decimal("0.01")
NEW_IT_2024_TOTAL = Decimal("5266100.00")  # 38 enterprises, 2024 (慈经信建〔2025〕15号)
NEW_IT_2024_COUNT = 38
PILOT_2025_TOTAL = Decimal("8715800.00")  # first pilot batch, 29 enterprises, three levels
PILOT_2025_COUNT = 29
ALLOCATIONS = [
    # (level, programme, year, amount, reference)
    ("central", "pilot", 2025, Decimal("14230000.00"), "中央中小企业数字化转型城市试点资金"),
    ("city", "pilot", 2025, Decimal("6848100.00"), "宁波市中小企业数字化改造专项资金"),
    ("county", "pilot", 2025, Decimal("6000000.00"), "慈溪市数字化改造配套资金"),
    ("county", "new-it", 2024, Decimal("6000000.00"), "慈溪市新一代信息技术应用专项资金"),
    *(
        (level, programme, 2026, amount, name)
        for programme in ("pilot", "new-it", "ai")
        for level, amount, name in (
            ("central", Decimal("5000000.00"), "中央中小企业数字化转型城市试点资金"),
            ("city", Decimal("2500000.00"), "宁波市中小企业数字化改造专项资金"),
            ("county", Decimal("2500000.00"), "慈溪市数字化改造配套资金"),
        )
    ),
]
MATERIALS = [
    {"code": "plan", "label": "项目实施方案", "required": True},
    {"code": "contract", "label": "项目合同", "required": False},
]
PROJECTS = [
    "智能车间改造",
    "MES 系统建设",
    "设备联网与数据采集",
    "仓储物流数字化",
    "质量追溯系统",
    "能耗在线监测",
    "数字孪生产线",
    "AI 视觉质检",
]
# A one-page PDF standing in for an uploaded plan (the upload check reads the content).
DEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
SCORES = {"necessity": 17, "solution": 25, "investment": 16, "outcome": 16, "foundation": 8}


@dataclass(frozen=True)
class ProgrammeReport:
    batches: int
    applications: int
    skipped: bool
    reason: str = ""


def _split_total(
    total: Decimal, count: int, low: Decimal, high: Decimal, rng: random.Random
) -> list[Decimal]:
    """``count`` amounts in [low, high], in whole hundreds, summing exactly to ``total``."""
    while True:
        values = [
            Decimal(rng.randrange(int(low) // 100, int(high) // 100 + 1) * 100) for _ in range(count - 1)
        ]
        last = total - sum(values, Decimal(0))
        if low <= last <= high:
            return [*values, last]


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("项目实施方案.pdf", DEMO_PDF, content_type="application/pdf")


def _roles() -> tuple[User, User]:
    bureau = User.objects.get(username="bureau")
    expert = User.objects.get(username="expert")
    return bureau, expert


def _batch(
    code: str,
    name: str,
    edition: str,
    policies: list[str],
    year: int,
    opens: dt.date,
    closes: dt.date,
    split: dict[str, str],
    bureau: User,
) -> PolicyBatch:
    batch = svc.batch_create(
        acting_user=bureau,
        code=code,
        name=name,
        edition=PolicyEdition.objects.get(edition_id=edition),
        policy_ids=policies,
        year=year,
        opens_on=opens,
        closes_on=closes,
        region=Region.objects.get(code="cixi"),
        funding_split=split,
        required_materials=MATERIALS,
    )
    return svc.batch_set_status(acting_user=bureau, batch=batch, status=PolicyBatch.Status.OPEN)


def _to_accepted(
    app: Application, *, bureau: User, expert: User, verified: Decimal, accepted_on: dt.date, today: dt.date
) -> Application:
    svc.material_upload(acting_user=None, application=app, kind="plan", upload=_pdf())
    app = svc.application_submit(acting_user=None, application=app, declaration=True, today=today)
    app = svc.application_move(acting_user=bureau, application=app, action="town_pass")
    app = svc.application_move(acting_user=bureau, application=app, action="formal_pass")
    (review,) = svc.expert_assign(acting_user=bureau, application=app, experts=[expert])
    svc.expert_review_submit(
        acting_user=expert, review=review, no_conflict=True, scores=SCORES, comment="方案可行"
    )
    app = svc.application_include(acting_user=bureau, application=app)
    app = svc.application_move(acting_user=None, application=app, action="start")
    svc.invoice_add(
        acting_user=None,
        application=app,
        number=f"3302{app.pk:08d}",
        issued_on=accepted_on - dt.timedelta(days=20),
        amount=app.declared_investment,
        seller="宁波某数字科技有限公司",
    )
    app = svc.application_request_acceptance(acting_user=None, application=app)
    return svc.application_accept(
        acting_user=bureau,
        application=app,
        verified_investment=verified,
        notes="现场核查，资料齐全，投入属实",
        accepted_on=accepted_on,
    )


def _approve(app: Application, *, bureau: User, notice_on: dt.date | None, pay: bool) -> Application:
    from shuzhuan.funds.services import award_approve

    assert app.ceiling is not None
    award_approve(acting_user=bureau, application=app, amount=app.ceiling)
    if notice_on is None:
        return Application.objects.get(pk=app.pk)
    app = svc.application_start_notice(acting_user=bureau, application=app, starts_on=notice_on)
    if not pay:
        return app
    assert app.notice_ends_on is not None
    return svc.application_start_disbursement(
        acting_user=bureau,
        application=app,
        today=max(app.notice_ends_on + dt.timedelta(days=1), timezone.localdate()),
    )


def _retime(batch: PolicyBatch, start: dt.date, end: dt.date, rng: random.Random) -> None:
    """Demo only: spread the batch's status changes over its year (see the module docstring)."""
    span = (end - start).days
    for app_id in Application.objects.filter(batch=batch).values_list("pk", flat=True):
        rows = list(StatusChange.objects.filter(application_id=app_id).order_by("at", "pk"))
        t = timezone.make_aware(
            dt.datetime.combine(start + dt.timedelta(days=rng.randrange(0, 20)), dt.time(9))
        )
        limit = timezone.make_aware(dt.datetime.combine(end, dt.time(17)))
        step = dt.timedelta(days=max(1, span // (len(rows) + 2)))
        for row in rows:
            StatusChange.objects.filter(pk=row.pk).update(at=min(t, limit))
            t += step * rng.uniform(0.3, 1.2)


def _enterprises(rng: random.Random, *, key: bool, exclude: set[int], count: int) -> list[Enterprise]:
    qs = Enterprise.objects.filter(status=Enterprise.Status.ACTIVE, is_sme=True).exclude(pk__in=exclude)
    if key:
        qs = qs.filter(industry__code__in=["auto_parts", "home_appliances"])
    pool = list(qs.order_by("pk").values_list("pk", flat=True))
    chosen = rng.sample(pool, min(count, len(pool)))
    exclude.update(chosen)
    return list(Enterprise.objects.filter(pk__in=chosen).order_by("pk"))


def demo_programme_load(*, seed: int = 20250630) -> ProgrammeReport:
    if PolicyBatch.objects.filter(code__in=["2024-new-it", "2025-pilot", "2026-digital"]).exists():
        return ProgrammeReport(
            batches=PolicyBatch.objects.count(),
            applications=Application.objects.count(),
            skipped=True,
            reason="已存在，未重复载入",
        )
    from shuzhuan.funds.services import allocation_record, disbursement_run

    key_smes = Enterprise.objects.filter(
        status=Enterprise.Status.ACTIVE, is_sme=True, industry__code__in=["auto_parts", "home_appliances"]
    ).count()
    needed = PILOT_2025_COUNT + 2 * 16 + 1
    if (
        key_smes < needed
        or Enterprise.objects.filter(status=Enterprise.Status.ACTIVE, is_sme=True).count()
        < needed + NEW_IT_2024_COUNT
    ):
        return ProgrammeReport(
            batches=0,
            applications=0,
            skipped=True,
            reason=f"演示企业太少（重点行业中小企业 {key_smes} 家，需 {needed} 家以上）",
        )
    rng = random.Random(seed)
    bureau, expert = _roles()
    today = timezone.localdate()
    used: set[int] = set()
    demo_firm = (
        User.objects.filter(username="enterprise", role=Role.ENTERPRISE)
        .values_list("enterprise_id", flat=True)
        .first()
    )
    if demo_firm:
        used.add(demo_firm)
    with transaction.atomic():
        for level, programme, year, amount, reference in ALLOCATIONS:
            allocation_record(
                acting_user=bureau,
                level=level,
                programme=programme,
                year=year,
                amount=amount,
                reference=f"{reference}（{year}）",
            )

        # 2024: new-IT projects, all paid
        b24 = _batch(
            "2024-new-it",
            "2024年度新一代信息技术数字化改造项目",
            "cixi-2024",
            ["cixi-2024-new-it"],
            2024,
            dt.date(2024, 3, 1),
            dt.date(2024, 4, 30),
            {"central": "0", "city": "0", "county": "1"},
            bureau,
        )
        ceilings = _split_total(
            NEW_IT_2024_TOTAL, NEW_IT_2024_COUNT, Decimal("60000"), Decimal("300000"), rng
        )
        for ent, ceiling in zip(
            _enterprises(rng, key=False, exclude=used, count=NEW_IT_2024_COUNT), ceilings, strict=True
        ):
            verified = (ceiling / Decimal("0.2")).quantize(FEN, rounding=ROUND_HALF_UP)
            app = svc.application_create(
                acting_user=None,
                batch=b24,
                policy_id="cixi-2024-new-it",
                enterprise=ent,
                today=dt.date(2024, 3, 15),
                data={
                    "project_name": f"{rng.choice(PROJECTS)}项目",
                    "kinds": ["new_it"],
                    "declared_investment": verified + rng.randrange(0, 5) * 10000,
                },
            )
            app = _to_accepted(
                app,
                bureau=bureau,
                expert=expert,
                verified=verified,
                accepted_on=dt.date(2024, 11, 20),
                today=dt.date(2024, 3, 20),
            )
            _approve(app, bureau=bureau, notice_on=dt.date(2024, 12, 2), pay=True)
        svc.batch_set_status(acting_user=bureau, batch=b24, status=PolicyBatch.Status.CLOSED)

        # 2025: the first pilot batch, approved (some under public notice), not yet paid
        b25 = _batch(
            "2025-pilot",
            "2025年度重点行业中小企业数字化改造试点项目（第一批）",
            "cixi-2025",
            ["cixi-2025-pilot"],
            2025,
            dt.date(2025, 2, 10),
            dt.date(2025, 3, 31),
            {"central": "0.5", "city": "0.25", "county": "0.25"},
            bureau,
        )
        ceilings = _split_total(PILOT_2025_TOTAL, PILOT_2025_COUNT, Decimal("150000"), Decimal("500000"), rng)
        for i, (ent, ceiling) in enumerate(
            zip(_enterprises(rng, key=True, exclude=used, count=PILOT_2025_COUNT), ceilings, strict=True)
        ):
            verified = ceiling * 2
            app = svc.application_create(
                acting_user=None,
                batch=b25,
                policy_id="cixi-2025-pilot",
                enterprise=ent,
                today=dt.date(2025, 2, 20),
                data={
                    "project_name": f"{rng.choice(PROJECTS)}试点项目",
                    "kinds": ["pilot"],
                    "in_pilot_plan": True,
                    "declared_investment": verified,
                },
            )
            app = _to_accepted(
                app,
                bureau=bureau,
                expert=expert,
                verified=verified,
                accepted_on=dt.date(2025, 10, 15),
                today=dt.date(2025, 3, 1),
            )
            _approve(
                app, bureau=bureau, notice_on=today - dt.timedelta(days=3) if i % 3 == 0 else None, pay=False
            )
        svc.batch_set_status(acting_user=bureau, batch=b25, status=PolicyBatch.Status.CLOSED)

        # 2026: an open batch with every state
        b26 = _batch(
            "2026-digital",
            "2026年度中小企业数字化改造项目",
            "cixi-2025",
            ["cixi-2025-pilot", "cixi-2025-new-it", "cixi-2025-ai"],
            2026,
            today - dt.timedelta(days=120),
            today + dt.timedelta(days=40),
            {"central": "0.5", "city": "0.25", "county": "0.25"},
            bureau,
        )
        _every_state(b26, rng=rng, used=used, bureau=bureau, expert=expert, demo_firm=demo_firm)
    disbursement_run(acting_user=bureau, batch=b24)
    _retime(b24, dt.date(2024, 3, 20), dt.date(2024, 12, 31), rng)
    _retime(b25, dt.date(2025, 3, 1), dt.date(2025, 11, 10), rng)
    return ProgrammeReport(
        batches=PolicyBatch.objects.count(), applications=Application.objects.count(), skipped=False
    )


def _every_state(
    batch: PolicyBatch,
    *,
    rng: random.Random,
    used: set[int],
    bureau: User,
    expert: User,
    demo_firm: int | None,
) -> None:
    targets = [
        Status.DRAFT,
        Status.SUBMITTED,
        Status.RETURNED,
        Status.FORMAL_REVIEW,
        Status.EXPERT_REVIEW,
        Status.INCLUDED,
        Status.REJECTED,
        Status.IMPLEMENTING,
        Status.ACCEPTANCE_REQUESTED,
        Status.ACCEPTED,
        Status.FAILED,
        Status.APPROVED,
        Status.PUBLIC_NOTICE,
        Status.DISBURSING,
        Status.CLOSED,
        Status.WITHDRAWN,
    ]
    firms = _enterprises(rng, key=True, exclude=used, count=len(targets) * 2)
    if demo_firm:
        firms[0] = Enterprise.objects.get(pk=demo_firm)
        firms[len(targets)] = firms[0]
    today = timezone.localdate()
    for i, ent in enumerate(firms):
        target = targets[i % len(targets)]
        kind, policy = [
            ("new_it", "cixi-2025-new-it"),
            ("ai_model", "cixi-2025-ai"),
            ("pilot", "cixi-2025-pilot"),
        ][i % 3]
        if ent.pk == demo_firm and i >= len(targets):
            kind, policy = "ai_model", "cixi-2025-ai"
        declared = Decimal(rng.randrange(30, 160) * 10000)
        app = svc.application_create(
            acting_user=None,
            batch=batch,
            policy_id=policy,
            enterprise=ent,
            data={
                "project_name": f"{rng.choice(PROJECTS)}项目",
                "kinds": [kind],
                "in_pilot_plan": kind == "pilot",
                "declared_investment": declared,
            },
        )
        if target == Status.DRAFT:
            continue
        if target == Status.WITHDRAWN:
            svc.application_move(acting_user=None, application=app, action="withdraw")
            continue
        svc.material_upload(acting_user=None, application=app, kind="plan", upload=_pdf())
        app = svc.application_submit(acting_user=None, application=app, declaration=True)
        if target == Status.SUBMITTED:
            continue
        if target == Status.RETURNED:
            svc.application_move(
                acting_user=bureau, application=app, action="town_return", reason="实施方案缺少盖章页，请补充"
            )
            continue
        app = svc.application_move(acting_user=bureau, application=app, action="town_pass")
        if target == Status.FORMAL_REVIEW:
            continue
        app = svc.application_move(acting_user=bureau, application=app, action="formal_pass")
        if target == Status.EXPERT_REVIEW:
            svc.expert_assign(acting_user=bureau, application=app, experts=[expert])
            continue
        (review,) = svc.expert_assign(acting_user=bureau, application=app, experts=[expert])
        svc.expert_review_submit(acting_user=expert, review=review, no_conflict=True, scores=SCORES)
        if target == Status.REJECTED:
            svc.application_move(
                acting_user=bureau, application=app, action="exclude", reason="项目内容与数字化改造关联度不高"
            )
            continue
        app = svc.application_include(acting_user=bureau, application=app)
        if target == Status.INCLUDED:
            continue
        app = svc.application_move(acting_user=None, application=app, action="start")
        if target == Status.IMPLEMENTING:
            continue
        svc.invoice_add(
            acting_user=None,
            application=app,
            number=f"3302{app.pk:08d}",
            issued_on=today - dt.timedelta(days=15),
            amount=declared,
        )
        app = svc.application_request_acceptance(acting_user=None, application=app)
        if target == Status.ACCEPTANCE_REQUESTED:
            continue
        if target == Status.FAILED:
            svc.application_move(
                acting_user=bureau, application=app, action="fail", reason="现场核查时设备尚未投入使用"
            )
            continue
        verified = (declared * Decimal(rng.choice(["0.8", "0.9", "1"]))).quantize(FEN)
        app = svc.application_accept(
            acting_user=bureau, application=app, verified_investment=verified, notes="现场核查通过"
        )
        if target == Status.ACCEPTED:
            continue
        notice_on = (
            None
            if target == Status.APPROVED
            else (today - dt.timedelta(days=2 if target == Status.PUBLIC_NOTICE else 10))
        )
        _approve(app, bureau=bureau, notice_on=notice_on, pay=target in (Status.DISBURSING, Status.CLOSED))
        if target == Status.CLOSED:
            from shuzhuan.funds.models import AwardShare
            from shuzhuan.funds.services import share_pay

            for share in AwardShare.objects.filter(award__application=app, amount__gt=0):
                share_pay(
                    acting_user=bureau,
                    share=share,
                    reference=f"DEMO{share.pk:08d}",
                    idempotency_key=f"demo-{share.pk}",
                )
