from __future__ import annotations

import pytest

from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import EnterpriseFilter, enterprise_filter
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, add_qualification, industry, town

pytestmark = pytest.mark.django_db


@pytest.fixture
def firms() -> dict[str, Enterprise]:
    a = EnterpriseFactory.create(
        name="慈溪市甲汽配有限公司", town=town("cixi-guanhaiwei"), industry=industry("auto_parts")
    )
    b = EnterpriseFactory.create(
        name="慈溪市乙家电有限公司", town=town("cixi-zhouxiang"), industry=industry("home_appliances")
    )
    c = EnterpriseFactory.create(
        name="慈溪市丙轴承有限公司", town=town("cixi-zhouxiang"), industry=industry("bearings")
    )
    add_qualification(a, "national_tech_sme", 2024)
    add_qualification(b, "national_tech_sme", 2023)
    add_qualification(b, "provincial_digital_workshop", 2024)
    return {"a": a, "b": b, "c": c}


def names(filters: EnterpriseFilter) -> list[str]:
    return list(enterprise_filter(Enterprise.objects.all(), filters).values_list("name", flat=True))


def test_search_by_name_or_uscc(firms: dict[str, Enterprise]) -> None:
    assert names(EnterpriseFilter(q="家电")) == ["慈溪市乙家电有限公司"]
    assert names(EnterpriseFilter(q=firms["c"].uscc.lower())) == ["慈溪市丙轴承有限公司"]
    assert names(EnterpriseFilter(q="  轴承 ")) == ["慈溪市丙轴承有限公司"]


def test_filters_combine(firms: dict[str, Enterprise]) -> None:
    assert len(names(EnterpriseFilter(town="cixi-zhouxiang"))) == 2
    assert names(EnterpriseFilter(town="cixi-zhouxiang", industry="bearings")) == ["慈溪市丙轴承有限公司"]
    assert len(names(EnterpriseFilter(qualification="national_tech_sme"))) == 2
    assert names(EnterpriseFilter(qualification="national_tech_sme", year=2024)) == ["慈溪市甲汽配有限公司"]
    # a firm with two qualifications is listed once
    listed = names(EnterpriseFilter(town="cixi-zhouxiang", qualification="national_tech_sme"))
    assert listed == ["慈溪市乙家电有限公司"]
