"""Check a new batch of labelled utterances before it joins ``data/``.

    python -m ln1.orchestrator.intent.check_batch new-batch.tsv [other-new.tsv ...]

The held-out split is by text hash, so a new line that merely rephrases an existing one
lands on either side at random and makes the held-out figure easier than real traffic.
This rejects exact and near-duplicates (character 4-gram Jaccard similarity at or above
``NEAR``) of every line already in ``data/`` and of the other files given, and checks the
format. It prints each problem and the batch's counts; exit status 1 if there is any.
"""

from __future__ import annotations

import csv
import sys
from collections import Counter
from pathlib import Path

from ln1.orchestrator.intent.dataset import data_files
from ln1.orchestrator.intent.engine import INTENTS
from ln1.orchestrator.intent.text import normalize

NEAR = 0.6
HEADER = ["intent", "lang", "text"]


def grams(text: str) -> set[str]:
    padded = f" {normalize(text)} "
    return {padded[i : i + 4] for i in range(len(padded) - 3)}


def read_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


class KnownLines:
    """Every accepted line so far, indexed by its 4-grams for a fast near-duplicate search."""

    def __init__(self) -> None:
        self.texts: set[str] = set()
        self.by_gram: dict[str, list[str]] = {}

    def add(self, text: str) -> None:
        key = normalize(text)
        self.texts.add(key)
        for gram in grams(text):
            self.by_gram.setdefault(gram, []).append(key)

    def nearest(self, text: str) -> tuple[str, float] | None:
        """The most similar known line at or above ``NEAR``, if any."""
        mine = grams(text)
        shared = Counter(k for g in mine for k in self.by_gram.get(g, ()))
        for key, count in shared.most_common(3):
            similarity = count / len(mine | grams(key))
            if similarity >= NEAR:
                return key, similarity
        return None


def check(path: Path, known: KnownLines) -> int:
    """Print the problems of one batch against ``known``; return how many there are."""
    rows = read_rows(path)
    problems = 0
    if not rows or rows[0] != HEADER:
        print(f"{path}: first line must be: intent<TAB>lang<TAB>text")
        problems += 1
    counts: Counter[str] = Counter()
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 3 or row[0] not in INTENTS or row[1] not in ("es", "en") or not row[2]:
            print(f"{path}:{number}: bad format {row!r}")
            problems += 1
            continue
        text = row[2]
        if normalize(text) in known.texts:
            print(f"{path}:{number}: duplicate: {text}")
            problems += 1
            continue
        near = known.nearest(text)
        if near is not None:
            print(f"{path}:{number}: near-duplicate ({near[1]:.2f}) of '{near[0]}': {text}")
            problems += 1
            continue
        known.add(text)
        counts[f"{row[0]}/{row[1]}"] += 1
    print(
        f"{path}: {sum(counts.values())} lines accepted, {problems} problems; "
        f"{dict(sorted(counts.items()))}"
    )
    return problems


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    new = [Path(arg).resolve() for arg in argv]
    known = KnownLines()
    for path in data_files():
        if path.resolve() not in new:
            for row in read_rows(path)[1:]:
                if len(row) == 3 and row[2]:
                    known.add(row[2])
    return 1 if sum(check(path, known) for path in new) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
