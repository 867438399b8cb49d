"""Registering runners and reading their status."""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass
from datetime import datetime, timedelta

import msgspec
from ln1_runner.protocol import Hello, order_key
from sqlalchemy import select, update
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
        order_key=order_key(token).hex(),
    )
    await add_unique(
        session, runner, f"company {company.slug!r} already has a runner named {name!r}"
    )
    return runner, token


async def list_runners(
    session: AsyncSession,
    heartbeat_timeout_s: float,
    connected: Container[str] | None = None,
) -> list[RunnerStatus]:
    """The scoped company's active runners; online means heard from within the timeout and,
    when ``connected`` is given (one API process, no relay), connected to this process."""
    runners = await session.scalars(
        select(Runner).where(Runner.revoked_at.is_(None)).order_by(Runner.name)
    )
    cutoff = utcnow() - timedelta(seconds=heartbeat_timeout_s)
    return [
        RunnerStatus(
            id=r.id,
            name=r.name,
            status="online"
            if r.last_seen_at
            and r.last_seen_at >= cutoff
            and (connected is None or r.id in connected)
            else "offline",
            last_seen=r.last_seen_at,
            version=r.version,
            dialect=r.dialect,
        )
        for r in runners
    ]


async def rotate_runner_token(session: AsyncSession, runner: Runner) -> str:
    """Give ``runner`` a new token (the old one stops working at once); returns it once."""
    token = new_secret("rt")
    runner.token_hash = hash_secret(token)
    runner.token_prefix = display_prefix(token)
    runner.order_key = order_key(token).hex()
    await session.flush()
    return token


async def authenticate_runner(session: AsyncSession, token: str) -> Runner | None:
    """The active runner holding this token, or None (unknown, revoked, or a user key)."""
    if not token.startswith("ln1_rt_"):
        return None
    return await session.scalar(
        select(Runner).where(Runner.token_hash == hash_secret(token), Runner.revoked_at.is_(None))
    )


async def record_hello(session: AsyncSession, runner_id: str, hello: Hello) -> None:
    """Remember what the runner announced; ``/v1/runners`` and the help answer show it."""
    await session.execute(
        update(Runner)
        .where(Runner.id == runner_id)
        .values(
            version=hello.version[:40],
            dialect=hello.dialect[:40],
            catalog={
                "queries": [_plain(q) for q in hello.catalog],
                "free_sql": hello.free_sql,
                "max_rows": hello.max_rows,
            },
            last_seen_at=utcnow(),
        )
    )


async def touch_runner(session: AsyncSession, runner_id: str) -> None:
    await session.execute(
        update(Runner).where(Runner.id == runner_id).values(last_seen_at=utcnow())
    )


async def online_runners(
    session: AsyncSession, company_id: str, heartbeat_timeout_s: float
) -> list[Runner]:
    """The company's runners heard from recently, most recent first (explicitly scoped)."""
    cutoff = utcnow() - timedelta(seconds=heartbeat_timeout_s)
    rows = await session.scalars(
        select(Runner)
        .where(
            Runner.company_id == company_id,
            Runner.revoked_at.is_(None),
            Runner.last_seen_at >= cutoff,
        )
        .order_by(Runner.last_seen_at.desc())
    )
    return list(rows)


def _plain(query: object) -> dict[str, object]:
    return msgspec.to_builtins(query)
