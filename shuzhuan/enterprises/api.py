from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from shuzhuan.accounts.access import Perm, access_enterprise, access_enterprises, access_require, access_towns
from shuzhuan.enterprises.models import Enterprise
from shuzhuan.enterprises.selectors import (
    EnterpriseFilter,
    enterprise_filter,
    enterprise_qualifications,
    industry_list,
    qualification_type_list,
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
