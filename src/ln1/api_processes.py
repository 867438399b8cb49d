"""Several API processes on one port, each with a listening socket of its own.

Why not one shared socket (uvicorn's ``--workers``): a client keeps its connection open,
and with one shared socket whichever process happens to call ``accept`` first takes it.
Measured here with 16 keep-alive clients: 16 of 16 connections (or 15 of 16) on one
process, the other idle. With ``SO_REUSEPORT`` every process listens on a socket of its
own, bound to the same port, and the kernel spreads new connections over them by a hash of
the addresses.

The processes are uvicorn's (``uvicorn.supervisors.multiprocess.Process``: spawned, each
builds its app from the same settings, answers a health ping through a pipe). This module
starts them, replaces one that dies or stops answering, and on SIGINT/SIGTERM lets each
drain and stop.
"""

from __future__ import annotations

import signal
import socket
import threading
import time
from types import FrameType

import structlog
import uvicorn
from uvicorn.config import STARTUP_FAILURE
from uvicorn.supervisors.multiprocess import Process

log = structlog.get_logger("ln1.api_processes")

BACKLOG = 2048
STOP_TIMEOUT_S = 20.0
WATCH_EVERY_S = 0.25


def listening_socket(host: str, port: int) -> socket.socket:
    """A socket on ``host:port`` that other processes of this user may bind too."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.create_server((host, port), family=family, backlog=BACKLOG, reuse_port=True)
    sock.set_inheritable(True)
    return sock


class ApiProcesses:
    """``count`` processes serving ``config`` (its app a factory, so each builds its own)."""

    def __init__(self, config: uvicorn.Config, count: int) -> None:
        self.config = config
        self.count = count
        self.processes: list[Process] = []
        self.failed_to_start = False
        self.ready = threading.Event()  # set once every process has served its first start
        # A plain flag, not an Event: a signal handler runs in the main thread, maybe while
        # that thread holds an Event's lock inside wait(), and set() would then deadlock.
        self._stopping = False
        self._unready: set[int] = set()

    def _start_one(self) -> Process:
        sock = listening_socket(self.config.host, self.config.port)
        try:
            process = Process(self.config, [sock])
            process.start()  # the child has its copy of the socket once this returns
        finally:
            sock.close()  # else the kernel would queue connections on it that nobody takes
        self._unready.add(id(process))
        return process

    def run(self) -> None:
        """Serve until SIGINT or SIGTERM (the first socket's bind error is raised here)."""
        previous = {sig: signal.signal(sig, self._on_signal) for sig in _STOP_SIGNALS}
        try:
            self.processes = [self._start_one() for _ in range(self.count)]
            while not self._stopping:
                time.sleep(WATCH_EVERY_S)
                self._replace_dead()
        finally:
            self._stop_all()
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, _signum: int, _frame: FrameType | None) -> None:
        self._stopping = True

    def _replace_dead(self) -> None:
        for index, process in enumerate(self.processes):
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                if id(process) in self._unready and process.is_ready(timeout=1.0):
                    self._unready.discard(id(process))
                    if not self._unready:
                        self.ready.set()
                continue
            self._unready.discard(id(process))
            process.kill()  # dead, or alive but not answering: the same to a client
            process.join()
            if process.exitcode == STARTUP_FAILURE:
                # It failed before serving (app, TLS or database broken): so would the next.
                self.failed_to_start = True
                self._stopping = True
                return
            if self._stopping:
                return
            log.warning("api process died; starting another", pid=process.pid)
            self.processes[index] = self._start_one()

    def _stop_all(self) -> None:
        for process in self.processes:
            process.terminate()  # SIGTERM: uvicorn drains its requests, runs the shutdown
        for process in self.processes:
            process.process.join(STOP_TIMEOUT_S)
            if process.process.is_alive():
                process.kill()
                process.join()


_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
