"""The columns we read and write, and the header spellings found in real workbooks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from shuzhuan.core.text import squash

HEADER_SCAN_ROWS = 20  # the header must be within the first rows (title rows may stand above it)


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # the canonical header, written on export
    aliases: tuple[str, ...]
    required: bool = False


COLUMNS: tuple[Column, ...] = (
    Column(
        "uscc",
        "统一社会信用代码",
        ("统一社会信用代码", "社会信用代码", "信用代码", "统一信用代码", "统一社会信用代码/注册号", "uscc"),
        required=True,
    ),
    Column("name", "企业名称", ("企业名称", "单位名称", "企业全称", "名称", "企业(单位)名称"), required=True),
    Column(
        "town",
        "所属镇（街道）",
        (
            "所属镇(街道)",
            "镇(街道)",
            "镇街",
            "所属镇街",
            "所在镇街",
            "所属镇街道",
            "镇街道",
            "所属街道",
            "所属镇",
            "镇(街)",
            "属地",
            "town",
        ),
        required=True,
    ),
    Column("industry", "所属行业", ("所属行业", "行业", "行业类别", "产业", "行业分类", "industry")),
    Column("is_sme", "是否中小企业", ("是否中小企业", "中小企业", "是否为中小企业")),
    Column(
        "above_scale",
        "是否规上",
        ("是否规上", "是否规上企业", "规上企业", "是否规模以上", "是否规上工业企业", "规上"),
    ),
    Column(
        "employees",
        "从业人数",
        ("从业人数", "从业人员", "从业人员数", "员工人数", "职工人数", "年末从业人数"),
    ),
    Column(
        "revenue",
        "营业收入（万元）",
        ("营业收入(万元)", "营业收入", "营业收入(元)", "主营业务收入(万元)", "主营业务收入", "营收(万元)"),
    ),
    Column(
        "has_rd_activity", "有无研发活动", ("有无研发活动", "是否有研发活动", "研发活动", "是否开展研发活动")
    ),
    Column("status", "经营状态", ("经营状态", "登记状态", "企业状态", "状态")),
    Column("qualifications", "资质", ("资质", "企业资质", "资质荣誉", "资质(年度)", "已获资质")),
)

COLUMN_BY_KEY = {c.key: c for c in COLUMNS}

_NOISE = re.compile(r"[*＊:：\s]")


def normalize_header(text: object) -> str:
    """Fold full-width characters and brackets, spaces, asterisks and colons; lower-case."""
    return _NOISE.sub("", squash(text)).lower()


_ALIAS_TO_KEY: dict[str, str] = {}
for _col in COLUMNS:
    for _alias in (_col.header, *_col.aliases):
        _ALIAS_TO_KEY.setdefault(normalize_header(_alias), _col.key)


# "2024年营业收入（万元）", "从业人数（人）": a leading year or a "(人)" unit is not part of the name.
_YEAR_PREFIX = re.compile(r"^(19|20)\d{2}年度?")
_PERSON_UNIT = re.compile(r"\((人|名|个)\)$")


def header_key(text: object) -> str | None:
    norm = normalize_header(text)
    key = _ALIAS_TO_KEY.get(norm)
    if key is None:
        key = _ALIAS_TO_KEY.get(_PERSON_UNIT.sub("", _YEAR_PREFIX.sub("", norm)))
    return key


def revenue_unit_is_yuan(header_text: object) -> bool:
    """营业收入 is in 万元 unless the header says plainly that it is in 元."""
    norm = normalize_header(header_text)
    return "(元)" in norm and "万元" not in norm
