"""Any supported upload → one typed Parquet file per sheet, plus a profile of each sheet.

Readers, chosen by measurement (``/work/shared/FACTS.md``, ``bench/excel_ingest.py``):
workbooks (xlsx, xlsm, xlsb, xls, ods) go through fastexcel, calamine's Rust parser that
hands over Arrow arrays without building Python objects (5-16x faster than openpyxl, the
least memory of the calamine readers); CSV goes through polars' multi-threaded reader.

What the readers do with the awkward parts of real workbooks:

- **Formulas**: the cached value Excel stored with the formula is read; nothing is
  recalculated. A formula saved without a cached value (some generators do that) reads
  as empty.
- **Macros** (xlsm, xlsb, xls): never executed. The VBA project is never even opened: the
  reader only parses cell data. The profile notes that the file carries macros.
- **Header row**: the first non-empty row of a sheet (calamine's range starts at the first
  used cell, so leading blank rows and columns are skipped); blank or repeated header
  cells get generated or suffixed names (``__UNNAMED__3``, ``monto_1``).
- **Types**: inferred from every row, not a sample, so a stray text value in a numeric
  column turns the column into text rather than silently into nulls.
- **Empty sheets** are reported (``empty: true``, no Parquet file), never an error.

The outputs are written under temporary names and renamed into place, so re-running the
same ingest (a task delivered twice) writes the same files and never leaves half a file.
"""

from __future__ import annotations

import codecs
import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import fastexcel
import polars as pl
import pyarrow as pa

from ln1.datasets.errors import CorruptFile, DatasetError, EncryptedFile
from ln1.datasets.sniff import CsvFormat, FileKind, detect

Progress = Callable[[str, float], None]

SUMMARY_NAME = "ingest.json"
TOP_VALUES = 5
PARQUET_COMPRESSION = "lz4"  # ~as small as snappy/zstd-1 on this data and the fastest to write


@dataclass(frozen=True)
class SheetResult:
    index: int
    name: str
    visible: bool
    rows: int
    columns: int
    empty: bool
    path: Path | None
    profile: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "visible": self.visible,
            "rows": self.rows,
            "columns": self.columns,
            "empty": self.empty,
            "path": self.path.name if self.path else None,
            "profile": self.profile,
        }


@dataclass(frozen=True)
class IngestResult:
    kind: FileKind
    sheets: list[SheetResult]
    summary_path: Path
    csv: CsvFormat | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def parquet_paths(self) -> list[Path]:
        return [s.path for s in self.sheets if s.path is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind.value,
            "csv": (
                {"encoding": self.csv.encoding, "delimiter": self.csv.delimiter}
                if self.csv
                else None
            ),
            "notes": self.notes,
            "sheets": [s.to_dict() for s in self.sheets],
        }


def ingest(path: Path | str, out_dir: Path | str, progress: Progress | None = None) -> IngestResult:
    """Read ``path`` (type sniffed from content) into ``out_dir``: Parquet per sheet + JSON.

    Writes ``sheet-NN.parquet`` for every non-empty sheet (NN is the sheet's position, so no
    user-supplied text becomes a path) and ``ingest.json`` with :meth:`IngestResult.to_dict`.
    Raises a :class:`DatasetError` for anything that is not a readable spreadsheet or CSV.
    """
    path, out_dir = Path(path), Path(out_dir)
    report = progress or no_progress
    report("sniffing", 0.0)
    found = detect(path)
    out_dir.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    if found.kind in (FileKind.XLSM, FileKind.XLSB, FileKind.XLS):
        notes.append("The file may carry macros; they were not executed, only cell values read.")
    if found.csv is not None:
        sheets = [_ingest_csv(path, found.csv, out_dir, report)]
    else:
        sheets = _ingest_workbook(path, out_dir, report)
    result = IngestResult(found.kind, sheets, out_dir / SUMMARY_NAME, found.csv, notes)
    write_json(result.summary_path, result.to_dict())
    report("done", 1.0)
    return result


# --- workbooks -----------------------------------------------------------------------------


def _ingest_workbook(path: Path, out_dir: Path, report: Progress) -> list[SheetResult]:
    try:
        reader = fastexcel.read_excel(path)
        names = reader.sheet_names
    except fastexcel.FastExcelError as exc:
        raise _read_error(exc) from exc
    results = []
    for index, name in enumerate(names):
        base = index / len(names)
        step = 1 / len(names)
        report("reading", 0.05 + 0.9 * base)
        try:
            sheet = reader.load_sheet(
                index, schema_sample_rows=None, skip_whitespace_tail_rows=True
            )
            visible = sheet.visible == "visible"
            batch = sheet.to_arrow()
        except fastexcel.FastExcelError as exc:
            raise _read_error(exc) from exc
        del sheet  # frees calamine's copy of the sheet before the Arrow data is profiled
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        del batch
        frame = integral_floats_to_int(frame)
        report("writing", 0.05 + 0.9 * (base + 0.6 * step))
        results.append(_finish_sheet(frame, index, name, visible, out_dir))
    return results


def _read_error(exc: Exception) -> DatasetError:
    text = str(exc)
    if "password" in text.lower() or "encrypt" in text.lower():
        return EncryptedFile("The workbook is password-protected; remove the password first.")
    return CorruptFile(f"The workbook cannot be read; it may be damaged: {text[:300]}")


# --- CSV -----------------------------------------------------------------------------------


def _ingest_csv(path: Path, fmt: CsvFormat, out_dir: Path, report: Progress) -> SheetResult:
    report("reading", 0.05)
    source, temp = path, None
    if fmt.encoding not in ("utf_8", "utf_8_sig", "ascii"):
        temp = out_dir / ".transcoded.csv.tmp"
        _transcode(path, fmt.encoding, temp)
        source = temp
    try:
        skip = _leading_blank_lines(source, fmt.delimiter)
        frame = pl.read_csv(
            source,
            separator=fmt.delimiter,
            infer_schema=False,  # everything as text first; lossless casts below
            skip_lines=skip,
            encoding="utf8",
        )
    except pl.exceptions.PolarsError as exc:
        raise CorruptFile(f"The CSV file cannot be read: {str(exc).splitlines()[0]}") from exc
    finally:
        if temp is not None:
            temp.unlink(missing_ok=True)
    frame = frame.rename(lambda c: c.lstrip("\ufeff"))
    frame = type_text_columns(frame)
    report("writing", 0.6)
    return _finish_sheet(frame, 0, "csv", True, out_dir)


def _transcode(path: Path, encoding: str, target: Path) -> None:
    """Stream a non-UTF-8 text file to UTF-8, refusing bytes the encoding does not define."""
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = 0
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        while block := src.read(4 << 20):
            try:
                dst.write(decoder.decode(block))
            except UnicodeDecodeError as exc:
                raise CorruptFile(
                    f"The text is not valid {encoding} near byte {offset + exc.start:,}."
                ) from exc
            offset += len(block)
        dst.write(decoder.decode(b"", final=True))


def _leading_blank_lines(path: Path, delimiter: str) -> int:
    """Lines before the header that hold nothing but delimiters, quotes or spaces."""
    blank = re.compile(rf"^[\s{re.escape(delimiter)}\"']*$")
    count = 0
    with path.open(encoding="utf-8", errors="replace") as f:
        for line in f:
            if not blank.match(line) or count >= 1000:
                break
            count += 1
    return count


_INT = r"^[+-]?(0|[1-9]\d{0,17})$"
_FLOAT = r"^[+-]?(0|[1-9]\d*)?\.\d+([eE][+-]?\d+)?$|^[+-]?(0|[1-9]\d*)\.?([eE][+-]?\d+)?$"
_ISO_DATE = r"^\d{4}-\d{2}-\d{2}$"
_ISO_DATETIME = r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$"


def type_text_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """Cast text columns whose every value is a plain integer, decimal or ISO date.

    Only lossless casts: ``00123`` (a DNI, a code) stays text because its leading zero
    matters; Spanish formats (``1.234,56``, ``24/11/2026``) are left to :mod:`clean`.
    """
    text = [c for c, t in frame.schema.items() if t == pl.String]
    if not text or frame.height == 0:
        return frame
    checks = frame.select(
        [
            pl.col(c).str.strip_chars().str.contains(p).fill_null(True).all().alias(f"{c}\x00{k}")
            for c in text
            for k, p in (("i", _INT), ("f", _FLOAT), ("d", _ISO_DATE), ("t", _ISO_DATETIME))
        ]
        + [pl.col(c).is_not_null().any().alias(f"{c}\x00n") for c in text]
    ).row(0, named=True)
    casts = []
    for c in text:
        if not checks[f"{c}\x00n"]:
            continue
        stripped = pl.col(c).str.strip_chars()
        if checks[f"{c}\x00i"]:
            casts.append(stripped.cast(pl.Int64).alias(c))
        elif checks[f"{c}\x00f"]:
            casts.append(stripped.cast(pl.Float64).alias(c))
        elif checks[f"{c}\x00d"]:
            casts.append(stripped.str.to_date("%Y-%m-%d", strict=False).alias(c))
        elif checks[f"{c}\x00t"]:
            casts.append(stripped.str.replace("T", " ").str.to_datetime(strict=False).alias(c))
    if not casts:
        return frame
    cast = frame.with_columns(casts)
    # a value like 2026-02-31 matches the pattern but is no date: keep such columns as text
    broken = [
        c
        for c in (e.meta.output_name() for e in casts)
        if cast.get_column(c).null_count() != frame.get_column(c).null_count()
    ]
    return cast.with_columns(frame.get_column(c) for c in broken) if broken else cast


# --- shared --------------------------------------------------------------------------------


def _finish_sheet(
    frame: pl.DataFrame, index: int, name: str, visible: bool, out_dir: Path
) -> SheetResult:
    target = out_dir / f"sheet-{index:02d}.parquet"
    empty = frame.height == 0
    if frame.width == 0:
        target.unlink(missing_ok=True)
        written: Path | None = None
    else:
        write_parquet(frame, target)
        written = target
    return SheetResult(
        index=index,
        name=name,
        visible=visible,
        rows=frame.height,
        columns=frame.width,
        empty=empty,
        path=written,
        profile=profile(frame),
    )


def write_parquet(frame: pl.DataFrame, target: Path) -> None:
    """Write through a temporary name and rename: a re-run or a crash never leaves half a file."""
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    frame.write_parquet(temp, compression=PARQUET_COMPRESSION, statistics=False)
    os.replace(temp, target)


def write_json(target: Path, data: Any) -> None:
    temp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    temp.write_text(json.dumps(data, ensure_ascii=False, indent=1, default=json_value))
    os.replace(temp, target)


def type_name(dtype: pl.DataType) -> str:
    """A plain type name for people and for the JSON: integer, decimal, text, date …"""
    if dtype.is_integer():
        return "integer"
    if dtype.is_float() or dtype.is_decimal():
        return "decimal"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype == pl.Time:
        return "time"
    if isinstance(dtype, pl.Duration):
        return "duration"
    if dtype == pl.Null:
        return "empty"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    return str(dtype)


def profile(frame: pl.DataFrame) -> dict[str, Any]:
    """Rows, columns, types, nulls, distinct values, duplicate rows, summaries, top values.

    One parallel polars pass for the per-column aggregates, one ``value_counts`` per text
    column; everything returned is JSON-ready (dates as ISO strings, no NaN).
    """
    if frame.width == 0:
        return {"rows": 0, "columns": 0, "duplicate_rows": 0, "column_profiles": []}
    exprs: list[pl.Expr] = []
    for name, dtype in frame.schema.items():
        col = pl.col(name)
        exprs += [
            col.null_count().alias(f"{name}\x00nulls"),
            col.drop_nulls().n_unique().alias(f"{name}\x00distinct"),
        ]
        kind = type_name(dtype)
        if kind in ("integer", "decimal"):
            exprs += [
                col.min().alias(f"{name}\x00min"),
                col.max().alias(f"{name}\x00max"),
                col.mean().alias(f"{name}\x00mean"),
                col.sum().alias(f"{name}\x00sum"),
            ]
        elif kind in ("date", "datetime", "time", "duration"):
            exprs += [col.min().alias(f"{name}\x00min"), col.max().alias(f"{name}\x00max")]
    stats = frame.select(exprs).row(0, named=True) if frame.height else {}
    columns = []
    for name, dtype in frame.schema.items():
        kind = type_name(dtype)
        entry: dict[str, Any] = {
            "name": name,
            "type": kind,
            "dtype": str(dtype),
            "nulls": stats.get(f"{name}\x00nulls", 0),
            "distinct": stats.get(f"{name}\x00distinct", 0),
        }
        for stat in ("min", "max", "mean", "sum"):
            if f"{name}\x00{stat}" in stats:
                entry[stat] = json_value(stats[f"{name}\x00{stat}"])
        if kind == "text" and frame.height:
            counts = (
                frame.get_column(name)
                .drop_nulls()
                .value_counts(sort=True, name="count")
                .head(TOP_VALUES)
            )
            entry["top_values"] = [{"value": v, "count": n} for v, n in counts.iter_rows()]
        columns.append(entry)
    duplicates = duplicate_rows(frame)
    return {
        "rows": frame.height,
        "columns": frame.width,
        "duplicate_rows": duplicates,
        "column_profiles": columns,
    }


def duplicate_rows(frame: pl.DataFrame) -> int:
    """Rows equal to an earlier row, counted exactly but mostly on 64-bit row hashes.

    Hashing rows and counting distinct hashes is ~4x faster than a full-row ``n_unique``;
    only rows whose hash repeats (the duplicates, plus any collision) are compared exactly.
    """
    if frame.height == 0 or frame.width == 0:
        return 0
    hashes = frame.hash_rows()
    repeated = hashes.is_duplicated()
    if not repeated.any():
        return 0
    suspects = frame.filter(repeated)
    return suspects.height - suspects.n_unique()


def integral_floats_to_int(frame: pl.DataFrame) -> pl.DataFrame:
    """Excel stores every number as a float: make whole-number columns integers again.

    Only when every value is integral and within ±2**53 (exactly representable), so the
    cast is lossless; 1000001.0 becomes the invoice number 1000001.
    """
    floats = [c for c, t in frame.schema.items() if t.is_float()]
    if not floats or frame.height == 0:
        return frame
    limit = 2.0**53
    checks = frame.select(
        ((pl.col(c) == pl.col(c).round(0)) & (pl.col(c).abs() < limit)).fill_null(True).all()
        & pl.col(c).is_not_null().any()
        for c in floats
    ).row(0)
    ints = [c for c, ok in zip(floats, checks, strict=True) if ok]
    return frame.with_columns(pl.col(ints).cast(pl.Int64)) if ints else frame


def json_value(value: Any) -> Any:
    """Make a polars scalar JSON-ready: ISO text for dates, ``None`` for NaN and infinity."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, pa.Scalar):
        return value.as_py()
    return value


def no_progress(stage: str, fraction: float) -> None:
    """The default callback: progress is optional for callers that do not show it."""
