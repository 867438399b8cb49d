"""The chat's language model (Cloudflare Workers AI), used only when it is configured.

Three jobs, each with the deterministic path as its fallback:

* **Direct answers** (``write_answer``): the rules' answer is handed to the model as the
  facts to say, and the model writes the reply in the user's language, streamed. The model
  must start within ``LN1_AI_CHAT_TIMEOUT_S`` (default 6 s); any failure before its first
  word gives the rules' answer instead, and a failure halfway says so and appends the rules'
  answer (text already streamed cannot be taken back).
* **Unsure intents** (``resolve_intent``, the ``IntentEngine`` fallback): below the
  classifier's threshold the model picks an intent and fills missing slots as one JSON
  object, validated with pydantic (unknown intents, metrics or groupings are rejected, not
  guessed). Slots the deterministic extractors found always win; the period is never taken
  from the model (dates are where models err).
* **Data-query summaries** (``phrase_summary``): the model rephrases the rules' summary; the
  result is used only if it carries exactly the same numbers, otherwise the rules' summary
  stays.

Every reply records who wrote it (``written_by``: ``llm``, ``rules`` or ``llm+rules``) and,
when the model was asked, what happened (``llm``: model and outcome), so nothing claims the
model wrote what the rules did.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import structlog
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ln1.cloudflare import (
    ChatMessage,
    CloudflareError,
    NotConfigured,
    RetryPolicy,
    StreamInterrupted,
    Timeouts,
    WorkersAI,
)
from ln1.orchestrator.intent.engine import INTENTS, Understanding
from ln1.orchestrator.replies import FILTERS, GROUPS, METRICS

if TYPE_CHECKING:
    from ln1.config import Settings

log = structlog.get_logger("ln1.orchestrator.llm")

LANGUAGE_NAMES = {"es": "Spanish", "en": "English"}
WrittenBy = Literal["llm", "rules", "llm+rules"]

CUT_NOTE = {
    "es": "\n\n(La respuesta del modelo se cortó; esta es la respuesta estándar:)\n",
    "en": "\n\n(The model's answer was cut off; here is the standard answer:)\n",
}

INTENT_MEANINGS = {
    "greeting": "a hello, thanks or small talk",
    "help": "asks what the assistant can do or how to use it",
    "data_query": "a question about the company's own data (sales, orders, customers ...)",
    "file_analysis": "analyse, clean or profile one uploaded spreadsheet",
    "file_compare": "compare two uploaded spreadsheets",
    "report": "prepare a PDF report",
    "image_generation": "create an image or picture",
    "transcription": "transcribe an audio file",
    "long_text": "write a text (email, article, announcement ...)",
    "task_status": "asks how their background tasks are going",
    "other": "anything else, out of scope",
}


@dataclass(frozen=True)
class Written:
    """A reply and the truth about who wrote it."""

    content: str
    written_by: WrittenBy
    llm: dict[str, Any]
    streamed: bool  # the deltas were already sent, piece by piece


class SlotFill(BaseModel):
    """The data question's parameters the model may fill (never the period)."""

    model_config = ConfigDict(extra="ignore")

    metric: Literal[tuple(METRICS)] | None = None  # type: ignore[valid-type]
    group_by: Literal[tuple(GROUPS)] | None = None  # type: ignore[valid-type]
    limit: int | None = Field(default=None, ge=1, le=1000)
    filters: dict[Literal[tuple(FILTERS)], str] = Field(default_factory=dict)  # type: ignore[valid-type]


class IntentChoice(BaseModel):
    """The one JSON object the model must answer when resolving an unsure message."""

    model_config = ConfigDict(extra="ignore")

    intent: Literal[INTENTS]  # type: ignore[valid-type]
    confidence: float = Field(ge=0.0, le=1.0)
    slots: SlotFill = Field(default_factory=SlotFill)


_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def parse_choice(text: str) -> IntentChoice:
    """The model's JSON (code fences and prose around it tolerated), validated.

    Raises ``ValueError`` (pydantic's ``ValidationError`` is one) when there is no object
    or it does not fit the schema.
    """
    found = _JSON_OBJECT.search(text)
    if found is None:
        raise ValueError("no JSON object in the answer")
    return IntentChoice.model_validate_json(found.group(0))


def merge_slots(rules: dict[str, Any], fill: SlotFill) -> dict[str, Any]:
    """The rules' slots completed by the model's: what the rules found always wins."""
    merged = dict(rules)
    for key in ("metric", "group_by", "limit"):
        if merged.get(key) is None and getattr(fill, key) is not None:
            merged[key] = getattr(fill, key)
    merged["filters"] = {**fill.filters, **(rules.get("filters") or {})}
    return merged


def numbers_of(text: str) -> set[str]:
    """Number tokens, as written ("1,234.50", "17/11/2026" → "17", "11", "2026")."""
    return set(_NUMBER.findall(text))


class ChatLLM:
    """The orchestrator's model client: one per app, sharing one connection pool."""

    def __init__(self, ai: WorkersAI, *, model: str, timeout_s: float, threshold: float) -> None:
        self.ai = ai
        self.model = model
        self.timeout_s = timeout_s
        self.threshold = threshold
        # After its first word an answer may take this long in all before it is cut.
        self.total_s = max(30.0, timeout_s * 5)

    @classmethod
    def from_settings(cls, settings: Settings) -> ChatLLM | None:
        """None without ``LN1_CLOUDFLARE_*``: the chat then stays on its rules."""
        timeout = settings.ai_chat_timeout_s
        try:
            ai = WorkersAI.from_settings(
                settings,
                # A chat turn cannot wait out back-offs: one quick retry within the deadline.
                timeouts=Timeouts(text=timeout, stream_idle=timeout),
                retry=RetryPolicy(attempts=2, base_delay=0.2, max_delay=0.5, max_retry_after=1.0),
            )
        except NotConfigured:
            return None
        return cls(
            ai, model=settings.ai_text_model, timeout_s=timeout, threshold=settings.intent_threshold
        )

    async def aclose(self) -> None:
        await self.ai.aclose()

    # -- direct answers ----------------------------------------------------------------

    async def write_answer(
        self,
        *,
        facts: str,
        message: str,
        lang: str,
        company: str,
        company_id: str | None,
        recent: Sequence[dict[str, Any]] = (),
        emit: Callable[[str], None],
    ) -> Written:
        """The model's reply built on ``facts`` (the rules' answer), streamed via ``emit``.

        Falls back to ``facts`` itself on any failure; ``written_by`` says which happened.
        """
        messages: list[ChatMessage] = [
            {
                "role": "system",
                "content": (
                    f"You are the assistant of the company {company}. Reply to the user's last "
                    f"message in {LANGUAGE_NAMES.get(lang, 'Spanish')}, briefly and kindly. "
                    "Say only what the facts below say: never invent capabilities, data, "
                    "numbers, names or task states. Keep ids and quoted examples exactly.\n\n"
                    f"Facts:\n{facts}"
                ),
            },
            *[
                {"role": t["role"], "content": t["content"][:1000]}
                for t in list(recent)[-6:]
                if t.get("role") in ("user", "assistant") and t.get("content")
            ],
            {"role": "user", "content": message[:4000]},
        ]
        received: list[str] = []
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.timeout_s) as deadline:
                stream = self.ai.stream_text(
                    messages, model=self.model, max_tokens=500, company_id=company_id
                )
                async with aclosing(stream):
                    async for delta in stream:
                        if not received:
                            delta = delta.lstrip()
                            if not delta:
                                continue
                            deadline.reschedule(loop.time() + self.total_s)
                        received.append(delta)
                        emit(delta)
        except (CloudflareError, TimeoutError) as exc:
            error = _error_name(exc)
            log.warning("llm.answer_failed", error=error, deltas=len(received), model=self.model)
            info = {"model": self.model, "outcome": "failed", "error": error}
            if not received:
                return Written(facts, "rules", info, streamed=False)
            tail = CUT_NOTE.get(lang, CUT_NOTE["en"]) + facts
            emit(tail)
            return Written("".join(received) + tail, "llm+rules", info, streamed=True)
        text = "".join(received)
        if not text.strip():
            info = {"model": self.model, "outcome": "empty"}
            return Written(facts, "rules", info, streamed=False)
        info = {
            "model": self.model,
            "outcome": "ok",
            "ms": round((time.perf_counter() - started) * 1000),
        }
        return Written(text, "llm", info, streamed=True)

    # -- unsure intents ----------------------------------------------------------------

    async def resolve_intent(self, text: str, understood: Understanding) -> Understanding | None:
        """The ``IntentEngine`` fallback: a validated second opinion, or None."""
        intents = "\n".join(f"- {name}: {INTENT_MEANINGS[name]}" for name in INTENTS)
        schema = (
            '{"intent": "<one intent>", "confidence": <0..1>, "slots": {"metric": '
            f"{_options(METRICS)} or null, "
            f'"group_by": {_options(GROUPS)} or null, "limit": <integer> or null, '
            f'"filters": {{<one of {_options(FILTERS)}>: "<value>"}}}}}}'
        )
        messages: list[ChatMessage] = [
            {
                "role": "system",
                "content": (
                    "Classify the user's message to a business assistant (Spanish or English). "
                    f"Intents:\n{intents}\n\nAnswer with one JSON object and nothing else:\n"
                    f"{schema}\nFill slots only for data_query or report, only with what the "
                    "message says; confidence is how sure you are."
                ),
            },
            {"role": "user", "content": text[:2000]},
        ]
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await self.ai.generate_text(
                    messages, model=self.model, max_tokens=200, company_id=_company_id()
                )
            choice = parse_choice(answer.text)
        except (CloudflareError, TimeoutError, ValueError) as exc:
            reason = "invalid" if isinstance(exc, ValueError | ValidationError) else "failed"
            log.info("llm.intent_unresolved", outcome=reason, error=_error_name(exc))
            return None
        log.info("llm.intent_resolved", intent=choice.intent, confidence=choice.confidence)
        slots = merge_slots(understood.slots, choice.slots)
        others = [a for a in understood.alternatives if a[0] != choice.intent][:2]
        alternatives = ((choice.intent, round(choice.confidence, 4)), *others)
        return Understanding(
            intent=choice.intent,
            confidence=round(choice.confidence, 4),
            alternatives=alternatives,
            slots=slots,
            source="llm",
        )

    # -- data summaries ----------------------------------------------------------------

    async def phrase_summary(
        self, *, summary: str, question: str, lang: str, company_id: str | None
    ) -> tuple[str | None, dict[str, Any]]:
        """The summary rephrased by the model, or None (with why) to keep the rules' one."""
        messages: list[ChatMessage] = [
            {
                "role": "system",
                "content": (
                    f"Rephrase the summary of a database query as a short, natural answer in "
                    f"{LANGUAGE_NAMES.get(lang, 'Spanish')} to the user's question. Keep every "
                    "number exactly as written, and add no number, name or conclusion that "
                    "the summary does not state."
                ),
            },
            {"role": "user", "content": f"Question: {question[:1000]}\n\nSummary: {summary}"},
        ]
        try:
            async with asyncio.timeout(self.timeout_s):
                answer = await self.ai.generate_text(
                    messages, model=self.model, max_tokens=300, company_id=company_id
                )
        except (CloudflareError, TimeoutError) as exc:
            return None, {"model": self.model, "outcome": "failed", "error": _error_name(exc)}
        text = answer.text.strip()
        if not text or numbers_of(text) != numbers_of(summary):
            # A changed, dropped or invented number: the rules' summary is the safe one.
            return None, {"model": self.model, "outcome": "rejected"}
        return text, {"model": self.model, "outcome": "ok"}


def _options(names: Any) -> str:
    return json.dumps(list(names))


def _error_name(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "Timeout"
    if isinstance(exc, StreamInterrupted):
        return "StreamInterrupted"
    return type(exc).__name__


def _company_id() -> str | None:
    """The company of the turn being classified (the fallback's signature has no room)."""
    try:
        from langgraph.config import get_config

        return get_config()["configurable"]["principal"].company_id
    except (RuntimeError, KeyError, AttributeError):
        return None
