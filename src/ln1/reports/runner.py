"""The report of a data query answered by a Local Runner: summary, figures, chart and rows.

The summary is the chat's own (:func:`ln1.runners.summary.summarize`), so the PDF and the
answer in the thread say the same thing in the same words. A time series (first column a
day or a month) is drawn as lines; anything grouped by a label as horizontal bars.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from ln1.numbers import CURRENCY_SYMBOLS
from ln1.orchestrator.replies import describe_period
from ln1.reports import content
from ln1.reports.errors import InvalidSource
from ln1.reports.sources import RunnerSource
from ln1.reports.text import (
    Lang,
    clean,
    fmt_int,
    fmt_number,
    fmt_value,
    fold,
    label,
    number,
    parse_day,
    parse_month,
)
from ln1.runners.matching import description_in
from ln1.runners.summary import summarize

ROW_CAP = 1000
"""Rows printed in the data table (about 25 pages); the note says how many more there were."""

CHART_BARS = 20
CHART_LINES = 5
# The chat's words for additive columns (ln1.runners.summary), so both agree on what is money.
_MONEY_TEXT = """ventas venta monto montos importe importes total totales amount amounts revenue
sales facturacion ingresos ingreso subtotal valor value soles"""
_MONEY_WORDS = frozenset(_MONEY_TEXT.split())
_UNIT_TEXT = "unidades unidad units unit quantity cantidad qty piezas"
_UNIT_WORDS = frozenset(_UNIT_TEXT.split())


def runner_report(
    source: RunnerSource, lang: Lang, title: str | None, region: str | None = None
) -> content.Report:
    """The blocks of a runner report; an empty result gives a short report that says so.

    ``region`` is the company's country, as in the chat's summary, so both write a number
    the same way.
    """
    columns, rows = _validated(source)
    total = source.get("total_rows") or len(rows)
    currency = source.get("currency") or "PEN"
    period = source.get("period") or None
    description = str(source.get("description") or "")
    question = str(source.get("question") or "")
    head = _head(description, lang) or clean(question, 80)
    summary = summarize(
        columns,
        rows,
        total_rows=total,
        truncated=False,
        period=dict(period) if period else None,
        query_description=description,
        lang=lang,
        currency=currency,
        region=region,
    )
    report = content.Report(
        title=title or label("title_runner", lang, name=head or label("data", lang)),
        summary=summary,
    )
    blocks = report.blocks
    blocks.append(content.Heading(label("summary", lang)))
    blocks.append(content.Paragraph(summary))
    figures = []
    if question:
        figures.append((label("question", lang), clean(question)))
    if description:
        figures.append((label("query", lang), clean(description_in(description, lang))))
    if period and period.get("start") and period.get("end"):
        figures.append((label("period", lang), describe_period(dict(period), lang)))
    figures.append((label("rows", lang), fmt_int(total, lang, region)))
    blocks.append(_figures(figures))
    if not rows or total == 0:
        blocks.append(content.Paragraph(label("no_data", lang)))
        return report
    kinds = _column_kinds(columns, rows)
    chart = _chart(columns, rows, kinds, head or label("data", lang), currency, lang, region)
    if chart is not None:
        blocks.append(content.Heading(label("charts", lang)))
        blocks.append(chart)
    blocks.append(content.Heading(label("data", lang)))
    blocks.append(_data_table(columns, rows, kinds, total, currency, lang, region))
    return report


def _validated(source: RunnerSource) -> tuple[list[str], list[Sequence[Any]]]:
    if not isinstance(source, dict):
        raise InvalidSource("a runner source must be a dict")
    columns = source.get("columns")
    rows = source.get("rows")
    if not isinstance(columns, list | tuple):
        raise InvalidSource("runner source: 'columns' must be a list of names")
    if not isinstance(rows, list | tuple):
        raise InvalidSource("runner source: 'rows' must be a list of rows")
    width = len(columns)
    for index, row in enumerate(rows):
        if not isinstance(row, list | tuple) or len(row) != width:
            raise InvalidSource(f"runner source: row {index} does not have {width} cells")
    return [str(name) for name in columns], list(rows)


def _head(description: str, lang: Lang) -> str:
    """The query's name from its description: "Ventas por región"."""
    text = description_in(description, lang).strip()
    head = text.split(". ", 1)[0].split(": ", 1)[0].strip()
    return clean(head, 80)


def _figures(pairs: list[tuple[str, str]]) -> content.Table:
    return content.Table(
        columns=("", ""),
        rows=tuple((name, value) for name, value in pairs),
        numeric=(False, False),
        header=False,
    )


def _column_kinds(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    """ "money", "units", "number" or "other" per column (money and units are additive)."""
    kinds = []
    for index, name in enumerate(columns):
        values = [row[index] for row in rows if row[index] is not None]
        if not values or any(number(value) is None for value in values):
            kinds.append("other")
            continue
        words = set(fold(name).replace("_", " ").split())
        kinds.append(
            "money" if words & _MONEY_WORDS else "units" if words & _UNIT_WORDS else "number"
        )
    return kinds


def _data_table(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    kinds: Sequence[str],
    total: int,
    currency: str,
    lang: Lang,
    region: str | None,
) -> content.Table:
    """The rows as printed: money with two decimals under "ventas (S/)", a totals row."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency) if lang == "es" else currency
    headers = tuple(
        f"{name} ({symbol})" if kind == "money" else name
        for name, kind in zip(columns, kinds, strict=True)
    )
    shown = rows[:ROW_CAP]
    body = tuple(
        tuple(_cell(value, kind, lang, region) for value, kind in zip(row, kinds, strict=True))
        for row in shown
    )
    footer = None
    if len(rows) > 1 and len(shown) == total and any(k in ("money", "units") for k in kinds):
        cells = [
            fmt_number(_sum(rows, index), lang, region, 2 if kind == "money" else None)
            if kind in ("money", "units")
            else ""
            for index, kind in enumerate(kinds)
        ]
        first_text = next((i for i, kind in enumerate(kinds) if kind not in ("money", "units")), 0)
        cells[first_text] = label("total", lang)
        footer = tuple(cells)
    return content.Table(
        columns=headers,
        rows=body,
        numeric=tuple(kind != "other" for kind in kinds),
        total_rows=total,
        footer=footer,
    )


def _cell(value: Any, kind: str, lang: Lang, region: str | None) -> str:
    if kind == "money":
        return fmt_number(value, lang, region, 2)
    return fmt_value(value, lang, region)


def _sum(rows: Sequence[Sequence[Any]], index: int) -> Decimal:
    total = Decimal(0)
    for row in rows:
        amount = number(row[index])
        if amount is not None:
            total += amount
    return total


def _chart(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    kinds: Sequence[str],
    head: str,
    currency: str,
    lang: Lang,
    region: str | None,
) -> content.Chart | None:
    """Lines for a series over days or months, bars for a grouped result, else nothing."""
    if len(rows) < 2:
        return None
    value = next((i for i, k in enumerate(kinds) if k == "money"), None)
    value = (
        value if value is not None else next((i for i, k in enumerate(kinds) if k != "other"), None)
    )
    labels = [i for i, kind in enumerate(kinds) if kind == "other"]
    if value is None or not labels:
        return None
    value_label = currency if kinds[value] == "money" else ""
    if kinds[value] == "money" and lang == "es":
        value_label = CURRENCY_SYMBOLS.get(currency, currency)
    first = labels[0]
    when = [_when(row[first]) for row in rows]
    if all(item is not None for item in when):
        split = labels[1] if len(labels) > 1 else None
        monthly = all(parse_month(row[first]) is not None for row in rows)
        return _line_chart(rows, when, value, split, head, columns[value], value_label, monthly)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        amount = number(row[value])
        name = fmt_value(row[first], lang, region, 60) or label("empty_value", lang)
        totals[name] += amount if amount is not None else Decimal(0)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))
    kept = ranked[:CHART_BARS]
    title = head
    if len(ranked) > CHART_BARS:
        total = fmt_int(len(ranked), lang, region)
        title += f" ({label('top_of', lang, shown=CHART_BARS, total=total)})"
    return content.Chart(
        kind="hbar",
        title=title,
        labels=tuple(name for name, _ in kept),
        series=(content.Series(columns[value], tuple(float(v) for _, v in kept)),),
        value_label=value_label,
    )


def _when(value: Any) -> date | None:
    return parse_month(value) or parse_day(value)


def _line_chart(
    rows: Sequence[Sequence[Any]],
    when: Sequence[date | None],
    value: int,
    split: int | None,
    head: str,
    value_name: str,
    value_label: str,
    monthly: bool,
) -> content.Chart:
    """One line, or one per value of the second label column (the biggest few)."""
    sums: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row, day in zip(rows, when, strict=True):
        assert day is not None
        name = value_name if split is None else clean(str(row[split] or "—"), 40)
        sums[name][day] += number(row[value]) or Decimal(0)
    ranked = sorted(sums, key=lambda name: (-sum(sums[name].values()), name))[:CHART_LINES]
    days = sorted({day for name in ranked for day in sums[name]})
    series = tuple(
        content.Series(name, tuple(float(sums[name].get(day, Decimal(0))) for day in days))
        for name in ranked
    )
    return content.Chart(
        kind="line",
        title=head,
        series=series,
        dates=tuple(days),
        monthly=monthly,
        value_label=value_label,
    )
