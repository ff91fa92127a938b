"""Default reference data: the region tree of the default install (慈溪市), industries and
qualification types, each with a stable English code. These are data: a data migration
loads them, and officers may add more; codes never change once published.
"""

from __future__ import annotations

from typing import TypedDict


class RegionSeed(TypedDict):
    code: str
    name: str
    level: str
    parent: str | None
    aliases: list[str]


class IndustrySeed(TypedDict):
    code: str
    name: str
    synonyms: list[str]


class QualificationSeed(TypedDict):
    code: str
    name: str
    level: str
    category: str
    synonyms: list[str]


def _town(code: str, name: str) -> RegionSeed:
    short = name.removesuffix("街道").removesuffix("镇")
    return {"code": f"cixi-{code}", "name": name, "level": "town", "parent": "cixi", "aliases": [short]}


REGIONS: list[RegionSeed] = [
    {"code": "zhejiang", "name": "浙江省", "level": "province", "parent": None, "aliases": ["浙江"]},
    {"code": "ningbo", "name": "宁波市", "level": "city", "parent": "zhejiang", "aliases": ["宁波"]},
    {"code": "cixi", "name": "慈溪市", "level": "county", "parent": "ningbo", "aliases": ["慈溪"]},
    _town("hushan", "浒山街道"),
    _town("zonghan", "宗汉街道"),
    _town("kandun", "坎墩街道"),
    _town("baishalu", "白沙路街道"),
    _town("gutang", "古塘街道"),
    _town("longshan", "龙山镇"),
    _town("zhangqi", "掌起镇"),
    _town("guanhaiwei", "观海卫镇"),
    _town("fuhai", "附海镇"),
    _town("qiaotou", "桥头镇"),
    _town("kuangyan", "匡堰镇"),
    _town("xiaolin", "逍林镇"),
    _town("xinpu", "新浦镇"),
    _town("shengshan", "胜山镇"),
    _town("henghe", "横河镇"),
    _town("chongshou", "崇寿镇"),
    _town("andong", "庵东镇"),
    _town("changhe", "长河镇"),
    _town("zhouxiang", "周巷镇"),
]

INDUSTRIES: list[IndustrySeed] = [
    {
        "code": "auto_parts",
        "name": "汽配",
        "synonyms": ["汽车配件", "汽车零部件", "汽车零配件", "汽车部件", "汽摩配"],
    },
    {"code": "home_appliances", "name": "家电", "synonyms": ["家用电器", "智能家电", "小家电", "家电制造"]},
    {"code": "textiles", "name": "纺织", "synonyms": ["纺织服装", "纺织业", "化纤", "针织", "服装"]},
    {"code": "bearings", "name": "轴承", "synonyms": ["轴承制造", "轴承及零部件"]},
    {"code": "moulds", "name": "模具", "synonyms": ["模具制造", "模具加工"]},
    {
        "code": "machinery",
        "name": "机械",
        "synonyms": ["机械制造", "通用设备", "专用设备", "装备制造", "通用设备制造业"],
    },
    {"code": "electronics", "name": "电子", "synonyms": ["电子信息", "电子元器件", "电子元件", "电子器件"]},
    {"code": "chemicals", "name": "化工", "synonyms": ["化学原料", "化学制品", "化学原料和化学制品制造业"]},
    {"code": "metal_products", "name": "金属制品", "synonyms": ["五金", "金属加工"]},
    {"code": "plastics", "name": "塑料制品", "synonyms": ["塑料", "橡胶和塑料制品", "塑胶"]},
    {"code": "new_energy", "name": "新能源", "synonyms": ["光伏", "储能"]},
    {"code": "other", "name": "其他", "synonyms": ["其它"]},
]

QUALIFICATION_TYPES: list[QualificationSeed] = [
    {
        "code": "national_tech_sme",
        "name": "国家科技型中小企业",
        "level": "national",
        "category": "tech_sme",
        "synonyms": ["国家级科技型中小企业", "国科小"],
    },
    {
        "code": "provincial_tech_sme",
        "name": "省级科技型中小企业",
        "level": "provincial",
        "category": "tech_sme",
        "synonyms": ["省科技型中小企业", "浙江省科技型中小企业"],
    },
    {
        "code": "provincial_digital_workshop",
        "name": "省级数字化车间",
        "level": "provincial",
        "category": "digital_workshop",
        "synonyms": ["省数字化车间"],
    },
    {
        "code": "provincial_smart_factory",
        "name": "省级智能工厂",
        "level": "provincial",
        "category": "smart_factory",
        "synonyms": ["省智能工厂"],
    },
    {
        "code": "ningbo_digital_workshop",
        "name": "宁波市级数字化车间",
        "level": "city",
        "category": "digital_workshop",
        "synonyms": ["宁波市数字化车间", "市级数字化车间"],
    },
    {
        "code": "ningbo_smart_factory",
        "name": "宁波市级智能工厂",
        "level": "city",
        "category": "smart_factory",
        "synonyms": ["宁波市智能工厂", "市级智能工厂"],
    },
    {
        "code": "provincial_cloud_enterprise",
        "name": "省级制造业“云上”企业",
        "level": "provincial",
        "category": "cloud",
        "synonyms": ["云上企业", "省级云上企业", "省级制造业云上企业"],
    },
    {
        "code": "ningbo_sample_enterprise",
        "name": "宁波市级中小企业数字化改造样本企业",
        "level": "city",
        "category": "sample",
        "synonyms": ["样本企业", "宁波市样本企业", "数字化改造样本企业"],
    },
    {
        "code": "provincial_rd_institute",
        "name": "省级企业研究院",
        "level": "provincial",
        "category": "rd",
        "synonyms": ["省企业研究院"],
    },
    {
        "code": "provincial_hitech_rd_centre",
        "name": "省级高新技术企业研究开发中心",
        "level": "provincial",
        "category": "rd",
        "synonyms": ["省高企研发中心", "省级高企研发中心"],
    },
    {
        "code": "ningbo_rd_centre",
        "name": "宁波市级企业研发中心",
        "level": "city",
        "category": "rd",
        "synonyms": ["宁波市企业研发中心", "市级企业研发中心"],
    },
]


def load_reference(region_model: type, industry_model: type, qualification_type_model: type) -> None:
    """Create or refresh the default reference rows. Takes the model classes so that a data
    migration can pass its historical models (``apps.get_model``). Idempotent."""
    by_code: dict[str, object] = {}
    for order, seed in enumerate(REGIONS):
        parent = by_code.get(seed["parent"]) if seed["parent"] else None
        path = (getattr(parent, "path", "/") if parent is not None else "/") + seed["code"] + "/"
        region, _ = region_model.objects.update_or_create(  # type: ignore[attr-defined]
            code=seed["code"],
            defaults={
                "name": seed["name"],
                "level": seed["level"],
                "parent": parent,
                "path": path,
                "aliases": seed["aliases"],
                "sort_order": order,
            },
        )
        by_code[seed["code"]] = region
    for order, ind in enumerate(INDUSTRIES):
        industry_model.objects.update_or_create(  # type: ignore[attr-defined]
            code=ind["code"], defaults={"name": ind["name"], "synonyms": ind["synonyms"], "sort_order": order}
        )
    for order, q in enumerate(QUALIFICATION_TYPES):
        qualification_type_model.objects.update_or_create(  # type: ignore[attr-defined]
            code=q["code"],
            defaults={
                "name": q["name"],
                "level": q["level"],
                "category": q["category"],
                "synonyms": q["synonyms"],
                "sort_order": order,
            },
        )
