"""Health, readiness, metrics, trace ids, structured logs and the error shape."""

from __future__ import annotations

import json
import time

import httpx

from tests.conftest import Tenant


def test_healthz_and_readyz(server) -> None:
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_metrics_count_requests_by_template_and_turns_by_route(tenant: Tenant, server) -> None:
    client = tenant.client()
    thread = client.post("/v1/threads").json()["id"]
    client.post(f"/v1/threads/{thread}/messages", json={"content": "hola"})
    text = httpx.get(f"{server.url}/metrics").text
    assert 'ln1_chat_turns_total{intent="greeting",route="direct"}' in text
    assert 'path="/v1/threads/{thread_id}/messages"' in text
    assert thread not in text
    assert "ln1_http_request_duration_seconds_bucket" in text


def test_trace_id_is_returned_and_logged_without_secrets(tenant: Tenant, server) -> None:
    client = tenant.client()
    response = client.get("/v1/me", headers={"X-Trace-Id": "trace-abc-12345"})
    assert response.headers["x-trace-id"] == "trace-abc-12345"
    mine: list[dict] = []
    deadline = time.monotonic() + 10  # the access line is written after the response is sent
    while not mine and time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.logs().splitlines() if line.startswith("{")]
        mine = [line for line in lines if line.get("trace_id") == "trace-abc-12345"]
        time.sleep(0.05)
    assert mine and mine[0]["path"] == "/v1/me" and mine[0]["status"] == 200
    for key in tenant.keys.values():
        assert key not in server.logs()


def test_invalid_incoming_trace_id_is_replaced(server) -> None:
    response = httpx.get(f"{server.url}/healthz", headers={"X-Trace-Id": "bad id!"})
    assert response.headers["x-trace-id"] != "bad id!"
    assert len(response.headers["x-trace-id"]) == 32


def test_unknown_path_uses_the_error_shape(server) -> None:
    response = httpx.get(f"{server.url}/v1/nope")
    assert response.status_code == 404
    assert response.json() == {
        "error": {
            "code": "not_found",
            "message": "Not Found",
            "trace_id": response.headers["x-trace-id"],
        }
    }


def test_wrong_method_uses_the_error_shape(server) -> None:
    response = httpx.delete(f"{server.url}/healthz")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "method_not_allowed"
