"""``GET /v1/runners``: the company's runners and whether they are online."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ln1.runners.service import list_runners
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1/runners", tags=["runners"])


class RunnerOut(BaseModel):
    id: str
    name: str
    status: str
    last_seen: datetime | None
    version: str | None
    dialect: str | None


class RunnerList(BaseModel):
    data: list[RunnerOut]


@router.get("")
async def get_runners(
    caller: Annotated[Caller, Depends(require(Permission.CHAT))], request: Request
) -> RunnerList:
    timeout = request.app.state.deps.settings.runner_heartbeat_timeout_s
    runners = await list_runners(caller.session, timeout, request.app.state.hub.reachable)
    return RunnerList(data=[RunnerOut(**r.__dict__) for r in runners])
