"""``ln1 up``'s supervisor starts a child that died again, waiting longer each time it keeps
dying young, and never after ``stop()`` (a real child process that exits at once)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ln1.supervise import FIRST_BACKOFF_S, Child, Supervisor
from tests.worker.conftest import wait_for


def starts(record: Path) -> list[float]:
    text = record.read_text() if record.exists() else ""
    return [float(line) for line in text.split()]


def test_a_child_that_keeps_dying_is_restarted_with_a_growing_back_off(tmp_path: Path) -> None:
    record = tmp_path / "starts.txt"
    crash = (
        f"import sys, time; open({str(record)!r}, 'a').write(f'{{time.time()}}\\n'); sys.exit(3)"
    )
    child = Child("crasher", [sys.executable, "-c", crash], tmp_path / "crasher.log")
    supervisor = Supervisor([child])
    supervisor.start_when(lambda: True)
    try:
        wait_for(lambda: len(starts(record)) >= 3, 30, "three starts of the crashing child")
    finally:
        supervisor.stop()

    first, second, third = starts(record)[:3]
    assert second - first >= FIRST_BACKOFF_S
    assert third - second >= 2 * FIRST_BACKOFF_S  # the back-off doubled

    # Stopped: the restart that was pending (4 s after the third death) never comes.
    count = len(starts(record))
    time.sleep(4 * FIRST_BACKOFF_S + 0.5)
    assert len(starts(record)) == count
    assert child.proc is not None and child.proc.poll() is not None
