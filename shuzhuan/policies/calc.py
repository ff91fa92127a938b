"""The calculator contract shared by ``shuzhuan policy calc`` and ``POST /api/policy/calc``.

It checks the input (the USCC with the registry's validator; everything else with the
rulebook's case parser), runs the explain runner on the edition in force on ``as_of`` and
returns the JSON the contract describes. Every refusal is an ApplicationError naming the field.
The editions are the published ones in the database (``selectors.edition_rulebook``); only a
database without the editions table (never migrated) falls back to the package files.
"""

from __future__ import annotations

from typing import Any

from shuzhuan.core.errors import ApplicationError
from shuzhuan.enterprises.uscc import uscc_validate
from shuzhuan.policies.selectors import edition_rulebook
from shuzhuan.rules.case import CaseError, case_from_json
from shuzhuan.rules.explain import explain, explanation_as_dict
from shuzhuan.rules.model import NoEditionError, Rulebook


def policy_calc(*, data: Any, rulebook: Rulebook | None = None) -> dict[str, Any]:
    enterprise = data.get("enterprise") if isinstance(data, dict) else None
    if isinstance(enterprise, dict) and enterprise.get("uscc") is not None:
        try:
            uscc_validate(enterprise["uscc"])
        except ApplicationError as exc:
            raise ApplicationError(exc.message, field="enterprise.uscc") from None
    try:
        case = case_from_json(data)
    except CaseError as exc:
        raise ApplicationError(exc.message, field=exc.field) from None
    try:
        explanation = explain(rulebook or edition_rulebook(), case)
    except NoEditionError:
        raise ApplicationError(f"{case.as_of.isoformat()} 没有生效的政策版本", field="as_of") from None
    return explanation_as_dict(explanation)
