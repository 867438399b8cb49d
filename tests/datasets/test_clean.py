"""Clean: every rule applied by column expressions, and every change counted in the report."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest

from ln1.datasets import clean
from ln1.datasets.clean import normalise_headers


def write(tmp_path: Path, frame: pl.DataFrame, name: str = "sheet-00") -> Path:
    path = tmp_path / f"{name}.parquet"
    frame.write_parquet(path)
    return path


def cleaned(tmp_path: Path, frame: pl.DataFrame) -> tuple[pl.DataFrame, dict]:
    result = clean(write(tmp_path, frame), tmp_path / "out")
    dataset = result.datasets[0]
    return pl.read_parquet(dataset.path), dataset.to_dict()


def test_headers_are_trimmed_snake_cased_unaccented_and_unique() -> None:
    names = ["  Precio  Unitario (S/) ", "Año", "año", "__UNNAMED__3", "", "N.º Factura"]
    assert normalise_headers(names) == [
        "precio_unitario_s", "ano", "ano_2", "column_4", "column_5", "n_o_factura",
    ]  # fmt: skip


def test_spanish_and_european_numbers(tmp_path: Path) -> None:
    frame, report = cleaned(
        tmp_path,
        pl.DataFrame(
            {
                "monto": ["1.234,56", "12,5", "-1.000", "(2.000,50)", "0,75"],
                "precio": ["S/ 1,200.00", "S/ 15.50", "S/ 3,000", "S/ -2.25", "S/ 0.99"],
                "pesos": ["$ 1.200", "$ 3.400", "$ 100", "$ 12.000", "$ 7"],
                "descuento": ["12,5%", "5 %", "100%", "0%", "7,25%"],
            }
        ),
    )
    assert frame.get_column("monto").to_list() == [1234.56, 12.5, -1000.0, -2000.5, 0.75]
    assert frame.get_column("precio").to_list() == [1200.0, 15.5, 3000.0, -2.25, 0.99]
    assert frame.get_column("pesos").to_list() == [1200, 3400, 100, 12000, 7]
    assert frame.schema["pesos"] == pl.Int64
    assert frame.get_column("descuento").to_list() == pytest.approx([0.125, 0.05, 1.0, 0.0, 0.0725])
    formats = {c["name"]: c["format"] for c in report["columns"]}
    assert formats == {
        "monto": "number_eu", "precio": "number_us", "pesos": "number_eu", "descuento": "percent",
    }  # fmt: skip
    assert report["rules"]["columns_coerced"] == 4
    assert report["rules"]["values_coerced"] == 20


def test_spanish_dates_in_every_usual_form(tmp_path: Path) -> None:
    values = ["24/11/2026", "24-nov-2026", "24 de noviembre de 2026", "2026-11-24", "1/9/26",
              "3 de setiembre del 2025", "05.01.2026"]  # fmt: skip
    frame, report = cleaned(tmp_path, pl.DataFrame({"fecha": values, "n": range(len(values))}))
    assert frame.get_column("fecha").to_list() == [
        dt.date(2026, 11, 24), dt.date(2026, 11, 24), dt.date(2026, 11, 24), dt.date(2026, 11, 24),
        dt.date(2026, 9, 1), dt.date(2025, 9, 3), dt.date(2026, 1, 5),
    ]  # fmt: skip
    assert report["columns"][0]["format"] == "date_dmy"


def test_month_first_dates_are_recognised_when_a_value_proves_it(tmp_path: Path) -> None:
    frame, report = cleaned(tmp_path, pl.DataFrame({"d": ["11/24/2026", "01/02/2026"]}))
    assert frame.get_column("d").to_list() == [dt.date(2026, 11, 24), dt.date(2026, 1, 2)]
    assert report["columns"][0]["format"] == "date_mdy"


def test_dates_with_times_become_datetimes(tmp_path: Path) -> None:
    frame, _ = cleaned(tmp_path, pl.DataFrame({"d": ["24/11/2026 10:30", "25/11/2026 08:05:09"]}))
    assert frame.get_column("d").to_list() == [
        dt.datetime(2026, 11, 24, 10, 30), dt.datetime(2026, 11, 25, 8, 5, 9),
    ]  # fmt: skip


def test_a_few_unparsable_values_are_counted_and_kept_as_original_text(tmp_path: Path) -> None:
    values = [f"{n},50" for n in range(1, 100)] + ["anulado"]
    frame, report = cleaned(tmp_path, pl.DataFrame({"monto": values}))
    assert frame.get_column("monto").null_count() == 1
    assert frame.get_column("monto")[0] == 1.5
    assert frame.get_column("monto__original").drop_nulls().to_list() == ["anulado"]
    column = report["columns"][0]
    assert (column["parsed"], column["unparsed"]) == (99, 1)
    assert column["unparsed_examples"] == ["anulado"]
    assert report["rules"]["values_unparsed"] == 1


def test_mostly_text_column_stays_text_with_its_share_reported(tmp_path: Path) -> None:
    values = ["10", "20", "pendiente", "30", "sin dato"]
    frame, report = cleaned(tmp_path, pl.DataFrame({"estado": values}))
    assert frame.get_column("estado").to_list() == values
    assert report["columns"][0]["type_after"] == "text"


def test_codes_with_leading_zeros_stay_text(tmp_path: Path) -> None:
    frame, _ = cleaned(tmp_path, pl.DataFrame({"dni": ["00123456", "45678901", "07654321"]}))
    assert frame.get_column("dni").to_list() == ["00123456", "45678901", "07654321"]


def test_trim_blank_empty_and_duplicate_rows(tmp_path: Path) -> None:
    frame, report = cleaned(
        tmp_path,
        pl.DataFrame(
            {
                " Cliente ": ["  Ana ", "Luis", "   ", None, "Ana", "Luis"],
                "Ciudad": ["Lima", " Cusco", None, None, "Lima", "Cusco"],
            }
        ),
    )
    assert frame.rows() == [("Ana", "Lima"), ("Luis", "Cusco")]
    assert report["rules"] == {
        "headers_renamed": 2,
        "cells_trimmed": 3,
        "blanks_to_null": 1,
        "columns_coerced": 0,
        "values_coerced": 0,
        "values_unparsed": 0,
        "empty_rows_removed": 2,
        "duplicate_rows_removed": 2,
    }
    assert (report["rows_in"], report["rows_out"]) == (6, 2)
    cliente = report["columns"][0]
    assert (cliente["original_name"], cliente["name"]) == (" Cliente ", "cliente")
    assert (cliente["trimmed"], cliente["blank_to_null"]) == (2, 1)


def test_typed_columns_are_left_as_they_are(tmp_path: Path) -> None:
    source = pl.DataFrame({"n": [1, 2], "f": [1.5, None], "d": [dt.date(2026, 1, 1)] * 2})
    frame, report = cleaned(tmp_path, source)
    assert frame.equals(source)
    assert report["rules"]["columns_coerced"] == 0


def test_several_datasets_and_summary_json(tmp_path: Path) -> None:
    a = write(tmp_path, pl.DataFrame({"x": ["1,5", "2,5"]}), "sheet-00")
    b = write(tmp_path, pl.DataFrame({"y": [" a", "a"]}), "sheet-01")
    result = clean([a, b], tmp_path / "out")
    assert [d.path.name for d in result.datasets] == [
        "sheet-00.clean.parquet", "sheet-01.clean.parquet",
    ]  # fmt: skip
    assert result.rules["columns_coerced"] == 1
    assert result.rules["duplicate_rows_removed"] == 1
    saved = json.loads(result.summary_path.read_text())
    assert saved == json.loads(json.dumps(result.to_dict()))


def test_rerun_writes_identical_outputs(tmp_path: Path) -> None:
    source = write(tmp_path, pl.DataFrame({"m": ["1.234,5", "2,0", "2,0"], "t": ["a ", "b", "b"]}))
    clean(source, tmp_path / "out")
    first = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    clean(source, tmp_path / "out")
    assert {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()} == first


def test_large_sheet_is_cleaned_quickly(tmp_path: Path) -> None:
    n = 300_000
    i = pl.int_range(0, n, eager=True)
    source = pl.DataFrame(
        {
            "fecha": pl.select(pl.format("{}/11/2026", 1 + i % 28)).to_series(),
            "monto": pl.select(pl.format("{},{}", i % 5000, i % 100)).to_series(),
            "cliente": pl.select(pl.format(" Cliente {} ", i % 1000)).to_series(),
        }
    )
    frame, report = cleaned(tmp_path, source)
    assert frame.schema == {"fecha": pl.Date, "monto": pl.Float64, "cliente": pl.String}
    assert report["rules"]["cells_trimmed"] == n
    assert report["rules"]["values_coerced"] == 2 * n
