"""Direct database helpers for arranging state the public API cannot create yet."""

from __future__ import annotations

import asyncio

from ln1.db.engine import make_engine, make_sessionmaker
from ln1.ids import new_id
from ln1.runners.models import Runner
from ln1.tasks.models import Task
from ln1.tenancy.keys import hash_secret, new_secret


async def _add(backend, row) -> None:
    engine = make_engine(backend.settings.sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            session.add(row)
            await session.commit()
    finally:
        await engine.dispose()


def insert_task(
    backend,
    company_id: str,
    user_id: str,
    kind: str = "ingest",
    status: str = "running",
    progress: float = 0.4,
) -> str:
    task = Task(
        id=new_id("task"),
        company_id=company_id,
        user_id=user_id,
        kind=kind,
        status=status,
        progress=progress,
    )
    asyncio.run(_add(backend, task))
    return task.id


def insert_runner(backend, company_id: str, name: str) -> str:
    token = new_secret("rt")
    runner = Runner(
        id=new_id("run"),
        company_id=company_id,
        name=name,
        token_hash=hash_secret(token),
        token_prefix=token[:13],
    )
    asyncio.run(_add(backend, runner))
    return runner.id
