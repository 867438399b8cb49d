"""check_permission: map the intent to a route and refuse what the role does not allow."""

from __future__ import annotations

from typing import Any

from ln1.orchestrator.state import OrchestratorState, Route

ROUTE_OF_INTENT: dict[str, Route] = {
    "greeting": "direct",
    "help": "direct",
    "task_status": "direct",
    "other": "direct",
    "data_query": "runner",
    "file_analysis": "task",
    "file_compare": "task",
    "report": "task",
    "image_generation": "ai",
    "transcription": "ai",
    "long_text": "ai",
}

PERMISSION_OF_ROUTE: dict[Route, str] = {
    "direct": "chat",
    "runner": "data:read",
    "task": "files:write",
    "ai": "ai:generate",
}


async def check_permission(state: OrchestratorState) -> dict[str, Any]:
    route: Route = "direct" if state.get("unsure") else ROUTE_OF_INTENT[state["intent"]]
    needed = PERMISSION_OF_ROUTE[route]
    if needed not in state["permissions"]:
        return {"route": "denied", "missing_permission": needed}
    return {"route": route, "missing_permission": None}


async def route_of(state: OrchestratorState) -> Route:
    return state["route"]
