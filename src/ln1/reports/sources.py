"""The input contract of the report builder: plain dicts, documented here.

The ingest, compare and runner results are produced elsewhere (and change on their own
schedule), so the report builder does not import their types. Whoever calls
:func:`ln1.reports.build_report` turns its result into one of these dicts; they are JSON-safe
on purpose, so a Celery task can carry them or read them back from a task's stored summary.

Values are JSON values: numbers as ``int``/``float`` (``Decimal`` also accepted), dates as ISO
text (``"2026-11-24"``) or ``date`` objects, missing values as ``None``. Keys marked
``NotRequired`` may be left out.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

ReportKind = Literal["ingest", "compare", "runner"]


class ColumnProfile(TypedDict):
    """One column of an ingested sheet.

    ``type`` is the inferred type: "integer", "float", "decimal", "text", "date", "datetime",
    "boolean" (polars names such as "Int64", "Float64", "String" are understood too; anything
    else is shown as given). ``min``/``max`` may be numbers, ISO dates or text; ``mean`` and
    ``sum`` only make sense for numbers. ``top`` holds the most frequent values, most frequent
    first, as ``[value, count]`` pairs.
    """

    name: str
    type: str
    nulls: int
    min: NotRequired[Any]
    max: NotRequired[Any]
    mean: NotRequired[float | None]
    sum: NotRequired[float | None]
    distinct: NotRequired[int | None]
    top: NotRequired[list[list[Any]]]


class SheetProfile(TypedDict):
    """One sheet: its profile and, for the charts, the typed dataset written as Parquet."""

    name: str
    rows: int
    columns: list[ColumnProfile]
    duplicates: int
    parquet_path: NotRequired[str | None]


class IngestSource(TypedDict):
    """``kind="ingest"``: the profile of an uploaded file, one entry per sheet."""

    filename: str
    sheets: list[SheetProfile]


class GroupTotal(TypedDict):
    """The total of the compared value column for one group, in A and in B.

    ``delta`` is ``b - a``; computed when left out.
    """

    group: Any
    a: float | None
    b: float | None
    delta: NotRequired[float | None]


class CompareSource(TypedDict):
    """``kind="compare"``: dataset A (e.g. last month) against dataset B (this month).

    ``only_a``, ``only_b`` and ``changed`` are row counts (rows matched on ``keys``);
    ``changed_by_column`` counts the changed rows per column. ``totals`` are the sums of
    ``value_column`` per value of ``group_by``. ``samples`` maps "only_a", "only_b" and
    "changed" to Parquet files with (some of) those rows; the report shows their first rows.
    ``currency`` (e.g. "PEN") makes the totals money.
    """

    a_name: str
    b_name: str
    keys: list[str]
    only_a: int
    only_b: int
    changed: int
    changed_by_column: dict[str, int]
    unchanged: NotRequired[int | None]
    group_by: NotRequired[str | None]
    value_column: NotRequired[str | None]
    totals: NotRequired[list[GroupTotal]]
    samples: NotRequired[dict[str, str | None]]
    currency: NotRequired[str | None]


class Period(TypedDict):
    """The concrete dates a question was answered over, ISO ``YYYY-MM-DD``, both included."""

    start: str
    end: str
    label: NotRequired[str]


class RunnerSource(TypedDict):
    """``kind="runner"``: a data query answered by a Local Runner.

    ``question`` is what the user asked; ``description`` the catalog query's description
    (``"Ventas por región / Sales by region"`` bilingual text is understood, as in the
    chat summary). ``rows`` are every row received (the report shows at most a page budget of
    them); ``total_rows`` defaults to ``len(rows)``. ``currency`` defaults to "PEN".
    """

    question: str
    description: str
    columns: list[str]
    rows: list[list[Any]]
    period: NotRequired[Period | None]
    total_rows: NotRequired[int | None]
    currency: NotRequired[str | None]


Source = IngestSource | CompareSource | RunnerSource

__all__ = [
    "ColumnProfile",
    "CompareSource",
    "GroupTotal",
    "IngestSource",
    "Period",
    "ReportKind",
    "RunnerSource",
    "SheetProfile",
    "Source",
]
