"""Keeping the registry by hand: enterprise_create / enterprise_update / qualification_add /
qualification_remove, their refusals (one field each, or all of them), scope, and the audit entry
each change writes in its own transaction."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from conftest import County
from shuzhuan.accounts.models import User
from shuzhuan.audit.models import AuditEntry
from shuzhuan.audit.services import audit_verify
from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises import services
from shuzhuan.enterprises.models import Enterprise, Qualification, Region
from shuzhuan.enterprises.selectors import enterprise_history
from shuzhuan.enterprises.services import (
    enterprise_create,
    enterprise_update,
    qualification_add,
    qualification_remove,
)
from shuzhuan.enterprises.tests.factories import make_uscc, town


@pytest.fixture
def bureau(county: County) -> User:
    return county.users["bureau_officer"]


@pytest.fixture
def guanhaiwei(county: County) -> list[Region]:
    """What access_towns() gives the town officer: their own town only."""
    return [town("cixi-guanhaiwei")]


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def _create(actor: User, **overrides: Any) -> Enterprise:
    fields: dict[str, Any] = {
        "uscc": make_uscc(),
        "name": "慈溪市新登记有限公司",
        "town": "cixi-guanhaiwei",
        "allowed_towns": None,
    }
    fields.update(overrides)
    return enterprise_create(acting_user=actor, **fields)


def _refusal(excinfo: pytest.ExceptionInfo[ApplicationError]) -> dict[str, str]:
    """field → message, for every field the service named."""
    return {item["field"]: item["message"] for item in excinfo.value.extra["errors"]}


# --- enterprise_create ----------------------------------------------------------------------


def test_create_stores_every_field_and_audits_it(bureau: User) -> None:
    uscc = make_uscc()
    enterprise = enterprise_create(
        acting_user=bureau,
        uscc=f" {uscc.lower()} ",
        name="　慈溪市新登记智能家居有限公司　",
        town="cixi-zhouxiang",
        industry="home_appliances",
        is_sme=False,
        above_scale=True,
        employees=120,
        revenue=Decimal("5266100.00"),
        has_rd_activity=True,
        status="active",
        allowed_towns=None,
        reason="补录2024年新设企业",
    )
    stored = Enterprise.objects.select_related("town", "industry").get(uscc=uscc)
    assert stored.pk == enterprise.pk
    assert stored.name == "慈溪市新登记智能家居有限公司"
    assert (stored.town.code, stored.industry and stored.industry.code) == (
        "cixi-zhouxiang",
        "home_appliances",
    )
    assert (stored.is_sme, stored.above_scale, stored.has_rd_activity) == (False, True, True)
    assert (stored.employees, stored.revenue, stored.status) == (120, Decimal("5266100.00"), "active")

    [entry] = _entries("enterprise.create")
    assert (entry.actor_id, entry.actor_username) == (bureau.pk, "bureau")
    assert (entry.object_type, entry.object_id, entry.reason) == ("enterprise", uscc, "补录2024年新设企业")
    assert entry.payload["before"] is None
    assert entry.payload["after"] == {
        "uscc": uscc,
        "name": "慈溪市新登记智能家居有限公司",
        "town": "cixi-zhouxiang",
        "industry": "home_appliances",
        "is_sme": False,
        "above_scale": True,
        "employees": 120,
        "revenue": "5266100.00",
        "has_rd_activity": True,
        "status": "active",
    }
    assert audit_verify().ok


def test_create_reads_towns_industries_and_statuses_as_officers_write_them(bureau: User) -> None:
    first = _create(bureau, town="观海卫", industry="汽配", status="存续")
    second = _create(bureau, town="慈溪市周巷镇", industry="家用电器", status="注销")
    assert (first.town.code, first.industry and first.industry.code, first.status) == (
        "cixi-guanhaiwei",
        "auto_parts",
        "active",
    )
    assert (second.town.code, second.status) == ("cixi-zhouxiang", "deregistered")
    assert _create(bureau, industry="").industry is None


def test_create_reports_every_bad_field_at_once(bureau: User) -> None:
    before = AuditEntry.objects.count()
    with pytest.raises(ApplicationError) as excinfo:
        _create(
            bureau,
            uscc="91330282MA2X",
            name="  ",
            town="火星镇",
            industry="航天",
            employees=-3,
            revenue=Decimal("-1"),
            status="休眠",
            is_sme="是",
        )
    errors = _refusal(excinfo)
    assert list(errors) == ["uscc", "name", "town", "industry", "is_sme", "employees", "revenue", "status"]
    assert "18位" in errors["uscc"]
    assert errors["name"] == "企业名称不能为空"
    assert errors["town"] == "未知的镇（街道）：火星镇"
    assert errors["industry"] == "未知的行业：航天"
    assert "中小企业" in errors["is_sme"]
    assert "从业人数" in errors["employees"]
    assert errors["revenue"] == "营业收入不能为负数"
    assert "经营状态“休眠”无法识别" in errors["status"]
    # The exception itself names the first field, as the API's error body does.
    assert (excinfo.value.field, excinfo.value.message) == ("uscc", errors["uscc"])
    assert not Enterprise.objects.filter(name="").exists()
    assert AuditEntry.objects.count() == before


@pytest.mark.parametrize(
    ("revenue", "message"),
    [
        (Decimal("100.005"), "营业收入最多精确到分（元以下两位小数）"),
        (Decimal("1e12"), "营业收入超出合理范围"),
        (100.5, "营业收入应为精确到分的金额（元）"),
        ("十万", "营业收入“十万”不是可识别的金额"),
        (Decimal("NaN"), "营业收入“NaN”不是可识别的金额"),
    ],
)
def test_create_refuses_revenue_that_is_not_yuan_to_the_fen(bureau: User, revenue: Any, message: str) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _create(bureau, revenue=revenue)
    assert (excinfo.value.field, excinfo.value.message) == ("revenue", message)


def test_create_keeps_revenue_exact(bureau: User) -> None:
    for amount in ("999999999999.99", "0.01", "5266100.10"):
        enterprise = _create(bureau, revenue=Decimal(amount))
        enterprise.refresh_from_db()
        assert enterprise.revenue == Decimal(amount)


def test_create_refuses_a_name_too_long_and_a_reason_too_long(bureau: User) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _create(bureau, name="企" * 201, reason="因" * 501)
    assert set(_refusal(excinfo)) == {"name", "reason"}


def test_create_refuses_a_town_outside_the_callers_towns(bureau: User, guanhaiwei: list[Region]) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _create(bureau, town="cixi-zhouxiang", allowed_towns=guanhaiwei)
    assert excinfo.value.field == "town"
    assert excinfo.value.message == "所属镇（街道）“周巷镇”不在您的管辖范围内"
    assert not _entries("enterprise.create")
    assert _create(bureau, town="cixi-guanhaiwei", allowed_towns=guanhaiwei).town.code == "cixi-guanhaiwei"


def test_create_refuses_a_registered_uscc_naming_it_only_within_scope(
    county: County, bureau: User, guanhaiwei: list[Region]
) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        _create(bureau, uscc=county.own.uscc.lower())
    assert excinfo.value.field == "uscc"
    assert county.own.name in excinfo.value.message
    # A town officer is told it exists, but not what it is (it is not in their town).
    with pytest.raises(ApplicationError) as excinfo:
        _create(bureau, uscc=county.elsewhere.uscc, allowed_towns=guanhaiwei)
    assert excinfo.value.field == "uscc"
    assert "不在您的管辖范围内" in excinfo.value.message
    assert county.elsewhere.name not in excinfo.value.message
    assert Enterprise.objects.count() == 3


# --- enterprise_update ----------------------------------------------------------------------


def test_update_changes_only_what_differs_and_audits_before_and_after(county: County, bureau: User) -> None:
    enterprise = enterprise_update(
        acting_user=bureau,
        enterprise=county.own,
        changes={"name": county.own.name, "employees": 95, "revenue": Decimal("1200000"), "industry": "模具"},
        allowed_towns=None,
        reason="2024年统计年报",
    )
    stored = Enterprise.objects.get(pk=county.own.pk)
    assert (stored.employees, stored.revenue) == (95, Decimal("1200000.00"))
    assert stored.industry is not None and stored.industry.code == "moulds"
    assert enterprise.employees == 95
    [entry] = _entries("enterprise.update")
    assert (entry.object_id, entry.actor_username, entry.reason) == (
        county.own.uscc,
        "bureau",
        "2024年统计年报",
    )
    assert entry.payload == {
        "before": {"industry": "auto_parts", "employees": 80, "revenue": None},
        "after": {"industry": "moulds", "employees": 95, "revenue": "1200000.00"},
    }


def test_update_without_a_change_writes_nothing(county: County, bureau: User) -> None:
    updated_at = Enterprise.objects.get(pk=county.own.pk).updated_at
    enterprise_update(
        acting_user=bureau,
        enterprise=county.own,
        changes={"name": f" {county.own.name} ", "town": "观海卫镇", "employees": 80},
        allowed_towns=None,
    )
    assert not _entries("enterprise.update")
    assert Enterprise.objects.get(pk=county.own.pk).updated_at == updated_at


def test_update_clears_optional_fields(county: County, bureau: User) -> None:
    enterprise_update(
        acting_user=bureau,
        enterprise=county.own,
        changes={"industry": None, "employees": None},
        allowed_towns=None,
    )
    stored = Enterprise.objects.get(pk=county.own.pk)
    assert (stored.industry_id, stored.employees) == (None, None)


def test_the_uscc_never_changes(county: County, bureau: User) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        enterprise_update(
            acting_user=bureau,
            enterprise=county.own,
            changes={"uscc": make_uscc(), "name": "改名"},
            allowed_towns=None,
        )
    assert excinfo.value.field == "uscc"
    assert "不能修改" in excinfo.value.message
    assert Enterprise.objects.get(pk=county.own.pk).name == county.own.name
    # Its own code, however it is typed, is not a change.
    enterprise_update(
        acting_user=bureau,
        enterprise=county.own,
        changes={"uscc": f" {county.own.uscc.lower()}", "name": "慈溪市甲汽配股份有限公司"},
        allowed_towns=None,
    )
    assert Enterprise.objects.get(pk=county.own.pk).name == "慈溪市甲汽配股份有限公司"


def test_update_refuses_fields_it_does_not_keep(county: County, bureau: User) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        enterprise_update(acting_user=bureau, enterprise=county.own, changes={"pk": 1}, allowed_towns=None)
    assert excinfo.value.field == "pk"


def test_a_town_officer_cannot_move_an_enterprise_out_of_their_town(
    county: County, guanhaiwei: list[Region]
) -> None:
    officer = county.users["town_officer"]
    with pytest.raises(ApplicationError) as excinfo:
        enterprise_update(
            acting_user=officer,
            enterprise=county.own,
            changes={"town": "cixi-zhouxiang", "employees": 1},
            allowed_towns=guanhaiwei,
        )
    assert excinfo.value.field == "town"
    assert "不在您的管辖范围内" in excinfo.value.message
    stored = Enterprise.objects.get(pk=county.own.pk)
    assert (stored.town.code, stored.employees) == ("cixi-guanhaiwei", 80)
    assert not _entries("enterprise.update")


def test_an_enterprise_outside_the_callers_towns_cannot_be_changed(
    county: County, guanhaiwei: list[Region]
) -> None:
    with pytest.raises(ApplicationError, match="不在您的管辖范围内"):
        enterprise_update(
            acting_user=county.users["town_officer"],
            enterprise=county.elsewhere,
            changes={"employees": 1},
            allowed_towns=guanhaiwei,
        )
    assert Enterprise.objects.get(pk=county.elsewhere.pk).employees == 80


def test_the_change_and_its_audit_entry_are_one_transaction(
    county: County, bureau: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_audit(**kwargs: Any) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(services, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        enterprise_update(
            acting_user=bureau, enterprise=county.own, changes={"employees": 7}, allowed_towns=None
        )
    with pytest.raises(RuntimeError):
        _create(bureau)
    with pytest.raises(RuntimeError):
        qualification_add(
            acting_user=bureau,
            enterprise=county.own,
            type="ningbo_smart_factory",
            year=2024,
            allowed_towns=None,
        )
    assert Enterprise.objects.get(pk=county.own.pk).employees == 80
    assert Enterprise.objects.count() == 3
    assert county.own.qualifications.count() == 1


# --- qualifications -------------------------------------------------------------------------


def test_add_and_remove_a_qualification_with_audit(county: County, bureau: User) -> None:
    q = qualification_add(
        acting_user=bureau,
        enterprise=county.own,
        type="provincial_digital_workshop",
        year=2024,
        allowed_towns=None,
        reason="浙经信〔2024〕xx号",
    )
    assert (q.type.code, q.year) == ("provincial_digital_workshop", 2024)
    assert county.own.qualifications.filter(type__code="provincial_digital_workshop", year=2024).exists()
    [added] = _entries("qualification.add")
    assert (added.object_type, added.object_id, added.reason) == (
        "enterprise",
        county.own.uscc,
        "浙经信〔2024〕xx号",
    )
    assert added.payload == {"before": None, "after": {"type": "provincial_digital_workshop", "year": 2024}}

    qualification_remove(
        acting_user=bureau,
        enterprise=county.own,
        type="provincial_digital_workshop",
        year=2024,
        allowed_towns=None,
        reason="录入错误",
    )
    assert not county.own.qualifications.filter(type__code="provincial_digital_workshop").exists()
    [removed] = _entries("qualification.remove")
    assert removed.payload == {"before": {"type": "provincial_digital_workshop", "year": 2024}, "after": None}
    assert audit_verify().ok


def test_a_qualification_is_recorded_once_per_year(county: County, bureau: User) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        qualification_add(
            acting_user=bureau, enterprise=county.own, type="national_tech_sme", year=2024, allowed_towns=None
        )
    assert excinfo.value.field == "type"
    assert excinfo.value.message == "该企业已登记2024年度的“国家科技型中小企业”，不能重复添加"
    # The same qualification in another year is another record; by its name works too.
    qualification_add(
        acting_user=bureau, enterprise=county.own, type="国家科技型中小企业", year=2025, allowed_towns=None
    )
    assert sorted(county.own.qualifications.values_list("year", flat=True)) == [2024, 2025]


def test_qualification_years_run_from_1990_to_next_year(county: County, bureau: User) -> None:
    next_year = timezone.localdate().year + 1
    for year in (1990, next_year):
        qualification_add(
            acting_user=bureau,
            enterprise=county.neighbour,
            type="ningbo_rd_centre",
            year=year,
            allowed_towns=None,
        )
    for year in (1989, next_year + 1, True):
        with pytest.raises(ApplicationError) as excinfo:
            qualification_add(
                acting_user=bureau,
                enterprise=county.neighbour,
                type="ningbo_rd_centre",
                year=year,
                allowed_towns=None,
            )
        assert excinfo.value.field == "year"
    assert county.neighbour.qualifications.count() == 2


def test_qualification_refusals_name_their_field(
    county: County, bureau: User, guanhaiwei: list[Region]
) -> None:
    with pytest.raises(ApplicationError) as excinfo:
        qualification_add(
            acting_user=bureau, enterprise=county.own, type="nobel_prize", year=1800, allowed_towns=None
        )
    assert _refusal(excinfo) == {
        "type": "未知的资质类型：nobel_prize",
        "year": f"资质年度应在1990—{timezone.localdate().year + 1}年之间（填写的是1800）",
    }
    with pytest.raises(ApplicationError, match="请选择资质类型"):
        qualification_add(acting_user=bureau, enterprise=county.own, type="", year=2024, allowed_towns=None)
    with pytest.raises(ApplicationError, match="不在您的管辖范围内"):
        qualification_add(
            acting_user=bureau,
            enterprise=county.elsewhere,
            type="ningbo_rd_centre",
            year=2024,
            allowed_towns=guanhaiwei,
        )
    with pytest.raises(ApplicationError) as excinfo:
        qualification_remove(
            acting_user=bureau, enterprise=county.own, type="ningbo_rd_centre", year=2024, allowed_towns=None
        )
    assert excinfo.value.field == "type"
    assert excinfo.value.message == "该企业没有2024年度的“宁波市级企业研发中心”资质记录"
    assert Qualification.objects.count() == 2
    assert not _entries("qualification.add") and not _entries("qualification.remove")


# --- the history these entries make ---------------------------------------------------------


def test_enterprise_history_describes_each_change_in_words(county: County, bureau: User) -> None:
    enterprise = _create(bureau, name="慈溪市史记有限公司", revenue=Decimal("5266100"), reason="新设")
    enterprise_update(
        acting_user=bureau,
        enterprise=enterprise,
        changes={"town": "cixi-zhouxiang", "above_scale": True, "status": "revoked", "revenue": None},
        allowed_towns=None,
    )
    qualification_add(
        acting_user=bureau,
        enterprise=enterprise,
        type="ningbo_sample_enterprise",
        year=2024,
        allowed_towns=None,
    )
    qualification_remove(
        acting_user=bureau,
        enterprise=enterprise,
        type="ningbo_sample_enterprise",
        year=2024,
        allowed_towns=None,
    )
    history = enterprise_history(enterprise=enterprise)
    assert [h.action for h in history] == ["删除资质", "添加资质", "修改企业信息", "新增企业"]
    assert {h.actor for h in history} == {"bureau"}
    removed, added, updated, created = history
    assert [(c.label, c.before, c.after) for c in removed.changes] == [
        ("资质", "宁波市级中小企业数字化改造样本企业（2024年度）", "")
    ]
    assert [(c.label, c.before, c.after) for c in added.changes] == [
        ("资质", "", "宁波市级中小企业数字化改造样本企业（2024年度）")
    ]
    assert [(c.label, c.before, c.after) for c in updated.changes] == [
        ("所属镇（街道）", "观海卫镇", "周巷镇"),
        ("规上工业企业", "否", "是"),
        ("营业收入", "526.61 万元", "—"),
        ("经营状态", "存续", "吊销"),
    ]
    assert created.reason == "新设"
    assert ("企业名称", "", "慈溪市史记有限公司") in [(c.label, c.before, c.after) for c in created.changes]
    assert ("所属行业", "", "未分类") in [(c.label, c.before, c.after) for c in created.changes]
    # Another enterprise's history is its own.
    assert enterprise_history(enterprise=county.neighbour) == []
    assert len(enterprise_history(enterprise=enterprise, limit=2)) == 2
