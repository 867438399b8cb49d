"""The one exception hierarchy of the Workers AI client.

Every failure a caller can meet is a :class:`CloudflareError`, so ``except CloudflareError``
is enough to fall back to a deterministic path; the subclasses say *why*, which decides
whether a retry could help (:attr:`CloudflareError.retryable`) and whether the model looks
unhealthy (the circuit breaker counts only those). Messages carry the model, the HTTP
status and Cloudflare's own ``errors`` entries, never a credential.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ErrorDetail:
    """One entry of the envelope's ``errors`` list: ``{"code": 3040, "message": "..."}``."""

    code: int | None
    message: str


class CloudflareError(Exception):
    """Base of every Workers AI failure."""

    #: A later attempt may succeed (429, 5xx, timeouts, connection failures).
    retryable: bool = False
    #: The failure says something about the model's health (the circuit breaker counts it).
    unhealthy: bool = False

    def __init__(
        self,
        message: str,
        *,
        model: str | None = None,
        status: int | None = None,
        errors: Sequence[ErrorDetail] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.model = model
        self.status = status
        self.errors: tuple[ErrorDetail, ...] = tuple(errors)

    def __str__(self) -> str:
        parts = [self.message]
        if self.model:
            parts.append(f"model={self.model}")
        if self.status is not None:
            parts.append(f"status={self.status}")
        parts.extend(f"[{e.code}] {e.message}" for e in self.errors)
        return "; ".join(parts)


class NotConfigured(CloudflareError):
    """No account id or API token: Workers AI is not set up for this deployment."""


class AuthError(CloudflareError):
    """401/403: the token is wrong, lacks the Workers AI permission, or the account differs."""


class RateLimited(CloudflareError):
    """429: too many requests or no capacity; ``retry_after`` is the server's ask, in seconds."""

    retryable = True
    unhealthy = True

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(CloudflareError):
    """5xx: Cloudflare (or the gateway in front of it) failed."""

    retryable = True
    unhealthy = True


class Timeout(CloudflareError):
    """No complete answer within the call's time limit (or a documented 408 from Workers AI)."""

    retryable = True
    unhealthy = True

    def __init__(self, message: str, *, seconds: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.seconds = seconds


class NetworkError(CloudflareError):
    """The connection failed or dropped before an answer arrived."""

    retryable = True
    unhealthy = True


class BadResponse(CloudflareError):
    """An answer that cannot be trusted: not JSON, ``success`` not true, or fields missing."""

    unhealthy = True


class StreamInterrupted(CloudflareError):
    """A text stream ended before ``data: [DONE]``; ``received`` is what arrived until then."""

    unhealthy = True

    def __init__(self, message: str, *, received: str = "", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.received = received


class ModelError(CloudflareError):
    """Any other 4xx: bad input, unknown model, request too large. Retrying cannot help."""


class CircuitOpen(CloudflareError):
    """The model failed repeatedly; calls fail fast until ``retry_in`` seconds have passed."""

    def __init__(self, message: str, *, retry_in: float = 0.0, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_in = retry_in
