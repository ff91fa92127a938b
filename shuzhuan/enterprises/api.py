from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate
from pydantic import ConfigDict

from shuzhuan.accounts.access import (
    Perm,
    access_enterprise,
    access_enterprises,
    access_require,
    access_towns,
)
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import (
    EnterpriseFilter,
    enterprise_filter,
    enterprise_qualification_get,
    enterprise_qualifications,
    industry_list,
    qualification_type_list,
)
from shuzhuan.enterprises.services import (
    enterprise_create,
    enterprise_update,
    qualification_add,
    qualification_remove,
)

router = Router(tags=["企业库"])


class RegionOut(Schema):
    code: str
    name: str
    level: str


class IndustryOut(Schema):
    code: str
    name: str
    synonyms: list[str]


class QualificationTypeOut(Schema):
    code: str
    name: str
    level: str
    category: str


class QualificationOut(Schema):
    type: str
    name: str
    level: str
    year: int


class EnterpriseOut(Schema):
    uscc: str
    name: str
    town: str
    town_name: str
    industry: str | None
    industry_name: str | None
    is_sme: bool
    above_scale: bool
    employees: int | None
    revenue: Decimal | None
    has_rd_activity: bool
    status: str

    # Built from an Enterprise row (queried with town and industry, see access_enterprises).
    @staticmethod
    def resolve_town(obj: Enterprise) -> str:
        return obj.town.code

    @staticmethod
    def resolve_town_name(obj: Enterprise) -> str:
        return obj.town.name

    @staticmethod
    def resolve_industry(obj: Enterprise) -> str | None:
        return obj.industry.code if obj.industry else None

    @staticmethod
    def resolve_industry_name(obj: Enterprise) -> str | None:
        return obj.industry.name if obj.industry else None


class EnterpriseDetailOut(EnterpriseOut):
    qualifications: list[QualificationOut]

    @staticmethod
    def resolve_qualifications(obj: Enterprise) -> list[dict[str, Any]]:
        return [
            {"type": q.type.code, "name": q.type.name, "level": q.type.level, "year": q.year}
            for q in enterprise_qualifications(obj)
        ]


class EnterpriseFilterIn(Schema):
    q: str = ""
    town: str = ""
    industry: str = ""
    qualification: str = ""
    year: int | None = None
    status: str = ""


@router.get(
    "/", response=list[EnterpriseOut], operation_id="enterprise_list", summary="企业列表（按权限范围）"
)
@paginate(PageNumberPagination, page_size=50)
def enterprise_list(request: HttpRequest, filters: Query[EnterpriseFilterIn]) -> QuerySet[Enterprise]:
    # Returns the queryset: the paginator counts it and slices it (LIMIT/OFFSET), and only the
    # rows of the page become EnterpriseOut. (A docstring here would become the API description.)
    user = access_require(request.auth, Perm.ENTERPRISE_LIST)  # type: ignore[attr-defined]
    return enterprise_filter(access_enterprises(user), EnterpriseFilter(**filters.dict()))


@router.get("/towns", response=list[RegionOut], operation_id="town_list", summary="权限范围内的镇（街道）")
def town_list(request: HttpRequest) -> Any:
    user = access_require(request.auth, Perm.ENTERPRISE_LIST)  # type: ignore[attr-defined]
    return list(access_towns(user))


@router.get("/industries", response=list[IndustryOut], operation_id="industry_list", summary="行业")
def industry_list_op(request: HttpRequest) -> Any:
    access_require(request.auth, Perm.REFERENCE_VIEW)  # type: ignore[attr-defined]
    return list(industry_list())


@router.get(
    "/qualification-types",
    response=list[QualificationTypeOut],
    operation_id="qualification_type_list",
    summary="资质类型",
)
def qualification_type_list_op(request: HttpRequest) -> Any:
    access_require(request.auth, Perm.REFERENCE_VIEW)  # type: ignore[attr-defined]
    return list(qualification_type_list())


@router.get(
    "/{uscc}", response=EnterpriseDetailOut, operation_id="enterprise_get", summary="企业详情（含资质）"
)
def enterprise_get(request: HttpRequest, uscc: str) -> Enterprise:
    return access_enterprise(request.auth, uscc)  # type: ignore[attr-defined]


# --- keeping the registry by hand (same rules as the pages: access_* then the service) ---------

_TOWN = "镇（街道）代码或名称，须在您的管辖范围内，如 cixi-guanhaiwei 或 观海卫镇"
_INDUSTRY = "行业代码或名称，如 auto_parts 或 汽配；空为未分类"
_REVENUE = "营业收入，单位元，最多两位小数（页面按万元填写）"
_STATUS = "经营状态：active 存续、deregistered 注销、revoked 吊销、moved_out 迁出"
_REASON = "说明（写入审计记录），可空"


class EnterpriseCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    uscc: str = Field(description="统一社会信用代码（18位，含校验位）")
    name: str = Field(description="企业名称")
    town: str = Field(description=_TOWN)
    industry: str | None = Field(None, description=_INDUSTRY)
    is_sme: bool = True
    above_scale: bool = False
    employees: int | None = None
    revenue: Decimal | None = Field(None, description=_REVENUE)
    has_rd_activity: bool = False
    status: str = Field("active", description=_STATUS)
    reason: str = Field("", description=_REASON)


class EnterpriseUpdateIn(Schema):
    """只修改请求中提供的字段；可空字段（行业、从业人数、营业收入）传 null 表示清空。"""

    model_config = ConfigDict(extra="forbid")

    uscc: str | None = Field(None, description="不可修改；如提供，须与路径中的代码相同")
    name: str | None = None
    town: str | None = Field(None, description=_TOWN)
    industry: str | None = Field(None, description=_INDUSTRY)
    is_sme: bool | None = None
    above_scale: bool | None = None
    employees: int | None = None
    revenue: Decimal | None = Field(None, description=_REVENUE)
    has_rd_activity: bool | None = None
    status: str | None = Field(None, description=_STATUS)
    reason: str = Field("", description=_REASON)


class QualificationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(
        description="资质类型代码，如 national_tech_sme（见 /api/enterprises/qualification-types）"
    )
    year: int = Field(description="年度，1990 年至明年")
    reason: str = Field("", description="依据或说明（如认定文件文号），写入审计记录")


@router.post(
    "/",
    response={201: EnterpriseDetailOut},
    operation_id="enterprise_create",
    summary="新增企业（经信局：全市；镇街：本镇街）",
)
def enterprise_create_op(request: HttpRequest, payload: EnterpriseCreateIn) -> Status[Enterprise]:
    user = access_require(request.auth, Perm.ENTERPRISE_EDIT)  # type: ignore[attr-defined]
    data = payload.dict()
    enterprise = enterprise_create(acting_user=user, allowed_towns=access_towns(user), **data)
    return Status(201, enterprise)


@router.patch(
    "/{uscc}",
    response=EnterpriseDetailOut,
    operation_id="enterprise_update",
    summary="修改企业信息（只改提供的字段；统一社会信用代码不可改）",
)
def enterprise_update_op(request: HttpRequest, uscc: str, payload: EnterpriseUpdateIn) -> Enterprise:
    user = access_require(request.auth, Perm.ENTERPRISE_EDIT)  # type: ignore[attr-defined]
    enterprise = access_enterprise(user, uscc)
    changes = payload.dict(exclude_unset=True)
    reason = changes.pop("reason", "")
    return enterprise_update(
        acting_user=user,
        enterprise=enterprise,
        changes=changes,
        allowed_towns=access_towns(user),
        reason=reason,
    )


@router.post(
    "/{uscc}/qualifications",
    response={201: QualificationOut},
    operation_id="qualification_add",
    summary="登记企业资质（经信局）",
)
def qualification_add_op(request: HttpRequest, uscc: str, payload: QualificationIn) -> Status[dict[str, Any]]:
    user = access_require(request.auth, Perm.QUALIFICATION_EDIT)  # type: ignore[attr-defined]
    enterprise = access_enterprise(user, uscc)
    q = qualification_add(
        acting_user=user,
        enterprise=enterprise,
        type=payload.type,
        year=payload.year,
        allowed_towns=access_towns(user),
        reason=payload.reason,
    )
    return Status(201, {"type": q.type.code, "name": q.type.name, "level": q.type.level, "year": q.year})


@router.delete(
    "/{uscc}/qualifications/{type}/{year}",
    response={204: None},
    operation_id="qualification_remove",
    summary="删除企业资质（经信局，用于纠正登记错误）",
)
def qualification_remove_op(
    request: HttpRequest, uscc: str, type: str, year: int, reason: str = ""
) -> Status[None]:
    user = access_require(request.auth, Perm.QUALIFICATION_EDIT)  # type: ignore[attr-defined]
    enterprise = access_enterprise(user, uscc)
    if enterprise_qualification_get(enterprise=enterprise, type_code=type, year=year) is None:
        raise Http404("该企业没有这项资质记录。")
    qualification_remove(
        acting_user=user,
        enterprise=enterprise,
        type=type,
        year=year,
        allowed_towns=access_towns(user),
        reason=reason,
    )
    return Status(204, None)
