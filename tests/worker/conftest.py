"""An ``ln1 up`` that runs a real Celery worker, on the embedded broker or on Redis.

Two set-ups, as in production: the embedded default (SQLite database, SQLite broker, both
under the data folder) and the scaled one (PostgreSQL database, Redis broker and results,
with a key prefix of its own so test runs sharing the local Redis never see each other).
"""

from __future__ import annotations

import asyncio
import io
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import xlsxwriter

from tests.conftest import (
    Backend,
    ServerProcess,
    Tenant,
    _create_tenant,
    _drop_pg_database,
    free_port,
    make_backend,
)

SETUPS = {"embedded": ("sqlite", False), "redis": ("postgresql", True)}


@pytest.fixture(params=list(SETUPS))
def stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, Backend]]:
    database, with_redis = SETUPS[request.param]
    backend, pg_name = make_backend(database, tmp_path / "data")
    env = {**backend.env, "LN1_WORKER_PROCESSES": "1"}
    prefix = f"ln1test{secrets.token_hex(4)}"
    if with_redis:
        env["LN1_REDIS_URL"] = "redis://127.0.0.1:6379/0"
        env["LN1_REDIS_PREFIX"] = prefix
    server = ServerProcess(env, backend.settings.data_dir, free_port(), tmp_path / "server.log")
    try:
        server.start()
        yield server, backend
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(timeout=40)
        if pg_name:
            _drop_pg_database(pg_name)
        if with_redis:
            client = redis.Redis()
            keys = list(client.scan_iter(f"{prefix}:*"))
            if keys:
                client.delete(*keys)


@pytest.fixture
def user(stack: tuple[ServerProcess, Backend]) -> Tenant:
    server, backend = stack
    return asyncio.run(_create_tenant(backend.settings, server.url))


def workbook(rows: int, shift: int = 0, sheet: str = "Ventas") -> bytes:
    """A sales workbook as office staff make them: codes, padded names, "1.234,56" text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    ws.write_row(0, 0, ["Código", "Cliente", "Región", "Monto", "Fecha"])
    regions = ["Lima", "Cusco", "Piura", "Junín"]
    for i in range(rows):
        amount = (i * 13 + shift * (i % 7 == 0)) % 997
        ws.write_row(
            i + 1,
            0,
            [
                f"F{i:05d}",
                f"  Cliente {i % 50} ",
                regions[i % 4],
                f"{amount:,}.{i % 100:02d}".replace(",", "X").replace(".", ",").replace("X", "."),
                f"{1 + i % 28:02d}/11/2026",
            ],
        )
    book.close()
    return buffer.getvalue()


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    response = client.post("/v1/files", files={"file": (name, content)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_task(client: httpx.Client, task_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] in ("succeeded", "failed"):
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish in {timeout}s: {task}")
