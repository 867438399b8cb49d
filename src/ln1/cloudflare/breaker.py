"""A circuit breaker, one per model, so a failing model does not hold every request.

Closed: calls pass and consecutive unhealthy failures are counted. After
``failure_threshold`` of them it opens: calls fail at once with :class:`CircuitOpen` for
``reset_after`` seconds instead of each waiting out timeouts and retries. Then it is
half-open: exactly one trial call passes (others still fail fast); its success closes the
breaker, its failure opens it for another ``reset_after``.

State lives on the client object (no module globals) and is touched only from the event
loop, so it needs no lock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ln1.cloudflare.errors import CircuitOpen


@dataclass(frozen=True, slots=True)
class BreakerPolicy:
    failure_threshold: int = 5
    reset_after: float = 30.0


class CircuitBreaker:
    def __init__(
        self, model: str, policy: BreakerPolicy, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.model = model
        self._policy = policy
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_in_flight = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return "closed"
        if self._trial_in_flight or self._clock() - self._opened_at >= self._policy.reset_after:
            return "half_open"
        return "open"

    def before_call(self) -> None:
        """Let a call through, or raise :class:`CircuitOpen`; a half-open pass is the trial."""
        if self._opened_at is None:
            return
        waited = self._clock() - self._opened_at
        if waited < self._policy.reset_after:
            raise CircuitOpen(
                f"circuit open after {self._policy.failure_threshold} consecutive failures",
                model=self.model,
                retry_in=self._policy.reset_after - waited,
            )
        if self._trial_in_flight:
            raise CircuitOpen("circuit half-open: a trial call is in flight", model=self.model)
        self._trial_in_flight = True

    def record_success(self) -> bool:
        """The model answered; return True when this closed an open circuit."""
        was_open = self._opened_at is not None
        self._failures = 0
        self._opened_at = None
        self._trial_in_flight = False
        return was_open

    def record_failure(self) -> bool:
        """Count an unhealthy failure; return True when this one opened the circuit."""
        if self._trial_in_flight or self._opened_at is not None:
            self._trial_in_flight = False
            self._opened_at = self._clock()
            return True
        self._failures += 1
        if self._failures >= self._policy.failure_threshold:
            self._opened_at = self._clock()
            return True
        return False

    def release(self) -> None:
        """The call ended without a verdict (the caller gave up): free the trial slot."""
        self._trial_in_flight = False
