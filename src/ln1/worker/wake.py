"""Waking the embedded broker's workers when a task is queued, instead of polling fast.

kombu's SQLAlchemy transport (the embedded default's broker, a SQLite file) finds new
messages only by polling. Polling every 0.1 s is what made a task start within ~105 ms
(FACTS.md), but it kept an idle worker at 7% of a core here, and under chat load the
worker's polls took ~1.5 ms of CPU per chat turn from the API processes on this 2-core
machine.

So the worker now polls once a second, and whoever queues a task wakes it at once: each
consuming worker process listens on a loopback UDP port, written to a file named by its pid
in ``<broker file>-wake/``; ``wake_workers`` sends one datagram to each port listed there
(and removes the files of processes that are gone). A lost datagram only means the next
poll, at most a second later, finds the task.

``Transport`` is kombu's SQLAlchemy transport with that wait in place of its sleep (and the
channel of ``ln1.worker.broker_channel``); ``ln1.worker.celery_app`` registers it for
``sqla+`` broker URLs.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import socket
import threading
import time
from pathlib import Path
from queue import Empty
from typing import Any

import kombu.transport.sqlalchemy
from sqlalchemy.engine import make_url

from ln1.worker.broker_channel import Channel as RaceSafeChannel

POLL_S = 1.0


def wake_dir(url: str) -> Path | None:
    """Where the workers of a broker leave their ports; None unless it is a SQLite file.

    ``url`` is the broker's (``sqla+sqlite:///…``) or its database's (``sqlite:///…``).
    """
    url = url.removeprefix("sqla+")
    if not url.startswith("sqlite"):
        return None
    database = make_url(url).database
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(Path(database).name + "-wake")


def wake_workers(broker_url: str) -> int:
    """Tell every live worker of this broker to poll now; returns how many were told."""
    folder = wake_dir(broker_url)
    if folder is None or not folder.is_dir():
        return 0
    told = 0
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for entry in folder.iterdir():
            try:
                pid, port = int(entry.name), int(entry.read_text())
            except (OSError, ValueError):
                continue
            if not pid_alive(pid):
                entry.unlink(missing_ok=True)
                continue
            with contextlib.suppress(OSError):
                sock.sendto(b"w", ("127.0.0.1", port))
                told += 1
    return told


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one of another user's counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Waker:
    """A worker's side: a UDP port to be woken on, registered under ``folder``."""

    def __init__(self, folder: Path) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.setblocking(False)
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / str(os.getpid())
        partial = self.path.with_suffix(".new")
        partial.write_text(str(self._sock.getsockname()[1]))
        partial.replace(self.path)  # a reader never sees half a port

    def wait(self, timeout: float) -> bool:
        """Sleep up to ``timeout`` seconds; True if woken before that."""
        ready, _, _ = select.select([self._sock], [], [], timeout)
        if not ready:
            return False
        with contextlib.suppress(BlockingIOError):
            while self._sock.recv(64):  # several wake-ups while busy count as one
                pass
        return True

    def close(self) -> None:
        if self.path.exists() and self.path.read_text() == str(self._sock.getsockname()[1]):
            self.path.unlink(missing_ok=True)
        self._sock.close()


_wakers: dict[Path, Waker] = {}
_wakers_lock = threading.Lock()


def waker_for(folder: Path) -> Waker:
    """This process's waker for ``folder`` (one per process, closed at exit)."""
    with _wakers_lock:
        waker = _wakers.get(folder)
        if waker is None or waker.path.name != str(os.getpid()):  # new after a fork
            waker = _wakers[folder] = Waker(folder)
            atexit.register(waker.close)
        return waker


class Transport(kombu.transport.sqlalchemy.Transport):
    """kombu's SQLAlchemy transport, waiting on a ``Waker`` between polls, not sleeping."""

    Channel = RaceSafeChannel
    polling_interval = POLL_S

    def __init__(self, client: Any, **kwargs: Any) -> None:
        super().__init__(client, **kwargs)
        self._wake_dir = wake_dir(client.hostname or "")  # the database URL after "sqla+"

    def drain_events(self, connection: Any, timeout: float | None = None) -> None:
        # kombu's own loop (virtual.Transport.drain_events), with the sleep replaced. The
        # waker is made here, not in __init__: only a consuming worker drains events.
        waker = waker_for(self._wake_dir) if self._wake_dir is not None else None
        start = time.monotonic()
        while True:
            try:
                self.cycle.get(self._deliver, timeout=timeout)
            except Empty:
                waited = time.monotonic() - start
                if timeout is not None and waited >= timeout:
                    raise TimeoutError() from None
                pause = POLL_S if timeout is None else min(POLL_S, timeout - waited)
                if waker is not None:
                    waker.wait(pause)
                else:
                    time.sleep(pause)
            else:
                return
