"""``GET /v1/tasks/{id}``: a task's state, for the user who started it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from ln1.tasks.service import get_task
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1/tasks", tags=["tasks"])


class TaskOut(BaseModel):
    id: str
    kind: str
    status: str
    stage: str | None
    progress: float
    result: dict[str, Any] | None
    error: str | None
    artifacts: list[dict[str, str]]


@router.get("/{task_id}")
async def read_task(
    task_id: str, caller: Annotated[Caller, Depends(require(Permission.CHAT))]
) -> TaskOut:
    task = await get_task(caller.session, task_id, caller.principal.user_id)
    return TaskOut(
        id=task.id,
        kind=task.kind,
        status=task.status,
        stage=task.stage,
        progress=task.progress,
        result=task.result,
        error=task.error,
        artifacts=[],
    )
