"""Reads for the pages: an enterprise's matches, per policy the matched enterprises that have not
applied (by town, within a region), the outreach workbook, changes and summaries."""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from shuzhuan.applications.models import PolicyBatch, Status
from shuzhuan.applications.tests.factories import open_batch
from shuzhuan.enterprises.models import Region
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, town
from shuzhuan.matching import selectors as sel
from shuzhuan.matching import services as svc
from shuzhuan.matching.exports import HEADERS, policy_unapplied_rows, policy_unapplied_xlsx
from shuzhuan.matching.models import MatchRun
from shuzhuan.matching.tests.factories import project

pytestmark = pytest.mark.django_db

PILOT = "cixi-2025-pilot"


@pytest.fixture
def batch(county: Any) -> PolicyBatch:
    return open_batch(acting_user=county.users["bureau_officer"])


def test_nothing_before_the_first_run(county: Any) -> None:
    assert sel.match_run_current() is None
    assert sel.enterprise_matches(enterprise=county.own) == []
    assert list(sel.policy_unapplied(policy_id=PILOT)) == []
    assert sel.policy_summaries() == [] and list(sel.match_changes()) == []


def test_an_enterprise_sees_its_matches_with_amounts_gaps_and_where_to_apply(
    county: Any, batch: PolicyBatch, roles: dict[str, Any]
) -> None:
    applied = project(
        batch=batch,
        enterprise=county.own,
        roles=roles,
        to=Status.ACCEPTED,
        kinds=["new_it", "ai_model"],
        verified="250000",
    )
    run = svc.match_run(acting_user=None)
    rows = sel.enterprise_matches(enterprise=county.own)
    assert [(r.policy_id, r.status) for r in rows] == [
        ("cixi-2025-ai", "eligible"),
        ("cixi-2025-pilot", "prospect"),
        ("cixi-2025-new-it", "near_miss"),
    ]
    ai, pilot, new_it = rows
    assert (ai.ceiling, ai.project_id, ai.status_label) == (Decimal("125000.00"), applied.number, "符合条件")
    assert ai.batch == batch and ai.can_apply and ai.apply_path == f"/apply/{batch.code}/cixi-2025-ai/"
    assert ai.policy_title == "人工智能大模型应用项目补助" and "慈经信建〔2025〕15号" in ai.citation
    assert pilot.ceiling == Decimal("500000.00") and pilot.project_id == "" and pilot.can_apply
    # already applied under new-IT: no button, the application instead
    assert new_it.application_number == applied.number and not new_it.can_apply and new_it.batch == batch
    assert new_it.gap_text == "核定投入额还差 5 万元即达 30 万元门槛" and new_it.gap == Decimal("50000.00")
    assert not any(r.auto_grant for r in rows)
    # an explicit run gives the same; a closed batch takes no application
    assert sel.enterprise_matches(enterprise=county.own, run=run) == rows
    batch.status = PolicyBatch.Status.CLOSED
    batch.save()
    assert all(r.batch is None and not r.can_apply for r in sel.enterprise_matches(enterprise=county.own))


def test_per_policy_the_matched_enterprises_that_have_not_applied_by_town(
    county: Any, batch: PolicyBatch, roles: dict[str, Any]
) -> None:
    # own applies under pilot (a pilot project, submitted): no longer to visit for pilot
    project(
        batch=batch,
        enterprise=county.own,
        roles=roles,
        to=Status.SUBMITTED,
        policy_id=PILOT,
        kinds=["pilot"],
        in_pilot_plan=True,
    )
    EnterpriseFactory.create(name="慈溪市丁模具有限公司", town=town("cixi-guanhaiwei"))
    EnterpriseFactory.create(name="慈溪市戊模具有限公司", town=town("cixi-zhouxiang"), status="deregistered")
    svc.match_run(acting_user=None)

    names = [m.enterprise.name for m in sel.policy_unapplied(policy_id=PILOT)]
    assert county.own.name not in names
    guanhaiwei, zhouxiang = town("cixi-guanhaiwei"), town("cixi-zhouxiang")
    # ordered by town (the towns' order), then name; the deregistered one is left out
    order = {r.code: r.sort_order for r in Region.objects.filter(level="town")}
    towns = [m.enterprise.town.code for m in sel.policy_unapplied(policy_id=PILOT)]
    assert towns == sorted(towns, key=lambda c: (order[c], c))
    assert sorted(names) == sorted(["慈溪市乙家电有限公司", "慈溪市丙轴承有限公司", "慈溪市丁模具有限公司"])
    # a town officer's region
    scoped = sel.policy_unapplied(policy_id=PILOT, region=roles["town"].region)
    assert {m.enterprise.town for m in scoped} == {guanhaiwei}
    assert [m.enterprise.name for m in sel.policy_unapplied(policy_id=PILOT, town=zhouxiang)] == [
        "慈溪市丙轴承有限公司"
    ]
    by_town = {t.town_code: t for t in sel.policy_unapplied_by_town(policy_id=PILOT)}
    assert (by_town["cixi-guanhaiwei"].prospect, by_town["cixi-guanhaiwei"].total) == (2, 2)
    assert by_town["cixi-zhouxiang"].town_name == zhouxiang.name and by_town["cixi-zhouxiang"].total == 1
    assert list(sel.policy_unapplied_by_town(policy_id=PILOT, region=roles["town"].region)) == [
        by_town["cixi-guanhaiwei"]
    ]
    # the near miss's words go with it; statuses may be narrowed
    assert list(sel.policy_unapplied(policy_id=PILOT, statuses=["eligible"])) == []

    (summary,) = [s for s in sel.policy_summaries() if s.policy_id == PILOT]
    # own's submitted pilot project is a near miss (not yet accepted); own has applied
    assert (summary.prospect, summary.near_miss, summary.eligible, summary.unapplied) == (3, 1, 0, 3)
    assert summary.policy_title == "重点行业中小企业数字化改造试点项目补助" and not summary.auto_grant


def test_the_outreach_workbook(county: Any, batch: PolicyBatch, roles: dict[str, Any]) -> None:
    project(batch=batch, enterprise=county.neighbour, roles=roles, to=Status.ACCEPTED, verified="250000")
    svc.match_run(acting_user=None)
    data = policy_unapplied_xlsx(policy_id="cixi-2025-ai")  # nobody matched: the header only
    assert [c.value for c in load_workbook(io.BytesIO(data)).worksheets[0][1]] == list(HEADERS)

    # new-IT: the neighbour has applied under it (its near miss is not to visit)…
    assert policy_unapplied_rows(policy_id="cixi-2025-new-it") == []
    # …pilot: three prospects, with their amounts
    wb = load_workbook(io.BytesIO(policy_unapplied_xlsx(policy_id=PILOT)))
    ws = wb.worksheets[0]
    assert ws.title == "走访名单"
    rows = [[c.value for c in r] for r in ws.iter_rows()]
    assert rows[0] == [
        "企业名称",
        "统一社会信用代码",
        "镇（街道）",
        "行业",
        "政策",
        "状态",
        "预计补助上限",
        "差距说明",
    ]
    assert len(rows) == 4
    own = next(r for r in rows if r[1] == county.own.uscc)
    assert own[:6] == [
        county.own.name,
        county.own.uscc,
        county.own.town.name,
        "汽配",
        "重点行业中小企业数字化改造试点项目补助",
        "可申报",
    ]
    assert own[6] == 500000 and own[7] in (None, "")
    assert ws.cell(row=2, column=7).number_format == "#,##0.00"


def test_changes_of_a_run_within_a_region(county: Any, roles: dict[str, Any]) -> None:
    svc.match_run(acting_user=None)
    county.elsewhere.is_sme = False
    county.elsewhere.save()
    EnterpriseFactory.create(town=town("cixi-guanhaiwei"))
    run = svc.match_run(acting_user=None)
    assert {(c.kind, c.enterprise.town.code) for c in sel.match_changes()} == {
        ("new", "cixi-guanhaiwei"),
        ("gone", "cixi-zhouxiang"),
    }
    assert [c.kind for c in sel.match_changes(run=run, region=roles["town"].region)] == ["new"]
    assert [c.kind for c in sel.match_changes(kind="gone")] == ["gone"]
    assert sel.match_run_get(version=2) == run and list(sel.match_run_list()) == list(
        MatchRun.objects.order_by("-version")
    )
    assert sel.match_run_active() is None


def test_an_opted_out_enterprise_is_shown_as_such(county: Any, roles: dict[str, Any]) -> None:
    assert not sel.push_opted_out(county.own)
    svc.push_preference_set(acting_user=roles["firm"], enterprise=county.own, opted_out=True)
    assert sel.push_opted_out(county.own)
