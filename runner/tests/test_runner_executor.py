"""The executor runs only allowed orders, read-only, time-boxed and streamed, on real databases."""

import datetime
import threading
import time
import tracemalloc
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy
from databases import KINDS, throwaway_database
from ln1_runner.codec import decode_rows
from ln1_runner.config import RunnerConfig, load_config
from ln1_runner.executor import Executor, Extraction, ExtractionFailed
from ln1_runner.protocol import MAX_CHUNK_BYTES, OrderRejected, OrderSpec

CATALOG = """
[[catalog]]
name = "sales_between"
description = "Sales between two dates"
keywords = ["sales"]
sql = "SELECT id, amount, note FROM sales WHERE day >= :start AND day < :end ORDER BY id"
[catalog.params.start]
type = "date"
[catalog.params.end]
type = "date"

[[catalog]]
name = "all_sales"
description = "Every sale"
keywords = ["sales"]
sql = "SELECT id, note FROM sales ORDER BY id"
"""

WRITING_FUNCTION = {
    "postgresql": """
        CREATE FUNCTION ln1_bump() RETURNS integer LANGUAGE sql VOLATILE AS
        $$ INSERT INTO sales (id, day, amount, note) VALUES (999, '2026-01-01', 1, 'x')
           RETURNING id $$""",
    "mysql": """
        CREATE FUNCTION ln1_bump() RETURNS integer MODIFIES SQL DATA
        BEGIN INSERT INTO sales (id, day, amount, note) VALUES (999, '2026-01-01', 1, 'x');
        RETURN 1; END""",
}

MANY_ROWS = {
    "postgresql": "INSERT INTO big SELECT i, repeat('x', 40) FROM generate_series(1, {n}) AS i",
    "mysql": "INSERT INTO big SELECT seq, repeat('x', 40) FROM seq_1_to_{n}",
    "sqlite": """INSERT INTO big WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
                 WHERE i < {n}) SELECT i, printf('%.40c', 'x') FROM c""",
}

SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(10)",
    "mysql": "SELECT SLEEP(10)",
    "sqlite": """WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
                 WHERE i < 1000000000) SELECT count(*) FROM c""",
}


def write_config(
    tmp_path: Path, url: str, *, limits: str = "", catalog: str = CATALOG, name: str = "runner"
) -> RunnerConfig:
    path = tmp_path / f"{name}.toml"
    path.write_text(
        f'[server]\nurl = "wss://ln1.example.com"\ntoken = "tok-secret-1234"\n'
        f'[database]\nurl = "{url}"\n[limits]\n{limits}\n{catalog}',
        encoding="utf-8",
    )
    return load_config(path)


def order(**fields: object) -> OrderSpec:
    now = datetime.datetime.now(datetime.UTC)
    values: dict[str, object] = {
        "id": "o-1",
        "runner_id": "r-1",
        "requested_by": "u-1",
        "issued_at": now,
        "expires_at": now + datetime.timedelta(minutes=5),
    }
    values.update(fields)
    return OrderSpec(**values)  # type: ignore[arg-type]


def read_all(extraction: Extraction) -> list[tuple[object, ...]]:
    try:
        return [row for _, payload in extraction.chunks() for row in decode_rows(payload)]
    finally:
        extraction.close()


@pytest.fixture(params=KINDS)
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """(kind, url) of a new database holding a small ``sales`` table."""
    with throwaway_database(request.param, tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE sales (id INTEGER PRIMARY KEY, day DATE NOT NULL, "
                "amount DECIMAL(12, 2), note VARCHAR(200))"
            )
            conn.execute(
                sqlalchemy.text("INSERT INTO sales VALUES (:id, :day, :amount, :note)"),
                [
                    {
                        "id": i,
                        "day": datetime.date(2026, 1, 1) + datetime.timedelta(days=i),
                        "amount": str(Decimal(i) + Decimal("0.50")),  # SQLite binds no Decimal
                        "note": None if i % 5 == 0 else f"venta {i} · Peña ☕",
                    }
                    for i in range(50)
                ],
            )
        engine.dispose()
        yield request.param, url


def sales_count(url: str) -> int:
    engine = sqlalchemy.create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT count(*) FROM sales").scalar_one())
    finally:
        engine.dispose()


def test_catalog_query_runs_with_bound_arguments(db: tuple[str, str], tmp_path: Path) -> None:
    kind, url = db
    executor = Executor(write_config(tmp_path, url))
    extraction = executor.open(
        order(query="sales_between", args={"start": "2026-01-03", "end": "2026-01-06"})
    )
    assert extraction.columns == ["id", "amount", "note"]
    rows = read_all(extraction)
    assert [row[0] for row in rows] == [2, 3, 4]
    if kind != "sqlite":  # SQLite has no decimal type
        assert rows[0][1] == Decimal("2.50") and str(rows[0][1]) == "2.50"
    assert rows[0][2] == "venta 2 · Peña ☕"
    executor.dispose()


def test_orders_outside_the_catalog_are_refused(db: tuple[str, str], tmp_path: Path) -> None:
    executor = Executor(write_config(tmp_path, db[1]))
    cases = {
        "unknown_query": order(query="drop_everything"),
        "bad_arguments": order(query="sales_between", args={"start": "2026-01-01"}),
        "free_sql_disabled": order(sql="SELECT 1"),
        "bad_order": order(),
    }
    for code, spec in cases.items():
        with pytest.raises(OrderRejected) as refused:
            executor.open(spec)
        assert refused.value.code == code
    executor.dispose()


def test_free_sql_runs_only_if_it_passes_the_guard(db: tuple[str, str], tmp_path: Path) -> None:
    url = db[1]
    executor = Executor(write_config(tmp_path, url, limits="free_sql = true"))
    rows = read_all(
        executor.open(order(sql="SELECT count(*) AS n FROM sales WHERE note LIKE '%ñ%'"))
    )
    assert rows == [(40,)]
    for sql in (
        "DELETE FROM sales",
        "SELECT 1; DELETE FROM sales",
        "SELECT * FROM sales FOR UPDATE",
    ):
        with pytest.raises(OrderRejected) as refused:
            executor.open(order(sql=sql))
        assert refused.value.code == "unsafe_sql"
    assert sales_count(url) == 50
    executor.dispose()


@pytest.mark.parametrize("kind", ["postgresql", "mysql"])
def test_database_refuses_a_catalog_query_that_writes_through_a_function(
    kind: str, tmp_path: Path
) -> None:
    with throwaway_database(kind, tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE TABLE sales (id INTEGER PRIMARY KEY, day DATE, amount DECIMAL(12,2), "
                "note VARCHAR(200))"
            )
            if kind == "mysql":
                conn.exec_driver_sql("SET GLOBAL log_bin_trust_function_creators = 1")
            conn.exec_driver_sql(WRITING_FUNCTION[kind])
        engine.dispose()
        catalog = (
            '[[catalog]]\nname = "sneaky"\ndescription = "looks like a read"\n'
            'keywords = ["x"]\nsql = "SELECT ln1_bump() AS n"\n'
        )
        executor = Executor(write_config(tmp_path, url, catalog=catalog))
        with pytest.raises(ExtractionFailed) as failed:
            read_all(executor.open(order(query="sneaky")))
        assert failed.value.code == "database_error"
        assert "read" in failed.value.message.lower() and "only" in failed.value.message.lower()
        assert sales_count(url) == 0
        executor.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "mysql"])
def test_database_refuses_writes_even_when_the_guard_is_bypassed(kind: str, tmp_path: Path) -> None:
    with throwaway_database(kind, tmp_path) as url:
        engine = sqlalchemy.create_engine(url)
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE sales (id INTEGER, note VARCHAR(20))")
            conn.exec_driver_sql("INSERT INTO sales VALUES (1, 'a')")
        engine.dispose()
        executor = Executor(write_config(tmp_path, url, catalog=""))
        with pytest.raises(ExtractionFailed) as failed:
            read_all(executor._start("DELETE FROM sales", None, 5.0, 10))
        assert failed.value.code == "database_error"
        assert "read" in failed.value.message.lower()
        assert sales_count(url) == 1
        # the connection went back to the pool usable, and not stuck in read-only mode
        with executor.engine.begin() as conn:
            conn.exec_driver_sql("INSERT INTO sales VALUES (2, 'b')")
        assert sales_count(url) == 2
        executor.dispose()


def test_statement_timeout_fires_within_the_limit(db: tuple[str, str], tmp_path: Path) -> None:
    kind, url = db
    executor = Executor(write_config(tmp_path, url, limits="statement_timeout_s = 1"))
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failed:
        read_all(executor._start(SLOW_SQL[kind], None, 1.0, 10))
    assert failed.value.code == "timeout"
    assert time.monotonic() - started < 4
    assert read_all(executor.open(order(query="all_sales")))[:1] == [(0, None)]  # still usable
    executor.dispose()


def test_an_order_close_to_expiry_gets_only_the_time_it_has_left(tmp_path: Path) -> None:
    with throwaway_database("sqlite", tmp_path) as url:
        sqlalchemy.create_engine(url).connect().close()
        executor = Executor(write_config(tmp_path, url, limits="free_sql = true", catalog=""))
        now = datetime.datetime.now(datetime.UTC)
        spec = order(sql=SLOW_SQL["sqlite"], expires_at=now + datetime.timedelta(seconds=1))
        started = time.monotonic()
        with pytest.raises(ExtractionFailed) as failed:
            read_all(executor.open(spec))
        assert failed.value.code == "timeout"
        assert time.monotonic() - started < 3
        expired = order(sql="SELECT 1", expires_at=now - datetime.timedelta(seconds=1))
        with pytest.raises(OrderRejected) as refused:
            executor.open(expired)
        assert refused.value.code == "expired"
        executor.dispose()


def test_row_cap_truncates_and_says_so(db: tuple[str, str], tmp_path: Path) -> None:
    executor = Executor(write_config(tmp_path, db[1], limits="max_rows = 30"))
    capped = executor.open(order(query="all_sales", max_rows=10))
    assert len(read_all(capped)) == 10 and capped.truncated
    by_config = executor.open(order(query="all_sales", max_rows=1000))
    assert len(read_all(by_config)) == 30 and by_config.truncated
    exact = executor.open(
        order(query="sales_between", args={"start": "2026-01-01", "end": "2026-01-31"})
    )
    assert len(read_all(exact)) == 30 and not exact.truncated
    executor.dispose()


def test_chunks_are_bounded_by_rows_and_bytes(db: tuple[str, str], tmp_path: Path) -> None:
    kind, url = db
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        body = "MEDIUMTEXT" if kind == "mysql" else "TEXT"
        conn.exec_driver_sql(f"CREATE TABLE wide (id INTEGER, body {body})")
        conn.execute(
            sqlalchemy.text("INSERT INTO wide VALUES (:id, :body)"),
            [{"id": i, "body": chr(0x61 + i % 26) * 300_000} for i in range(12)],
        )
    engine.dispose()
    catalog = CATALOG + (
        '[[catalog]]\nname = "wide"\ndescription = "wide rows"\nkeywords = ["x"]\n'
        'sql = "SELECT id, body FROM wide ORDER BY id"\n'
    )
    executor = Executor(write_config(tmp_path, url, limits="chunk_rows = 7", catalog=catalog))
    narrow = list(executor.open(order(query="all_sales")).chunks())  # closes when done
    assert [count for count, _ in narrow] == [7] * 7 + [1]
    extraction = executor.open(order(query="wide"))
    chunks = list(extraction.chunks())
    extraction.close()
    assert all(len(payload) <= MAX_CHUNK_BYTES for _, payload in chunks)
    assert sum(count for count, _ in chunks) == 12 and len(chunks) >= 4
    rows = [row for _, payload in chunks for row in decode_rows(payload)]
    assert [row[0] for row in rows] == list(range(12)) and rows[5][1] == "f" * 300_000
    executor.dispose()


def test_values_round_trip_with_the_drivers_types(db: tuple[str, str], tmp_path: Path) -> None:
    kind, url = db
    columns = {
        "postgresql": "d DATE, ts TIMESTAMP, tz TIMESTAMPTZ, n NUMERIC(20,4), big NUMERIC(30,0), "
        "i BIGINT, f DOUBLE PRECISION, b BOOLEAN, t TEXT, raw BYTEA",
        "mysql": "d DATE, ts DATETIME(6), tz TIMESTAMP(6) NULL, n DECIMAL(20,4), "
        "big DECIMAL(30,0), i BIGINT, f DOUBLE, b BOOLEAN, t TEXT, raw BLOB",
        "sqlite": "d DATE, ts TIMESTAMP, tz TEXT, n NUMERIC, big INTEGER, i INTEGER, f REAL, "
        "b BOOLEAN, t TEXT, raw BLOB",
    }[kind]
    values = {
        "d": datetime.date(2026, 11, 24),
        "ts": datetime.datetime(2026, 11, 24, 13, 5, 59, 123456),
        "tz": datetime.datetime(2026, 11, 24, 13, 5, tzinfo=datetime.UTC),
        "n": Decimal("1234.5600") if kind != "sqlite" else "1234.5600",
        "big": 2**64 + 5 if kind == "postgresql" else 2**62,
        "i": -(2**63),
        "f": 0.1,
        "b": True,
        "t": "Año nuevo, ñandú y 🎉",
        "raw": b"\x00\xffbinary",
    }
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE TABLE typed ({columns})")
        insert = sqlalchemy.text(f"INSERT INTO typed VALUES ({', '.join(':' + k for k in values)})")
        conn.execute(insert, [values, dict.fromkeys(values)])
    with engine.connect() as conn:
        direct = [tuple(row) for row in conn.exec_driver_sql("SELECT * FROM typed")]
    engine.dispose()
    executor = Executor(write_config(tmp_path, url, limits="free_sql = true"))
    got = read_all(executor.open(order(sql="SELECT * FROM typed")))
    assert got == direct
    assert [[type(v) for v in row] for row in got] == [[type(v) for v in row] for row in direct]
    assert got[1] == (None,) * len(values)
    if kind != "sqlite":
        assert got[0][0] == values["d"] and type(got[0][0]) is datetime.date
        assert got[0][1] == values["ts"]
        assert str(got[0][3]) == "1234.5600"
    executor.dispose()


def peak_memory_of_reading(executor: Executor, rows: int) -> int:
    extraction = executor.open(order(sql=f"SELECT id, body FROM big WHERE id <= {rows}"))
    tracemalloc.start()
    try:
        count = sum(n for n, _ in extraction.chunks())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        extraction.close()
    assert count == rows
    return peak


def test_memory_stays_flat_whatever_the_result_size(db: tuple[str, str], tmp_path: Path) -> None:
    kind, url = db
    engine = sqlalchemy.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE big (id INTEGER, body VARCHAR(50))")
        if kind == "mysql":
            conn.exec_driver_sql("SET SESSION max_recursive_iterations = 1000000")
        conn.exec_driver_sql(MANY_ROWS[kind].format(n=200_000))
    engine.dispose()
    executor = Executor(write_config(tmp_path, url, limits="free_sql = true\nmax_rows = 300000"))
    small = peak_memory_of_reading(executor, 20_000)
    large = peak_memory_of_reading(executor, 200_000)
    assert large / small < 3, (small, large)
    executor.dispose()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://reader:pw-s3cret@127.0.0.1:1/sales",
        "mysql+pymysql://reader:pw-s3cret@127.0.0.1:1/sales",
        "sqlite:///missing-sales.sqlite",
    ],
)
def test_a_database_that_is_down_fails_fast_as_unavailable(url: str, tmp_path: Path) -> None:
    executor = Executor(write_config(tmp_path, url))
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failed:
        executor.open(order(query="all_sales"))
    assert failed.value.code == "database_unavailable"
    assert time.monotonic() - started < 5
    assert "pw-s3cret" not in failed.value.message
    assert "sales" in failed.value.message
    executor.dispose()


def test_close_after_a_partial_read_returns_a_usable_connection(
    db: tuple[str, str], tmp_path: Path
) -> None:
    executor = Executor(write_config(tmp_path, db[1], limits="chunk_rows = 5"))
    extraction = executor.open(order(query="all_sales"))
    first = next(iter(extraction.chunks()))
    assert first[0] == 5
    extraction.close()
    extraction.close()
    assert len(read_all(executor.open(order(query="all_sales")))) == 50
    assert executor.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    executor.dispose()


def test_cancel_from_another_thread_stops_a_running_extraction(
    db: tuple[str, str], tmp_path: Path
) -> None:
    kind, url = db
    endless = {
        "postgresql": "SELECT i FROM generate_series(1, 1000000000) AS i",
        "mysql": "SELECT a.seq FROM seq_1_to_1000000 a, seq_1_to_1000 b",
        "sqlite": "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT i FROM c",
    }[kind]
    executor = Executor(write_config(tmp_path, url, catalog=""))
    extraction = executor._start(endless, None, 30.0, 10**9)
    canceller = threading.Timer(0.5, extraction.cancel)
    canceller.start()
    started = time.monotonic()
    with pytest.raises(ExtractionFailed) as failed:
        read_all(extraction)
    assert failed.value.code == "cancelled"
    assert time.monotonic() - started < 5
    # MySQL's cancel sends KILL QUERY over a second pooled connection; the reader can see
    # the interruption before that connection is back, so wait for the cancelling thread.
    canceller.join(5)
    assert executor.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    executor.dispose()
