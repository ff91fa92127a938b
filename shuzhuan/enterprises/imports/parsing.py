"""Turning one spreadsheet cell into a typed value, or a reason in Chinese why not."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils import timezone

from shuzhuan.core.money import WAN, to_yuan
from shuzhuan.core.text import clean_cell, squash
from shuzhuan.enterprises.models import Enterprise, Industry, QualificationType, Region

# 一万亿元: SQLite keeps decimals as binary floating point (15 significant digits), so below this
# every amount comes back to the fen. The enterprise services use the same limit.
REVENUE_LIMIT = Decimal("1e12")


class CellError(ValueError):
    """A cell that cannot be read; the message names the column and the value."""


_TRUE = {"是", "y", "yes", "true", "1", "√", "✓", "有", "t", "是的"}
_FALSE = {"否", "n", "no", "false", "0", "×", "x", "无", "f", "不是"}

_STATUS = {
    "存续": Enterprise.Status.ACTIVE,
    "在业": Enterprise.Status.ACTIVE,
    "开业": Enterprise.Status.ACTIVE,
    "正常": Enterprise.Status.ACTIVE,
    "在营": Enterprise.Status.ACTIVE,
    "active": Enterprise.Status.ACTIVE,
    "注销": Enterprise.Status.DEREGISTERED,
    "已注销": Enterprise.Status.DEREGISTERED,
    "deregistered": Enterprise.Status.DEREGISTERED,
    "吊销": Enterprise.Status.REVOKED,
    "已吊销": Enterprise.Status.REVOKED,
    "revoked": Enterprise.Status.REVOKED,
    "迁出": Enterprise.Status.MOVED_OUT,
    "已迁出": Enterprise.Status.MOVED_OUT,
    "moved_out": Enterprise.Status.MOVED_OUT,
}


def is_blank(value: object) -> bool:
    return value is None or squash(value) in {"", "-", "—", "/", "无数据"}


def parse_bool(value: object, label: str) -> bool | None:
    if isinstance(value, bool):
        return value
    if is_blank(value):
        return None
    text = squash(value).lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"{label}“{clean_cell(value)}”无法识别，应填“是”或“否”")


def _number_text(value: object, label: str, units: tuple[str, ...]) -> Decimal:
    if isinstance(value, bool):
        raise CellError(f"{label}“{value}”不是数字")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    text = squash(value).replace(",", "").replace("，", "")
    for unit in units:
        text = text.removesuffix(unit)
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise CellError(f"{label}“{clean_cell(value)}”不是可识别的数字") from None
    if not number.is_finite():
        raise CellError(f"{label}“{clean_cell(value)}”不是可识别的数字")
    return number


def parse_employees(value: object) -> int | None:
    if is_blank(value):
        return None
    number = _number_text(value, "从业人数", ("人",))
    if number < 0 or number != number.to_integral_value():
        raise CellError(f"从业人数“{clean_cell(value)}”应为非负整数")
    if number > 10_000_000:
        raise CellError(f"从业人数“{clean_cell(value)}”超出合理范围")
    return int(number)


def parse_revenue(value: object, *, in_yuan: bool) -> Decimal | None:
    """营业收入 → yuan (Decimal, two places)."""
    if is_blank(value):
        return None
    number = _number_text(value, "营业收入", ("万元", "元"))
    if number < 0:
        raise CellError(f"营业收入“{clean_cell(value)}”不能为负数")
    yuan = to_yuan(number if in_yuan else number * WAN)
    if yuan >= REVENUE_LIMIT:
        raise CellError(f"营业收入“{clean_cell(value)}”超出合理范围")
    return yuan


_PAREN = re.compile(r"\(.*?\)|\[.*?\]")


def parse_status(value: object) -> str | None:
    """Also the wording of the national credit-information system, e.g. "存续（在营、开业、在册）"
    or "吊销，未注销": the words in brackets or after a comma only qualify the first one."""
    if is_blank(value):
        return None
    text = squash(value).lower()
    status = _STATUS.get(text)
    if status is None:
        head = _PAREN.sub("", text).split(",")[0]
        status = _STATUS.get(head) or _STATUS.get(head.removesuffix("企业"))
    if status is None:
        raise CellError(f"经营状态“{clean_cell(value)}”无法识别（可填：存续、注销、吊销、迁出）")
    return str(status)


def _key(text: str) -> str:
    return squash(text).lower()


class TownResolver:
    """Town names as officers write them: full name, without 镇/街道, with the county in front, or code."""

    def __init__(self, towns: list[Region], counties: list[Region]):
        self._towns: dict[str, Region] = {}
        for town in towns:
            for name in (town.name, town.code, *town.aliases):
                self._towns.setdefault(_key(name), town)
        self._prefixes = sorted(
            {_key(n) for c in counties for n in (c.name, *c.aliases)}, key=len, reverse=True
        )

    def resolve(self, value: object) -> Region | None:
        """Strips any chain of province/city/county names in front ("浙江省宁波市慈溪市观海卫镇")."""
        text = _key(clean_cell(value))
        while text:
            found = self._towns.get(text)
            if found is not None:
                return found
            prefix = next((p for p in self._prefixes if p and text.startswith(p)), None)
            if prefix is None:
                return None
            text = text[len(prefix) :]
        return None


class IndustryResolver:
    def __init__(self, industries: list[Industry]):
        self._by: dict[str, Industry] = {}
        for ind in industries:
            for name in (ind.code, ind.name, *ind.synonyms):
                self._by.setdefault(_key(name), ind)

    def resolve(self, value: object) -> Industry | None:
        text = _key(clean_cell(value))
        return (
            self._by.get(text)
            or self._by.get(text.removesuffix("行业"))
            or self._by.get(text.removesuffix("业"))
        )


_YEAR_AFTER = re.compile(r"^(?P<name>.+?)[(\[]?(?P<year>(19|20)\d{2})年?(度)?[)\]]?$")
_YEAR_BEFORE = re.compile(r"^(?P<year>(19|20)\d{2})年?(度)?(?P<name>.+)$")
_CODE_YEAR = re.compile(r"^(?P<name>[a-z_]+)[:=](?P<year>(19|20)\d{2})$")
_SPLIT = re.compile(r"[;；,，、\r\n|/]+")
FIRST_QUALIFICATION_YEAR = 1990  # the database refuses earlier years (qualification_year_range)


@dataclass(frozen=True)
class QualificationRef:
    type: QualificationType
    year: int


def _qkey(text: str) -> str:
    return _key(text).translate({ord(c): None for c in "“”\"'‘’"})


class QualificationResolver:
    def __init__(self, types: list[QualificationType]):
        self._by: dict[str, QualificationType] = {}
        for t in types:
            for name in (t.code, t.name, *t.synonyms):
                self._by.setdefault(_qkey(name), t)

    def parse(self, value: object) -> list[QualificationRef]:
        if is_blank(value):
            return []
        refs: list[QualificationRef] = []
        # Split before clean_cell() folds line breaks (Alt+Enter inside a cell) into spaces.
        text = unicodedata.normalize("NFKC", str(value))
        latest = timezone.localdate().year + 1
        for raw_token in _SPLIT.split(text):
            token = clean_cell(raw_token)
            item = _qkey(token)
            if not item:
                continue
            match = _CODE_YEAR.match(item) or _YEAR_AFTER.match(item) or _YEAR_BEFORE.match(item)
            if match is None:
                raise CellError(f"资质“{token}”缺少年度，应写作如“国家科技型中小企业(2024)”")
            name = match.group("name").strip("()[]（）")
            qtype = self._by.get(name)
            if qtype is None:
                raise CellError(f"资质“{token}”无法识别")
            year = int(match.group("year"))
            if not FIRST_QUALIFICATION_YEAR <= year <= latest:
                raise CellError(f"资质“{token}”的年度{year}不在{FIRST_QUALIFICATION_YEAR}—{latest}年之间")
            refs.append(QualificationRef(qtype, year))
        return refs
