"""Run one order against the client's database: validated, read-only, time-boxed, streamed.

:meth:`Executor.open` decides whether an order may run at all (a catalog query with strictly
bound arguments, or free SQL only if the client allowed it and the guard accepts it) and raises
:class:`~ln1_runner.protocol.OrderRejected` if not. It then starts the query inside a read-only
transaction with a statement time limit; the database itself refuses writes, so the guard is
defence in depth, not the boundary. Rows are read through the driver's server-side cursor a chunk
at a time, so memory stays flat whatever the result size.

SQLAlchemy owns the engine, the pool and the binding of catalog parameters; the rows themselves
are read from the driver's cursor directly, because building SQLAlchemy ``Row`` objects roughly
doubles the cost of a large fetch, and this path must keep up with a plain driver fetch.

Everything here is synchronous: the connection loop calls it from a worker thread.
"""

from __future__ import annotations

import contextlib
import importlib
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy
from sqlalchemy.engine import Connection, Engine

from ln1_runner.catalog import CatalogError
from ln1_runner.codec import encode_rows
from ln1_runner.config import RunnerConfig
from ln1_runner.protocol import MAX_CHUNK_BYTES, OrderRejected, OrderSpec
from ln1_runner.sqlguard import UnsafeQuery, check_select

CONNECT_TIMEOUT_S = 10
_CANCEL_CODES = {1317}  # MySQL/MariaDB: query execution was interrupted (KILL QUERY)
_TIMEOUT_CODES = {1969, 3024}  # MariaDB max_statement_time, MySQL max_execution_time
_UNAVAILABLE_CODES = {2002, 2003, 2005, 2006, 2013, 2055}  # MySQL client: cannot reach / lost


class ExtractionFailed(RuntimeError):
    """An order that started but could not finish; ``code`` goes back in ``protocol.Failed``.

    Codes: ``timeout``, ``database_unavailable``, ``database_error``, ``cancelled``,
    ``row_too_large``.
    """

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Executor:
    """The runner's one way into the client's database."""

    def __init__(self, config: RunnerConfig) -> None:
        self.config = config
        self.catalog = config.catalog
        self.engine: Engine = sqlalchemy.create_engine(
            config.database_url, pool_pre_ping=True, connect_args=_connect_args(config)
        )
        self.backend = config.database_url.get_backend_name()

    def open(self, spec: OrderSpec, now: datetime | None = None) -> Extraction:
        """Check the order's content, then start its query; the caller reads and closes it.

        Raises ``OrderRejected`` if the order may not run, ``ExtractionFailed`` if the
        database refuses or cannot be reached.
        """
        sql, params, _ = self.prepare(spec)
        remaining = (spec.expires_at - (now or datetime.now(UTC))).total_seconds()
        if remaining <= 0:
            raise OrderRejected("expired", "the order has expired")
        timeout = min(self.config.statement_timeout_s, remaining)
        cap = self.config.max_rows
        if spec.max_rows is not None:
            cap = max(0, min(cap, spec.max_rows))
        return self._start(sql, params, timeout, cap)

    def prepare(self, spec: OrderSpec) -> tuple[str, Sequence[Any] | Mapping[str, Any] | None, str]:
        """The driver-ready SQL, its parameters and a label ("free_sql" or the query name)."""
        if (spec.query is None) == (spec.sql is None):
            raise OrderRejected("bad_order", "an order names exactly one of query or sql")
        if spec.query is not None:
            try:
                query = self.catalog.get(spec.query)
            except CatalogError as error:
                raise OrderRejected("unknown_query", str(error)) from None
            try:
                bound = query.bind(spec.args)
            except CatalogError as error:
                raise OrderRejected("bad_arguments", str(error)) from None
            sql, params = self._compile(self.catalog.sqlalchemy_sql(query.name), bound)
            return sql, params, query.name
        assert spec.sql is not None
        if not self.config.free_sql:
            raise OrderRejected(
                "free_sql_disabled", "this runner only runs the queries of its catalog"
            )
        if spec.args:
            raise OrderRejected("bad_arguments", "free SQL takes no arguments")
        try:
            checked = check_select(spec.sql, self.config.dialect)
        except UnsafeQuery as error:
            raise OrderRejected("unsafe_sql", str(error)) from None
        return checked, None, "free_sql"

    def check_database(self) -> None:
        """Run ``SELECT 1`` in a read-only transaction; raise ``ExtractionFailed`` if it fails."""
        extraction = self._start("SELECT 1", None, min(self.config.statement_timeout_s, 10.0), 1)
        try:
            for _ in extraction.chunks():
                pass
        finally:
            extraction.close()

    def dispose(self) -> None:
        """Close the pool's connections (the runner is stopping)."""
        self.engine.dispose()

    # --- internals ---------------------------------------------------------------------------

    def _compile(self, text: str, bound: Mapping[str, object]) -> tuple[str, Any]:
        """Let SQLAlchemy render ``:name`` placeholders in the driver's style and convert values.

        Parameters are always passed (even empty) so that the driver turns the ``%%`` escapes
        of format-style drivers back into ``%``.
        """
        dialect = self.engine.dialect
        compiled = sqlalchemy.text(text).bindparams(**bound).compile(dialect=dialect)
        values = dict(compiled.params)
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None and name in values:
                values[name] = processor(values[name])
        if compiled.positiontup is not None and dialect.positional:
            return compiled.string, [values[name] for name in compiled.positiontup]
        return compiled.string, values

    def _start(self, sql: str, params: Any, timeout: float, cap: int) -> Extraction:
        """Open a read-only, time-limited transaction and start ``sql`` on a streaming cursor.

        Runs whatever SQL it is given: only :meth:`open` (after validation) and the database
        check call it; tests call it to show that the database itself refuses writes.
        """
        self._check_sqlite_file()
        try:
            conn = self.engine.connect()
        except sqlalchemy.exc.DBAPIError as error:
            raise self._unavailable(error.orig or error) from None
        session = _session_for(self.backend, conn, timeout)
        try:
            session.begin()
            cursor = session.cursor()
            session.arm()
            cursor.execute(sql, params) if params is not None else cursor.execute(sql)
        except BaseException as error:
            failure = self._failure(error, session)
            session.release(broken=failure is None or failure.code == "database_unavailable")
            if failure is None:
                raise
            raise failure from None
        columns = [column[0] for column in cursor.description or ()]
        return Extraction(self, session, cursor, columns, cap)

    def _check_sqlite_file(self) -> None:
        """Refuse to create an empty SQLite file where the client's database should be."""
        database = self.config.database_url.database or ""
        is_file_path = database not in ("", ":memory:") and not database.startswith("file:")
        if self.backend == "sqlite" and is_file_path and not Path(database).is_file():
            raise ExtractionFailed(
                "database_unavailable", f"the SQLite database file {database} does not exist"
            )

    def _failure(self, error: BaseException, session: _Session) -> ExtractionFailed | None:
        """Map a driver error to ``ExtractionFailed``; ``None`` for non-database errors."""
        if isinstance(error, sqlalchemy.exc.DBAPIError):
            error = error.orig or error
        dbapi = self.engine.dialect.loaded_dbapi
        if not isinstance(error, dbapi.Error):
            return None
        if session.cancelled:
            return ExtractionFailed("cancelled", "the order was cancelled")
        if session.is_timeout(error):
            return ExtractionFailed(
                "timeout", f"the query ran longer than its {session.timeout:g} s time limit"
            )
        if session.is_unavailable(error):
            return self._unavailable(error)
        return ExtractionFailed("database_error", self._scrub(_first_line(error)))

    def _unavailable(self, error: BaseException) -> ExtractionFailed:
        """The database could not be reached; name it (never with its password)."""
        detail = self._scrub(_first_line(error))
        return ExtractionFailed(
            "database_unavailable",
            f"the {self.config.database_label} is not reachable: {detail}",
        )

    def _scrub(self, text: str) -> str:
        """Remove the token and the database password from a driver's message."""
        for secret in self.config.secrets():
            text = text.replace(secret, "***")
        return text


class Extraction:
    """One running query: its columns, then its rows as bounded, encoded chunks."""

    def __init__(
        self, executor: Executor, session: _Session, cursor: Any, columns: list[str], cap: int
    ) -> None:
        self.columns = columns
        self.truncated = False
        self.rows = 0
        self._executor = executor
        self._session = session
        self._cursor = cursor
        self._cap = cap
        self._chunk_rows = executor.config.chunk_rows
        self._lock = threading.Lock()
        self._closed = False
        self._started = False
        self._finished = False  # every row was read: nothing left for the driver to drain

    def chunks(self) -> Iterator[tuple[int, bytes]]:
        """Yield ``(row count, payload)`` pairs, each within ``chunk_rows`` and MAX_CHUNK_BYTES.

        Reads at most ``cap + 1`` rows: the extra one only tells whether ``truncated`` is true.
        The connection goes back to the pool as soon as the rows end, a read fails or the
        caller stops iterating, so a forgotten :meth:`close` cannot hold database locks.
        """
        if self._started:
            raise RuntimeError("an extraction's chunks can be read only once")
        self._started = True
        try:
            yield from self._read()
        finally:
            self.close()

    def _read(self) -> Iterator[tuple[int, bytes]]:
        """The loop behind :meth:`chunks`: fetch, encode within bounds, adapt the batch size."""
        ncols = len(self.columns)
        batch = self._chunk_rows
        while True:
            want = min(batch, self._cap - self.rows)
            rows = self._fetch(max(want, 1))
            if want <= 0:
                self.truncated = bool(rows)
                return
            if not rows:
                self._finished = True
                return
            self.rows += len(rows)
            for count, payload in _bounded_chunks(rows, ncols):
                yield count, payload
                per_row = len(payload) / count
                batch = max(1, min(self._chunk_rows, int(MAX_CHUNK_BYTES * 0.9 / per_row)))

    def cancel(self) -> None:
        """Stop the query from another thread; the reading thread gets ``cancelled``."""
        self._session.cancel()

    def close(self) -> None:
        """Roll back and give the connection back; safe to call twice or after a partial read."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        broken = self._session.close_cursor(self._cursor, finished=self._finished)
        self._session.release(broken=broken)

    def __enter__(self) -> Extraction:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _fetch(self, size: int) -> list[Any]:
        """Read up to ``size`` rows, turning driver errors into ``ExtractionFailed``."""
        if self._session.cancelled:
            raise ExtractionFailed("cancelled", "the order was cancelled")
        try:
            self._session.arm()
            return self._cursor.fetchmany(size)
        except Exception as error:
            failure = self._executor._failure(error, self._session)
            if failure is None:
                raise
            raise failure from None


def _bounded_chunks(rows: list[Any], ncols: int) -> Iterator[tuple[int, bytes]]:
    """Encode ``rows``, halving any slice whose payload exceeds MAX_CHUNK_BYTES."""
    payload = encode_rows(rows, ncols)
    if len(payload) <= MAX_CHUNK_BYTES:
        yield len(rows), payload
        return
    if len(rows) == 1:
        raise ExtractionFailed(
            "row_too_large",
            f"one row is {len(payload)} bytes encoded, more than the {MAX_CHUNK_BYTES} bytes a "
            "chunk may carry; select fewer or smaller columns",
        )
    middle = len(rows) // 2
    yield from _bounded_chunks(rows[:middle], ncols)
    yield from _bounded_chunks(rows[middle:], ncols)


def _first_line(error: BaseException) -> str:
    """The driver's message without SQL, parameters or context lines."""
    args = error.args
    if len(args) >= 2 and isinstance(args[0], int) and isinstance(args[1], str):
        text = f"{args[1]} (error {args[0]})"  # PyMySQL / mysqlclient: (code, message)
    else:
        text = str(error)
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else type(error).__name__


def _connect_args(config: RunnerConfig) -> dict[str, Any]:
    """Bound the connection attempt, so a down database fails fast instead of hanging."""
    backend = config.database_url.get_backend_name()
    if backend in ("postgresql", "mysql", "mariadb") and (
        "connect_timeout" not in config.database_url.query
    ):
        return {"connect_timeout": CONNECT_TIMEOUT_S}
    return {}


def _error_code(error: BaseException) -> object:
    """MySQL error number or PostgreSQL SQLSTATE of a driver error, if any."""
    args = getattr(error, "args", ())
    if args and isinstance(args[0], int):  # PyMySQL / mysqlclient: (errno, message)
        return args[0]
    return getattr(error, "sqlstate", None) or getattr(error, "pgcode", None)


# --- per-database session handling ---------------------------------------------------------------


class _Session:
    """The read-only transaction and time limit of one extraction, on one pooled connection.

    The generic version (SQL Server, Oracle) relies on the database account being read-only and
    the driver's own streaming cursor; the subclasses add what each database offers.
    """

    def __init__(self, conn: Connection, timeout: float) -> None:
        self.conn = conn
        self.timeout = timeout
        self.cancelled = False
        self.dbapi_conn: Any = conn.connection.dbapi_connection

    def begin(self) -> None:
        """Start the read-only transaction and set the time limit."""

    def cursor(self) -> Any:
        """A cursor that streams rows from the database instead of buffering them all."""
        return self.dbapi_conn.cursor()

    def arm(self) -> None:
        """Called before each database round trip (SQLite restarts its deadline here)."""

    def cancel(self) -> None:
        """Interrupt the running statement from another thread, where the driver allows it."""
        self.cancelled = True

    def is_timeout(self, error: BaseException) -> bool:
        """Whether ``error`` is the database enforcing the time limit."""
        return False

    def close_cursor(self, cursor: Any, finished: bool) -> bool:
        """Close the cursor; return True if the connection should be dropped instead of reused."""
        try:
            cursor.close()
        except Exception:  # a cursor on a lost connection
            return True
        return False

    def is_unavailable(self, error: BaseException) -> bool:
        """Whether ``error`` means the connection is gone or could not be made."""
        return bool(self.conn.dialect.is_disconnect(error, self.dbapi_conn, None))

    def reset(self) -> None:
        """Undo session settings before the connection goes back to the pool."""

    def release(self, broken: bool) -> None:
        """Roll back and return the connection, or drop it if it may be unusable."""
        try:
            if broken:
                self.conn.invalidate()
            else:
                self.conn.rollback()
                self.reset()
        except Exception:
            self.conn.invalidate()
        finally:
            self.conn.close()


class _PostgresSession(_Session):
    """READ ONLY transaction, ``SET LOCAL statement_timeout``, a named (server-side) cursor."""

    def begin(self) -> None:
        self.conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        millis = max(1, int(self.timeout * 1000))
        self.conn.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")

    def cursor(self) -> Any:
        return self.dbapi_conn.cursor(name="ln1_extraction")

    def cancel(self) -> None:
        self.cancelled = True
        cancel = getattr(self.dbapi_conn, "cancel_safe", None) or self.dbapi_conn.cancel
        with contextlib.suppress(Exception):  # already over: the flag still stops reading
            cancel()

    def is_timeout(self, error: BaseException) -> bool:
        return _error_code(error) == "57014"  # query_canceled: statement_timeout

    def is_unavailable(self, error: BaseException) -> bool:
        code = _error_code(error)
        return (isinstance(code, str) and code.startswith("08")) or super().is_unavailable(error)


class _MySQLSession(_Session):
    """START TRANSACTION READ ONLY with a session time limit and an unbuffered cursor.

    MariaDB limits statements with ``max_statement_time`` (seconds), MySQL with
    ``max_execution_time`` (milliseconds); both cover the whole streaming statement, including
    the time the client takes to read it.
    """

    def __init__(self, conn: Connection, timeout: float) -> None:
        super().__init__(conn, timeout)
        self.mariadb = bool(getattr(conn.dialect, "is_mariadb", False))

    def begin(self) -> None:
        if self.mariadb:
            self.conn.exec_driver_sql(
                f"SET SESSION max_statement_time = {max(self.timeout, 0.001):.3f}"
            )
        else:
            millis = max(1, int(self.timeout * 1000))
            self.conn.exec_driver_sql(f"SET SESSION max_execution_time = {millis}")
        self.conn.exec_driver_sql("START TRANSACTION READ ONLY")

    def cursor(self) -> Any:
        module = type(self.dbapi_conn).__module__.split(".")[0]
        try:
            unbuffered = importlib.import_module(f"{module}.cursors").SSCursor
        except (ImportError, AttributeError):
            return self.dbapi_conn.cursor()
        return self.dbapi_conn.cursor(unbuffered)

    def cancel(self) -> None:
        self.cancelled = True
        self._kill_query()

    def _kill_query(self) -> None:
        """Stop this connection's statement from a second connection (best effort)."""
        thread_id = getattr(self.dbapi_conn, "thread_id", None)
        if thread_id is None:
            return
        with contextlib.suppress(Exception), self.conn.engine.connect() as other:
            other.exec_driver_sql(f"KILL QUERY {int(thread_id())}")

    def is_timeout(self, error: BaseException) -> bool:
        return _error_code(error) in _TIMEOUT_CODES

    def is_unavailable(self, error: BaseException) -> bool:
        code = _error_code(error)
        return code in _UNAVAILABLE_CODES or super().is_unavailable(error)

    def close_cursor(self, cursor: Any, finished: bool) -> bool:
        """Stop the statement first: an unbuffered cursor reads every unsent row on close."""
        if not finished:
            self._kill_query()
        return super().close_cursor(cursor, finished)

    def reset(self) -> None:
        variable = "max_statement_time" if self.mariadb else "max_execution_time"
        self.conn.exec_driver_sql(f"SET SESSION {variable} = DEFAULT")
        self.conn.rollback()


class _SQLiteSession(_Session):
    """``PRAGMA query_only`` on the connection and a progress handler enforcing the deadline.

    SQLite has no statement timeout; the handler runs every few thousand virtual-machine steps
    and aborts the statement once the deadline of the current round trip has passed.
    """

    _STEPS = 10_000

    def __init__(self, conn: Connection, timeout: float) -> None:
        super().__init__(conn, timeout)
        self.deadline = float("inf")
        self.timed_out = False

    def begin(self) -> None:
        self.dbapi_conn.execute("PRAGMA query_only = ON")
        self.dbapi_conn.set_progress_handler(self._progress, self._STEPS)

    def arm(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    def _progress(self) -> int:
        if self.cancelled:
            return 1
        if time.monotonic() > self.deadline:
            self.timed_out = True
            return 1
        return 0

    def cancel(self) -> None:
        self.cancelled = True
        with contextlib.suppress(Exception):  # nothing running: the flag still stops reading
            self.dbapi_conn.interrupt()

    def is_timeout(self, error: BaseException) -> bool:
        return self.timed_out

    def reset(self) -> None:
        self.dbapi_conn.set_progress_handler(None, 0)
        self.dbapi_conn.execute("PRAGMA query_only = OFF")


_SESSIONS: dict[str, Callable[[Connection, float], _Session]] = {
    "postgresql": _PostgresSession,
    "mysql": _MySQLSession,
    "mariadb": _MySQLSession,
    "sqlite": _SQLiteSession,
}


def _session_for(backend: str, conn: Connection, timeout: float) -> _Session:
    """The session handling for ``backend``; generic for SQL Server and Oracle."""
    return _SESSIONS.get(backend, _Session)(conn, timeout)
