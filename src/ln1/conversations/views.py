"""Threads and messages: ``/v1/threads`` (REST and SSE)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, Query, Request
from sse_starlette import EventSourceResponse

from ln1.conversations import service
from ln1.conversations.schemas import (
    MessageCreate,
    MessageOut,
    ThreadCreate,
    ThreadOut,
    ThreadPage,
    ThreadWithMessages,
)
from ln1.db.tenant import scope_session
from ln1.errors import Ln1Error
from ln1.ops.errors import error_body
from ln1.orchestrator.service import TurnEvent, answer_of, stream_turn
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

log = structlog.get_logger("ln1.conversations")
router = APIRouter(prefix="/v1/threads", tags=["conversations"])
Chatter = Annotated[Caller, Depends(require(Permission.CHAT))]
THREAD_POLL_S = 0.5


def _thread_out(thread: object) -> ThreadOut:
    return ThreadOut.model_validate(thread, from_attributes=True)


@router.post("", status_code=201)
async def create_thread(caller: Chatter, body: ThreadCreate | None = None) -> ThreadOut:
    thread = await service.create_thread(
        caller.session, caller.principal, body.title if body else None
    )
    return _thread_out(thread)


@router.get("")
async def list_threads(
    caller: Chatter,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
) -> ThreadPage:
    threads, next_cursor = await service.list_threads(
        caller.session, caller.principal, limit, cursor
    )
    return ThreadPage(data=[_thread_out(t) for t in threads], next_cursor=next_cursor)


@router.get("/{thread_id}")
async def get_thread(
    thread_id: str,
    caller: Chatter,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    after: str | None = None,
) -> ThreadWithMessages:
    thread = await service.get_thread(caller.session, caller.principal, thread_id)
    messages, has_more = await service.list_messages(caller.session, thread, limit, after)
    return ThreadWithMessages(
        **_thread_out(thread).model_dump(),
        messages=[service.message_out(m) for m in messages],
        has_more=has_more,
    )


@router.post("/{thread_id}/messages", response_model=MessageOut)
async def post_message(
    thread_id: str, body: MessageCreate, caller: Chatter, request: Request
) -> MessageOut | EventSourceResponse:
    thread = await service.get_thread(caller.session, caller.principal, thread_id)
    state = request.app.state
    events = stream_turn(
        state.graph,
        state.deps,
        caller.principal,
        caller.session,
        thread,
        body.content,
        body.file_ids,
        deltas=body.stream,
    )
    if body.stream:
        return EventSourceResponse(_sse(events, request), ping=15)
    return service.message_out(await answer_of(events))


@router.get("/{thread_id}/events")
async def thread_events(
    thread_id: str,
    caller: Chatter,
    request: Request,
    after: str | None = None,
) -> EventSourceResponse:
    """New messages of a thread as they are stored (``message`` events), e.g. a task's result
    that a worker appended while the user kept chatting. ``after`` is the last id already seen.
    """
    principal = caller.principal
    thread = await service.get_thread(caller.session, principal, thread_id)
    await caller.session.close()  # the stream polls with short sessions of its own
    sessionmaker = request.app.state.deps.sessionmaker

    async def events() -> AsyncIterator[dict[str, str]]:
        last = after or service.now_id()
        while not await request.is_disconnected():
            async with sessionmaker() as session:
                scope_session(session.sync_session, principal.company_id)
                messages, _ = await service.list_messages(session, thread, 100, last)
            for message in messages:
                last = message.id
                out = service.message_out(message)
                yield {"event": "message", "data": out.model_dump_json()}
            await asyncio.sleep(THREAD_POLL_S)

    return EventSourceResponse(events(), ping=15)


async def _sse(events: AsyncIterator[TurnEvent], request: Request) -> AsyncIterator[dict[str, str]]:
    """Turn events into SSE frames; a failure mid-stream becomes an ``error`` event."""
    try:
        async for event in events:
            yield {"event": event.event, "data": json.dumps(event.data, ensure_ascii=False)}
    except Exception as exc:
        if isinstance(exc, Ln1Error):
            code, message = exc.code, exc.message
        else:
            log.exception("turn failed while streaming", error_type=type(exc).__name__)
            code, message = "internal_error", "internal error; quote the trace_id"
        body = error_body(code, message, getattr(request.state, "trace_id", None))
        yield {"event": "error", "data": json.dumps(body["error"], ensure_ascii=False)}
