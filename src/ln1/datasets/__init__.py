"""The data engine of the worker cluster: sniff, ingest, clean and compare spreadsheets.

Pure functions over files: each takes paths in, writes its outputs (Parquet + a JSON
summary) into a given folder under temporary names renamed into place, so a task that is
delivered twice writes the same files; each reports progress through an optional
``progress(stage, fraction)`` callback. The Celery tasks wrap these functions.
"""

from ln1.datasets.clean import CleanedDataset, CleanResult, ColumnReport, clean
from ln1.datasets.compare import CompareResult, compare
from ln1.datasets.errors import (
    BadColumn,
    BadKey,
    CorruptFile,
    DatasetError,
    EmptyFile,
    EncryptedFile,
    UnsafeFile,
    UnsupportedFile,
)
from ln1.datasets.ingest import IngestResult, SheetResult, ingest, profile
from ln1.datasets.sniff import CsvFormat, FileKind, csv_format, sniff

__all__ = [
    "BadColumn",
    "BadKey",
    "CleanResult",
    "CleanedDataset",
    "ColumnReport",
    "CompareResult",
    "CorruptFile",
    "CsvFormat",
    "DatasetError",
    "EmptyFile",
    "EncryptedFile",
    "FileKind",
    "IngestResult",
    "SheetResult",
    "UnsafeFile",
    "UnsupportedFile",
    "clean",
    "compare",
    "csv_format",
    "ingest",
    "profile",
    "sniff",
]
