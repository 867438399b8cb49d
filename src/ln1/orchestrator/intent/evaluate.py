"""Held-out evaluation of the IntentEngine (``ln1 eval intents``)."""

from __future__ import annotations

import time
from dataclasses import dataclass

from ln1.orchestrator.intent.dataset import Example, load_examples, split
from ln1.orchestrator.intent.engine import INTENTS, IntentEngine
from ln1.orchestrator.intent.preselect import preselect
from ln1.orchestrator.intent.text import normalize


@dataclass(frozen=True)
class Evaluation:
    train_size: int
    test_size: int
    accuracy: float
    per_intent: dict[str, tuple[int, int]]  # intent -> (correct, total)
    confusion: dict[str, dict[str, int]]  # true intent -> predicted intent -> count
    errors: list[tuple[Example, str]]
    p50_ms: float
    p99_ms: float
    engine: IntentEngine  # the model trained on the train split (tests reuse it)


def decide(engine: IntentEngine, text: str) -> str:
    """The intent the orchestrator settles on for a fresh message with no attachments:
    pre-selection's rule when one applies, else the classifier."""
    rule = preselect(normalize(text), [], {}, None)
    return rule.intent or engine.classify(text)[0]


def evaluate(examples: list[Example] | None = None) -> Evaluation:
    train, test = split(examples if examples is not None else load_examples())
    engine = IntentEngine.train(train)
    confusion = {t: dict.fromkeys(INTENTS, 0) for t in INTENTS}
    errors: list[tuple[Example, str]] = []
    timings: list[float] = []
    for example in test:
        start = time.perf_counter()
        predicted = decide(engine, example.text)
        timings.append((time.perf_counter() - start) * 1000)
        confusion[example.intent][predicted] += 1
        if predicted != example.intent:
            errors.append((example, predicted))
    per_intent = {t: (confusion[t][t], sum(confusion[t].values())) for t in INTENTS}
    correct = sum(c for c, _ in per_intent.values())
    timings.sort()
    return Evaluation(
        train_size=len(train),
        test_size=len(test),
        accuracy=correct / len(test) if test else 0.0,
        per_intent=per_intent,
        confusion=confusion,
        errors=errors,
        p50_ms=timings[len(timings) // 2] if timings else 0.0,
        p99_ms=timings[min(len(timings) - 1, int(len(timings) * 0.99))] if timings else 0.0,
        engine=engine,
    )
