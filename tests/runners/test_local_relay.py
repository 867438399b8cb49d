"""Without Redis, an order asked on one API process of a machine reaches a runner connected
to another (``ln1.runners.local_relay``), on the embedded default.

``ln1 up`` with ``LN1_API_PROCESSES=2`` shares one port, so which process a connection lands
on is the kernel's choice. To choose it, these tests start two ``ln1 up`` of one process each
on the same data folder (same SQLite database, same ``run/`` folder), each on its own port:
the same two processes a two-process ``ln1 up`` has, made addressable. Runners connect to A;
questions are asked on B.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ln1.db.migrate import upgrade
from tests.conftest import Backend, ServerProcess, Tenant, _create_tenant, free_port, make_backend
from tests.runners.conftest import (
    RunnerProcess,
    ask,
    ask_while_killed_mid_stream,
    demo_config,
    log_says,
    register_runner,
    start_slow_runner,
    wait_for,
    ws_url,
)

Spawn = Callable[[Path, str, str], RunnerProcess]


@dataclass
class Pair:
    backend: Backend
    a: ServerProcess  # the runners connect here
    b: ServerProcess  # the questions are asked here


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    folder = tmp_path_factory.mktemp("local-relay")
    backend, _ = make_backend("sqlite", folder / "data")
    env = {**backend.env, "LN1_API_PROCESSES": "1", "LN1_RUNNER_ORDER_TIMEOUT_S": "5"}
    a = ServerProcess(env, backend.settings.data_dir, free_port(), folder / "a.log")
    b = ServerProcess(env, backend.settings.data_dir, free_port(), folder / "b.log")
    backend.settings.ensure_data_dir()
    upgrade(backend.settings.sqlalchemy_url)  # migrated once, so both start together
    try:
        with ThreadPoolExecutor(2) as pool:
            for started in [pool.submit(process.start) for process in (a, b)]:
                started.result()
        yield Pair(backend, a, b)
    finally:
        for process in (a, b):
            if process.proc is not None and process.proc.poll() is None:
                process.stop()


@pytest.fixture
def tenant(pair: Pair) -> Tenant:
    return asyncio.run(_create_tenant(pair.backend.settings, pair.a.url))


def client_on(server: ServerProcess, tenant: Tenant, role: str = "admin") -> httpx.Client:
    headers = {"Authorization": f"Bearer {tenant.keys[role]}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def registry(pair: Pair, runner_id: str) -> list[Path]:
    return sorted((pair.backend.settings.data_dir / "run" / "runners").glob(f"{runner_id}.*"))


def demo_runner_on_a(pair: Pair, tenant: Tenant, spawn: Spawn, tmp_path: Path) -> RunnerProcess:
    """Runner «ventas» on the demo sales database, connected to A and online."""
    runner_id, token = register_runner(pair.backend, tenant.slug, "ventas")
    folder = tmp_path / "runner"
    runner = spawn(folder, demo_config(folder, ws_url(pair.a), token), runner_id)
    with client_on(pair.a, tenant) as on_a:
        runner.wait_online(on_a)
    return runner


def test_readiness_checks_the_local_relay(pair: Pair) -> None:
    for server in (pair.a, pair.b):
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["relay"] == "ok" and "redis" not in ready.json()["checks"]


def test_an_order_asked_on_one_process_reaches_the_runner_connected_to_another(
    pair: Pair, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner = demo_runner_on_a(pair, tenant, spawn_runner, tmp_path)
    runner_id = runner.runner_id
    with client_on(pair.a, tenant) as on_a, client_on(pair.b, tenant, "analyst") as on_b:
        [listed] = on_b.get("/v1/runners").json()["data"]
        from_b = ask(on_b, "Dame las ventas de ayer")
        from_a = ask(on_a, "Dame las ventas de ayer")
    assert listed["status"] == "online"
    assert from_b["route"] == "runner" and from_b["data"] is not None, from_b["content"]
    assert from_b["data"]["rows"] == from_a["data"]["rows"] and len(from_b["data"]["rows"]) == 1
    assert from_b["content"] == from_a["content"]
    audit = runner.audit()
    assert [entry["outcome"] for entry in audit] == ["ok", "ok"]
    assert audit[0]["requested_by"] == tenant.user_ids["analyst"]  # B's user, run behind A
    assert runner.logs().count("connected as runner") == 1  # one connection, to A only
    assert len(registry(pair, runner_id)) == 1

    # Once the runner is gone from A, B says so at once, whatever the database's last_seen.
    runner.kill()
    wait_for("A noticing the runner left", lambda: log_says(pair.a, runner_id, "disconnected"), 5)
    assert registry(pair, runner_id) == []
    with client_on(pair.b, tenant) as on_b:
        [listed] = on_b.get("/v1/runners").json()["data"]
        reply = ask(on_b, "Dame las ventas de ayer")
    assert listed["status"] == "offline"
    assert reply["data"] is None and "No hay ningún Local Runner conectado" in reply["content"]


def test_a_runner_killed_mid_stream_behind_another_process_gives_a_clear_error(
    pair: Pair, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner, database = start_slow_runner(pair.backend, pair.a, tenant, spawn_runner, tmp_path)
    with client_on(pair.b, tenant) as on_b:
        reply, elapsed = ask_while_killed_mid_stream(runner, database, on_b)
    content = reply["content"]
    assert reply["route"] == "runner" and reply["data"] is None, content
    assert "«lento»" in content and "no completó la consulta" in content
    assert "disconnected mid-answer" in content and "No muestro datos parciales" in content
    assert elapsed < 5, elapsed  # told by A through the relay, not left to the deadline


def test_a_registry_entry_left_by_a_dead_process_is_skipped_and_removed(
    pair: Pair, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner_id = demo_runner_on_a(pair, tenant, spawn_runner, tmp_path).runner_id
    [live] = registry(pair, runner_id)
    # As if the runner had been connected to a process that died since: newer, so tried first.
    stale = live.with_name(f"{runner_id}.999999")
    stale.write_text(json.dumps({"port": free_port(), "token": "0" * 32}))  # nobody listens
    with client_on(pair.b, tenant) as on_b:
        reply = ask(on_b, "Dame las ventas de ayer")
    assert reply["data"] is not None and len(reply["data"]["rows"]) == 1, reply["content"]
    assert registry(pair, runner_id) == [live]


def test_a_connection_without_the_token_gets_nothing_and_harms_nothing(
    pair: Pair, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner = demo_runner_on_a(pair, tenant, spawn_runner, tmp_path)
    runner_id = runner.runner_id
    [entry] = registry(pair, runner_id)
    assert entry.stat().st_mode & 0o077 == 0  # the token is readable by this user only
    port = json.loads(entry.read_text())["port"]
    hostile = (
        json.dumps({"token": "f" * 32, "runner_id": runner_id, "order_id": "ord_x"}).encode(),
        b"not a frame at all",
    )
    for body in hostile:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
            conn.sendall(struct.pack(">cI", b"H", len(body)) + body)
            assert conn.recv(100) == b""  # closed without an answer
    with client_on(pair.b, tenant) as on_b:
        reply = ask(on_b, "Dame las ventas de ayer")
    assert reply["data"] is not None and len(reply["data"]["rows"]) == 1, reply["content"]
    assert [entry["outcome"] for entry in runner.audit()] == ["ok"]
