"""``ln1 up`` with several API processes on one port (``LN1_API_PROCESSES``).

What the processes must share works whichever process a request lands on: one thread's
turns run one at a time, and a scrape of ``/metrics`` counts every process's requests.
A process that dies is replaced; SIGTERM stops them all.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ln1.orchestrator.checkpoint import open_checkpointer
from tests.conftest import (
    BACKENDS,
    Backend,
    ServerProcess,
    Tenant,
    _create_tenant,
    _drop_pg_database,
    free_port,
    make_backend,
)

PROCESSES = 2


@pytest.fixture(params=BACKENDS)
def many(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ServerProcess, Backend]]:
    backend, pg_name = make_backend(request.param, tmp_path / "data")
    env = {**backend.env, "LN1_API_PROCESSES": str(PROCESSES)}
    server = ServerProcess(env, backend.settings.data_dir, free_port(), tmp_path / "up.log")
    try:
        server.start()
        # /readyz answers once one process serves; the other may still be starting.
        deadline = time.monotonic() + 60
        while f"API ready: {PROCESSES} processes serving" not in server.logs():
            assert time.monotonic() < deadline, server.logs()[-3000:]
            time.sleep(0.1)
        yield server, backend
    finally:
        if server.proc is not None and server.proc.poll() is None:
            server.stop()
        if pg_name:
            _drop_pg_database(pg_name)


def api_processes(server: ServerProcess) -> set[int]:
    """The API processes of ``ln1 up``: its children that import the app (not the tracker)."""
    assert server.proc is not None
    found = set()
    for pid in _children(server.proc.pid):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        if b"spawn_main" in cmdline:
            found.add(pid)
    return found


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


def healthz_count(server: ServerProcess) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    found = re.search(
        r'^ln1_http_requests_total\{method="GET",path="/healthz",status="200"\} (\S+)$',
        text,
        re.M,
    )
    return float(found.group(1)) if found else 0.0


def test_up_serves_with_the_processes_asked_for(many: tuple[ServerProcess, Backend]) -> None:
    server, _ = many
    assert len(api_processes(server)) == PROCESSES
    assert f"({PROCESSES} processes;" in server.logs()


def test_metrics_count_the_requests_of_every_process(many: tuple[ServerProcess, Backend]) -> None:
    server, backend = many
    pids = {str(pid) for pid in api_processes(server)}
    folder = backend.settings.data_dir / "run" / "metrics"
    before, sent = healthz_count(server), 0
    # Which process accepts a connection is the kernel's choice: new connections until both
    # have answered some.
    while _counted_by(folder) != pids and sent < 2000:
        with ThreadPoolExecutor(8) as pool:
            answers = list(pool.map(lambda _: httpx.get(f"{server.url}/healthz"), range(40)))
        assert [a.status_code for a in answers] == [200] * 40
        sent += 40
    assert _counted_by(folder) == pids
    # Whichever process answers the scrape, it reports every request.
    assert {healthz_count(server) - before for _ in range(6)} == {float(sent)}


def _counted_by(folder: Path) -> set[str]:
    """The processes that wrote counters (prometheus_client names the files by pid)."""
    return {path.stem.removeprefix("counter_") for path in folder.glob("counter_*.db")}


def test_one_thread_takes_turns_one_at_a_time_across_processes(
    many: tuple[ServerProcess, Backend],
) -> None:
    server, backend = many
    tenant = asyncio.run(_create_tenant(backend.settings, server.url))
    thread = _send_24_turns_at_once(tenant, [server.url])
    # Each turn read the previous turn's checkpoint: none was lost to an overlapping turn.
    assert asyncio.run(_turns_in_checkpoint(backend, thread)) == 24


def _send_24_turns_at_once(tenant: Tenant, urls: list[str]) -> str:
    """24 messages to one new thread from 8 clients at once, spread over ``urls``; checks
    that all 48 messages were stored, in turn order, and returns the thread's id."""
    with tenant.client("member") as client:
        thread = client.post("/v1/threads").json()["id"]

    def send(n: int) -> int:
        with tenant.client("member") as own:
            own.base_url = httpx.URL(urls[n % len(urls)])
            response = own.post(f"/v1/threads/{thread}/messages", json={"content": f"hola {n}"})
            return response.status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(24)))
    assert statuses == [200] * 24
    with tenant.client("member") as client:
        messages = client.get(f"/v1/threads/{thread}", params={"limit": 100}).json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"] * 24
    return thread


async def _turns_in_checkpoint(backend: Backend, thread_id: str) -> int:
    async with open_checkpointer(backend.settings) as saver:
        latest = await saver.aget_tuple({"configurable": {"thread_id": thread_id}})
    assert latest is not None
    return int(latest.checkpoint["channel_values"]["turns"])


def test_a_process_that_dies_is_replaced_and_sigterm_stops_all(
    many: tuple[ServerProcess, Backend],
) -> None:
    server, _ = many
    assert server.proc is not None
    first = api_processes(server)
    victim = min(first)
    os.kill(victim, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        now = api_processes(server)
        if len(now) == PROCESSES and victim not in now:
            break
        time.sleep(0.2)
    now = api_processes(server)
    assert victim not in now and len(now) == PROCESSES, now
    with httpx.Client(base_url=server.url) as client:
        assert all(client.get("/healthz").status_code == 200 for _ in range(20))

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=30) == 0
    for pid in now:
        assert not Path(f"/proc/{pid}").exists(), f"API process {pid} outlived ln1 up"


def test_replicas_with_data_folders_of_their_own_take_turns_through_postgresql(
    tmp_path: Path,
) -> None:
    # Two ln1 up on one PostgreSQL database, each with its own data folder: as on two
    # machines, where no lock file is shared. The thread's turns still run one at a time.
    backend, pg_name = make_backend("postgresql", tmp_path / "a")
    replicas = [
        ServerProcess(backend.env, tmp_path / "a", free_port(), tmp_path / "a.log"),
        ServerProcess(
            {**backend.env, "LN1_DATA_DIR": str(tmp_path / "b")},
            tmp_path / "b",
            free_port(),
            tmp_path / "b.log",
        ),
    ]
    try:
        for replica in replicas:
            replica.start()
        tenant = asyncio.run(_create_tenant(backend.settings, replicas[0].url))
        thread = _send_24_turns_at_once(tenant, [replica.url for replica in replicas])
        assert asyncio.run(_turns_in_checkpoint(backend, thread)) == 24
    finally:
        for replica in replicas:
            if replica.proc is not None and replica.proc.poll() is None:
                replica.stop()
        if pg_name:
            _drop_pg_database(pg_name)
