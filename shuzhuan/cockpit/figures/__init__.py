"""The cockpit's figures: one definition each, computed live from the records behind it.

A figure is named by a *key* — a kind and its arguments joined by dots — and computed for a
``Scope`` (the region an officer works in; ``None`` for the whole install) and a ``Period`` (a
range of years, inclusive)::

    qual_new.national_tech_sme      enterprises newly registered with that qualification
    qual_total.provincial_digital_workshop   … holding it in or before the period's last year
    qual_wf.provincial              enterprises holding a digital workshop or smart factory of that level
    apps.<status|all>               applications (projects) by status, batch year in the period
    library.enterprises[.<prog>]    enterprises with a project taken into the project library (已入库 or later)
    accepted.enterprises[.<prog>]   enterprises with a project that passed acceptance
    approved.enterprises[.<prog>]   enterprises with a standing award (核定, not revoked)
    approved.amount[.<prog>[.<level>]]  the standing awards' shares (committed money)
    paid.enterprises[.<prog>]       enterprises with an unreversed payment on their award
    paid.amount[.<prog>[.<level>]]  unreversed payments (兑现) on awards of the period's years
    alloc.amount[.<prog>[.<level>]] allocations handed down (下达), net of reversals — county-wide only
    events.count[.<kind>]           activities held; events.attended[.<kind>] their attendances
    training.classes / training.trainees / training.completed / training.employed
    certs.count                     skill certifications

Award and payment figures count the awards of the batches' years in the period (the programme
year officers report by), with payments standing at the time of the query. Every figure's
``records`` are exactly the rows its value is computed from: ``figure_value`` and
``figure_records`` share one queryset, and a test checks they agree. Money is ``Decimal``.

Optional narrowing filters apply to every figure that has the dimension: ``town`` (a region
code), ``industry`` (an industry code) and ``batch`` (a batch code).
"""

from shuzhuan.cockpit.figures.base import (
    ANY,
    FEN,
    QUAL_LEVEL_LABELS,
    ZERO,
    Column,
    FigureError,
    FigureValue,
    Filters,
    Period,
    RecordTable,
    Scope,
    wan,
)
from shuzhuan.cockpit.figures.registry import (
    DEFINITIONS,
    Part,
    figure_available,
    figure_breakdown,
    figure_records,
    figure_value,
    indicator_choices,
    indicator_label,
    indicator_value,
    records_url,
)

__all__ = [
    "ANY",
    "DEFINITIONS",
    "FEN",
    "QUAL_LEVEL_LABELS",
    "ZERO",
    "Column",
    "FigureError",
    "FigureValue",
    "Filters",
    "Part",
    "Period",
    "RecordTable",
    "Scope",
    "figure_available",
    "figure_breakdown",
    "figure_records",
    "figure_value",
    "indicator_choices",
    "indicator_label",
    "indicator_value",
    "records_url",
    "wan",
]
