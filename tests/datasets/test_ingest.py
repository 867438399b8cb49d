"""Ingest: any supported file → typed Parquet per sheet and a profile, re-runnable."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from ln1.datasets import CorruptFile, FileKind, UnsupportedFile, ingest
from tests.datasets import files


def sales_xlsx(path: Path) -> Path:
    """Header on row 3 after a blank area, a formula with its cached value, an empty sheet."""
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Ventas")
    date_format = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(2, 1, ["Fecha", "Producto", "Cantidad", "Precio", "Total"])
    rows = [
        (dt.datetime(2026, 11, 24), "Café", 2, 10.5),
        (dt.datetime(2026, 11, 25), "Té", 1, 4.0),
        (dt.datetime(2026, 11, 25), "Té", 1, 4.0),
        (dt.datetime(2026, 11, 26), "Piña", 3, None),
    ]
    for n, (day, product, qty, price) in enumerate(rows, start=3):
        ws.write_datetime(n, 1, day, date_format)
        ws.write(n, 2, product)
        ws.write_number(n, 3, qty)
        if price is not None:
            ws.write_number(n, 4, price)
        # the cached result is what Excel would have stored; nothing recalculates it
        ws.write_formula(n, 5, f"=D{n + 1}*E{n + 1}", None, qty * (price or 0))
    wb.add_worksheet("Vacía")
    wb.close()
    return path


def test_xlsx_becomes_typed_parquet_with_formula_values(tmp_path: Path) -> None:
    result = ingest(sales_xlsx(tmp_path / "in.xlsx"), tmp_path / "out")
    assert result.kind is FileKind.XLSX
    ventas = result.sheets[0]
    frame = pl.read_parquet(ventas.path)
    assert frame.columns == ["Fecha", "Producto", "Cantidad", "Precio", "Total"]
    assert frame.schema["Cantidad"] == pl.Int64  # whole-number floats are integers again
    assert frame.schema["Fecha"].is_temporal()
    assert frame.get_column("Total").to_list() == [21.0, 4.0, 4.0, 0.0]
    assert frame.get_column("Producto").to_list() == ["Café", "Té", "Té", "Piña"]


def test_profile_counts_nulls_duplicates_summaries_and_top_values(tmp_path: Path) -> None:
    profile = ingest(sales_xlsx(tmp_path / "in.xlsx"), tmp_path / "out").sheets[0].profile
    assert (profile["rows"], profile["columns"], profile["duplicate_rows"]) == (4, 5, 1)
    by_name = {c["name"]: c for c in profile["column_profiles"]}
    precio = by_name["Precio"]
    assert precio["type"] == "decimal"
    assert precio["nulls"] == 1
    assert (precio["min"], precio["max"], precio["sum"]) == (4.0, 10.5, 18.5)
    assert precio["mean"] == pytest.approx(18.5 / 3)
    assert by_name["Producto"]["top_values"][0] == {"value": "Té", "count": 2}
    assert by_name["Fecha"]["min"].startswith("2026-11-24")


def test_empty_sheet_is_reported_not_a_crash(tmp_path: Path) -> None:
    result = ingest(sales_xlsx(tmp_path / "in.xlsx"), tmp_path / "out")
    vacia = result.sheets[1]
    assert (vacia.name, vacia.empty, vacia.rows, vacia.path) == ("Vacía", True, 0, None)


def test_summary_json_matches_the_result(tmp_path: Path) -> None:
    result = ingest(sales_xlsx(tmp_path / "in.xlsx"), tmp_path / "out")
    saved = json.loads(result.summary_path.read_text())
    assert saved == json.loads(json.dumps(result.to_dict()))
    assert saved["sheets"][0]["path"] == "sheet-00.parquet"


def test_rerun_writes_the_same_files_and_no_temporaries(tmp_path: Path) -> None:
    source = sales_xlsx(tmp_path / "in.xlsx")
    first = ingest(source, tmp_path / "out")
    before = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    ingest(source, tmp_path / "out")
    after = {p.name: p.read_bytes() for p in (tmp_path / "out").iterdir()}
    assert after == before
    assert sorted(before) == ["ingest.json", "sheet-00.parquet"]
    assert first.parquet_paths == [tmp_path / "out" / "sheet-00.parquet"]


def test_progress_is_reported_in_order_up_to_one(tmp_path: Path) -> None:
    seen: list[tuple[str, float]] = []
    ingest(sales_xlsx(tmp_path / "in.xlsx"), tmp_path / "out", lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions)
    assert seen[-1] == ("done", 1.0)
    assert {"reading", "writing"} <= {s for s, _ in seen}


def test_text_late_in_a_numeric_column_is_kept_not_nulled(tmp_path: Path) -> None:
    path = tmp_path / "late.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write(0, 0, "monto")
    for n in range(1, 1500):
        ws.write_number(n, 0, n)
    ws.write(1500, 0, "anulado")
    wb.close()
    frame = pl.read_parquet(ingest(path, tmp_path / "out").sheets[0].path)
    assert frame.height == 1500
    assert frame.get_column("monto").null_count() == 0
    assert frame.get_column("monto")[-1] == "anulado"


def test_xlsm_is_read_and_its_macros_noted_not_run(tmp_path: Path) -> None:
    vba = files.ole2(tmp_path / "vbaProject.bin", ["VBA", "dir"])
    wb = xlsxwriter.Workbook(tmp_path / "m.xlsm")
    ws = wb.add_worksheet("Datos")
    ws.write_row(0, 0, ["a", "b"])
    ws.write_row(1, 0, [1, "x"])
    wb.add_vba_project(str(vba))
    wb.close()
    result = ingest(tmp_path / "m.xlsm", tmp_path / "out")
    assert result.kind is FileKind.XLSM
    assert any("not executed" in note for note in result.notes)
    assert pl.read_parquet(result.sheets[0].path).rows() == [(1, "x")]


def test_ods_is_read(tmp_path: Path) -> None:
    path = files.ods(tmp_path / "h.ods", [["producto", "monto"], ["Café", 12.5], ["Té", 3.0]])
    result = ingest(path, tmp_path / "out")
    assert result.kind is FileKind.ODS
    assert pl.read_parquet(result.sheets[0].path).rows() == [("Café", 12.5), ("Té", 3.0)]


def test_cp1252_semicolon_csv_keeps_accents_and_codes(tmp_path: Path) -> None:
    path = tmp_path / "v.csv"
    text = (
        "\n;;\nfecha;cliente;monto;dni;unidades\n"
        "2026-11-24;José Núñez;1.234,56;00123456;3\n"
        "2026-11-25;Añorga €;12,5;45678901;4\n"
    )
    path.write_bytes(text.encode("cp1252"))
    result = ingest(path, tmp_path / "out")
    assert result.csv is not None and result.csv.encoding == "cp1252"
    frame = pl.read_parquet(result.sheets[0].path)
    assert frame.columns == ["fecha", "cliente", "monto", "dni", "unidades"]
    assert frame.get_column("cliente").to_list() == ["José Núñez", "Añorga €"]
    assert frame.schema["fecha"] == pl.Date
    assert frame.schema["unidades"] == pl.Int64
    assert frame.get_column("dni").to_list() == ["00123456", "45678901"]  # zeros matter
    assert frame.get_column("monto").to_list() == ["1.234,56", "12,5"]  # left to clean
    assert not list((tmp_path / "out").glob("*.tmp"))


def test_utf16_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "u.csv"
    path.write_bytes("código\tmonto\nÑ-01\t10.5\nA-02\t20\n".encode("utf-16"))
    frame = pl.read_parquet(ingest(path, tmp_path / "out").sheets[0].path)
    assert frame.rows() == [("Ñ-01", 10.5), ("A-02", 20.0)]


def test_csv_with_a_ragged_row_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text("a,b\n" + "1,2\n" * 30 + "5,6,7\n", encoding="utf-8")
    with pytest.raises(CorruptFile, match="CSV"):
        ingest(path, tmp_path / "out")


def test_csv_invalid_in_its_encoding_later_on_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    head = "nombre;monto\n" + "Peña;1\n" * 20_000  # the sniffed sample is cp1252 …
    path.write_bytes(head.encode("cp1252") + b"\x81\x8d;2\n")  # … then undefined bytes
    with pytest.raises(CorruptFile, match="cp1252"):
        ingest(path, tmp_path / "out")


def test_truncated_workbook_is_refused_without_outputs(tmp_path: Path) -> None:
    whole = sales_xlsx(tmp_path / "in.xlsx").read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(whole[:-200])
    with pytest.raises(CorruptFile):
        ingest(tmp_path / "cut.xlsx", tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_pdf_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").write_bytes(b"%PDF-1.4 fake")
    with pytest.raises(UnsupportedFile):
        ingest(tmp_path / "x.xlsx", tmp_path / "out")
