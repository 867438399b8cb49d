"""The runner's connection to the orchestrator: dial out, announce, answer orders, stay up.

The runner opens the only connection there is (an outbound WebSocket, TLS-verified when the
URL is ``wss://``), so the client's network never exposes a port. One connection's life:
``Hello`` (the catalog, never the SQL or credentials) → ``Welcome`` → heartbeats and orders
until it drops; then reconnect with exponential back-off and jitter, for ever, except when the
server turns the token away (a revoked or mistyped token will not fix itself by retrying).

Each order runs in its own thread from start to end (the database drivers are blocking, and a
SQLite connection must stay on one thread): it checks the order, opens the extraction and
sends chunks, waiting for the server's acknowledgements whenever a window of them is in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import signal
import ssl
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI

from ln1_runner import __version__
from ln1_runner import protocol as p
from ln1_runner.audit import AuditLog
from ln1_runner.config import RunnerConfig
from ln1_runner.executor import Executor, ExtractionFailed

log = logging.getLogger("ln1_runner")

HANDSHAKE_TIMEOUT_S = 10.0
SEND_TIMEOUT_S = 30.0
BACKOFF_BASE_S = 0.5
BACKOFF_CAP_S = 30.0


class TokenRefused(RuntimeError):
    """The server turned the token away: retrying cannot help, a person must act."""


class _Cancelled(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def backoff_delays(base: float = BACKOFF_BASE_S, cap: float = BACKOFF_CAP_S) -> Iterator[float]:
    """Exponential back-off with jitter: the n-th wait is random in [½, 1] × min(cap, base·2ⁿ).

    The jitter spreads the reconnections of many runners after a server restart.
    """
    attempt = 0
    while True:
        yield min(cap, base * 2**attempt) * random.uniform(0.5, 1.0)
        attempt = min(attempt + 1, 30)


def ssl_context(config: RunnerConfig) -> ssl.SSLContext | None:
    """Certificate verification always on for ``wss://``; a custom CA is added, not swapped in."""
    if not config.server_url.startswith("wss://"):
        return None
    context = ssl.create_default_context()
    if config.ca_file is not None:
        context.load_verify_locations(cafile=str(config.ca_file))
    return context


@dataclass
class _Running:
    """One order in flight: its window of unacknowledged chunks and its cancel switch."""

    window: threading.Semaphore
    cancel: threading.Event = field(default_factory=threading.Event)
    reason: str = ""


class RunnerClient:
    """Keeps the runner connected and answers orders; ``run_forever`` until ``stop`` is set."""

    def __init__(self, config: RunnerConfig, executor: Executor | None = None) -> None:
        self.config = config
        self.executor = executor or Executor(config)
        self.audit = AuditLog(config.audit_path, config.secrets())
        self._key = p.order_key(config.token)
        self._nonces = p.NonceBook()
        self._running: dict[str, _Running] = {}
        self._send_lock = asyncio.Lock()
        self.welcome: p.Welcome | None = None
        self._welcomes = 0  # connections the server welcomed so far
        self.connected = asyncio.Event()

    def hello(self) -> p.Hello:
        catalog = msgspec.convert(self.config.catalog.announce(), list[p.QueryInfo])
        return p.Hello(
            version=__version__,
            dialect=self.config.dialect,
            catalog=catalog,
            free_sql=self.config.free_sql,
            max_rows=self.config.max_rows,
        )

    async def run_forever(self, stop: asyncio.Event) -> None:
        delays = backoff_delays()
        while not stop.is_set():
            welcomes = self._welcomes
            try:
                await self._connection(stop)
            except TokenRefused:
                raise
            except (OSError, ConnectionClosed, InvalidStatus, TimeoutError, p.ProtocolError) as e:
                log.warning("connection to %s lost or refused: %s", self.config.server_url, e)
            if self._welcomes != welcomes:
                # A connection that was welcomed resets the wait, also (the usual case) when it
                # ended by being lost: otherwise each drop would wait longer than the last.
                delays = backoff_delays()
            if stop.is_set():
                break
            delay = next(delays)
            log.info("reconnecting in %.2f s", delay)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await stop.wait()

    async def _open(self) -> ClientConnection:
        try:
            return await connect(
                self.config.connect_url,
                additional_headers={"Authorization": f"Bearer {self.config.token}"},
                ssl=ssl_context(self.config),
                max_size=p.MAX_FRAME_BYTES,
                # Chunks are compressed already; per-message deflate on top cost 18% of the
                # runner's CPU for nothing (measured with py-spy on 1M rows).
                compression=None,
                open_timeout=HANDSHAKE_TIMEOUT_S,
                ping_interval=20,
                ping_timeout=20,
                user_agent_header=f"ln1-runner/{__version__}",
            )
        except InvalidStatus as e:
            if e.response.status_code in (401, 403, 404):
                raise TokenRefused(
                    f"the server at {self.config.server_url} refused this runner's token "
                    f"(HTTP {e.response.status_code}): create a new one with "
                    "`ln1 admin create-runner` and put it in the config"
                ) from None
            raise
        except InvalidURI as e:
            raise TokenRefused(f"server url is not a WebSocket URL: {e}") from None

    async def _handshake(self, ws: ClientConnection) -> p.Welcome:
        await ws.send(p.encode(self.hello()))
        async with asyncio.timeout(HANDSHAKE_TIMEOUT_S):
            welcome = p.decode_to_runner(await ws.recv())
        if not isinstance(welcome, p.Welcome):
            raise p.ProtocolError("the server did not welcome the runner")
        return welcome

    async def _connection(self, stop: asyncio.Event) -> None:
        ws = await self._open()
        orders: set[asyncio.Future[None]] = set()
        try:
            self.welcome = await self._handshake(ws)
            log.info(
                "connected as runner %r (%s)", self.welcome.runner_name, self.welcome.runner_id
            )
            self._welcomes += 1
            self.connected.set()
            beats = asyncio.create_task(self._heartbeats(ws, self.welcome.heartbeat_s))
            stopper = asyncio.create_task(stop.wait())
            try:
                await self._read(ws, stopper, orders)
            finally:
                beats.cancel()
                stopper.cancel()
        finally:
            self.connected.clear()
            for running in self._running.values():
                running.reason = "connection lost"
                running.cancel.set()
            await ws.close()
            if orders:
                await asyncio.wait(orders, timeout=SEND_TIMEOUT_S)

    async def _read(
        self, ws: ClientConnection, stopper: asyncio.Task[Any], orders: set[asyncio.Future[None]]
    ) -> None:
        while True:
            receive = asyncio.ensure_future(ws.recv())
            await asyncio.wait({receive, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if stopper.done():
                receive.cancel()
                return
            raw = receive.result()
            try:
                message = p.decode_to_runner(raw)
            except p.ProtocolError as e:
                log.warning("ignored a message: %s", e)
                continue
            if isinstance(message, p.Order):
                future = asyncio.ensure_future(self._answer(ws, message))
                orders.add(future)
                future.add_done_callback(orders.discard)
            elif isinstance(message, p.Ack):
                running = self._running.get(message.order_id)
                if running is not None:
                    running.window.release()
            elif isinstance(message, p.Cancel):
                running = self._running.get(message.order_id)
                if running is not None:
                    running.reason = message.reason or "cancelled by the orchestrator"
                    running.cancel.set()

    async def _heartbeats(self, ws: ClientConnection, every_s: float) -> None:
        while True:
            await asyncio.sleep(every_s)
            await self._send(ws, p.encode(p.Heartbeat(sent_at=datetime.now(UTC))))

    async def _send(self, ws: ClientConnection, data: str | bytes) -> None:
        async with self._send_lock:
            await ws.send(data)

    async def _answer(self, ws: ClientConnection, order: p.Order) -> None:
        assert self.welcome is not None
        try:
            spec = p.verify_order(order, self._key, self.welcome.runner_id, self._nonces)
        except p.OrderRejected as e:
            log.warning("refused order %s: %s", order.spec.id, e)
            self.audit.record(order.spec, "refused", code=e.code, message=str(e))
            await self._send(
                ws, p.encode(p.Refused(order_id=order.spec.id, code=e.code, message=str(e)))
            )
            return
        running = _Running(window=threading.Semaphore(self.welcome.window))
        self._running[spec.id] = running
        loop = asyncio.get_running_loop()
        try:
            await asyncio.to_thread(self._produce, spec, running, ws, loop)
        finally:
            self._running.pop(spec.id, None)

    def _produce(
        self,
        spec: p.OrderSpec,
        running: _Running,
        ws: ClientConnection,
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        """Run one order on this worker thread, from checks to the final frame."""
        started = time.monotonic()

        def send(data: str | bytes) -> None:
            future: Future[None] = asyncio.run_coroutine_threadsafe(self._send(ws, data), loop)
            future.result(timeout=SEND_TIMEOUT_S)

        def elapsed_ms() -> float:
            return round((time.monotonic() - started) * 1000, 1)

        try:
            extraction = self.executor.open(spec)
        except p.OrderRejected as e:
            self.audit.record(spec, "refused", code=e.code, message=str(e))
            send(p.encode(p.Refused(order_id=spec.id, code=e.code, message=str(e))))
            return
        except ExtractionFailed as e:
            self.audit.record(spec, "failed", code=e.code, message=str(e), duration_ms=elapsed_ms())
            send(p.encode(p.Failed(order_id=spec.id, code=e.code, message=str(e))))
            return
        rows = seq = 0
        checksum = p.Checksum()
        try:
            send(p.encode(p.Columns(order_id=spec.id, names=list(extraction.columns))))
            for count, payload in extraction.chunks():
                self._wait_for_window(spec, running)
                checksum.update(payload)
                send(p.pack_chunk(spec.id, seq, count, payload))
                seq += 1
                rows += count
            done = p.Done(
                order_id=spec.id,
                rows=rows,
                chunks=seq,
                sha256=checksum.hexdigest(),
                truncated=extraction.truncated,
                duration_ms=elapsed_ms(),
            )
            send(p.encode(done))
            self.audit.record(
                spec, "ok", rows=rows, truncated=extraction.truncated, duration_ms=elapsed_ms()
            )
        except (ExtractionFailed, _Cancelled) as e:
            outcome = "cancelled" if isinstance(e, _Cancelled) else "failed"
            self.audit.record(
                spec, outcome, code=e.code, message=str(e), rows=rows, duration_ms=elapsed_ms()
            )
            with contextlib.suppress(Exception):
                send(p.encode(p.Failed(order_id=spec.id, code=e.code, message=str(e))))
        except Exception as e:  # connection gone while sending: nothing more can be told
            self.audit.record(
                spec,
                "failed",
                code="connection_lost",
                message=str(e),
                rows=rows,
                duration_ms=elapsed_ms(),
            )
        finally:
            extraction.close()

    def _wait_for_window(self, spec: p.OrderSpec, running: _Running) -> None:
        while not running.window.acquire(timeout=0.2):
            if running.cancel.is_set():
                raise _Cancelled("cancelled", running.reason or "cancelled")
            if datetime.now(UTC) >= spec.expires_at:
                raise _Cancelled("timeout", "the order's deadline passed while sending rows")
        if running.cancel.is_set():
            raise _Cancelled("cancelled", running.reason or "cancelled")


async def _run(config: RunnerConfig) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    client = RunnerClient(config)
    log.info("ln1-runner %s starting; server %s", __version__, config.server_url)
    try:
        await client.run_forever(stop)
    except TokenRefused as e:
        log.error("%s", e)
        return 2
    log.info("ln1-runner stopped")
    return 0


def run(config: RunnerConfig) -> int:
    """``ln1-runner run``: connect and serve until SIGINT/SIGTERM; the process' exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    return asyncio.run(_run(config))


async def probe(config: RunnerConfig) -> p.Welcome:
    """Connect once, introduce the runner, and hang up: proves URL, TLS and token."""
    client = RunnerClient(config)
    ws = await client._open()
    try:
        return await client._handshake(ws)
    finally:
        await ws.close()


def check_server(config: RunnerConfig) -> str:
    """For ``ln1-runner check``: a sentence saying who the server thinks this runner is.

    Raises with a plain-words message when it cannot connect.
    """
    try:
        welcome = asyncio.run(probe(config))
    except TokenRefused:
        raise
    except ssl.SSLCertVerificationError as e:
        raise RuntimeError(
            f"the server's TLS certificate could not be verified ({e.verify_message}); "
            "set server.ca_file if it is signed by your own CA"
        ) from None
    except (OSError, TimeoutError, InvalidStatus, ConnectionClosed) as e:
        raise RuntimeError(f"cannot reach {config.server_url}: {e}") from None
    return f"server reachable: connected as runner «{welcome.runner_name}» ({welcome.runner_id})"
