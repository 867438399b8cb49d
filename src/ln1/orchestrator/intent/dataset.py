"""The labelled utterances the IntentEngine learns from, and their held-out split.

The split is by a hash of each text, not by random draw: adding or fixing a line never
moves other lines between train and test, so accuracy figures stay comparable over time.
"""

from __future__ import annotations

import csv
import hashlib
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).with_name("data")
HELD_OUT_PERCENT = 20


@dataclass(frozen=True)
class Example:
    intent: str
    lang: str
    text: str


def data_files(folder: Path = DATA_DIR) -> list[Path]:
    """Every ``*.tsv`` in the data folder, in name order (one file per batch of writing)."""
    return sorted(folder.glob("*.tsv"))


def load_examples(folder: Path = DATA_DIR) -> list[Example]:
    examples: list[Example] = []
    for path in data_files(folder):
        with path.open(encoding="utf-8", newline="") as f:
            rows = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
            examples.extend(
                Example(r["intent"], r["lang"], r["text"]) for r in rows if r["text"].strip()
            )
    return examples


def is_held_out(example: Example) -> bool:
    digest = hashlib.sha256(example.text.strip().lower().encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < HELD_OUT_PERCENT


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """(train, held_out), deterministic."""
    train = [e for e in examples if not is_held_out(e)]
    test = [e for e in examples if is_held_out(e)]
    return train, test
