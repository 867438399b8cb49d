"""The IntentEngine: its held-out accuracy, its fast scorer, and pre-selection's rules."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from ln1.orchestrator.intent.dataset import load_examples, split
from ln1.orchestrator.intent.engine import INTENTS, IntentEngine
from ln1.orchestrator.intent.evaluate import Evaluation, evaluate
from ln1.orchestrator.intent.preselect import FILE_INTENTS, preselect
from ln1.orchestrator.intent.text import normalize

# Measured 95.3% on 6,012 held-out lines (29,575 utterances; linear SVM with a fitted
# temperature, typo copies, concept lexicon). The target is 95%. Was 92.1% with
# 8,436 utterances; the same 1,737 older held-out lines now score 95.6%.
# This floor stops regressions below the target.
ACCURACY_FLOOR = 0.95


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    return evaluate()


@pytest.fixture(scope="module")
def split_engine(evaluation: Evaluation) -> tuple[IntentEngine, list]:
    """The engine trained on the train split, and the held-out examples."""
    return evaluation.engine, split(load_examples())[1]


def test_dataset_is_large_bilingual_and_covers_every_intent() -> None:
    examples = load_examples()
    assert len(examples) >= 800
    for intent in INTENTS:
        langs = {e.lang for e in examples if e.intent == intent}
        assert langs == {"es", "en"}, intent
    assert len({e.text.lower() for e in examples}) == len(examples)


def test_held_out_split_is_stable_and_disjoint() -> None:
    train, held_out = split(load_examples())
    assert {e.text for e in train}.isdisjoint({e.text for e in held_out})
    assert 0.15 < len(held_out) / (len(train) + len(held_out)) < 0.25
    assert split(load_examples())[1] == held_out


def test_held_out_accuracy_stays_above_the_floor(evaluation: Evaluation) -> None:
    result = evaluation
    assert result.accuracy >= ACCURACY_FLOOR, result.accuracy
    assert sum(total for _, total in result.per_intent.values()) == result.test_size


def test_fast_scorer_matches_scikit_learn(split_engine) -> None:
    engine, held_out = split_engine
    for example in held_out:
        ours = engine._scorer.predict_proba(example.text)
        sklearn = engine._pipeline.predict_proba([example.text])[0]
        assert np.allclose(ours, sklearn, atol=1e-9), example.text


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("cuanto bendimos ayer", "data_query"),
        ("Cuánto vendimos AYER???", "data_query"),
        ("analisa este exel porfa", "file_analysis"),
        ("how much did we sell yesteday", "data_query"),
        ("transcribe la nota de voz que te mandé", "transcription"),
    ],
)
def test_typos_accents_and_case_do_not_change_the_intent(split_engine, text, intent) -> None:
    engine, _ = split_engine
    assert engine.classify(text)[0] == intent


def test_understand_returns_slots_and_a_confidence(split_engine) -> None:
    engine, _ = split_engine
    result = engine.understand("top 10 productos este año", date(2026, 11, 25))
    assert result.intent == "data_query" and 0.5 < result.confidence <= 1.0
    assert result.slots["group_by"] == "product" and result.slots["limit"] == 10
    assert result.slots["period"]["start"] == "2026-01-01"


async def test_fallback_is_consulted_only_below_the_threshold(split_engine) -> None:
    engine, _ = split_engine
    asked: list[str] = []

    async def fallback(text, first):
        asked.append(text)
        return None

    unsure = IntentEngine(engine._pipeline, threshold=1.01, fallback=fallback)
    await unsure.aunderstand("hola", date(2026, 11, 25))
    sure = IntentEngine(engine._pipeline, threshold=0.0, fallback=fallback)
    await sure.aunderstand("hola", date(2026, 11, 25))
    assert asked == ["hola"]


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("/ayuda", "help"),
        ("/status", "task_status"),
        ("/imagen un gato", "image_generation"),
        ("hola", "greeting"),
        ("Buenos días, equipo!", "greeting"),
        ("hey there", "greeting"),
    ],
)
def test_preselection_decides_commands_and_bare_greetings(text: str, intent: str) -> None:
    assert preselect(normalize(text), [], {}, None).intent == intent


@pytest.mark.parametrize("text", ["hola, ¿cuánto vendimos hoy?", "hi, what can you do?", "/nope"])
def test_preselection_leaves_requests_to_the_classifier(text: str) -> None:
    assert preselect(normalize(text), [], {}, None).intent is None


def test_short_follow_up_after_a_data_question_stays_a_data_question() -> None:
    slots = {"period": {"label": "last_week"}}
    assert preselect(normalize("¿y la semana pasada?"), [], slots, "data_query").intent == (
        "data_query"
    )
    assert preselect(normalize("¿y la semana pasada?"), [], slots, "greeting").intent is None


def test_attachments_narrow_the_classifier_to_file_intents() -> None:
    choice = preselect(normalize("mira esto"), ["file_1"], {}, None)
    assert choice.intent is None and choice.candidates == FILE_INTENTS
