"""A real ``ln1 up`` with ``LN1_EDGE_SECRET`` set, on each backend, for the webhook tests.

It is also configured for Workers AI (the contract stand-in of ``tests/cloudflare``), so
admins can make webhook rules (their ``long_text`` tasks need it); it runs no worker, so the
tasks rules start stay queued. ``test_webhook_rule_runs.py`` runs one with a worker.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.cloudflare.standin import StandIn
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


def workers_ai_env(standin: StandIn) -> dict[str, str]:
    return {
        "LN1_CLOUDFLARE_ACCOUNT_ID": standin.account_id,
        "LN1_CLOUDFLARE_API_TOKEN": standin.token,
        "LN1_CLOUDFLARE_BASE_URL": standin.base_url,
    }


@pytest.fixture(scope="session")
def webhooks_standin() -> Iterator[StandIn]:
    with StandIn() as standin:
        yield standin


@pytest.fixture(scope="session", params=BACKENDS)
def edge_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    webhooks_standin: StandIn,
) -> Iterator[EdgeServer]:
    tmp = tmp_path_factory.mktemp(f"webhooks-{request.param}")
    backend, pg_name = make_backend(request.param, tmp / "data")
    secret = secrets.token_urlsafe(32)
    env = {**backend.env, "LN1_EDGE_SECRET": secret, **workers_ai_env(webhooks_standin)}
    proc = ServerProcess(env, backend.settings.data_dir, free_port(), tmp / "server.log")
    try:
        proc.start()
        yield EdgeServer(proc, backend, secret)
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.stop()
        if pg_name:
            _drop_pg_database(pg_name)
