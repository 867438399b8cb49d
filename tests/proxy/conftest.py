"""A real ``ln1 up`` that requires the security proxy (``LN1_REQUIRE_EDGE_PROXY=true``), and
one with the same secret that does not, for the proxy-check tests.

SQLite only: the check runs before any route or database work, so the backend changes nothing.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ln1.proxy.signing import signed_headers
from tests.conftest import Backend, ServerProcess, Tenant, _create_tenant, free_port, make_backend


@dataclass
class ProxiedServer:
    server: ServerProcess
    backend: Backend
    secret: str

    @property
    def url(self) -> str:
        return self.server.url

    def request(
        self,
        method: str,
        path: str,
        key: str | None,
        *,
        sign_as: tuple[str, str] | None = None,
        sign_key: str | None = None,
        timestamp: int | None = None,
        secret: str | None = None,
        json: object = None,
    ) -> httpx.Response:
        """Send ``method path`` with ``key``, signed as the proxy would sign it.

        ``sign_as`` (method, path) and ``sign_key`` sign a different request than the one sent
        (a signature lifted from another request); ``secret`` signs with another secret.
        """
        authorization = f"Bearer {key}" if key is not None else None
        signed_method, signed_path = sign_as or (method, path)
        signed_auth = f"Bearer {sign_key}" if sign_key is not None else authorization
        headers = signed_headers(
            secret or self.secret, signed_method, signed_path, signed_auth, timestamp
        )
        if authorization is not None:
            headers["authorization"] = authorization
        return httpx.request(method, self.url + path, headers=headers, json=json, timeout=30)


def _start(tmp: Path, env: dict[str, str]) -> tuple[ServerProcess, Backend]:
    backend, _ = make_backend("sqlite", tmp / "data")
    backend.env.update(env)
    server = ServerProcess(backend.env, backend.settings.data_dir, free_port(), tmp / "server.log")
    server.start()
    return server, backend


@pytest.fixture(scope="session")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedServer]:
    secret = secrets.token_urlsafe(32)
    env = {"LN1_EDGE_SECRET": secret, "LN1_REQUIRE_EDGE_PROXY": "true"}
    server, backend = _start(tmp_path_factory.mktemp("proxied"), env)
    try:
        yield ProxiedServer(server, backend, secret)
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()


@pytest.fixture(scope="session")
def unproxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxiedServer]:
    """The edge secret set (webhooks on) but the proxy not required: the default."""
    secret = secrets.token_urlsafe(32)
    server, backend = _start(tmp_path_factory.mktemp("unproxied"), {"LN1_EDGE_SECRET": secret})
    try:
        yield ProxiedServer(server, backend, secret)
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop()


@pytest.fixture
def proxied_tenant(proxied: ProxiedServer) -> Tenant:
    return asyncio.run(_create_tenant(proxied.backend.settings, proxied.url))
