"""Orders across the API processes of one machine, without Redis (the embedded default).

``ln1 up`` serves one port with several processes (``LN1_API_PROCESSES``): a runner's
WebSocket lands on one of them, a user's question on any. Each process listens on a
loopback port of its own. While a runner is connected to it, the process keeps a file
``run/runners/<runner id>.<pid>`` with that port and a random token (readable by this user
only). An order for a runner connected elsewhere opens one connection to that port,
presents the token, and the order's frames then flow on it both ways: the order, acks and
cancels to the runner's process; columns, chunks and the final frame back. Back-pressure
spans both hops as with Redis, and closing the connection ends the order on both sides.

It has :class:`ln1.runners.relay.Relay`'s interface, so :class:`~ln1.runners.hub.RunnerHub`
does not care which one it has. A file left by a process that died leads to a refused
connection or a wrong token: the runner counts as offline, which it is, and the file goes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import os
import secrets
import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog
from ln1_runner import protocol as p

log = structlog.get_logger("ln1.runners.local_relay")

OnRunnerMessage = Callable[[str, str], Awaitable[None]]

# Frame kinds: hello, accepted, not here, text, chunk, closed.
_HELLO, _OK, _NOT_HERE, _TEXT, _CHUNK, _CLOSED = b"H", b"K", b"N", b"T", b"B", b"X"
_HEADER = struct.Struct(">cI")
MAX_FRAME = 64 * 1024 * 1024
HANDSHAKE_TIMEOUT_S = 5.0


class FrameError(Exception):
    """The other side sent something that is not a relay frame."""


async def read_frame(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    kind, size = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if size > MAX_FRAME:
        raise FrameError(f"frame of {size} bytes")
    return kind, await reader.readexactly(size)


@dataclass
class _Conn:
    """One order's connection; writes from several tasks go out one frame at a time."""

    writer: asyncio.StreamWriter
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, kind: bytes, body: bytes = b"") -> None:
        async with self._lock:
            self.writer.write(_HEADER.pack(kind, len(body)) + body)
            await self.writer.drain()

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


def _event_frame(event: tuple[str, Any]) -> tuple[bytes, bytes]:
    kind, value = event
    if kind == "chunk":
        return _CHUNK, value
    if kind == "text":
        return _TEXT, p.encode(value).encode()
    return _CLOSED, str(value).encode()


def _final(event: tuple[str, Any]) -> bool:
    kind, value = event
    return kind == "closed" or isinstance(value, p.Done | p.Refused | p.Failed)


class _Reachable:
    """Runner ids with a registry file here: the ones an order can be sent to."""

    def __init__(self, relay: LocalRelay) -> None:
        self._relay = relay

    def __contains__(self, runner_id: object) -> bool:
        return isinstance(runner_id, str) and bool(self._relay.entries(runner_id))


class LocalRelay:
    """This process's relay server and the registry files of the runners connected here."""

    name = "relay"

    def __init__(self, run_dir: Path) -> None:
        self._dir = run_dir / "runners"
        self._token = secrets.token_hex(16)
        self._server: asyncio.Server | None = None
        self._port = 0
        self._runner_handlers: dict[str, OnRunnerMessage] = {}
        self._orders: dict[str, _Conn] = {}  # orders asked elsewhere, answered here
        self._tasks: set[asyncio.Task[Any]] = set()
        self.reachable = _Reachable(self)

    async def start(self) -> None:
        self._dir.mkdir(parents=True, exist_ok=True)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self._port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        for runner_id in list(self._runner_handlers):
            await self.detach_runner(runner_id)
        if self._server is not None:
            self._server.close()
        for conn in list(self._orders.values()):
            await conn.close()
        for task in list(self._tasks):
            task.cancel()

    async def ping(self) -> bool:
        if self._server is None or not self._server.is_serving():
            raise ConnectionError("the relay server is not serving")
        return True

    def _spawn(self, work: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- the registry ----------------------------------------------------------------------

    def _own_file(self, runner_id: str) -> Path:
        return self._dir / f"{runner_id}.{os.getpid()}"

    def entries(self, runner_id: str) -> list[Path]:
        """Registry files of ``runner_id``, newest first (a reconnect supersedes)."""
        found = []
        for path in self._dir.glob(f"{runner_id}.*"):
            with contextlib.suppress(OSError):
                found.append((path.stat().st_mtime_ns, path))
        return [path for _, path in sorted(found, reverse=True)]

    # --- the process a runner is connected to ----------------------------------------------

    async def attach_runner(self, runner_id: str, handler: OnRunnerMessage) -> None:
        self._runner_handlers[runner_id] = handler
        path = self._own_file(runner_id)
        tmp = path.with_name(f".{path.name}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump({"port": self._port, "token": self._token}, f)
        tmp.replace(path)

    async def detach_runner(self, runner_id: str) -> None:
        self._runner_handlers.pop(runner_id, None)
        self._own_file(runner_id).unlink(missing_ok=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = _Conn(writer)
        order_id = runner_id = None
        abandoned = False
        try:
            async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                kind, body = await read_frame(reader)
            hello = json.loads(body) if kind == _HELLO else {}
            token = str(hello.get("token", ""))
            runner_id, order_id = hello.get("runner_id"), hello.get("order_id")
            if not hmac.compare_digest(token, self._token) or not isinstance(order_id, str):
                return  # not one of ours: say nothing
            if runner_id not in self._runner_handlers:
                await conn.send(_NOT_HERE)
                return
            self._orders[order_id] = conn
            await conn.send(_OK)
            while True:
                kind, body = await read_frame(reader)
                handler = self._runner_handlers.get(runner_id)
                if kind != _TEXT or handler is None:
                    break
                await handler(runner_id, body.decode())
        except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, FrameError):
            pass
        except (ValueError, UnicodeDecodeError) as e:
            log.warning("relay_bad_frame", error=str(e))
        finally:
            if order_id is not None and self._orders.get(order_id) is conn:
                del self._orders[order_id]  # still open: the asker left before the end
                abandoned = True
            await conn.close()
        if abandoned and runner_id in self._runner_handlers:
            # The runner may still be working on it: stop that work.
            cancel = p.Cancel(order_id=order_id, reason="the asking API process went away")
            with contextlib.suppress(Exception):
                await self._runner_handlers[runner_id](runner_id, p.encode(cancel))

    async def reply(self, order_id: str, event: tuple[str, Any]) -> None:
        conn = self._orders.get(order_id)
        if conn is None:
            return  # the asker has gone; its deadline or cleanup has ended the order
        if _final(event):
            self._orders.pop(order_id, None)
        with contextlib.suppress(ConnectionError):
            await conn.send(*_event_frame(event))

    def reply_nowait(self, order_id: str, event: tuple[str, Any]) -> None:
        self._spawn(self.reply(order_id, event))

    # --- the asking process ----------------------------------------------------------------

    async def _connect(self, runner_id: str, order_id: str) -> tuple[_Conn, Any] | None:
        """A connection to the process ``runner_id`` is connected to, or None if none is."""
        for path in self.entries(runner_id):
            try:
                entry = json.loads(path.read_text())
                reader, writer = await asyncio.wait_for(
                    asyncio.open_connection("127.0.0.1", int(entry["port"])), HANDSHAKE_TIMEOUT_S
                )
            except (OSError, ValueError, KeyError, TimeoutError):
                path.unlink(missing_ok=True)  # its process is gone
                continue
            conn = _Conn(writer)
            hello = {"token": entry["token"], "runner_id": runner_id, "order_id": order_id}
            try:
                await conn.send(_HELLO, json.dumps(hello).encode())
                async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
                    kind, _ = await read_frame(reader)
            except (asyncio.IncompleteReadError, ConnectionError, TimeoutError, FrameError):
                kind = b""
            if kind == _OK:
                return conn, reader
            await conn.close()
            if kind != _NOT_HERE:
                path.unlink(missing_ok=True)  # another program on that port now
        return None

    async def send_order(
        self, runner_id: str, order: p.Order, events: asyncio.Queue[Any]
    ) -> tuple[Callable[[p.Message], Awaitable[None]] | None, Callable[[], Awaitable[None]]]:
        """Send ``order``: (send_control, cleanup); send_control is None if nobody had it."""
        connected = await self._connect(runner_id, order.spec.id)

        async def nothing() -> None:
            return None

        if connected is None:
            return None, nothing
        conn, reader = connected
        await conn.send(_TEXT, p.encode(order).encode())
        pump = asyncio.create_task(self._pump(reader, events))

        async def send_control(message: p.Message) -> None:
            await conn.send(_TEXT, p.encode(message).encode())

        async def cleanup() -> None:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
            await conn.close()

        return send_control, cleanup

    @staticmethod
    async def _pump(reader: asyncio.StreamReader, events: asyncio.Queue[Any]) -> None:
        """The runner's frames, as they come back, onto the order's queue."""
        try:
            while True:
                kind, body = await read_frame(reader)
                if kind == _CHUNK:
                    events.put_nowait(("chunk", body))
                elif kind == _TEXT:
                    events.put_nowait(("text", p.decode_to_server(body)))
                else:
                    events.put_nowait(("closed", body.decode(errors="replace")))
                    return
        except (asyncio.IncompleteReadError, ConnectionError, FrameError):
            events.put_nowait(("closed", "the API process the runner is connected to went away"))
        except p.ProtocolError as e:
            events.put_nowait(("closed", str(e)))
