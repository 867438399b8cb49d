"""High-entropy bearer secrets (user API keys, runner tokens) and their stored hashes.

Keys carry 256 random bits, so a plain SHA-256 is enough to make a leaked database
useless for logging in (no password-style stretching needed) while keeping the lookup a
single indexed equality match on every request.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets

PREFIX_LEN = 12


def new_secret(kind: str) -> str:
    """``ln1_<kind>_`` followed by 43 URL-safe characters (256 bits)."""
    return f"ln1_{kind}_{_secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def display_prefix(secret: str) -> str:
    """The non-secret start of a key, shown in listings so a person can tell keys apart."""
    return secret[: PREFIX_LEN + 1] if len(secret) > PREFIX_LEN else secret
