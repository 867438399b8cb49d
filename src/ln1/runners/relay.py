"""Orders across API processes, through Redis pub/sub (on only when ``LN1_REDIS_URL`` is set).

A runner is connected to one API process; a user's question may land on another. Each process
subscribes to ``<prefix>:runner:<id>`` for the runners connected to it; the asking process
publishes the signed order there (Redis answers how many processes received it: none means the
runner is connected nowhere, i.e. offline), after subscribing to ``<prefix>:order:<id>`` for
the answer. The runner's process forwards the answer's frames there as they come, and forwards
the asker's acks and cancels to the runner, so back-pressure spans both hops.

Pub/sub delivers at most once and keeps nothing, which is what a live answer with a deadline
wants: if a process dies mid-order the asker hears nothing more and its deadline ends the
order with an error, never with partial rows presented as complete.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import redis.asyncio as aioredis
import structlog
from ln1_runner import protocol as p

log = structlog.get_logger("ln1.runners.relay")

OnRunnerMessage = Callable[[str, str], Awaitable[None]]

_TEXT, _CHUNK, _CLOSED = b"T", b"B", b"X"


class Relay:
    """One Redis connection for publishing and one pub/sub connection for this process."""

    name = "redis"
    reachable = None  # every runner the database has seen lately: Redis reaches them all

    def __init__(self, url: str, prefix: str = "ln1") -> None:
        self._redis = aioredis.from_url(url)
        self._pubsub = self._redis.pubsub()
        self._prefix = prefix
        self._runner_handlers: dict[str, OnRunnerMessage] = {}
        self._order_queues: dict[str, asyncio.Queue[Any]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._reader: asyncio.Task[None] | None = None
        self._replies: set[asyncio.Task[Any]] = set()

    def _runner_channel(self, runner_id: str) -> str:
        return f"{self._prefix}:runner:{runner_id}"

    def _order_channel(self, order_id: str) -> str:
        return f"{self._prefix}:order:{order_id}"

    async def start(self) -> None:
        await self._redis.ping()
        # A pub/sub connection must hold a subscription before it can be read from.
        await self._subscribe(f"{self._prefix}:_alive")
        self._reader = asyncio.create_task(self._read())

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()
        await self._redis.aclose()

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def _subscribe(self, channel: str) -> None:
        """Subscribe and wait until Redis confirmed it, so nothing published after is missed."""
        event = self._confirmed.setdefault(channel, asyncio.Event())
        await self._pubsub.subscribe(channel)
        if self._reader is None:  # before start(): read the confirmation ourselves
            while not event.is_set():
                message = await self._pubsub.get_message(timeout=1.0)
                if message and message["type"] == "subscribe":
                    self._confirmed[message["channel"].decode()].set()
        else:
            async with asyncio.timeout(5.0):
                await event.wait()

    async def _unsubscribe(self, channel: str) -> None:
        self._confirmed.pop(channel, None)
        with contextlib.suppress(Exception):
            await self._pubsub.unsubscribe(channel)

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except asyncio.CancelledError:
                raise
            except Exception as e:  # Redis went away: keep trying, orders will time out
                log.warning("relay_read_failed", error=str(e))
                await asyncio.sleep(0.5)
                continue
            if message is None:
                continue
            channel = message["channel"].decode()
            if message["type"] == "subscribe":
                if channel in self._confirmed:
                    self._confirmed[channel].set()
                continue
            if message["type"] != "message":
                continue
            await self._dispatch(channel, message["data"])

    async def _dispatch(self, channel: str, data: bytes) -> None:
        kind, body = data[:1], data[1:]
        _, _, rest = channel.partition(f"{self._prefix}:")
        scope, _, ident = rest.partition(":")
        if scope == "runner" and ident in self._runner_handlers:
            try:
                await self._runner_handlers[ident](ident, body.decode())
            except Exception as e:
                log.warning("relay_forward_failed", runner_id=ident, error=str(e))
        elif scope == "order" and ident in self._order_queues:
            queue = self._order_queues[ident]
            if kind == _CHUNK:
                queue.put_nowait(("chunk", body))
            elif kind == _TEXT:
                try:
                    queue.put_nowait(("text", p.decode_to_server(body)))
                except p.ProtocolError as e:
                    queue.put_nowait(("closed", str(e)))
            else:
                queue.put_nowait(("closed", body.decode()))

    # --- the process a runner is connected to ----------------------------------------------

    async def attach_runner(self, runner_id: str, handler: OnRunnerMessage) -> None:
        self._runner_handlers[runner_id] = handler
        await self._subscribe(self._runner_channel(runner_id))

    async def detach_runner(self, runner_id: str) -> None:
        self._runner_handlers.pop(runner_id, None)
        await self._unsubscribe(self._runner_channel(runner_id))

    async def reply(self, order_id: str, event: tuple[str, Any]) -> None:
        kind, value = event
        if kind == "chunk":
            data = _CHUNK + value
        elif kind == "text":
            data = _TEXT + p.encode(value).encode()
        else:
            data = _CLOSED + str(value).encode()
        await self._redis.publish(self._order_channel(order_id), data)

    def reply_nowait(self, order_id: str, event: tuple[str, Any]) -> None:
        task = asyncio.get_running_loop().create_task(self.reply(order_id, event))
        self._replies.add(task)
        task.add_done_callback(self._replies.discard)

    # --- the asking process ----------------------------------------------------------------

    async def send_order(
        self, runner_id: str, order: p.Order, events: asyncio.Queue[Any]
    ) -> tuple[Callable[[p.Message], Awaitable[None]] | None, Callable[[], Awaitable[None]]]:
        """Publish ``order``: (send_control, cleanup); send_control is None if nobody had it."""
        order_id = order.spec.id
        channel = self._order_channel(order_id)
        self._order_queues[order_id] = events
        await self._subscribe(channel)

        async def cleanup() -> None:
            self._order_queues.pop(order_id, None)
            await self._unsubscribe(channel)

        runner_channel = self._runner_channel(runner_id)
        receivers = await self._redis.publish(runner_channel, _TEXT + p.encode(order).encode())
        if not receivers:
            await cleanup()
            return None, cleanup

        async def send_control(message: p.Message) -> None:
            await self._redis.publish(runner_channel, _TEXT + p.encode(message).encode())

        return send_control, cleanup
