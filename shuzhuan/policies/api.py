import datetime as dt
import json
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict

from shuzhuan.accounts.access import Perm, access_edition, access_editions, access_require
from shuzhuan.core.errors import ApplicationError
from shuzhuan.policies.calc import policy_calc
from shuzhuan.policies.models import PolicyEdition
from shuzhuan.policies.selectors import edition_changes, edition_parameters, edition_setting_changes
from shuzhuan.policies.services import (
    edition_draft_create,
    edition_draft_delete,
    edition_funding_split_set,
    edition_key_industries_set,
    edition_parameter_set,
    edition_publish,
)
from shuzhuan.rules.fields import FUNDING_LEVELS

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


class FundingOut(Schema):
    """补助上限按三级资金分担：中央、市级各自四舍五入到分，县级取余数，三者之和恰等于上限。"""

    central: str = Field(description="中央资金（元）")
    city: str = Field(description="市级资金（元）")
    county: str = Field(description="县级资金（元），含分摊的尾差")


class CalcResultOut(Schema):
    policy: str
    title: str
    scope: str
    eligible: bool
    ceiling: str | None
    funding: FundingOut | None = Field(description="上限的三级资金分担；不符合时为 null")
    steps: list[CalcStepOut]
    unmet: list[str]
    source: str
    citation: CitationOut


class CalcBestOut(Schema):
    policy: str
    ceiling: str
    funding: FundingOut


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


# --- 政策版本: editions, drafts and publishing (the same services as the web editor) -------------
#
# Mounted at /api/policy/editions (shuzhuan/api.py). Reading: every signed-in role that may see
# policies (Perm.POLICY_VIEW), published editions only — drafts are seen by those who may publish,
# and are a 404 to everyone else (access_editions / access_edition, as the pages). Writing:
# Perm.POLICY_PUBLISH (bureau officers), drafts only; a refusal is a 400 naming the field.

editions_router = Router(tags=["政策版本"])

_NUMBER = '数值：金额（元，最多两位小数）或比例（0 与 1 之间）；建议写成文本以保持精确，如 "500000"、"0.5"'
_SHARE = '份额，0 与 1 之间，最多四位小数；建议写成文本，如 "0.25"'


class EditionOut(Schema):
    edition_id: str = Field(description="版本编号，如 cixi-2025")
    document_number: str = Field(description="文号")
    title: str = Field(description="文件标题")
    status: str = Field(description="draft 草稿 | published 已发布")
    effective_from: dt.date = Field(description="生效日期（含）")
    effective_to: dt.date | None = Field(description="失效日期（含）；null 为至新版本生效")
    based_on: str | None = Field(description="复制自哪个版本")
    created_by: str | None
    published_by: str | None
    published_at: dt.datetime | None


class FundingSplitOut(Schema):
    central: str = Field(description="中央份额")
    city: str = Field(description="市级份额")
    county: str = Field(description="县级份额")


class ParameterOut(Schema):
    policy: str
    policy_title: str
    step: str = Field(description="步骤名：cap 封顶、rate 比例、threshold 门槛等")
    unit: str = Field(description="yuan 元 | ratio 比例")
    note: str
    value: str


class ParameterChangeOut(Schema):
    policy: str
    policy_title: str
    step: str
    unit: str
    before: str | None = Field(description="基础版本中的值；null 为新增")
    after: str


class SettingChangeOut(Schema):
    setting: str = Field(description="key_industries 重点行业 | funding_split 三级资金分担比例")
    label: str
    before: str
    after: str


class EditionDetailOut(EditionOut):
    key_industries: list[str] = Field(description="重点行业代码")
    funding_split: FundingSplitOut = Field(description="版本默认的三级资金分担比例（政策可单独规定）")
    document: dict[str, Any] = Field(description="版本全文（与 shuzhuan/rules/editions 的 YAML 同构）")
    parameters: list[ParameterOut] = Field(description="可直接修改的参数（公式为纯数字的步骤）")
    changes: list[ParameterChangeOut] = Field(description="与基础版本相比变化的参数")
    setting_changes: list[SettingChangeOut] = Field(description="与基础版本相比变化的版本设置")


class EditionDraftIn(Schema):
    model_config = ConfigDict(extra="forbid")

    based_on: str = Field(description="作为基础的版本编号")
    edition_id: str = Field(description="新版本编号：小写字母、数字和连字符，如 cixi-2026")
    effective_from: dt.date = Field(description="生效日期；发布时原长期有效的版本在前一日失效")
    document_number: str = Field("", description="新文号（可选）")
    title: str = Field("", description="新文件标题（可选）")


class ParameterIn(Schema):
    model_config = ConfigDict(extra="forbid")

    value: Decimal | str = Field(description=_NUMBER)


class KeyIndustriesIn(Schema):
    model_config = ConfigDict(extra="forbid")

    key_industries: list[str] = Field(description="行业代码（见 /api/enterprises/industries），至少一个")


class FundingSplitIn(Schema):
    model_config = ConfigDict(extra="forbid")

    central: Decimal | str = Field(description=f"中央{_SHARE}")
    city: Decimal | str = Field(description=f"市级{_SHARE}")
    county: Decimal | str = Field(description=f"县级{_SHARE}；三者之和须等于 1")


def _number(value: Decimal) -> str:
    """As the document holds it ("0.50", "300000"), never in exponent form."""
    return format(value, "f")


def _edition_out(e: PolicyEdition) -> dict[str, Any]:
    return {
        "edition_id": e.edition_id,
        "document_number": str(e.document.get("document", "")),
        "title": str(e.document.get("title", "")),
        "status": e.status,
        "effective_from": e.effective_from,
        "effective_to": e.effective_to,
        "based_on": e.based_on.edition_id if e.based_on else None,
        "created_by": e.created_by.username if e.created_by else None,
        "published_by": e.published_by.username if e.published_by else None,
        "published_at": e.published_at,
    }


def _edition_detail(e: PolicyEdition) -> dict[str, Any]:
    split = e.document.get("funding_split") or {}
    return {
        **_edition_out(e),
        "key_industries": list(e.document.get("key_industries") or []),
        "funding_split": {level: str(split.get(level, "")) for level in FUNDING_LEVELS},
        "document": e.document,
        "parameters": [{**vars(p), "value": _number(p.value)} for p in edition_parameters(e)],
        "changes": [
            {
                **vars(c),
                "before": None if c.before is None else _number(c.before),
                "after": _number(c.after),
            }
            for c in edition_changes(e)
        ],
        "setting_changes": [vars(c) for c in edition_setting_changes(e)],
    }


@editions_router.get(
    "", response=list[EditionOut], operation_id="edition_list", summary="政策版本列表（草稿仅经信局可见）"
)
def edition_list_op(request: HttpRequest) -> list[dict[str, Any]]:
    user = access_require(request.auth, Perm.POLICY_VIEW)  # type: ignore[attr-defined]
    editions = access_editions(user).select_related("created_by").order_by("-effective_from", "edition_id")
    return [_edition_out(e) for e in editions]


@editions_router.get(
    "/{edition_id}",
    response=EditionDetailOut,
    operation_id="edition_get",
    summary="政策版本详情：全文、参数及与基础版本相比的变化",
)
def edition_get_op(request: HttpRequest, edition_id: str) -> dict[str, Any]:
    return _edition_detail(access_edition(request.auth, edition_id))  # type: ignore[attr-defined]


@editions_router.post(
    "",
    response={201: EditionDetailOut},
    operation_id="edition_draft_create",
    summary="基于已有版本新建草稿（经信局）",
)
def edition_draft_create_op(request: HttpRequest, payload: EditionDraftIn) -> Status[dict[str, Any]]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    based_on = access_editions(user).filter(edition_id=payload.based_on).first()
    if based_on is None:
        raise ApplicationError(f"没有版本 {payload.based_on}", field="based_on")
    draft = edition_draft_create(
        acting_user=user,
        based_on=based_on,
        edition_id=payload.edition_id,
        effective_from=payload.effective_from,
        document_number=payload.document_number,
        title=payload.title,
    )
    return Status(201, _edition_detail(draft))


@editions_router.put(
    "/{edition_id}/parameters/{policy}/{step}",
    response=EditionDetailOut,
    operation_id="edition_parameter_set",
    summary="修改草稿中一项政策的参数（封顶、比例、门槛等；经信局）",
)
def edition_parameter_set_op(
    request: HttpRequest, edition_id: str, policy: str, step: str, payload: ParameterIn
) -> dict[str, Any]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    draft = edition_parameter_set(
        acting_user=user,
        draft=access_edition(user, edition_id),
        policy_id=policy,
        step=step,
        value=payload.value,
    )
    return _edition_detail(draft)


@editions_router.put(
    "/{edition_id}/key-industries",
    response=EditionDetailOut,
    operation_id="edition_key_industries_set",
    summary="设置草稿的重点行业（经信局）",
)
def edition_key_industries_set_op(
    request: HttpRequest, edition_id: str, payload: KeyIndustriesIn
) -> dict[str, Any]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    draft = edition_key_industries_set(
        acting_user=user, draft=access_edition(user, edition_id), industries=payload.key_industries
    )
    return _edition_detail(draft)


@editions_router.put(
    "/{edition_id}/funding-split",
    response=EditionDetailOut,
    operation_id="edition_funding_split_set",
    summary="设置草稿的三级资金分担比例（中央、市级、县级之和为 1；经信局）",
)
def edition_funding_split_set_op(
    request: HttpRequest, edition_id: str, payload: FundingSplitIn
) -> dict[str, Any]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    draft = edition_funding_split_set(
        acting_user=user, draft=access_edition(user, edition_id), shares=payload.dict()
    )
    return _edition_detail(draft)


@editions_router.post(
    "/{edition_id}/publish",
    response=EditionDetailOut,
    operation_id="edition_publish",
    summary="发布草稿：自生效日期起适用，原长期有效的版本在前一日失效（经信局）",
)
def edition_publish_op(request: HttpRequest, edition_id: str) -> dict[str, Any]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    return _edition_detail(edition_publish(acting_user=user, draft=access_edition(user, edition_id)))


@editions_router.delete(
    "/{edition_id}",
    response={204: None},
    operation_id="edition_draft_delete",
    summary="删除草稿（已发布的版本不能删除；经信局）",
)
def edition_draft_delete_op(request: HttpRequest, edition_id: str) -> Status[None]:
    user = access_require(request.auth, Perm.POLICY_PUBLISH)  # type: ignore[attr-defined]
    edition_draft_delete(acting_user=user, draft=access_edition(user, edition_id))
    return Status(204, None)
