"""ask_runner: data questions go to the company's Local Runner.

Until a runner is online this answers honestly that the data cannot be reached, echoing
what was understood (metric, period as concrete dates, filters) so the user can check it.
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig

from ln1.orchestrator.deps import deps_of, session_of
from ln1.orchestrator.replies import Lang, describe_data_request, say
from ln1.orchestrator.state import OrchestratorState
from ln1.runners.service import list_runners


async def ask_runner(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    deps = deps_of(config)
    runners = await list_runners(session_of(config), deps.settings.runner_heartbeat_timeout_s)
    what = describe_data_request(state.get("slots") or {}, lang)
    if runners:
        hint = say(lang, "runner_hint_start", names=", ".join(f"«{r.name}»" for r in runners))
    else:
        hint = say(lang, "runner_hint_register")
    content = say(lang, "runner_offline", what=what, company=state["company_name"], hint=hint)
    return {"reply": {"content": content, "data": None}}
