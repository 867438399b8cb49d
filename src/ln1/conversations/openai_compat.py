"""``POST /v1/chat/completions``: the OpenAI chat-completions contract over ln1 threads.

Any OpenAI client can talk to ln1. Each request runs one turn: in the thread named by
the extra field ``thread_id`` when given, else in a new thread seeded from the history
the client sent (so follow-ups keep their context even for stateless clients).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from ln1.conversations import service
from ln1.conversations.models import Message, Thread
from ln1.errors import InvalidInput
from ln1.orchestrator.service import context_from_history, run_turn, split_for_stream
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1", tags=["openai-compatible"])
Chatter = Annotated[Caller, Depends(require(Permission.CHAT))]
MODEL_ID = "ln1"


class ChatMessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(p.get("text", "") for p in self.content if p.get("type") == "text")
        return self.content or ""


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    model: str = MODEL_ID
    messages: list[ChatMessageIn] = Field(min_length=1, max_length=200)
    stream: bool = False
    thread_id: str | None = None


@router.get("/models")
async def list_models(caller: Chatter) -> dict[str, Any]:
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "ln1"}],
    }


@router.post("/chat/completions", response_model=None)
async def chat_completions(
    body: ChatCompletionRequest, caller: Chatter, request: Request
) -> dict[str, Any] | StreamingResponse:
    last = body.messages[-1]
    content = last.text().strip()
    if last.role != "user" or not content:
        raise InvalidInput("the last message must be a non-empty 'user' message")
    deps, graph = request.app.state.deps, request.app.state.graph
    seed = None
    if body.thread_id:
        thread = await service.get_thread(caller.session, caller.principal, body.thread_id)
    else:
        thread = await service.create_thread(caller.session, caller.principal, None)
        history = [(m.role, m.text()) for m in body.messages[:-1]]
        seed = context_from_history(deps, caller.principal, history)
    message = await run_turn(
        graph, deps, caller.principal, caller.session, thread, content, [], seed
    )
    if body.stream:
        return StreamingResponse(
            _chunks(message, thread, body.model), media_type="text/event-stream"
        )
    return {
        "id": f"chatcmpl-{message.id}",
        "object": "chat.completion",
        "created": int(message.created_at.timestamp()),
        "model": body.model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": message.content},
                "finish_reason": "stop",
                "logprobs": None,
            }
        ],
        "ln1": _extras(message, thread),
    }


def _extras(message: Message, thread: Thread) -> dict[str, Any]:
    out = service.message_out(message)
    return {
        "thread_id": thread.id,
        "message_id": message.id,
        "route": out.route,
        "intent": out.intent,
        "slots": out.slots,
        "data": out.data,
        "task_id": out.task_id,
    }


async def _chunks(message: Message, thread: Thread, model: str) -> AsyncIterator[str]:
    base = {
        "id": f"chatcmpl-{message.id}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
    }

    def frame(delta: dict[str, Any], finish: str | None, **extra: Any) -> str:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        payload = {**base, "choices": [choice], **extra}
        return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"

    yield frame({"role": "assistant", "content": ""}, None)
    for piece in split_for_stream(message.content):
        yield frame({"content": piece}, None)
    yield frame({}, "stop", ln1=_extras(message, thread))
    yield "data: [DONE]\n\n"
