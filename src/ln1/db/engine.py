"""Engine and session factory for the application database.

SQLite gets WAL and a busy timeout because the API, ``ln1 admin`` (another process) and
the LangGraph checkpointer (another connection) all write to the same file.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from ln1.db import inline_sqlite
from ln1.db.inline_sqlite import InlineConnection

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=10000",
    "PRAGMA foreign_keys=ON",
)


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; pragmas are applied on each new SQLite connection.

    SQLite connections run inline on the event loop (see ``ln1.db.inline_sqlite``).
    """
    if url.startswith("sqlite"):
        path = make_url(url).database or ":memory:"

        async def inline_connection() -> InlineConnection:
            return await inline_sqlite.connect(path)

        engine = create_async_engine(url, async_creator=inline_connection, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


def make_sync_engine(async_url: str) -> Engine:
    """A blocking engine on the same database, for worker processes (Celery tasks are sync).

    Its write transactions must stay short: the API's SQLite connections wait on them on the
    event loop (see ``ln1.db.inline_sqlite``).
    """
    from ln1.db.migrate import sync_url

    url = sync_url(async_url)
    if url.startswith("sqlite"):
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    return create_engine(url, pool_size=2, max_overflow=2, pool_pre_ping=True)
