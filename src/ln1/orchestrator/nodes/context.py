"""load_context: who is asking, their company's calendar day and country, and the reply language."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from langchain_core.runnables import RunnableConfig

from ln1.numbers import company_region
from ln1.orchestrator.deps import principal_of
from ln1.orchestrator.intent.text import detect_language
from ln1.orchestrator.state import OrchestratorState


async def load_context(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    """Reload the principal every turn (roles change) and pick the reply language.

    Language: the message's own evidence, else the conversation's last language, else the
    company's default. "today" is the company's local date, so "ayer" means its yesterday.
    "region" is the company's country, or its time zone's, so every answer of the turn (a
    summary, a task's message, a report) writes numbers the same way.
    """
    principal = principal_of(config)
    language = detect_language(state["message"]) or state.get("language") or principal.language
    return {
        "company_id": principal.company_id,
        "company_name": principal.company_name,
        "timezone": principal.timezone,
        "region": company_region(principal.region, principal.timezone),
        "user_id": principal.user_id,
        "user_name": principal.user_name,
        "role": principal.role.value,
        "permissions": sorted(p.value for p in principal.permissions),
        "today": datetime.now(ZoneInfo(principal.timezone)).date().isoformat(),
        "language": language,
        "file_ids": state.get("file_ids") or [],
    }
