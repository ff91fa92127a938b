"""Push: new matches become notices, never twice, not to opted-out enterprises, at most the daily
cap per enterprise per day."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from shuzhuan.applications.models import Notice, PolicyBatch, Status
from shuzhuan.applications.tests.factories import open_batch
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.matching import services as svc
from shuzhuan.matching.models import MatchRun, PushPreference, PushRecord
from shuzhuan.matching.tests.factories import project

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(county: Any) -> PolicyBatch:
    return open_batch(acting_user=county.users["bureau_officer"])


def _notices(enterprise: Any) -> list[Notice]:
    return list(Notice.objects.filter(enterprise=enterprise, application__isnull=True).order_by("pk"))


def test_pushing_twice_after_one_run_sends_nothing_the_second_time(
    county: Any,
    batch: PolicyBatch,
    roles: dict[str, Any],
    django_capture_on_commit_callbacks: Any,
    caplog: Any,
) -> None:
    # a new-IT project that also applies AI: eligible for cixi-2025-ai, which it has not applied for
    project(
        batch=batch,
        enterprise=county.own,
        roles=roles,
        to=Status.ACCEPTED,
        kinds=["new_it", "ai_model"],
        verified="250000",
    )
    run = svc.match_run(acting_user=None)
    caplog.set_level("INFO", logger="shuzhuan.notices")
    with django_capture_on_commit_callbacks(execute=True):
        report = svc.match_push(acting_user=roles["bureau"], run=run)
    # own: ai (eligible) and pilot (prospect); its new-IT near miss is not pushed, nor new-IT itself
    # (applied); neighbour and elsewhere: pilot (prospect)
    assert report.as_dict() == {"run": 1, "sent": 4, "enterprises": 3, "waiting": 0, "opted_out": 0}
    ai, pilot = _notices(county.own)
    assert ai.title == "政策匹配：您符合“人工智能大模型应用项目补助”"
    assert "预计补助上限 125,000.00 元" in ai.body and "慈经信建〔2025〕15号" in ai.body
    assert f"现可在“{batch.name}”中申报" in ai.body
    assert ai.link == f"/apply/{batch.code}/cixi-2025-ai/"
    assert (
        pilot.title == "政策匹配：您可申报“重点行业中小企业数字化改造试点项目补助”"
        and "补助最高 500,000.00 元" in pilot.body
    )
    assert pilot.link == f"/apply/{batch.code}/cixi-2025-pilot/"
    assert PushRecord.objects.count() == 4
    record = PushRecord.objects.get(enterprise=county.own, policy_id="cixi-2025-ai")
    assert (record.status, record.first_run, record.notice) == ("eligible", run, ai)
    # delivered to the adapter after commit (the default adapter logs one line per notice)
    assert sum("notice to" in r.getMessage() for r in caplog.records) == 4
    assert AuditEntry.objects.filter(action="match.push").count() == 1

    again = svc.match_push(acting_user=None, run=run)
    assert (again.sent, again.enterprises) == (0, 0)
    # …and after another run with the same matches, nothing either
    svc.match_run(acting_user=None)
    assert svc.match_push(acting_user=None).sent == 0
    assert Notice.objects.filter(application__isnull=True).count() == 4


def test_a_match_that_goes_and_comes_back_is_not_pushed_again(county: Any, settings: Any) -> None:
    svc.match_run(acting_user=None)
    assert svc.match_push(acting_user=None).sent == 3  # three pilot prospects
    county.own.is_sme = False  # no longer a prospect…
    county.own.save()
    svc.match_run(acting_user=None)
    assert svc.match_push(acting_user=None).sent == 0
    county.own.is_sme = True  # …a prospect again: already pushed as such
    county.own.save()
    svc.match_run(acting_user=None)
    assert svc.match_push(acting_user=None).sent == 0


def test_opted_out_enterprises_receive_nothing_until_they_opt_in(county: Any, roles: dict[str, Any]) -> None:
    pref = svc.push_preference_set(acting_user=roles["firm"], enterprise=county.own, opted_out=True)
    assert pref.opted_out and pref.updated_by == roles["firm"]
    assert AuditEntry.objects.filter(action="match.push_preference", object_id=county.own.uscc).count() == 1
    svc.match_run(acting_user=None)
    report = svc.match_push(acting_user=None)
    assert (report.sent, report.opted_out) == (2, 1)
    assert _notices(county.own) == [] and not PushRecord.objects.filter(enterprise=county.own).exists()

    svc.push_preference_set(acting_user=roles["town"], enterprise=county.own, opted_out=False)
    assert svc.match_push(acting_user=None).sent == 1
    assert len(_notices(county.own)) == 1


def test_push_preferences_are_the_enterprises_own(county: Any, roles: dict[str, Any]) -> None:
    for user, enterprise in (
        (roles["firm"], county.neighbour),  # another enterprise
        (roles["town"], county.elsewhere),  # outside the town officer's town
        (roles["expert"], county.own),
    ):
        with pytest.raises(ApplicationError) as info:
            svc.push_preference_set(acting_user=user, enterprise=enterprise, opted_out=True)
        assert info.value.field == "user"
    assert not PushPreference.objects.exists()
    svc.push_preference_set(acting_user=roles["bureau"], enterprise=county.elsewhere, opted_out=True)
    svc.push_preference_set(
        acting_user=None, enterprise=county.elsewhere, opted_out=True
    )  # unchanged: no audit
    assert AuditEntry.objects.filter(action="match.push_preference").count() == 1


def test_the_daily_cap_holds_the_rest_for_the_next_day(
    county: Any, batch: PolicyBatch, roles: dict[str, Any], settings: Any
) -> None:
    settings.SHUZHUAN_PUSH_DAILY_CAP = 1
    project(
        batch=batch,
        enterprise=county.own,
        roles=roles,
        to=Status.ACCEPTED,
        kinds=["new_it", "ai_model"],
        verified="700000",
    )
    svc.match_run(acting_user=None)
    now = timezone.now()
    first = svc.match_push(acting_user=None, now=now)
    assert (first.sent, first.waiting) == (3, 1)  # own: ai (eligible first); pilot waits
    (ai,) = _notices(county.own)
    assert ai.title == "政策匹配：您符合“人工智能大模型应用项目补助”"
    assert PushRecord.objects.get(enterprise=county.own).policy_id == "cixi-2025-ai"
    same_day = svc.match_push(acting_user=None, now=now + dt.timedelta(minutes=5))
    assert (same_day.sent, same_day.waiting) == (0, 1)
    next_day = svc.match_push(acting_user=None, now=now + dt.timedelta(days=1))
    assert (next_day.sent, next_day.waiting) == (1, 0)
    assert [n.link for n in _notices(county.own)] == [
        f"/apply/{batch.code}/cixi-2025-ai/",
        f"/apply/{batch.code}/cixi-2025-pilot/",
    ]


def test_without_an_open_batch_the_notice_says_so(county: Any) -> None:
    svc.match_run(acting_user=None)
    svc.match_push(acting_user=None)
    (notice,) = _notices(county.own)
    assert notice.link == "" and "申报批次开放后即可申报" in notice.body


def test_push_needs_the_current_run(county: Any, roles: dict[str, Any]) -> None:
    with pytest.raises(ApplicationError, match="尚无成功的政策匹配"):
        svc.match_push(acting_user=None)
    old = svc.match_run(acting_user=None)
    svc.match_run(acting_user=None)
    with pytest.raises(ApplicationError, match="第 1 次匹配不是最新一次成功的匹配"):
        svc.match_push(acting_user=None, run=old)
    with pytest.raises(ApplicationError) as info:
        svc.match_push(acting_user=roles["town"])
    assert info.value.field == "user"
    assert MatchRun.objects.count() == 2
