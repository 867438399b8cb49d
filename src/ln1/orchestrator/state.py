"""``OrchestratorState``: what the LangGraph graph carries for one conversation.

Checkpoints store the whole state at every save, so it holds only a bounded window
(recent turns, the last data question's slots, pending tasks); the full record lives in
the ``messages`` table. Per-turn fields are overwritten by every turn.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

Route = Literal["direct", "runner", "task", "ai", "denied"]
ROUTES: tuple[Route, ...] = ("direct", "runner", "task", "ai", "denied")
RECENT_TURNS = 8


class Turn(TypedDict):
    role: Literal["user", "assistant"]
    content: str
    intent: str | None


class Reply(TypedDict, total=False):
    content: str
    data: dict[str, Any] | None
    task_id: str | None
    clarify: bool
    streamed: bool  # the node already sent its deltas (the language model writes as it goes)
    written_by: str  # "rules", "llm" or "llm+rules"
    llm: dict[str, Any] | None  # the model asked and what happened


def keep_recent(current: list[Turn] | None, new: list[Turn] | None) -> list[Turn]:
    """Reducer: append the turn's messages, keep only the last ``RECENT_TURNS``."""
    return ((current or []) + (new or []))[-RECENT_TURNS:]


class OrchestratorState(TypedDict, total=False):
    # Input of a turn.
    message: str
    file_ids: list[str]
    # Who is asking (reloaded every turn: roles can change between turns).
    company_id: str
    company_name: str
    timezone: str
    region: str | None  # the country whose way of writing numbers answers follow (ln1.numbers)
    user_id: str
    user_name: str
    role: str
    permissions: list[str]
    today: str
    language: Literal["es", "en"]
    # Understanding of the turn.
    candidates: list[str] | None
    intent: str
    confidence: float
    alternatives: list[tuple[str, float]]
    understood_by: str
    slots: dict[str, Any]
    unsure: bool
    route: Route
    missing_permission: str | None
    reply: Reply
    # Memory across turns, bounded.
    turns: int
    recent: Annotated[list[Turn], keep_recent]
    last_intent: str | None
    last_data_slots: dict[str, Any] | None
