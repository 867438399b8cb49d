"""Charts drawn with matplotlib (Agg, no display) into PNG bytes for the PDF.

PNG at 200 dpi stays sharp when printed and keeps a three-chart report small; reportlab
cannot embed SVG without another package. Text in charts uses DejaVu Sans, the same face as
the PDF, and math-text parsing is off so a "$" in a product name prints as itself.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from decimal import Decimal

import matplotlib

matplotlib.use("Agg")  # before pyplot: a worker has no display

import matplotlib.dates as mdates
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from ln1.numbers import format_fixed
from ln1.reports.content import Chart
from ln1.reports.text import Lang, clean

WIDTH_INCHES = 6.7  # the A4 text width between the margins
DPI = 200
PALETTE = ("#1f5aa6", "#e07b39", "#3a9a5b", "#b8423f", "#7b5ea7", "#8c6d31")
_LABEL_CHARS = 32
_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 8,
    "text.parse_math": False,
    "svg.hashsalt": "ln1",
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def render_png(chart: Chart, lang: Lang, region: str | None = None) -> tuple[bytes, float, float]:
    """Draw ``chart``; return the PNG and its size in inches (width, height).

    Axis numbers are written like the report's tables, the company's way (``region``).
    """
    with matplotlib.rc_context(_STYLE):
        height = _height(chart)
        figure = Figure(figsize=(WIDTH_INCHES, height), dpi=DPI, layout="constrained")
        axes = figure.add_subplot()
        values = _value_formatter(lang, region)
        if chart.kind == "line":
            _draw_lines(axes, chart, lang, values)
        else:
            _draw_bars(axes, chart, values)
        axes.set_title(clean(chart.title, 90), loc="left", fontsize=10, fontweight="bold")
        if len(chart.series) > 1:  # below the plot, where it hides no bar or line
            figure.legend(loc="outside lower center", ncols=len(chart.series), frameon=False)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    return buffer.getvalue(), WIDTH_INCHES, height


def _height(chart: Chart) -> float:
    """Bars get room per category so labels never overlap; lines a fixed landscape box."""
    if chart.kind == "line":
        return 3.0
    bars = len(chart.labels) * max(len(chart.series), 1)
    return min(max(1.2 + 0.22 * bars, 2.2), 7.5)


def _short(text: str) -> str:
    return clean(text, _LABEL_CHARS)


def _value_formatter(lang: Lang, region: str | None) -> FuncFormatter:
    """Axis numbers as the report writes them: "1,234,000" (or "1.234.000"); "1.25B"."""

    def fmt(value: float, _position: int) -> str:
        if abs(value) >= 1e9:
            return format_fixed(Decimal(repr(float(value) / 1e9)), 2, lang, region) + "B"
        places = 0 if abs(value) >= 100 or value == int(value) else 2
        return format_fixed(Decimal(repr(float(value))), places, lang, region)

    return FuncFormatter(fmt)


def _draw_bars(axes: Axes, chart: Chart, values: FuncFormatter) -> None:
    """Horizontal bars, first label at the top; side by side when there are two series."""
    count = len(chart.series)
    positions = range(len(chart.labels))
    thickness = 0.8 / max(count, 1)
    for index, series in enumerate(chart.series):
        offsets = [p - 0.4 + thickness * (index + 0.5) for p in positions]
        axes.barh(
            offsets,
            series.values,
            height=thickness * 0.95,
            color=PALETTE[index % len(PALETTE)],
            label=_short(series.name),
        )
    axes.set_yticks(list(positions), [_short(text) for text in chart.labels])
    axes.invert_yaxis()
    axes.xaxis.set_major_formatter(values)
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    axes.axvline(0, color="#666666", linewidth=0.6)
    if chart.value_label:
        axes.set_xlabel(clean(chart.value_label, 60))


def _draw_lines(axes: Axes, chart: Chart, lang: Lang, values: FuncFormatter) -> None:
    """One line per series over real dates, with date ticks in the report's format."""
    for index, series in enumerate(chart.series):
        axes.plot(
            chart.dates,
            series.values,
            color=PALETTE[index % len(PALETTE)],
            linewidth=1.6,
            marker="o" if len(chart.dates) <= 40 else None,
            markersize=3,
            label=_short(series.name),
        )
    if len(chart.dates) <= 12:  # few points: a tick on each, never between days
        axes.xaxis.set_major_locator(FixedLocator(mdates.date2num(list(chart.dates))))
    elif chart.monthly:  # every 1, 2, 3, 4, 6 or 12 months, counted from January
        step = next(s for s in (1, 2, 3, 4, 6, 12) if len(chart.dates) / s <= 12)
        axes.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
    else:
        axes.xaxis.set_major_locator(mdates.AutoDateLocator(minticks=3))
    axes.xaxis.set_major_formatter(FuncFormatter(_date_formatter(lang, chart.monthly)))
    axes.yaxis.set_major_formatter(values)
    axes.grid(axis="y", color="#dddddd", linewidth=0.6)
    axes.set_axisbelow(True)
    if chart.value_label:
        axes.set_ylabel(clean(chart.value_label, 60))
    for tick in axes.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")


def _date_formatter(lang: Lang, monthly: bool) -> Callable[[float, int], str]:
    """Tick text: "24/11/2026" or "11/2026" in Spanish, ISO "2026-11-24" / "2026-11" in English."""

    def fmt(value: float, _position: int) -> str:
        day: date = mdates.num2date(value).date()
        if monthly:
            return f"{day.month:02d}/{day.year}" if lang == "es" else f"{day.year}-{day.month:02d}"
        return day.strftime("%d/%m/%Y") if lang == "es" else day.isoformat()

    return fmt
