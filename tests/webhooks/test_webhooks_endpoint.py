"""``POST /v1/webhooks/{source}`` over real HTTP against a real ``ln1 up``.

The requests are signed the way the edge Worker signs them (``ln1.webhooks.signing``; the
Worker's side of the same contract is tested in ``edge/``), then checked in the database.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from ln1.db.migrate import sync_url
from ln1.webhooks.signing import REPLAY_WINDOW_S, signed_headers
from tests.conftest import ServerProcess, _create_tenant
from tests.webhooks.conftest import EdgeServer


def envelope(source: str = "github", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "source": source,
        "event": "issues.opened",
        "delivery_id": str(uuid.uuid4()),
        "received_at": datetime.now(UTC).isoformat(),
        "payload": {"action": "opened", "issue": {"number": 1, "title": "Fallo en el informe"}},
    }
    body.update(overrides)
    return body


def post(
    srv: EdgeServer,
    source: str,
    body: dict[str, Any] | bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    signed = signed_headers(secret or srv.secret, raw, timestamp)
    all_headers = {"content-type": "application/json", **signed, **(headers or {})}
    return httpx.post(f"{srv.url}/v1/webhooks/{source}", content=raw, headers=all_headers)


def rows(srv: EdgeServer, delivery_id: str) -> list[dict[str, Any]]:
    engine = create_engine(sync_url(srv.backend.settings.sqlalchemy_url))
    try:
        with engine.connect() as conn:
            result = conn.execute(
                text(
                    "SELECT id, company_id, source, event, delivery_id, payload "
                    "FROM webhook_events WHERE delivery_id = :d"
                ),
                {"d": delivery_id},
            )
            out = [dict(r._mapping) for r in result]
    finally:
        engine.dispose()
    for row in out:
        if isinstance(row["payload"], str):  # SQLite hands JSON back as text
            row["payload"] = json.loads(row["payload"])
    return out


def test_signed_event_is_stored(edge_server: EdgeServer) -> None:
    body = envelope()
    r = post(edge_server, "github", body)
    assert r.status_code == 202, r.text
    out = r.json()
    assert out["duplicate"] is False
    assert out["source"] == "github" and out["delivery_id"] == body["delivery_id"]
    assert out["id"].startswith("whk_")
    [row] = rows(edge_server, body["delivery_id"])
    assert row["id"] == out["id"]
    assert row["event"] == "issues.opened"
    assert row["company_id"] is None
    assert row["payload"] == body["payload"]


def test_duplicate_delivery_is_stored_once(edge_server: EdgeServer) -> None:
    body = envelope(source="stripe", event="checkout.session.completed")
    first = post(edge_server, "stripe", body)
    assert first.status_code == 202 and first.json()["duplicate"] is False
    # The edge retrying (new timestamp, new signature, same delivery) is answered 202 again.
    again = post(edge_server, "stripe", body, timestamp=int(time.time()) - 5)
    assert again.status_code == 202
    assert again.json()["duplicate"] is True
    assert again.json()["id"] == first.json()["id"]
    assert len(rows(edge_server, body["delivery_id"])) == 1


def test_concurrent_duplicates_store_one_row(edge_server: EdgeServer) -> None:
    body = envelope(source="shop")
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post(edge_server, "shop", body), range(8)))
    assert [a.status_code for a in answers] == [202] * 8
    assert sorted(a.json()["duplicate"] for a in answers) == [False] + [True] * 7
    assert len({a.json()["id"] for a in answers}) == 1
    assert len(rows(edge_server, body["delivery_id"])) == 1


def test_bad_signature_is_refused(edge_server: EdgeServer) -> None:
    body = envelope()
    r = post(edge_server, "github", body, secret="not-the-edge-secret")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"
    assert "signature" in r.json()["error"]["message"]
    assert rows(edge_server, body["delivery_id"]) == []


def test_tampered_body_is_refused(edge_server: EdgeServer) -> None:
    body = envelope()
    raw = json.dumps(body).encode()
    headers = {"content-type": "application/json", **signed_headers(edge_server.secret, raw)}
    tampered = raw.replace(b"Fallo", b"Hallo")
    r = httpx.post(f"{edge_server.url}/v1/webhooks/github", content=tampered, headers=headers)
    assert r.status_code == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-ln1-edge-timestamp": "1700000000"},
        {"x-ln1-edge-signature": "sha256=00"},
        {"x-ln1-edge-timestamp": "soon", "x-ln1-edge-signature": "sha256=00"},
    ],
)
def test_missing_or_malformed_signature_headers(
    edge_server: EdgeServer, headers: dict[str, str]
) -> None:
    raw = json.dumps(envelope()).encode()
    r = httpx.post(
        f"{edge_server.url}/v1/webhooks/github",
        content=raw,
        headers={"content-type": "application/json", **headers},
    )
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "unauthenticated"


@pytest.mark.parametrize("skew", [-(REPLAY_WINDOW_S + 30), REPLAY_WINDOW_S + 30])
def test_stale_or_future_timestamp_is_refused(edge_server: EdgeServer, skew: int) -> None:
    body = envelope()
    r = post(edge_server, "github", body, timestamp=int(time.time()) + skew)
    assert r.status_code == 401
    assert "window" in r.json()["error"]["message"]
    assert rows(edge_server, body["delivery_id"]) == []


def test_replay_of_a_captured_request_after_the_window(edge_server: EdgeServer) -> None:
    """A request captured once and sent again later: same bytes, same headers."""
    body = envelope()
    raw = json.dumps(body).encode()
    old = int(time.time()) - REPLAY_WINDOW_S - 1
    headers = {"content-type": "application/json", **signed_headers(edge_server.secret, raw, old)}
    r = httpx.post(f"{edge_server.url}/v1/webhooks/github", content=raw, headers=headers)
    assert r.status_code == 401


@pytest.mark.parametrize("source", ["GitHub", "has space", "dots.not.allowed", "x" * 33, "-x"])
def test_unknown_source_format_is_refused(edge_server: EdgeServer, source: str) -> None:
    body = envelope(source="github")
    r = post(edge_server, httpx.URL(source).raw_path.decode(), body)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "invalid_input"


def test_source_must_match_the_path(edge_server: EdgeServer) -> None:
    r = post(edge_server, "stripe", envelope(source="github"))
    assert r.status_code == 422
    assert "does not match" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"delivery_id": ""}, "delivery_id"),
        ({"received_at": "2026-11-26T10:00:00"}, "received_at"),  # no timezone
        ({"payload": "not an object"}, "payload"),
        ({"unexpected": 1}, "unexpected"),
        ({"event": "e" * 101}, "event"),
    ],
)
def test_invalid_envelope_is_422(
    edge_server: EdgeServer, change: dict[str, Any], needle: str
) -> None:
    r = post(edge_server, "github", envelope(**change))
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["message"]


def test_signed_non_json_body_is_422(edge_server: EdgeServer) -> None:
    r = post(edge_server, "github", b"this is not json")
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "invalid_input"


def test_event_for_a_company(edge_server: EdgeServer) -> None:
    tenant = asyncio.run(_create_tenant(edge_server.backend.settings, edge_server.url))
    body = envelope(source="shop", event="order.created", company=tenant.slug)
    r = post(edge_server, "shop", body)
    assert r.status_code == 202, r.text
    assert r.json()["company_id"] == tenant.company_id
    [row] = rows(edge_server, body["delivery_id"])
    assert row["company_id"] == tenant.company_id

    unknown = post(edge_server, "shop", envelope(source="shop", company="no-such-company"))
    assert unknown.status_code == 422
    assert "no-such-company" in unknown.json()["error"]["message"]


def test_too_large_body_is_413(edge_server: EdgeServer) -> None:
    body = envelope(payload={"blob": "x" * (2 * 1024 * 1024)})
    r = post(edge_server, "github", body)
    assert r.status_code == 413


def test_unconfigured_endpoint_answers_503(server: ServerProcess) -> None:
    """The suite's shared server runs without LN1_EDGE_SECRET: the endpoint is off."""
    raw = json.dumps(envelope()).encode()
    r = httpx.post(
        f"{server.url}/v1/webhooks/github",
        content=raw,
        headers={"content-type": "application/json", **signed_headers("anything", raw)},
    )
    assert r.status_code == 503
    assert r.json()["error"]["code"] == "not_configured"
    assert "not configured" in r.json()["error"]["message"]
