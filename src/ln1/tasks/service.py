"""Reading task records. Tasks are private to the user who started them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.errors import NotFound
from ln1.tasks.models import Task


async def get_task(session: AsyncSession, task_id: str, user_id: str) -> Task:
    task = await session.scalar(select(Task).where(Task.id == task_id, Task.user_id == user_id))
    if task is None:
        raise NotFound(f"task {task_id} not found")
    return task


async def recent_tasks(session: AsyncSession, user_id: str, limit: int = 5) -> list[Task]:
    rows = await session.scalars(
        select(Task).where(Task.user_id == user_id).order_by(Task.id.desc()).limit(limit)
    )
    return list(rows)
