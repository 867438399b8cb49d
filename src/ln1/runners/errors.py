"""Why an order did not produce a complete, verified result.

The chat turns each into an honest sentence naming the runner; none of them ever carries a
partial table, because rows are only handed over once the runner's final count and checksum
match what arrived.
"""

from __future__ import annotations


class OrderError(Exception):
    """Base: ``code`` is stable (tests and the chat branch on it), ``message`` is plain words."""

    def __init__(self, code: str, message: str, runner_name: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.runner_name = runner_name


class RunnerOffline(OrderError):
    """No runner of the company is connected to any API process."""


class OrderRefused(OrderError):
    """The runner would not run the order (unknown query, bad arguments, unsafe SQL, …)."""


class OrderFailed(OrderError):
    """The order started but broke: database down, timeout, runner gone, bad checksum."""
