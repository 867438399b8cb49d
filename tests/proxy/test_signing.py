"""The orchestrator checks the proxy's signature exactly as the Worker makes it.

The vectors are the ones ``edge/workers/security-proxy/test/proxy.test.ts`` checks the
Worker's ``originSignature`` against: the same file, so the two sides cannot drift apart.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from ln1.config import Settings
from ln1.proxy.signing import (
    WINDOW_S,
    NotThroughProxy,
    key_hash,
    sign,
    signing_string,
    verify,
)

VECTORS_FILE = (
    Path(__file__).resolve().parents[2] / "edge/workers/security-proxy/test/signature-vectors.json"
)
SHARED = json.loads(VECTORS_FILE.read_text())
VECTORS: list[dict[str, Any]] = SHARED["vectors"]
SECRET: str = SHARED["secret"]


def check(vector: dict[str, Any], now: float | None = None, **changes: Any) -> None:
    request = {
        "timestamp": str(vector["timestamp"]),
        "signature": vector["signature"],
        "method": vector["method"],
        "path_and_query": vector["path_and_query"],
        "authorization": vector["authorization"],
    }
    request.update(changes)
    verify(SECRET, now=vector["timestamp"] if now is None else now, **request)


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_the_workers_signature_is_rebuilt_byte_for_byte(vector: dict[str, Any]) -> None:
    assert key_hash(vector["authorization"]) == vector["key_sha256"]
    signed = signing_string(
        vector["timestamp"], vector["method"], vector["path_and_query"], vector["key_sha256"]
    )
    assert signed == vector["signing_string"]
    assert (
        sign(
            SECRET,
            vector["timestamp"],
            vector["method"],
            vector["path_and_query"],
            vector["authorization"],
        )
        == vector["signature"]
    )
    check(vector)  # accepted at its own timestamp


def test_a_signature_for_another_path_or_query_is_refused() -> None:
    vector = VECTORS[0]
    for other in (
        "/v1/threads/thr_other/messages?stream=false",
        "/v1/threads/thr_01kb0example/messages",
    ):
        with pytest.raises(NotThroughProxy, match="bad proxy signature"):
            check(vector, path_and_query=other)


def test_a_signature_for_another_method_is_refused() -> None:
    with pytest.raises(NotThroughProxy, match="bad proxy signature"):
        check(VECTORS[0], method="DELETE")


def test_a_signature_for_another_key_is_refused() -> None:
    other = "Bearer ln1_sk_" + "Z" * 43
    with pytest.raises(NotThroughProxy, match="bad proxy signature"):
        check(VECTORS[0], authorization=other)
    with pytest.raises(NotThroughProxy, match="bad proxy signature"):
        check(VECTORS[0], authorization=None)


def test_a_signature_under_another_secret_is_refused() -> None:
    vector = VECTORS[1]
    forged = sign(
        "not-the-secret",
        vector["timestamp"],
        vector["method"],
        vector["path_and_query"],
        vector["authorization"],
    )
    with pytest.raises(NotThroughProxy, match="bad proxy signature"):
        check(vector, signature=forged)


@pytest.mark.parametrize("skew", [-(WINDOW_S + 1), WINDOW_S + 1])
def test_a_timestamp_outside_the_window_is_refused(skew: int) -> None:
    vector = VECTORS[0]
    with pytest.raises(NotThroughProxy, match="window"):
        check(vector, now=vector["timestamp"] - skew)


def test_a_timestamp_at_the_edge_of_the_window_is_accepted() -> None:
    vector = VECTORS[0]
    check(vector, now=vector["timestamp"] + WINDOW_S)


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"timestamp": None}, "no X-Ln1-Proxy-Signature"),
        ({"signature": None}, "no X-Ln1-Proxy-Signature"),
        ({"signature": ""}, "no X-Ln1-Proxy-Signature"),
        ({"timestamp": "soon"}, "malformed"),
        ({"timestamp": "-1767225600"}, "malformed"),
        ({"signature": "sha256=00"}, "bad proxy signature"),
    ],
)
def test_missing_or_malformed_headers_are_refused(changes: dict[str, Any], needle: str) -> None:
    with pytest.raises(NotThroughProxy, match=needle) as refused:
        check(VECTORS[0], **changes)
    assert refused.value.status_code == 403


def test_requiring_the_proxy_without_the_secret_is_a_configuration_error() -> None:
    with pytest.raises(ValidationError, match="LN1_EDGE_SECRET"):
        Settings(require_edge_proxy=True, _env_file=None)
    assert Settings(require_edge_proxy=True, edge_secret="s", _env_file=None).require_edge_proxy
