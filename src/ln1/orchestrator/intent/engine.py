"""``IntentEngine``: intent, slots and a confidence for one chat message.

A light learned classifier trained at start-up from the labelled utterances in the repo:
TF-IDF over character n-grams, and over words plus the domain concept tags of
``concepts``, into a linear SVM whose scores a fitted temperature turns into probabilities.
No network, no GPU, well under a millisecond a message, about 25 seconds to train on
two cores (29,575 lines).
Character n-grams and misspelt training copies make it robust to missing accents and
common typos in both languages; concept tags let an unseen synonym count. Slots come from
deterministic extractors. What each intent means is written in ``INTENTS.md``.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import random
from collections.abc import Awaitable, Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import StratifiedGroupKFold
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from ln1.orchestrator.intent.concepts import concept_tokens
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


def _cache_path(cache_dir: Path) -> Path:
    return cache_dir / f"intent-{_model_key()}.pkl"


def _model_key() -> str:
    digest = hashlib.sha256(sklearn.__version__.encode())
    here = Path(__file__).parent
    for part in (*data_files(), here / "engine.py", here / "concepts.py", here / "text.py"):
        digest.update(part.read_bytes())
    return digest.hexdigest()[:16]


def _words_and_concepts(text: str) -> str:
    """Words framed by start/end markers, then the concept tags.

    The markers let word bigrams see where a message starts: "zzbos how" (a how-to,
    usually ``help``) and "zzbos y" (a follow-up) say more than the same words mid-sentence.
    """
    normalized = normalize(text)
    return f"zzbos {normalized} zzeos {' '.join(concept_tokens(normalized))}"


class TemperatureSVC(ClassifierMixin, BaseEstimator):
    """A linear SVM whose scores become probabilities through one fitted temperature.

    In cross-validation on the training split a linear SVM separates the intents better
    than logistic regression on the same features (93.4% against 91.7%, measured on the
    8,436 lines of the time) and fits several times faster. Its scores are not
    probabilities, yet the orchestrator needs a confidence to decide when to ask the
    fallback, so ``softmax(T * scores)`` is used with
    ``T`` chosen to minimise the log-loss of held-back scores. The result is still one
    linear layer plus a softmax, which is exactly what ``OneMessageScorer`` computes.
    """

    def __init__(
        self, C: float = 4.0, folds: int = 3, random_state: int = 0, tol: float = 1e-3
    ) -> None:
        self.C = C
        self.folds = folds
        self.random_state = random_state
        self.tol = tol

    def fit(self, X: Any, y: Any, groups: Any = None) -> TemperatureSVC:
        """Fit the SVM on everything, then the temperature on one held-back fold.

        The temperature comes from a second SVM trained without ``1 / folds`` of the data
        and scored on that part. ``groups`` keeps a message and its typo copies on the same
        side; otherwise the scores would come from a model that saw a near-copy, and the
        fitted temperature would make the engine overconfident. One fold is enough to fit
        one number, and it keeps the first start short now that the data has grown.

        Both SVMs are one-vs-rest: one binary problem per intent (what ``LinearSVC`` solves
        internally). Those problems are independent and liblinear releases the GIL, so they
        run in threads, and a first start uses every core.
        """
        labels = np.asarray(y)
        self.classes_ = np.unique(labels)
        cv = StratifiedGroupKFold(self.folds, shuffle=True, random_state=self.random_state)
        groups = np.arange(len(labels)) if groups is None else np.asarray(groups)
        rest, held = next(cv.split(np.zeros(len(labels)), labels, groups))
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            whole = self._one_vs_rest(pool, X, labels)
            part = self._one_vs_rest(pool, X[rest], labels[rest])
            coef, intercept = _stack(whole)
            part_coef, part_intercept = _stack(part)
        scores = np.asarray(X[held] @ part_coef.T + part_intercept)
        truth = np.searchsorted(self.classes_, labels[held])
        self.temperature_ = _best_temperature(scores, truth)
        self.coef_ = coef * self.temperature_
        self.intercept_ = intercept * self.temperature_
        return self

    def _one_vs_rest(
        self, pool: ThreadPoolExecutor, X: Any, labels: np.ndarray
    ) -> list[Future[LinearSVC]]:
        return [pool.submit(self._svm().fit, X, labels == intent) for intent in self.classes_]

    def _svm(self) -> LinearSVC:
        # Seeded: liblinear shuffles with a draw from numpy's global generator otherwise,
        # and threads would make the draws' order (so the model) vary between starts.
        return LinearSVC(C=self.C, tol=self.tol, random_state=self.random_state)

    def decision_function(self, X: Any) -> np.ndarray:
        return np.asarray(X @ self.coef_.T + self.intercept_)

    def predict_proba(self, X: Any) -> np.ndarray:
        return _softmax(self.decision_function(X))

    def predict(self, X: Any) -> np.ndarray:
        return self.classes_[self.decision_function(X).argmax(axis=1)]


def _stack(fits: list[Future[LinearSVC]]) -> tuple[np.ndarray, np.ndarray]:
    """One row of weights and one intercept per intent, from its binary SVM."""
    svms = [fit.result() for fit in fits]
    return np.vstack([svm.coef_ for svm in svms]), np.concatenate([svm.intercept_ for svm in svms])


def _softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _best_temperature(scores: np.ndarray, truth: np.ndarray) -> float:
    """The ``T`` in a log-spaced grid that minimises the log-loss of ``softmax(T * scores)``."""
    rows = np.arange(len(truth))

    def loss(temperature: float) -> float:
        probs = _softmax(scores * temperature)
        return float(-np.log(np.clip(probs[rows, truth], 1e-12, None)).mean())

    return min(np.geomspace(0.5, 20, 40), key=loss)


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
    return Pipeline([("features", features), ("model", TemperatureSVC(C=4.0))])


def with_typos(
    texts: list[str], labels: list[str], seed: int = 0
) -> tuple[list[str], list[str], list[int]]:
    """The examples plus one copy of each with a typo or two, and each copy's group.

    People type on phones: a dropped, doubled or swapped letter ("vendimso", "excell").
    Character n-grams absorb some of it, but seeing misspelt copies during training
    teaches the model not to lean on any single n-gram (+0.3 points in cross-validation).
    Seeded, so the same data always trains the same model.
    """
    rng = random.Random(seed)
    noisy = [_misspell(text, rng) for text in texts]
    groups = list(range(len(texts)))
    return [*texts, *noisy], [*labels, *labels], [*groups, *groups]


def _misspell(text: str, rng: random.Random) -> str:
    words = text.split()
    long_words = [i for i, word in enumerate(words) if len(word) > 3]
    if not long_words:
        return text
    for i in rng.sample(long_words, min(len(long_words), rng.choice((1, 2)))):
        word = words[i]
        j = rng.randrange(1, len(word) - 1)
        edit = rng.random()
        if edit < 0.4:
            word = word[:j] + word[j + 1 :]
        elif edit < 0.7:
            word = word[: j - 1] + word[j] + word[j - 1] + word[j + 1 :]
        else:
            word = word[:j] + word[j] + word[j:]
        words[i] = word
    return " ".join(words)


def fit_pipeline(texts: list[str], labels: list[str]) -> Pipeline:
    """The features and model of ``_pipeline`` trained on the examples and their typo copies."""
    all_texts, all_labels, groups = with_typos(texts, labels)
    return _pipeline().fit(all_texts, all_labels, model__groups=groups)


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
        model: TemperatureSVC = pipeline.named_steps["model"]
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
        pipeline = fit_pipeline([e.text for e in data], [e.intent for e in data])
        return cls(pipeline, threshold, fallback)

    @classmethod
    def load_or_train(
        cls, cache_dir: Path, threshold: float = 0.45, fallback: Fallback | None = None
    ) -> IntentEngine:
        """Train once per dataset and feature code; later starts load the pickle.

        The cache key covers the utterances, the feature code and scikit-learn's version,
        so editing any of them retrains. The cache lives in the data folder ln1 owns.
        """
        path = _cache_path(cache_dir)
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

    @classmethod
    def ensure_cached(cls, cache_dir: Path) -> None:
        """Train and cache the model unless it is cached: before starting several processes
        that would otherwise each train it."""
        if not _cache_path(cache_dir).exists():
            cls.load_or_train(cache_dir)

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
