"""More than one API process: an order asked on one reaches a runner connected to another.

Three ``ln1 up`` processes share one throw-away PostgreSQL database: A and B with Redis
(``LN1_REDIS_URL``, a prefix of this run's own), C without. Runners connect to A only; the
questions are asked on B (through Redis) and on C (no Redis: the honest single-process answer).
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ln1.db.migrate import upgrade
from tests.conftest import (
    Backend,
    ServerProcess,
    Tenant,
    _create_tenant,
    _drop_pg_database,
    free_port,
    make_backend,
)
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
REDIS_URL = "redis://127.0.0.1:6379/0"


@dataclass
class Cluster:
    backend: Backend
    a: ServerProcess  # with Redis; the runners connect here
    b: ServerProcess  # with Redis; the questions are asked here
    c: ServerProcess  # without Redis


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    folder = tmp_path_factory.mktemp("relay")
    backend, pg_name = make_backend("postgresql", folder / "data-a")
    prefix = f"ln1test{secrets.token_hex(4)}"
    servers: list[ServerProcess] = []

    def server(name: str, redis: bool) -> ServerProcess:
        env = {**backend.env, "LN1_DATA_DIR": str(folder / f"data-{name}")}
        env["LN1_RUNNER_ORDER_TIMEOUT_S"] = "5"
        if redis:
            env.update(LN1_REDIS_URL=REDIS_URL, LN1_REDIS_PREFIX=prefix)
        process = ServerProcess(env, folder / f"data-{name}", free_port(), folder / f"{name}.log")
        servers.append(process)
        return process

    try:
        a, b, c = server("a", True), server("b", True), server("c", False)
        upgrade(backend.settings.sqlalchemy_url)  # migrated once, so all three start together
        with ThreadPoolExecutor(3) as pool:
            for started in [pool.submit(process.start) for process in (a, b, c)]:
                started.result()
        yield Cluster(backend, a, b, c)
    finally:
        with ThreadPoolExecutor(3) as pool:
            list(pool.map(stop_if_running, servers))
        if pg_name:
            _drop_pg_database(pg_name)


def stop_if_running(process: ServerProcess) -> None:
    if process.proc is not None and process.proc.poll() is None:
        process.stop()


@pytest.fixture
def tenant(cluster: Cluster) -> Tenant:
    return asyncio.run(_create_tenant(cluster.backend.settings, cluster.a.url))


def client_on(server: ServerProcess, tenant: Tenant, role: str = "admin") -> httpx.Client:
    headers = {"Authorization": f"Bearer {tenant.keys[role]}"}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def test_readiness_shows_redis_only_where_it_is_configured(cluster: Cluster) -> None:
    for server in (cluster.a, cluster.b):
        ready = httpx.get(f"{server.url}/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["redis"] == "ok"
        assert ready.json()["checks"]["database"] == "ok"
    ready = httpx.get(f"{cluster.c.url}/readyz")
    assert ready.status_code == 200 and "redis" not in ready.json()["checks"], ready.text


def test_an_order_asked_on_one_process_reaches_the_runner_connected_to_another(
    cluster: Cluster, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner_id, token = register_runner(cluster.backend, tenant.slug, "ventas")
    folder = tmp_path / "runner"
    runner = spawn_runner(folder, demo_config(folder, ws_url(cluster.a), token), runner_id)
    with client_on(cluster.a, tenant) as on_a, client_on(cluster.b, tenant, "analyst") as on_b:
        runner.wait_online(on_a)
        from_b = ask(on_b, "Dame las ventas de ayer")
        from_a = ask(on_a, "Dame las ventas de ayer")
    assert from_b["route"] == "runner" and from_b["data"] is not None, from_b["content"]
    assert from_b["data"]["rows"] == from_a["data"]["rows"] and len(from_b["data"]["rows"]) == 1
    assert from_b["content"] == from_a["content"]
    audit = runner.audit()
    assert [entry["outcome"] for entry in audit] == ["ok", "ok"]
    assert audit[0]["requested_by"] == tenant.user_ids["analyst"]  # B's user, run behind A
    assert runner.logs().count("connected as runner") == 1  # one connection, to A only

    # Once the runner is gone from A, B says so at once, whatever the database's last_seen.
    runner.kill()
    wait_for(
        "A noticing the runner left",
        lambda: log_says(cluster.a, runner_id, "runner_disconnected"),
        5,
    )
    with client_on(cluster.b, tenant) as on_b:
        reply = ask(on_b, "Dame las ventas de ayer")
    assert reply["data"] is None and "No hay ningún Local Runner conectado" in reply["content"]


def test_a_runner_killed_mid_stream_behind_another_process_gives_a_clear_error(
    cluster: Cluster, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner, database = start_slow_runner(
        cluster.backend, cluster.a, tenant, spawn_runner, tmp_path / "slow"
    )
    with client_on(cluster.b, tenant) as on_b:
        reply, elapsed = ask_while_killed_mid_stream(runner, database, on_b)
    content = reply["content"]
    assert reply["route"] == "runner" and reply["data"] is None, content
    assert "«lento»" in content and "no completó la consulta" in content
    assert "disconnected mid-answer" in content and "No muestro datos parciales" in content
    assert elapsed < 5, elapsed  # told by A through Redis, not left to the order's deadline


def test_without_redis_a_process_the_runner_is_not_connected_to_says_none_is(
    cluster: Cluster, tenant: Tenant, spawn_runner: Spawn, tmp_path: Path
) -> None:
    runner_id, token = register_runner(cluster.backend, tenant.slug, "ventas")
    folder = tmp_path / "runner"
    runner = spawn_runner(folder, demo_config(folder, ws_url(cluster.a), token), runner_id)
    with client_on(cluster.a, tenant) as on_a, client_on(cluster.c, tenant) as on_c:
        runner.wait_online(on_a)
        [listed] = on_c.get("/v1/runners").json()["data"]
        # The shared database has heard from it, but without a relay this process cannot
        # reach it, so it says offline, as its answers do.
        assert listed["status"] == "offline" and listed["last_seen"] is not None
        reply = ask(on_c, "Dame las ventas de ayer")
    assert reply["route"] == "runner" and reply["data"] is None
    assert "No hay ningún Local Runner conectado" in reply["content"]
    assert runner.audit() == []
