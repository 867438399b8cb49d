"""``WS /v1/runners/connect``: where Local Runners dial in.

Only a runner token opens it (a user key, a revoked token or nothing is turned away at the
handshake, 403), and the token decides everything: which runner, which company. The runner
speaks first (``Hello`` with its catalog), gets ``Welcome``, then heartbeats keep it online;
silence past the heartbeat timeout closes the socket, so a runner that vanished without a
goodbye is not counted as online for long.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog
from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from ln1_runner import protocol as p

from ln1.runners.hub import Link, RunnerHub
from ln1.runners.service import authenticate_runner, record_hello

router = APIRouter(tags=["runners"])
log = structlog.get_logger("ln1.runners")

HELLO_TIMEOUT_S = 10.0


def _bearer(websocket: WebSocket) -> str:
    scheme, _, token = websocket.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


@router.websocket(p.CONNECT_PATH)
async def connect(websocket: WebSocket) -> None:
    deps = websocket.app.state.deps
    hub: RunnerHub = websocket.app.state.hub
    async with deps.sessionmaker() as session:
        runner = await authenticate_runner(session, _bearer(websocket))
    if runner is None:
        await websocket.close(code=1008)  # before accept: the handshake answers 403
        return
    await websocket.accept()
    try:
        async with asyncio.timeout(HELLO_TIMEOUT_S):
            hello = p.decode_to_server(await websocket.receive_text())
        if not isinstance(hello, p.Hello) or hello.protocol != p.PROTOCOL_VERSION:
            raise p.ProtocolError("the first message must be hello, protocol 1")
    except (TimeoutError, p.ProtocolError, WebSocketDisconnect, KeyError) as e:
        log.warning("runner_bad_hello", runner_id=runner.id, error=str(e))
        with contextlib.suppress(Exception):
            await websocket.close(code=1002)
        return
    async with deps.sessionmaker() as session, session.begin():
        await record_hello(session, runner.id, hello)
    link = Link(
        runner_id=runner.id,
        runner_name=runner.name,
        company_id=runner.company_id,
        send_text=websocket.send_text,
        close=websocket.close,
    )
    settings = deps.settings
    await link.send(
        p.Welcome(
            runner_id=runner.id,
            runner_name=runner.name,
            company_id=runner.company_id,
            heartbeat_s=settings.runner_heartbeat_s,
        )
    )
    await hub.attach(link)
    reason = "closed"
    try:
        reason = await _serve(websocket, hub, link, settings.runner_heartbeat_timeout_s)
    finally:
        await hub.detach(link, reason)


async def _serve(websocket: WebSocket, hub: RunnerHub, link: Link, silence_s: float) -> str:
    """Read frames until the runner goes; returns why it went."""
    while True:
        try:
            async with asyncio.timeout(silence_s):
                message = await websocket.receive()
        except TimeoutError:
            with contextlib.suppress(Exception):
                await websocket.close(code=1001)
            return "missed heartbeats"
        if message["type"] == "websocket.disconnect":
            return "disconnected"
        if message.get("bytes") is not None:
            frame: bytes = message["bytes"]
            order_id = p.chunk_order_id(frame)
            if order_id is not None:
                await hub.deliver(link, ("chunk", frame), order_id)
            continue
        try:
            msg = p.decode_to_server(message.get("text") or "")
        except p.ProtocolError as e:
            log.warning("runner_bad_message", runner_id=link.runner_id, error=str(e))
            continue
        if isinstance(msg, p.Heartbeat):
            await hub.heartbeat(link)
        elif isinstance(msg, p.Columns | p.Done | p.Refused | p.Failed):
            await hub.deliver(link, ("text", msg), msg.order_id)
