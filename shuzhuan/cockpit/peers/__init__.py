"""同级比较: peer counties' figures imported from .xlsx, and our rank among them from data.

A statement such as "居宁波第一" is only as honest as the figures behind it. The city's or
province's published figures for the other counties are imported here (``peer_import``); our
own figure is never typed in but computed live (``shuzhuan.cockpit.figures.indicator_value``)
and ranked among theirs (``peer_rank``). A row the file holds for our own county is kept and
shown beside the live value (so a difference between what the city published and what the
system counts is visible), but it never takes part in the rank.

The file: one header row with 指标代码 (or 指标, the Chinese label), 年度, 比较范围, 地区, 数值;
one row per region. Every row is checked; a single bad row stores nothing, and every error
names its Excel row and column ("第5行「数值」：不是数字"). A good file is upserted in one
transaction with its audit entry, so importing a corrected file again updates the values.

A rank compares counties, so it is stated for the whole county only. A town officer's region
is a town: its own figures are a fraction of the county's, and ranking a town among counties
would be a false statement — ``peer_rank`` returns None and ``peer_ranks`` an empty list there.
"""

from __future__ import annotations

from shuzhuan.cockpit.peers.files import peer_template_xlsx, peer_xlsx
from shuzhuan.cockpit.peers.imports import peer_import
from shuzhuan.cockpit.peers.rank import PeerRank, peer_figures, peer_phrase, peer_rank, peer_ranks, peer_years
from shuzhuan.cockpit.peers.reading import HEADERS
from shuzhuan.cockpit.peers.results import PeerImportReport, PeerRowError

__all__ = [
    "HEADERS",
    "PeerImportReport",
    "PeerRank",
    "PeerRowError",
    "peer_figures",
    "peer_import",
    "peer_phrase",
    "peer_rank",
    "peer_ranks",
    "peer_template_xlsx",
    "peer_xlsx",
    "peer_years",
]
