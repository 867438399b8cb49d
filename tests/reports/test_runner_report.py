"""A runner result as a PDF: the chat's summary, the period, a chart and the rows."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from ln1.reports import InvalidSource, UnknownReportKind, build_report
from ln1.reports.content import Chart
from ln1.reports.runner import ROW_CAP, runner_report
from ln1.runners.summary import summarize
from tests.reports.conftest import A4_POINTS, TODAY, daily_rows, page_texts, render

EXPECTED = {
    "es": [
        "Resumen",
        "Página 1 de 1",
        "Generado el 24/11/2026",
        "del 01/10/2026 al 31/10/2026",
        "S/ 196,345.85",
        "Lima lidera con S/ 120,345.50",
        "Región",
        "Junín",
        "Panadería Ñaño",
        "ventas (S/)",
        "120,345.50",
        "Gráficos",
    ],
    "en": [
        "Summary",
        "Page 1 of 1",
        "Generated on 2026-11-24",
        "from 2026-10-01 to 2026-10-31",
        "PEN 196,345.85",
        "Lima leads with PEN 120,345.50",
        "Región",
        "Junín",
        "Sales by region",
        "ventas (PEN)",
        "Charts",
    ],
}


def build(source: dict[str, Any], path: Path, lang: str, **kwargs: Any):
    return build_report(
        "runner", source, path, lang, company="Panadería Ñaño S.A.C.", generated_on=TODAY, **kwargs
    )


@pytest.mark.parametrize("lang", ["es", "en"])
def test_runner_report_says_summary_period_and_totals_in_the_users_language(
    tmp_path: Path, runner_source: dict[str, Any], lang: str
) -> None:
    result = build(runner_source, tmp_path / "r.pdf", lang)

    text = " ".join(page_texts(result.path))
    for expected in EXPECTED[lang]:
        assert expected in text, expected
    assert result.pages == 1 and result.charts == 1 and result.lang == lang


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ("CL", ["S/ 196.345,85", "Lima lidera con S/ 120.345,50", "120.345,50", "1.000,10"]),
        ("ES", ["S/ 196.345,85", "Lima lidera con S/ 120.345,50", "1000,10", "unidades 545"]),
        ("PE", ["S/ 196,345.85", "Lima lidera con S/ 120,345.50", "120,345.50", "1,000.10"]),
    ],
)
def test_a_spanish_report_writes_numbers_the_companys_way_like_its_chat(
    tmp_path: Path, runner_source: dict[str, Any], region: str, expected: list[str]
) -> None:
    result = build(runner_source, tmp_path / "r.pdf", "es", region=region)

    text = " ".join(page_texts(result.path))
    for number in expected:
        assert number in text, number
    assert result.summary == summarize(
        runner_source["columns"],
        runner_source["rows"],
        total_rows=len(runner_source["rows"]),
        truncated=False,
        period=runner_source["period"],
        query_description=runner_source["description"],
        lang="es",
        region=region,
    )


@pytest.mark.parametrize("lang", ["es", "en"])
def test_runner_report_pages_are_a4_inked_and_the_chart_has_colour(
    tmp_path: Path, runner_source: dict[str, Any], lang: str
) -> None:
    result = build(runner_source, tmp_path / "r.pdf", lang)

    pages = render(result.path)
    assert len(pages) == result.pages == 1
    for page in pages:
        assert (page.width, page.height) == pytest.approx(A4_POINTS, abs=0.5)
        assert page.ink > 0.02
    assert pages[0].colour > 0.02  # the bars


def test_grouped_result_is_drawn_as_bars_and_a_series_over_days_as_a_line(
    runner_source: dict[str, Any], daily_source: dict[str, Any]
) -> None:
    grouped = [b for b in runner_report(runner_source, "es", None).blocks if isinstance(b, Chart)]
    series = [b for b in runner_report(daily_source, "en", None).blocks if isinstance(b, Chart)]

    assert [chart.kind for chart in grouped] == ["hbar"]
    assert grouped[0].labels[:2] == ("Lima", "Junín")
    assert [chart.kind for chart in series] == ["line"]
    assert len(series[0].dates) == 90


def test_monthly_series_is_a_line_over_months(runner_source: dict[str, Any]) -> None:
    source = {**runner_source, "columns": ["mes", "ventas"]}
    source["rows"] = [["2026-01", 10.0], ["2026-02", 12.5], ["2026-03", 9.0]]

    charts = [b for b in runner_report(source, "es", None).blocks if isinstance(b, Chart)]

    assert charts[0].kind == "line" and charts[0].monthly


@pytest.mark.parametrize(
    ("lang", "more"), [("es", "… y 200 filas más"), ("en", "… and 200 more rows")]
)
def test_long_table_spans_pages_repeats_its_header_and_says_what_was_left_out(
    tmp_path: Path, daily_source: dict[str, Any], lang: str, more: str
) -> None:
    source = {**daily_source, "rows": daily_rows(ROW_CAP + 200)}

    result = build(source, tmp_path / "long.pdf", lang)

    texts = page_texts(result.path)
    assert len(texts) > 10
    table_pages = [text for text in texts if "1,003.50" in text or "fecha ventas" in text]
    assert all("fecha ventas" in text for text in texts[2:-1])  # the header on every page
    assert table_pages
    assert more in texts[-1]
    last = "Page {0} of {0}" if lang == "en" else "Página {0} de {0}"
    assert last.format(len(texts)) in texts[-1]


@pytest.mark.parametrize(
    ("lang", "words"), [("es", "No hay datos para mostrar."), ("en", "There is no data to show.")]
)
def test_empty_result_gives_a_short_valid_pdf_that_says_there_is_no_data(
    tmp_path: Path, runner_source: dict[str, Any], lang: str, words: str
) -> None:
    source = {**runner_source, "rows": []}

    result = build(source, tmp_path / "empty.pdf", lang)

    pages = render(result.path)
    assert len(pages) == 1 and pages[0].colour < 0.01  # no chart
    assert words in page_texts(result.path)[0]
    assert result.charts == 0


def test_hostile_text_neither_crashes_nor_turns_into_markup(
    tmp_path: Path, runner_source: dict[str, Any]
) -> None:
    long_cell = "Bodega " + "muy-larga-" * 2000
    source = {
        **runner_source,
        "question": "<b>¿ventas?</b> & <script>alert(1)</script> 🧾",
        "rows": [
            [long_cell, 10.0, 1],
            ["<b>Negrita</b> <para>", 20.0, 2],
            ["Emoji 😀👍🏽 y $x^2$ ñandú", 30.0, 3],
            ["control\x00\x07chars\r\nnewline", 40.0, 4],
            [None, None, None],
        ],
    }

    result = build(source, tmp_path / "hostile.pdf", "es", title="<i>Título</i> " * 40)

    text = " ".join(page_texts(result.path))
    assert "<b>Negrita</b>" in text
    assert "ñandú" in text
    assert "controlchars newline" in text
    assert "muy-larga-muy-larga" in text
    assert all(page.ink > 0.01 for page in render(result.path))


def test_same_input_gives_the_same_file(tmp_path: Path, runner_source: dict[str, Any]) -> None:
    first = build(runner_source, tmp_path / "a.pdf", "es")
    second = build(runner_source, tmp_path / "b.pdf", "es")

    assert first.sha256 == second.sha256
    assert page_texts(first.path) == page_texts(second.path)


def test_writing_again_replaces_the_file_and_leaves_no_temporary_behind(
    tmp_path: Path, runner_source: dict[str, Any]
) -> None:
    target = tmp_path / "out" / "report.pdf"
    build(runner_source, target, "es")
    result = build(runner_source, target, "en")

    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]
    assert "Summary" in page_texts(target)[0]
    assert result.size == target.stat().st_size


def test_progress_goes_from_reading_to_done_without_going_back(
    tmp_path: Path, runner_source: dict[str, Any]
) -> None:
    calls: list[tuple[str, float]] = []

    build(runner_source, tmp_path / "p.pdf", "es", progress=lambda s, f: calls.append((s, f)))

    stages = [stage for stage, _ in calls]
    assert stages[0] == "reading" and calls[-1] == ("done", 1.0)
    assert "charts" in stages and "layout" in stages
    fractions = [fraction for _, fraction in calls]
    assert fractions == sorted(fractions)


def test_a_failed_build_leaves_no_file(tmp_path: Path, runner_source: dict[str, Any]) -> None:
    def broken(stage: str, _fraction: float) -> None:
        if stage == "layout":
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        build(runner_source, tmp_path / "x.pdf", "es", progress=broken)

    assert list(tmp_path.iterdir()) == []


def test_rows_that_do_not_match_the_columns_are_refused(
    tmp_path: Path, runner_source: dict[str, Any]
) -> None:
    source = {**runner_source, "rows": [["Lima", 1.0]]}

    with pytest.raises(InvalidSource, match="row 0"):
        build(source, tmp_path / "bad.pdf", "es")


def test_an_unknown_kind_is_refused(tmp_path: Path, runner_source: dict[str, Any]) -> None:
    with pytest.raises(UnknownReportKind):
        build_report("pie", runner_source, tmp_path / "x.pdf", "es")


def test_a_thousand_row_report_with_a_chart_builds_in_well_under_five_seconds(
    tmp_path: Path, daily_source: dict[str, Any]
) -> None:
    source = {**daily_source, "rows": daily_rows(1000)}

    started = time.perf_counter()
    result = build(source, tmp_path / "big.pdf", "es")
    elapsed = time.perf_counter() - started

    assert result.pages > 15
    assert elapsed < 3.0, elapsed
