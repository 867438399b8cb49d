"""call_ai: image generation, transcription and long texts go to Workers AI, as ``ai`` tasks.

Without ``LN1_CLOUDFLARE_*`` the reply says plainly that generative AI is not configured for
the company and starts nothing. With it, the work is queued on the ``ai`` queue and the
answer comes at once with the task id; the worker posts the result in the same thread
(``ln1.worker.handlers.ai``). A transcription is checked first (an audio file of the
user's own, within the size and duration limits), so a request that can only fail gets a
plain answer instead of a task.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from langchain_core.runnables import RunnableConfig

from ln1.db.tenant import scope_session
from ln1.files.audio import audio_duration
from ln1.files.kinds import AUDIO_KINDS
from ln1.files.service import get_files
from ln1.numbers import format_fixed
from ln1.orchestrator.deps import OrchestratorDeps, deps_of, principal_of
from ln1.orchestrator.replies import INTENT_ACTIONS, Lang, say
from ln1.orchestrator.state import OrchestratorState
from ln1.tasks.service import start_task as submit

EXAMPLES = {
    "image_generation": {
        "es": "genera una imagen de nuestra tienda decorada para navidad",
        "en": "generate an image of our shop decorated for Christmas",
    },
    "long_text": {
        "es": "redacta un correo a los clientes sobre el nuevo horario",
        "en": "write an email to customers about the new opening hours",
    },
}


async def call_ai(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    lang: Lang = state["language"]
    intent = state["intent"]
    what = INTENT_ACTIONS[intent][lang]
    deps = deps_of(config)
    if not deps.settings.cloudflare_configured:
        return _reply(say(lang, "ai_not_configured", what=what, company=state["company_name"]))
    message = state["message"].strip()
    params: dict[str, Any] = {
        "intent": intent,
        "lang": lang,
        "region": state.get("region"),  # the worker writes numbers the chat's way
        "message": message[:4000],
    }
    source = ""
    if intent == "transcription":
        checked = await _audio_file(state, config, deps, lang)
        if isinstance(checked, str):
            return _reply(checked)
        params["file_ids"] = [checked["id"]]
        params["audio"] = checked
        source = f" («{checked['filename']}»)" if lang == "es" else f" (“{checked['filename']}”)"
    else:
        if len(message.split()) < 3 and intent in EXAMPLES:
            example = EXAMPLES[intent][lang]
            return _reply(say(lang, "ai_needs_prompt", what=what, example=example))
        params["prompt"] = message[:4000]
    principal = principal_of(config)
    try:
        task = await submit(
            deps.sessionmaker,
            deps.celery,
            company_id=principal.company_id,
            user_id=principal.user_id,
            thread_id=config["configurable"]["thread_id"],
            kind=intent,
            params=params,
        )
    except Exception:
        return _reply(say(lang, "task_queue_down", what=what))
    content = say(lang, "ai_started", what=what, source=source, task_id=task.id)
    return {"reply": {"content": content, "data": None, "task_id": task.id}}


async def _audio_file(
    state: OrchestratorState, config: RunnableConfig, deps: OrchestratorDeps, lang: Lang
) -> dict[str, Any] | str:
    """The first attached file if it is audio within the limits, else the answer to give."""
    file_ids = list(dict.fromkeys(state.get("file_ids") or []))
    if not file_ids:
        return say(lang, "ai_needs_audio")
    principal = principal_of(config)
    async with deps.sessionmaker() as session:  # ids were checked before the turn began
        scope_session(session.sync_session, principal.company_id)
        files = await get_files(session, file_ids, principal.user_id)
    audio = next((f for f in files if f.kind in AUDIO_KINDS), None)
    if audio is None:
        return say(lang, "ai_not_audio", filename=files[0].filename, kind=files[0].kind)
    settings = deps.settings
    region = state.get("region")
    if audio.size > settings.ai_audio_max_bytes:
        return say(
            lang,
            "ai_audio_too_big",
            filename=audio.filename,
            size=_mb(audio.size, lang, region),
            limit=_mb(settings.ai_audio_max_bytes, lang, region),
        )
    seconds = await asyncio.to_thread(
        audio_duration, deps.storage.path(audio.storage_key), audio.kind
    )
    if seconds is not None and seconds > settings.ai_audio_max_seconds:
        return say(
            lang,
            "ai_audio_too_long",
            filename=audio.filename,
            seconds=_whole(seconds, lang, region),
            limit=_whole(settings.ai_audio_max_seconds, lang, region),
        )
    return {
        "id": audio.id,
        "filename": audio.filename,
        "kind": audio.kind,
        "size": audio.size,
        "duration_s": None if seconds is None else round(seconds, 3),
    }


def _whole(value: float, lang: Lang, region: str | None) -> str:
    """Seconds as a whole number, written the company's way ("1,800" or "1.800")."""
    return format_fixed(Decimal(repr(float(value))), 0, lang, region)


def _mb(size: int, lang: Lang, region: str | None) -> str:
    """A size in MiB with one decimal, written the company's way ("25.0" or "25,0")."""
    return format_fixed(Decimal(size) / (1 << 20), 1, lang, region)


def _reply(content: str) -> dict[str, Any]:
    return {"reply": {"content": content, "data": None, "task_id": None}}
