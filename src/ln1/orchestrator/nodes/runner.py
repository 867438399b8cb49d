"""ask_runner: data questions go to the company's Local Runner.

The node picks the runner's catalog entry that fits the question, fills its parameters from
the slots, sends the signed order and turns the verified rows into a short summary plus a
table (``data``); a result larger than the table cap also becomes a CSV artifact. Whenever it
cannot answer (no runner online, no fitting query, a refusal, a failure), it says so plainly,
naming the runner, and never shows partial rows. With Workers AI configured the model may
rephrase the summary; the rows and every number stay the runner's.
"""

from __future__ import annotations

from typing import Any

import structlog
from langchain_core.runnables import RunnableConfig

from ln1.artifacts.service import artifact_ref, store_artifact
from ln1.orchestrator.deps import OrchestratorDeps, deps_of, principal_of, session_of
from ln1.orchestrator.replies import Lang, describe_data_request, say
from ln1.orchestrator.state import OrchestratorState
from ln1.runners.errors import OrderError, OrderRefused, RunnerOffline
from ln1.runners.hub import target_of
from ln1.runners.matching import Pick, describe_catalog, pick_query
from ln1.runners.models import Runner
from ln1.runners.service import list_runners
from ln1.runners.summary import rows_for_data, summarize, write_csv

TABLE_ROWS = 200  # rows shown in the chat; beyond this the full result is a CSV artifact
MAX_ROWS = 100_000  # asked of the runner; its own cap may be lower


async def ask_runner(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    deps = deps_of(config)
    slots = state.get("slots") or {}
    what = describe_data_request(slots, lang)
    runners = await deps.hub.online(state["company_id"])
    if not runners:
        return _reply(await _offline_answer(state, config, what))
    chosen = _choose(runners, state["message"], slots, lang)
    if chosen is None:
        questions = describe_catalog(_queries(runners[0]), lang)
        return _reply(
            say(
                lang,
                "runner_no_query",
                what=what,
                company=state["company_name"],
                questions=questions,
            )
        )
    runner, pick = chosen
    try:
        return await _run_order(state, config, deps, runner, pick, what)
    except RunnerOffline:
        return _reply(await _offline_answer(state, config, what))
    except OrderRefused as e:
        return _reply(say(lang, "runner_refused", what=what, runner=runner.name, why=e.message))
    except OrderError as e:
        return _reply(say(lang, "runner_failed", what=what, runner=runner.name, why=e.message))


def _reply(content: str, data: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"reply": {"content": content, "data": data}}


def _queries(runner: Runner) -> list[dict[str, Any]]:
    return list((runner.catalog or {}).get("queries") or [])


def _choose(
    runners: list[Runner], message: str, slots: dict[str, Any], lang: str
) -> tuple[Runner, Pick] | None:
    """The best fitting query over the company's online runners (usually just one)."""
    best: tuple[Runner, Pick] | None = None
    for runner in runners:
        pick = pick_query(_queries(runner), message, slots, lang)
        if pick is not None and (best is None or pick.score > best[1].score):
            best = (runner, pick)
    return best


async def _run_order(
    state: OrchestratorState,
    config: RunnableConfig,
    deps: OrchestratorDeps,
    runner: Runner,
    pick: Pick,
    what: str,
) -> dict[str, Any]:
    lang: Lang = state["language"]
    principal = principal_of(config)
    async with deps.hub.order(
        target_of(runner),
        requested_by=principal.user_id,
        query=pick.query,
        args=pick.args,
        trace_id=structlog.contextvars.get_contextvars().get("trace_id", ""),
        max_rows=MAX_ROWS,
    ) as extract:
        rows = await extract.fetch_all()
        columns = extract.columns
        truncated = extract.truncated
    shown = min(len(rows), TABLE_ROWS)
    content = summarize(
        columns,
        rows,
        total_rows=len(rows),
        truncated=len(rows) > TABLE_ROWS,
        period=pick.period,
        query_description=pick.description or pick.query,
        lang=lang,
        shown=shown,
        runner_capped=truncated,
        filters=pick.filters_used,
        region=state.get("region"),
    )
    data = rows_for_data(columns, rows, cap=TABLE_ROWS, total_rows=len(rows))
    data["query"] = pick.query
    data["runner"] = runner.name
    if len(rows) > TABLE_ROWS:
        artifact = await store_artifact(
            deps.sessionmaker,
            deps.storage,
            company_id=state["company_id"],
            user_id=principal.user_id,
            kind="csv",
            filename=f"{pick.query}.csv",
            write=lambda path: write_csv(path, columns, rows),
        )
        data["artifact"] = artifact_ref(artifact)
    reply = _reply(content, data)
    if deps.llm is not None and rows:
        # The model may rephrase the summary, never its numbers (ln1.orchestrator.llm).
        phrased, info = await deps.llm.phrase_summary(
            summary=content, question=state["message"], lang=lang, company_id=state["company_id"]
        )
        reply["reply"]["llm"] = info
        if phrased is not None:
            reply["reply"].update(content=phrased, written_by="llm")
    return reply


async def _offline_answer(state: OrchestratorState, config: RunnableConfig, what: str) -> str:
    lang: Lang = state["language"]
    deps = deps_of(config)
    runners = await list_runners(
        session_of(config), deps.settings.runner_heartbeat_timeout_s, deps.hub.reachable
    )
    if runners:
        hint = say(lang, "runner_hint_start", names=", ".join(f"«{r.name}»" for r in runners))
    else:
        hint = say(lang, "runner_hint_register")
    return say(lang, "runner_offline", what=what, company=state["company_name"], hint=hint)
