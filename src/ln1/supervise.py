"""Child processes ``ln1 up`` runs next to the API (the demo's Local Runner today).

They start once the API accepts connections (so they do not spend their first seconds in
back-off) and get SIGTERM when ``ln1 up`` stops, then SIGKILL if they linger: ``ln1 up``
leaves no orphans.
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


@dataclass
class Child:
    name: str
    argv: list[str]
    log_path: Path
    env: dict[str, str] | None = None
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
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
                if not self._stopping.is_set():
                    for child in self.children:
                        child.start()

        threading.Thread(target=wait_then_start, name="ln1-supervisor", daemon=True).start()

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
        for child in self.children:
            child.stop()
