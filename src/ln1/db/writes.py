"""Inserting rows whose uniqueness the database enforces."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.db.base import Base
from ln1.errors import Conflict


async def add_unique(session: AsyncSession, row: Base, conflict: str) -> None:
    """Add and flush ``row``; a unique-constraint clash becomes ``Conflict(conflict)``.

    The database is the judge of uniqueness (two writers cannot both pass a prior check),
    and the caller's message says in plain words what already exists.
    """
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict(conflict) from exc
