"""The orchestrator's side of the tunnel: which runners are connected here, and their orders.

A runner holds one WebSocket to one API process (:class:`Link`). An order for it is issued
by :meth:`RunnerHub.order`, on this process or, through a relay (:mod:`ln1.runners.relay` over
Redis, :mod:`ln1.runners.local_relay` between the API processes of one machine), on
any other; either way the caller reads the same :class:`Extract`: the column names, then row
batches as chunks arrive, each acknowledged only after it was decoded, so the runner (which
never has more than a window of unacknowledged chunks in flight) goes as fast as the
orchestrator reads and no faster. The extract ends only when the runner's final row count and
checksum match what arrived; anything else raises :class:`~ln1.runners.errors.OrderFailed`.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Container
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from ln1_runner import protocol as p
from ln1_runner.codec import decode_rows
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.ids import new_id
from ln1.runners.errors import OrderFailed, OrderRefused, RunnerOffline
from ln1.runners.models import Runner
from ln1.runners.service import online_runners, touch_runner

log = structlog.get_logger("ln1.runners")

# What travels from a runner to whoever issued an order, locally or through the relay.
Event = tuple[str, Any]  # ("text", ToServer) | ("chunk", bytes frame) | ("closed", reason)
SendControl = Callable[[p.Message], Awaitable[None]]


@dataclass
class Link:
    """One connected runner: its socket's send side and the orders it is answering."""

    runner_id: str
    runner_name: str
    company_id: str
    send_text: Callable[[str], Awaitable[None]]
    close: Callable[[], Awaitable[None]]
    local_orders: dict[str, asyncio.Queue[Event]] = field(default_factory=dict)
    remote_orders: set[str] = field(default_factory=set)
    # Acks, cancels and orders come from many tasks; one frame goes out at a time.
    _sending: asyncio.Lock = field(default_factory=asyncio.Lock)

    async def send(self, message: p.Message) -> None:
        await self.send_raw(p.encode(message))

    async def send_raw(self, text: str) -> None:
        async with self._sending:
            await self.send_text(text)


@dataclass
class OrderTarget:
    """The runner an order goes to, as the database knows it."""

    id: str
    name: str
    company_id: str
    order_key: bytes


class Extract:
    """One order's answer as it streams in; see the module docstring for the guarantees."""

    def __init__(
        self,
        order_id: str,
        runner_name: str,
        events: asyncio.Queue[Event],
        send_control: SendControl,
        deadline: float,
    ) -> None:
        self.order_id = order_id
        self.runner_name = runner_name
        self.columns: list[str] = []
        self.done: p.Done | None = None
        self._events = events
        self._send = send_control
        self._deadline = deadline
        self._rows = 0
        self._seq = 0
        self._checksum = p.Checksum()

    @property
    def truncated(self) -> bool:
        return bool(self.done and self.done.truncated)

    @property
    def rows(self) -> int:
        return self._rows

    async def _next(self) -> Event:
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise self._failed("timeout", "did not answer before the order's deadline")
        try:
            async with asyncio.timeout(remaining):
                return await self._events.get()
        except TimeoutError:
            raise self._failed("timeout", "did not answer before the order's deadline") from None

    def _failed(self, code: str, why: str) -> OrderFailed:
        return OrderFailed(code, f"runner «{self.runner_name}» {why}", self.runner_name)

    def _closed_or_error(self, event: Event) -> Exception:
        kind, value = event
        if kind == "closed":
            return self._failed("runner_disconnected", f"disconnected mid-answer ({value})")
        if isinstance(value, p.Refused):
            why = f"runner «{self.runner_name}» refused: {value.message}"
            return OrderRefused(value.code, why, self.runner_name)
        if isinstance(value, p.Failed):
            return self._failed(value.code, f"could not finish: {value.message}")
        return self._failed("protocol_error", f"sent {type(value).__name__} out of turn")

    async def start(self) -> None:
        """Wait for the column names (or the refusal) before any rows."""
        event = await self._next()
        if event[0] == "text" and isinstance(event[1], p.Columns):
            self.columns = list(event[1].names)
            return
        raise self._closed_or_error(event)

    async def batches(self) -> AsyncIterator[list[tuple[Any, ...]]]:
        """Decoded rows chunk by chunk; ends after the final frame is verified."""
        while True:
            event = await self._next()
            kind, value = event
            if kind == "chunk":
                yield await self._take_chunk(value)
                continue
            if kind == "text" and isinstance(value, p.Done):
                self._verify(value)
                self.done = value
                return
            raise self._closed_or_error(event)

    async def _take_chunk(self, frame: bytes) -> list[tuple[Any, ...]]:
        """Acknowledge, then unpack and decode one chunk.

        The ack goes out as soon as this reader takes the chunk (not after decoding it), so
        the runner reads its next rows while this side decodes: the window still bounds what
        is in flight, because chunks are taken one at a time.
        """
        try:
            header, payload = p.unpack_chunk(frame)
        except p.ProtocolError as e:
            raise self._failed("protocol_error", f"sent a chunk that cannot be read ({e})") from e
        if header.seq != self._seq:
            raise self._failed("protocol_error", "sent chunks out of order")
        await self._send(p.Ack(order_id=self.order_id, seq=header.seq))
        try:
            rows = decode_rows(payload)
        except Exception as e:  # a malformed chunk ends the order, never a crash
            raise self._failed("protocol_error", f"sent a chunk that cannot be read ({e})") from e
        if header.rows != len(rows):
            raise self._failed("protocol_error", "sent a chunk whose row count is wrong")
        self._seq += 1
        self._rows += len(rows)
        self._checksum.update(payload)
        return rows

    def _verify(self, done: p.Done) -> None:
        if done.rows != self._rows or done.chunks != self._seq:
            raise self._failed("incomplete", f"announced {done.rows} rows but {self._rows} arrived")
        if done.sha256 != self._checksum.hexdigest():
            raise self._failed("checksum_mismatch", "sent rows whose checksum does not match")

    async def fetch_all(self) -> list[tuple[Any, ...]]:
        rows: list[tuple[Any, ...]] = []
        async for batch in self.batches():
            rows.extend(batch)
        return rows


class RunnerHub:
    """Connected runners of this process and the orders in flight; one per app."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        heartbeat_timeout_s: float,
        order_timeout_s: float,
        relay: Any = None,  # ln1.runners.relay.Relay (Redis) or .local_relay.LocalRelay
    ) -> None:
        self._sessionmaker = sessionmaker
        self._heartbeat_timeout_s = heartbeat_timeout_s
        self._order_timeout_s = order_timeout_s
        self.relay = relay
        self.links: dict[str, Link] = {}

    # --- the runner's side ---------------------------------------------------------------

    async def attach(self, link: Link) -> None:
        old = self.links.get(link.runner_id)
        self.links[link.runner_id] = link
        if old is not None:  # the runner reconnected before its old socket was noticed gone
            self._end_orders(old, "replaced by a new connection")
            with contextlib.suppress(Exception):
                await old.close()
        if self.relay is not None:
            await self.relay.attach_runner(link.runner_id, self._from_relay)
        log.info("runner_connected", runner_id=link.runner_id, company_id=link.company_id)

    async def detach(self, link: Link, reason: str) -> None:
        if self.links.get(link.runner_id) is link:
            del self.links[link.runner_id]
            if self.relay is not None:
                await self.relay.detach_runner(link.runner_id)
        self._end_orders(link, reason)
        log.info("runner_disconnected", runner_id=link.runner_id, reason=reason)

    def _end_orders(self, link: Link, reason: str) -> None:
        for queue in link.local_orders.values():
            queue.put_nowait(("closed", reason))
        link.local_orders.clear()
        if self.relay is not None:
            for order_id in link.remote_orders:
                self.relay.reply_nowait(order_id, ("closed", reason))
        link.remote_orders.clear()

    async def heartbeat(self, link: Link) -> None:
        async with self._sessionmaker() as session, session.begin():
            await touch_runner(session, link.runner_id)

    async def deliver(self, link: Link, event: Event, order_id: str) -> None:
        """Route one frame from a runner to whoever issued its order."""
        queue = link.local_orders.get(order_id)
        if queue is not None:
            queue.put_nowait(event)
            if _final(event):
                link.local_orders.pop(order_id, None)
            return
        if order_id in link.remote_orders and self.relay is not None:
            await self.relay.reply(order_id, event)
            if _final(event):
                link.remote_orders.discard(order_id)
            return
        # Nobody waits for this order any more (deadline passed): stop the runner's work.
        if not _final(event):
            await link.send(p.Cancel(order_id=order_id, reason="nobody is waiting"))

    async def _from_relay(self, runner_id: str, text: str) -> None:
        """A control message for a runner connected here, sent by another API process."""
        link = self.links.get(runner_id)
        if link is None:
            return
        message = p.decode_to_runner(text)
        if isinstance(message, p.Order):
            link.remote_orders.add(message.spec.id)
        await link.send_raw(text)

    # --- the asking side -----------------------------------------------------------------

    @property
    def reachable(self) -> Container[str] | None:
        """Runner ids this process can send orders to (None means "ask the database"): all
        recently seen ones through Redis, those connected to this machine's API processes
        through the local relay, else only those connected here."""
        return self.links if self.relay is None else self.relay.reachable

    async def online(self, company_id: str) -> list[Runner]:
        async with self._sessionmaker() as session:
            runners = await online_runners(session, company_id, self._heartbeat_timeout_s)
        reachable = self.reachable
        return [r for r in runners if reachable is None or r.id in reachable]

    @contextlib.asynccontextmanager
    async def order(
        self,
        target: OrderTarget,
        *,
        requested_by: str,
        query: str | None = None,
        sql: str | None = None,
        args: dict[str, Any] | None = None,
        trace_id: str = "",
        max_rows: int | None = None,
        timeout_s: float | None = None,
    ) -> AsyncIterator[Extract]:
        """Send a signed order to ``target`` and yield its :class:`Extract` once columns came.

        Raises :class:`RunnerOffline` when the runner is connected to no API process.
        """
        timeout_s = timeout_s or self._order_timeout_s
        now = datetime.now(UTC)
        spec = p.OrderSpec(
            id=new_id("ord"),
            runner_id=target.id,
            query=query,
            sql=sql,
            args=args or {},
            requested_by=requested_by,
            trace_id=trace_id,
            issued_at=now,
            expires_at=now + timedelta(seconds=timeout_s),
            max_rows=max_rows,
        )
        order = p.sign_order(spec, target.order_key)
        # A little grace past the expiry so the runner's own "expired" answer can arrive.
        deadline = time.monotonic() + timeout_s + 2.0
        events: asyncio.Queue[Event] = asyncio.Queue()
        link = self.links.get(target.id)
        if link is not None:
            link.local_orders[spec.id] = events
            send: SendControl = link.send
            try:
                await link.send(order)
            except Exception as e:
                link.local_orders.pop(spec.id, None)
                raise RunnerOffline(
                    "runner_offline", f"runner «{target.name}» is not connected", target.name
                ) from e
            cleanup = self._local_cleanup(link, spec.id)
        elif self.relay is not None:
            try:
                send, cleanup = await self.relay.send_order(target.id, order, events)
            except Exception as e:  # Redis down: the runner cannot be reached from here
                raise OrderFailed(
                    "relay_unavailable",
                    f"runner «{target.name}» cannot be reached: the message relay "
                    f"({self.relay.name}) did not answer ({type(e).__name__})",
                    target.name,
                ) from e
            if send is None:
                raise RunnerOffline(
                    "runner_offline", f"runner «{target.name}» is not connected", target.name
                )
        else:
            raise RunnerOffline(
                "runner_offline", f"runner «{target.name}» is not connected", target.name
            )
        extract = Extract(spec.id, target.name, events, send, deadline)
        try:
            await extract.start()
            yield extract
        finally:
            if extract.done is None:
                with contextlib.suppress(Exception):
                    await send(p.Cancel(order_id=spec.id, reason="the orchestrator stopped"))
            await cleanup()

    def _local_cleanup(self, link: Link, order_id: str) -> Callable[[], Awaitable[None]]:
        async def cleanup() -> None:
            link.local_orders.pop(order_id, None)

        return cleanup


def _final(event: Event) -> bool:
    kind, value = event
    return kind == "closed" or (kind == "text" and isinstance(value, p.Done | p.Refused | p.Failed))


def target_of(runner: Runner) -> OrderTarget:
    if not runner.order_key:
        raise RunnerOffline(
            "runner_needs_new_token",
            f"runner «{runner.name}» was registered before orders were signed; "
            "create a new runner token for it",
            runner.name,
        )
    return OrderTarget(runner.id, runner.name, runner.company_id, bytes.fromhex(runner.order_key))
