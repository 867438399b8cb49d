"""Security tests: hostile SQL is refused by the guard, and does real harm when it is not.

The first part checks every string of the corpus in ``hostile_sql`` against ``check_select``.
The second part takes a sample and runs it straight through the raw drivers (psycopg, pymysql
with multi-statements, sqlite3.executescript) against throw-away databases on the local
PostgreSQL and MariaDB servers and in SQLite files, shows the damage, then restores the data and
shows that the runner's path (check the SQL, send only what the check returns) stops the same
text before it reaches the database, leaving the data untouched.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest
import sqlglot
from databases import MARIADB, throwaway_database
from hostile_sql import (
    CATEGORIES,
    CORPUS,
    LINE_COMMENT_DELETE,
    LITE_ATTACH_WEBSHELL,
    LITE_TRIGGER,
    MY_BACKSLASH,
    MY_GET_LOCK,
    MY_HASH_COMMENT,
    MY_OR_TRUE_UPDATE,
    MY_SLEEP_UNION,
    NEUTRALISED,
    PG_DELETE_CTE,
    PG_DOLLAR_QUOTE,
    PG_E_STRING,
    PG_NESTED_COMMENT,
    PG_NOTIFY,
    PG_READ_WRITE_AGAIN,
    PG_SELECT_INTO,
    PG_SETVAL,
    PG_SLEEP_IN_WHERE,
    PG_STACKED_DROP,
    PG_TRY_LOCK,
    STACKED_UPDATE,
)
from ln1_runner.sqlguard import DIALECTS, UnsafeQuery, check_select
from pymysql.constants import CLIENT

CASES = [(entry.category, dialect, entry.sql) for entry in CORPUS for dialect in entry.dialects]
DIALECTS_OF = {entry.sql: entry.dialects for entry in CORPUS}


# -- Part 1: the whole corpus is refused ------------------------------------------------------


def test_corpus_is_large_distinct_and_covers_every_category() -> None:
    texts = [entry.sql for entry in CORPUS]
    assert len(set(texts)) == len(texts), "duplicate corpus strings"
    assert len(set(texts)) >= 150
    per_category = Counter(entry.category for entry in CORPUS)
    assert set(per_category) == set(CATEGORIES)
    assert min(per_category.values()) >= 10, per_category
    for entry in CORPUS:
        assert entry.dialects, entry.sql
        assert set(entry.dialects) <= set(DIALECTS), entry.dialects
        assert entry.sql.strip(), "empty corpus string"
    assert {d for entry in CORPUS for d in entry.dialects} == set(DIALECTS)


@pytest.mark.parametrize(("category", "dialect", "sql"), CASES)
def test_hostile_sql_is_refused_with_a_plain_reason(category: str, dialect: str, sql: str) -> None:
    with pytest.raises(UnsafeQuery) as refused:
        check_select(sql, dialect)
    message = str(refused.value)
    assert message.strip(), f"empty refusal for {category} payload"
    assert "\x1b" not in message, f"terminal escape codes in {message!r}"
    assert len(re.findall(r"[A-Za-z]{3,}", message)) >= 3, f"not plain words: {message!r}"
    assert len(message) < 400
    assert "Traceback" not in message


@pytest.mark.parametrize(("dialect", "sql"), NEUTRALISED)
def test_mysql_executable_comment_is_accepted_only_in_a_defused_form(
    dialect: str, sql: str
) -> None:
    checked = check_select(sql, dialect)
    assert "/*!" not in checked
    assert len(sqlglot.parse(checked, read=dialect)) == 1


# -- Part 2: harm on real databases, and the guard stopping it --------------------------------

SEED = [
    (1, "Ada", "ada@example.com", 12050),
    (2, "Bob", "bob@example.com", 8000),
    (3, "Cyd", "cyd@example.com", 1500),
]
SEED_VALUES = ", ".join(f"({i}, '{n}', '{e}', {b})" for i, n, e, b in SEED)


class Db:
    """A throw-away database holding a seeded ``customers`` table, driven by its raw driver."""

    kind = ""
    dialect = ""

    def raw(self, sql: str) -> list[tuple[Any, ...]]:
        """Send ``sql`` exactly as given, all statements of it; return the first result set."""
        raise NotImplementedError

    def seed(self) -> None:
        raise NotImplementedError

    def exists(self, table: str) -> bool:
        raise NotImplementedError

    def snapshot(self) -> list[tuple[Any, ...]] | None:
        if not self.exists("customers"):
            return None
        rows = self.raw("SELECT id, name, email, balance FROM customers ORDER BY id")
        return [tuple(row) for row in rows]

    def run_like_the_runner(self, sql: str) -> list[tuple[Any, ...]]:
        """The runner's path: only the text check_select returns is ever sent."""
        return self.raw(check_select(sql, self.dialect))


class PgDb(Db):
    kind = "postgresql"
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        self.dsn = url.replace("postgresql+psycopg://", "postgresql://")

    def connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(self.dsn, autocommit=True, connect_timeout=5)

    def raw(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            return self.raw_on(conn, sql)

    @staticmethod
    def raw_on(conn: psycopg.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
        # No parameters: psycopg uses the simple query protocol, so every statement runs.
        cur = conn.execute(sql)  # untrusted text on purpose: that is the point
        rows = cur.fetchall() if cur.description else []
        while cur.nextset():
            pass
        return rows

    def seed(self) -> None:
        self.raw(
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public; "
            "CREATE TABLE customers (id serial PRIMARY KEY, name text NOT NULL, email text, "
            "balance integer NOT NULL); "
            f"INSERT INTO customers (id, name, email, balance) VALUES {SEED_VALUES}; "
            "SELECT setval('customers_id_seq', 3)"
        )

    def exists(self, table: str) -> bool:
        return self.raw(f"SELECT to_regclass('public.{table}') IS NOT NULL")[0][0]


class MariaDb(Db):
    kind = "mysql"
    dialect = "mysql"

    def __init__(self, url: str) -> None:
        self.database = url.rsplit("/", 1)[1].split("?", 1)[0]

    def connect(self) -> pymysql.Connection[Any]:
        return pymysql.connect(
            **MARIADB,
            database=self.database,
            autocommit=True,
            connect_timeout=5,
            client_flag=CLIENT.MULTI_STATEMENTS,
        )

    def raw(self, sql: str) -> list[tuple[Any, ...]]:
        with self.connect() as conn:
            return self.raw_on(conn, sql)

    @staticmethod
    def raw_on(conn: pymysql.Connection[Any], sql: str) -> list[tuple[Any, ...]]:
        with conn.cursor() as cur:
            cur.execute(sql)  # no arguments: the text goes as is, every statement runs
            rows = list(cur.fetchall())
            while cur.nextset():
                pass
        return rows

    def seed(self) -> None:
        self.raw(
            "DROP TABLE IF EXISTS customers, customers_copy; "
            "CREATE TABLE customers (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(50) NOT NULL, "
            "email VARCHAR(100), balance INT NOT NULL); "
            f"INSERT INTO customers (id, name, email, balance) VALUES {SEED_VALUES}"
        )

    def exists(self, table: str) -> bool:
        rows = self.raw(
            "SELECT count(*) FROM information_schema.tables "
            f"WHERE table_schema = '{self.database}' AND table_name = '{table}'"
        )
        return rows[0][0] == 1


class LiteDb(Db):
    kind = "sqlite"
    dialect = "sqlite"

    def __init__(self, url: str) -> None:
        self.path = Path(url.removeprefix("sqlite:///"))

    def raw(self, sql: str) -> list[tuple[Any, ...]]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            return conn.execute(sql).fetchall()
        except sqlite3.ProgrammingError:  # more than one statement: run them all, as a script
            conn.executescript(sql)
            return []
        finally:
            conn.close()

    def seed(self) -> None:
        self.path.unlink(missing_ok=True)
        self.raw(
            "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT, "
            f"balance INTEGER NOT NULL); INSERT INTO customers VALUES {SEED_VALUES};"
        )

    def exists(self, table: str) -> bool:
        rows = self.raw(f"SELECT count(*) FROM sqlite_master WHERE name = '{table}'")
        return rows[0][0] == 1


@pytest.fixture(scope="module")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Db]]:
    """One throw-away database per kind for this module; each test re-seeds what it uses."""
    made: dict[str, Db] = {}
    with (
        throwaway_database("postgresql", tmp_path_factory.mktemp("pg")) as pg_url,
        throwaway_database("mysql", tmp_path_factory.mktemp("my")) as my_url,
        throwaway_database("sqlite", tmp_path_factory.mktemp("lite")) as lite_url,
    ):
        made["postgresql"] = PgDb(pg_url)
        made["mysql"] = MariaDb(my_url)
        made["sqlite"] = LiteDb(lite_url)
        yield made


def _in_corpus(sql: str, dialect: str) -> None:
    assert dialect in DIALECTS_OF.get(sql, ()), "harm tests must use corpus strings"


def _guard_stops_it(db: Db, sql: str) -> None:
    """On freshly seeded data, the runner's path refuses ``sql`` and nothing changes."""
    db.seed()
    before = db.snapshot()
    assert before == SEED
    with pytest.raises(UnsafeQuery):
        db.run_like_the_runner(sql)
    assert db.snapshot() == before


def _table_gone(db: Db) -> None:
    assert db.snapshot() is None


def _balances_zeroed(db: Db) -> None:
    snapshot = db.snapshot()
    assert snapshot is not None and len(snapshot) == 3
    assert {row[3] for row in snapshot} == {0}


def _rows_deleted(db: Db) -> None:
    assert db.snapshot() == []


def _copy_made(db: Db) -> None:
    assert db.exists("customers_copy")
    assert db.raw("SELECT count(*) FROM customers_copy")[0][0] == 3


PLAIN_HARM: list[tuple[str, str, Callable[[Db], None]]] = [
    ("postgresql", PG_STACKED_DROP, _table_gone),
    ("postgresql", STACKED_UPDATE, _balances_zeroed),
    ("postgresql", PG_DELETE_CTE, _rows_deleted),
    ("postgresql", PG_SELECT_INTO, _copy_made),
    ("postgresql", PG_E_STRING, _table_gone),
    ("postgresql", PG_NESTED_COMMENT, _rows_deleted),
    ("postgresql", PG_DOLLAR_QUOTE, _balances_zeroed),
    ("mysql", PG_STACKED_DROP, _table_gone),
    ("mysql", MY_OR_TRUE_UPDATE, _balances_zeroed),
    ("mysql", MY_BACKSLASH, _rows_deleted),
    ("mysql", MY_HASH_COMMENT, _rows_deleted),
    ("sqlite", PG_STACKED_DROP, _table_gone),
    ("sqlite", STACKED_UPDATE, _balances_zeroed),
    ("sqlite", LINE_COMMENT_DELETE, _rows_deleted),
]


@pytest.mark.parametrize(
    ("kind", "sql", "damage"),
    PLAIN_HARM,
    ids=[
        f"{kind}-{i}-{damage.__name__.strip('_')}" for i, (kind, _, damage) in enumerate(PLAIN_HARM)
    ],
)
def test_hostile_sql_damages_the_database_when_sent_raw_and_the_runner_refuses_it(
    databases: dict[str, Db], kind: str, sql: str, damage: Callable[[Db], None]
) -> None:
    db = databases[kind]
    _in_corpus(sql, db.dialect)
    db.seed()
    db.raw(sql)
    damage(db)
    _guard_stops_it(db, sql)


@pytest.mark.parametrize(
    ("kind", "sql"), [("postgresql", PG_SLEEP_IN_WHERE), ("mysql", MY_SLEEP_UNION)]
)
def test_sleep_payload_holds_the_database_and_the_runner_refuses_it(
    databases: dict[str, Db], kind: str, sql: str
) -> None:
    db = databases[kind]
    _in_corpus(sql, db.dialect)
    db.seed()
    start = time.perf_counter()
    db.raw(sql)
    assert time.perf_counter() - start >= 0.9  # one second of sleep, per call
    start = time.perf_counter()
    _guard_stops_it(db, sql)
    assert time.perf_counter() - start < 0.9


def test_set_config_turns_a_read_only_session_writable_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["postgresql"]
    assert isinstance(db, PgDb)
    _in_corpus(PG_READ_WRITE_AGAIN, db.dialect)
    db.seed()
    with db.connect() as conn:
        conn.execute("SET default_transaction_read_only = on")  # a read-only session
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("UPDATE customers SET balance = 0")
        db.raw_on(conn, PG_READ_WRITE_AGAIN)
        assert conn.execute("SHOW default_transaction_read_only").fetchone() == ("off",)
        conn.execute("UPDATE customers SET balance = 0")  # the session writes again
    _balances_zeroed(db)
    _guard_stops_it(db, PG_READ_WRITE_AGAIN)


def test_setval_breaks_the_applications_next_insert_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["postgresql"]
    _in_corpus(PG_SETVAL, db.dialect)
    db.seed()
    db.raw(PG_SETVAL)
    with pytest.raises(psycopg.errors.UniqueViolation):  # the client's app cannot add a customer
        db.raw("INSERT INTO customers (name, balance) VALUES ('Dee', 0)")
    _guard_stops_it(db, PG_SETVAL)


def test_pg_notify_reaches_listening_applications_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["postgresql"]
    assert isinstance(db, PgDb)
    _in_corpus(PG_NOTIFY, db.dialect)
    db.seed()
    with db.connect() as listener:
        listener.execute("LISTEN invoice_jobs")
        db.raw(PG_NOTIFY)
        received = list(listener.notifies(timeout=2, stop_after=1))
        assert [n.payload for n in received] == ['{"action": "refund_all"}']
        _guard_stops_it(db, PG_NOTIFY)
        assert list(listener.notifies(timeout=0.3, stop_after=1)) == []


def test_advisory_lock_outlives_the_query_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["postgresql"]
    assert isinstance(db, PgDb)
    _in_corpus(PG_TRY_LOCK, db.dialect)
    db.seed()
    with db.connect() as attacker, db.connect() as application:
        assert db.raw_on(attacker, PG_TRY_LOCK) == [(True,)]
        # The query is over, yet the client's own job cannot take its lock.
        assert db.raw_on(application, "SELECT pg_try_advisory_lock(4242)") == [(False,)]
    _guard_stops_it(db, PG_TRY_LOCK)


def test_get_lock_outlives_the_query_on_mariadb_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["mysql"]
    assert isinstance(db, MariaDb)
    _in_corpus(MY_GET_LOCK, db.dialect)
    db.seed()
    with db.connect() as attacker, db.connect() as application:
        assert db.raw_on(attacker, MY_GET_LOCK) == [(1,)]
        assert db.raw_on(application, "SELECT IS_FREE_LOCK('nightly_invoice_run')") == [(0,)]
    _guard_stops_it(db, MY_GET_LOCK)


def test_attach_database_writes_a_web_shell_file_and_the_runner_refuses_it(
    databases: dict[str, Db], tmp_path: Path
) -> None:
    db = databases["sqlite"]
    _in_corpus(LITE_ATTACH_WEBSHELL, db.dialect)
    shell = tmp_path / "shell.php"
    sql = LITE_ATTACH_WEBSHELL.replace("/var/www/html/shell.php", str(shell))
    db.seed()
    db.raw(sql)
    assert shell.exists()
    assert b"<?php system(" in shell.read_bytes()
    shell.unlink()
    _guard_stops_it(db, sql)
    _guard_stops_it(db, LITE_ATTACH_WEBSHELL)
    assert not shell.exists()


def test_stacked_trigger_wipes_the_table_on_the_next_insert_and_the_runner_refuses_it(
    databases: dict[str, Db],
) -> None:
    db = databases["sqlite"]
    _in_corpus(LITE_TRIGGER, db.dialect)
    db.seed()
    db.raw(LITE_TRIGGER)
    assert db.snapshot() == SEED  # nothing visible yet ...
    db.raw("INSERT INTO customers (name, balance) VALUES ('Dee', 0)")
    _rows_deleted(db)  # ... until the application adds a customer
    _guard_stops_it(db, LITE_TRIGGER)


def test_mysql_executable_comments_harm_raw_but_not_as_the_runner_sends_them(
    databases: dict[str, Db],
) -> None:
    db = databases["mysql"]
    or_true, drop, sleep = (sql for _, sql in NEUTRALISED)
    db.seed()
    assert len(db.raw(or_true)) == 3  # every customer, not just number 1
    start = time.perf_counter()
    db.raw(sleep)
    assert time.perf_counter() - start >= 0.9
    db.raw(drop)
    _table_gone(db)

    db.seed()
    assert db.run_like_the_runner(or_true) == [("Ada",)]
    start = time.perf_counter()
    assert db.run_like_the_runner(sleep) == [("Ada",)]
    assert time.perf_counter() - start < 0.9
    assert db.run_like_the_runner(drop) == [SEED[0]]
    assert db.snapshot() == SEED
