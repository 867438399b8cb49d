"""``ingest`` and ``compare`` tasks: the data engine end to end, plus a PDF when asked.

``ingest``: one file → read (typed Parquet per sheet) → clean → profile of the clean data →
optional PDF. ``compare``: two files → each read and cleaned → compared on inferred keys →
optional PDF. Outputs land under the task's own folder with fixed names, so a task delivered
again rewrites the same files; the records (artifacts, message, status) are written once,
by ``run_job``, after the handler returns. The message and the PDF write numbers the same
way, in the company's convention (``task_region``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ln1.datasets import DatasetError, clean, compare, ingest, profile
from ln1.reports import build_report
from ln1.worker.findings import compare_message, ingest_message, task_region
from ln1.worker.jobs import Job, JobFailed, Outcome

Progress = Callable[[str, float], None]


def _within(progress: Progress, start: float, end: float) -> Progress:
    """A sub-step's 0..1 progress mapped onto [start, end] of the whole task."""

    def report(stage: str, fraction: float) -> None:
        progress(stage, start + (end - start) * max(0.0, min(1.0, fraction)))

    return report


def _failed(error: DatasetError, filename: str) -> JobFailed:
    return JobFailed(
        f"el archivo «{filename}» no se pudo procesar: {error.message}",
        f"file “{filename}” could not be processed: {error.message}",
        f"{error.code}: {error.message}",
    )


def _read_and_clean(
    job: Job, index: int, progress: Progress, start: float, end: float
) -> tuple[list[Path], dict[str, Any], dict[str, Any]]:
    """Ingest and clean input file ``index``; returns clean Parquet paths and both summaries."""
    file = job.files[index]
    middle = start + (end - start) * 0.7
    try:
        read = ingest(
            job.input_path(file), job.path(f"in{index}/read/"), _within(progress, start, middle)
        )
        paths = read.parquet_paths
        if not paths:
            raise JobFailed(
                f"«{file.filename}» no tiene hojas con datos.",
                f"“{file.filename}” has no sheet with data.",
                "no data",
            )
        cleaned = clean(paths, job.path(f"in{index}/clean/"), _within(progress, middle, end))
    except DatasetError as e:
        raise _failed(e, file.filename) from e
    clean_paths = [d.path for d in cleaned.datasets]
    return clean_paths, read.to_dict(), cleaned.to_dict()


def ingest_job(job: Job) -> Outcome:
    if len(job.files) != 1:
        raise JobFailed("esta tarea necesita un archivo.", "this task needs one file.")
    file = job.files[0]
    wants_pdf = bool((job.task.params or {}).get("report"))
    region = task_region(job.task)
    clean_paths, read, cleaned = _read_and_clean(
        job, 0, job.progress, 0.0, 0.8 if wants_pdf else 0.95
    )
    job.progress("profiling", 0.8 if wants_pdf else 0.95)
    sheet_names = [s["name"] for s in read["sheets"] if s["path"]]
    sheets = []
    for name, path in zip(sheet_names, clean_paths, strict=True):
        sheets.append({"name": name, "path": path, "profile": profile(pl.read_parquet(path))})
    result = {
        "file": {"id": file.id, "filename": file.filename, "kind": read["kind"]},
        "read": read,
        "clean": cleaned,
        "sheets": [{"name": s["name"], "profile": s["profile"]} for s in sheets],
    }
    artifacts = [
        job.artifact(
            "parquet", f"{Path(file.filename).stem} - {s['name']}.parquet", _rel(job, s["path"])
        )
        for s in sheets
    ]
    if wants_pdf:
        source = {
            "filename": file.filename,
            "sheets": [_sheet_source(s) for s in sheets],
        }
        pdf = job.path("report.pdf")
        build_report(
            "ingest",
            source,
            pdf,
            job.lang,
            progress=_within(job.progress, 0.8, 1.0),
            generated_on=_today(job),
            region=region,
        )
        artifacts.append(job.artifact("pdf", f"{Path(file.filename).stem}.pdf", "report.pdf"))
    message = ingest_message(
        file.filename, read, cleaned, result["sheets"], job.lang, wants_pdf, region
    )
    return Outcome(result=result, message=message, artifacts=artifacts)


def compare_job(job: Job) -> Outcome:
    if len(job.files) != 2:
        raise JobFailed("para comparar necesito dos archivos.", "to compare I need two files.")
    a, b = job.files
    wants_pdf = bool((job.task.params or {}).get("report"))
    region = task_region(job.task)
    a_paths, _, a_clean = _read_and_clean(job, 0, job.progress, 0.0, 0.35)
    b_paths, _, b_clean = _read_and_clean(job, 1, job.progress, 0.35, 0.7)
    end = 0.85 if wants_pdf else 0.97
    try:
        found = compare(
            _largest(a_paths),
            _largest(b_paths),
            job.path("compare/"),
            progress=_within(job.progress, 0.7, end),
        )
    except DatasetError as e:
        raise JobFailed(
            f"no pude comparar los archivos: {e.message}",
            f"I couldn't compare the files: {e.message}",
            f"{e.code}: {e.message}",
        ) from e
    summary = found.to_dict()
    result = {
        "files": [{"id": f.id, "filename": f.filename} for f in (a, b)],
        "compare": summary,
        "clean": {"a": a_clean["rules"], "b": b_clean["rules"]},
    }
    artifacts = [
        job.artifact("parquet", f"{name}.parquet", f"compare/{name}.parquet")
        for name in ("only_a", "only_b", "changed")
        if job.path(f"compare/{name}.parquet").exists()
    ]
    if wants_pdf:
        source = _compare_source(job, a.filename, b.filename, summary)
        build_report(
            "compare",
            source,
            job.path("report.pdf"),
            job.lang,
            progress=_within(job.progress, end, 1.0),
            generated_on=_today(job),
            region=region,
        )
        artifacts.append(
            job.artifact(
                "pdf", "comparacion.pdf" if job.lang == "es" else "comparison.pdf", "report.pdf"
            )
        )
    message = compare_message(a.filename, b.filename, summary, job.lang, wants_pdf, region)
    return Outcome(result=result, message=message, artifacts=artifacts)


def _largest(paths: list[Path]) -> Path:
    """The sheet a comparison uses: the one with most rows (usually the only one)."""
    return max(paths, key=lambda p: pl.scan_parquet(p).select(pl.len()).collect().item())


def _rel(job: Job, path: Path) -> str:
    return path.relative_to(job.path("")).as_posix()


def _today(job: Job) -> date:
    return job.task.created_at.date()


def _sheet_source(sheet: dict[str, Any]) -> dict[str, Any]:
    prof = sheet["profile"]
    columns = []
    for col in prof["column_profiles"]:
        entry = {k: col[k] for k in ("name", "type", "nulls") if k in col}
        for stat in ("min", "max", "mean", "sum", "distinct"):
            if stat in col:
                entry[stat] = col[stat]
        if col.get("top_values"):
            entry["top"] = [[t["value"], t["count"]] for t in col["top_values"]]
        columns.append(entry)
    return {
        "name": sheet["name"],
        "rows": prof["rows"],
        "columns": columns,
        "duplicates": prof["duplicate_rows"],
        "parquet_path": str(sheet["path"]),
    }


def _compare_source(job: Job, a_name: str, b_name: str, summary: dict[str, Any]) -> dict[str, Any]:
    totals = []
    value_column = None
    for row in summary.get("totals") or []:
        numeric = [k for k in row if k not in ("group", "rows")]
        if value_column is None and numeric:
            value_column = numeric[0]
        if value_column and value_column in row:
            values = row[value_column]
            totals.append({"group": row["group"], "a": values.get("a"), "b": values.get("b")})
    samples = {
        name: str(job.path(f"compare/{name}.parquet"))
        for name in ("only_a", "only_b", "changed")
        if job.path(f"compare/{name}.parquet").exists()
    }
    return {
        "a_name": a_name,
        "b_name": b_name,
        "keys": summary["keys"],
        "only_a": summary["only_a"],
        "only_b": summary["only_b"],
        "changed": summary["changed"],
        "unchanged": summary.get("unchanged"),
        "changed_by_column": summary.get("changes_per_column") or {},
        "group_by": summary.get("group_by"),
        "value_column": value_column,
        "totals": totals,
        "samples": samples,
    }
