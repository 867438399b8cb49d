"""One turn at a time per thread, across every API process that may serve it.

Each turn reads a thread's latest checkpoint and writes the next one, so two messages to
one thread must not overlap. Within a process an ``asyncio.Lock`` per thread queues them.
Across processes:

- Embedded default (SQLite, one machine): a POSIX record lock on one byte of a shared lock
  file, at an offset hashed from the thread id. The kernel drops a record lock when its
  process dies, so a crashed process never leaves a thread locked, and the one file serves
  every thread (no lock file per thread to clean up).
- PostgreSQL (API replicas possibly on several machines, each with its own data folder): a
  PostgreSQL advisory lock keyed by the thread, held on a connection of the turn's own.
  PostgreSQL drops it when that connection ends, so a crashed replica frees it too. A turn
  then holds two of the pool's connections (its session's and the lock's).

Record locks belong to the process, not to a task or a descriptor. Hence the in-process lock
is taken first (a process never asks for a byte it may already hold), and the file stays
open for the process's life (closing any descriptor of it would drop all its locks).
Waiting for another process polls (``LOCK_NB``, ``pg_try_advisory_lock``): a blocking
``lockf`` would stall the event loop, and a blocked PostgreSQL call cannot be abandoned
cleanly when the client goes away.
"""

from __future__ import annotations

import asyncio
import errno
import fcntl
import hashlib
import os
import weakref
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

FIRST_WAIT_S = 0.001
MAX_WAIT_S = 0.02
_BUSY = (errno.EACCES, errno.EAGAIN)
# The two-key form of PostgreSQL's advisory locks, this class for turns: it never conflicts
# with the one-key locks (the schema migration's) whatever the numbers.
PG_TURN_CLASS = 0x6C6E31  # "ln1"
_PG_TRY = text("SELECT pg_try_advisory_lock(:cls, :key)")
_PG_UNLOCK = text("SELECT pg_advisory_unlock(:cls, :key)")


def byte_of(thread_id: str) -> int:
    """The lock file offset of a thread: 62 bits of a hash, so collisions do not happen."""
    digest = hashlib.blake2b(thread_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


def pg_key_of(thread_id: str) -> int:
    """A thread's PostgreSQL lock key: 31 bits of a hash (a rare collision only makes two
    threads wait for each other)."""
    return byte_of(thread_id) >> 31


class TurnLocks:
    """Per-thread turn locks of one process.

    ``path``: also lock across this machine's processes (the embedded default).
    ``engine``: also lock across every process on this PostgreSQL database (the lock file,
    which covers one machine only, is then not used). Neither: within the process only.
    """

    def __init__(self, path: Path | None = None, engine: AsyncEngine | None = None) -> None:
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._fd: int | None = None
        self._engine = engine
        if path is not None and engine is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    def _local_lock(self, thread_id: str) -> asyncio.Lock:
        lock = self._local.get(thread_id)
        if lock is None:
            lock = asyncio.Lock()
            self._local[thread_id] = lock
        return lock

    @asynccontextmanager
    async def hold(self, thread_id: str) -> AsyncIterator[None]:
        """Run the block as the only turn of ``thread_id`` (see the module's docstring)."""
        async with self._local_lock(thread_id):
            if self._engine is not None:
                key = pg_key_of(thread_id)
                async with self._engine.connect() as conn:
                    await _pg_acquire(conn, key)
                    try:
                        yield
                    finally:
                        await _pg_release(conn, key)
                return
            if self._fd is None:
                yield
                return
            offset = byte_of(thread_id)
            await self._acquire(self._fd, offset)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN, 1, offset)

    @staticmethod
    async def _acquire(fd: int, offset: int) -> None:
        wait = FIRST_WAIT_S
        while True:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
                return
            except OSError as e:
                if e.errno not in _BUSY:
                    raise
            await asyncio.sleep(wait)
            wait = min(MAX_WAIT_S, wait * 2)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


async def _pg_acquire(conn: AsyncConnection, key: int) -> None:
    """Poll until the lock is ours. Interrupted (the client left, say) with the outcome of a
    try unknown, the connection is discarded, so it never goes back to the pool locked."""
    wait = FIRST_WAIT_S
    try:
        while True:
            if await conn.scalar(_PG_TRY, {"cls": PG_TURN_CLASS, "key": key}):
                await conn.commit()  # no transaction left open while the turn runs
                return
            await conn.rollback()
            await asyncio.sleep(wait)
            wait = min(MAX_WAIT_S, wait * 2)
    except BaseException:
        await conn.invalidate()
        raise


async def _pg_release(conn: AsyncConnection, key: int) -> None:
    """Unlock before the connection goes back to the pool; if that fails, the connection is
    discarded instead, and PostgreSQL drops its locks with it."""
    try:
        await conn.execute(_PG_UNLOCK, {"cls": PG_TURN_CLASS, "key": key})
        await conn.commit()
    except BaseException:
        await conn.invalidate()
        raise
