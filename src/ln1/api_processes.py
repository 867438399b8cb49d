"""Several API processes behind one port: started, watched, replaced, stopped.

This process listens and hands each connection to an API process (``ln1.handoff``: the one
with the fewest open connections). The API processes are uvicorn's
(``uvicorn.supervisors.multiprocess.Process``: spawned, each builds its app from the same
settings, answers a health ping through a pipe).

Watching them:

- A process gets connections only once it answers that it has started (its lifespan ran).
- Until then it is not pinged for health: a spawned process imports the whole app before
  its answering thread runs, which took 6-7 s on a slow day here, longer than uvicorn's
  5 s health timeout. Killing it then (what a plain ping loop does) killed every new
  process over and over. A process that has not started after ``STARTUP_TIMEOUT_S`` is
  killed.
- A started process that does not answer a ping within the health timeout is hung: it is
  killed and replaced, as is one that dies. One that fails its startup (exit code 3: app,
  database or TLS broken) stops ``ln1 up``, since the next would fail the same way.

On SIGINT/SIGTERM the listening socket closes first, then each process drains its
requests and stops.
"""

from __future__ import annotations

import itertools
import signal
import socket
import threading
import time
from dataclasses import dataclass, field
from types import FrameType

import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

from ln1.handoff import Dispatcher, HandoffProcess

log = structlog.get_logger("ln1.api_processes")

BACKLOG = 2048
STOP_TIMEOUT_S = 20.0
STARTUP_TIMEOUT_S = 300.0
WATCH_EVERY_S = 0.25
PING_EVERY_S = 2.0  # each ping costs a busy process a thread switch: not every watch tick
_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def listening_socket(host: str, port: int) -> socket.socket:
    """The one socket on ``host:port``; only this process accepts on it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=BACKLOG)


@dataclass
class _Child:
    key: int
    process: Process
    started_at: float = field(default_factory=time.monotonic)
    ready: bool = False
    pinged_at: float = 0.0


class ApiProcesses:
    """``count`` processes serving ``config`` (its app a factory, so each builds its own)."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config = config
        self.count = count
        self.children: list[_Child] = []
        self.failed_to_start = False
        self.ready = threading.Event()  # set once every process has started
        self.dispatcher: Dispatcher | None = None
        # A plain flag, not an Event: a signal handler runs in the main thread, maybe while
        # that thread holds an Event's lock inside wait(), and set() would then deadlock.
        self._stopping = False
        self._keys = itertools.count(1)

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (the listening socket's bind error is raised here)."""
        self.dispatcher = Dispatcher(listening_socket(self.config.host, self.config.port))
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        try:
            self.dispatcher.start()
            self.children = [self._start_one() for _ in range(self.count)]
            while not self._stopping:
                time.sleep(WATCH_EVERY_S)
                self._watch()
        finally:
            self.dispatcher.stop()
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _start_one(self) -> _Child:
        assert self.dispatcher is not None
        key = next(self._keys)
        channel = self.dispatcher.add(key)
        try:
            process = HandoffProcess(self.config, [channel])
            process.start()  # the child has its copy of the channel once this returns
        finally:
            channel.close()
        return _Child(key, process)

    def _watch(self) -> None:
        assert self.dispatcher is not None
        for index, child in enumerate(self.children):
            if self._healthy(child):
                continue
            self.dispatcher.forget(child.key)
            child.process.kill()
            child.process.join()
            if child.process.exitcode == STARTUP_FAILURE:
                # It failed before serving (app, TLS or database broken): so would the next.
                self.failed_to_start = True
                self._stopping = True
                return
            if self._stopping:
                return
            log.warning("api process died or hung; starting another", pid=child.process.pid)
            self.children[index] = self._start_one()

    def _healthy(self, child: _Child) -> bool:
        """Alive, and either started and answering or still within its time to start."""
        assert self.dispatcher is not None
        if not child.process.process.is_alive():
            return False
        now = time.monotonic()
        if not child.ready:
            if _answer(child.process, timeout=0.2) is True:
                child.ready, child.pinged_at = True, now
                self.dispatcher.mark_ready(child.key)
                if all(c.ready for c in self.children):
                    self.ready.set()
                return True
            if now - child.started_at > STARTUP_TIMEOUT_S:
                log.error("api process did not start in time", pid=child.process.pid)
                return False
            return True
        if now - child.pinged_at < PING_EVERY_S:
            return True
        child.pinged_at = now
        return _answer(child.process, timeout=self.config.timeout_worker_healthcheck) is not None

    def _stop_all(self) -> None:
        for child in self.children:
            child.process.terminate()  # SIGTERM: uvicorn drains its requests, runs the shutdown
        for child in self.children:
            child.process.process.join(STOP_TIMEOUT_S)
            if child.process.process.is_alive():
                child.process.kill()
                child.process.join()


def _answer(process: Process, timeout: float) -> bool | None:
    """Ping ``process``: whether its server has started, or None without an answer in time.

    Answers to earlier pings that came too late are read first, so this answer is to this
    ping (uvicorn's own ``ping`` would read the oldest one waiting).
    """
    conn = process.parent_conn
    try:
        while conn.poll(0):
            conn.recv()
        conn.send(b"ping")
        if conn.poll(timeout):
            return bool(conn.recv())
    except (OSError, EOFError):
        pass
    return None
