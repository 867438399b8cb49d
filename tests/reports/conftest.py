"""Sources for the three kinds of report, and helpers that look at a PDF as a reader would.

Pages are rendered to pixels with pypdfium2 (what a viewer shows) and their text extracted
with pypdf (what a search or a screen reader finds), so a test checks the real output rather
than the builder's intentions.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import pypdfium2 as pdfium
import pytest
from pypdf import PdfReader

A4_POINTS = (595.28, 841.89)
TODAY = date(2026, 11, 24)
REGIONS = ["Lima", "Junín", "Cusco", "Arequipa", "Piura", "La Libertad", "Áncash"]


@dataclass
class Page:
    width: float
    height: float
    pixels: np.ndarray  # RGB, 1 pixel per point

    @property
    def ink(self) -> float:
        """Share of pixels that are not white."""
        return float((self.pixels.min(axis=2) < 245).mean())

    @property
    def colour(self) -> float:
        """Share of clearly coloured (not grey) pixels: chart bars and lines."""
        channels = self.pixels.astype(int)
        return float(((channels.max(axis=2) - channels.min(axis=2)) > 60).mean())


def render(path: Path) -> list[Page]:
    document = pdfium.PdfDocument(str(path))
    try:
        pages = []
        for page in document:
            width, height = page.get_size()
            image = page.render(scale=1).to_pil().convert("RGB")
            pages.append(Page(width, height, np.asarray(image)))
        return pages
    finally:
        document.close()


def page_texts(path: Path) -> list[str]:
    """Each page's text with whitespace (including no-break spaces) collapsed to one space."""
    reader = PdfReader(str(path))
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in reader.pages]


@pytest.fixture
def runner_source() -> dict[str, Any]:
    return {
        "question": "¿Cuánto vendimos por región en octubre?",
        "description": "Ventas por región / Sales by region",
        "period": {"start": "2026-10-01", "end": "2026-10-31"},
        "columns": ["Región", "ventas", "unidades"],
        "rows": [
            ["Lima", 120345.5, 340],
            ["Junín", 45000.25, 120],
            ["Cusco", 30000, 80],
            ["Piura", 1000.1, 5],
        ],
        "currency": "PEN",
    }


def daily_rows(count: int) -> list[list[Any]]:
    start = date(2026, 1, 1)
    return [[(start + timedelta(days=i)).isoformat(), 1000 + i * 3.5] for i in range(count)]


@pytest.fixture
def daily_source() -> dict[str, Any]:
    return {
        "question": "ventas por día",
        "description": "Ventas por día / Sales by day",
        "period": {"start": "2026-01-01", "end": "2026-03-31"},
        "columns": ["fecha", "ventas"],
        "rows": daily_rows(90),
    }


@pytest.fixture
def sales_parquet(tmp_path: Path) -> tuple[Path, pl.DataFrame]:
    generator = random.Random(7)
    rows = 5000
    frame = pl.DataFrame(
        {
            "id_venta": list(range(rows)),
            "fecha": [date(2026, 1, 1) + timedelta(days=i % 240) for i in range(rows)],
            "región": [REGIONS[i % len(REGIONS)] for i in range(rows)],
            "cliente": [f"Cliente {i % 700}" for i in range(rows)],
            "monto": [round(generator.random() * 1000, 2) for _ in range(rows)],
            "unidades": [generator.randint(1, 9) for _ in range(rows)],
        }
    )
    path = tmp_path / "ventas.parquet"
    frame.write_parquet(path)
    return path, frame


def profile(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """A profile in the contract's shape, computed the simple way."""
    columns = []
    for name in frame.columns:
        series = frame[name]
        numeric = series.dtype.is_numeric()
        top = []
        if series.dtype == pl.String:
            counts = series.value_counts(sort=True).head(5)
            top = [[value, count] for value, count in counts.rows()]
        columns.append(
            {
                "name": name,
                "type": str(series.dtype),
                "nulls": series.null_count(),
                "min": series.min() if numeric else str(series.min()),
                "max": series.max() if numeric else str(series.max()),
                "mean": series.mean() if numeric else None,
                "sum": series.sum() if numeric else None,
                "top": top,
            }
        )
    return columns


@pytest.fixture
def ingest_source(sales_parquet: tuple[Path, pl.DataFrame]) -> dict[str, Any]:
    path, frame = sales_parquet
    return {
        "filename": "ventas_2026 Año.xlsx",
        "sheets": [
            {
                "name": "Ventas",
                "rows": frame.height,
                "columns": profile(frame),
                "duplicates": 12,
                "parquet_path": str(path),
            },
            {"name": "Vacía", "rows": 0, "columns": [], "duplicates": 0},
        ],
    }


@pytest.fixture
def compare_source(tmp_path: Path, sales_parquet: tuple[Path, pl.DataFrame]) -> dict[str, Any]:
    _, frame = sales_parquet
    only_a = tmp_path / "only_a.parquet"
    frame.head(30).write_parquet(only_a)
    changed = tmp_path / "changed.parquet"
    pl.DataFrame(
        {
            "id_venta": [1, 2, 3],
            "columna": ["monto", "monto", "región"],
            "a": ["10.00", "20.00", "Lima"],
            "b": ["12.00", "25.00", "Junín"],
        }
    ).write_parquet(changed)
    return {
        "a_name": "octubre.xlsx",
        "b_name": "noviembre.xlsx",
        "keys": ["id_venta"],
        "only_a": 30,
        "only_b": 0,
        "changed": 1234,
        "unchanged": 18000,
        "changed_by_column": {"monto": 1000, "región": 200, "unidades": 34},
        "group_by": "región",
        "value_column": "monto",
        "totals": [
            {"group": group, "a": 100000.0 + i * 5000, "b": 100000.0 + i * 4000 + (i % 2) * 9000}
            for i, group in enumerate(REGIONS)
        ],
        "samples": {"only_a": str(only_a), "only_b": None, "changed": str(changed)},
        "currency": "PEN",
    }
