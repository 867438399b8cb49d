"""answer_direct: replies that need no runner or worker.

Greeting, help (listing what this company really has connected), the user's own task
status, a clarifying question when the IntentEngine is unsure, and a clear "not here"
for anything out of scope. The rules write each answer; when Workers AI is configured the
language model rewrites it from those facts, streamed, and the rules' text stays the
answer whenever the model fails (``ln1.orchestrator.llm``).
"""

from __future__ import annotations

from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer

from ln1.orchestrator.deps import deps_of, session_of
from ln1.orchestrator.replies import INTENT_ACTIONS, TASK_STATUS, Lang, say
from ln1.orchestrator.state import OrchestratorState
from ln1.runners.service import list_runners
from ln1.tasks.service import recent_tasks


async def answer_direct(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    """The rules' answer; with Workers AI configured, the model writes it from those facts."""
    reply = await _rules_answer(state, config)
    llm = deps_of(config).llm
    if llm is None:
        return {"reply": {**reply, "written_by": "rules"}}
    writer = get_stream_writer()
    written = await llm.write_answer(
        facts=reply["content"],
        message=state["message"],
        lang=state["language"],
        company=state["company_name"],
        company_id=state.get("company_id"),
        recent=state.get("recent") or [],
        emit=lambda delta: writer({"delta": delta}),
    )
    return {
        "reply": {
            **reply,
            "content": written.content,
            "streamed": written.streamed,
            "written_by": written.written_by,
            "llm": written.llm,
        }
    }


async def _rules_answer(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    if state.get("unsure"):
        return {"content": _clarify(state, lang), "clarify": True}
    intent = state["intent"]
    if intent == "greeting":
        name = state["user_name"].split()[0] if state["user_name"] else ""
        content = say(lang, "greeting", name=name, company=state["company_name"])
    elif intent == "help":
        content = await _help(state, config, lang)
    elif intent == "task_status":
        content = await _task_status(state, config, lang)
    else:
        content = say(lang, "other", company=state["company_name"])
    return {"content": content}


def _clarify(state: OrchestratorState, lang: Lang) -> str:
    options = [a[0] for a in state.get("alternatives", [])][:2]
    while len(options) < 2:
        options.append("help" if "help" not in options else "other")
    first, second = (INTENT_ACTIONS[o][lang] for o in options)
    return say(lang, "clarify", first=first, second=second)


async def _help(state: OrchestratorState, config: RunnableConfig, lang: Lang) -> str:
    deps = deps_of(config)
    company = state["company_name"]
    runners = await list_runners(
        session_of(config), deps.settings.runner_heartbeat_timeout_s, deps.hub.reachable
    )
    if runners:
        items = ", ".join(f"{r.name} ({say(lang, r.status)})" for r in runners)
        runners_text = say(lang, "runners_list", company=company, items=items)
    else:
        runners_text = say(lang, "runners_none", company=company)
    ai_key = "ai_available" if deps.settings.cloudflare_configured else "ai_unconfigured"
    return say(
        lang,
        "help",
        company=company,
        runners=runners_text,
        files=say(lang, "files_available"),
        ai=say(lang, ai_key, company=company),
    )


async def _task_status(state: OrchestratorState, config: RunnableConfig, lang: Lang) -> str:
    tasks = await recent_tasks(session_of(config), state["user_id"])
    if not tasks:
        return say(lang, "no_tasks")
    lines = [
        f"• {t.kind} ({t.id}): {TASK_STATUS[t.status][lang]}"
        + (f", {round(t.progress * 100)} %" if t.status == "running" else "")
        for t in tasks
    ]
    return say(lang, "tasks_list", items="\n".join(lines))
