"""``report_build``: the programme's figures for a period, written as officers write them.

Every number in the prose is a ``FigureValue`` from ``shuzhuan.cockpit.figures`` and carries a
footnote naming the query behind it; a figure used twice (same key, period and filters) keeps its
first number. A sentence whose figures are all zero is left out, except the payment sentence of a
programme in a year that has batches: "nothing paid yet" is itself worth stating. Allocations are
county figures: a town officer's report has no allocation sentence and no peer comparison.

Money is stated in 万元 (``wan``, half-up to two places); the exact yuan value stands in the
footnote (and in the workbook), so a rounded figure can always be traced to the fen.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import cn2an
from django.db.models import Min
from django.utils import timezone

from shuzhuan.activities.models import Event, TrainingClass
from shuzhuan.applications.models import Application, PolicyBatch
from shuzhuan.cockpit.figures import QUAL_LEVEL_LABELS, FigureValue, Filters, Period, Scope, figure_value
from shuzhuan.cockpit.report.model import Footnote, Paragraph, Report, Section, Segment
from shuzhuan.enterprises.models import QualificationType, Region
from shuzhuan.funds.models import Award, Budget, LedgerEntry
from shuzhuan.funds.shares import LEVEL_LABELS, LEVEL_ORDER, PROGRAMME_LABELS, programme_of

Progress = Callable[[int, int], None]
PERCENT = Decimal("0.1")


def scope_place(scope: Scope) -> str:
    """The place a report speaks for: the scope's region, or the county for the whole install."""
    if scope.region is not None:
        return scope.region.name
    county = Region.objects.filter(level=Region.Level.COUNTY).order_by("sort_order", "code").first()
    return county.name if county is not None else scope.label


def report_title(place: str, period: Period) -> str:
    years = f"{period.start}年" if period.start == period.end else f"{period.start}—{period.end}年"
    return f"{place}中小企业数字化转型工作情况统计（{years}）"


class _Writer:
    """Computes figures once each and numbers their footnotes in reading order."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self._values: dict[tuple[str, int, int, Filters], FigureValue] = {}
        self._numbers: dict[tuple[str, int, int, Filters], int] = {}
        self.footnotes: list[Footnote] = []

    @staticmethod
    def _id(fig: FigureValue) -> tuple[str, int, int, Filters]:
        return (fig.key, fig.period.start, fig.period.end, fig.filters)

    def value(self, key: str, period: Period) -> FigureValue:
        ident = (key, period.start, period.end, Filters())
        if ident not in self._values:
            self._values[ident] = figure_value(key, scope=self.scope, period=period)
        return self._values[ident]

    def note(self, fig: FigureValue) -> int:
        ident = self._id(fig)
        if ident not in self._numbers:
            self._numbers[ident] = len(self.footnotes) + 1
            self.footnotes.append(Footnote(self._numbers[ident], fig))
        return self._numbers[ident]

    def ref(self, fig: FigureValue) -> Segment:
        return Segment(fig.display, fig, (self.note(fig),))


def _t(text: str) -> Segment:
    return Segment(text)


def _joined(parts: list[list[Segment]], sep: str) -> list[Segment]:
    out: list[Segment] = []
    for i, part in enumerate(parts):
        if i:
            out.append(_t(sep))
        out.extend(part)
    return out


# --- 一、企业梯队培育 ------------------------------------------------------------------------


def _qualifications(w: _Writer, period: Period, place: str) -> list[Paragraph]:
    paragraphs = []
    types = list(QualificationType.objects.order_by("sort_order", "code"))
    new = [(t, w.value(f"qual_new.{t.code}", period)) for t in types]
    new = [(t, fig) for t, fig in new if fig.value]
    if new:
        parts = []
        for t, fig in new:
            part = [_t(t.name), w.ref(fig)]
            # the running total when it is more than this period's: "省级科技型中小企业500家（累计3070家）"
            total = w.value(f"qual_total.{t.code}", period)
            if total.value > fig.value:
                part += [_t("（累计"), w.ref(total), _t("）")]
            parts.append(part)
        paragraphs.append(Paragraph([_t(f"{period.label}，{place}新增"), *_joined(parts, "、"), _t("。")]))
    held = [(label, w.value(f"qual_wf.{level}", period)) for level, label in QUAL_LEVEL_LABELS.items()]
    held = [(label, fig) for label, fig in held if fig.value]
    if held:
        parts = [[_t(f"{label}数字化车间/智能工厂企业"), w.ref(fig)] for label, fig in held]
        paragraphs.append(
            Paragraph([_t(f"截至{period.end}年底，{place}累计有"), *_joined(parts, "、"), _t("。")])
        )
    return paragraphs


# --- 二、项目申报与资金兑现 --------------------------------------------------------------------


def programmes_of_year(scope: Scope, year: int) -> list[str]:
    """Programmes with awards or applications of ``year`` in scope (and, county-wide, allocations)."""
    found = set(
        Award.objects.filter(year=year)
        .filter(scope.enterprise_q("application__enterprise__"))
        .values_list("programme", flat=True)
    )
    policies = (
        Application.objects.filter(batch__year=year)
        .filter(scope.enterprise_q("enterprise__"))
        .values_list("policy_id", flat=True)
        .distinct()
    )
    found |= {programme_of(p) for p in policies}
    if scope.county_wide:
        found |= set(
            Budget.objects.filter(year=year, entries__kind=LedgerEntry.Kind.ALLOCATION).values_list(
                "programme", flat=True
            )
        )
    order = list(PROGRAMME_LABELS)
    return sorted(found, key=lambda p: (order.index(p) if p in order else len(order), p))


def _money_by_level(w: _Writer, kind: str, programme: str, period: Period) -> list[tuple[str, FigureValue]]:
    figs = [(level, w.value(f"{kind}.amount.{programme}.{level}", period)) for level in LEVEL_ORDER]
    return [(LEVEL_LABELS.get(level, level), fig) for level, fig in figs if fig.value]


def _programme_year(w: _Writer, programme: str, year: int, *, has_batches: bool) -> Paragraph | None:
    period = Period.year(year)
    clauses: list[list[Segment]] = []
    if w.scope.county_wide:
        allocated = _money_by_level(w, "alloc", programme, period)
        if allocated:
            names = "、".join(label for label, _ in allocated)
            amounts = _joined([[w.ref(fig)] for _, fig in allocated], "、")
            verb = "分别下达" if len(allocated) > 1 else "下达"
            clauses.append([_t(f"{names}{verb}资金"), *amounts])
    library = w.value(f"library.enterprises.{programme}", period)
    if library.value:
        clauses.append([w.ref(library), _t("企业入选项目库")])
    accepted = w.value(f"accepted.enterprises.{programme}", period)
    approved = w.value(f"approved.amount.{programme}", period)
    expected = w.value(f"expected.amount.{programme}", period)
    # Some accepted projects still wait for their amount: state what is expected across the
    # levels (ceilings split by the funding split), then how much of it is already approved.
    pending = expected.value != approved.value
    money, kind = (expected, "expected") if pending else (approved, "approved")
    if accepted.value or money.value:
        clause: list[Segment] = []
        if accepted.value:
            clause += [_t("已验收通过"), w.ref(accepted), _t("企业")]
        if money.value:
            levels = _money_by_level(w, kind, programme, period)
            word = "三级" if len(levels) == 3 else ""
            phrase = f"预计补助{word}资金共" if pending else f"核定{word}补助资金共"
            clause += [_t("，" if clause else ""), _t(phrase), w.ref(money)]
            if len(levels) > 1:
                shares = _joined([[_t(label), w.ref(fig)] for label, fig in levels], "、")
                clause += [_t("（"), *shares, _t("）")]
            elif levels:
                clause.append(_t(f"（均为{levels[0][0]}资金）"))
            if pending:
                clause += (
                    [_t("，其中已核定"), w.ref(approved)] if approved.value else [_t("，补助金额尚待核定")]
                )
        clauses.append(clause)
    paid_firms = w.value(f"paid.enterprises.{programme}", period)
    paid = w.value(f"paid.amount.{programme}", period)
    if paid.value or paid_firms.value:
        clauses.append([_t("共对"), w.ref(paid_firms), _t("企业兑现补助资金"), w.ref(paid)])
    elif has_batches:  # nothing paid yet: say so, footnoted with the (zero) payments figure
        clauses.append([Segment("补助资金尚未兑现", paid, (w.note(paid),))])
    if not clauses:
        return None
    name = PROGRAMME_LABELS.get(programme, programme)
    return Paragraph([_t(f"{year}年{name}项目："), *_joined(clauses, "；"), _t("。")])


# --- 三、活动与人才 ---------------------------------------------------------------------------


def _activities(w: _Writer, period: Period, place: str) -> list[Paragraph]:
    paragraphs = []
    events: list[list[Segment]] = []
    for kind in Event.Kind:
        held = w.value(f"events.count.{kind.value}", period)
        if not held.value:
            continue
        part = [_t(f"{kind.label}"), w.ref(held)]
        attended = w.value(f"events.attended.{kind.value}", period)
        if attended.value:
            part += [_t("（到场"), w.ref(attended), _t("）")]
        events.append(part)
    if events:
        paragraphs.append(Paragraph([_t(f"{period.label}，{place}共举办"), *_joined(events, "、"), _t("。")]))
    training = _training(w, period)
    if training:
        since = _first_class_year(w.scope, period)
        if since is not None and since < period.start:
            earlier = Period(since, period.end)
            if w.value("training.classes", earlier).value > w.value("training.classes", period).value:
                # officers report training as a running total too: "自2023年以来累计开办3期……"
                training += [_t("；自"), _t(f"{since}年以来累计"), *_training(w, earlier)]
        paragraphs.append(Paragraph([*training, _t("。")]))
    certs = w.value("certs.count", period)
    if certs.value:
        paragraphs.append(Paragraph([_t("完成技能等级认定"), w.ref(certs), _t("。")]))
    return paragraphs


def _training(w: _Writer, period: Period) -> list[Segment]:
    """开办…期，培训学员…人，结业…人，其中签约就业…人，就业率…% (the parts that are not zero)."""
    classes = w.value("training.classes", period)
    trainees = w.value("training.trainees", period)
    completed = w.value("training.completed", period)
    employed = w.value("training.employed", period)
    training: list[list[Segment]] = []
    if classes.value:
        training.append([_t("开办数字化人才培训班"), w.ref(classes)])
    if trainees.value:
        training.append([_t("培训学员"), w.ref(trainees)])
    if completed.value:
        training.append([_t("结业"), w.ref(completed)])
    if employed.value:
        training.append([_t("其中签约就业"), w.ref(employed)])
    if completed.value:
        rate = (employed.value * 100 / completed.value).quantize(PERCENT, rounding=ROUND_HALF_UP)
        training.append([_t("就业率"), Segment(f"{rate}%", None, (w.note(employed), w.note(completed)))])
    return _joined(training, "，")


def _first_class_year(scope: Scope, period: Period) -> int | None:
    first = (
        TrainingClass.objects.filter(scope.region_q("region__"), starts_on__year__lte=period.end)
        .aggregate(first=Min("starts_on"))
        .get("first")
    )
    return None if first is None else max(first.year, 2000)


# --- 四、同级比较 -----------------------------------------------------------------------------


def _peers(w: _Writer, period: Period) -> list[Paragraph]:
    if not w.scope.county_wide:
        return []
    try:
        from shuzhuan.cockpit.peers import peer_ranks
    except ImportError:  # pragma: no cover - the peer module is optional to a report
        return []
    paragraphs = []
    for rank in peer_ranks(period.end, w.scope.region):
        fig = w.value(rank.indicator, Period.year(rank.year))
        paragraphs.append(
            Paragraph(
                [
                    _t(f"{rank.year}年{rank.own_name}{fig.label}为"),
                    w.ref(fig),
                    _t(f"，{rank.phrase}。"),
                ]
            )
        )
    return paragraphs


# --- the report -------------------------------------------------------------------------------


def report_build(scope: Scope, period: Period, *, progress: Progress | None = None) -> Report:
    """The report of ``period`` for ``scope``; ``progress(done, total)`` after each step."""
    place = scope_place(scope)
    w = _Writer(scope)
    batch_years = set(
        PolicyBatch.objects.filter(year__gte=period.start, year__lte=period.end).values_list(
            "year", flat=True
        )
    )
    plan = [(year, programmes_of_year(scope, year)) for year in period.years]
    total = 3 + sum(len(programmes) for _, programmes in plan)
    done = 0

    def step() -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total)

    sections = [Section("企业梯队培育", _qualifications(w, period, place))]
    step()
    funds = Section("项目申报与资金兑现")
    for year, programmes in plan:
        for programme in programmes:
            paragraph = _programme_year(w, programme, year, has_batches=year in batch_years)
            if paragraph is not None:
                funds.paragraphs.append(paragraph)
            step()
    sections.append(funds)
    sections.append(Section("活动与人才", _activities(w, period, place)))
    step()
    sections.append(Section("同级比较", _peers(w, period)))
    step()
    kept = [s for s in sections if s.paragraphs]
    for i, section in enumerate(kept, start=1):
        section.title = f"{cn2an.an2cn(i)}、{section.title}"
    return Report(
        title=report_title(place, period),
        scope_label=place,
        period=period,
        generated_on=timezone.localdate(),
        sections=kept,
        footnotes=w.footnotes,
    )
