"""Shared pytest fixtures: a small county with enterprises in two towns and one user per role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from shuzhuan.accounts.models import Role, User
from shuzhuan.accounts.tests.factories import make_user
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.tests.factories import EnterpriseFactory, add_qualification, town


@dataclass
class County:
    own: Enterprise  # in 观海卫镇, bound to the enterprise user
    neighbour: Enterprise  # also in 观海卫镇
    elsewhere: Enterprise  # in 周巷镇
    users: dict[str, User]

    def roles(self) -> dict[str, Any]:
        """The users who drive an application through the workflow, as ``advance`` takes them."""
        u = self.users
        return {
            "firm": u["enterprise"],
            "town": u["town_officer"],
            "bureau": u["bureau_officer"],
            "expert": u["expert"],
        }


@pytest.fixture
def county(db: None) -> County:
    own = EnterpriseFactory.create(name="慈溪市甲汽配有限公司", town=town("cixi-guanhaiwei"))
    neighbour = EnterpriseFactory.create(name="慈溪市乙家电有限公司", town=town("cixi-guanhaiwei"))
    elsewhere = EnterpriseFactory.create(name="慈溪市丙轴承有限公司", town=town("cixi-zhouxiang"))
    add_qualification(own, "national_tech_sme", 2024)
    add_qualification(elsewhere, "ningbo_sample_enterprise", 2024)
    users = {
        "bureau_officer": make_user(Role.BUREAU_OFFICER, username="bureau"),
        "town_officer": make_user(Role.TOWN_OFFICER, username="town", region="cixi-guanhaiwei"),
        "enterprise": make_user(Role.ENTERPRISE, username="firm", enterprise=own),
        "expert": make_user(Role.EXPERT, username="expert"),
        "service_provider": make_user(Role.SERVICE_PROVIDER, username="provider"),
        "auditor": make_user(Role.AUDITOR, username="auditor"),
    }
    return County(own, neighbour, elsewhere, users)


@pytest.fixture
def roles(county: County) -> dict[str, Any]:
    """``county.roles()``: ``advance(app, status, **roles)``."""
    return county.roles()
