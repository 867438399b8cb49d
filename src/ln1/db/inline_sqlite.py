"""SQLite on the event loop's own thread, behind aiosqlite's API.

aiosqlite sends every call to a worker thread and back. A statement on a local SQLite
file takes microseconds, while the round trip costs ~0.5 ms here (measured: a primary-key
SELECT takes 0.010 ms through sqlite3 and 0.46 ms through aiosqlite), and a chat turn
makes a dozen such calls. ``InlineConnection`` keeps aiosqlite's interface (which
SQLAlchemy's ``sqlite+aiosqlite`` dialect and LangGraph's ``AsyncSqliteSaver`` expect) but
runs each call directly.

What keeps this safe: a call blocks the loop only for as long as SQLite works, which holds
as long as no write transaction stays open across an ``await`` on something other than
the database. Otherwise another task's write would wait for a lock whose holder cannot
run. ln1's write transactions (storing a turn, a checkpoint, a key's last use) run start to
commit with no other await in between, and Python's sqlite3 opens transactions only for
writes. A lock held by another process (``ln1 admin``) is waited for by SQLite's busy
timeout, briefly blocking this loop: acceptable for the one-machine default. PostgreSQL
does not use this module.
"""

from __future__ import annotations

import sqlite3
from functools import partial
from typing import Any

import aiosqlite


class InlineConnection(aiosqlite.Connection):
    """An ``aiosqlite.Connection`` that runs calls on the calling thread, not a worker."""

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def connect(path: str) -> InlineConnection:
    """Like ``aiosqlite.connect(path)``; await it or use ``async with``."""
    return InlineConnection(partial(sqlite3.connect, path, check_same_thread=False), 64)
