"""preselect and classify: the two steps that decide the intent and its slots."""

from __future__ import annotations

from datetime import date
from typing import Any

from langchain_core.runnables import RunnableConfig

from ln1.orchestrator.deps import deps_of
from ln1.orchestrator.intent.preselect import preselect
from ln1.orchestrator.intent.slots import extract_slots
from ln1.orchestrator.intent.text import normalize
from ln1.orchestrator.state import OrchestratorState


def with_context(state: OrchestratorState, intent: str, slots: dict[str, Any]) -> dict[str, Any]:
    """A data question that names no metric continues the previous one ("¿y ayer?").

    Whatever the new message says wins; the rest comes from the last data question.
    """
    previous = state.get("last_data_slots")
    if intent != "data_query" or not previous or slots.get("metric"):
        return slots
    merged = dict(previous)
    for key, value in slots.items():
        if value not in (None, {}, []):
            merged[key] = value
    merged["filters"] = {**(previous.get("filters") or {}), **(slots.get("filters") or {})}
    return merged


async def preselection(state: OrchestratorState) -> dict[str, Any]:
    """Cheap rules first; a decided intent skips the classifier."""
    slots = extract_slots(state["message"], date.fromisoformat(state["today"])).to_dict()
    pre = preselect(
        normalize(state["message"]), state.get("file_ids") or [], slots, state.get("last_intent")
    )
    if pre.intent is None:
        return {
            "slots": slots,
            "candidates": sorted(pre.candidates) if pre.candidates else None,
            "intent": "",
            "understood_by": "",
        }
    return {
        "slots": with_context(state, pre.intent, slots),
        "candidates": None,
        "intent": pre.intent,
        "confidence": 1.0,
        "alternatives": [(pre.intent, 1.0)],
        "understood_by": f"preselection:{pre.rule}",
        "unsure": False,
    }


async def decided_or_open(state: OrchestratorState) -> str:
    """``decided`` when a pre-selection rule settled the intent, else ``open``."""
    return "decided" if state.get("intent") else "open"


async def classify(state: OrchestratorState, config: RunnableConfig) -> dict[str, Any]:
    """The IntentEngine's verdict; below its threshold the turn asks back."""
    engine = deps_of(config).engine
    candidates = frozenset(state["candidates"]) if state.get("candidates") else None
    result = await engine.aunderstand(
        state["message"], date.fromisoformat(state["today"]), candidates
    )
    return {
        "intent": result.intent,
        "confidence": result.confidence,
        "alternatives": [list(a) for a in result.alternatives],
        "understood_by": result.source,
        "slots": with_context(state, result.intent, result.slots),
        "unsure": engine.is_unsure(result),
    }
