"""A comparison as a PDF: counts, changes per column, totals A vs B with deltas, sample rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ln1.reports import InvalidSource, build_report
from tests.reports.conftest import A4_POINTS, TODAY, page_texts, render

EXPECTED = {
    "es": [
        "Resumen",
        "Página 1 de 3",
        "30 filas solo en A, 0 solo en B y 1,234 con cambios.",
        "La columna con más cambios es «monto» (1,000 filas).",
        "S/ 805,000.00",
        "S/ 811,000.00",
        "+S/ 6,000.00, +0.7%",
        "La mayor diferencia está en Junín (+S/ 8,000.00).",
        "Cambios por columna",
        "Totales por región: A vs B",
        "Filas solo en A",
        "Filas con cambios",
        "… y 1,231 filas más.",
        "Cliente 29",
    ],
    "en": [
        "Summary",
        "Page 1 of 3",
        "30 rows only in A, 0 only in B and 1,234 changed.",
        "PEN 805,000.00",
        "+PEN 6,000.00, +0.7%",
        "The biggest difference is in Junín (+PEN 8,000.00).",
        "Changes by column",
        "Totals by región: A vs B",
        "Rows only in A",
        "… and 1,231 more rows.",
    ],
}


@pytest.mark.parametrize("lang", ["es", "en"])
def test_compare_report_shows_counts_deltas_and_samples_in_the_users_language(
    tmp_path: Path, compare_source: dict[str, Any], lang: str
) -> None:
    result = build_report("compare", compare_source, tmp_path / "c.pdf", lang, generated_on=TODAY)

    text = " ".join(page_texts(result.path))
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    assert result.charts == 2


def test_a_spanish_comparison_for_a_company_in_argentina_swaps_the_separators(
    tmp_path: Path, compare_source: dict[str, Any]
) -> None:
    result = build_report(
        "compare", compare_source, tmp_path / "c.pdf", "es", generated_on=TODAY, region="AR"
    )

    text = " ".join(page_texts(result.path))
    for expected in [
        "30 filas solo en A, 0 solo en B y 1.234 con cambios.",
        "S/ 805.000,00",
        "+S/ 6.000,00, +0,7%",
        "… y 1.231 filas más.",
    ]:
        assert expected in text, expected


def test_compare_report_pages_are_a4_and_the_charts_are_drawn(
    tmp_path: Path, compare_source: dict[str, Any]
) -> None:
    result = build_report("compare", compare_source, tmp_path / "c.pdf", "es", generated_on=TODAY)

    pages = render(result.path)
    assert len(pages) == result.pages
    assert all((p.width, p.height) == pytest.approx(A4_POINTS, abs=0.5) for p in pages)
    assert all(page.ink > 0.01 for page in pages)
    assert max(page.colour for page in pages) > 0.05


def test_identical_datasets_say_there_is_no_difference(tmp_path: Path) -> None:
    source = {
        "a_name": "a.csv",
        "b_name": "b.csv",
        "keys": [],
        "only_a": 0,
        "only_b": 0,
        "changed": 0,
        "changed_by_column": {},
    }

    result = build_report("compare", source, tmp_path / "same.pdf", "en", generated_on=TODAY)

    assert result.pages == 1 and result.charts == 0
    assert "the rows do not differ" in page_texts(result.path)[0]


def test_a_compare_source_without_counts_is_refused(
    tmp_path: Path, compare_source: dict[str, Any]
) -> None:
    del compare_source["changed"]

    with pytest.raises(InvalidSource, match="'changed'"):
        build_report("compare", compare_source, tmp_path / "x.pdf", "es")
