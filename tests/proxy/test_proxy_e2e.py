"""End to end with real processes: ``wrangler dev`` runs the security-proxy Worker (workerd,
offline, on loopback) in front of a real ``ln1 up`` that requires it
(``LN1_REQUIRE_EDGE_PROXY=true``, ``LN1_EDGE_SECRET`` = the Worker's ``PROXY_SECRET``).

A chat message sent through the proxy with an API key gets its answer; the same request sent
straight to the orchestrator is refused; without a key the proxy itself refuses.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus
from websockets.sync.server import ServerConnection, serve

from ln1.proxy.signing import verify
from tests.conftest import Tenant
from tests.edge_dev import needs_wrangler, wrangler_dev
from tests.proxy.conftest import ProxiedServer
from tests.runners.conftest import register_runner

pytestmark = needs_wrangler


@pytest.fixture(scope="module")
def proxy(proxied: ProxiedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    variables = {"ORIGIN_URL": proxied.url, "PROXY_SECRET": proxied.secret}

    def ready(url: str) -> bool:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200

    with wrangler_dev("security-proxy", variables, tmp_path_factory.mktemp("proxy"), ready) as url:
        yield url


def chat(base_url: str, key: str, content: str) -> tuple[httpx.Response, httpx.Response | None]:
    """POST /v1/threads, then the message: both answers (the second only if a thread came)."""
    with httpx.Client(
        base_url=base_url, headers={"authorization": f"Bearer {key}"}, timeout=60
    ) as client:
        thread = client.post("/v1/threads", json={})
        if thread.status_code != 201:
            return thread, None
        message = client.post(
            f"/v1/threads/{thread.json()['id']}/messages", json={"content": content}
        )
        return thread, message


def test_a_chat_message_through_the_proxy_gets_its_answer(
    proxy: str, proxied_tenant: Tenant
) -> None:
    thread, message = chat(proxy, proxied_tenant.keys["member"], "hola, ¿qué puedes hacer?")
    assert thread.status_code == 201, thread.text
    assert message is not None and message.status_code == 200, message and message.text
    answer = message.json()
    assert answer["role"] == "assistant"
    assert answer["route"] == "direct"
    assert answer["content"].strip()
    assert message.headers["x-trace-id"]  # the origin's answer, passed back through the proxy


def test_the_same_request_straight_to_the_orchestrator_is_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    thread, message = chat(proxied.url, proxied_tenant.keys["member"], "hola")
    assert thread.status_code == 403
    assert thread.json()["error"]["code"] == "proxy_required"
    assert message is None


def test_a_request_without_a_key_is_refused_by_the_proxy(proxy: str) -> None:
    r = httpx.post(f"{proxy}/v1/threads", json={})
    assert r.status_code == 401
    error = r.json()["error"]
    assert error["code"] == "unauthenticated"
    # The proxy's answer, not the origin's: the origin adds a trace id to every answer.
    assert "trace_id" not in error and "x-trace-id" not in r.headers


def test_a_wrong_key_passes_the_proxy_and_is_refused_by_the_origin(proxy: str) -> None:
    r = httpx.get(f"{proxy}/v1/me", headers={"authorization": "Bearer ln1_sk_" + "Q" * 43})
    assert r.status_code == 401
    assert r.json()["error"]["trace_id"] == r.headers["x-trace-id"]


def test_probes_pass_the_proxy_without_a_key(proxy: str) -> None:
    assert httpx.get(f"{proxy}/readyz", timeout=10).status_code == 200


async def _handshake(url: str, token: str) -> int:
    try:
        async with connect(url, additional_headers={"authorization": f"Bearer {token}"}):
            return 101
    except InvalidStatus as e:
        return e.response.status_code


def test_runners_are_not_routed_through_the_proxy(
    proxy: str, proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    """A runner token is not an API key: the proxy turns it away, and the runner dials the
    orchestrator's tunnel directly (which the proxy check leaves open)."""
    _, token = register_runner(proxied.backend, proxied_tenant.slug)
    through_proxy = asyncio.run(
        _handshake(proxy.replace("http", "ws", 1) + "/v1/runners/connect", token)
    )
    assert through_proxy == 401
    direct = asyncio.run(
        _handshake(proxied.url.replace("http", "ws", 1) + "/v1/runners/connect", token)
    )
    assert direct == 101


@pytest.fixture(scope="module")
def websocket_origin() -> Iterator[str]:
    """A WebSocket origin on loopback (the ``websockets`` library's server, in a thread): its
    first frame is the handshake it received, then it echoes. ln1 has no WebSocket endpoint
    for API keys, so this stands where one would be."""

    def handler(connection: ServerConnection) -> None:
        request = connection.request
        assert request is not None
        connection.send(json.dumps({"path": request.path, "headers": dict(request.headers)}))
        for message in connection:
            connection.send(f"echo:{message}")

    with serve(handler, "127.0.0.1", 0) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        host, port = server.socket.getsockname()[:2]
        try:
            yield f"http://{host}:{port}"
        finally:
            server.shutdown()
            thread.join(10)


@pytest.fixture(scope="module")
def websocket_proxy(
    websocket_origin: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    secret = "ws-e2e-proxy-secret"
    variables = {"ORIGIN_URL": websocket_origin, "PROXY_SECRET": secret}

    def ready(url: str) -> bool:  # the origin answers plain HTTP with 426: the Worker is up
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 426

    with wrangler_dev(
        "security-proxy", variables, tmp_path_factory.mktemp("ws-proxy"), ready
    ) as url:
        yield url, secret


def test_websocket_upgrades_pass_the_proxy_signed(websocket_proxy: tuple[str, str]) -> None:
    url, secret = websocket_proxy
    key = "ln1_sk_" + "W" * 43

    async def talk() -> tuple[dict, str]:
        ws_url = url.replace("http", "ws", 1) + "/v1/live?room=7"
        async with connect(ws_url, additional_headers={"authorization": f"Bearer {key}"}) as ws:
            seen = json.loads(await ws.recv())
            await ws.send("hola")
            return seen, str(await ws.recv())

    seen, echoed = asyncio.run(talk())
    assert echoed == "echo:hola"
    assert seen["path"] == "/v1/live?room=7"
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    # The orchestrator's own check accepts the handshake the Worker signed.
    verify(
        secret,
        timestamp=headers["x-ln1-proxy-timestamp"],
        signature=headers["x-ln1-proxy-signature"],
        method="GET",
        path_and_query=seen["path"],
        authorization=headers["authorization"],
    )
