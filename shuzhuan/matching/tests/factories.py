"""Matching test data.

Single projects go through the real services (``applications.tests.factories``). ``population``
is the one shortcut: the engines-agree test needs a few hundred enterprises and projects in
every state, and walking each through the workflow would cost more than the test; it writes
the registry and the applications directly, as ``funds.tests.factories.accepted_in_bulk`` does.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.utils import timezone

from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.applications.tests.factories import advance, draft
from shuzhuan.enterprises.models import Enterprise, Industry, Qualification, QualificationType, Region
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, make_uscc

# states a generated project may be in (drafts and ended ones are left out by the snapshot anyway)
_STATES = [
    Status.SUBMITTED,
    Status.EXPERT_REVIEW,
    Status.IMPLEMENTING,
    Status.ACCEPTANCE_REQUESTED,
    Status.ACCEPTED,
    Status.ACCEPTED,
    Status.ACCEPTED,
    Status.APPROVED,
    Status.DRAFT,
    Status.REJECTED,
]
_KINDS = [["new_it"], ["ai_model"], ["pilot"], ["new_it", "ai_model"], ["pilot", "new_it"]]


def project(
    *,
    batch: PolicyBatch,
    enterprise: Enterprise,
    roles: dict[str, Any],
    to: str,
    policy_id: str = "cixi-2025-new-it",
    verified: str = "700000",
    **data: Any,
) -> Application:
    """An application of ``enterprise`` driven to ``to`` through the real services."""
    firm = roles["firm"] if roles["firm"].enterprise_id == enterprise.pk else None
    app = draft(batch=batch, enterprise=enterprise, policy_id=policy_id, firm=firm, **data)
    others = {k: v for k, v in roles.items() if k != "firm"}
    return advance(app, to, firm=firm, verified=verified, **others)


def population(*, batch: PolicyBatch, enterprises: int, projects: int, seed: int = 7) -> None:
    """A generated county: enterprises of every industry, SME or not, some with qualifications
    (sample enterprise, tech SME), and projects of every kind in every state with investments
    around the 300,000 threshold (written directly, see the module docstring)."""
    rng = random.Random(seed)
    towns = list(Region.objects.filter(level=Region.Level.TOWN))
    industries = [*Industry.objects.all(), None]
    firms = Enterprise.objects.bulk_create(
        [
            EnterpriseFactory.build(
                uscc=make_uscc(900_000 + seed * 10_000 + i),
                name=f"慈溪市生成{seed}-{i:04d}有限公司",
                town=rng.choice(towns),
                industry=rng.choice(industries),
                is_sme=rng.random() < 0.85,
                above_scale=rng.random() < 0.3,
                status=Enterprise.Status.ACTIVE if rng.random() < 0.95 else Enterprise.Status.DEREGISTERED,
            )
            for i in range(enterprises)
        ]
    )
    types = {t.code: t for t in QualificationType.objects.all()}
    Qualification.objects.bulk_create(
        [
            Qualification(enterprise=e, type=types[code], year=2024)
            for e in firms
            for code in ("ningbo_sample_enterprise", "national_tech_sme")
            if rng.random() < 0.2
        ]
    )
    today = timezone.localdate()
    rows = []
    taken: set[tuple[int, str]] = set()  # one open application per enterprise, batch and policy
    for i in range(projects):
        status = rng.choice(_STATES)
        kinds = rng.choice(_KINDS)
        firm = rng.choice(firms)
        policy_id = rng.choice(["cixi-2025-new-it", "cixi-2025-ai", "cixi-2025-pilot"])
        if status not in (Status.REJECTED,):
            if (firm.pk, policy_id) in taken:
                status = Status.REJECTED
            else:
                taken.add((firm.pk, policy_id))
        declared = Decimal(rng.choice([150_000, 299_999, 300_000, 300_001, 450_000, 800_000, 1_200_000]))
        accepted = status in (Status.ACCEPTED, Status.APPROVED)
        verified = (
            (declared - Decimal(rng.choice([0, 0, 1, 50_000, 120_000]))).max(Decimal(0)) if accepted else None
        )
        rows.append(
            Application(
                batch=batch,
                policy_id=policy_id,
                enterprise=firm,
                status=status,
                number=f"SBG{seed}{i:06d}",
                project_name=f"生成项目{i:05d}",
                kinds=kinds,
                in_pilot_plan="pilot" in kinds and rng.random() < 0.8,
                declared_investment=declared,
                verified_investment=verified,
                accepted_on=today - dt.timedelta(days=rng.randint(0, 90)) if accepted else None,
                ceiling=None,
                submitted_at=None if status == Status.DRAFT else timezone.now(),
            )
        )
    Application.objects.bulk_create(rows)
