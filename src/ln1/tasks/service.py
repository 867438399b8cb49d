"""Creating, submitting and reading task records. Tasks are private to the user who started them."""

from __future__ import annotations

import asyncio
from typing import Any

from celery import Celery
from kombu import Connection
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.artifacts.models import Artifact
from ln1.artifacts.service import artifact_ref
from ln1.db.tenant import scope_session
from ln1.errors import NotFound
from ln1.ids import new_id
from ln1.tasks.models import Task
from ln1.worker.celery_app import RUN_TASK
from ln1.worker.wake import wake_workers

QUEUE_OF = {
    "ingest": "heavy",
    "compare": "heavy",
    "report": "heavy",
    # Workers AI calls: network-bound, kept off the queues that do the CPU work.
    "image_generation": "ai",
    "transcription": "ai",
    "long_text": "ai",
}
# Hard limits (seconds) of kinds far shorter than the global ``task_time_limit_s``; the soft
# limit (the task's chance to tell the user) comes 10 % earlier.
TIME_LIMIT_OF = {"image_generation": 300.0, "transcription": 900.0, "long_text": 600.0}


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


async def task_artifacts(session: AsyncSession, task_id: str) -> list[dict[str, str]]:
    rows = await session.scalars(
        select(Artifact).where(Artifact.task_id == task_id).order_by(Artifact.id)
    )
    return [artifact_ref(a) for a in rows]


async def start_task(
    sessionmaker: async_sessionmaker[AsyncSession],
    celery: Celery,
    *,
    company_id: str,
    user_id: str,
    thread_id: str | None,
    kind: str,
    params: dict[str, Any],
    task_id: str | None = None,
) -> Task:
    """Record the task, then hand its id to the queue of its kind.

    The record is written first (its own short transaction), so a worker never receives an
    id it cannot find; if the broker refuses, the record says so and the error propagates.
    A caller that chose ``task_id`` beforehand (a webhook event records it with the event)
    gets an ``IntegrityError`` instead of a second task when that id is taken.
    """
    task = Task(
        id=task_id or new_id("task"),
        company_id=company_id,
        user_id=user_id,
        thread_id=thread_id,
        kind=kind,
        params=params,
    )
    async with sessionmaker() as session, session.begin():
        scope_session(session.sync_session, company_id)
        session.add(task)
    try:
        await asyncio.to_thread(send_task, celery, task.id, kind)
    except Exception as e:
        async with sessionmaker() as session, session.begin():
            scope_session(session.sync_session, company_id)
            stored = await session.get(Task, task.id)
            if stored is not None:
                stored.status = "failed"
                stored.error = f"could not queue the task: {e}"
        raise
    return task


def send_task(
    celery: Celery, task_id: str, kind: str, connection: Connection | None = None
) -> None:
    """Put "run task X" on the queue of its kind, with the time limits of its kind.

    The one way a task reaches the queue: the API sends it here when the task is created, and
    a worker on the embedded broker sends it again when its previous worker died holding it
    (``ln1.worker.recovery``), so both copies go to the same queue with the same limits.
    """
    limits: dict[str, float] = {}
    if kind in TIME_LIMIT_OF:
        hard = min(TIME_LIMIT_OF[kind], celery.conf.task_time_limit or TIME_LIMIT_OF[kind])
        limits = {"time_limit": hard, "soft_time_limit": hard * 0.9}
    celery.send_task(
        RUN_TASK,
        args=[task_id],
        queue=QUEUE_OF.get(kind, "default"),
        connection=connection,
        **limits,
    )
    wake_workers(celery.conf.broker_url)  # the embedded broker's workers poll only now and then
