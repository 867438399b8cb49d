"""The named errors of report building.

Both mean the caller handed over something a report cannot be made from, so a task must fail
with the message rather than retry: running the same input again gives the same error.
"""

from __future__ import annotations


class ReportError(Exception):
    """Base of every error :func:`ln1.reports.build_report` raises on purpose."""


class UnknownReportKind(ReportError, ValueError):
    """The ``kind`` is none of "ingest", "compare" or "runner"."""


class InvalidSource(ReportError, ValueError):
    """The source dict misses a key, has a value of the wrong shape, or names a missing file."""
