"""The runner's local audit log: one JSON line per order it ran, refused, failed or cancelled.

The log stays on the client's machine, so the client can see exactly what the orchestrator asked
for and what its database answered, without trusting the cloud side. Lines are appended and
flushed one by one (a crash loses at most the line being written), from any thread. The file is
created readable by its owner only, because it holds query arguments; the runner token and the
database password are replaced by ``***`` wherever they would appear.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import msgspec

from ln1_runner.protocol import OrderSpec

Outcome = Literal["ok", "refused", "failed", "cancelled"]


class AuditEntry(msgspec.Struct, kw_only=True):
    """One line of the audit log."""

    ts: str
    order_id: str
    requested_by: str
    trace_id: str
    query: str  # a catalog query's name, or "free_sql"
    sql: str | None = None  # the free SQL text, exactly as received
    args: dict[str, Any] = {}
    outcome: Outcome
    code: str = ""
    rows: int = 0
    truncated: bool = False
    duration_ms: float = 0.0
    message: str = ""


_encoder = msgspec.json.Encoder()


class AuditLog:
    """Append-only JSON-lines file; ``secrets`` are masked in every line."""

    def __init__(self, path: str | os.PathLike[str], secrets: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file = os.fdopen(fd, "a", encoding="utf-8")

    def record(
        self,
        spec: OrderSpec,
        outcome: Outcome,
        *,
        code: str = "",
        rows: int = 0,
        truncated: bool = False,
        duration_ms: float = 0.0,
        message: str = "",
    ) -> AuditEntry:
        """Write the line for one order and return it."""
        entry = AuditEntry(
            ts=datetime.now(UTC).isoformat(timespec="milliseconds"),
            order_id=self._mask(spec.id),
            requested_by=self._mask(spec.requested_by),
            trace_id=self._mask(spec.trace_id),
            query=self._mask(spec.query) if spec.query is not None else "free_sql",
            sql=self._mask(spec.sql) if spec.sql is not None else None,
            args=self._mask(spec.args),
            outcome=outcome,
            code=code,
            rows=rows,
            truncated=truncated,
            duration_ms=round(duration_ms, 3),
            message=self._mask(message),
        )
        self.write(entry)
        return entry

    def write(self, entry: AuditEntry) -> None:
        """Append one entry as a line and flush it, whichever thread calls."""
        line = _encoder.encode(entry) + b"\n"
        with self._lock:
            self._file.write(line.decode())
            self._file.flush()

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            self._file.close()

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _mask(self, value: Any) -> Any:
        """Replace every secret inside strings, also within nested lists and tables."""
        if isinstance(value, str):
            for secret in self._secrets:
                value = value.replace(secret, "***")
            return value
        if isinstance(value, dict):
            return {self._mask(str(k)): self._mask(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self._mask(v) for v in value]
        return value
