"""The report of a comparison of two datasets: what moved, where, and by how much.

A reader wants three answers in this order: how many rows appeared, disappeared or changed;
which columns changed most; and how the totals per group moved from A to B. Sample rows
from the comparison's Parquet files close the report, so a finding can be checked by eye.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from ln1.numbers import CURRENCY_SYMBOLS
from ln1.reports import content
from ln1.reports.errors import InvalidSource
from ln1.reports.sources import CompareSource, GroupTotal
from ln1.reports.text import (
    Lang,
    clean,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_percent,
    fmt_signed,
    fmt_value,
    label,
    number,
)

SAMPLE_ROWS = 50
"""Rows shown from each sample file."""

CHART_BARS = 15
TOTALS_ROWS = 200
"""Group rows printed in the totals table (all of them feed its totals row)."""

_SAMPLES = (("only_a", "sample_only_a"), ("only_b", "sample_only_b"), ("changed", "sample_changed"))


def compare_report(
    source: CompareSource, lang: Lang, title: str | None, region: str | None = None
) -> content.Report:
    """The blocks of a comparison report, numbers written the way of ``region``'s readers."""
    _validate(source)
    a_name = clean(str(source["a_name"]), 80)
    b_name = clean(str(source["b_name"]), 80)
    currency = source.get("currency") or None
    totals = [_with_delta(row) for row in source.get("totals") or []]
    by_column = sorted(
        ((str(name), int(count)) for name, count in source["changed_by_column"].items()),
        key=lambda item: (-item[1], item[0]),
    )
    summary = _summary(source, a_name, b_name, by_column, totals, currency, lang, region)
    report = content.Report(
        title=title or label("title_compare", lang, a=a_name, b=b_name), summary=summary
    )
    blocks = report.blocks
    blocks.append(content.Heading(label("summary", lang)))
    blocks.append(content.Paragraph(summary))
    blocks.append(content.Heading(label("result_counts", lang)))
    figures = [
        ("A", a_name),
        ("B", b_name),
        (label("keys", lang), clean(", ".join(str(key) for key in source["keys"]), 200) or "—"),
        (label("only_a", lang), fmt_int(source["only_a"], lang, region)),
        (label("only_b", lang), fmt_int(source["only_b"], lang, region)),
        (label("changed", lang), fmt_int(source["changed"], lang, region)),
    ]
    if source.get("unchanged") is not None:
        unchanged = fmt_int(int(source["unchanged"] or 0), lang, region)
        figures.append((label("unchanged", lang), unchanged))
    blocks.append(
        content.Table(columns=("", ""), rows=tuple(figures), numeric=(False, False), header=False)
    )
    if by_column:
        blocks.append(content.Heading(label("changes_by_column", lang)))
        blocks.append(_by_column_table(by_column, source["changed"], lang, region))
        if any(count for _, count in by_column):
            blocks.append(_by_column_chart(by_column, lang))
    if totals:
        group = clean(str(source.get("group_by") or label("group", lang)), 60)
        blocks.append(content.Heading(label("totals_by", lang, group=group)))
        blocks.append(_totals_table(totals, currency, lang, region))
        blocks.append(_totals_chart(totals, group, a_name, b_name, currency, lang, region))
    samples = source.get("samples") or {}
    sample_blocks: list[content.Block] = []
    for key, heading in _SAMPLES:
        path = samples.get(key)
        if path:
            sample_blocks.append(content.Heading(label(heading, lang), level=2))
            found = int(source.get(key) or 0)  # type: ignore[call-overload]
            sample_blocks.extend(_sample(Path(path), found, lang, region))
    if sample_blocks:
        blocks.append(content.Heading(label("samples", lang)))
        blocks.extend(sample_blocks)
    return report


def _validate(source: CompareSource) -> None:
    if not isinstance(source, dict):
        raise InvalidSource("a compare source must be a dict")
    for key in ("a_name", "b_name", "keys", "only_a", "only_b", "changed", "changed_by_column"):
        if key not in source:
            raise InvalidSource(f"compare source has no {key!r}")
    for key in ("only_a", "only_b", "changed"):
        if not isinstance(source[key], int):  # type: ignore[literal-required]
            raise InvalidSource(f"compare source: {key!r} must be an int")
    if not isinstance(source["changed_by_column"], dict):
        raise InvalidSource("compare source: 'changed_by_column' must be a dict")
    if not isinstance(source["keys"], list | tuple):
        raise InvalidSource("compare source: 'keys' must be a list")
    for row in source.get("totals") or []:
        if not isinstance(row, dict) or "group" not in row:
            raise InvalidSource("compare source: every total needs a 'group'")
    for key, path in (source.get("samples") or {}).items():
        if path and not Path(path).is_file():
            raise InvalidSource(f"compare source: sample {key!r} file {path!r} does not exist")


def _with_delta(row: GroupTotal) -> GroupTotal:
    """A total with its delta (``b - a``) filled in when the source left it out."""
    if row.get("delta") is not None:
        return row
    a, b = number(row.get("a")), number(row.get("b"))
    delta = (b or 0) - (a or 0) if a is not None or b is not None else None
    return {**row, "delta": delta}  # type: ignore[typeddict-item]


def _amount(value: Any, currency: str | None, lang: Lang, region: str | None) -> str:
    if currency:
        return fmt_money(value, currency, lang, region)
    return fmt_number(value, lang, region, 2)


def _summary(
    source: CompareSource,
    a_name: str,
    b_name: str,
    by_column: list[tuple[str, int]],
    totals: list[GroupTotal],
    currency: str | None,
    lang: Lang,
    region: str | None,
) -> str:
    def n(value: int) -> str:
        return fmt_int(value, lang, region)

    def amount(value: Any) -> str:
        return _amount(value, currency, lang, region)

    keys = clean(", ".join(str(key) for key in source["keys"]), 120)
    only_a, only_b, changed = source["only_a"], source["only_b"], source["changed"]
    if lang == "es":
        parts = [f"Se comparó «{a_name}» (A) con «{b_name}» (B)"]
        parts[0] += f" por {keys}: " if keys else ": "
        if only_a == only_b == changed == 0:
            parts[0] += "no hay diferencias entre las filas."
        else:
            parts[0] += (
                f"{n(only_a)} filas solo en A, {n(only_b)} solo en B y {n(changed)} con cambios."
            )
    else:
        parts = [f"Compared “{a_name}” (A) with “{b_name}” (B)"]
        parts[0] += f" on {keys}: " if keys else ": "
        if only_a == only_b == changed == 0:
            parts[0] += "the rows do not differ."
        else:
            parts[0] += (
                f"{n(only_a)} rows only in A, {n(only_b)} only in B and {n(changed)} changed."
            )
    if by_column and by_column[0][1] > 0:
        name, count = clean(by_column[0][0], 60), n(by_column[0][1])
        parts.append(
            f"La columna con más cambios es «{name}» ({count} filas)."
            if lang == "es"
            else f"The column that changed most is “{name}” ({count} rows)."
        )
    if totals:
        total_a = sum((number(row.get("a")) or 0 for row in totals), start=number(0) or 0)
        total_b = sum((number(row.get("b")) or 0 for row in totals), start=number(0) or 0)
        delta = total_b - total_a
        value = clean(str(source.get("value_column") or ""), 40)
        what = (f"de {value} " if value else "") if lang == "es" else (f"{value} " if value else "")
        change = fmt_signed(delta, currency, lang, region)
        share = fmt_percent(delta, total_a, lang, region, signed=True)
        change += f", {share}" if share else ""
        parts.append(
            f"Total {what}en A {amount(total_a)}, en B {amount(total_b)} ({change})."
            if lang == "es"
            else f"Total {what}in A {amount(total_a)}, in B {amount(total_b)} ({change})."
        )
        biggest = max(
            totals, key=lambda row: (abs(number(row.get("delta")) or 0), str(row["group"]))
        )
        if number(biggest.get("delta")):
            group = fmt_value(biggest["group"], lang, region, 60) or label("empty_value", lang)
            moved = fmt_signed(biggest.get("delta"), currency, lang, region)
            parts.append(
                f"La mayor diferencia está en {group} ({moved})."
                if lang == "es"
                else f"The biggest difference is in {group} ({moved})."
            )
    return " ".join(parts)


def _by_column_table(
    by_column: list[tuple[str, int]], changed: int, lang: Lang, region: str | None
) -> content.Table:
    return content.Table(
        columns=(label("column", lang), label("changed_rows", lang), "%"),
        rows=tuple(
            (
                clean(name, 80),
                fmt_int(count, lang, region),
                fmt_percent(count, changed, lang, region),
            )
            for name, count in by_column
        ),
        numeric=(False, True, True),
    )


def _by_column_chart(by_column: list[tuple[str, int]], lang: Lang) -> content.Chart:
    kept = [item for item in by_column if item[1] > 0][:CHART_BARS]
    return content.Chart(
        kind="hbar",
        title=label("changes_by_column", lang),
        labels=tuple(clean(name, 40) for name, _ in kept),
        series=(content.Series(label("changed_rows", lang), tuple(float(c) for _, c in kept)),),
    )


def _totals_table(
    totals: list[GroupTotal], currency: str | None, lang: Lang, region: str | None
) -> content.Table:
    def row(group: str, a: Any, b: Any, delta: Any) -> tuple[str, ...]:
        return (
            group,
            _amount(a, currency, lang, region),
            _amount(b, currency, lang, region),
            fmt_signed(delta, currency, lang, region),
            fmt_percent(delta, a, lang, region, signed=True),
        )

    body = tuple(
        row(
            fmt_value(total["group"], lang, region, 80) or label("empty_value", lang),
            total.get("a"),
            total.get("b"),
            total.get("delta"),
        )
        for total in totals[:TOTALS_ROWS]
    )
    sum_a = sum(number(total.get("a")) or 0 for total in totals)
    sum_b = sum(number(total.get("b")) or 0 for total in totals)
    footer = row(label("total", lang), sum_a, sum_b, sum_b - sum_a) if len(totals) > 1 else None
    return content.Table(
        columns=(label("group", lang), "A", "B", label("delta", lang), label("delta_pct", lang)),
        rows=body,
        numeric=(False, True, True, True, True),
        total_rows=len(totals),
        footer=footer if len(totals) <= TOTALS_ROWS else None,
    )


def _totals_chart(
    totals: list[GroupTotal],
    group: str,
    a_name: str,
    b_name: str,
    currency: str | None,
    lang: Lang,
    region: str | None,
) -> content.Chart:
    """A next to B for the biggest groups."""
    ranked = sorted(
        totals,
        key=lambda row: (
            -max(abs(number(row.get("a")) or 0), abs(number(row.get("b")) or 0)),
            str(row["group"]),
        ),
    )[:CHART_BARS]
    title = label("totals_by", lang, group=group)
    if len(totals) > CHART_BARS:
        total = fmt_int(len(totals), lang, region)
        title += f" ({label('top_of', lang, shown=CHART_BARS, total=total)})"
    return content.Chart(
        kind="hbar",
        title=title,
        labels=tuple(
            fmt_value(row["group"], lang, region, 40) or label("empty_value", lang)
            for row in ranked
        ),
        series=(
            content.Series(f"A: {a_name}", tuple(float(number(r.get("a")) or 0) for r in ranked)),
            content.Series(f"B: {b_name}", tuple(float(number(r.get("b")) or 0) for r in ranked)),
        ),
        value_label=(currency or "") if lang == "en" else _symbol(currency),
    )


def _symbol(currency: str | None) -> str:
    return CURRENCY_SYMBOLS.get(currency or "", currency or "")


def _sample(path: Path, count: int, lang: Lang, region: str | None) -> list[content.Block]:
    """The first rows of a sample file; ``count`` is how many such rows the comparison found."""
    frame = pl.scan_parquet(path).head(SAMPLE_ROWS).collect()
    if frame.height == 0:
        return [content.Paragraph(label("no_data", lang))]
    numeric = tuple(dtype.is_numeric() for dtype in frame.dtypes)
    rows = tuple(
        tuple(fmt_value(value, lang, region) for value in row) for row in frame.iter_rows()
    )
    return [
        content.Table(
            columns=tuple(frame.columns),
            rows=rows,
            numeric=numeric,
            total_rows=max(count, frame.height),
        )
    ]
