"""What the graph's nodes need from the outside, passed in ``config["configurable"]``.

Nodes get their collaborators from the run's config rather than globals, so tests and
several app instances in one process never share hidden state.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from celery import Celery
from langchain_core.runnables import RunnableConfig
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.artifacts.storage import LocalStorage
from ln1.config import Settings
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.orchestrator.llm import ChatLLM
from ln1.orchestrator.turnlock import TurnLocks
from ln1.runners.hub import RunnerHub
from ln1.tenancy.service import Principal


@dataclass(frozen=True)
class OrchestratorDeps:
    settings: Settings
    engine: IntentEngine
    sessionmaker: async_sessionmaker[AsyncSession]
    hub: RunnerHub
    storage: LocalStorage
    celery: Celery
    llm: ChatLLM | None = None  # Workers AI for the chat, when configured
    turn_locks: TurnLocks = field(default_factory=TurnLocks)  # see ln1.orchestrator.turnlock


def deps_of(config: RunnableConfig) -> OrchestratorDeps:
    return config["configurable"]["deps"]


def principal_of(config: RunnableConfig) -> Principal:
    return config["configurable"]["principal"]


def session_of(config: RunnableConfig) -> AsyncSession:
    """The request's own session, already scoped to the caller's company.

    Nodes use it rather than opening sessions of their own: a turn then holds one
    connection, and a full pool can never wait on itself.
    """
    return config["configurable"]["session"]


def run_config(
    thread_id: str, deps: OrchestratorDeps, principal: Principal, session: AsyncSession
) -> RunnableConfig:
    return {
        "configurable": {
            "thread_id": thread_id,
            "deps": deps,
            "principal": principal,
            "session": session,
        }
    }
