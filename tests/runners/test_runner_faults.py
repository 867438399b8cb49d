"""Faults on the runner path, with real processes: a frozen, killed or cut-off runner, a server
restart, a database that went away and an order past its deadline.

One ``ln1 up`` (SQLite) serves the whole module with short timings, so a silent runner is
offline within 1.5 s and an order's deadline is 3 s; each test has its own company and runner.
"""

from __future__ import annotations

import asyncio
import itertools
import signal
import socket
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from ln1_runner.client import BACKOFF_BASE_S, BACKOFF_CAP_S, backoff_delays

from tests.conftest import (
    PG_ADMIN_DSN,
    Backend,
    ServerProcess,
    Tenant,
    _create_pg_database,
    _create_tenant,
    _drop_pg_database,
    free_port,
    make_backend,
)
from tests.runners.conftest import (
    SLOW_SQLITE_SQL,
    RunnerProcess,
    ask,
    ask_while_killed_mid_stream,
    connections,
    demo_config,
    empty_sqlite,
    register_runner,
    runner_status,
    runner_toml,
    sales_entry,
    wait_for,
    ws_url,
)

HEARTBEAT_S = 0.3
HEARTBEAT_TIMEOUT_S = 1.5
ORDER_TIMEOUT_S = 3.0

Spawn = Callable[[Path, str, str], RunnerProcess]


@pytest.fixture(scope="module")
def faults_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ServerProcess, Backend]]:
    folder = tmp_path_factory.mktemp("faults")
    backend, _ = make_backend("sqlite", folder / "data")
    backend.env.update(
        LN1_RUNNER_HEARTBEAT_S=str(HEARTBEAT_S),
        LN1_RUNNER_HEARTBEAT_TIMEOUT_S=str(HEARTBEAT_TIMEOUT_S),
        LN1_RUNNER_ORDER_TIMEOUT_S=str(ORDER_TIMEOUT_S),
    )
    server = ServerProcess(backend.env, backend.settings.data_dir, free_port(), folder / "srv.log")
    server.start()
    yield server, backend
    if server.proc is not None and server.proc.poll() is None:
        server.stop()


@pytest.fixture
def tenant(faults_server: tuple[ServerProcess, Backend]) -> Tenant:
    server, backend = faults_server
    return asyncio.run(_create_tenant(backend.settings, server.url))


def start_demo_runner(
    faults_server: tuple[ServerProcess, Backend],
    tenant: Tenant,
    spawn: Spawn,
    folder: Path,
    name: str = "ventas",
) -> RunnerProcess:
    server, backend = faults_server
    runner_id, token = register_runner(backend, tenant.slug, name)
    process = spawn(folder, demo_config(folder, ws_url(server), token), runner_id)
    with tenant.client() as client:
        process.wait_online(client)
    return process


def start_custom_runner(
    faults_server: tuple[ServerProcess, Backend],
    tenant: Tenant,
    spawn: Spawn,
    folder: Path,
    name: str,
    database_url: str,
    sql: str,
    limits: dict[str, object] | None = None,
) -> RunnerProcess:
    server, backend = faults_server
    runner_id, token = register_runner(backend, tenant.slug, name)
    text = runner_toml(
        folder, ws_url(server), token, database_url, [sales_entry(sql)], limits=limits
    )
    process = spawn(folder, text, runner_id)
    with tenant.client() as client:
        process.wait_online(client)
    return process


# --- back-off --------------------------------------------------------------------------------


def test_backoff_grows_exponentially_to_the_cap_with_jitter() -> None:
    waits = [list(itertools.islice(backoff_delays(), 12)) for _ in range(200)]
    for n in range(12):
        bound = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**n)
        column = [w[n] for w in waits]
        assert all(0.5 * bound <= wait <= bound for wait in column), n
        assert len(set(column)) > 100, "the waits must be jittered, not all alike"
        assert max(column) > 0.9 * bound and min(column) < 0.6 * bound
    # Doubling until the cap, then staying under it for ever.
    assert BACKOFF_BASE_S * 2**6 > BACKOFF_CAP_S
    assert all(15.0 <= wait <= 30.0 for wait in itertools.islice(backoff_delays(), 8, 200))
    small = list(itertools.islice(backoff_delays(base=1.0, cap=4.0), 6))
    for wait, bound in zip(small, [1.0, 2.0, 4.0, 4.0, 4.0, 4.0], strict=True):
        assert bound / 2 <= wait <= bound


# --- heartbeats and offline --------------------------------------------------------------------


def first_waits_after_losses(runner: RunnerProcess) -> list[float]:
    """The first back-off wait the runner logged after each connection it lost."""
    waits, lost = [], False
    for line in runner.logs().splitlines():
        if "lost or refused" in line and not lost:
            lost = True
        elif "reconnecting in" in line and lost:
            waits.append(float(line.rsplit("reconnecting in", 1)[1].split()[0]))
            lost = False
        elif "connected as runner" in line:
            lost = False
    return waits


def missed_heartbeats(server: ServerProcess, runner_id: str) -> int:
    """How many times the server closed this runner's socket for silence."""
    lines = server.logs().splitlines()
    return sum(runner_id in line and "missed heartbeats" in line for line in lines)


def test_a_frozen_runner_goes_offline_and_is_back_online_after_sigcont(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    server, _ = faults_server
    runner = start_demo_runner(faults_server, tenant, spawn_runner, tmp_path / "frozen")
    assert runner.proc is not None
    with tenant.client() as client:
        for cycle in (1, 2):  # twice: every welcomed connection starts the back-off afresh
            runner.proc.send_signal(signal.SIGSTOP)  # frozen: socket open, nothing sent
            frozen_at = time.monotonic()
            wait_for(
                "offline status",
                lambda: runner_status(client, runner.runner_id) == "offline",
                HEARTBEAT_TIMEOUT_S + 3,
            )
            assert time.monotonic() - frozen_at >= HEARTBEAT_TIMEOUT_S - 0.5
            wait_for(
                "the server closing the silent socket",
                lambda n=cycle: missed_heartbeats(server, runner.runner_id) >= n,
                HEARTBEAT_TIMEOUT_S + 5,
            )
            runner.proc.send_signal(signal.SIGCONT)
            wait_for("a new welcome", lambda n=cycle: connections(runner) >= n + 1, 15)
            wait_for(
                "online status", lambda: runner_status(client, runner.runner_id) == "online", 5
            )
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "runner" and reply["data"] is not None, reply["content"]
    assert runner.proc.poll() is None
    waits = first_waits_after_losses(runner)
    assert len(waits) == 2 and all(wait <= BACKOFF_BASE_S for wait in waits), waits


def test_a_killed_runner_goes_offline_and_a_question_says_no_runner_is_connected(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    runner = start_demo_runner(faults_server, tenant, spawn_runner, tmp_path / "killed")
    runner.kill()
    killed_at = time.monotonic()
    with tenant.client() as client:
        wait_for(
            "offline status",
            lambda: runner_status(client, runner.runner_id) == "offline",
            HEARTBEAT_TIMEOUT_S + 3,
        )
        # The killed process's socket closes, so this (only) API process knows at once; a
        # frozen runner, whose socket stays open, is the heartbeat case (test above).
        assert time.monotonic() - killed_at < HEARTBEAT_TIMEOUT_S + 3
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "runner" and reply["data"] is None
    assert "No hay ningún Local Runner conectado" in reply["content"]
    assert "«ventas»" in reply["content"]  # the hint names the runner to switch back on


# --- faults during an order --------------------------------------------------------------------


def test_a_runner_killed_mid_stream_gives_a_clear_error_never_a_partial_table(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    database = tmp_path / "slow.sqlite"
    runner = start_custom_runner(
        faults_server,
        tenant,
        spawn_runner,
        tmp_path / "midstream",
        "lento",
        empty_sqlite(database),
        SLOW_SQLITE_SQL,
        limits={"chunk_rows": 10},
    )

    with tenant.client("analyst") as client:
        reply, _ = ask_while_killed_mid_stream(runner, database, client)
    content = reply["content"]
    assert reply["route"] == "runner" and reply["data"] is None, content
    assert "«lento»" in content and "no completó la consulta" in content
    assert "disconnected mid-answer" in content and "No muestro datos parciales" in content
    assert runner.audit() == []  # killed before it could write an outcome


@pytest.fixture
def pg_database() -> Iterator[str]:
    name = _create_pg_database()
    try:
        yield name
    finally:
        _drop_pg_database(name)


def test_a_database_that_went_away_gives_a_clear_error_naming_the_runner_in_time(
    faults_server: tuple[ServerProcess, Backend],
    tenant: Tenant,
    spawn_runner: Spawn,
    tmp_path,
    pg_database: str,
) -> None:
    dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{pg_database}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("CREATE TABLE sales (day date, amount numeric(12, 2))")
        # "ayer" is yesterday in the company's time zone (Lima), not the database server's.
        yesterday = datetime.now(ZoneInfo("America/Lima")).date() - timedelta(days=1)
        conn.execute("INSERT INTO sales VALUES (%s, 12.50), (%s, 7)", (yesterday, yesterday))
    sql = (
        "SELECT day AS fecha, count(*) AS facturas, sum(amount) AS ventas FROM sales\n"
        "WHERE day BETWEEN CAST(:date_from AS date) AND CAST(:date_to AS date) GROUP BY day"
    )
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_database}"
    start_custom_runner(faults_server, tenant, spawn_runner, tmp_path / "pg", "contable", url, sql)
    with tenant.client() as client:
        before = ask(client, "Dame las ventas de ayer")
        assert before["data"] is not None, before["content"]
        assert before["data"]["rows"][0][1:] == [2, 19.5]
        _drop_pg_database(pg_database)  # WITH (FORCE): the runner's pooled connection dies too
        started = time.monotonic()
        reply = ask(client, "Dame las ventas de ayer")
        elapsed = time.monotonic() - started
    content = reply["content"]
    assert reply["data"] is None, content
    assert "«contable»" in content and "no completó la consulta" in content
    assert f"the postgresql database '{pg_database}' at 127.0.0.1:5432 is not reachable" in content
    assert elapsed < ORDER_TIMEOUT_S, elapsed


def test_a_database_nobody_listens_for_gives_a_clear_error_in_time(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    port = free_port()  # MariaDB as the runner is told to find it, but nothing listens there
    url = f"mysql+pymysql://reader@127.0.0.1:{port}/ventas?charset=utf8mb4"
    sql = (
        "SELECT CAST(:date_from AS DATE) AS fecha, 1 AS facturas, 1.5 AS ventas\n"
        "FROM DUAL WHERE CAST(:date_to AS DATE) IS NOT NULL"
    )
    runner = start_custom_runner(
        faults_server, tenant, spawn_runner, tmp_path / "maria", "almacen", url, sql
    )
    with tenant.client() as client:
        started = time.monotonic()
        reply = ask(client, "Dame las ventas de ayer")
        elapsed = time.monotonic() - started
    content = reply["content"]
    assert reply["data"] is None, content
    assert "«almacen»" in content and "no completó la consulta" in content
    assert f"the mysql database 'ventas' at 127.0.0.1:{port} is not reachable" in content
    assert elapsed < ORDER_TIMEOUT_S, elapsed
    [entry] = runner.audit()
    assert (entry["outcome"], entry["code"]) == ("failed", "database_unavailable")


def test_a_database_that_never_answers_is_given_up_at_the_orders_deadline(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    # A "PostgreSQL" that accepts connections and never says a word: the runner's connection
    # attempt hangs (its own connect timeout is longer than the order's deadline).
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        url = f"postgresql+psycopg://reader@127.0.0.1:{port}/ventas"
        sql = (
            "SELECT CAST(:date_from AS date) AS fecha, 1 AS facturas\n"
            "WHERE CAST(:date_to AS date) IS NOT NULL"
        )
        runner = start_custom_runner(
            faults_server, tenant, spawn_runner, tmp_path / "hung", "colgado", url, sql
        )
        with tenant.client() as client:
            started = time.monotonic()
            reply = ask(client, "Dame las ventas de ayer")
            elapsed = time.monotonic() - started
        runner.kill()  # its worker thread is still waiting for the silent "database"
    content = reply["content"]
    assert reply["data"] is None, content
    assert "«colgado»" in content and "did not answer before the order's deadline" in content
    assert ORDER_TIMEOUT_S < elapsed < ORDER_TIMEOUT_S + 5, elapsed  # 2 s of grace + the chat


# Counts to 10^9: minutes of work, far past the order's deadline.
ENDLESS_SQLITE_SQL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000000000)
SELECT date(:date_from) AS fecha, count(*) AS facturas, sum(i) AS ventas
FROM n WHERE date(:date_to) IS NOT NULL
"""


def test_an_order_past_its_deadline_fails_with_a_timeout_and_is_audited(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    runner = start_custom_runner(
        faults_server,
        tenant,
        spawn_runner,
        tmp_path / "endless",
        "eterno",
        empty_sqlite(tmp_path / "endless.sqlite"),
        ENDLESS_SQLITE_SQL,
        limits={"statement_timeout_s": 600},  # the order's deadline is what stops it
    )
    with tenant.client() as client:
        started = time.monotonic()
        reply = ask(client, "Dame las ventas de ayer")
        elapsed = time.monotonic() - started
    content = reply["content"]
    assert reply["data"] is None, content
    assert "«eterno»" in content and "no completó la consulta" in content
    assert "time limit" in content or "deadline" in content, content
    assert ORDER_TIMEOUT_S - 1 < elapsed < ORDER_TIMEOUT_S + 4, elapsed
    wait_for("the audit line", lambda: runner.audit(), 5)
    [entry] = runner.audit()
    assert entry["outcome"] in ("failed", "cancelled") and entry["code"] == "timeout", entry
    assert entry["query"] == "sales_by_day"


# --- server restart (last: it restarts the module's server) -----------------------------------


def test_the_same_runner_reconnects_by_itself_after_a_server_restart(
    faults_server: tuple[ServerProcess, Backend], tenant: Tenant, spawn_runner: Spawn, tmp_path
) -> None:
    server, _ = faults_server
    runner = start_demo_runner(faults_server, tenant, spawn_runner, tmp_path / "restart")
    assert runner.proc is not None
    pid = runner.proc.pid
    server.restart()
    # The back-off keeps growing while the server is down (up to 30 s between attempts).
    wait_for("the runner's reconnection", lambda: connections(runner) >= 2, 60)
    assert runner.proc.poll() is None and runner.proc.pid == pid  # never restarted
    assert "reconnecting in" in runner.logs()
    with tenant.client("analyst") as client:
        wait_for("online status", lambda: runner_status(client, runner.runner_id) == "online", 5)
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "runner", reply["content"]
    assert reply["data"] is not None and len(reply["data"]["rows"]) == 1, reply["content"]
