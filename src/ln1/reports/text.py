"""Words and numbers as the report prints them, in Spanish or English.

Numbers follow the company's convention, the chat's (:mod:`ln1.numbers`): every number
function takes the reader's language and the company's ``region``, so a Spanish report for
a company in Peru prints "1,234.56" and "S/ 1,234.56", one in Chile "1.234,56" and
"S/ 1.234,56", and an English one "1,234.56" and "PEN 1,234.56". A report and the chat
answer or task message it came with must not disagree on how a number looks. Dates follow
the chat too: "24/11/2026" in Spanish, ISO "2026-11-24" in English.

Every piece of user data passes through :func:`clean` before it is printed: control
characters go, characters the font cannot draw become "�", and overlong text is cut, so a
hostile cell can neither break the layout nor crash the build.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from ln1.numbers import format_fixed, format_money
from ln1.orchestrator.replies import format_date
from ln1.reports.fonts import register_fonts
from ln1.runners.summary import exact_number as number

Lang = Literal["es", "en"]

CELL_CHAR_CAP = 300
"""Longest text printed in one table cell; the rest is cut with "…"."""

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[ \t\r\n]+")
_REPLACEMENT = "\ufffd"

LABELS: dict[str, dict[Lang, str]] = {
    "page": {"es": "Página {page} de {pages}", "en": "Page {page} of {pages}"},
    "generated": {"es": "Generado el {date}", "en": "Generated on {date}"},
    "summary": {"es": "Resumen", "en": "Summary"},
    "no_data": {"es": "No hay datos para mostrar.", "en": "There is no data to show."},
    "more_rows": {"es": "… y {count} filas más.", "en": "… and {count} more rows."},
    "more_row": {"es": "… y 1 fila más.", "en": "… and 1 more row."},
    "more_columns": {
        "es": "Se muestran {shown} de {total} columnas.",
        "en": "Showing {shown} of {total} columns.",
    },
    "charts": {"es": "Gráficos", "en": "Charts"},
    "total": {"es": "Total", "en": "Total"},
    "yes": {"es": "sí", "en": "yes"},
    "no": {"es": "no", "en": "no"},
    "others": {"es": "Otros", "en": "Others"},
    "empty_value": {"es": "(vacío)", "en": "(empty)"},
    "top_of": {"es": "{shown} de {total}", "en": "{shown} of {total}"},
    # ingest
    "title_ingest": {"es": "Perfil de datos: {name}", "en": "Data profile: {name}"},
    "sheet": {"es": "Hoja «{name}»", "en": "Sheet “{name}”"},
    "sheets_overview": {"es": "Hojas", "en": "Sheets"},
    "sheet_name": {"es": "Hoja", "en": "Sheet"},
    "rows": {"es": "Filas", "en": "Rows"},
    "columns": {"es": "Columnas", "en": "Columns"},
    "duplicates": {"es": "Duplicados", "en": "Duplicates"},
    "column": {"es": "Columna", "en": "Column"},
    "type": {"es": "Tipo", "en": "Type"},
    "nulls": {"es": "Vacíos", "en": "Nulls"},
    "min": {"es": "Mínimo", "en": "Min"},
    "max": {"es": "Máximo", "en": "Max"},
    "mean": {"es": "Promedio", "en": "Mean"},
    "sum": {"es": "Suma", "en": "Sum"},
    "top_values": {"es": "Valores más frecuentes", "en": "Top values"},
    "value": {"es": "Valor", "en": "Value"},
    "count": {"es": "Cantidad", "en": "Count"},
    "by": {"es": "{value} por {group}", "en": "{value} by {group}"},
    "by_month": {"es": "{value} por mes", "en": "{value} by month"},
    "by_day": {"es": "{value} por día", "en": "{value} by day"},
    # compare
    "title_compare": {"es": "Comparación: {a} vs {b}", "en": "Comparison: {a} vs {b}"},
    "indicator": {"es": "Indicador", "en": "Measure"},
    "only_a": {"es": "Solo en A", "en": "Only in A"},
    "only_b": {"es": "Solo en B", "en": "Only in B"},
    "changed": {"es": "Con cambios", "en": "Changed"},
    "unchanged": {"es": "Sin cambios", "en": "Unchanged"},
    "keys": {"es": "Columnas clave", "en": "Key columns"},
    "changes_by_column": {"es": "Cambios por columna", "en": "Changes by column"},
    "changed_rows": {"es": "Filas cambiadas", "en": "Changed rows"},
    "totals_by": {"es": "Totales por {group}: A vs B", "en": "Totals by {group}: A vs B"},
    "group": {"es": "Grupo", "en": "Group"},
    "delta": {"es": "Diferencia", "en": "Difference"},
    "delta_pct": {"es": "Variación", "en": "Change"},
    "samples": {"es": "Muestras de filas", "en": "Row samples"},
    "sample_only_a": {"es": "Filas solo en A", "en": "Rows only in A"},
    "sample_only_b": {"es": "Filas solo en B", "en": "Rows only in B"},
    "sample_changed": {"es": "Filas con cambios", "en": "Changed rows"},
    "result_counts": {"es": "Resultado de la comparación", "en": "Comparison result"},
    # runner
    "title_runner": {"es": "Consulta: {name}", "en": "Query: {name}"},
    "question": {"es": "Pregunta", "en": "Question"},
    "query": {"es": "Consulta", "en": "Query"},
    "period": {"es": "Periodo", "en": "Period"},
    "data": {"es": "Datos", "en": "Data"},
}

_TYPES: dict[str, dict[Lang, str]] = {
    "integer": {"es": "entero", "en": "integer"},
    "float": {"es": "decimal", "en": "decimal"},
    "text": {"es": "texto", "en": "text"},
    "date": {"es": "fecha", "en": "date"},
    "datetime": {"es": "fecha y hora", "en": "date-time"},
    "time": {"es": "hora", "en": "time"},
    "boolean": {"es": "lógico", "en": "boolean"},
}
_TYPE_ALIASES = {
    **{name: "integer" for name in ("int", "integer", "int8", "int16", "int32", "int64")},
    **{name: "integer" for name in ("uint8", "uint16", "uint32", "uint64", "int128")},
    **{name: "float" for name in ("float", "float32", "float64", "double", "decimal")},
    **{name: "float" for name in ("number", "numeric")},
    **{name: "text" for name in ("text", "str", "string", "utf8", "categorical", "enum")},
    "date": "date",
    "datetime": "datetime",
    "timestamp": "datetime",
    "time": "time",
    "bool": "boolean",
    "boolean": "boolean",
}


def label(key: str, lang: Lang, **values: Any) -> str:
    """The fixed text ``key`` in ``lang``, with ``values`` filled in."""
    text = LABELS[key][lang]
    return text.format(**values) if values else text


def type_label(name: str, lang: Lang) -> str:
    """ "entero" / "integer" for "Int64"; an unknown type is shown as given."""
    base = str(name).split("(", 1)[0].split("[", 1)[0].strip().lower()
    kind = _TYPE_ALIASES.get(base)
    return _TYPES[kind][lang] if kind else clean(str(name), 40)


def type_kind(name: str) -> str | None:
    """The generic kind ("integer", "float", "text", "date" …) of a profile's type name."""
    base = str(name).split("(", 1)[0].split("[", 1)[0].strip().lower()
    return _TYPE_ALIASES.get(base)


def clean(value: str, limit: int = CELL_CHAR_CAP) -> str:
    """User text made safe to print: one line, drawable characters, at most ``limit`` long."""
    glyphs = register_fonts()
    text = _SPACES.sub(" ", _CONTROL.sub("", value)).strip()
    if len(text) > limit:
        text = text[: max(limit - 1, 0)].rstrip() + "…"
    if all(ord(char) in glyphs for char in text):
        return text
    out = []
    for char in text:
        if ord(char) in glyphs:
            out.append(char)
        elif not unicodedata.combining(char) and unicodedata.category(char) not in ("Cf", "Mn"):
            out.append(_REPLACEMENT)  # variation selectors and joiners are dropped silently
    return "".join(out)


def fmt_int(value: int, lang: Lang, region: str | None) -> str:
    """ "1,234" or "1.234", the company's way (see the module docstring)."""
    return format_fixed(Decimal(value), 0, lang, region)


def fmt_number(value: Any, lang: Lang, region: str | None, decimals: int | None = None) -> str:
    """A number: integers as "1,234", others with two decimals "1,234.56" (or "1.234,56").

    ``decimals`` forces a fixed count (a money column prints every cell with two). Tiny
    non-zero values keep three significant digits rather than showing "0.00".
    """
    amount = number(value)
    if amount is None:
        return ""
    if decimals is not None:
        return format_fixed(amount, decimals, lang, region)
    if amount == amount.to_integral_value():
        return format_fixed(amount, 0, lang, region)
    if 0 < abs(amount) < Decimal("0.01"):
        tiny = Decimal(f"{float(amount):.3g}")  # three significant digits, never "1e-05"
        return format_fixed(tiny, -int(tiny.as_tuple().exponent), lang, region)
    return format_fixed(amount, 2, lang, region)


def fmt_money(value: Any, currency: str, lang: Lang, region: str | None) -> str:
    """ "S/ 1,234.56" in Spanish, "PEN 1,234.56" in English (the chat's format)."""
    amount = number(value)
    if amount is None:
        return ""
    return format_money(amount, currency, lang, region)


def fmt_signed(value: Any, currency: str | None, lang: Lang, region: str | None) -> str:
    """A difference with its sign: "+1,234.00", "-S/ 50.00"."""
    amount = number(value)
    if amount is None:
        return ""
    sign = "+" if amount > 0 else "-" if amount < 0 else ""
    body = (
        fmt_money(abs(amount), currency, lang, region)
        if currency
        else fmt_number(abs(amount), lang, region, 2)
    )
    return sign + body


def fmt_percent(
    part: Any, whole: Any, lang: Lang, region: str | None, *, signed: bool = False
) -> str:
    """ "12.5%" (one decimal; "+12.5%" when ``signed``), or "" when the whole is zero."""
    top, bottom = number(part), number(whole)
    if top is None or bottom is None or bottom == 0:
        return ""
    share = top * 100 / abs(bottom)
    text = format_fixed(share, 1, lang, region) + "%"
    shown_nonzero = any(digit in text for digit in "123456789")  # "+0.0%" would be odd
    return "+" + text if signed and share > 0 and shown_nonzero else text


def fmt_date(value: date, lang: Lang) -> str:
    """ "24/11/2026" / "2026-11-24"."""
    return format_date(value, lang)


def fmt_value(value: Any, lang: Lang, region: str | None, limit: int = CELL_CHAR_CAP) -> str:
    """Any cell as text: numbers, dates and booleans the report's way, text cleaned."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return label("yes" if value else "no", lang)
    if isinstance(value, int | float | Decimal):
        return fmt_number(value, lang, region)
    if isinstance(value, datetime):
        clock = value.strftime("%H:%M:%S" if value.second else "%H:%M")
        return f"{fmt_date(value.date(), lang)} {clock}"
    if isinstance(value, date):
        return fmt_date(value, lang)
    if isinstance(value, time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    if isinstance(value, str):
        day = parse_day(value)
        if day is not None and len(value) == 10:
            return fmt_date(day, lang)
        return clean(value, limit)
    if isinstance(value, bytes | bytearray | memoryview):
        return clean(bytes(value).hex(), limit)
    return clean(str(value), limit)


def parse_day(value: Any) -> date | None:
    """A day from a ``date``, a ``datetime`` or ISO text ("2026-11-24", "2026-11-24T10:00")."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10 and value[4:5] == "-" and value[7:8] == "-":
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def parse_month(value: Any) -> date | None:
    """The first day of an ISO month label ("2026-11"), else None."""
    if isinstance(value, str) and len(value) == 7 and value[4] == "-":
        try:
            return date(int(value[:4]), int(value[5:]), 1)
        except ValueError:
            return None
    return None


def to_decimal_text(value: Any) -> Decimal | None:
    """A number given as text ("1234.5") as a Decimal; None for anything else."""
    if isinstance(value, str):
        try:
            parsed = Decimal(value.strip())
        except InvalidOperation:
            return None
        return parsed if parsed.is_finite() else None
    return number(value)


def fold(text: str) -> str:
    """Lower case without accents, for matching column names ("Región" → "region")."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))
