"""integrate: fold the turn into the bounded memory the next turn starts from."""

from __future__ import annotations

from typing import Any

from ln1.orchestrator.state import OrchestratorState


async def integrate(state: OrchestratorState) -> dict[str, Any]:
    intent = state["intent"]
    update: dict[str, Any] = {
        "turns": state.get("turns", 0) + 1,
        "recent": [
            {"role": "user", "content": state["message"], "intent": intent},
            {"role": "assistant", "content": state["reply"]["content"], "intent": intent},
        ],
    }
    if not state.get("unsure"):
        update["last_intent"] = intent
        if intent == "data_query" and state["route"] != "denied":
            update["last_data_slots"] = state.get("slots")
    return update
