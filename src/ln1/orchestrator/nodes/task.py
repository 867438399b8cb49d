"""start_task: file analysis, comparison and reports belong to the worker cluster.

The worker cluster is not part of this installation yet, so the turn says so plainly
instead of pretending a task started.
"""

from __future__ import annotations

from typing import Any

from ln1.orchestrator.replies import INTENT_ACTIONS, Lang, say
from ln1.orchestrator.state import OrchestratorState


async def start_task(state: OrchestratorState) -> dict[str, Any]:
    lang: Lang = state["language"]
    what = INTENT_ACTIONS[state["intent"]][lang]
    return {"reply": {"content": say(lang, "task_unavailable", what=what), "task_id": None}}
