"""``GET /v1/tasks/{id}`` and its SSE progress stream, for the user who started the task."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel
from sse_starlette import EventSourceResponse

from ln1.db.tenant import scope_session
from ln1.tasks.models import Task
from ln1.tasks.service import get_task, task_artifacts
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])

POLL_S = 0.25
FINAL = ("succeeded", "failed")


class TaskOut(BaseModel):
    id: str
    kind: str
    status: str
    stage: str | None
    progress: float
    result: dict[str, Any] | None
    error: str | None
    thread_id: str | None
    artifacts: list[dict[str, str]]


def task_out(task: Task, artifacts: list[dict[str, str]]) -> TaskOut:
    return TaskOut(
        id=task.id,
        kind=task.kind,
        status=task.status,
        stage=task.stage,
        progress=task.progress,
        result=task.result,
        error=task.error,
        thread_id=task.thread_id,
        artifacts=artifacts,
    )


@router.get("/{task_id}")
async def read_task(
    task_id: str, caller: Annotated[Caller, Depends(require(Permission.CHAT))]
) -> TaskOut:
    task = await get_task(caller.session, task_id, caller.principal.user_id)
    return task_out(task, await task_artifacts(caller.session, task.id))


@router.get("/{task_id}/events")
async def task_events(
    task_id: str,
    caller: Annotated[Caller, Depends(require(Permission.CHAT))],
    request: Request,
) -> EventSourceResponse:
    """``progress`` events while the task changes, then one ``done`` with the whole record."""
    principal = caller.principal
    await get_task(caller.session, task_id, principal.user_id)  # 404 before streaming
    await caller.session.close()  # the stream polls with short sessions of its own
    sessionmaker = request.app.state.deps.sessionmaker

    async def events() -> AsyncIterator[dict[str, str]]:
        last: tuple[str, str | None, float] | None = None
        while not await request.is_disconnected():
            async with sessionmaker() as session:
                scope_session(session.sync_session, principal.company_id)
                task = await get_task(session, task_id, principal.user_id)
                now = (task.status, task.stage, round(task.progress, 3))
                if task.status in FINAL:
                    out = task_out(task, await task_artifacts(session, task.id))
                    yield {"event": "done", "data": out.model_dump_json()}
                    return
            if now != last:
                last = now
                data = {"status": now[0], "stage": now[1], "progress": now[2]}
                yield {"event": "progress", "data": json.dumps(data)}
            await asyncio.sleep(POLL_S)

    return EventSourceResponse(events(), ping=15)
