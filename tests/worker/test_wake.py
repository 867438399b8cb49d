"""Waking the embedded broker's workers (``ln1.worker.wake``): a worker waits on a loopback
UDP port between its polls, and queuing a task wakes it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

from ln1.worker.wake import Waker, wake_dir, wake_workers
from tests.worker.conftest import run_stack


def broker_url(tmp_path: Path) -> str:
    return f"sqla+sqlite:///{tmp_path / 'broker.sqlite'}"


def test_the_wake_folder_sits_beside_a_sqlite_broker_only(tmp_path: Path) -> None:
    assert wake_dir(broker_url(tmp_path)) == tmp_path / "broker.sqlite-wake"
    assert wake_dir(f"sqlite:///{tmp_path / 'broker.sqlite'}") == tmp_path / "broker.sqlite-wake"
    assert wake_dir("redis://127.0.0.1:6379/0") is None
    assert wake_dir("sqla+postgresql://127.0.0.1/ln1") is None
    assert wake_dir("sqla+sqlite://") is None  # in memory: no other process to wake


def test_a_waiting_worker_is_woken_by_a_queued_task(tmp_path: Path) -> None:
    folder = wake_dir(broker_url(tmp_path))
    assert folder is not None
    waker = Waker(folder)
    try:
        assert (folder / str(os.getpid())).read_text().isdigit()
        result: list[bool] = []
        waiting = threading.Thread(target=lambda: result.append(waker.wait(60)))
        started = time.monotonic()
        waiting.start()
        time.sleep(0.2)
        assert wake_workers(broker_url(tmp_path)) == 1
        waiting.join(30)
        assert result == [True]
        assert time.monotonic() - started < 30  # woken, not timed out at 60 s
        # Nobody wakes it again: the next wait times out.
        assert waker.wait(0.2) is False
    finally:
        waker.close()
    assert not (folder / str(os.getpid())).exists()


def test_a_dead_workers_entry_is_removed_not_woken(tmp_path: Path) -> None:
    folder = wake_dir(broker_url(tmp_path))
    assert folder is not None
    folder.mkdir()
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    stale = folder / gone.stdout.strip()
    stale.write_text("9")  # its process has exited
    (folder / "not-a-pid").write_text("x")
    assert wake_workers(broker_url(tmp_path)) == 0
    assert not stale.exists()


def test_nothing_to_wake_without_workers(tmp_path: Path) -> None:
    assert wake_workers(broker_url(tmp_path)) == 0
    assert wake_workers("redis://127.0.0.1:6379/0") == 0


def test_ln1_up_s_worker_registers_to_be_woken_and_leaves_on_stop(tmp_path: Path) -> None:
    with run_stack(tmp_path, "embedded") as (server, backend):
        folder = wake_dir(backend.settings.celery_broker_url)
        assert folder is not None
        deadline = time.monotonic() + 60
        while not (folder.is_dir() and list(folder.iterdir())) and time.monotonic() < deadline:
            time.sleep(0.2)
        [entry] = folder.iterdir()
        cmdline = Path(f"/proc/{entry.name}/cmdline").read_bytes()
        assert b"worker" in cmdline
        assert wake_workers(backend.settings.celery_broker_url) == 1
        server.stop(timeout=40)
        assert list(folder.iterdir()) == []
