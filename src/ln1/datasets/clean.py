"""Cleaning an ingested dataset: headers, blanks, Spanish/European formats, empty and repeated rows.

Every rule is a polars expression over whole columns (no Python loop over rows), so a
1.8M-row sheet cleans in about a second. Every change is counted in the report, per rule
and per column, because the user must be able to see what was done to their data.

Type coercion of text columns is decided per column, from the share of its non-empty
values that parse (first on a sample, then on the whole column):

- **numbers**: ``1.234,56``, ``1,234.56``, ``S/ 1,200.00``, ``$ 1.200``, ``-1.234``,
  ``(1.234,56)``, ``12,5 %`` (a percentage becomes a fraction, 0.125). Which separator is
  the decimal one is decided per column from the values that are unambiguous
  (``1.234,56``, ``12,5``); when every value is ambiguous (``1.200``) the separator that
  appears is taken as the thousands separator, as in Latin-American prices. Whole numbers
  become integers. A column with a value like ``00123`` is a code (DNI, account) and stays
  text, since its leading zeros matter.
- **dates**: ``24/11/2026``, ``24-11-26``, ``24-nov-2026``, ``24 de noviembre de 2026``,
  ``2026-11-24`` (optionally with a time, giving a datetime). Day first, unless a value
  proves the column is month first (``11/24/2026``).

A column is converted when at least ``COERCE_MIN_SHARE`` (98%) of its non-empty values
parse. The few that do not are never silently dropped: they become null in the typed
column, are counted as ``unparsed`` with examples in the report, and their original text
is kept in an added column ``<name>__original`` (null where the value parsed). Below the
threshold the column stays text, and the report says what share would have parsed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ln1.datasets.errors import DatasetError
from ln1.datasets.ingest import Progress, no_progress, type_name, write_json, write_parquet
from ln1.orchestrator.intent.periods import MONTHS

COERCE_MIN_SHARE = 0.98
SAMPLE_VALUES = 2_000
UNPARSED_EXAMPLES = 5
SUMMARY_NAME = "clean.json"

_CURRENCY = r"(s/\.?|us\$|\$|€|£|usd|pen|eur|mxn|cop|clp|ars|soles)"
_EU = r"^(\d{1,3}(\.\d{3})+|\d+)(,\d+)?$"
_US = r"^(\d{1,3}(,\d{3})+|\d+)(\.\d+)?$"
_MONTHS = MONTHS  # the chat's month words (es/en, abbreviations, "setiembre")
# longest first: replace_many takes the first listed pattern that matches at a position
_MONTH_NAMES = sorted(_MONTHS, key=len, reverse=True)
_TIME = r"[ t](\d{1,2}):(\d{2})(?::(\d{2}))?(?:\.\d+)?$"


@dataclass(frozen=True)
class ColumnReport:
    name: str
    original_name: str
    type_before: str
    type_after: str
    format: str | None = None
    trimmed: int = 0
    blank_to_null: int = 0
    parsed: int = 0
    unparsed: int = 0
    unparsed_examples: list[str] = field(default_factory=list)
    parse_share: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "original_name": self.original_name,
            "type_before": self.type_before,
            "type_after": self.type_after,
            "format": self.format,
            "trimmed": self.trimmed,
            "blank_to_null": self.blank_to_null,
            "parsed": self.parsed,
            "unparsed": self.unparsed,
            "unparsed_examples": self.unparsed_examples,
            "parse_share": self.parse_share,
        }


@dataclass(frozen=True)
class CleanedDataset:
    source: Path
    path: Path
    rows_in: int
    rows_out: int
    rules: dict[str, int]
    columns: list[ColumnReport]

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.name,
            "path": self.path.name,
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rules": self.rules,
            "columns": [c.to_dict() for c in self.columns],
        }


@dataclass(frozen=True)
class CleanResult:
    datasets: list[CleanedDataset]
    summary_path: Path

    @property
    def rules(self) -> dict[str, int]:
        total: dict[str, int] = {}
        for dataset in self.datasets:
            for rule, count in dataset.rules.items():
                total[rule] = total.get(rule, 0) + count
        return total

    def to_dict(self) -> dict[str, Any]:
        return {"rules": self.rules, "datasets": [d.to_dict() for d in self.datasets]}


def clean(
    paths: Path | str | Sequence[Path | str],
    out_dir: Path | str,
    progress: Progress | None = None,
) -> CleanResult:
    """Clean each Parquet dataset into ``out_dir/<stem>.clean.parquet``; report in ``clean.json``.

    Rules, in order: header normalisation, trimming (blank text becomes null), type
    coercion, empty-row removal, duplicate-row removal (first occurrence kept).
    """
    sources = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    stems = [p.stem for p in sources]
    if len(set(stems)) != len(stems):
        raise DatasetError("Two datasets to clean have the same file name; outputs would clash.")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report = progress or no_progress
    datasets = []
    for n, source in enumerate(sources):

        def step(stage: str, fraction: float, n: int = n) -> None:
            report(stage, (n + fraction) / len(sources))

        datasets.append(_clean_one(source, out_dir / f"{source.stem}.clean.parquet", step))
    result = CleanResult(datasets, out_dir / SUMMARY_NAME)
    write_json(result.summary_path, result.to_dict())
    report("done", 1.0)
    return result


def _clean_one(source: Path, target: Path, step: Progress) -> CleanedDataset:
    step("reading", 0.0)
    frame = pl.read_parquet(source)
    rows_in = frame.height
    originals = list(frame.columns)
    types_before = {c: type_name(t) for c, t in frame.schema.items()}

    step("headers", 0.1)
    names = normalise_headers(originals)
    frame = frame.rename(dict(zip(originals, names, strict=True)))
    renamed = sum(a != b for a, b in zip(originals, names, strict=True))

    step("trimming", 0.2)
    frame, trims = _trim(frame)

    step("coercing", 0.35)
    frame, coercions = _coerce(frame)

    step("rows", 0.75)
    before = frame.height
    frame = frame.filter(~pl.all_horizontal(pl.all().is_null())) if frame.width else frame
    empty_rows = before - frame.height
    before = frame.height
    if frame.height and frame.hash_rows().is_duplicated().any():
        frame = frame.unique(maintain_order=True, keep="first")
    duplicates = before - frame.height

    step("writing", 0.85)
    write_parquet(frame, target)

    columns = []
    for original, name in zip(originals, names, strict=True):
        trimmed, blanks = trims.get(name, (0, 0))
        c = coercions.get(name, {})
        columns.append(
            ColumnReport(
                name=name,
                original_name=original,
                type_before=types_before[original],
                type_after=type_name(frame.schema[name]),
                trimmed=trimmed,
                blank_to_null=blanks,
                **c,
            )
        )
    coerced = [c for c in columns if c.format is not None and c.type_after != "text"]
    rules = {
        "headers_renamed": renamed,
        "cells_trimmed": sum(c.trimmed for c in columns),
        "blanks_to_null": sum(c.blank_to_null for c in columns),
        "columns_coerced": len(coerced),
        "values_coerced": sum(c.parsed for c in coerced),
        "values_unparsed": sum(c.unparsed for c in coerced),
        "empty_rows_removed": empty_rows,
        "duplicate_rows_removed": duplicates,
    }
    return CleanedDataset(source, target, rows_in, frame.height, rules, columns)


# --- headers -------------------------------------------------------------------------------


def normalise_header(name: str, position: int) -> str:
    """``"  Precio  Unitario (S/) "`` → ``precio_unitario_s``; blank → ``column_<n>``."""
    generated = re.fullmatch(r"__UNNAMED__(\d+)", name)
    if generated:
        return f"column_{int(generated.group(1)) + 1}"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^0-9a-zA-Z]+", "_", ascii_name.strip().lower()).strip("_")
    return ascii_name or f"column_{position + 1}"


def normalise_headers(names: Sequence[str]) -> list[str]:
    """Normalise each header, then make repeats unique: ``monto``, ``monto_2``, ``monto_3``."""
    result: list[str] = []
    taken: set[str] = set()
    for position, name in enumerate(names):
        base = normalise_header(name, position)
        candidate, n = base, 1
        while candidate in taken:
            n += 1
            candidate = f"{base}_{n}"
        taken.add(candidate)
        result.append(candidate)
    return result


# --- trimming ------------------------------------------------------------------------------


def _trim(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, tuple[int, int]]]:
    """Strip surrounding whitespace; text that is only whitespace becomes null."""
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text:
        return frame, {}
    stripped = {c: pl.col(c).str.strip_chars() for c in text}
    counts = frame.select(
        [(pl.col(c) != stripped[c]).sum().alias(f"{c}\x00t") for c in text]
        + [(stripped[c] == "").sum().alias(f"{c}\x00b") for c in text]
    ).row(0, named=True)
    frame = frame.with_columns(
        pl.when(stripped[c] == "").then(None).otherwise(stripped[c]).alias(c) for c in text
    )
    return frame, {c: (counts[f"{c}\x00t"], counts[f"{c}\x00b"]) for c in text}


# --- coercion ------------------------------------------------------------------------------


def _coerce(frame: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, dict[str, Any]]]:
    text = [c for c, t in frame.schema.items() if t == pl.String]
    reports: dict[str, dict[str, Any]] = {}
    for name in text:
        values = frame.get_column(name)
        present = values.len() - values.null_count()
        if present == 0:
            continue
        sample = values.drop_nulls().head(SAMPLE_VALUES)
        choice = _best_parse(sample)
        if choice is None:
            continue
        parsed, fmt = _parse(values, choice)
        ok = parsed.len() - parsed.null_count()
        share = ok / present
        if share < COERCE_MIN_SHARE:
            reports[name] = {"format": None, "parse_share": round(share, 4)}
            continue
        failed = parsed.is_null() & values.is_not_null()
        unparsed = int(failed.sum())
        examples = values.filter(failed).unique(maintain_order=True).head(UNPARSED_EXAMPLES)
        columns = [parsed.alias(name)]
        if unparsed:
            columns.append(
                values.zip_with(failed, pl.Series([None], dtype=pl.String)).alias(
                    f"{name}__original"
                )
            )
        frame = frame.with_columns(columns)
        reports[name] = {
            "format": fmt,
            "parsed": ok,
            "unparsed": unparsed,
            "unparsed_examples": examples.to_list(),
            "parse_share": round(share, 4),
        }
    return frame, reports


def _best_parse(sample: pl.Series) -> str | None:
    """``"number"`` or ``"date"`` if enough of the sample parses as one; else ``None``."""
    present = sample.len()
    best: tuple[float, str] | None = None
    for kind in ("number", "date"):
        parsed, _ = _parse(sample, kind)
        share = (parsed.len() - parsed.null_count()) / present
        if share >= COERCE_MIN_SHARE and (best is None or share > best[0]):
            best = (share, kind)
    return best[1] if best else None


def _parse(values: pl.Series, kind: str) -> tuple[pl.Series, str]:
    frame = values.to_frame("v")
    return _parse_numbers(frame) if kind == "number" else _parse_dates(frame)


def _parse_numbers(frame: pl.DataFrame) -> tuple[pl.Series, str]:
    s = pl.col("v").str.to_lowercase().str.replace_all(r"[\s\u00a0\u202f]", "")
    parts = frame.select(
        percent=s.str.ends_with("%"),
        body=s.str.strip_chars_end("%"),
    ).with_columns(
        paren=pl.col("body").str.starts_with("(") & pl.col("body").str.ends_with(")"),
        body=pl.col("body").str.strip_chars("()"),
    ).with_columns(
        sign1=pl.col("body").str.starts_with("-"),
        body=pl.col("body").str.strip_chars_start("+-").str.replace(f"^{_CURRENCY}", ""),
    ).with_columns(
        sign2=pl.col("body").str.starts_with("-"),
        body=pl.col("body").str.strip_chars_start("+-").str.replace(f"{_CURRENCY}$", ""),
    )  # fmt: skip
    body = pl.col("body")
    votes = parts.select(
        eu=(body.str.contains(_EU) & ~body.str.contains(_US)).sum(),
        us=(body.str.contains(_US) & ~body.str.contains(_EU)).sum(),
        dots=body.str.contains(".", literal=True).sum(),
        commas=body.str.contains(",", literal=True).sum(),
        code=(body.str.contains(r"^0\d+$") & ~pl.col("percent")).any(),
    ).row(0, named=True)
    if votes["code"]:  # a leading zero marks an identifier: never a number
        return pl.Series("v", [None] * frame.height, dtype=pl.Float64), "number"
    if votes["eu"] != votes["us"]:
        european = votes["eu"] > votes["us"]
    else:  # all ambiguous (1.200 / 1,200): the separator seen is the thousands one
        european = votes["dots"] >= votes["commas"]
    if european:
        valid, digits = body.str.contains(_EU), body.str.replace_all(".", "", literal=True)
        digits = digits.str.replace(",", ".", literal=True)
    else:
        valid, digits = body.str.contains(_US), body.str.replace_all(",", "", literal=True)
    number = digits.cast(pl.Float64, strict=False)
    number = (
        pl.when(pl.col("paren") | pl.col("sign1") | pl.col("sign2")).then(-number).otherwise(number)
    )
    number = pl.when(pl.col("percent")).then(number / 100).otherwise(number)
    result = parts.select(pl.when(valid).then(number).alias("v"))
    stats = parts.select(
        percent=pl.col("percent").any(),
        decimals=body.str.contains(",\\d+$" if european else "\\.\\d+$").any(),
    ).row(0, named=True)
    series = result.get_column("v")
    if stats["percent"]:
        return series, "percent"
    fmt = "number_eu" if european else "number_us"
    whole = series.drop_nulls()
    if (
        not stats["decimals"]
        and whole.len()
        and (whole == whole.round(0)).all()
        and whole.abs().max() < 2**53
    ):
        return series.cast(pl.Int64), fmt
    return series, fmt


def _parse_dates(frame: pl.DataFrame) -> tuple[pl.Series, str]:
    s = (
        pl.col("v")
        .str.to_lowercase()
        .str.strip_chars()
        .str.replace_all(r"\s+del?\s+", " ")
        .str.replace_many(_MONTH_NAMES, [f"-{_MONTHS[m]}-" for m in _MONTH_NAMES], leftmost=True)
    )
    parts = frame.select(
        time=s.str.extract_groups(_TIME),
        date=s.str.replace(_TIME, "").str.replace_all(r"[\s/.\-]+", "-").str.strip_chars("-"),
    ).with_columns(
        dmy=pl.col("date").str.extract_groups(r"^(\d{1,2})-(\d{1,2})-(\d{4}|\d{2})$"),
        ymd=pl.col("date").str.extract_groups(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"),
    )  # fmt: skip
    first = pl.col("dmy").struct.field("1").cast(pl.Int32)
    second = pl.col("dmy").struct.field("2").cast(pl.Int32)
    order = parts.select(
        day_first=(first > 12).any(),
        month_first=(second > 12).any(),
        ymd=pl.col("ymd").struct.field("1").is_not_null().sum(),
        dmy=first.is_not_null().sum(),
    ).row(0, named=True)
    month_first = order["month_first"] and not order["day_first"]
    short_year = pl.col("dmy").struct.field("3")
    year = (
        pl.when(short_year.str.len_chars() == 2)
        .then(
            pl.when(short_year.cast(pl.Int32) < 70)
            .then(short_year.cast(pl.Int32) + 2000)
            .otherwise(short_year.cast(pl.Int32) + 1900)
        )
        .otherwise(short_year.cast(pl.Int32))
    )
    day, month = (second, first) if month_first else (first, second)
    y = pl.coalesce(pl.col("ymd").struct.field("1").cast(pl.Int32), year).cast(pl.String)
    m = pl.coalesce(pl.col("ymd").struct.field("2").cast(pl.Int32), month).cast(pl.String)
    d = pl.coalesce(pl.col("ymd").struct.field("3").cast(pl.Int32), day).cast(pl.String)
    iso = pl.concat_str([y, m.str.zfill(2), d.str.zfill(2)], separator="-")
    t = pl.col("time")
    clock = pl.concat_str(
        [
            t.struct.field("1").str.zfill(2),
            t.struct.field("2"),
            t.struct.field("3").fill_null("00"),
        ],
        separator=":",
    )
    has_time = parts.select(t.struct.field("1").is_not_null().any()).item()
    if has_time:
        value = pl.concat_str([iso, clock.fill_null("00:00:00")], separator=" ").str.to_datetime(
            "%Y-%m-%d %H:%M:%S", strict=False
        )
    else:
        value = iso.str.to_date("%Y-%m-%d", strict=False)
    series = parts.select(value.alias("v")).get_column("v")
    if order["ymd"] > order["dmy"]:
        fmt = "datetime_ymd" if has_time else "date_ymd"
    else:
        fmt = ("datetime_" if has_time else "date_") + ("mdy" if month_first else "dmy")
    return series, fmt
