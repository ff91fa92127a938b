"""Funds test data. Allocations go through ``allocation_record``; applications are driven to
any state through the real services by ``shuzhuan.applications.tests.factories.advance``.

``accepted_in_bulk`` is the one shortcut: the concurrency test needs hundreds of accepted
applications, and walking each through twelve services would cost more than the test itself,
so it writes accepted rows directly (what acceptance would have written: verified investment,
ceiling, status) — the services under test (approval, payment) then run for real.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from shuzhuan.accounts.models import User
from shuzhuan.applications.models import Application, PolicyBatch, Status
from shuzhuan.applications.tests.factories import draft
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import EnterpriseFactory
from shuzhuan.funds.models import LedgerEntry
from shuzhuan.funds.services import allocation_record

# The seeds' allocations for pilot projects (1423万元 central, 684.81万元 Ningbo). The seeds give
# no county figure; the county allocation here is the tests' own.
SEED_ALLOCATIONS = {
    "central": Decimal("14230000.00"),
    "city": Decimal("6848100.00"),
    "county": Decimal("5000000.00"),
}


def allocate(
    *,
    year: int = 2025,
    programme: str = "pilot",
    amounts: dict[str, Decimal | str] | None = None,
    acting_user: User | None = None,
    reference: str = "慈财企〔{year}〕{n}号",
) -> list[LedgerEntry]:
    entries = []
    for n, (level, amount) in enumerate((amounts or SEED_ALLOCATIONS).items(), start=1):
        entries.append(
            allocation_record(
                acting_user=acting_user,
                level=level,
                programme=programme,
                year=year,
                amount=amount,
                reference=f"{reference.format(year=year, n=n)}-{programme}-{level}",
            )
        )
    return entries


def pilot_draft(
    *, batch: PolicyBatch, enterprise: Enterprise, firm: User | None = None, **data: Any
) -> Application:
    """A 2025 pilot project (key industry, in the pilot plan): 50% of the verified investment,
    at most 500,000."""
    fields: dict[str, Any] = {
        "project_name": "汽配数字化车间改造",
        "kinds": ["pilot"],
        "in_pilot_plan": True,
        "declared_investment": "1000000",
        **data,
    }
    return draft(batch=batch, enterprise=enterprise, policy_id="cixi-2025-pilot", firm=firm, **fields)


def accepted_in_bulk(
    *, batch: PolicyBatch, n: int, ceiling: Decimal, policy_id: str = "cixi-2025-pilot"
) -> list[Application]:
    """``n`` accepted applications of ``n`` new enterprises, written directly (see the module
    docstring)."""
    enterprises = Enterprise.objects.bulk_create([EnterpriseFactory.build() for _ in range(n)])
    today = timezone.localdate()
    apps = Application.objects.bulk_create(
        [
            Application(
                batch=batch,
                policy_id=policy_id,
                enterprise=e,
                status=Status.ACCEPTED,
                number=f"SB{batch.year}B{i:05d}",
                project_name=f"批量项目{i:05d}",
                kinds=["pilot"],
                in_pilot_plan=True,
                declared_investment=ceiling * 2,
                verified_investment=ceiling * 2,
                accepted_on=today,
                ceiling=ceiling,
                ceiling_edition=batch.edition.edition_id,
                declaration_accepted=True,
                submitted_at=timezone.now(),
            )
            for i, e in enumerate(enterprises)
        ]
    )
    return apps
