"""call_ai: image generation, transcription and long texts go to Workers AI.

Nothing here calls a model yet; the reply tells whether AI is configured for the company
and that nothing was started.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from ln1.orchestrator.deps import deps_of
from ln1.orchestrator.replies import INTENT_ACTIONS, Lang, say
from ln1.orchestrator.state import OrchestratorState


async def call_ai(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    what = INTENT_ACTIONS[state["intent"]][lang]
    key = (
        "ai_not_available"
        if deps_of(config).settings.cloudflare_configured
        else "ai_not_configured"
    )
    return {"reply": {"content": say(lang, key, what=what, company=state["company_name"])}}
