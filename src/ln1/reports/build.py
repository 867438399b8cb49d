"""``build_report``: one source (ingest, compare or runner) → one PDF in the user's language.

The file is written next to its final name and renamed into place, so a reader never sees a
half-written PDF and a task that is delivered twice (``acks_late``) simply writes the same
bytes again: the output depends only on the input and ``generated_on``.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ln1.reports import content
from ln1.reports.charts import render_png
from ln1.reports.compare import compare_report
from ln1.reports.errors import UnknownReportKind
from ln1.reports.ingest import ingest_report
from ln1.reports.pdf import PageFrame, write_pdf
from ln1.reports.runner import runner_report
from ln1.reports.sources import ReportKind
from ln1.reports.text import Lang, fmt_date, label

ProgressCallback = Callable[[str, float], None]
"""Called as ``progress(stage, fraction)``: stage is "reading", "charts", "layout" or
"done"; fraction grows from 0 to 1 over the whole build."""

KINDS: tuple[ReportKind, ...] = ("ingest", "compare", "runner")


@dataclass(frozen=True)
class ReportResult:
    """What was written: where, how long, and the summary the chat message can reuse."""

    path: Path
    kind: ReportKind
    lang: Lang
    title: str
    summary: str
    pages: int
    charts: int
    size: int
    sha256: str


def build_report(
    kind: str,
    source: Mapping[str, Any],
    out_path: str | os.PathLike[str],
    lang: str,
    *,
    title: str | None = None,
    company: str | None = None,
    progress: ProgressCallback | None = None,
    generated_on: date | None = None,
    region: str | None = None,
) -> ReportResult:
    """Write a PDF report of ``source`` (see :mod:`ln1.reports.sources`) to ``out_path``.

    ``lang`` is "es" or "en" ("es-PE" counts as Spanish; anything else is English).
    ``title`` replaces the default one ("Perfil de datos: ventas.xlsx" …); ``company`` is
    printed in every page's header. ``generated_on`` is the date in the header, default
    today on this machine: pass the company's local date (and pass it again on a retry, so
    the retried file is identical). ``region`` is the company's country
    (:func:`ln1.numbers.company_region`): numbers are written as its readers write them,
    the same way as in the chat; None gives the default convention ("1,234.56").

    Raises :class:`~ln1.reports.errors.UnknownReportKind` for a bad ``kind`` and
    :class:`~ln1.reports.errors.InvalidSource` for a source that does not follow the
    contract; both are worth failing the task over, not retrying.
    """
    language: Lang = "es" if str(lang).lower().startswith("es") else "en"
    report_progress: ProgressCallback = progress or _ignore
    if kind not in KINDS:
        raise UnknownReportKind(f"unknown report kind {kind!r}; expected one of {KINDS}")
    report_progress("reading", 0.0)
    report = _content(kind, source, language, title, report_progress, region)
    charts = [block for block in report.blocks if isinstance(block, content.Chart)]
    images: list[tuple[bytes, float, float]] = []
    for index, chart in enumerate(charts):
        report_progress("charts", 0.3 + 0.4 * index / len(charts))
        images.append(render_png(chart, language, region))
    report_progress("layout", 0.7)
    target = Path(out_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    day = generated_on or date.today()
    frame = PageFrame(
        title=report.title,
        company=company or "",
        date_text=label("generated", language, date=fmt_date(day, language)),
        lang=language,
        region=region,
    )
    try:
        pages = write_pdf(report, temporary, frame, company, images)
        data = temporary.read_bytes()
        os.replace(temporary, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    report_progress("done", 1.0)
    return ReportResult(
        path=target,
        kind=kind,  # type: ignore[arg-type]
        lang=language,
        title=report.title,
        summary=report.summary,
        pages=pages,
        charts=len(charts),
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _content(
    kind: str,
    source: Mapping[str, Any],
    lang: Lang,
    title: str | None,
    progress: ProgressCallback,
    region: str | None,
) -> content.Report:
    if kind == "ingest":
        return ingest_report(source, lang, title, progress, region)  # type: ignore[arg-type]
    if kind == "compare":
        return compare_report(source, lang, title, region)  # type: ignore[arg-type]
    return runner_report(source, lang, title, region)  # type: ignore[arg-type]


def _ignore(_stage: str, _fraction: float) -> None:
    """The default progress callback: nobody is listening."""
