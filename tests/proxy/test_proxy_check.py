"""``LN1_REQUIRE_EDGE_PROXY=true`` on a real ``ln1 up``: ``/v1`` answers only requests the
security proxy signed; probes, the runner tunnel and the edge's webhooks stay reachable.

Requests are signed here the way the Worker signs them (``ln1.proxy.signing``, held to the
Worker by shared vectors); ``test_proxy_e2e.py`` puts the real Worker in front.
"""

from __future__ import annotations

import asyncio
import json
import time

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from ln1.proxy.signing import WINDOW_S
from ln1.webhooks.signing import signed_headers as edge_signed_headers
from tests.conftest import Tenant
from tests.proxy.conftest import ProxiedServer
from tests.runners.conftest import register_runner


def assert_refused(response: httpx.Response, needle: str) -> None:
    """403 in the one error shape, with the request's trace id, saying why."""
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "proxy_required"
    assert needle in error["message"]
    assert error["trace_id"] == response.headers["x-trace-id"]


def test_a_signed_request_is_served(proxied: ProxiedServer, proxied_tenant: Tenant) -> None:
    r = proxied.request("GET", "/v1/me", proxied_tenant.keys["member"])
    assert r.status_code == 200, r.text
    assert r.json()["company"]["slug"] == proxied_tenant.slug


def test_a_signed_request_with_a_query_is_served(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    r = proxied.request("GET", "/v1/threads?limit=5", proxied_tenant.keys["member"])
    assert r.status_code == 200, r.text
    assert r.json()["data"] == []


def test_the_origin_still_checks_the_key_behind_the_proxy(proxied: ProxiedServer) -> None:
    """The proxy only checks a key's shape; a well-formed unknown key is the origin's 401."""
    r = proxied.request("GET", "/v1/me", "ln1_sk_" + "A" * 43)
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


def test_an_unsigned_request_with_a_valid_key_is_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    with proxied_tenant.client("admin") as client:
        client.base_url = httpx.URL(proxied.url)
        assert_refused(client.get("/v1/me"), "only through the security proxy")
        assert_refused(client.post("/v1/threads", json={}), "only through the security proxy")


def test_nothing_is_done_for_a_refused_request(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    key = proxied_tenant.keys["member"]
    refused = httpx.post(
        f"{proxied.url}/v1/threads", json={}, headers={"authorization": f"Bearer {key}"}
    )
    assert refused.status_code == 403
    threads = proxied.request("GET", "/v1/threads", key)
    assert threads.json()["data"] == []


def test_a_signature_under_another_secret_is_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    r = proxied.request("GET", "/v1/me", proxied_tenant.keys["member"], secret="guessed")
    assert_refused(r, "bad proxy signature")


@pytest.mark.parametrize("skew", [-(WINDOW_S + 30), WINDOW_S + 30])
def test_a_stale_or_future_signature_is_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant, skew: int
) -> None:
    r = proxied.request(
        "GET", "/v1/me", proxied_tenant.keys["member"], timestamp=int(time.time()) + skew
    )
    assert_refused(r, "window")


@pytest.mark.parametrize(
    ("signed_for", "sent"),
    [
        (("GET", "/v1/threads"), ("GET", "/v1/me")),  # another path
        (("GET", "/v1/threads?limit=1"), ("GET", "/v1/threads?limit=100")),  # another query
        (("GET", "/v1/threads"), ("POST", "/v1/threads")),  # another method
    ],
    ids=["path", "query", "method"],
)
def test_a_signature_for_another_request_is_refused(
    proxied: ProxiedServer,
    proxied_tenant: Tenant,
    signed_for: tuple[str, str],
    sent: tuple[str, str],
) -> None:
    method, path = sent
    r = proxied.request(method, path, proxied_tenant.keys["member"], sign_as=signed_for, json={})
    assert_refused(r, "bad proxy signature")


def test_a_signature_made_for_another_key_is_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    """A signed request seen with the member's key does not carry the admin's key past it."""
    r = proxied.request(
        "GET", "/v1/users", proxied_tenant.keys["admin"], sign_key=proxied_tenant.keys["member"]
    )
    assert_refused(r, "bad proxy signature")


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ln1-proxy-timestamp": "soon", "x-ln1-proxy-signature": "sha256=00"},
        {"x-ln1-proxy-signature": "sha256=00"},
        {"x-ln1-proxy-timestamp": "1767225600"},
    ],
)
def test_malformed_or_partial_proxy_headers_are_refused(
    proxied: ProxiedServer, proxied_tenant: Tenant, headers: dict[str, str]
) -> None:
    key = proxied_tenant.keys["member"]
    r = httpx.get(f"{proxied.url}/v1/me", headers={"authorization": f"Bearer {key}", **headers})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "proxy_required"


@pytest.mark.parametrize("path", ["/healthz", "/readyz", "/metrics"])
def test_probes_and_metrics_need_no_proxy(proxied: ProxiedServer, path: str) -> None:
    assert httpx.get(proxied.url + path).status_code == 200


def test_edge_webhooks_are_checked_by_their_own_signature_not_the_proxys(
    proxied: ProxiedServer,
) -> None:
    body = {
        "source": "shop",
        "event": "order.created",
        "delivery_id": f"proxy-test-{time.time_ns()}",
        "received_at": "2026-11-26T10:00:00+00:00",
        "payload": {"order": 1},
    }
    raw = json.dumps(body).encode()
    url = f"{proxied.url}/v1/webhooks/shop"
    signed = httpx.post(
        url,
        content=raw,
        headers={"content-type": "application/json", **edge_signed_headers(proxied.secret, raw)},
    )
    assert signed.status_code == 202, signed.text
    unsigned = httpx.post(url, content=raw, headers={"content-type": "application/json"})
    assert unsigned.status_code == 401  # the webhook's own check, not the proxy's 403
    assert "edge signature" in unsigned.json()["error"]["message"]


async def _handshake(url: str, token: str) -> int:
    try:
        async with connect(url, additional_headers={"authorization": f"Bearer {token}"}):
            return 101
    except InvalidStatus as e:
        return e.response.status_code


def test_runners_dial_the_tunnel_directly(proxied: ProxiedServer, proxied_tenant: Tenant) -> None:
    _, token = register_runner(proxied.backend, proxied_tenant.slug)
    ws = proxied.url.replace("http://", "ws://")
    assert asyncio.run(_handshake(ws + "/v1/runners/connect", token)) == 101


def test_other_websocket_handshakes_under_v1_need_the_proxy(
    proxied: ProxiedServer, proxied_tenant: Tenant
) -> None:
    ws = proxied.url.replace("http://", "ws://")
    status = asyncio.run(_handshake(ws + "/v1/threads", proxied_tenant.keys["member"]))
    assert status == 403


def test_without_the_setting_everything_is_as_before(unproxied: ProxiedServer) -> None:
    from tests.conftest import _create_tenant

    tenant = asyncio.run(_create_tenant(unproxied.backend.settings, unproxied.url))
    key = tenant.keys["member"]
    r = httpx.get(f"{unproxied.url}/v1/me", headers={"authorization": f"Bearer {key}"})
    assert r.status_code == 200, r.text
    forged = httpx.get(
        f"{unproxied.url}/v1/me",
        headers={"authorization": f"Bearer {key}", "x-ln1-proxy-signature": "sha256=00"},
    )
    assert forged.status_code == 200  # proxy headers mean nothing when the check is off
