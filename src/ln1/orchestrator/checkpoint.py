"""The LangGraph checkpointer, on the same database as the application.

SQLite: its own connection to the same file (WAL, busy timeout; run inline, see
``ln1.db.inline_sqlite``). PostgreSQL: a
psycopg pool to the same database. The savers create and migrate their own tables.

Each turn writes one checkpoint. Only the latest is ever read (the messages table keeps
the history), so ``prune_thread`` drops the older ones every ``PRUNE_EVERY`` turns and a
thread's checkpoints stay bounded however long it runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from psycopg.rows import dict_row
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.engine import make_url

from ln1.config import Settings
from ln1.db import inline_sqlite
from ln1.db.engine import SQLITE_PRAGMAS
from ln1.db.migrate import MIGRATION_LOCK

PRUNE_EVERY = 20

_SQLITE_PRUNE = (
    "DELETE FROM writes WHERE thread_id = ?1 AND checkpoint_ns = '' AND checkpoint_id < "
    "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = '')",
    "DELETE FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = '' AND checkpoint_id < "
    "(SELECT MAX(checkpoint_id) FROM checkpoints WHERE thread_id = ?1 AND checkpoint_ns = '')",
)


async def prune_thread(saver: BaseCheckpointSaver, thread_id: str) -> None:
    """Keep only the thread's latest checkpoint."""
    if isinstance(saver, AsyncPostgresSaver):
        await saver.aprune([thread_id], strategy="keep_latest")
    elif isinstance(saver, AsyncSqliteSaver):
        # The SQLite saver has no prune; its checkpoint ids sort by time (uuid6).
        async with saver.lock:
            for statement in _SQLITE_PRUNE:
                await saver.conn.execute(statement, (thread_id,))
            await saver.conn.commit()


@asynccontextmanager
async def open_checkpointer(settings: Settings) -> AsyncIterator[BaseCheckpointSaver]:
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        async with inline_sqlite.connect(url.database or ":memory:") as conn:
            for pragma in SQLITE_PRAGMAS:
                await conn.execute(pragma)
            saver = AsyncSqliteSaver(conn)
            await saver.setup()
            yield saver
        return
    conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with AsyncConnectionPool(
        conninfo,
        min_size=1,
        max_size=10,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
    ) as pool:
        saver = AsyncPostgresSaver(pool)  # type: ignore[arg-type]
        # Several API replicas may start at once; their schema set-ups must not race.
        # Waiting is done by polling pg_try_advisory_lock, never by a blocking call: setup()
        # runs CREATE INDEX CONCURRENTLY, which waits for every running statement, including
        # another replica's blocked pg_advisory_lock (a deadlock PostgreSQL cannot see).
        async with pool.connection() as lock:
            while not await _try_lock(lock):  # noqa: ASYNC110 - polling PostgreSQL, see above
                await asyncio.sleep(0.2)
            try:
                await saver.setup()
            finally:
                await lock.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        yield saver


async def _try_lock(conn: Any) -> bool:
    row = await (
        await conn.execute("SELECT pg_try_advisory_lock(%s) AS ok", (MIGRATION_LOCK,))
    ).fetchone()
    return bool(row and row["ok"])
