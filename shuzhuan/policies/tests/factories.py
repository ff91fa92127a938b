"""The policy-impact tests' data (``policy impact`` on the command line, 影响测算 on a draft's
page, and its browser test), built through the real services.

Population (cixi-2025, AI 50% ≤ 300,000): ``own`` (观海卫镇) an AI project verified at 1,000,000
→ 300,000 (capped); ``elsewhere`` (周巷镇) one verified at 400,000 → 200,000. The draft raises the
cap to 500,000, which lifts the first to 500,000: +200,000.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from shuzhuan.applications.models import Application, Status
from shuzhuan.applications.tests.factories import advance, draft, open_batch
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.services import edition_draft_create, edition_parameter_set

if TYPE_CHECKING:
    from conftest import County


def impact_projects(county: County, *, batch_prefix: str = "impact") -> list[Application]:
    """``own``'s then ``elsewhere``'s AI project, accepted, each in a batch of its own
    (``{batch_prefix}-{enterprise pk}``)."""
    projects = []
    for enterprise, verified in ((county.own, "1000000"), (county.elsewhere, "400000")):
        batch = open_batch(acting_user=county.users["bureau_officer"], code=f"{batch_prefix}-{enterprise.pk}")
        app = draft(
            batch=batch,
            enterprise=enterprise,
            policy_id="cixi-2025-ai",
            kinds=["ai_model"],
            declared_investment=verified,
        )
        projects.append(
            advance(
                app,
                Status.ACCEPTED,
                bureau=county.users["bureau_officer"],
                expert=county.users["expert"],
                verified=verified,
            )
        )
    return projects


def draft_2026(county: County) -> PolicyEdition:
    """The bureau's draft cixi-2026, copied from cixi-2025 and in force from 2026-01-01, with the
    AI-model cap (cixi-2026-ai) raised to 500,000."""
    bureau = county.users["bureau_officer"]
    stored = edition_draft_create(
        acting_user=bureau,
        based_on=PolicyEdition.objects.get(edition_id="cixi-2025"),
        edition_id="cixi-2026",
        effective_from=dt.date(2026, 1, 1),
    )
    return edition_parameter_set(
        acting_user=bureau, draft=stored, policy_id="cixi-2026-ai", step="cap", value="500000"
    )
