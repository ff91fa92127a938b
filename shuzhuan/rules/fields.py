"""The named, typed fields a policy expression may use, and the whitelisted functions.

Expressions see flat names (``industry``, ``verified_investment``); every name belongs to one
entity (enterprise or project), so a batch runner can map it to one column. Set-valued fields
(qualifications, project kinds) are reachable only through their function
(``has_qualification('…')``, ``has_kind('…')``), whose argument must be a known code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Type(StrEnum):
    BOOL = "bool"
    NUMBER = "number"  # Decimal: money in yuan, rates, counts
    STR = "str"
    STR_SET = "set[str]"


@dataclass(frozen=True)
class FieldDef:
    name: str
    entity: str  # enterprise | project
    type: Type
    label: str


PROJECT_KINDS: tuple[str, ...] = ("pilot", "new_it", "ai_model")

QUALIFICATIONS: tuple[str, ...] = (
    "national_tech_sme",
    "provincial_tech_sme",
    "provincial_digital_workshop",
    "provincial_smart_factory",
    "ningbo_digital_workshop",
    "ningbo_smart_factory",
    "provincial_cloud_enterprise",
    "ningbo_sample_enterprise",
    "provincial_rd_institute",
    "provincial_hitech_rd_centre",
    "ningbo_rd_centre",
)

FUNDING_LEVELS: tuple[str, ...] = ("central", "city", "county")
FUNDING_LEVEL_LABELS: dict[str, str] = {"central": "中央", "city": "市级", "county": "县级"}

FIELDS: dict[str, FieldDef] = {
    f.name: f
    for f in (
        FieldDef("industry", "enterprise", Type.STR, "行业"),
        FieldDef("is_sme", "enterprise", Type.BOOL, "中小企业"),
        FieldDef("above_scale", "enterprise", Type.BOOL, "规上工业企业"),
        FieldDef("qualifications", "enterprise", Type.STR_SET, "资质"),
        FieldDef("kinds", "project", Type.STR_SET, "项目类型"),
        FieldDef("in_pilot_plan", "project", Type.BOOL, "列入试点计划"),
        FieldDef("accepted", "project", Type.BOOL, "验收通过"),
        FieldDef("declared_investment", "project", Type.NUMBER, "申报投入额（元）"),
        FieldDef("verified_investment", "project", Type.NUMBER, "核定投入额（元）"),
    )
}

# Edition parameters usable in expressions (``industry IN key_industries``).
PARAMETERS: dict[str, Type] = {"key_industries": Type.STR_SET}


@dataclass(frozen=True)
class FunctionDef:
    name: str
    field: str  # the set-valued field it tests
    codes: tuple[str, ...]  # the codes its one string argument may take


FUNCTIONS: dict[str, FunctionDef] = {
    "has_qualification": FunctionDef("has_qualification", "qualifications", QUALIFICATIONS),
    "has_kind": FunctionDef("has_kind", "kinds", PROJECT_KINDS),
}


def base_environment() -> dict[str, Type]:
    """Names every expression may use before the policy's own steps are added."""
    env = {name: f.type for name, f in FIELDS.items()}
    env.update(PARAMETERS)
    return env
