"""The batch checker rejects what would make the held-out figure easier than real traffic."""

from __future__ import annotations

from pathlib import Path

import pytest

from ln1.orchestrator.intent.check_batch import main
from ln1.orchestrator.intent.dataset import load_examples


def write(path: Path, *rows: str) -> Path:
    path.write_text("intent\tlang\ttext\n" + "".join(f"{row}\n" for row in rows), "utf-8")
    return path


def test_duplicates_near_duplicates_and_bad_rows_fail(tmp_path: Path, capsys) -> None:
    existing = load_examples()[0]
    batch = write(
        tmp_path / "new.tsv",
        f"{existing.intent}\t{existing.lang}\t{existing.text.upper()}",  # same once folded
        f"{existing.intent}\t{existing.lang}\t{existing.text} porfa",  # near-duplicate
        "greeting\txx\thola",  # unknown language
        "help\tes\t¿puedo exportar a Google Sheets lo que me respondes en el chat?",
        "help\tes\t¿puedo exportar a Google Sheets lo que me respondes en el chat??",  # in-batch
    )
    assert main([str(batch)]) == 1
    out = capsys.readouterr().out
    assert "new.tsv:2: duplicate" in out
    assert "new.tsv:3: near-duplicate" in out
    assert "new.tsv:4: bad format" in out
    assert "new.tsv:6: duplicate" in out
    assert "1 lines accepted, 4 problems" in out


@pytest.mark.parametrize("header", ["intent\ttext\tlang\n", ""])
def test_a_wrong_header_fails(tmp_path: Path, header: str) -> None:
    batch = tmp_path / "new.tsv"
    batch.write_text(header + "other\ten\twhat's the tallest volcano on Mars, roughly?\n", "utf-8")
    assert main([str(batch)]) == 1


def test_a_clean_batch_passes(tmp_path: Path) -> None:
    batch = write(tmp_path / "new.tsv", "other\ten\twhat's the tallest volcano on Mars, roughly?")
    assert main([str(batch)]) == 0
