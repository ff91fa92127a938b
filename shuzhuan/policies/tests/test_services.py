"""Stored editions: the shipped ones are published by the migration; a bureau officer copies one
as a draft, changes a cap and publishes it; the calculator uses it from its effective date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.audit.models import AuditEntry
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.calc import policy_calc
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_changes, edition_rulebook
from shuzhuan.policies.services import edition_draft_create, edition_parameter_set, edition_publish
from shuzhuan.policies.shipped import editions_load_shipped
from shuzhuan.rules.loader import default_rulebook

pytestmark = pytest.mark.django_db

NEW_YEAR = dt.date(2026, 1, 1)


@pytest.fixture
def officer() -> User:
    return make_user(Role.BUREAU_OFFICER, username="bureau")


def _stored(edition_id: str) -> PolicyEdition:
    return PolicyEdition.objects.get(edition_id=edition_id)


def _draft(officer: User, **kw: Any) -> PolicyEdition:
    return edition_draft_create(
        acting_user=officer,
        based_on=_stored("cixi-2025"),
        edition_id=kw.pop("edition_id", "cixi-2026"),
        effective_from=kw.pop("effective_from", NEW_YEAR),
        **kw,
    )


def _ai_case(as_of: str) -> dict[str, Any]:
    return {
        "as_of": as_of,
        "enterprise": {"industry": "textiles", "is_sme": True},
        "project": {"kinds": ["ai_model"], "accepted": True, "verified_investment": "1000000"},
    }


def test_a_migrated_database_holds_the_shipped_editions_published() -> None:
    stored = {e.edition_id: e for e in PolicyEdition.objects.all()}
    assert set(stored) == {"cixi-2024", "cixi-2025"}
    assert all(e.status == PolicyEdition.Status.PUBLISHED and e.published_at for e in stored.values())
    assert stored["cixi-2025"].effective_to is None
    assert edition_rulebook() == default_rulebook()  # the same editions, from the database
    assert editions_load_shipped(PolicyEdition) == []  # idempotent: nothing added twice


def test_draft_copies_the_edition_renamed_with_its_new_date(officer: User) -> None:
    draft = _draft(officer, document_number="慈经信建〔2026〕1号")
    assert draft.is_draft and draft.based_on == _stored("cixi-2025")
    doc = draft.document
    assert doc["id"] == "cixi-2026" and doc["effective_from"] == "2026-01-01" and doc["effective_to"] is None
    assert [p["id"] for p in doc["policies"]] == ["cixi-2026-pilot", "cixi-2026-new-it", "cixi-2026-ai"]
    assert {p["citation"]["document"] for p in doc["policies"]} == {"慈经信建〔2026〕1号"}
    assert edition_changes(draft) == []
    assert AuditEntry.objects.filter(action="policy_edition.draft_create", object_id="cixi-2026").exists()
    # A draft is not in force.
    assert policy_calc(data=_ai_case("2026-06-30"))["edition"] == "cixi-2025"


def test_a_one_time_reward_keeps_its_group_across_editions(officer: User) -> None:
    draft = edition_draft_create(
        acting_user=officer, based_on=_stored("cixi-2024"), edition_id="cixi-2024b", effective_from=NEW_YEAR
    )
    sample = next(p for p in draft.document["policies"] if p["id"] == "cixi-2024b-sample")
    assert sample["reward_group"] == "ningbo_sample_enterprise"


@pytest.mark.parametrize("bad", ["", "Cixi 2026", "cixi-2025", "new", "x"])
def test_draft_id_must_be_new_and_well_formed(officer: User, bad: str) -> None:
    with pytest.raises(ApplicationError) as exc:
        _draft(officer, edition_id=bad)
    assert exc.value.field == "edition_id"


def test_publish_closes_the_previous_edition_and_the_calculator_follows_the_date(officer: User) -> None:
    draft = _draft(officer)
    edition_parameter_set(
        acting_user=officer, draft=draft, policy_id="cixi-2026-ai", step="cap", value="500000"
    )
    [change] = edition_changes(_stored("cixi-2026"))
    assert (change.policy, change.step, change.before, change.after) == (
        "cixi-2026-ai",
        "cap",
        Decimal(300000),
        Decimal(500000),
    )
    assert policy_calc(data=_ai_case("2026-06-30"))["total_ceiling"] == "300000.00"  # still a draft

    edition_publish(acting_user=officer, draft=draft)

    new, old = _stored("cixi-2026"), _stored("cixi-2025")
    assert new.status == PolicyEdition.Status.PUBLISHED and new.published_by == officer
    assert old.effective_to == dt.date(2025, 12, 31) and old.document["effective_to"] == "2025-12-31"
    after = policy_calc(data=_ai_case("2026-06-30"))
    assert (after["edition"], after["total_ceiling"]) == ("cixi-2026", "500000.00")
    before = policy_calc(data=_ai_case("2025-06-30"))
    assert (before["edition"], before["total_ceiling"]) == ("cixi-2025", "300000.00")
    assert policy_calc(data=_ai_case("2025-12-31"))["edition"] == "cixi-2025"
    actions = set(AuditEntry.objects.filter(object_type="policy_edition").values_list("action", flat=True))
    assert {"policy_edition.parameter_set", "policy_edition.close", "policy_edition.publish"} <= actions
    # Published is final.
    with pytest.raises(ApplicationError, match="已发布"):
        edition_parameter_set(acting_user=officer, draft=new, policy_id="cixi-2026-ai", step="cap", value="1")
    with pytest.raises(ApplicationError, match="已经发布"):
        edition_publish(acting_user=officer, draft=new)


@pytest.mark.parametrize(
    ("policy", "step", "value", "field", "message"),
    [
        ("cixi-2026-ai", "cap", "-1", "value", "负数"),
        ("cixi-2026-ai", "cap", "abc", "value", "数字"),
        ("cixi-2026-ai", "cap", "1.001", "value", "两位小数"),
        ("cixi-2026-ai", "rate", "1.5", "value", "cixi-2026 / cixi-2026-ai / rate"),
        ("cixi-2026-ai", "ceiling", "1", "step", "cixi-2026 / cixi-2026-ai / ceiling"),
        ("cixi-2026-ai", "nope", "1", "step", "没有步骤 nope"),
        ("cixi-2026-zzz", "cap", "1", "policy", "没有政策 cixi-2026-zzz"),
    ],
)
def test_parameter_refusals_name_edition_policy_and_step(
    officer: User, policy: str, step: str, value: str, field: str, message: str
) -> None:
    draft = _draft(officer)
    with pytest.raises(ApplicationError) as exc:
        edition_parameter_set(acting_user=officer, draft=draft, policy_id=policy, step=step, value=value)
    assert exc.value.field == field and message in exc.value.message
    assert _stored("cixi-2026").document == draft.document  # unchanged


def test_an_invalid_document_is_refused_at_publish_and_nothing_changes(officer: User) -> None:
    draft = _draft(officer)
    doc = draft.document
    doc["policies"][2]["steps"][0]["expr"] = "verfied_investment"  # a typo that slipped into the store
    PolicyEdition.objects.filter(pk=draft.pk).update(document=doc)
    with pytest.raises(ApplicationError, match=r"cixi-2026-ai / basis: .*verfied_investment"):
        edition_publish(acting_user=officer, draft=draft)
    assert _stored("cixi-2026").is_draft
    assert _stored("cixi-2025").effective_to is None


def test_a_draft_overlapping_a_closed_edition_is_refused(officer: User) -> None:
    draft = _draft(officer, edition_id="cixi-2024-fix", effective_from=dt.date(2024, 6, 1))
    with pytest.raises(ApplicationError) as exc:
        edition_publish(acting_user=officer, draft=draft)
    assert exc.value.field == "effective_from" and "overlap" in exc.value.message
    assert _stored("cixi-2025").effective_to is None and _stored("cixi-2024-fix").is_draft


def test_without_an_editions_table_the_package_files_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db import OperationalError

    def no_table(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("no such table: policies_policyedition")

    monkeypatch.setattr(PolicyEdition.objects, "filter", no_table)
    assert edition_rulebook() is default_rulebook()
