"""``wrangler dev``: one of the edge Workers running in workerd, offline, on loopback.

Shared by the end-to-end tests that put a Worker in front of a real ``ln1 up``
(``tests/webhooks/test_edge_e2e.py``, ``tests/proxy/test_proxy_e2e.py``). Needs the edge's npm
packages (``make test-edge`` or ``cd edge && npm ci``); tests mark themselves skipped without
them (``needs_wrangler``).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

EDGE = Path(__file__).resolve().parents[1] / "edge"
WRANGLER = EDGE / "node_modules" / ".bin" / "wrangler"
START_TIMEOUT_S = 90

needs_wrangler = pytest.mark.skipif(
    not WRANGLER.exists(),
    reason="edge/node_modules missing: run `make test-edge` (npm ci) first",
)


@contextlib.contextmanager
def wrangler_dev(
    worker: str,
    variables: dict[str, str],
    state_dir: Path,
    ready: Callable[[str], bool],
) -> Iterator[str]:
    """Run ``edge/workers/<worker>`` with ``variables`` (``--var``; secrets included) and yield
    its base URL once ``ready(url)`` is true.

    ``wrangler dev`` gets a process group of its own so workerd, its child, stops with it.
    Its output goes to ``state_dir/wrangler.log``, quoted when it fails to start.
    """
    port = free_port()
    state_dir.mkdir(parents=True, exist_ok=True)
    log_path = state_dir / "wrangler.log"
    command = [
        str(WRANGLER),
        "dev",
        "-c",
        f"workers/{worker}/wrangler.toml",
        "--ip",
        "127.0.0.1",
        "--port",
        str(port),
        "--persist-to",
        str(state_dir / "state"),
    ]
    for name, value in variables.items():
        command += ["--var", f"{name}:{value}"]
    env = {**os.environ, "WRANGLER_SEND_METRICS": "false", "CI": "true", "NO_COLOR": "1"}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=EDGE,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(proc, url, ready, log_path)
            yield url
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _wait_ready(
    proc: subprocess.Popen[bytes], url: str, ready: Callable[[str], bool], log_path: Path
) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"wrangler dev exited:\n{log_path.read_text(errors='replace')}")
        try:
            if ready(url):
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"wrangler dev not ready:\n{log_path.read_text(errors='replace')}")
        time.sleep(0.2)
