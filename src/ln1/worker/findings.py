"""The message a finished task posts in the thread: what was found, in the user's language.

Short and factual: sizes, what the cleaning changed (counts per rule), the main numbers, and
which files are attached. Numbers follow the company's convention (:mod:`ln1.numbers`), the
same as its chat answers: "500,000" and "1,234.56" in English and in the Spanish of Peru or
Mexico, "500.000" and "1.234,56" in the Spanish of Spain, Chile or Argentina. The company's
country travels with the task, as ``params["region"]`` next to ``params["lang"]``
(:func:`task_region`).
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from ln1.numbers import format_number
from ln1.tasks.models import Task

RULES = {
    "headers_renamed": ("encabezados normalizados", "headers normalised"),
    "cells_trimmed": ("celdas recortadas", "cells trimmed"),
    "blanks_to_null": ("celdas vacías marcadas", "blank cells marked empty"),
    "columns_coerced": ("columnas convertidas a número o fecha", "columns converted"),
    "values_coerced": ("valores convertidos", "values converted"),
    "values_unparsed": ("valores que no se pudieron convertir", "values that did not parse"),
    "empty_rows_removed": ("filas vacías eliminadas", "empty rows removed"),
    "duplicate_rows_removed": ("filas duplicadas eliminadas", "duplicate rows removed"),
}


def task_region(task: Task) -> str | None:
    """The country whose numbers the task's message follows, as recorded when it started.

    The chat resolves it (:func:`ln1.numbers.company_region`) and puts it in the task's
    params, so the worker needs no database read to write a number; a task recorded
    without one gets the default convention.
    """
    region = (task.params or {}).get("region")
    return region if isinstance(region, str) and region else None


def format_count(value: Any, lang: str, region: str | None = None) -> str:
    """A number in a task's message: whole numbers without decimals, others with two.

    Written by :func:`ln1.numbers.format_number` for a reader of ``lang`` in ``region``, the
    company's country: "12,345.50" in Peru, "12.345,50" in Chile, so a reader there never
    mistakes "500,000" rows for five hundred. Anything that is not a finite number is shown
    as it is.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        return str(value)
    return format_number(Decimal(str(round(value, 2))), lang, region)


def _rules(rules: dict[str, int], lang: str, region: str | None) -> str:
    done = [
        f"{format_count(count, lang, region)} {RULES[rule][0 if lang == 'es' else 1]}"
        for rule, count in rules.items()
        if count and rule in RULES
    ]
    if not done:
        return "no hizo falta limpiar nada" if lang == "es" else "nothing needed cleaning"
    return ", ".join(done)


def _money_like(sheet: dict[str, Any], lang: str, region: str | None) -> list[str]:
    """Sums of the numeric columns that look like amounts (not ids, codes or years)."""
    parts = []
    for col in sheet["profile"]["column_profiles"]:
        name = col["name"].lower()
        if col["type"] not in ("integer", "decimal", "float") or col.get("sum") is None:
            continue
        if any(w in name for w in ("id", "cod", "ruc", "dni", "año", "ano", "year", "numero")):
            continue
        parts.append(f"{col['name']} = {format_count(col['sum'], lang, region)}")
    return parts[:3]


def ingest_message(
    filename: str,
    read: dict[str, Any],
    cleaned: dict[str, Any],
    sheets: list[dict[str, Any]],
    lang: str,
    with_pdf: bool,
    region: str | None = None,
) -> str:
    es = lang == "es"

    def n(value: Any) -> str:
        return format_count(value, lang, region)

    rows = sum(s["profile"]["rows"] for s in sheets)
    head = (
        f"Terminé de analizar «{filename}»: {n(len(sheets))} hoja(s) con datos, {n(rows)} filas."
        if es
        else f"I finished analysing “{filename}”: {n(len(sheets))} sheet(s) with data, "
        f"{n(rows)} rows."
    )
    lines = [head]
    for sheet in sheets:
        prof = sheet["profile"]
        nulls = [c["name"] for c in prof["column_profiles"] if c.get("nulls")]
        line = (
            f"• {sheet['name']}: {n(prof['rows'])} filas × {n(prof['columns'])} columnas"
            if es
            else f"• {sheet['name']}: {n(prof['rows'])} rows × {n(prof['columns'])} columns"
        )
        sums = _money_like(sheet, lang, region)
        if sums:
            line += ("; sumas: " if es else "; sums: ") + ", ".join(sums)
        if nulls:
            line += (
                f"; columnas con vacíos: {', '.join(nulls[:5])}"
                if es
                else f"; columns with blanks: {', '.join(nulls[:5])}"
            )
        lines.append(line)
    cleaning = _rules(cleaned["rules"], lang, region)
    lines.append(("Limpieza: " if es else "Cleaning: ") + cleaning + ".")
    if read.get("notes"):
        lines.append(
            "Nota: el archivo puede traer macros; no se ejecutaron, solo se leyeron los valores."
            if es
            else "Note: " + read["notes"][0]
        )
    lines.append(_attached(with_pdf, lang))
    return "\n".join(lines)


def compare_message(
    a_name: str,
    b_name: str,
    summary: dict[str, Any],
    lang: str,
    with_pdf: bool,
    region: str | None = None,
) -> str:
    es = lang == "es"

    def n(value: Any) -> str:
        return format_count(value, lang, region)

    keys = ", ".join(summary["keys"])
    lines = [
        (
            f"Comparé «{a_name}» (A) con «{b_name}» (B) usando {keys} como clave: "
            f"{n(summary['only_a'])} filas solo en A, {n(summary['only_b'])} solo en B, "
            f"{n(summary['changed'])} cambiaron y {n(summary['unchanged'])} siguen iguales."
        )
        if es
        else (
            f"I compared “{a_name}” (A) with “{b_name}” (B) on {keys}: "
            f"{n(summary['only_a'])} rows only in A, {n(summary['only_b'])} only in B, "
            f"{n(summary['changed'])} changed and {n(summary['unchanged'])} unchanged."
        )
    ]
    changes = sorted(
        (summary.get("changes_per_column") or {}).items(), key=lambda kv: kv[1], reverse=True
    )
    changes = [(c, count) for c, count in changes if count]
    if changes:
        listed = ", ".join(f"{c} ({n(count)})" for c, count in changes[:5])
        lines.append(
            f"Columnas con más cambios: {listed}." if es else f"Columns changed most: {listed}."
        )
    group = summary.get("group_by")
    totals = summary.get("totals") or []
    if group and totals:
        row = totals[0]
        numeric = [k for k in row if k not in ("group", "rows")]
        if numeric:
            col = numeric[0]
            values = row[col]
            lines.append(
                (
                    f"Mayor variación por {group}: {row['group']} ({col}: "
                    f"{n(values.get('a'))} → {n(values.get('b'))})."
                )
                if es
                else (
                    f"Largest change by {group}: {row['group']} ({col}: "
                    f"{n(values.get('a'))} → {n(values.get('b'))})."
                )
            )
    lines.append(_attached(with_pdf, lang))
    return "\n".join(lines)


def _attached(with_pdf: bool, lang: str) -> str:
    if lang == "es":
        return (
            "Adjunto el reporte en PDF y los datos en Parquet."
            if with_pdf
            else "Adjunto los datos en Parquet."
        )
    return (
        "The PDF report and the data (Parquet) are attached."
        if with_pdf
        else ("The data (Parquet) is attached.")
    )
