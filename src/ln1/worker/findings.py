"""The message a finished task posts in the thread: what was found, in the user's language.

Short and factual: sizes, what the cleaning changed (counts per rule), the main numbers, and
which files are attached. Numbers use the same convention as the rest of the chat
("12,345.67"; see ``ln1.runners.summary``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ln1.runners.summary import format_number

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


def _n(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return format_number(Decimal(str(round(value, 2))))


def _rules(rules: dict[str, int], lang: str) -> str:
    done = [
        f"{_n(count)} {RULES[rule][0 if lang == 'es' else 1]}"
        for rule, count in rules.items()
        if count and rule in RULES
    ]
    if not done:
        return "no hizo falta limpiar nada" if lang == "es" else "nothing needed cleaning"
    return ", ".join(done)


def _money_like(sheet: dict[str, Any]) -> list[str]:
    """Sums of the numeric columns that look like amounts (not ids, codes or years)."""
    parts = []
    for col in sheet["profile"]["column_profiles"]:
        name = col["name"].lower()
        if col["type"] not in ("integer", "decimal", "float") or col.get("sum") is None:
            continue
        if any(w in name for w in ("id", "cod", "ruc", "dni", "año", "ano", "year", "numero")):
            continue
        parts.append(f"{col['name']} = {_n(col['sum'])}")
    return parts[:3]


def ingest_message(
    filename: str,
    read: dict[str, Any],
    cleaned: dict[str, Any],
    sheets: list[dict[str, Any]],
    lang: str,
    with_pdf: bool,
) -> str:
    es = lang == "es"
    rows = sum(s["profile"]["rows"] for s in sheets)
    head = (
        f"Terminé de analizar «{filename}»: {len(sheets)} hoja(s) con datos, {_n(rows)} filas."
        if es
        else f"I finished analysing “{filename}”: {len(sheets)} sheet(s) with data, "
        f"{_n(rows)} rows."
    )
    lines = [head]
    for sheet in sheets:
        prof = sheet["profile"]
        nulls = [c["name"] for c in prof["column_profiles"] if c.get("nulls")]
        line = (
            f"• {sheet['name']}: {_n(prof['rows'])} filas × {prof['columns']} columnas"
            if es
            else f"• {sheet['name']}: {_n(prof['rows'])} rows × {prof['columns']} columns"
        )
        sums = _money_like(sheet)
        if sums:
            line += ("; sumas: " if es else "; sums: ") + ", ".join(sums)
        if nulls:
            line += (
                f"; columnas con vacíos: {', '.join(nulls[:5])}"
                if es
                else f"; columns with blanks: {', '.join(nulls[:5])}"
            )
        lines.append(line)
    lines.append(("Limpieza: " if es else "Cleaning: ") + _rules(cleaned["rules"], lang) + ".")
    if read.get("notes"):
        lines.append(
            "Nota: el archivo puede traer macros; no se ejecutaron, solo se leyeron los valores."
            if es
            else "Note: " + read["notes"][0]
        )
    lines.append(_attached(with_pdf, lang))
    return "\n".join(lines)


def compare_message(
    a_name: str, b_name: str, summary: dict[str, Any], lang: str, with_pdf: bool
) -> str:
    es = lang == "es"
    keys = ", ".join(summary["keys"])
    lines = [
        (
            f"Comparé «{a_name}» (A) con «{b_name}» (B) usando {keys} como clave: "
            f"{_n(summary['only_a'])} filas solo en A, {_n(summary['only_b'])} solo en B, "
            f"{_n(summary['changed'])} cambiaron y {_n(summary['unchanged'])} siguen iguales."
        )
        if es
        else (
            f"I compared “{a_name}” (A) with “{b_name}” (B) on {keys}: "
            f"{_n(summary['only_a'])} rows only in A, {_n(summary['only_b'])} only in B, "
            f"{_n(summary['changed'])} changed and {_n(summary['unchanged'])} unchanged."
        )
    ]
    changes = sorted(
        (summary.get("changes_per_column") or {}).items(), key=lambda kv: kv[1], reverse=True
    )
    changes = [(c, n) for c, n in changes if n]
    if changes:
        listed = ", ".join(f"{c} ({_n(n)})" for c, n in changes[:5])
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
                    f"{_n(values.get('a'))} → {_n(values.get('b'))})."
                )
                if es
                else (
                    f"Largest change by {group}: {row['group']} ({col}: "
                    f"{_n(values.get('a'))} → {_n(values.get('b'))})."
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
