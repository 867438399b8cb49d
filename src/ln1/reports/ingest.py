"""The report of an ingested file: per sheet its profile, top values and two charts.

The profile says what is in each column; the charts say what the data is about. They are
read from the sheet's Parquet with polars (lazily, so a million-row sheet costs one
group-by): the biggest additive numeric column summed by the most useful low-cardinality
text column ("ventas por región"), and by month — or by day for a short span — when the
sheet has a date column.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import polars as pl

from ln1.reports import content
from ln1.reports.errors import InvalidSource
from ln1.reports.sources import ColumnProfile, IngestSource, SheetProfile
from ln1.reports.text import (
    Lang,
    clean,
    fmt_int,
    fmt_number,
    fmt_percent,
    fmt_value,
    fold,
    label,
    type_kind,
    type_label,
)

TOP_VALUES = 5
"""Most frequent values listed per text column."""

CHART_BARS = 15
GROUP_MAX_DISTINCT = 50
"""A text column with more distinct values than this is an identifier, not a grouping."""

DAILY_SPAN_DAYS = 62
"""Up to about two months a date chart is daily; longer spans are summed by month."""

_PREFERRED_TEXT = """ventas venta monto importe total amount revenue sales facturacion ingresos
subtotal valor value soles precio price unidades units cantidad quantity"""
_PREFERRED_WORDS = frozenset(_PREFERRED_TEXT.split())
_IDENTIFIER_TEXT = """id codigo code cod ruc dni telefono phone celular zip postal year ano anio
mes month dia day numero nro num sku ean"""
_IDENTIFIER_WORDS = frozenset(_IDENTIFIER_TEXT.split())


def ingest_report(
    source: IngestSource,
    lang: Lang,
    title: str | None,
    progress: Callable[[str, float], None],
    region: str | None = None,
) -> content.Report:
    """The blocks of an ingest report; ``progress`` hears "reading" per sheet (0 → 0.3).

    ``region`` is the company's country: numbers are written its way (:mod:`ln1.numbers`).
    """
    sheets = _validated(source)
    filename = clean(str(source.get("filename") or ""), 120) or "—"
    summary = _summary(filename, sheets, lang, region)
    report = content.Report(
        title=title or label("title_ingest", lang, name=filename), summary=summary
    )
    blocks = report.blocks
    blocks.append(content.Heading(label("summary", lang)))
    blocks.append(content.Paragraph(summary))
    if not sheets:
        blocks.append(content.Paragraph(label("no_data", lang)))
        return report
    if len(sheets) > 1:
        blocks.append(content.Heading(label("sheets_overview", lang)))
        blocks.append(
            content.Table(
                columns=(
                    label("sheet_name", lang),
                    label("rows", lang),
                    label("columns", lang),
                    label("duplicates", lang),
                ),
                rows=tuple(
                    (
                        clean(str(sheet["name"]), 80),
                        fmt_int(sheet["rows"], lang, region),
                        fmt_int(len(sheet["columns"]), lang, region),
                        fmt_int(sheet.get("duplicates") or 0, lang, region),
                    )
                    for sheet in sheets
                ),
                numeric=(False, True, True, True),
            )
        )
    for index, sheet in enumerate(sheets):
        progress("reading", 0.3 * index / len(sheets))
        blocks.extend(_sheet_blocks(sheet, lang, region))
    return report


def _validated(source: IngestSource) -> list[SheetProfile]:
    if not isinstance(source, dict):
        raise InvalidSource("an ingest source must be a dict")
    sheets = source.get("sheets")
    if not isinstance(sheets, list):
        raise InvalidSource("ingest source: 'sheets' must be a list")
    for number, sheet in enumerate(sheets):
        where = f"ingest source: sheet {number}"
        if not isinstance(sheet, dict):
            raise InvalidSource(f"{where} must be a dict")
        for key in ("name", "rows", "columns"):
            if key not in sheet:
                raise InvalidSource(f"{where} has no {key!r}")
        if not isinstance(sheet["rows"], int) or not isinstance(sheet["columns"], list):
            raise InvalidSource(f"{where}: 'rows' must be an int and 'columns' a list")
        for column in sheet["columns"]:
            if not isinstance(column, dict) or "name" not in column:
                raise InvalidSource(f"{where}: every column needs a 'name'")
        path = sheet.get("parquet_path")
        if path and not Path(path).is_file():
            raise InvalidSource(f"{where}: parquet file {path!r} does not exist")
    return sheets


def _summary(filename: str, sheets: Sequence[SheetProfile], lang: Lang, region: str | None) -> str:
    """ "«ventas.xlsx»: 2 hojas, 12,345 filas en total. Hoja «Ventas»: …"."""
    total = sum(sheet["rows"] for sheet in sheets)
    count = len(sheets)
    sheets_text, rows_text = fmt_int(count, lang, region), fmt_int(total, lang, region)
    if lang == "es":
        parts = [
            f"«{filename}»: {sheets_text} {'hoja' if count == 1 else 'hojas'}, "
            f"{rows_text} {'fila' if total == 1 else 'filas'} en total."
        ]
    else:
        parts = [
            f"“{filename}”: {sheets_text} {'sheet' if count == 1 else 'sheets'}, "
            f"{rows_text} {'row' if total == 1 else 'rows'} in all."
        ]
    for sheet in sheets[:5]:
        parts.append(_sheet_sentence(sheet, lang, region))
    if count > 5:
        more = count - 5
        parts.append(f"Y {more} hojas más." if lang == "es" else f"And {more} more sheets.")
    return " ".join(parts)


def _sheet_sentence(sheet: SheetProfile, lang: Lang, region: str | None) -> str:
    def n(value: int) -> str:
        return fmt_int(value, lang, region)

    name = clean(str(sheet["name"]), 60)
    rows, columns = sheet["rows"], len(sheet["columns"])
    duplicates = sheet.get("duplicates") or 0
    with_nulls = sum(1 for column in sheet["columns"] if (column.get("nulls") or 0) > 0)
    if lang == "es":
        text = f"Hoja «{name}»: {n(rows)} filas y {n(columns)} columnas"
        if duplicates:
            text += f"; {n(duplicates)} filas duplicadas"
        if with_nulls:
            text += f"; {n(with_nulls)} columnas con valores vacíos"
        return text + "."
    text = f"Sheet “{name}”: {n(rows)} rows and {n(columns)} columns"
    if duplicates:
        text += f"; {n(duplicates)} duplicate rows"
    if with_nulls:
        text += f"; {n(with_nulls)} columns with empty values"
    return text + "."


def _sheet_blocks(sheet: SheetProfile, lang: Lang, region: str | None) -> list[content.Block]:
    name = clean(str(sheet["name"]), 80)
    rows = sheet["rows"]
    columns = sheet["columns"]
    blocks: list[content.Block] = [content.Heading(label("sheet", lang, name=name))]
    blocks.append(
        content.Table(
            columns=("", ""),
            rows=(
                (label("rows", lang), fmt_int(rows, lang, region)),
                (label("columns", lang), fmt_int(len(columns), lang, region)),
                (label("duplicates", lang), fmt_int(sheet.get("duplicates") or 0, lang, region)),
            ),
            numeric=(False, True),
            header=False,
        )
    )
    if rows == 0 or not columns:
        blocks.append(content.Paragraph(label("no_data", lang)))
        return blocks
    blocks.append(content.Heading(label("columns", lang), level=2))
    blocks.append(_columns_table(columns, rows, lang, region))
    top = _top_values_table(columns, rows, lang, region)
    if top is not None:
        blocks.append(content.Heading(label("top_values", lang), level=2))
        blocks.append(top)
    path = sheet.get("parquet_path")
    charts = _charts(Path(path), lang, region) if path else []
    if charts:
        blocks.append(content.Heading(label("charts", lang), level=2))
        blocks.extend(charts)
    return blocks


def _columns_table(
    columns: Sequence[ColumnProfile], rows: int, lang: Lang, region: str | None
) -> content.Table:
    """Name, type, nulls (with their share) and the numeric summary of every column."""
    body = []
    for column in columns:
        kind = type_kind(str(column.get("type") or ""))
        nulls = column.get("nulls") or 0
        share = fmt_percent(nulls, rows, lang, region)
        numeric = kind in ("integer", "float")
        null_count = fmt_int(nulls, lang, region)
        body.append(
            (
                clean(str(column["name"]), 80),
                type_label(str(column.get("type") or "—"), lang),
                f"{null_count} ({share})" if nulls and share else null_count,
                fmt_value(column.get("min"), lang, region, 40),
                fmt_value(column.get("max"), lang, region, 40),
                fmt_number(column.get("mean"), lang, region, 2) if numeric else "",
                fmt_number(column.get("sum"), lang, region) if numeric else "",
            )
        )
    return content.Table(
        columns=(
            label("column", lang),
            label("type", lang),
            label("nulls", lang),
            label("min", lang),
            label("max", lang),
            label("mean", lang),
            label("sum", lang),
        ),
        rows=tuple(body),
        numeric=(False, False, True, True, True, True, True),
    )


def _top_values_table(
    columns: Sequence[ColumnProfile], rows: int, lang: Lang, region: str | None
) -> content.Table | None:
    """The most frequent values of the text columns, with their count and share."""
    body = []
    for column in columns:
        kind = type_kind(str(column.get("type") or ""))
        top = column.get("top") or []
        if kind not in ("text", "boolean", None) or not top:
            continue
        for position, pair in enumerate(top[:TOP_VALUES]):
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            value, count = pair
            body.append(
                (
                    clean(str(column["name"]), 80) if position == 0 else "",
                    fmt_value(value, lang, region, 80) or label("empty_value", lang),
                    fmt_number(count, lang, region),
                    fmt_percent(count, rows, lang, region),
                )
            )
    if not body:
        return None
    return content.Table(
        columns=(label("column", lang), label("value", lang), label("count", lang), "%"),
        rows=tuple(body),
        numeric=(False, False, True, True),
    )


# ------------------------------------------------------------------------------------ charts


def _charts(path: Path, lang: Lang, region: str | None) -> list[content.Block]:
    """Up to two charts of the sheet's data; none when nothing suits a chart."""
    frame = pl.scan_parquet(path)
    schema = frame.collect_schema()
    numeric = [name for name, dtype in schema.items() if dtype.is_numeric()]
    texts = [name for name, dtype in schema.items() if dtype in (pl.String, pl.Categorical)]
    dates = [name for name, dtype in schema.items() if dtype.is_temporal() and dtype != pl.Time]
    candidates = [name for name in numeric if not _is_identifier(name)]
    if not candidates:
        return []
    stats = (
        frame.select(
            *[pl.col(name).cast(pl.Float64).abs().sum().alias(f"s:{name}") for name in candidates],
            *[pl.col(name).n_unique().alias(f"u:{name}") for name in texts],
            *[pl.col(name).null_count().alias(f"n:{name}") for name in texts],
            pl.len().alias("rows"),
        )
        .collect()
        .row(0, named=True)
    )
    value = min(
        candidates,
        key=lambda name: (
            not (set(_words(name)) & _PREFERRED_WORDS),
            -(stats[f"s:{name}"] or 0),
            name,
        ),
    )
    if not stats[f"s:{value}"]:
        return []
    charts: list[content.Block] = []
    group = _best_group(texts, stats)
    if group is not None:
        charts.append(_group_chart(frame, value, group, lang, region))
    if dates:
        chart = _date_chart(frame, value, dates[0], lang)
        if chart is not None:
            charts.append(chart)
    return charts


def _words(name: str) -> list[str]:
    return fold(name).replace("_", " ").replace("-", " ").split()


def _is_identifier(name: str) -> bool:
    """Codes, phone numbers and years are numbers whose sum means nothing."""
    words = _words(name)
    return bool(set(words) & _IDENTIFIER_WORDS) or (bool(words) and words[0].startswith("id"))


def _best_group(texts: Sequence[str], stats: dict[str, Any]) -> str | None:
    """The text column to group by: mostly filled, with a handful of distinct values.

    About ten groups reads best; a column with a single value says nothing and one with
    hundreds is an identifier.
    """
    rows = stats["rows"] or 1
    usable = [name for name in texts if 2 <= (stats[f"u:{name}"] or 0) <= GROUP_MAX_DISTINCT]
    if not usable:
        return None
    return min(
        usable,
        key=lambda name: (
            stats[f"n:{name}"] / rows > 0.2,
            abs(stats[f"u:{name}"] - 10),
            texts.index(name),
        ),
    )


def _group_chart(
    frame: pl.LazyFrame, value: str, group: str, lang: Lang, region: str | None
) -> content.Chart:
    totals = (
        frame.group_by(pl.col(group).cast(pl.String))
        .agg(pl.col(value).cast(pl.Float64).sum())
        .collect()
        .sort([value, group], descending=[True, False], nulls_last=True)
    )
    shown = totals.head(CHART_BARS)
    title = label("by", lang, value=clean(value, 40), group=clean(group, 40))
    if totals.height > CHART_BARS:
        total = fmt_int(totals.height, lang, region)
        title += f" ({label('top_of', lang, shown=CHART_BARS, total=total)})"
    return content.Chart(
        kind="hbar",
        title=title,
        labels=tuple(
            fmt_value(name, lang, region, 40) if name is not None else label("empty_value", lang)
            for name in shown[group].to_list()
        ),
        series=(content.Series(value, tuple(v or 0.0 for v in shown[value].to_list())),),
    )


def _date_chart(frame: pl.LazyFrame, value: str, when: str, lang: Lang) -> content.Chart | None:
    """The value summed per day, or per month when the dates span more than two months."""
    day = pl.col(when).cast(pl.Date)
    span = frame.select(day.min().alias("first"), day.max().alias("last")).collect().row(0)
    if span[0] is None or span[1] is None or span[0] == span[1]:
        return None
    monthly = (span[1] - span[0]).days > DAILY_SPAN_DAYS
    bucket = day.dt.truncate("1mo") if monthly else day
    series = (
        frame.filter(pl.col(when).is_not_null())
        .group_by(bucket.alias("bucket"))
        .agg(pl.col(value).cast(pl.Float64).sum())
        .collect()
        .sort("bucket")
    )
    key = "by_month" if monthly else "by_day"
    return content.Chart(
        kind="line",
        title=label(key, lang, value=clean(value, 40)),
        series=(content.Series(value, tuple(v or 0.0 for v in series[value].to_list())),),
        dates=tuple(series["bucket"].to_list()),
        monthly=monthly,
    )
