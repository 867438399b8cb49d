"""What a report says, as plain data, before anything is laid out.

Each kind of source (ingest, compare, runner) is turned into a :class:`Report`: headings,
paragraphs, tables of already formatted text and chart specifications. Keeping this step
free of reportlab and matplotlib makes the wording testable on its own and keeps the layout
code (:mod:`ln1.reports.pdf`) the only place that knows about pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

ChartKind = Literal["hbar", "line"]


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    note: bool = False
    """A note prints small and grey: caveats, "… and 12 more rows"."""


@dataclass(frozen=True)
class Table:
    """Rows of formatted cells. ``total_rows`` counts the rows the source had (≥ len(rows)).

    ``numeric`` marks right-aligned columns; ``header`` off makes a two-column list of
    figures ("Filas | 1,234"); ``footer`` is a bold last row such as totals.
    """

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    total_rows: int | None = None
    total_columns: int | None = None
    header: bool = True
    footer: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Series:
    name: str
    values: tuple[float, ...]


@dataclass(frozen=True)
class Chart:
    """A chart to draw: horizontal bars of categories, or lines over ``dates``.

    For "hbar" ``labels`` name the bars (one group of bars per series); for "line" ``dates``
    are the x values and ``monthly`` says whether they stand for whole months.
    """

    kind: ChartKind
    title: str
    series: tuple[Series, ...]
    labels: tuple[str, ...] = ()
    dates: tuple[date, ...] = ()
    monthly: bool = False
    value_label: str = ""


Block = Heading | Paragraph | Table | Chart


@dataclass
class Report:
    """A whole report: its title, the summary the chat can echo, and the blocks in order."""

    title: str
    summary: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def charts(self) -> int:
        return sum(isinstance(block, Chart) for block in self.blocks)
