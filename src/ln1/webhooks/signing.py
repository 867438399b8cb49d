"""The edge-to-origin signature: HMAC-SHA256 over ``"{timestamp}.{body}"``.

Headers: ``X-Ln1-Edge-Timestamp`` (Unix seconds) and ``X-Ln1-Edge-Signature``
(``sha256=<lowercase hex>``). The edge Worker (``edge/shared/hmac.ts``) signs exactly this way.
A request is accepted only within ``REPLAY_WINDOW_S`` of the origin's clock; inside the window
a replayed request is harmless because events are stored once per ``(source, delivery_id)``.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from ln1.errors import Unauthenticated

TIMESTAMP_HEADER = "x-ln1-edge-timestamp"
SIGNATURE_HEADER = "x-ln1-edge-signature"
REPLAY_WINDOW_S = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def signed_headers(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The two headers for ``body``; used by tests and any Python sender."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {TIMESTAMP_HEADER: str(ts), SIGNATURE_HEADER: sign(secret, ts, body)}


class NotFresh(ValueError):
    """A signing timestamp that is malformed or outside its window; ``str()`` says which."""


def fresh_timestamp(timestamp: str, window_s: int, now: float | None = None) -> int:
    """The Unix seconds of a signing-timestamp header, if within ``window_s`` of our clock.

    Both edge signatures (this one and the security proxy's, ``ln1.proxy.signing``) bound
    replays the same way; each caller words the refusal for its own header.
    """
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise NotFresh("malformed")
    ts = int(timestamp)
    current = time.time() if now is None else now
    if abs(current - ts) > window_s:
        raise NotFresh(f"outside the {window_s}s window (stale or replayed request)")
    return ts


def verify(
    secret: str,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise ``Unauthenticated`` unless the signature is ours and the timestamp fresh."""
    if not timestamp or not signature:
        raise Unauthenticated("missing edge signature headers")
    try:
        ts = fresh_timestamp(timestamp, REPLAY_WINDOW_S, now)
    except NotFresh as e:
        raise Unauthenticated(f"edge timestamp {e}") from None
    if not hmac.compare_digest(sign(secret, ts, body).encode(), signature.strip().encode()):
        raise Unauthenticated("bad edge signature")
