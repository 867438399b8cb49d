"""Compare: keys given or inferred, rows only in A / only in B, changed cells, totals by group."""

from __future__ import annotations

import json
import time
from pathlib import Path

import polars as pl
import pytest

from ln1.datasets import BadColumn, BadKey, compare


def pair(tmp_path: Path, a: pl.DataFrame, b: pl.DataFrame) -> tuple[Path, Path]:
    a.write_parquet(tmp_path / "a.parquet")
    b.write_parquet(tmp_path / "b.parquet")
    return tmp_path / "a.parquet", tmp_path / "b.parquet"


A = pl.DataFrame(
    {
        "sku": ["P1", "P2", "P3", "P4"],
        "sucursal": ["Lima", "Lima", "Cusco", "Cusco"],
        "stock": [10, 20, 30, 40],
        "precio": [1.5, 2.5, 3.5, 4.5],
        "nombre": ["Café", "Té", "Maíz", "Piña"],
    }
)
B = pl.DataFrame(
    {
        "sku": ["P2", "P3", "P4", "P5"],
        "sucursal": ["Lima", "Cusco", "Cusco", "Lima"],
        "stock": [20, 35, 40, 50],
        "precio": [2.5, 3.5, 4.75, 9.0],
        "nombre": ["Té", "Maíz", "Piña", "Quinua"],
    }
)


def test_small_frames_give_exact_differences(tmp_path: Path) -> None:
    result = compare(*pair(tmp_path, A, B), tmp_path / "out")
    assert (result.keys, result.keys_inferred) == (["sku"], True)
    assert (result.only_a, result.only_b, result.changed, result.unchanged) == (1, 1, 2, 1)
    assert result.changes_per_column == {"sucursal": 0, "stock": 1, "precio": 1, "nombre": 0}
    assert pl.read_parquet(result.paths["only_a"]).get_column("sku").to_list() == ["P1"]
    assert pl.read_parquet(result.paths["only_b"]).rows() == [("P5", "Lima", 50, 9.0, "Quinua")]
    changed = pl.read_parquet(result.paths["changed"]).sort("sku")
    assert changed.select("sku", "changed_columns", "stock__a", "stock__b").rows() == [
        ("P3", ["stock"], 30, 35),
        ("P4", ["precio"], 40, 40),
    ]
    assert changed.select("precio__a", "precio__b").row(1) == (4.5, 4.75)


def test_totals_by_inferred_group_with_deltas(tmp_path: Path) -> None:
    result = compare(*pair(tmp_path, A, B), tmp_path / "out")
    assert result.group_by == "sucursal"
    lima = next(t for t in result.totals if t["group"] == "Lima")
    assert lima["stock"] == {
        "a": 30.0,
        "b": 70.0,
        "delta": 40.0,
        "delta_pct": pytest.approx(133.3333),
    }
    assert lima["rows"]["delta"] == 0
    cusco = next(t for t in result.totals if t["group"] == "Cusco")
    assert cusco["precio"]["delta"] == pytest.approx(0.25)
    totals = pl.read_parquet(result.paths["totals"])
    assert set(totals.get_column("sucursal")) == {"Lima", "Cusco"}


def test_summary_json_is_written(tmp_path: Path) -> None:
    result = compare(*pair(tmp_path, A, B), tmp_path / "out")
    saved = json.loads(result.summary_path.read_text())
    assert saved["changed"] == 2 and saved["paths"]["changed"] == "changed.parquet"
    assert saved == json.loads(json.dumps(result.to_dict()))


def test_composite_key_is_inferred_when_no_column_is_unique(tmp_path: Path) -> None:
    a = pl.DataFrame({"tienda": ["T1", "T1", "T2"], "codigo": [1, 2, 1], "venta": [5, 6, 7]})
    b = pl.DataFrame({"tienda": ["T1", "T1", "T2"], "codigo": [1, 2, 1], "venta": [5, 9, 7]})
    result = compare(*pair(tmp_path, a, b), tmp_path / "out")
    assert sorted(result.keys) == ["codigo", "tienda"]
    assert result.changed == 1


def test_given_keys_must_be_unique(tmp_path: Path) -> None:
    with pytest.raises(BadKey, match="not unique") as caught:
        compare(*pair(tmp_path, A, B), tmp_path / "out", keys=["sucursal"])
    assert caught.value.code == "bad_key"


def test_missing_key_column_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadKey, match="not in dataset"):
        compare(*pair(tmp_path, A, B), tmp_path / "out", keys=["id"])


def test_no_possible_key_is_a_clear_error(tmp_path: Path) -> None:
    same = pl.DataFrame({"x": [1, 1], "y": ["a", "a"]})
    with pytest.raises(BadKey, match="give the key columns"):
        compare(*pair(tmp_path, same, same), tmp_path / "out")


def test_unknown_group_column_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadColumn):
        compare(*pair(tmp_path, A, B), tmp_path / "out", group_by="region")


def test_nulls_and_float_noise_are_not_changes(tmp_path: Path) -> None:
    a = pl.DataFrame({"id": [1, 2, 3], "v": [0.1 + 0.2, None, 1.0], "t": [None, "x", "y"]})
    b = pl.DataFrame({"id": [1, 2, 3], "v": [0.3, None, None], "t": [None, "x", "y"]})
    result = compare(*pair(tmp_path, a, b), tmp_path / "out")
    assert result.changed == 1
    assert result.changes_per_column == {"v": 1, "t": 0}


def test_columns_with_different_types_are_compared_as_text(tmp_path: Path) -> None:
    a = pl.DataFrame({"id": [1, 2], "extra": [1, 2], "v": [1, 2]})
    b = pl.DataFrame({"id": [1, 2], "v": ["1", "3"]})
    result = compare(*pair(tmp_path, a, b), tmp_path / "out")
    assert result.compared_as_text == ["v"]
    assert result.columns_only_in_a == ["extra"]
    assert result.changed == 1


def test_two_million_row_sheets(tmp_path: Path) -> None:
    n = 1_000_000
    i = pl.int_range(0, n, eager=True)
    a = pl.DataFrame(
        {
            "factura": 5_000_000 + i,
            "sucursal": pl.select(pl.format("Sucursal {}", i % 12)).to_series(),
            "cantidad": 1 + i % 48,
            "total": (i % 25_000).cast(pl.Float64) / 100,
        }
    )
    # B: drops the first 10,000 invoices, adds 10,000 new ones, changes every 20th total
    b = (
        a.slice(10_000)
        .vstack(a.head(10_000).with_columns(pl.col("factura") + n))
        .with_columns(
            total=pl.when(pl.col("factura") % 20 == 0).then(pl.col("total") + 1).otherwise("total")
        )
    )
    paths = pair(tmp_path, a, b)
    started = time.perf_counter()
    result = compare(*paths, tmp_path / "out")
    elapsed = time.perf_counter() - started
    assert result.keys == ["factura"]
    assert (result.only_a, result.only_b) == (10_000, 10_000)
    assert result.changed == (n - 10_000) // 20
    assert result.changes_per_column == {"sucursal": 0, "cantidad": 0, "total": result.changed}
    assert result.group_by == "sucursal"
    assert elapsed < 15
