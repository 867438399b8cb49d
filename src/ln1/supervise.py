"""Child processes ``ln1 up`` runs next to the API: the Celery worker and the demo's Runner.

They start once the API accepts connections (so they do not spend their first seconds in
back-off) and get SIGTERM when ``ln1 up`` stops, then SIGKILL if they linger: ``ln1 up``
leaves no orphans.

One that dies on its own (killed, out of memory, crashed) is started again, after a back-off
that doubles from :data:`FIRST_BACKOFF_S` up to :data:`MAX_BACKOFF_S` while it keeps dying
young, and each death is logged. Without this a killed worker would leave every later task
queued forever; a worker that starts again also sends back the task the dead one held (see
``ln1.worker.recovery``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

log = structlog.get_logger("ln1.supervise")

FIRST_BACKOFF_S = 1.0
MAX_BACKOFF_S = 60.0
HEALTHY_AFTER_S = 60.0
"""A child that ran this long before dying is restarted after the first back-off again."""
WATCH_EVERY_S = 0.2


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    backoff_s: float = FIRST_BACKOFF_S

    def start(self) -> None:
        self.started_at = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            # Its own process group: the child's own children (Celery's pool) can be
            # stopped with it, and a Ctrl-C in the terminal reaches only ``ln1 up``.
            self.proc = subprocess.Popen(
                self.argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,
            )

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (a Celery worker finishes its tasks), then SIGKILL to the whole group."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything of it still left


@dataclass
class Supervisor:
    children: list[Child] = field(default_factory=list)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start_when(self, ready: Callable[[], bool], timeout: float = 300.0) -> None:
        """Start every child from a background thread once ``ready()`` turns true."""

        def wait_then_start() -> None:
            deadline = time.monotonic() + timeout
            while not ready():
                if self._stopping.is_set() or time.monotonic() > deadline:
                    return
                time.sleep(0.05)
            with self._lock:
                if self._stopping.is_set():
                    return
                for child in self.children:
                    child.start()
            self._watch()

        threading.Thread(target=wait_then_start, name="ln1-supervisor", daemon=True).start()

    def _watch(self) -> None:
        """Restart children that die on their own, until ``stop()``."""
        restart_at: dict[str, float] = {}
        while not self._stopping.wait(WATCH_EVERY_S):
            now = time.monotonic()
            for child in self.children:
                if self._stopping.is_set():
                    return  # children dying now were stopped on purpose
                if child.proc is None or child.proc.poll() is None:
                    continue
                if child.name not in restart_at:
                    restart_at[child.name] = now + self._died(child, now)
                elif now >= restart_at[child.name]:
                    with self._lock:
                        if self._stopping.is_set():
                            return
                        child.stop()  # whatever is left of its process group
                        child.start()
                    log.info("child restarted", child=child.name, pid=child.proc.pid)
                    del restart_at[child.name]

    @staticmethod
    def _died(child: Child, now: float) -> float:
        """Log the death; return how long to wait before starting it again."""
        assert child.proc is not None
        lived = now - child.started_at
        if lived >= HEALTHY_AFTER_S:
            child.backoff_s = FIRST_BACKOFF_S
        wait = child.backoff_s
        child.backoff_s = min(MAX_BACKOFF_S, child.backoff_s * 2)
        log.warning(
            "child died; restarting it",
            child=child.name,
            pid=child.proc.pid,
            returncode=child.proc.returncode,
            lived_s=round(lived, 1),
            restart_in_s=wait,
        )
        return wait

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
        for child in self.children:
            child.stop()
