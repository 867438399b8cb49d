"""One turn at a time per thread, across every API process on this machine.

Each turn reads a thread's latest checkpoint and writes the next one, so two messages to
one thread must not overlap. Within a process an ``asyncio.Lock`` per thread queues them.
Across the API processes ``ln1 up`` runs (``LN1_API_PROCESSES``) a POSIX record lock does:
one byte of a shared lock file, at an offset hashed from the thread id. The kernel drops a
record lock when its process dies, so a crashed process never leaves a thread locked, and
the one file serves every thread (no lock file per thread to clean up).

Record locks belong to the process, not to a task or a descriptor. Hence the in-process lock
is taken first (a process never asks for a byte it may already hold), and the file stays
open for the process's life (closing any descriptor of it would drop all its locks).
Waiting for another process polls with ``LOCK_NB``: a blocking ``lockf`` would stall the
event loop, and with it every other conversation of this process.
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

FIRST_WAIT_S = 0.001
MAX_WAIT_S = 0.02
_BUSY = (errno.EACCES, errno.EAGAIN)


def byte_of(thread_id: str) -> int:
    """The lock file offset of a thread: 62 bits of a hash, so collisions do not happen."""
    digest = hashlib.blake2b(thread_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 2


class TurnLocks:
    """Per-thread turn locks of one process; ``path=None`` locks within the process only."""

    def __init__(self, path: Path | None = None) -> None:
        self._local: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self._fd: int | None = None
        if path is not None:
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
        """Run the block as the only turn of ``thread_id`` on this machine."""
        async with self._local_lock(thread_id):
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
