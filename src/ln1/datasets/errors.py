"""Errors of the data engine: each has a stable ``code`` and a message the user can read.

They subclass :class:`ln1.errors.Ln1Error`, so the API and the task wrapper turn them into
the one JSON error shape without knowing about datasets. The message names what the file
looks like or what went wrong in plain words, because it is shown in the chat as-is.
"""

from __future__ import annotations

from ln1.errors import Ln1Error


class DatasetError(Ln1Error):
    """Base of every error the data engine raises on purpose (a bad input, not a bug)."""

    status_code = 422
    code = "dataset_error"


class UnsupportedFile(DatasetError):
    """The content is not a spreadsheet or CSV we read (a PDF, an image, a Word file …)."""

    status_code = 415
    code = "unsupported_file"


class EmptyFile(UnsupportedFile):
    """Zero bytes, or only whitespace: nothing to read."""

    code = "empty_file"


class EncryptedFile(UnsupportedFile):
    """A password-protected workbook: its cells cannot be read without the password."""

    code = "encrypted_file"


class UnsafeFile(DatasetError):
    """An archive that could exhaust the worker (zip bomb, too many members) or escape paths."""

    code = "unsafe_file"


class CorruptFile(DatasetError):
    """Looks like a supported type but cannot be read: truncated, damaged, wrong encoding."""

    code = "corrupt_file"


class BadKey(DatasetError):
    """Compare keys that are missing, not unique or null, or that cannot be inferred."""

    code = "bad_key"


class BadColumn(DatasetError):
    """A named column (for example ``group_by``) that does not exist or has the wrong type."""

    code = "bad_column"
