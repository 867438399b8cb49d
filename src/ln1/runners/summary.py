"""Turn a runner's result into the chat answer: a short summary, the rows, and a CSV file.

The summary is what the user reads first, so it must be short and honest: which question was
answered and over which concrete dates, how many rows came back, the totals of the additive
columns (money, units), who leads when the rows are a ranking, and plainly when what is shown
is not everything.

Numbers are written as the company's readers write them (:mod:`ln1.numbers`, the one
convention every answer follows): a Spanish answer for a company in Peru or Mexico says
"S/ 12,345.67", one in Spain or Chile "S/ 12.345,67"; English always says "PEN 12,345.67".
Totals are summed as ``Decimal`` (floats through their shortest repr), so 0.1 + 0.2 is 0.30,
not 0.30000000000000004.
"""

from __future__ import annotations

import csv
import math
import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from ln1.numbers import format_fixed, format_money, format_number
from ln1.orchestrator.intent.text import normalize
from ln1.orchestrator.replies import FILTERS, Lang, describe_period, format_date
from ln1.runners.matching import DEFAULT_PERIOD_DAYS, DEFAULT_PERIOD_LABEL, description_in

DATA_ROW_CAP = 200
"""Rows carried in a chat answer's ``data``; a larger result goes to a CSV artifact."""

_MONEY_TEXT = """ventas venta monto montos importe importes total totales amount amounts revenue
sales facturacion ingresos ingreso subtotal valor value soles"""
_MONEY_WORDS = frozenset(_MONEY_TEXT.split())
_UNIT_TEXT = "unidades unidad units unit quantity cantidad qty piezas"
_UNIT_WORDS = frozenset(_UNIT_TEXT.split())
# Spanish column names said in an English answer (the data keeps the runner's names).
_ENGLISH_NAMES = {
    "ventas": "sales",
    "unidades": "units",
    "monto": "amount",
    "importe": "amount",
    "cantidad": "quantity",
    "facturacion": "revenue",
    "ingresos": "revenue",
    "facturas": "invoices",
    "clientes": "customers",
}
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MONTH = re.compile(r"(\d{4})-(\d{2})")
_CSV_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_FLOAT_DIGITS = 15  # a decimal with at most this many significant digits survives a float


def summarize(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    total_rows: int,
    truncated: bool,
    period: dict[str, Any] | None,
    query_description: str,
    lang: str,
    currency: str = "PEN",
    shown: int | None = None,
    runner_capped: bool = False,
    filters: dict[str, str] | None = None,
    region: str | None = None,
) -> str:
    """A few sentences in ``lang`` ("es" or "en") describing a query result.

    ``rows`` should be every row received: totals and the leader are computed over them (when
    fewer than ``total_rows`` are given, the summary says the totals cover only those).
    ``truncated`` means the chat shows only the first ``shown`` rows (default: as many as
    :data:`DATA_ROW_CAP` allows) and the full result is in the CSV; ``runner_capped`` means
    the runner stopped at its own row limit, so even the CSV may be incomplete. ``filters``
    (``Pick.filters_used``) are echoed so the user sees the answer is about one customer.
    ``region`` is the company's country (:func:`ln1.numbers.company_region`): it decides
    how a Spanish answer writes its numbers.

    Sums are labelled as the sum of the rows, never as "the total": a top-10 ranking's sum is
    not the company's total.
    """
    language: Lang = "es" if lang == "es" else "en"

    def count(value: int) -> str:
        return format_number(Decimal(value), language, region)

    head = _head(query_description, language) + _filters_text(filters, language)
    when = _period_text(period, language)
    if total_rows == 0 or not rows:
        if language == "es":
            return f"No hubo datos para «{head}»{when}."
        return f"No data for “{head}”{when}."
    sentences = [_count_sentence(head, when, total_rows, language, region)]
    money, units = _additive_columns(columns, rows)
    totals = _totals_sentence(columns, rows, money, units, currency, language, region)
    if totals:
        sentences.append(totals)
    leader = _leader_sentence(
        columns, rows, money, currency, language, region, exact=not runner_capped
    )
    if leader:
        sentences.append(leader)
    if len(rows) < total_rows:
        sentences.append(
            f"Los totales cubren solo las primeras {count(len(rows))} filas."
            if language == "es"
            else f"The totals cover only the first {count(len(rows))} rows."
        )
    if truncated:
        first = count(shown if shown is not None else min(len(rows), DATA_ROW_CAP))
        sentences.append(
            f"Muestro las primeras {first} de {count(total_rows)} filas; el resultado completo "
            "está en el CSV adjunto."
            if language == "es"
            else f"Showing the first {first} of {count(total_rows)} rows; the full result is "
            "in the attached CSV."
        )
    if runner_capped:
        sentences.append(
            f"El resultado llegó al límite de {count(total_rows)} filas del runner, así que "
            "puede estar incompleto: acota el periodo o agrega un filtro."
            if language == "es"
            else f"The result reached the runner's limit of {count(total_rows)} rows, so it may "
            "be incomplete: narrow the period or add a filter."
        )
    return " ".join(sentences)


def rows_for_data(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    cap: int = DATA_ROW_CAP,
    *,
    total_rows: int | None = None,
) -> dict[str, Any]:
    """The ``data`` of a chat answer: columns and at most ``cap`` JSON-safe rows.

    Values become JSON: dates and times as ISO text; ``Decimal`` as a number when it has at
    most 15 significant digits (every amount to the cent below a trillion, so clients can
    chart it) and as exact text beyond that, rather than silently losing digits; NaN and
    infinities as null; bytes as hex. ``total_rows`` defaults to ``len(rows)``.
    """
    count = len(rows) if total_rows is None else total_rows
    kept = [[json_safe(value) for value in row] for row in rows[: max(cap, 0)]]
    return {
        "columns": list(columns),
        "rows": kept,
        "total_rows": count,
        "truncated": count > len(kept),
    }


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write a result as CSV and return how many rows were written.

    UTF-8 with a byte-order mark, so Excel shows "Junín" and "S/" right when the file is
    double-clicked. Decimals are written exactly, dates as ISO. Text starting with ``=``,
    ``+``, ``-`` or ``@`` gets a leading apostrophe: database text must not become an Excel
    formula on the user's machine (CSV injection).
    """
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(list(columns))
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
            count += 1
    return count


def json_safe(value: Any) -> Any:
    """One cell as a JSON value (see :func:`rows_for_data`)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        if not value.is_finite():
            return None
        return float(value) if len(value.as_tuple().digits) <= _FLOAT_DIGITS else str(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


# ---------------------------------------------------------------------------------- sentences


def _head(description: str, lang: Lang) -> str:
    """What was asked, from the query's description: "Ventas por región"."""
    text = description_in(description, lang)
    head = re.split(r"[:.]\s", text + " ", maxsplit=1)[0].strip()
    if not head:
        return "la consulta" if lang == "es" else "the query"
    return head if len(head) <= 80 else head[:77].rstrip() + "…"


def _filters_text(filters: dict[str, str] | None, lang: Lang) -> str:
    """ " (cliente «Bodega Don Pepe»)" / " (customer “Bodega Don Pepe”)"."""
    if not filters:
        return ""
    parts = []
    for key, value in filters.items():
        label = FILTERS.get(key, {"es": key, "en": key})[lang]
        parts.append(f"{label} «{value}»" if lang == "es" else f"{label} “{value}”")
    return f" ({', '.join(parts)})"


def _period_text(period: dict[str, Any] | None, lang: Lang) -> str:
    """ " del 01/10/2026 al 31/10/2026", saying so when the period was a default."""
    if not period or not period.get("start") or not period.get("end"):
        return ""
    text = " " + describe_period(period, lang)
    if period.get("label") == DEFAULT_PERIOD_LABEL:
        days = DEFAULT_PERIOD_DAYS
        text += (
            f" (no indicaste un periodo, así que usé los últimos {days} días)"
            if lang == "es"
            else f" (no period was given, so I used the last {days} days)"
        )
    return text


def _count_sentence(head: str, when: str, total_rows: int, lang: Lang, region: str | None) -> str:
    rows = format_number(Decimal(total_rows), lang, region)
    if lang == "es":
        return f"{head}{when}: {rows} {'fila' if total_rows == 1 else 'filas'}."
    return f"{head}{when}: {rows} {'row' if total_rows == 1 else 'rows'}."


def _totals_sentence(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    money: list[int],
    units: list[int],
    currency: str,
    lang: Lang,
    region: str | None,
) -> str:
    """ "Total: ventas S/ 476,526.70; unidades 12,345." over the given rows."""
    parts = []
    for index in money:
        name = _column_name(columns[index], lang)
        parts.append(f"{name} {format_money(_sum(rows, index), currency, lang, region)}")
    for index in units:
        units_sum = format_number(_sum(rows, index), lang, region)
        parts.append(f"{_column_name(columns[index], lang)} {units_sum}")
    if not parts:
        return ""
    if len(rows) == 1:  # one row: its counts (invoices, customers) are totals too
        for index in range(len(columns)):
            if index not in money and index not in units and _is_numeric_column(rows, index):
                value = format_number(exact_number(rows[0][index]) or Decimal(0), lang, region)
                parts.append(f"{_column_name(columns[index], lang)} {value}")
        return f"Total: {'; '.join(parts)}."
    count = format_number(Decimal(len(rows)), lang, region)
    if lang == "es":
        return f"Suma de las {count} filas: {'; '.join(parts)}."
    return f"Sum of the {count} rows: {'; '.join(parts)}."


def _leader_sentence(
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    money: list[int],
    currency: str,
    lang: Lang,
    region: str | None,
    *,
    exact: bool,
) -> str:
    """Who leads a ranking ("Lima lidera con …"), or the best day of a daily series."""
    if len(rows) < 2 or not money or not columns:
        return ""
    label_index = next((i for i in range(len(columns)) if not _is_numeric_column(rows, i)), None)
    if label_index is None:
        return ""
    index = money[0]
    best = max(rows, key=lambda row: exact_number(row[index]) or Decimal(0))
    amount = format_money(exact_number(best[index]) or Decimal(0), currency, lang, region)
    label = best[label_index]
    day = _as_day(label)
    if day is not None:
        shown_day = format_date(day, lang)
        return (
            f"El día con más {columns[index]} fue el {shown_day} ({amount})."
            if lang == "es"
            else f"The best day was {shown_day} ({amount})."
        )
    month = _ISO_MONTH.fullmatch(label) if isinstance(label, str) else None
    if month is not None:
        return (
            f"El mes con más {columns[index]} fue {month[2]}/{month[1]} ({amount})."
            if lang == "es"
            else f"The best month was {label} ({amount})."
        )
    share = ""
    total = _sum(rows, index)
    if exact and total > 0:
        part = exact_number(best[index]) or Decimal(0)
        share = f" ({_percent(part, total, lang, region)} de la suma)"
        if lang == "en":
            share = share.replace("de la suma", "of the sum")
    if lang == "es":
        return f"{label} lidera con {amount}{share}."
    return f"{label} leads with {amount}{share}."


# ------------------------------------------------------------------------------------ numbers


def _percent(part: Decimal, total: Decimal, lang: Lang, region: str | None) -> str:
    """ "7.5%" below ten percent, "74%" from there ("7,5%" where the comma is decimal)."""
    share = part * 100 / total
    return f"{format_fixed(share, 1 if share < 10 else 0, lang, region)}%"


def exact_number(value: Any) -> Decimal | None:
    """A cell as an exact Decimal; None for anything that is not a finite number.

    Floats go through their shortest repr so 0.1 stays 0.1. Reports use it too, so the chat
    and the PDF add up the same way.
    """
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return None


def _sum(rows: Sequence[Sequence[Any]], index: int) -> Decimal:
    total = Decimal(0)
    for row in rows:
        number = exact_number(row[index])
        if number is not None:
            total += number
    return total


def _is_numeric_column(rows: Sequence[Sequence[Any]], index: int) -> bool:
    """Every non-empty cell is a number (and there is at least one)."""
    seen = False
    for row in rows:
        value = row[index]
        if value is None:
            continue
        if exact_number(value) is None:
            return False
        seen = True
    return seen


def _additive_columns(
    columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> tuple[list[int], list[int]]:
    """Indexes of money columns and of unit columns: the ones whose sum means something.

    Counts such as invoices or customers are left out: an invoice with two products counts
    once in each product's row, so their sum would overstate.
    """
    money, units = [], []
    for index, name in enumerate(columns):
        words = set(normalize(str(name)).replace("_", " ").split())
        if not _is_numeric_column(rows, index):
            continue
        if words & _MONEY_WORDS:
            money.append(index)
        elif words & _UNIT_WORDS:
            units.append(index)
    return money, units


def _column_name(name: str, lang: Lang) -> str:
    """A column's name as the answer says it: "ventas", or "sales" in English."""
    if lang == "en":
        return _ENGLISH_NAMES.get(normalize(name), name)
    return name


def _as_day(value: Any) -> date | None:
    """A day label: a ``date`` or ISO ``YYYY-MM-DD`` text."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DAY.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _csv_cell(value: Any) -> Any:
    """One cell for :func:`write_csv`."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f") if value.is_finite() else ""
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    if isinstance(value, str) and value.startswith(_CSV_FORMULA_START):
        return "'" + value
    return value


__all__ = [
    "DATA_ROW_CAP",
    "exact_number",
    "json_safe",
    "rows_for_data",
    "summarize",
    "write_csv",
]
