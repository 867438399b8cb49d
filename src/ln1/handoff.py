"""Connections handed from one accepting process to API processes, fewest open first.

Why: an API client (the web console, the OpenAI client, a load balancer) keeps its
connection open, so where a connection lands decides which process serves everything sent
on it. Measured here with 16 keep-alive clients on 2 processes:

- one shared listening socket (uvicorn's ``--workers``): 15-16 of 16 connections on one
  process, because whichever process is idle calls ``accept`` first;
- one ``SO_REUSEPORT`` socket per process: the kernel spreads connections by a hash of
  their addresses, so the split varies from run to run (12/4 and 9/7 seen), and the
  clients of the busier process wait longer.

Here the parent process alone listens. It accepts each connection and passes its file
descriptor (``SCM_RIGHTS``) over a Unix socket to the ready API process that has the fewest
open connections; each API process reports a closed connection back over the same socket.
16 connections on 2 processes are then always 8 and 8. The cost is one ``sendmsg`` per
connection, not per request.

``Dispatcher`` is the parent's side (a thread); ``HandoffServer`` is uvicorn's server with
no listening socket of its own, run by ``HandoffProcess`` in each API process.
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
import socket
import threading
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from uvicorn.supervisors.multiprocess import Process

log = structlog.get_logger("ln1.handoff")

CONNECTION = b"f"  # parent -> API process: this message carries a connection
CLOSED = b"c"  # API process -> parent: one of my connections closed
ACCEPT_BATCH = 64
MAX_FDS = 16


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """The parent's end and the API process's end of one hand-off channel.

    ``SOCK_SEQPACKET`` keeps each descriptor's message whole and reports the other end's
    exit as end-of-file, like a stream socket.
    """
    return socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)


@dataclass
class _Target:
    channel: socket.socket
    open: int = 0
    ready: bool = False


class Dispatcher:
    """Accepts on ``listener`` and hands each connection to the least busy ready process.

    Other threads only call ``add``, ``mark_ready``, ``forget`` and ``stop``; the selector
    and the channels are touched by the dispatcher's own thread alone (woken through a
    socket pair), so no lock is held across a system call.
    """

    def __init__(self, listener: socket.socket) -> None:
        self._listener = listener
        self._listener.setblocking(False)
        self._targets: dict[int, _Target] = {}
        self._lock = threading.Lock()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._stopping = False
        self._selector = selectors.DefaultSelector()
        self._thread = threading.Thread(target=self._run, name="ln1-handoff", daemon=True)

    # Called from other threads -------------------------------------------------------

    def add(self, key: int) -> socket.socket:
        """A new channel for API process ``key``; returns the end the process gets."""
        parent_end, child_end = channel_pair()
        parent_end.setblocking(False)
        with self._lock:
            self._targets[key] = _Target(parent_end)
        self._wake()
        return child_end

    def mark_ready(self, key: int) -> None:
        """Process ``key`` has started: hand it connections from now on."""
        with self._lock:
            if key in self._targets:
                self._targets[key].ready = True
        self._wake()

    def forget(self, key: int) -> None:
        """Process ``key`` is gone or going: hand it nothing more."""
        with self._lock:
            target = self._targets.pop(key, None)
        if target is not None:
            self._wake()

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop accepting and close the listening socket (waiting connections are refused)."""
        self._stopping = True
        self._wake()
        self._thread.join(5)
        self._listener.close()
        for sock in (self._wake_r, self._wake_w):
            sock.close()

    def _wake(self) -> None:
        with contextlib.suppress(OSError):  # full means a wake-up is already pending
            self._wake_w.send(b"w")

    # The dispatcher's thread ------------------------------------------------------------

    def _run(self) -> None:
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        registered: dict[int, socket.socket] = {}
        listening = False
        while not self._stopping:
            listening = self._sync(registered, listening)
            for key, _ in self._selector.select(timeout=1.0):
                if key.data == "wake":
                    with contextlib.suppress(OSError):
                        self._wake_r.recv(4096)
                elif key.data == "listen":
                    self._accept()
                else:
                    self._read_reports(key.data, key.fileobj)  # type: ignore[arg-type]
        for channel in registered.values():
            self._selector.unregister(channel)
            channel.close()
        self._selector.close()

    def _sync(self, registered: dict[int, socket.socket], listening: bool) -> bool:
        """Match the selector to the current targets; listen only while one is ready."""
        with self._lock:
            current = {key: target.channel for key, target in self._targets.items()}
            any_ready = any(target.ready for target in self._targets.values())
        for key in set(registered) - set(current):
            channel = registered.pop(key)
            self._selector.unregister(channel)
            channel.close()
        for key in set(current) - set(registered):
            registered[key] = current[key]
            self._selector.register(current[key], selectors.EVENT_READ, key)
        if any_ready and not listening:
            self._selector.register(self._listener, selectors.EVENT_READ, "listen")
        elif listening and not any_ready:
            self._selector.unregister(self._listener)
        return any_ready

    def _accept(self) -> None:
        for _ in range(ACCEPT_BATCH):
            try:
                connection, _address = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:  # e.g. out of file descriptors: try again on the next event
                log.warning("accept failed", error=str(e))
                return
            with connection:
                self._hand_over(connection)

    def _hand_over(self, connection: socket.socket) -> None:
        """Pass ``connection`` to the ready process with the fewest open; our copy closes."""
        with self._lock:
            order = sorted(
                (target.open, key) for key, target in self._targets.items() if target.ready
            )
        for _open, key in order:
            with self._lock:
                target = self._targets.get(key)
            if target is None:
                continue
            try:
                socket.send_fds(target.channel, [CONNECTION], [connection.fileno()])
            except (BlockingIOError, InterruptedError):
                continue  # that process is not reading its channel: try the next
            except OSError:
                self.forget(key)  # its end is closed: it exited or is stopping
                continue
            with self._lock:
                target.open += 1
            return
        log.warning("no API process could take a connection; closed it")

    def _read_reports(self, key: int, channel: socket.socket) -> None:
        closed = 0
        while True:
            try:
                message = channel.recv(16)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                message = b""
            if not message:  # the process exited
                self.forget(key)
                return
            closed += message.count(CLOSED)
        with self._lock:
            target = self._targets.get(key)
            if target is not None:
                target.open = max(0, target.open - closed)


class HandoffServer(uvicorn.Server):
    """uvicorn's server for connections passed over a channel instead of accepted.

    ``run([channel])``: the one "socket" uvicorn is given is the hand-off channel. When the
    channel reaches end-of-file (the parent is gone), the server shuts down gracefully.
    """

    _channel: socket.socket | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        if not sockets or len(sockets) != 1:
            raise ValueError("HandoffServer runs with exactly one hand-off channel")
        await super().startup(sockets=[])  # the lifespan, no listening socket
        self._channel = sockets[0]
        self._channel.setblocking(False)
        loop = asyncio.get_running_loop()
        protocol_class = _reporting_close(self.config.http_protocol_class, self._report_closed)

        def protocol() -> asyncio.Protocol:
            return protocol_class(  # type: ignore[call-arg]
                config=self.config,
                server_state=self.server_state,
                app_state=self.lifespan.state,
                _loop=loop,
            )

        self._protocol = protocol
        self._adopting: set[asyncio.Task[Any]] = set()
        loop.add_reader(self._channel.fileno(), self._receive)

    def _receive(self) -> None:
        assert self._channel is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                message, fds, _flags, _address = socket.recv_fds(self._channel, 16, MAX_FDS)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                message, fds = b"", []
            if not message and not fds:  # the parent is gone: nobody hands us more
                loop.remove_reader(self._channel.fileno())
                self.should_exit = True
                return
            for fd in fds:
                task = loop.create_task(self._adopt(socket.socket(fileno=fd)))
                self._adopting.add(task)
                task.add_done_callback(self._adopting.discard)

    async def _adopt(self, connection: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(self._protocol, connection, ssl=self.config.ssl)
        except OSError:  # closed by the client already, or a failed TLS handshake
            connection.close()
            self._report_closed()

    def _report_closed(self) -> None:
        if self._channel is None:
            return
        with contextlib.suppress(OSError):  # parent gone or channel closed: nothing to tell
            self._channel.send(CLOSED)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self._channel is not None:
            channel, self._channel = self._channel, None
            with contextlib.suppress(ValueError, OSError):
                asyncio.get_running_loop().remove_reader(channel.fileno())
            channel.close()  # the parent sees end-of-file and hands us nothing more
        await super().shutdown(sockets=None)


def _reporting_close(protocol_class: type[Any], report: Any) -> type[Any]:
    """uvicorn's HTTP protocol that also calls ``report()`` when its connection is lost."""

    class Reporting(protocol_class):  # type: ignore[misc, valid-type]
        def connection_lost(self, exc: Exception | None) -> None:
            try:
                super().connection_lost(exc)
            finally:
                report()

    return Reporting


class HandoffProcess(Process):
    """uvicorn's worker process, serving with ``HandoffServer`` on the channel it is given."""

    @property
    def server(self) -> uvicorn.Server:
        if self._server is None:
            self._server = HandoffServer(config=self.config)
        return self._server
