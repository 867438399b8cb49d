"""What the graph's nodes need from the outside, passed in ``config["configurable"]``.

Nodes get their collaborators from the run's config rather than globals, so tests and
several app instances in one process never share hidden state.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.config import Settings
from ln1.db.tenant import scope_session
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.tenancy.service import Principal


@dataclass(frozen=True)
class OrchestratorDeps:
    settings: Settings
    engine: IntentEngine
    sessionmaker: async_sessionmaker[AsyncSession]

    @asynccontextmanager
    async def session_for(self, company_id: str) -> AsyncIterator[AsyncSession]:
        """A session that sees only ``company_id``'s rows."""
        async with self.sessionmaker() as session:
            scope_session(session.sync_session, company_id)
            yield session


def deps_of(config: RunnableConfig) -> OrchestratorDeps:
    return config["configurable"]["deps"]


def principal_of(config: RunnableConfig) -> Principal:
    return config["configurable"]["principal"]


def run_config(
    thread_id: str, deps: OrchestratorDeps, principal: Principal, **extra: Any
) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "deps": deps, "principal": principal, **extra}}
