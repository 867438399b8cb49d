"""start_task: file analysis, comparison and reports go to the worker cluster.

The answer comes at once with the task id; the worker posts the result into the same thread
when it ends (``ln1.worker``). Files are checked first, so a wrong or foreign id, an audio
file, or a missing second file gets a plain answer instead of a task that can only fail.
The task carries the reply's language and the company's country (``params["region"]``), so
the worker writes its message and PDF the way this chat writes numbers.
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.runnables import RunnableConfig

from ln1.db.tenant import scope_session
from ln1.files.kinds import AUDIO_KINDS
from ln1.files.service import get_files
from ln1.orchestrator.deps import deps_of, principal_of
from ln1.orchestrator.intent.text import fold
from ln1.orchestrator.replies import INTENT_ACTIONS, Lang, say
from ln1.orchestrator.state import OrchestratorState
from ln1.tasks.service import start_task as submit

# Files each intent needs. One file is ingested (read, cleaned, profiled), two are compared;
# a report is either of those with a PDF at the end (``params.report``).
WANTS_PDF = re.compile(r"\b(pdf|reporte|informe|report)\b")  # "compáralos y hazme un PDF"
NEEDED: dict[str, int] = {"file_analysis": 1, "file_compare": 2, "report": 1}
COUNT = {
    1: {"es": "un archivo", "en": "a file"},
    2: {"es": "dos archivos", "en": "two files"},
}


async def start_task(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    intent = state["intent"]
    what = INTENT_ACTIONS[intent][lang]
    needed = NEEDED.get(intent, 1)
    file_ids = list(dict.fromkeys(state.get("file_ids") or []))
    if intent == "report" and len(file_ids) >= 2:
        needed = 2
    if len(file_ids) < needed:
        count = COUNT[needed][lang]
        return _reply(say(lang, "task_needs_files", what=what, count=count))
    deps = deps_of(config)
    principal = principal_of(config)
    async with deps.sessionmaker() as session:  # ids were checked before the turn began
        scope_session(session.sync_session, principal.company_id)
        files = await get_files(session, file_ids[:needed], principal.user_id)
    for file in files:
        if file.kind in AUDIO_KINDS:
            text = say(lang, "task_wrong_kind", filename=file.filename, kind=file.kind, what=what)
            return _reply(text)
    params = {
        "file_ids": [f.id for f in files],
        "intent": intent,
        "lang": lang,
        "region": state.get("region"),
        "message": state["message"][:2000],
        "report": intent == "report" or bool(WANTS_PDF.search(fold(state["message"]))),
    }
    try:
        task = await submit(
            deps.sessionmaker,
            deps.celery,
            company_id=principal.company_id,
            user_id=principal.user_id,
            thread_id=config["configurable"]["thread_id"],
            kind="compare" if needed == 2 else "ingest",
            params=params,
        )
    except Exception:
        return _reply(say(lang, "task_queue_down", what=what))
    names = ", ".join(f"«{f.filename}»" for f in files)
    content = say(lang, "task_started", what=what, files=names, task_id=task.id)
    return {"reply": {"content": content, "data": None, "task_id": task.id}}


def _reply(content: str) -> dict[str, Any]:
    return {"reply": {"content": content, "data": None, "task_id": None}}
