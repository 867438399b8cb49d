"""Registering runners and reading their status."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.db.base import utcnow
from ln1.db.writes import add_unique
from ln1.errors import InvalidInput
from ln1.ids import new_id
from ln1.runners.models import Runner
from ln1.tenancy.keys import display_prefix, hash_secret, new_secret
from ln1.tenancy.models import Company


@dataclass(frozen=True)
class RunnerStatus:
    id: str
    name: str
    status: str  # "online" | "offline"
    last_seen: datetime | None
    version: str | None
    dialect: str | None

    @property
    def online(self) -> bool:
        return self.status == "online"


async def create_runner(session: AsyncSession, company: Company, name: str) -> tuple[Runner, str]:
    """Register a runner; returns it with its token, which is never stored or shown again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidInput("runner name must be 1-100 characters")
    token = new_secret("rt")
    runner = Runner(
        id=new_id("run"),
        company_id=company.id,
        name=name,
        token_hash=hash_secret(token),
        token_prefix=display_prefix(token),
    )
    await add_unique(
        session, runner, f"company {company.slug!r} already has a runner named {name!r}"
    )
    return runner, token


async def list_runners(session: AsyncSession, heartbeat_timeout_s: float) -> list[RunnerStatus]:
    """The scoped company's active runners; online means heard from within the timeout."""
    runners = await session.scalars(
        select(Runner).where(Runner.revoked_at.is_(None)).order_by(Runner.name)
    )
    cutoff = utcnow() - timedelta(seconds=heartbeat_timeout_s)
    return [
        RunnerStatus(
            id=r.id,
            name=r.name,
            status="online" if r.last_seen_at and r.last_seen_at >= cutoff else "offline",
            last_seen=r.last_seen_at,
            version=r.version,
            dialect=r.dialect,
        )
        for r in runners
    ]
