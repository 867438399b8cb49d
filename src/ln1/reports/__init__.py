"""PDF reports of an ingest profile, a comparison or a runner result, in Spanish or English.

The one entry point is :func:`build_report`; its input contract is the TypedDicts in
:mod:`ln1.reports.sources`. It is a plain function (no Celery, no database) so the worker
task that calls it stays thin and the report can be tested by rendering its pages.
"""

from ln1.reports.build import KINDS, ProgressCallback, ReportResult, build_report
from ln1.reports.errors import InvalidSource, ReportError, UnknownReportKind
from ln1.reports.sources import (
    ColumnProfile,
    CompareSource,
    GroupTotal,
    IngestSource,
    Period,
    ReportKind,
    RunnerSource,
    SheetProfile,
)

__all__ = [
    "KINDS",
    "ColumnProfile",
    "CompareSource",
    "GroupTotal",
    "IngestSource",
    "InvalidSource",
    "Period",
    "ProgressCallback",
    "ReportError",
    "ReportKind",
    "ReportResult",
    "RunnerSource",
    "SheetProfile",
    "UnknownReportKind",
    "build_report",
]
