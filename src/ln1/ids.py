"""Public identifiers: a type prefix plus a time-ordered random part.

Time-ordered ids sort in creation order, so keyset pagination and message ordering need
no extra sequence column. Within one process ids are strictly increasing even when two
are made in the same millisecond (the random part is bumped), like ULID's monotonic mode.
"""

from __future__ import annotations

import secrets
import threading
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase
_RANDOM_BITS = 80
_lock = threading.Lock()
_last_ms = 0
_last_rand = 0


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_id(prefix: str) -> str:
    """Return ``prefix_`` followed by 26 sortable characters (48-bit ms time, 80-bit random)."""
    global _last_ms, _last_rand
    with _lock:
        now = time.time_ns() // 1_000_000
        if now <= _last_ms:
            now = _last_ms
            rand = _last_rand + 1
        else:
            rand = secrets.randbits(_RANDOM_BITS)
        _last_ms, _last_rand = now, rand
    return f"{prefix}_{_encode(now, 10)}{_encode(rand & ((1 << _RANDOM_BITS) - 1), 16)}"


def floor_id(prefix: str) -> str:
    """The smallest id ``new_id(prefix)`` could return now: "everything from this moment on"."""
    return f"{prefix}_{_encode(time.time_ns() // 1_000_000, 10)}{'0' * 16}"
