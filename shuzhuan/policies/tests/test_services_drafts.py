"""A draft's edition-level settings — its key industries (重点行业) and its funding split (三级资金
分担) — and deleting a draft. Each is a service with its audit entry, validated by the rulebook's
loader; the calculator follows the published result. Also: '/' in a stored draft is refused at
publish with the edition, policy and step named."""

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
from shuzhuan.policies.selectors import edition_setting_changes
from shuzhuan.policies.services import (
    edition_draft_create,
    edition_draft_delete,
    edition_funding_split_set,
    edition_key_industries_set,
    edition_publish,
)

pytestmark = pytest.mark.django_db

NEW_YEAR = dt.date(2026, 1, 1)


@pytest.fixture
def officer() -> User:
    return make_user(Role.BUREAU_OFFICER, username="bureau")


@pytest.fixture
def draft(officer: User) -> PolicyEdition:
    return edition_draft_create(
        acting_user=officer,
        based_on=PolicyEdition.objects.get(edition_id="cixi-2025"),
        edition_id="cixi-2026",
        effective_from=NEW_YEAR,
    )


def _stored(edition_id: str) -> PolicyEdition:
    return PolicyEdition.objects.get(edition_id=edition_id)


def _pilot_case(industry: str) -> dict[str, Any]:
    return {
        "as_of": "2026-06-30",
        "enterprise": {"industry": industry, "is_sme": True},
        "project": {
            "kinds": ["pilot"],
            "in_pilot_plan": True,
            "accepted": True,
            "verified_investment": "700000",
        },
    }


def _entry(action: str) -> AuditEntry:
    return AuditEntry.objects.filter(action=action).latest("seq")


# --- key industries --------------------------------------------------------------------------


def test_key_industries_are_set_in_the_registry_order_and_the_calculator_follows(
    officer: User, draft: PolicyEdition
) -> None:
    edition_key_industries_set(
        acting_user=officer, draft=draft, industries=["textiles", " auto_parts", "textiles", ""]
    )
    stored = _stored("cixi-2026")
    assert stored.document["key_industries"] == ["auto_parts", "textiles"]  # Industry table order
    entry = _entry("policy_edition.key_industries_set")
    assert entry.object_id == "cixi-2026" and entry.actor_username == "bureau"
    assert entry.payload == {"before": ["auto_parts", "home_appliances"], "after": ["auto_parts", "textiles"]}
    [change] = edition_setting_changes(stored)
    assert (change.setting, change.before, change.after) == (
        "key_industries",
        "auto_parts、home_appliances",
        "auto_parts、textiles",
    )

    edition_publish(acting_user=officer, draft=stored)
    textiles = {r["policy"]: r for r in policy_calc(data=_pilot_case("textiles"))["results"]}
    assert textiles["cixi-2026-pilot"]["eligible"] and textiles["cixi-2026-pilot"]["ceiling"] == "350000.00"
    appliances = {r["policy"]: r for r in policy_calc(data=_pilot_case("home_appliances"))["results"]}
    assert appliances["cixi-2026-pilot"]["unmet"] == ["企业不属于本期政策确定的重点行业"]


@pytest.mark.parametrize(
    ("industries", "message"),
    [
        ([], "请至少选择一个行业"),
        (["  "], "请至少选择一个行业"),
        (["auto_parts", "robots"], "没有行业代码 robots"),
    ],
)
def test_key_industries_refusals(
    officer: User, draft: PolicyEdition, industries: list[str], message: str
) -> None:
    with pytest.raises(ApplicationError) as exc:
        edition_key_industries_set(acting_user=officer, draft=draft, industries=industries)
    assert exc.value.field == "key_industries" and message in exc.value.message
    assert exc.value.message.startswith("重点行业")
    assert _stored("cixi-2026").document["key_industries"] == ["auto_parts", "home_appliances"]


def test_a_published_edition_keeps_its_settings(officer: User) -> None:
    published = _stored("cixi-2025")
    with pytest.raises(ApplicationError, match="cixi-2025 已发布，不能修改重点行业"):
        edition_key_industries_set(acting_user=officer, draft=published, industries=["textiles"])
    shares = {"central": "0.6", "city": "0.2", "county": "0.2"}
    with pytest.raises(ApplicationError, match="cixi-2025 已发布，不能修改资金分担比例"):
        edition_funding_split_set(acting_user=officer, draft=published, shares=shares)
    assert _stored("cixi-2025").document == published.document


# --- funding split ---------------------------------------------------------------------------


def test_funding_split_is_set_and_the_calculator_splits_by_it(officer: User, draft: PolicyEdition) -> None:
    edition_funding_split_set(
        acting_user=officer, draft=draft, shares={"central": "0.6", "city": Decimal("0.3"), "county": 0.1}
    )
    stored = _stored("cixi-2026")
    assert stored.document["funding_split"] == {"central": "0.60", "city": "0.30", "county": "0.10"}
    entry = _entry("policy_edition.funding_split_set")
    assert entry.payload["before"] == {"central": "0.50", "city": "0.25", "county": "0.25"}
    assert entry.payload["after"] == {"central": "0.60", "city": "0.30", "county": "0.10"}
    [change] = edition_setting_changes(stored)
    assert change.setting == "funding_split" and change.after == "中央 0.60 / 市级 0.30 / 县级 0.10"

    edition_publish(acting_user=officer, draft=stored)
    result = policy_calc(data=_pilot_case("auto_parts"))
    assert result["best"]["funding"] == {"central": "210000.00", "city": "105000.00", "county": "35000.00"}


def test_funding_split_with_four_decimals_keeps_them(officer: User, draft: PolicyEdition) -> None:
    shares = {"central": "0.3333", "city": "0.3333", "county": "0.3334"}
    edition_funding_split_set(acting_user=officer, draft=draft, shares=shares)
    assert _stored("cixi-2026").document["funding_split"] == shares


@pytest.mark.parametrize(
    ("shares", "field", "message"),
    [
        ({"central": "0.5", "city": "0.25", "county": "0.2"}, "funding_split", "份额之和须等于 1，现为 0.95"),
        (
            {"central": "0.5", "city": "1.5", "county": "-1"},
            "funding_split.city",
            "市级份额：须在 0 与 1 之间",
        ),
        (
            {"central": "-0.5", "city": "0.75", "county": "0.75"},
            "funding_split.central",
            "中央份额：须在 0 与 1",
        ),
        (
            {"central": "一半", "city": "0.25", "county": "0.25"},
            "funding_split.central",
            "中央份额：“一半”不是数字",
        ),
        ({"central": "0.5", "city": "0.25", "county": ""}, "funding_split.county", "县级份额：请填写"),
        ({"central": "0.5", "city": "0.25"}, "funding_split.county", "县级份额：请填写"),
        (
            {"central": "0.5", "city": "0.24999", "county": "0.25001"},
            "funding_split.city",
            "市级份额：最多四位小数",
        ),
        (
            {"central": "0.5", "city": "0.25", "county": "0.25", "town": "0"},
            "funding_split",
            "没有资金层级 town",
        ),
        ({"central": True, "city": "0", "county": "0"}, "funding_split.central", "中央份额：“True”不是数字"),
    ],
)
def test_funding_split_refusals_name_the_field(
    officer: User, draft: PolicyEdition, shares: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(ApplicationError) as exc:
        edition_funding_split_set(acting_user=officer, draft=draft, shares=shares)
    assert exc.value.field == field and message in exc.value.message
    assert _stored("cixi-2026").document["funding_split"] == {
        "central": "0.50",
        "city": "0.25",
        "county": "0.25",
    }
    assert not AuditEntry.objects.filter(action="policy_edition.funding_split_set").exists()


# --- deleting a draft ------------------------------------------------------------------------


def test_a_draft_is_deleted_with_its_document_kept_in_the_audit_trail(
    officer: User, draft: PolicyEdition
) -> None:
    document = draft.document
    edition_draft_delete(acting_user=officer, draft=draft)
    assert not PolicyEdition.objects.filter(edition_id="cixi-2026").exists()
    entry = _entry("policy_edition.draft_delete")
    assert entry.object_id == "cixi-2026" and entry.actor_username == "bureau"
    assert entry.payload == {"based_on": "cixi-2025", "effective_from": "2026-01-01", "document": document}
    # The id is free again.
    edition_draft_create(
        acting_user=officer, based_on=_stored("cixi-2025"), edition_id="cixi-2026", effective_from=NEW_YEAR
    )


def test_a_published_edition_is_never_deleted(officer: User) -> None:
    with pytest.raises(ApplicationError) as exc:
        edition_draft_delete(acting_user=officer, draft=_stored("cixi-2025"))
    assert exc.value.field == "edition" and "cixi-2025 已发布，不能删除" in exc.value.message
    assert PolicyEdition.objects.filter(edition_id="cixi-2025").exists()


def test_a_draft_another_edition_is_based_on_stays(officer: User, draft: PolicyEdition) -> None:
    child = edition_draft_create(
        acting_user=officer, based_on=draft, edition_id="cixi-2026b", effective_from=dt.date(2026, 7, 1)
    )
    with pytest.raises(ApplicationError, match="cixi-2026 是 cixi-2026b 的基础版本，不能删除"):
        edition_draft_delete(acting_user=officer, draft=draft)
    assert PolicyEdition.objects.filter(edition_id="cixi-2026").exists()
    assert not AuditEntry.objects.filter(action="policy_edition.draft_delete").exists()
    edition_draft_delete(acting_user=officer, draft=child)
    edition_draft_delete(acting_user=officer, draft=draft)
    assert not PolicyEdition.objects.filter(edition_id__startswith="cixi-2026").exists()


def test_a_deleted_draft_cannot_be_deleted_twice(officer: User, draft: PolicyEdition) -> None:
    edition_draft_delete(acting_user=officer, draft=draft)
    with pytest.raises(ApplicationError, match="草稿 cixi-2026 已不存在"):
        edition_draft_delete(acting_user=officer, draft=draft)


# --- '/' is refused at publish ---------------------------------------------------------------


def test_division_in_a_stored_draft_is_refused_at_publish(officer: User, draft: PolicyEdition) -> None:
    doc = draft.document
    ai = next(p for p in doc["policies"] if p["id"] == "cixi-2026-ai")
    ai["steps"][-1]["expr"] = "LEAST(basis / 2, cap)"  # slipped into the store past the editor
    PolicyEdition.objects.filter(pk=draft.pk).update(document=doc)
    with pytest.raises(ApplicationError) as exc:
        edition_publish(acting_user=officer, draft=draft)
    message = exc.value.message
    assert message.startswith("cixi-2026 校验未通过：cixi-2026-ai / ceiling: division '/' is not allowed")
    assert "use a ratio step instead" in message
    assert _stored("cixi-2026").is_draft and _stored("cixi-2025").effective_to is None
