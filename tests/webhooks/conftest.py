"""A real ``ln1 up`` with ``LN1_EDGE_SECRET`` set, on each backend, for the webhook tests."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.conftest import (
    BACKENDS,
    Backend,
    ServerProcess,
    _drop_pg_database,
    free_port,
    make_backend,
)


@dataclass
class EdgeServer:
    server: ServerProcess
    backend: Backend
    secret: str

    @property
    def url(self) -> str:
        return self.server.url


@pytest.fixture(scope="session", params=BACKENDS)
def edge_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EdgeServer]:
    tmp = tmp_path_factory.mktemp(f"webhooks-{request.param}")
    backend, pg_name = make_backend(request.param, tmp / "data")
    secret = secrets.token_urlsafe(32)
    env = {**backend.env, "LN1_EDGE_SECRET": secret}
    proc = ServerProcess(env, backend.settings.data_dir, free_port(), tmp / "server.log")
    try:
        proc.start()
        yield EdgeServer(proc, backend, secret)
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.stop()
        if pg_name:
            _drop_pg_database(pg_name)
