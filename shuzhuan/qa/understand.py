"""Question understanding: a Chinese question → the facts the answerer needs (no Django).

Amounts in Arabic or Chinese numerals with 元/万/万元/千万/亿 (Chinese numerals through cn2an),
whether an amount is the asker's investment or a threshold they ask about, the project kind, the
year the question is about (``2024年``, ``去年``, ``今年`` relative to ``today``), the facts the
asker states about the project and the enterprise (None: not said), and the intent.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import cn2an

AMOUNT = "amount"  # 能补多少
THRESHOLD = "threshold"  # 门槛是多少
ELIGIBILITY = "eligibility"  # 能不能申请 / 有没有奖励
PROCESS = "process"  # 怎么申请 / 什么时候
OTHER = "other"

INVESTMENT = "investment"
THRESHOLD_ROLE = "threshold"
AWARD = "award"  # an amount the asker names as a subsidy (能拿20万吗)
UNKNOWN = "other"

_MULTIPLIERS = {
    "": Decimal(1),
    "千": Decimal(1_000),
    "万": Decimal(10_000),
    "十万": Decimal(100_000),
    "百万": Decimal(1_000_000),
    "千万": Decimal(10_000_000),
    "亿": Decimal(100_000_000),
}

_FULL_WIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
_GROUPED = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_ARABIC = re.compile(r"(\d+(?:\.\d+)?)\s*(千万|百万|十万|万|千|亿)?\s*(元|块钱|块|w|W)?")
_CN_DIGITS = "零〇一二两三四五六七八九十百千万亿"
_CHINESE = re.compile(rf"([{_CN_DIGITS}]+(?:点[{_CN_DIGITS}]+)?)\s*(元|块钱|块)?")

_INVEST_BEFORE = re.compile(
    r"(投入|投了|投资|投|花了|花费|花|核定|总投资|投入额|预算|金额|做了|搞了|上了|用了)[^，。,；;？?]{0,6}$"
)
_THRESHOLD_AFTER = re.compile(r"^\s*(以上|及以上|起步|起|的门槛|门槛)")
_THRESHOLD_BEFORE = re.compile(r"(门槛|达到|不低于|至少|满)[^，。,；;？?]{0,4}$")
_AWARD_BEFORE = re.compile(r"(补|补助|补贴|奖励|奖|拿|领|给|兑现)[^，。,；;？?]{0,3}$")

_KIND_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "ai_model",
        re.compile(
            r"(?<![A-Za-z])AI(?![A-Za-z])|人工智能|大模型|AIGC|智能体|DeepSeek|deepseek|通义|千问", re.I
        ),
    ),
    (
        "new_it",
        re.compile(
            r"新一代信息技术|新一代IT|信息技术|信息化|工业互联网|物联网|云计算|大数据|5G|上云|MES|ERP", re.I
        ),
    ),
    ("pilot", re.compile(r"试点")),
)

INDUSTRY_WORDS: dict[str, tuple[str, ...]] = {
    "auto_parts": ("汽配", "汽车配件", "汽车零部件", "汽车零配件", "汽车部件"),
    "home_appliances": ("家电", "家用电器", "小家电", "电器"),
    "textiles": ("纺织", "服装", "化纤", "印染"),
    "bearings": ("轴承",),
    "moulds": ("模具",),
    "machinery": ("机械", "装备制造"),
    "electronics": ("电子", "电子元器件"),
    "chemicals": ("化工",),
}

_AGGREGATE = re.compile(
    r"一共|共计|总共|累计|合计|多少家|几家|多少个|几个|多少场|几期|全市|全年|分别|下达|兑现了|第一批|多少条|多少人"
)

_NEG = r"(没|没有|未|尚未|还没|还没有|不|不是|并未)"


def _stated(text: str, positive: str, negative: str) -> bool | None:
    """True when the positive phrase is said, False when its negation is, None when neither."""
    if re.search(negative, text):
        return False
    if re.search(positive, text):
        return True
    return None


@dataclass(frozen=True)
class Amount:
    value: Decimal  # yuan
    text: str  # as written
    role: str  # investment | threshold | award | other


@dataclass(frozen=True)
class Facts:
    question: str
    intent: str
    amounts: tuple[Amount, ...] = ()
    kinds: frozenset[str] = frozenset()
    year: int | None = None
    in_pilot_plan: bool | None = None
    accepted: bool | None = None
    sample_enterprise: bool | None = None  # the asker says they are (True) / are not (False)
    sample_topic: bool = False  # the question is about the sample-enterprise reward
    sample_received: bool | None = None  # the reward was already paid to them
    is_sme: bool | None = None
    above_scale: bool | None = None
    industry: str | None = None
    percents: tuple[Decimal, ...] = field(default=())
    aggregate: bool = False  # about the programme's figures (一共兑现了多少), not the asker's own case

    @property
    def investment(self) -> Decimal | None:
        """The asker's investment: an amount said as one, else the only amount of unknown role."""
        for a in self.amounts:
            if a.role == INVESTMENT:
                return a.value
        unknown = [a for a in self.amounts if a.role == UNKNOWN]
        return unknown[0].value if len(unknown) == 1 else None

    @property
    def threshold(self) -> Decimal | None:
        for a in self.amounts:
            if a.role == THRESHOLD_ROLE:
                return a.value
        return None


def normalize(text: str) -> str:
    text = text.translate(_FULL_WIDTH)
    return _GROUPED.sub("", text)


def _to_decimal(raw: str) -> Decimal | None:
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _chinese_value(raw: str) -> Decimal | None:
    try:
        value = cn2an.cn2an(raw, "smart")
    except (ValueError, KeyError, IndexError):
        return None
    return _to_decimal(str(value))


def _role(before: str, after: str) -> str:
    if _THRESHOLD_AFTER.match(after) or _THRESHOLD_BEFORE.search(before):
        # “投了30万以上” is still an investment when the verb says so and no threshold word is near
        if _INVEST_BEFORE.search(before) and not re.search(r"门槛|才|要求|条件", before + after[:8]):
            return INVESTMENT
        return THRESHOLD_ROLE
    if _INVEST_BEFORE.search(before):
        return INVESTMENT
    if _AWARD_BEFORE.search(before):
        return AWARD
    return UNKNOWN


def parse_amounts(text: str) -> tuple[Amount, ...]:
    """Every money amount in the text (a number with 元/万/亿…; a bare number or a year is none)."""
    text = normalize(text)
    found: list[tuple[int, int, Amount]] = []
    for m in _ARABIC.finditer(text):
        number, scale, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        tail = text[m.end() : m.end() + 1]
        if not scale and not unit:
            continue
        if unit.lower() == "w":
            scale, unit = "万", ""
        if tail in {"年", "%", "号", "家", "个", "月", "日"}:
            continue
        base = _to_decimal(number)
        if base is None:
            continue
        value = (base * _MULTIPLIERS[scale]).quantize(Decimal("0.01"))
        found.append((m.start(), m.end(), Amount(value, m.group(0).strip(), "")))
    for m in _CHINESE.finditer(text):
        numeral, unit = m.group(1), m.group(2) or ""
        if not unit and not re.search(r"[万亿]$", numeral):
            continue
        if any(s <= m.start() < e for s, e, _ in found):
            continue
        if re.fullmatch(r"[万亿]+", numeral):
            continue
        cn_value = _chinese_value(numeral)
        if cn_value is None:
            continue
        found.append((m.start(), m.end(), Amount(cn_value.quantize(Decimal("0.01")), m.group(0).strip(), "")))
    found.sort(key=lambda t: t[0])
    return tuple(
        Amount(a.value, a.text, _role(text[max(0, s - 12) : s], text[e : e + 10])) for s, e, a in found
    )


def parse_percents(text: str) -> tuple[Decimal, ...]:
    text = normalize(text)
    values = [Decimal(m.group(1)) for m in re.finditer(r"(\d+(?:\.\d+)?)\s*%", text)]
    for m in re.finditer(rf"百分之([{_CN_DIGITS}]+)", text):
        value = _chinese_value(m.group(1))
        if value is not None:
            values.append(value)
    return tuple(values)


def parse_year(text: str, today: dt.date) -> int | None:
    text = normalize(text)
    m = re.search(r"〔(20\d\d)〕|\[(20\d\d)\]", text)
    if m:
        return int(m.group(1) or m.group(2))
    m = re.search(r"(?<!\d)(20\d\d)(?:\s*年|版|年度)", text) or re.search(
        r"(?<![\d.])(20\d\d)(?![\d万元块.])", text
    )
    if m:
        return int(m.group(1))
    m = re.search(r"(?<!\d)(\d\d)\s*年(?!代)", text)
    if m:
        return 2000 + int(m.group(1))
    for word, delta in (("前年", -2), ("去年", -1), ("今年", 0), ("明年", 1), ("本年度", 0), ("上一年", -1)):
        if word in text:
            return today.year + delta
    return None


def parse_intent(text: str) -> str:
    if re.search(
        r"门槛|起点|起步|最低.{0,4}投|至少.{0,4}投|投.{0,4}多少.{0,3}(才|可以|能)|要.{0,2}投.{0,3}多少|达到多少|满多少|多少.{0,3}以上",
        text,
    ):
        return THRESHOLD
    if re.search(
        r"多少|几成|几万|比例|百分之几|上限|封顶|最多|最高|能补几|补几|怎么算|咋算|如何计算|怎么计算|算一下|金额|怎么补|补助标准|奖励标准",
        text,
    ):
        return AMOUNT
    if re.search(
        r"能不能|可不可以|可以不可以|能否|是否|可以申请|能申请|能享受|可以享受|符合|有没有|有资格|够不够|算不算|还有.{0,8}吗|能.{0,6}吗|可以.{0,6}吗|有.{0,6}吗",
        text,
    ):
        return ELIGIBILITY
    if re.search(r"怎么|如何|流程|材料|什么时候|何时|哪里|哪些|多久|渠道|平台|步骤|程序|途径|谁", text):
        return PROCESS
    return OTHER


def parse_kinds(text: str) -> frozenset[str]:
    return frozenset(kind for kind, pattern in _KIND_PATTERNS if pattern.search(text))


def parse_industry(text: str) -> str | None:
    for code, words in INDUSTRY_WORDS.items():
        if any(w in text for w in words):
            return code
    return None


def understand(question: str, *, today: dt.date | None = None) -> Facts:
    today = today or dt.date.today()
    text = normalize(question.strip())
    in_pilot = _stated(
        text,
        r"列入.{0,4}试点|纳入.{0,4}试点|入选.{0,4}试点|进了.{0,4}试点|进入.{0,4}试点|是试点项目|在试点计划|试点计划里|试点名单",
        rf"{_NEG}.{{0,3}}(列入|纳入|入选|进|进入|在).{{0,4}}试点|不是试点",
    )
    accepted = _stated(
        text,
        r"已验收|验收通过|通过验收|通过了验收|验收过了|验收完|验收好了|验收了|验收合格",
        rf"{_NEG}.{{0,2}}验收|{_NEG}.{{0,2}}通过.{{0,2}}验收|验收.{{0,2}}(没|未)通过|验收不合格|在建|还在实施|正在实施",
    )
    sample_topic = "样本" in text
    sample = _stated(
        text,
        r"(是|被认定为|认定为|评上|评为|成为|入选|列为).{0,8}样本企业",
        rf"{_NEG}.{{0,4}}(是|认定|评上|评为|入选).{{0,8}}样本",
    )
    received = _stated(
        text,
        r"(领过|拿过|已经拿|已经领|已领|已拿|领了|拿了|发过|奖励过).{0,8}(奖励|样本|奖金|钱)?",
        rf"{_NEG}.{{0,2}}(领|拿|发)过",
    )
    is_sme = _stated(text, r"中小企业|小微企业|小企业|中小型", r"不是中小企业|大型企业|大企业")
    above_scale = _stated(text, r"规上|规模以上", r"规下|规模以下")
    amounts = parse_amounts(text)
    intent = parse_intent(text)
    if intent in {OTHER, ELIGIBILITY} and any(a.role == THRESHOLD_ROLE for a in amounts):
        intent = THRESHOLD
    elif intent == OTHER and amounts:
        intent = AMOUNT
    return Facts(
        question=question,
        intent=intent,
        amounts=amounts,
        kinds=parse_kinds(text),
        year=parse_year(text, today),
        in_pilot_plan=in_pilot,
        accepted=accepted,
        sample_enterprise=sample,
        sample_topic=sample_topic,
        sample_received=received if sample_topic else None,
        is_sme=is_sme,
        above_scale=above_scale,
        industry=parse_industry(text),
        percents=parse_percents(text),
        aggregate=bool(_AGGREGATE.search(text)),
    )
