"""Fixtures: one Workers AI stand-in per session, and clients tuned to fail fast."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest

from ln1.cloudflare import BreakerPolicy, RetryPolicy, Timeouts, WorkersAI
from tests.cloudflare.standin import StandIn

# Short limits so the whole failure catalogue runs in seconds; the behaviour is the same.
FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=5.0)
FAST_TIMEOUTS = Timeouts(text=2.0, stream_idle=2.0, image=2.0, audio=2.0, embeddings=2.0)
FAST_BREAKER = BreakerPolicy(failure_threshold=3, reset_after=0.3)


@pytest.fixture(scope="session")
def standin_server() -> Iterator[StandIn]:
    with StandIn() as standin:
        yield standin


@pytest.fixture
def standin(standin_server: StandIn) -> Iterator[StandIn]:
    standin_server.reset()
    yield standin_server
    standin_server.reset()


@pytest.fixture
async def make_client(standin: StandIn) -> AsyncIterator[Callable[..., WorkersAI]]:
    """Build clients against the stand-in; every option can be overridden per test."""
    clients: list[WorkersAI] = []

    def make(**options: Any) -> WorkersAI:
        settings: dict[str, Any] = {
            "account_id": standin.account_id,
            "api_token": standin.token,
            "base_url": standin.base_url,
            "company_id": "company-acme",
            "timeouts": FAST_TIMEOUTS,
            "retry": FAST_RETRY,
            "breaker": FAST_BREAKER,
            **options,
        }
        client = WorkersAI(**settings)
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.aclose()


@pytest.fixture
async def ai(make_client: Callable[..., WorkersAI]) -> WorkersAI:
    return make_client()
