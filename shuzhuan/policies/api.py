import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from shuzhuan.accounts.access import Perm, access_require
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.calc import policy_calc

router = Router(tags=["政策"])


class CalcEnterpriseIn(Schema):
    uscc: str | None = None
    industry: str | None = None
    is_sme: bool = False
    above_scale: bool = False
    qualifications: list[str] = []
    rewards_received: list[str] = []


class CalcProjectIn(Schema):
    kinds: list[str] = []
    in_pilot_plan: bool = False
    accepted: bool = False
    declared_investment: Decimal | None = None
    verified_investment: Decimal | None = None


class CalcIn(Schema):
    as_of: str
    enterprise: CalcEnterpriseIn
    project: CalcProjectIn | None = None


class CalcStepOut(Schema):
    name: str
    expr: str
    value: str | None
    unit: str
    note: str
    source: str


class CitationOut(Schema):
    document: str
    clause: str
    title: str


class CalcResultOut(Schema):
    policy: str
    title: str
    scope: str
    eligible: bool
    ceiling: str | None
    steps: list[CalcStepOut]
    unmet: list[str]
    source: str
    citation: CitationOut


class CalcBestOut(Schema):
    policy: str
    ceiling: str


class CalcOut(Schema):
    as_of: str
    edition: str
    document: str
    stacking: str
    results: list[CalcResultOut]
    best: CalcBestOut | None
    total_ceiling: str


def _inline(schema: dict[str, Any]) -> dict[str, Any]:
    """The input schema with its nested models written in place (no dangling $refs)."""
    defs = schema.pop("$defs", {})

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return walk(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return walk(schema)


_CALC_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": _inline(CalcIn.model_json_schema())}},
    }
}


@router.post(
    "/calc",
    response=CalcOut,
    operation_id="policy_calc",
    summary="政策计算器：一个案例 → 适用版本、各政策结果、就高取值与合计上限",
    openapi_extra=_CALC_BODY,
)
def policy_calc_op(request: HttpRequest) -> dict[str, Any]:
    # The body is parsed here, not by a schema: amounts stay exact (Decimal) and every refusal
    # is a 400 in the project's error shape naming the field, as the CLI's one line does.
    access_require(request.auth, Perm.POLICY_CALC)  # type: ignore[attr-defined]
    try:
        data = json.loads(request.body or b"null", parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise ApplicationError("请求体不是有效的 JSON", field="body") from None
    return policy_calc(data=data)
