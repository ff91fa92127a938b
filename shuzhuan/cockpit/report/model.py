"""The report as data: sections of paragraphs of segments, and the footnotes their figures carry.

A segment is text, optionally standing for a figure (its ``display``) and followed by footnote
numbers. Renderers (``word``, ``pdf``, ``workbook``) only lay this out; they compute nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from shuzhuan.cockpit.figures import FigureValue, Period


@dataclass(frozen=True)
class Segment:
    text: str
    figure: FigureValue | None = None
    notes: tuple[int, ...] = ()  # footnote numbers, set after ``text`` as superscript markers


@dataclass
class Paragraph:
    segments: list[Segment] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The sentence without its footnote markers (what a reader of the prose sees)."""
        return "".join(s.text for s in self.segments)


@dataclass
class Section:
    title: str
    paragraphs: list[Paragraph] = field(default_factory=list)


@dataclass(frozen=True)
class Footnote:
    number: int
    figure: FigureValue

    @property
    def exact(self) -> str:
        """The unrounded value: money in yuan to the fen, counts as integers."""
        fig = self.figure
        return f"{fig.value:,.2f}元" if fig.is_money else f"{int(fig.value)}{fig.unit}"

    @property
    def text(self) -> str:
        return f"[{self.number}] {self.figure.query}；数值：{self.exact}；记录清单：{self.figure.url}"


@dataclass
class Report:
    title: str
    scope_label: str
    period: Period
    generated_on: dt.date
    sections: list[Section] = field(default_factory=list)
    footnotes: list[Footnote] = field(default_factory=list)

    @property
    def subtitle(self) -> str:
        return f"统计范围：{self.scope_label}　统计期间：{self.period.label}　生成日期：{self.generated_on:%Y年%m月%d日}"

    @property
    def file_stem(self) -> str:
        return self.title
