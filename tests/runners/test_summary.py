"""The chat answer for a runner result: summary sentences, ``data`` rows and the CSV file."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from ln1.numbers import format_money
from ln1.runners.matching import DEFAULT_PERIOD_LABEL
from ln1.runners.summary import (
    DATA_ROW_CAP,
    json_safe,
    rows_for_data,
    summarize,
    write_csv,
)

OCTOBER = {"start": "2026-10-01", "end": "2026-10-31", "label": "last_month", "text": "mes pasado"}
YESTERDAY = {"start": "2026-11-24", "end": "2026-11-24", "label": "yesterday", "text": "ayer"}
BY_REGION = "Ventas por región: monto de cada región / Sales by region: amount of each region"
BY_DAY = "Ventas por día: monto de cada día / Sales by day: amount sold each day"
REGION_COLUMNS = ["region", "facturas", "unidades", "ventas"]
REGION_ROWS: list[tuple[Any, ...]] = [
    ("Lima", 430, 5006, Decimal("203431.40")),
    ("Arequipa", 143, 1612, Decimal("59277.45")),
    ("Junín", 60, 700, Decimal("12000.00")),
]


def region_summary(lang: str, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "total_rows": len(REGION_ROWS),
        "truncated": False,
        "period": OCTOBER,
        "query_description": BY_REGION,
        "lang": lang,
    }
    return summarize(REGION_COLUMNS, REGION_ROWS, **arguments | overrides)


def test_spanish_summary_names_the_question_the_dates_and_the_count() -> None:
    assert region_summary("es").startswith(
        "Ventas por región del 01/10/2026 al 31/10/2026: 3 filas."
    )


def test_spanish_money_uses_soles_with_peruvian_separators() -> None:
    text = region_summary("es")
    assert "Suma de las 3 filas: ventas S/ 274,708.85; unidades 7,318." in text
    assert region_summary("es", region="PE") == text
    assert "ventas S/ 274,708.85; unidades 7,318." in region_summary("es", region="MX")


@pytest.mark.parametrize(
    ("region", "units"),
    [("CL", "7.318"), ("AR", "7.318"), ("ES", "7318")],  # Spain groups from five digits
)
def test_spanish_of_chile_argentina_or_spain_swaps_the_separators(region: str, units: str) -> None:
    text = region_summary("es", region=region)
    assert f"Suma de las 3 filas: ventas S/ 274.708,85; unidades {units}." in text
    assert "Lima lidera con S/ 203.431,40 (74% de la suma)." in text


def test_counts_in_sentences_follow_the_region_too() -> None:
    text = region_summary("es", region="CL", total_rows=12000, truncated=True, shown=200)
    assert "Los totales cubren solo las primeras 3 filas." in text
    assert "Muestro las primeras 200 de 12.000 filas" in text
    assert ": 12.000 filas." in text


@pytest.mark.parametrize("region", [None, "PE", "ES", "CL"])
def test_english_summaries_ignore_the_region(region: str | None) -> None:
    assert "Sum of the 3 rows: sales PEN 274,708.85; units 7,318." in region_summary(
        "en", region=region
    )


def test_english_summary_uses_the_currency_code_and_iso_dates() -> None:
    text = region_summary("en")
    assert text.startswith("Sales by region from 2026-10-01 to 2026-10-31: 3 rows.")
    assert "Sum of the 3 rows: sales PEN 274,708.85; units 7,318." in text


def test_the_leader_of_a_ranking_is_named_with_its_share() -> None:
    assert "Lima lidera con S/ 203,431.40 (74% de la suma)." in region_summary("es")
    assert "Lima leads with PEN 203,431.40 (74% of the sum)." in region_summary("en")


def test_counts_are_not_summed_across_rows() -> None:
    # An invoice with two products counts in both rows: the sum would overstate.
    assert "facturas" not in region_summary("es")


def test_a_single_row_reports_its_counts_as_totals() -> None:
    text = summarize(
        ["fecha", "facturas", "unidades", "ventas"],
        [("2026-11-24", 45, 521, 24404.1)],
        total_rows=1,
        truncated=False,
        period=YESTERDAY,
        query_description=BY_DAY,
        lang="es",
    )
    assert text == (
        "Ventas por día del 24/11/2026: 1 fila. "
        "Total: ventas S/ 24,404.10; unidades 521; facturas 45."
    )


def test_float_amounts_add_up_exactly() -> None:
    text = summarize(
        ["producto", "ventas"],
        [("A", 0.1), ("B", 0.2)],
        total_rows=2,
        truncated=False,
        period=None,
        query_description="Ventas por producto",
        lang="es",
    )
    assert "ventas S/ 0.30" in text
    assert "B lidera con S/ 0.20 (67% de la suma)" in text


def test_a_daily_series_names_its_best_day() -> None:
    rows = [(date(2026, 10, 1), Decimal("10.00")), (date(2026, 10, 2), Decimal("30.50"))]
    es = summarize(
        ["fecha", "ventas"], rows, total_rows=2, truncated=False, period=OCTOBER,
        query_description=BY_DAY, lang="es",
    )  # fmt: skip
    en = summarize(
        ["fecha", "ventas"], rows, total_rows=2, truncated=False, period=OCTOBER,
        query_description=BY_DAY, lang="en",
    )  # fmt: skip
    assert "El día con más ventas fue el 02/10/2026 (S/ 30.50)." in es
    assert "The best day was 2026-10-02 (PEN 30.50)." in en


def test_a_monthly_series_names_its_best_month() -> None:
    text = summarize(
        ["mes", "ventas"], [("2026-09", 5.0), ("2026-10", 7.0)], total_rows=2, truncated=False,
        period=None, query_description="Ventas por mes", lang="es",
    )  # fmt: skip
    assert "El mes con más ventas fue 10/2026 (S/ 7.00)." in text


def test_an_empty_result_says_there_was_nothing_in_that_period() -> None:
    es = summarize(
        REGION_COLUMNS, [], total_rows=0, truncated=False, period=OCTOBER,
        query_description=BY_REGION, lang="es",
    )  # fmt: skip
    en = summarize(
        REGION_COLUMNS, [], total_rows=0, truncated=False, period=YESTERDAY,
        query_description=BY_REGION, lang="en",
    )  # fmt: skip
    assert es == "No hubo datos para «Ventas por región» del 01/10/2026 al 31/10/2026."
    assert en == "No data for “Sales by region” on 2026-11-24."


def test_a_truncated_result_points_to_the_csv() -> None:
    rows = [(f"Cliente {i}", Decimal(i)) for i in range(1, 501)]
    es = summarize(
        ["cliente", "ventas"], rows, total_rows=500, truncated=True, period=OCTOBER,
        query_description="Ventas por cliente", lang="es",
    )  # fmt: skip
    en = summarize(
        ["cliente", "ventas"], rows, total_rows=500, truncated=True, period=OCTOBER,
        query_description="Sales by customer", lang="en", shown=50,
    )  # fmt: skip
    assert (
        f"Muestro las primeras {DATA_ROW_CAP} de 500 filas; el resultado completo está en el "
        "CSV adjunto." in es
    )
    assert "Showing the first 50 of 500 rows; the full result is in the attached CSV." in en
    assert "ventas S/ 125,250.00" in es  # totals still cover every row received


def test_totals_over_a_prefix_of_the_rows_say_so() -> None:
    text = region_summary("es", total_rows=10)
    assert "Los totales cubren solo las primeras 3 filas." in text
    assert ": 10 filas." in text


def test_a_result_cut_by_the_runner_says_it_may_be_incomplete() -> None:
    text = region_summary("en", runner_capped=True)
    assert "reached the runner's limit of 3 rows" in text
    assert "of the sum" not in text  # a share of an incomplete sum would mislead


def test_a_default_period_is_named_as_such() -> None:
    default = {"start": "2026-10-27", "end": "2026-11-25", "label": DEFAULT_PERIOD_LABEL}
    es = region_summary("es", period=default)
    en = region_summary("en", period=default)
    assert (
        "del 27/10/2026 al 25/11/2026 (no indicaste un periodo, así que usé los últimos 30 días)"
        in es
    )
    assert "(no period was given, so I used the last 30 days)" in en


def test_filters_are_echoed_next_to_the_question() -> None:
    text = region_summary("es", filters={"customer": "Bodega Don Pepe"})
    assert text.startswith("Ventas por región (cliente «Bodega Don Pepe») del 01/10/2026")


def test_a_description_in_one_language_is_used_as_it_is() -> None:
    text = region_summary("en", query_description="Revenue per zone.")
    assert text.startswith("Revenue per zone from 2026-10-01")


def test_format_money_rounds_to_the_cent() -> None:
    assert format_money(Decimal("1234567.891"), "PEN", "es") == "S/ 1,234,567.89"
    assert format_money(Decimal("1234567.891"), "PEN", "es", "CL") == "S/ 1.234.567,89"
    assert format_money(Decimal("-5"), "USD", "en") == "USD -5.00"


# ----------------------------------------------------------------------------- data


def test_rows_for_data_caps_the_rows_and_says_so() -> None:
    rows = [(i,) for i in range(250)]
    data = rows_for_data(["n"], rows)
    assert len(data["rows"]) == DATA_ROW_CAP
    assert (data["total_rows"], data["truncated"]) == (250, True)
    small = rows_for_data(["n"], rows[:3])
    assert small == {"columns": ["n"], "rows": [[0], [1], [2]], "total_rows": 3, "truncated": False}


def test_rows_for_data_counts_rows_the_caller_did_not_keep() -> None:
    data = rows_for_data(["n"], [(1,), (2,)], total_rows=9000)
    assert (data["total_rows"], data["truncated"]) == (9000, True)


def test_rows_for_data_values_are_json() -> None:
    row = (
        date(2026, 11, 24),
        datetime(2026, 11, 24, 9, 30),
        Decimal("12345.67"),
        Decimal("12345678901234567.89"),
        float("nan"),
        b"\x01\xff",
        None,
        True,
    )
    data = rows_for_data(["a", "b", "c", "d", "e", "f", "g", "h"], [row])
    assert data["rows"] == [
        ["2026-11-24", "2026-11-24T09:30:00", 12345.67, "12345678901234567.89", None, "01ff",
         None, True],
    ]  # fmt: skip
    assert json.loads(json.dumps(data)) == data


def test_json_safe_keeps_plain_values() -> None:
    assert [json_safe(v) for v in (1, "Junín", 2.5, None)] == [1, "Junín", 2.5, None]


# ------------------------------------------------------------------------------ csv


def test_write_csv_is_excel_friendly_utf8_and_counts_rows(tmp_path: Path) -> None:
    path = tmp_path / "ventas.csv"
    rows = ((name, Decimal("0.10") * i, date(2026, 10, i)) for i, name in enumerate(
        ["Junín", "Señor de los Milagros", None], start=1))  # fmt: skip
    count = write_csv(path, ["region", "ventas", "fecha"], rows)
    raw = path.read_bytes()
    assert count == 3
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["region", "ventas", "fecha"],
            ["Junín", "0.10", "2026-10-01"],
            ["Señor de los Milagros", "0.20", "2026-10-02"],
            ["", "0.30", "2026-10-03"],
        ]


def test_write_csv_does_not_let_text_become_a_formula(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    write_csv(path, ["cliente", "n"], [('=HYPERLINK("http://evil")', -5), ("@SUM(A1)", 1)])
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))[1:]
    assert rows == [['\'=HYPERLINK("http://evil")', "-5"], ["'@SUM(A1)", "1"]]


def test_write_csv_of_no_rows_writes_the_header(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    assert write_csv(path, ["a", "b"], []) == 0
    assert path.read_text(encoding="utf-8-sig").splitlines() == ["a,b"]
