"""An ingest profile as a PDF: per sheet the columns, their top values, and charts of the data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ln1.reports import InvalidSource, build_report
from ln1.reports.content import Chart
from ln1.reports.ingest import ingest_report
from tests.reports.conftest import A4_POINTS, REGIONS, TODAY, page_texts, render

EXPECTED = {
    "es": [
        "Resumen",
        "Página 1 de",
        "«ventas_2026 Año.xlsx»: 2 hojas, 5,000 filas en total.",
        "Hoja «Ventas»",
        "Columnas",
        "entero",
        "texto",
        "Valores más frecuentes",
        "Junín",
        "región",
        "Hoja «Vacía»",
        "No hay datos para mostrar.",
    ],
    "en": [  # chart titles are pixels, not text: the charts are checked in the report's content
        "Summary",
        "Page 1 of",
        "“ventas_2026 Año.xlsx”: 2 sheets, 5,000 rows in all.",
        "Sheet “Ventas”",
        "Columns",
        "integer",
        "text",
        "Top values",
        "Junín",
        "There is no data to show.",
    ],
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_ingest_report_profiles_each_sheet_in_the_users_language(
    tmp_path: Path, ingest_source: dict[str, Any], lang: str
) -> None:
    result = build_report(
        "ingest", ingest_source, tmp_path / "i.pdf", lang, company="ACME", generated_on=TODAY
    )

    text = " ".join(page_texts(result.path))
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    assert result.charts == 2


def test_ingest_report_pages_are_a4_and_the_charts_are_drawn(
    tmp_path: Path, ingest_source: dict[str, Any]
) -> None:
    result = build_report("ingest", ingest_source, tmp_path / "i.pdf", "es", generated_on=TODAY)

    pages = render(result.path)
    assert len(pages) == result.pages >= 2
    assert all((p.width, p.height) == pytest.approx(A4_POINTS, abs=0.5) for p in pages)
    assert all(page.ink > 0.01 for page in pages)
    assert max(page.colour for page in pages) > 0.05


def test_charts_sum_the_money_column_not_the_identifier(ingest_source: dict[str, Any]) -> None:
    report = ingest_report(ingest_source, "es", None, lambda stage, fraction: None)

    charts = [block for block in report.blocks if isinstance(block, Chart)]
    assert [chart.kind for chart in charts] == ["hbar", "line"]
    bars = charts[0]
    assert bars.series[0].name == "monto"
    assert set(bars.labels) == set(REGIONS)
    assert list(bars.series[0].values) == sorted(bars.series[0].values, reverse=True)
    assert charts[1].monthly and len(charts[1].dates) == 8


def test_a_file_with_no_sheets_gives_a_short_report_saying_so(tmp_path: Path) -> None:
    source = {"filename": "vacío.csv", "sheets": []}

    result = build_report("ingest", source, tmp_path / "e.pdf", "es", generated_on=TODAY)

    assert result.pages == 1
    assert "No hay datos para mostrar." in page_texts(result.path)[0]


def test_a_missing_parquet_file_is_refused(tmp_path: Path, ingest_source: dict[str, Any]) -> None:
    ingest_source["sheets"][0]["parquet_path"] = str(tmp_path / "gone.parquet")

    with pytest.raises(InvalidSource, match="does not exist"):
        build_report("ingest", ingest_source, tmp_path / "x.pdf", "es")


def test_a_profile_without_parquet_still_gives_tables(
    tmp_path: Path, ingest_source: dict[str, Any]
) -> None:
    ingest_source["sheets"][0]["parquet_path"] = None

    result = build_report("ingest", ingest_source, tmp_path / "t.pdf", "en", generated_on=TODAY)

    assert result.charts == 0
    assert "Top values" in " ".join(page_texts(result.path))
