"""Our live figure ranked among the imported peers, and the phrase (“居宁波第一”)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import cn2an

from shuzhuan.cockpit import figures
from shuzhuan.cockpit.models import PeerFigure
from shuzhuan.cockpit.peers.reading import FEN
from shuzhuan.core.text import squash
from shuzhuan.enterprises.models import Region


@dataclass(frozen=True)
class PeerRank:
    """Our live value ranked among the imported peers of one indicator, year and group.

    ``position`` is the competition rank (ties share a rank: 1, 2, 2, 4) and ``total`` counts
    the peers and us. ``imported_own`` is the value the file gave for our own region (None when
    it gave none); it never takes part in the rank, ``imported_own_matches`` says whether it
    equals the live value.
    """

    indicator: str
    label: str
    year: int
    group: str
    own_name: str
    own_value: Decimal
    position: int
    total: int
    tied: bool
    peers: list[tuple[str, Decimal]]  # highest first, then by name
    imported_own: Decimal | None
    phrase: str

    @property
    def imported_own_exists(self) -> bool:
        return self.imported_own is not None

    @property
    def imported_own_matches(self) -> bool | None:
        return None if self.imported_own is None else self.imported_own == self.own_value

    @property
    def standings(self) -> list[tuple[int, str, Decimal, bool]]:
        """(rank, name, value, is_us) for every region, us included, highest first."""
        rows = [*((name, value, False) for name, value in self.peers), (self.own_name, self.own_value, True)]
        rows.sort(key=lambda r: (-r[1], not r[2], r[0]))
        return [(1 + sum(1 for _, v, _ in rows if v > value), name, value, us) for name, value, us in rows]


def peer_phrase(*, group: str, position: int, total: int, tied: bool) -> str:
    """居宁波第一 · 居宁波第三（共10个县市区） · 并列宁波第二（共10个县市区）.

    The count is added whenever we are not first: "第三" means little without "of how many".
    """
    text = f"{'并列' if tied else '居'}{group}第{cn2an.an2cn(position)}"
    return text if position == 1 else f"{text}（共{total}个县市区）"


def _key(name: str) -> str:
    return squash(name).lower()


def _county() -> Region | None:
    return Region.objects.filter(level=Region.Level.COUNTY).order_by("sort_order", "code").first()


def _rank_scope(region: Region | None) -> tuple[bool, Region | None]:
    """(rankable, the region whose live value is ours): the whole install above county level."""
    if region is None:
        return True, None
    if region.level == Region.Level.TOWN:
        return False, None
    return True, (region if region.level == Region.Level.COUNTY else None)


def _own_names(scope: Region | None, own_name: str | None) -> tuple[str, set[str]]:
    if own_name:
        return own_name, {_key(own_name)}
    county = scope or _county()
    if county is None:
        return "本地", set()
    return county.name, {_key(n) for n in (county.name, *county.aliases) if n}


def peer_rank(
    indicator: str,
    *,
    year: int,
    group: str,
    region: Region | None = None,
    own_name: str | None = None,
) -> PeerRank | None:
    """Our live value among the peers imported for ``indicator``/``year``/``group``.

    None when there are no peers, no live value, an unknown indicator, or ``region`` is a town
    (a town is not ranked among counties). A region above county level is the whole install.
    """
    rankable, scope = _rank_scope(region)
    label = figures.indicator_label(indicator)
    if not rankable or label is None:
        return None
    rows = list(
        PeerFigure.objects.filter(indicator=indicator, year=year, group=group).values_list(
            "region_name", "value"
        )
    )
    if not rows:
        return None
    name, own_keys = _own_names(scope, own_name)
    peers = sorted(((n, v) for n, v in rows if _key(n) not in own_keys), key=lambda p: (-p[1], p[0]))
    imported_own = next((v for n, v in rows if _key(n) in own_keys), None)
    if not peers:
        return None
    live = figures.indicator_value(indicator, year=year, region=scope)
    if live is None:
        return None
    own_value = Decimal(live).quantize(FEN, rounding=ROUND_HALF_UP)
    position = 1 + sum(1 for _, v in peers if v > own_value)
    tied = any(v == own_value for _, v in peers)
    total = len(peers) + 1
    return PeerRank(
        indicator=indicator,
        label=label,
        year=year,
        group=group,
        own_name=name,
        own_value=own_value,
        position=position,
        total=total,
        tied=tied,
        peers=peers,
        imported_own=imported_own,
        phrase=peer_phrase(group=group, position=position, total=total, tied=tied),
    )


def peer_ranks(year: int, region: Region | None = None) -> list[PeerRank]:
    """A rank for every indicator and group with peer rows in ``year``, in the registry's order.

    [] for a town: its figures are part of the county's and cannot be ranked among counties.
    """
    rankable, _ = _rank_scope(region)
    if not rankable:
        return []
    order = {code: i for i, (code, _) in enumerate(figures.indicator_choices())}
    pairs = sorted(
        set(PeerFigure.objects.filter(year=year).values_list("indicator", "group")),
        key=lambda p: (order.get(p[0], len(order)), p[0], p[1]),
    )
    ranks = (peer_rank(indicator, year=year, group=group, region=region) for indicator, group in pairs)
    return [r for r in ranks if r is not None]


def peer_years() -> list[int]:
    """Years with imported peer figures, latest first."""
    return sorted(set(PeerFigure.objects.values_list("year", flat=True)), reverse=True)


def peer_figures(*, year: int) -> list[PeerFigure]:
    return list(PeerFigure.objects.filter(year=year).select_related("imported_by"))
