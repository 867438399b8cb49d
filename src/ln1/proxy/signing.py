"""The security proxy's origin signature, checked the way the Worker makes it.

The Worker (``edge/workers/security-proxy/src/index.ts``: ``originSignature``) adds to every
request it forwards::

    X-Ln1-Proxy-Timestamp: <unix seconds>
    X-Ln1-Proxy-Signature: sha256=<hex HMAC-SHA256(secret, "<ts>.<METHOD>.<path?query>.<key>")>

where ``<key>`` is the lowercase hex SHA-256 of the bearer API key, or ``-`` when the request
had no ``Authorization`` header (the proxy's public paths). Signing the key's hash binds the
signature to the caller, so a signature seen for one key is useless with another; signing
method, path and query binds it to one request line. The body is not signed: the proxy
streams uploads through unbuffered, and TLS protects them in transit.

The secret is the orchestrator's ``LN1_EDGE_SECRET`` (the Worker's ``PROXY_SECRET``). Test
vectors shared with the Worker's tests: ``edge/workers/security-proxy/test/signature-vectors.json``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from ln1.errors import Ln1Error
from ln1.webhooks.signing import NotFresh, fresh_timestamp

TIMESTAMP_HEADER = "x-ln1-proxy-timestamp"
SIGNATURE_HEADER = "x-ln1-proxy-signature"
# As for the edge's webhook signature: wide enough for clock skew between Cloudflare and us,
# short enough that a captured request stops working soon.
WINDOW_S = 300
NO_KEY = "-"


class NotThroughProxy(Ln1Error):
    """A request that must come through the security proxy did not (or its proof is stale)."""

    status_code = 403
    code = "proxy_required"


def key_hash(authorization: str | None) -> str:
    """The key part of the signing string: what the Worker hashes from ``Authorization``.

    The Worker forwards only ``Bearer <key>`` with nothing else in the header, so the second
    whitespace-separated word is the key; an absent header is ``-``.
    """
    if authorization is None:
        return NO_KEY
    words = authorization.split()
    token = words[1] if len(words) > 1 else ""
    return hashlib.sha256(token.encode()).hexdigest()


def signing_string(timestamp: int, method: str, path_and_query: str, key_sha256: str) -> str:
    return f"{timestamp}.{method.upper()}.{path_and_query}.{key_sha256}"


def sign(
    secret: str, timestamp: int, method: str, path_and_query: str, authorization: str | None
) -> str:
    message = signing_string(timestamp, method, path_and_query, key_hash(authorization))
    return "sha256=" + hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_headers(
    secret: str,
    method: str,
    path_and_query: str,
    authorization: str | None,
    timestamp: int | None = None,
) -> dict[str, str]:
    """The two headers the proxy would add; for tests and any trusted Python sender."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        TIMESTAMP_HEADER: str(ts),
        SIGNATURE_HEADER: sign(secret, ts, method, path_and_query, authorization),
    }


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    method: str,
    path_and_query: str,
    authorization: str | None,
    now: float | None = None,
) -> None:
    """Raise ``NotThroughProxy`` unless the proxy signed exactly this request, recently.

    The comparison is constant-time (``hmac.compare_digest``) so the answer time says nothing
    about how much of a forged signature was right.
    """
    if not timestamp or not signature:
        raise NotThroughProxy(
            "this API accepts requests only through the security proxy "
            "(no X-Ln1-Proxy-Signature header)"
        )
    try:
        ts = fresh_timestamp(timestamp, WINDOW_S, now)
    except NotFresh as e:
        raise NotThroughProxy(f"X-Ln1-Proxy-Timestamp {e}") from None
    expected = sign(secret, ts, method, path_and_query, authorization)
    if not hmac.compare_digest(expected.encode(), signature.strip().lower().encode()):
        raise NotThroughProxy("bad proxy signature")
