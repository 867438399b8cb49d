"""The chat model's structured output and its guards, without a server: a scripted model
stands in for Workers AI so each answer shape (valid, invalid, failing) is exact."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ln1.cloudflare import ServerError, TextResult
from ln1.files.audio import audio_duration
from ln1.orchestrator.intent.engine import Understanding
from ln1.orchestrator.intent.slots import extract_slots
from ln1.orchestrator.llm import ChatLLM, merge_slots, numbers_of, parse_choice
from tests.ai.conftest import wav_bytes


class ScriptedModel:
    """Answers ``generate_text`` with the next scripted text (or raises it)."""

    def __init__(self, *answers: str | Exception) -> None:
        self.answers = list(answers)
        self.calls: list[list[dict[str, Any]]] = []

    async def generate_text(self, messages, *, model, max_tokens=None, company_id=None):
        self.calls.append(list(messages))
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return TextResult(text=answer, model=model)


def llm(*answers: str | Exception) -> ChatLLM:
    return ChatLLM(ScriptedModel(*answers), model="m", timeout_s=2.0, threshold=0.45)  # type: ignore[arg-type]


def unsure(text: str) -> Understanding:
    return Understanding(
        intent="other",
        confidence=0.3,
        alternatives=(("other", 0.3), ("data_query", 0.25), ("help", 0.1)),
        slots=extract_slots(text, date(2026, 11, 25)).to_dict(),
        source="classifier",
    )


async def test_the_model_resolves_an_unsure_message_and_fills_missing_slots():
    text = "lo de lima del mes pasado, los 5 mejores"
    model = llm(
        'Here you go:\n```json\n{"intent": "data_query", "confidence": 0.82, "slots": '
        '{"metric": "sales", "group_by": "product", "limit": 3, '
        '"filters": {"region": "Cusco"}, "period": "2020"}}\n```'
    )
    before = unsure(text)

    result = await model.resolve_intent(text, before)

    assert result is not None and result.intent == "data_query" and result.confidence == 0.82
    assert result.source == "llm" and result.alternatives[0] == ("data_query", 0.82)
    # The rules' slots win (the period, the top 5); the model only filled what was missing.
    assert result.slots["period"] == before.slots["period"] and result.slots["limit"] == 5
    assert result.slots["metric"] == "sales" and result.slots["group_by"] == "product"
    system = model.ai.calls[0][0]["content"]  # type: ignore[attr-defined]
    assert "data_query" in system and '"sales"' in system


@pytest.mark.parametrize(
    "answer",
    [
        "Echo: lo de la otra vez",  # no JSON at all
        '{"intent": "make_coffee", "confidence": 0.9}',  # not an intent
        '{"intent": "data_query", "confidence": 1.7}',  # out of range
        '{"intent": "data_query", "confidence": 0.9, "slots": {"metric": "vibes"}}',
        ServerError("HTTP 503", model="m", status=503),
    ],
)
async def test_an_unusable_answer_leaves_the_classifier_verdict(answer):
    assert await llm(answer).resolve_intent("lo de la otra vez", unsure("x")) is None


def test_parse_and_merge_are_strict_about_the_schema():
    choice = parse_choice('{"intent": "report", "confidence": 0.6, "slots": {"limit": 10}}')
    assert choice.intent == "report" and choice.slots.limit == 10
    rules = {"metric": "sales", "period": None, "group_by": None, "limit": None, "filters": {}}
    assert merge_slots(rules, choice.slots)["limit"] == 10
    assert merge_slots(rules, choice.slots)["metric"] == "sales"


async def test_a_summary_is_rephrased_only_if_its_numbers_survive():
    summary = "Ventas del 01/11/2026 al 24/11/2026: 3 filas. Suma: S/ 12,345.50."
    kept = "Entre el 01/11/2026 y el 24/11/2026 vendieron S/ 12,345.50 en 3 filas."
    text, info = await llm(kept).phrase_summary(
        summary=summary, question="ventas del mes", lang="es", company_id="c"
    )
    assert text == kept and info["outcome"] == "ok"

    changed = "Entre el 01/11/2026 y el 24/11/2026 vendieron unos S/ 12,000 en 3 filas."
    text, info = await llm(changed).phrase_summary(
        summary=summary, question="ventas del mes", lang="es", company_id="c"
    )
    assert text is None and info["outcome"] == "rejected"

    text, info = await llm(ServerError("HTTP 500", model="m", status=500)).phrase_summary(
        summary=summary, question="ventas del mes", lang="es", company_id="c"
    )
    assert text is None and info == {"model": "m", "outcome": "failed", "error": "ServerError"}
    assert numbers_of(summary) == {"01", "11", "2026", "24", "3", "12,345.50"}


# -- audio durations, read from the containers ----------------------------------------


def test_wav_duration_comes_from_its_header(tmp_path: Path):
    path = tmp_path / "a.wav"
    path.write_bytes(wav_bytes(2.5))
    assert audio_duration(path, "wav") == pytest.approx(2.5)


def test_mp3_duration_from_a_constant_bitrate_frame(tmp_path: Path):
    # MPEG-1 layer III, 128 kbit/s, 44.1 kHz: 417-byte frames; 300 of them ≈ 7.84 s.
    frame = bytes([0xFF, 0xFB, 0x90, 0x64]) + bytes(413)
    path = tmp_path / "a.mp3"
    path.write_bytes(frame * 300)
    assert audio_duration(path, "mp3") == pytest.approx(300 * 417 * 8 / 128_000)


def test_flac_duration_from_streaminfo(tmp_path: Path):
    rate, samples = 16000, 16000 * 3
    info = bytearray(34)
    info[10] = rate >> 12
    info[11] = (rate >> 4) & 0xFF
    info[12] = (rate & 0x0F) << 4
    info[14:18] = samples.to_bytes(4, "big")
    path = tmp_path / "a.flac"
    path.write_bytes(b"fLaC" + bytes([0x80, 0, 0, 34]) + bytes(info))
    assert audio_duration(path, "flac") == pytest.approx(3.0)


def test_an_unreadable_header_gives_no_duration(tmp_path: Path):
    path = tmp_path / "a.ogg"
    path.write_bytes(b"OggS" + bytes(40))
    assert audio_duration(path, "ogg") is None
    assert audio_duration(path, "unknown") is None
