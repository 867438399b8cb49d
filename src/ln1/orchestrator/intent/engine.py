"""``IntentEngine``: intent, slots and a confidence for one chat message.

A light learned classifier trained at start-up from the labelled utterances in the repo:
TF-IDF over character n-grams, and over words plus the domain concept tags of
``concepts``, into a logistic regression. No network, no GPU, about a millisecond a
message. Character n-grams make it robust to missing accents and common typos in both
languages; concept tags let an unseen synonym count. Slots come from deterministic
extractors.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from ln1.orchestrator.intent.concepts import with_concepts
from ln1.orchestrator.intent.dataset import Example, data_files, load_examples
from ln1.orchestrator.intent.slots import extract_slots
from ln1.orchestrator.intent.text import normalize

INTENTS: tuple[str, ...] = (
    "greeting",
    "help",
    "data_query",
    "file_analysis",
    "file_compare",
    "report",
    "image_generation",
    "transcription",
    "long_text",
    "task_status",
    "other",
)


@dataclass(frozen=True)
class Understanding:
    """What the engine made of a message."""

    intent: str
    confidence: float
    alternatives: tuple[tuple[str, float], ...]
    slots: dict[str, Any]
    source: str  # "preselection", "classifier" or "fallback"


# An optional second opinion (e.g. an LLM) consulted only below the threshold.
Fallback = Callable[[str, Understanding], Awaitable[Understanding | None]]


def _model_key() -> str:
    digest = hashlib.sha256(sklearn.__version__.encode())
    here = Path(__file__).parent
    for part in (*data_files(), here / "engine.py", here / "concepts.py", here / "text.py"):
        digest.update(part.read_bytes())
    return digest.hexdigest()[:16]


def _words_and_concepts(text: str) -> str:
    return with_concepts(normalize(text))


def _pipeline() -> Pipeline:
    features = FeatureUnion(
        [
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb",
                    ngram_range=(2, 5),
                    preprocessor=normalize,
                    sublinear_tf=True,
                    min_df=1,
                ),
            ),
            (
                "words",
                TfidfVectorizer(
                    analyzer="word",
                    ngram_range=(1, 2),
                    preprocessor=_words_and_concepts,
                    token_pattern=r"(?u)\b\w+\b",
                    sublinear_tf=True,
                ),
            ),
        ]
    )
    return Pipeline([("features", features), ("model", LogisticRegression(C=20, max_iter=3000))])


class OneMessageScorer:
    """``pipeline.predict_proba([text])[0]`` for one message, without sklearn's overhead.

    Per call, scikit-learn validates its inputs (array checks, dataframe detection) at a
    cost several times that of the arithmetic for a single short message. This computes
    the same TF-IDF weights and multinomial softmax straight from the fitted vocabulary,
    idf and coefficients; a test checks it against ``predict_proba`` on every held-out
    utterance.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        union: FeatureUnion = pipeline.named_steps["features"]
        model: LogisticRegression = pipeline.named_steps["model"]
        self._parts = []
        offset = 0
        for _, vectorizer in union.transformer_list:
            if not vectorizer.sublinear_tf or vectorizer.norm != "l2" or not vectorizer.use_idf:
                raise ValueError("OneMessageScorer computes sublinear, l2-normalised TF-IDF")
            self._parts.append(
                (vectorizer.build_analyzer(), vectorizer.vocabulary_, vectorizer.idf_, offset)
            )
            offset += len(vectorizer.vocabulary_)
        self._coef = model.coef_
        self._intercept = model.intercept_

    def predict_proba(self, text: str) -> np.ndarray:
        columns: list[int] = []
        values: list[float] = []
        for analyze, vocabulary, idf, offset in self._parts:
            counts: dict[int, int] = {}
            for term in analyze(text):
                index = vocabulary.get(term)
                if index is not None:
                    counts[index] = counts.get(index, 0) + 1
            if not counts:
                continue
            index_array = np.fromiter(counts, dtype=np.intp, count=len(counts))
            weights = (1.0 + np.log(np.fromiter(counts.values(), float, len(counts)))) * idf[
                index_array
            ]
            weights /= np.sqrt(weights @ weights)
            columns.extend((index_array + offset).tolist())
            values.extend(weights.tolist())
        logits = self._coef[:, columns] @ np.asarray(values) + self._intercept
        logits -= logits.max()
        exp = np.exp(logits)
        return exp / exp.sum()


class IntentEngine:
    """Classifies messages; build it once per process with ``IntentEngine.train()``."""

    def __init__(self, pipeline: Pipeline, threshold: float, fallback: Fallback | None = None):
        self._pipeline = pipeline
        self._classes: list[str] = [str(c) for c in pipeline.classes_]
        self._scorer = OneMessageScorer(pipeline)
        self.threshold = threshold
        self.fallback = fallback

    @classmethod
    def train(
        cls,
        examples: Iterable[Example] | None = None,
        threshold: float = 0.45,
        fallback: Fallback | None = None,
    ) -> IntentEngine:
        data = list(examples) if examples is not None else load_examples()
        pipeline = _pipeline()
        pipeline.fit([e.text for e in data], [e.intent for e in data])
        return cls(pipeline, threshold, fallback)

    @classmethod
    def load_or_train(
        cls, cache_dir: Path, threshold: float = 0.45, fallback: Fallback | None = None
    ) -> IntentEngine:
        """Train once per dataset and feature code; later starts load the pickle.

        The cache key covers the utterances, the feature code and scikit-learn's version,
        so editing any of them retrains. The cache lives in the data folder ln1 owns.
        """
        path = cache_dir / f"intent-{_model_key()}.pkl"
        try:
            with path.open("rb") as f:
                pipeline = pickle.load(f)
            return cls(pipeline, threshold, fallback)
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            pass
        engine = cls.train(threshold=threshold, fallback=fallback)
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        with tmp.open("wb") as f:
            pickle.dump(engine._pipeline, f, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(path)
        return engine

    def classify(
        self, text: str, candidates: frozenset[str] | None = None
    ) -> tuple[str, float, tuple[tuple[str, float], ...]]:
        """Best intent, its probability, and the top three; restricted to ``candidates``."""
        probs = self._scorer.predict_proba(text)
        ranked = sorted(zip(self._classes, probs, strict=True), key=lambda p: -p[1])
        if candidates:
            allowed = [(c, p) for c, p in ranked if c in candidates]
            total = sum(p for _, p in allowed) or 1.0
            ranked = [(c, p / total) for c, p in allowed]
        top = tuple((str(c), round(float(p), 4)) for c, p in ranked[:3])
        return top[0][0], top[0][1], top

    def understand(
        self, text: str, today: date, candidates: frozenset[str] | None = None
    ) -> Understanding:
        intent, confidence, alternatives = self.classify(text, candidates)
        return Understanding(
            intent=intent,
            confidence=confidence,
            alternatives=alternatives,
            slots=extract_slots(text, today).to_dict(),
            source="classifier",
        )

    async def aunderstand(
        self, text: str, today: date, candidates: frozenset[str] | None = None
    ) -> Understanding:
        """``understand``, asking the fallback (when one is set) about unsure messages."""
        result = self.understand(text, today, candidates)
        if self.fallback is not None and result.confidence < self.threshold:
            second = await self.fallback(text, result)
            if second is not None and second.intent in INTENTS:
                return replace(second, source="fallback")
        return result

    def is_unsure(self, understanding: Understanding) -> bool:
        return understanding.confidence < self.threshold
