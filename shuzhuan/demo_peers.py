"""DEMO peer figures for 同级比较 — invented numbers, NOT real published figures.

The other counties and districts of 宁波 (海曙区, 江北区, 北仑区, 镇海区, 鄞州区, 奉化区, 余姚市,
宁海县, 象山县) get a value for a handful of indicators in 2024 and 2025, so the cockpit's peer
page has something to rank. Each value is our own live value (``indicator_value``) times a
factor per region (its rough size) and a little noise, so peers fall below or around ours; the
rank itself is always computed by ``peer_rank``, never written down here. The figures go through
the real import (``peer_import``, from an .xlsx written to a temporary folder) under a file name
that says they are demo figures. An indicator or year where our own value is nothing (zero or
none) is left out: there is nothing to compare. Loading twice with the same data changes nothing.
"""

from __future__ import annotations

import random
import tempfile
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from shuzhuan.cockpit import figures
from shuzhuan.cockpit.peers import PeerImportReport, peer_import, peer_rank, peer_xlsx

DEMO_FILENAME = "DEMO-演示数据-宁波各县市区同级比较（非真实数据）.xlsx"
GROUP = "宁波"
YEARS = (2024, 2025)
# Region → rough size relative to our county (a factor around which the demo value is drawn).
REGIONS = {
    "鄞州区": Decimal("0.95"),
    "余姚市": Decimal("0.90"),
    "北仑区": Decimal("0.80"),
    "海曙区": Decimal("0.70"),
    "镇海区": Decimal("0.60"),
    "宁海县": Decimal("0.60"),
    "奉化区": Decimal("0.55"),
    "象山县": Decimal("0.50"),
    "江北区": Decimal("0.45"),
}
INDICATORS = (
    "library.enterprises",
    "qual_total.provincial_digital_workshop",
    "accepted.enterprises",
    "paid.amount",
    "training.trainees",
)


@dataclass
class DemoPeersReport:
    report: PeerImportReport | None = None
    indicators: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # e.g. "2025年入选项目库企业（家）：居宁波第一"
    reason: str = ""

    def line(self) -> str:
        if self.report is None:
            return f"同级比较演示数据（非真实数据）：未载入（{self.reason}）"
        r = self.report
        text = (
            f"同级比较演示数据（非真实数据，仅供演示）：宁波其他 {len(REGIONS)} 个县市区、"
            f"{len(self.indicators)} 项指标（{YEARS[0]}—{YEARS[-1]} 年），"
            f"新增 {r.created}，更新 {r.updated}，无变化 {r.unchanged}"
        )
        return text + (f"；{self.phrases[0]}" if self.phrases else "")


def _value(own: Decimal, factor: Decimal, rng: random.Random, *, money: bool) -> Decimal:
    drawn = own * factor * Decimal(str(round(rng.uniform(0.85, 1.12), 3)))
    step = Decimal(100) if money else Decimal(1)
    return (drawn / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def demo_peers_load(*, seed: int = 20250630) -> DemoPeersReport:
    """Import the DEMO peer figures (not real ones) for 2024 and 2025; see the module docstring."""
    labels = dict(figures.indicator_choices())
    rows: list[tuple[str, int, str, str, Decimal]] = []
    used: list[str] = []
    for code in INDICATORS:
        if code not in labels:
            continue
        money = "元" in labels[code]
        added = False
        for year in YEARS:
            own = figures.indicator_value(code, year=year)
            if own is None or own <= 0:  # nothing of our own that year: nothing to compare with
                continue
            rng = random.Random(f"{seed}:{code}:{year}")
            rows += [
                (code, year, GROUP, name, _value(Decimal(own), factor, rng, money=money))
                for name, factor in REGIONS.items()
            ]
            added = True
        if added:
            used.append(code)
    if not rows:
        return DemoPeersReport(reason="没有可比较的本地指标")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo-peers.xlsx"
        path.write_bytes(peer_xlsx(rows))
        report = peer_import(acting_user=None, path=path, filename=DEMO_FILENAME)
    phrases = []
    for code in used:
        rank = peer_rank(code, year=YEARS[-1], group=GROUP)
        if rank is not None:
            phrases.append(f"{rank.year}年{rank.label}：{rank.own_name}{rank.phrase}")
    return DemoPeersReport(report=report, indicators=used, phrases=phrases)
