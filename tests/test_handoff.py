"""Connections handed to API processes by the one accepting process (``ln1.handoff``), and
the watching of those processes (``ln1.api_processes``).

A tiny app (``tests/handoff_app.py``) that answers with its pid is served by the real
``ApiProcesses`` in a process of its own, so what is measured is where real keep-alive
connections land.
"""

from __future__ import annotations

import collections
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port, make_backend

ROOT = Path(__file__).parent.parent


class Served:
    def __init__(self, proc: subprocess.Popen[bytes], port: int, log: Path) -> None:
        self.proc, self.url, self.log = proc, f"http://127.0.0.1:{port}", log

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30)

    def api_pids(self) -> set[int]:
        text = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        found = set()
        for pid in map(int, text.split()):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    found.add(pid)
            except OSError:
                continue
        return found


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(processes: int, *args: str, wait_ready: bool = True) -> Served:
        """Serve ``processes`` processes; by default wait until every one of them serves (a
        connection made while one still starts can only go to the others)."""
        port, log = free_port(), tmp_path / f"served-{len(started)}.log"
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.handoff_app", str(port), str(processes), *args],
            cwd=ROOT,
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        served = Served(proc, port, log)
        started.append(served)
        deadline = time.monotonic() + 120
        # The accepting process binds before any process starts.
        while not ("all ready" in log.read_text() if wait_ready else _listening(port)):
            assert proc.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        return served

    yield start
    for served in started:
        if served.proc.poll() is None:
            served.proc.send_signal(signal.SIGTERM)
            served.proc.wait(30)


def _listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


def pid_of(client: httpx.Client) -> int:
    response = client.get("/")
    assert response.status_code == 200
    return response.json()["pid"]


def test_keep_alive_connections_are_split_evenly_over_the_processes(serve) -> None:
    served = serve(2)
    clients = [served.client() for _ in range(16)]
    try:
        pids = [pid_of(c) for c in clients]
        assert sorted(collections.Counter(pids).values()) == [8, 8]
        assert set(pids) == served.api_pids()
        # Each connection stays with its process.
        assert [pid_of(c) for c in clients] == pids
    finally:
        for c in clients:
            c.close()


def test_a_closed_connection_frees_its_place_for_the_next(serve) -> None:
    served = serve(2)
    clients = [served.client() for _ in range(8)]
    pids = [pid_of(c) for c in clients]
    first = pids[0]
    for client, pid in zip(clients, pids, strict=True):
        if pid == first:
            client.close()
    # The closes reach the dispatcher when the API process has seen them, which takes longer
    # on a loaded machine: until then newcomers split between the two processes. Try again
    # (the newcomers of a failed try close too) until all four go where the places were freed.
    seen: list[list[int]] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            time.sleep(0.5)
            newcomers = [served.client() for _ in range(4)]
            seen.append([pid_of(c) for c in newcomers])
            for c in newcomers:
                c.close()
            if seen[-1] == [first] * 4:
                break
        assert seen[-1] == [first] * 4, seen
    finally:
        for c in clients:
            c.close()


def test_a_process_slow_to_start_is_waited_for_not_killed(serve) -> None:
    # Each process spends 4 s before its health thread runs, longer than the 1 s health
    # timeout: a ping loop that counts that as hung kills every process it starts.
    served = serve(2, "--slow-start", "4", "--health-timeout", "1", wait_ready=False)
    deadline = time.monotonic() + 10
    while len(served.api_pids()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    first = served.api_pids()
    assert len(first) == 2
    with served.client() as client:  # sent while they start: waits, then is answered
        assert pid_of(client) in first
    time.sleep(3)
    assert served.api_pids() == first
    assert "died or hung" not in served.log.read_text()


def test_api_processes_exit_when_the_accepting_process_is_killed(serve) -> None:
    served = serve(2)
    with served.client() as client:
        pid_of(client)
    pids = served.api_pids()
    os.kill(served.proc.pid, signal.SIGKILL)
    served.proc.wait(10)
    deadline = time.monotonic() + 20
    while any(Path(f"/proc/{pid}").exists() for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_a_killed_process_is_replaced_and_new_connections_avoid_it(serve) -> None:
    served = serve(2)
    with served.client() as client:
        pid_of(client)
    victim = min(served.api_pids())
    os.kill(victim, signal.SIGKILL)
    clients = [served.client() for _ in range(6)]
    try:
        # Every new connection is answered, none by the dead process.
        assert victim not in {pid_of(c) for c in clients}
        deadline = time.monotonic() + 30
        while len(served.api_pids() - {victim}) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(served.api_pids() - {victim}) == 2
    finally:
        for c in clients:
            c.close()


def test_up_with_several_processes_on_a_taken_port_says_so_and_exits_1(tmp_path: Path) -> None:
    backend, _ = make_backend("sqlite", tmp_path / "data")
    env = {**backend.env, "LN1_API_PROCESSES": "2"}
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ln1", "up", "--port", str(port)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
