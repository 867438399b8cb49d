"""refuse: a polite refusal naming what the role lacks (route ``denied``)."""

from __future__ import annotations

from typing import Any

from ln1.orchestrator.replies import PERMISSION_ACTIONS, Lang, say
from ln1.orchestrator.state import OrchestratorState


async def refuse(state: OrchestratorState) -> dict[str, Any]:
    lang: Lang = state["language"]
    action = PERMISSION_ACTIONS[state.get("missing_permission") or "chat"][lang]
    name = state["user_name"].split()[0] if state["user_name"] else ""
    content = say(
        lang, "denied", name=name, role=state["role"], action=action, company=state["company_name"]
    )
    return {"reply": {"content": content}}
