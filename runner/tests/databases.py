"""Throw-away client databases on the local servers (PostgreSQL, MariaDB) and in SQLite files.

Each call creates a database with a random name and drops it afterwards, so runs never see each
other's data. A server that does not answer fails the test with a plain message: a machine that
lacks it must not pass silently.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pymysql

PG_ADMIN_DSN = os.environ.get("LN1_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
MARIADB = {"host": "127.0.0.1", "port": 3306, "user": "root", "password": ""}
KINDS = ("sqlite", "postgresql", "mysql")


@contextlib.contextmanager
def throwaway_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """Yield a SQLAlchemy URL of a new, empty database of ``kind``; drop it afterwards."""
    name = f"ln1_rt_{secrets.token_hex(4)}"
    if kind == "sqlite":
        yield f"sqlite:///{tmp_dir / (name + '.sqlite')}"
        return
    if kind == "postgresql":
        try:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
        except psycopg.OperationalError as e:
            raise RuntimeError(f"PostgreSQL is needed for this test and did not answer: {e}") from e
        try:
            yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
        finally:
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    if kind == "mysql":
        try:
            conn = pymysql.connect(**MARIADB, connect_timeout=5, autocommit=True)
        except pymysql.err.OperationalError as e:
            raise RuntimeError(f"MariaDB is needed for this test and did not answer: {e}") from e
        with conn, conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield f"mysql+pymysql://root@127.0.0.1:3306/{name}?charset=utf8mb4"
        finally:
            conn = pymysql.connect(**MARIADB, autocommit=True)
            with conn, conn.cursor() as cur:
                cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        return
    raise ValueError(f"unknown database kind {kind!r}")
