"""``ln1.db.tenant`` at the SQL level: what a session scoped to one company can read and
change, on SQLite and PostgreSQL. (The HTTP tests try every resource with another
company's key; these pin the mechanism underneath: plain selects, joins, UPDATE, DELETE,
and writes through the unit of work.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from ln1.conversations.models import Message, Thread
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.db.tenant import TenantViolation, scope_session
from ln1.ids import new_id
from ln1.tenancy.models import Role
from ln1.tenancy.service import create_company, create_user
from tests.conftest import BACKENDS, _drop_pg_database, make_backend


@dataclass
class World:
    """Two companies, each with a user, a thread and a message in it."""

    url: str
    companies: tuple[str, str]
    threads: tuple[str, str]


async def _seed(url: str) -> World:
    engine = make_engine(url)
    try:
        async with make_sessionmaker(engine)() as session:
            ids = []
            for slug in ("scope-a", "scope-b"):
                company = await create_company(session, slug)
                user = await create_user(session, company, f"u@{slug}.example", Role.MEMBER)
                thread = Thread(id=new_id("thr"), company_id=company.id, user_id=user.id)
                session.add(thread)
                await session.flush()
                session.add(
                    Message(
                        id=new_id("msg"),
                        company_id=company.id,
                        thread_id=thread.id,
                        role="user",
                        content=f"hola de {slug}",
                    )
                )
                ids.append((company.id, thread.id))
            await session.commit()
    finally:
        await engine.dispose()
    return World(url, (ids[0][0], ids[1][0]), (ids[0][1], ids[1][1]))


@pytest.fixture(params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[World]:
    backend, pg_name = make_backend(request.param, tmp_path / "data")
    try:
        backend.settings.ensure_data_dir()
        upgrade(backend.settings.sqlalchemy_url)
        yield asyncio.run(_seed(backend.settings.sqlalchemy_url))
    finally:
        if pg_name:
            _drop_pg_database(pg_name)


def as_company(world: World, company_id: str | None, work) -> object:
    """Run ``work(session)`` in a session scoped to ``company_id`` (None: a system session)."""

    async def run() -> object:
        engine = make_engine(world.url)
        try:
            async with make_sessionmaker(engine)() as session:
                if company_id is not None:
                    scope_session(session.sync_session, company_id)
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(run())


def test_a_scoped_select_sees_only_its_company(world: World) -> None:
    a, _ = world.companies

    async def ids(session) -> set[str]:
        return set(await session.scalars(select(Thread.id)))

    assert as_company(world, a, ids) == {world.threads[0]}
    assert as_company(world, None, ids) == set(world.threads)


def test_another_companys_row_by_id_is_not_found(world: World) -> None:
    a, _ = world.companies

    async def by_id(session) -> Thread | None:
        return await session.get(Thread, world.threads[1])

    assert as_company(world, a, by_id) is None


def test_both_sides_of_a_join_are_scoped(world: World) -> None:
    a, _ = world.companies

    async def joined(session) -> list[str]:
        query = select(Message.content).join(Thread, Thread.id == Message.thread_id)
        return list(await session.scalars(query))

    assert as_company(world, a, joined) == ["hola de scope-a"]


def test_a_scoped_update_or_delete_leaves_other_companies_alone(world: World) -> None:
    a, _ = world.companies

    async def change(session) -> None:
        await session.execute(update(Thread).values(title="renamed"))
        await session.execute(delete(Message))

    as_company(world, a, change)

    async def state(session) -> tuple[dict[str, str | None], int]:
        titles = dict((await session.execute(select(Thread.id, Thread.title))).all())
        return titles, await session.scalar(select(func.count()).select_from(Message))

    titles, messages = as_company(world, None, state)
    assert titles == {world.threads[0]: "renamed", world.threads[1]: None}
    assert messages == 1  # company B's message is still there


def test_writing_another_companys_row_through_a_scoped_session_is_refused(world: World) -> None:
    a, b = world.companies

    async def write_for_b(session) -> None:
        session.add(Thread(id=new_id("thr"), company_id=b, user_id="usr_x"))
        await session.flush()

    with pytest.raises(TenantViolation):
        as_company(world, a, write_for_b)
