"""End to end with real processes: ``wrangler dev`` runs the webhook-ingest Worker (workerd,
offline, on loopback) in front of a real ``ln1 up``; a real GitHub payload, signed as GitHub
signs it, is posted to the Worker and shows up in the orchestrator's database.

Needs the edge's npm packages (``make test-edge`` or ``cd edge && npm ci``); skipped without.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.edge_dev import EDGE, WRANGLER, wrangler_dev
from tests.webhooks.conftest import EdgeServer
from tests.webhooks.test_webhooks_endpoint import rows

EXAMPLES = EDGE / "node_modules/@octokit/webhooks-examples/api.github.com/index.json"
GITHUB_SECRET = "e2e-github-secret"

pytestmark = pytest.mark.skipif(
    not WRANGLER.exists() or not EXAMPLES.exists(),
    reason="edge/node_modules missing: run `make test-edge` (npm ci) first",
)


@pytest.fixture(scope="module")
def worker(edge_server: EdgeServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    variables = {
        "ORIGIN_URL": edge_server.url,
        "EDGE_SECRET": edge_server.secret,
        "GITHUB_WEBHOOK_SECRET": GITHUB_SECRET,
    }

    def ready(url: str) -> bool:
        return httpx.post(f"{url}/webhooks/github", timeout=2).status_code == 401

    with wrangler_dev(
        "webhook-ingest", variables, tmp_path_factory.mktemp("wrangler"), ready
    ) as url:
        yield url


def github_example(name: str) -> dict[str, Any]:
    examples = json.loads(EXAMPLES.read_text())
    return next(e for e in examples if e["name"] == name)["examples"][0]


def post_github(url: str, event: str, payload: dict[str, Any], delivery: str, secret: str):
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return httpx.post(
        f"{url}/webhooks/github",
        content=body,
        headers={
            "content-type": "application/json",
            "x-github-event": event,
            "x-github-delivery": delivery,
            "x-hub-signature-256": signature,
        },
        timeout=30,
    )


def test_github_event_through_the_worker_reaches_the_orchestrator(
    worker: str, edge_server: EdgeServer
) -> None:
    payload = github_example("issues")
    delivery = str(uuid.uuid4())
    r = post_github(worker, "issues", payload, delivery, GITHUB_SECRET)
    assert r.status_code == 202, r.text
    answer = r.json()
    assert answer["accepted"] is True and answer["duplicate"] is False
    assert answer["event"] == f"issues.{payload['action']}"
    [row] = rows(edge_server, delivery)
    assert row["source"] == "github"
    assert row["event"] == f"issues.{payload['action']}"
    assert row["payload"] == payload

    again = post_github(worker, "issues", payload, delivery, GITHUB_SECRET)
    assert again.status_code == 202
    assert again.json()["duplicate"] is True
    assert len(rows(edge_server, delivery)) == 1


def test_bad_github_signature_stops_at_the_worker(worker: str, edge_server: EdgeServer) -> None:
    delivery = str(uuid.uuid4())
    r = post_github(worker, "push", github_example("push"), delivery, "not-the-secret")
    assert r.status_code == 401
    assert r.json()["error"]["code"] == "bad_signature"
    assert rows(edge_server, delivery) == []
