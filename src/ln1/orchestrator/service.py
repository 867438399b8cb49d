"""Running one conversation turn through the graph, plain or as a stream of events.

A turn is stored in one transaction after the graph has run (both messages at once:
one commit per turn). If the graph fails, the user's message is still stored, so
nothing the user said is lost. Turns of one thread run one at a time (a
lock per thread, shared by the API processes of one machine: ``ln1.orchestrator.turnlock``),
so two quick messages cannot interleave their checkpoints.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langgraph.graph.state import CompiledStateGraph
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.conversations.models import Message, Thread
from ln1.conversations.service import message_out, record_turn
from ln1.errors import InvalidInput
from ln1.files.service import get_files
from ln1.ops.metrics import CHAT_TURNS
from ln1.orchestrator.checkpoint import PRUNE_EVERY, prune_thread
from ln1.orchestrator.deps import OrchestratorDeps, run_config
from ln1.orchestrator.nodes.understand import with_context
from ln1.orchestrator.state import RECENT_TURNS
from ln1.tenancy.service import Principal

SLOT_INTENTS = frozenset({"data_query", "report"})
MAX_FILES = 10
_SENTENCE_END = re.compile(r"((?<=[.!?:\n»”])\s+)")


@dataclass(frozen=True)
class TurnEvent:
    """One server-sent event of a streamed turn (``route``, ``delta``, ``data``, ...)."""

    event: str
    data: dict[str, Any]
    message: Message | None = None  # on ``done``: the stored assistant message


@asynccontextmanager
async def _keep_user_message(
    session: AsyncSession, thread: Thread, content: str, file_ids: list[str]
) -> AsyncIterator[None]:
    """If the turn fails, store the user's message alone before the error propagates."""
    try:
        yield
    except Exception:  # not cancellation: a dropped stream ends the turn, as asked
        await session.rollback()
        await record_turn(session, thread, content, file_ids, None)
        raise


async def check_files(session: AsyncSession, user_id: str, file_ids: list[str]) -> None:
    """Every attached id must be one of the user's own files: anything else is a 404
    before the turn starts (never a hint that another company's file exists)."""
    if len(file_ids) > MAX_FILES:
        raise InvalidInput(f"attach at most {MAX_FILES} files to one message")
    await get_files(session, file_ids, user_id)


def split_for_stream(text: str) -> list[str]:
    """Sentence-sized pieces that concatenate back to exactly ``text``."""
    parts = _SENTENCE_END.split(text)
    return ["".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]


def _details(values: dict[str, Any]) -> dict[str, Any]:
    reply = values.get("reply") or {}
    return {
        "confidence": values.get("confidence"),
        "slots": values.get("slots") if values.get("intent") in SLOT_INTENTS else None,
        "data": reply.get("data"),
        "understood_by": values.get("understood_by"),
        "language": values.get("language"),
        "clarify": bool(reply.get("clarify")),
        # Who wrote the answer: "rules", "llm" or "llm+rules" (see ln1.orchestrator.llm).
        "written_by": reply.get("written_by", "rules"),
        "llm": reply.get("llm"),
    }


def _turn_input(content: str, file_ids: list[str], seed: dict[str, Any] | None) -> dict[str, Any]:
    return {"message": content, "file_ids": file_ids, **(seed or {})}


def _assistant_fields(values: dict[str, Any]) -> dict[str, Any]:
    reply = values["reply"]
    return {
        "content": reply["content"],
        "route": values["route"],
        "intent": values["intent"],
        "task_id": reply.get("task_id"),
        "details": _details(values),
    }


async def _finish(
    graph: CompiledStateGraph,
    session: AsyncSession,
    thread: Thread,
    content: str,
    file_ids: list[str],
    values: dict[str, Any],
) -> Message:
    CHAT_TURNS.labels(route=values["route"], intent=values["intent"]).inc()
    message = await record_turn(session, thread, content, file_ids, _assistant_fields(values))
    if graph.checkpointer and values.get("turns", 0) % PRUNE_EVERY == 0:
        await prune_thread(graph.checkpointer, thread.id)
    return message


async def run_turn(
    graph: CompiledStateGraph,
    deps: OrchestratorDeps,
    principal: Principal,
    session: AsyncSession,
    thread: Thread,
    content: str,
    file_ids: list[str],
    seed: dict[str, Any] | None = None,
) -> Message:
    """Run a whole turn and return the stored assistant message."""
    return await answer_of(
        stream_turn(graph, deps, principal, session, thread, content, file_ids, seed, deltas=False)
    )


async def answer_of(events: AsyncIterator[TurnEvent]) -> Message:
    """Drain a turn's events and return its stored answer (the ``done`` event's message).

    The loop runs to the end so the stream's lock and transaction scopes close here, not
    whenever the generator is collected.
    """
    message = None
    async for event in events:
        message = event.message or message
    if message is None:
        raise RuntimeError("turn ended without an answer")
    return message


async def stream_turn(
    graph: CompiledStateGraph,
    deps: OrchestratorDeps,
    principal: Principal,
    session: AsyncSession,
    thread: Thread,
    content: str,
    file_ids: list[str],
    seed: dict[str, Any] | None = None,
    *,
    deltas: bool = True,
) -> AsyncIterator[TurnEvent]:
    """Store the turn and run the graph, yielding events as it makes progress.

    ``route`` once the permission check has chosen the route, ``delta`` pieces of the
    answer, ``data``/``task`` when the answer has them, and ``done`` with the stored
    assistant message last. A node that writes its answer as it goes (the language model)
    sends its deltas through LangGraph's stream writer (``custom`` mode) and marks its reply
    ``streamed``, so those pieces are not sent twice.

    ``deltas=False`` (a caller that only wants the stored answer) leaves the ``custom``
    stream off, which saves LangGraph a few tenths of a millisecond per turn.
    """
    await check_files(session, principal.user_id, file_ids)
    async with (
        deps.turn_locks.hold(thread.id),
        _keep_user_message(session, thread, content, file_ids),
    ):
        values: dict[str, Any] = {}
        async for mode, update in graph.astream(
            _turn_input(content, file_ids, seed),
            run_config(thread.id, deps, principal, session),
            stream_mode=["updates", "custom"] if deltas else ["updates"],
            durability="exit",
        ):
            if mode == "custom":
                if isinstance(update, dict) and "delta" in update:
                    yield TurnEvent("delta", {"content": update["delta"]})
                continue
            for node, changes in update.items():
                values.update(changes or {})
                if node == "check_permission":
                    yield TurnEvent("route", _route_event(values))
                elif "reply" in (changes or {}) and not changes["reply"].get("streamed"):
                    for piece in split_for_stream(changes["reply"]["content"]):
                        yield TurnEvent("delta", {"content": piece})
        message = await _finish(graph, session, thread, content, file_ids, values)
        reply = values["reply"]
        if reply.get("data") is not None:
            yield TurnEvent("data", reply["data"])
        if reply.get("task_id"):
            yield TurnEvent("task", {"task_id": reply["task_id"]})
        yield TurnEvent("done", message_out(message).model_dump(mode="json"), message)


def _route_event(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "route": values["route"],
        "intent": values["intent"],
        "confidence": values.get("confidence"),
        "slots": values.get("slots"),
    }


def context_from_history(
    deps: OrchestratorDeps, principal: Principal, history: list[tuple[str, str]]
) -> dict[str, Any]:
    """State to start a new thread from a client-held history (OpenAI-style requests).

    Stateless clients resend earlier turns instead of a thread id; replaying their user
    messages through the IntentEngine recovers the context a follow-up needs
    ("¿y la semana pasada?") without any stored state.
    """
    today = datetime.now(ZoneInfo(principal.timezone)).date()
    seed: dict[str, Any] = {"recent": [], "last_intent": None, "last_data_slots": None}
    for role, content in history[-RECENT_TURNS:]:
        if role not in ("user", "assistant") or not content:
            continue
        intent = None
        if role == "user":
            understood = deps.engine.understand(content, today)
            intent = understood.intent
            seed["last_intent"] = intent
            if intent == "data_query":
                seed["last_data_slots"] = with_context(seed, intent, understood.slots)  # type: ignore[arg-type]
        seed["recent"].append({"role": role, "content": content, "intent": intent})
    return seed
