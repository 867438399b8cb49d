"""``POST /v1/files``: a user's upload, streamed to storage and checked by its content."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from ln1.files.kinds import identify
from ln1.files.models import File
from ln1.files.service import get_file, storage_key
from ln1.files.upload import TooLarge, receive_file
from ln1.ids import new_id
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1/files", tags=["files"])

MULTIPART_OVERHEAD = 64 * 1024  # boundaries and part headers around the file itself


class FileOut(BaseModel):
    id: str
    filename: str
    size: int
    sha256: str
    kind: str
    created_at: datetime


def _out(row: File) -> FileOut:
    return FileOut(
        id=row.id,
        filename=row.filename,
        size=row.size,
        sha256=row.sha256,
        kind=row.kind,
        created_at=row.created_at,
    )


@router.post("", status_code=201)
async def upload_file(
    caller: Annotated[Caller, Depends(require(Permission.FILES_WRITE))], request: Request
) -> FileOut:
    settings = request.app.state.deps.settings
    storage = request.app.state.storage
    limit = settings.max_upload_bytes
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + MULTIPART_OVERHEAD:
        raise TooLarge(f"the file is larger than the {limit} bytes limit")
    principal = caller.principal
    file_id = new_id("file")
    key = storage_key(principal.company_id, file_id)
    temp = await asyncio.to_thread(storage.temp_path, key)
    received = await receive_file(
        request.stream(), request.headers.get("content-type", ""), temp, limit
    )
    try:
        kind = await asyncio.to_thread(identify, temp)
    except Exception:
        await asyncio.to_thread(storage.discard, key)
        raise
    await asyncio.to_thread(storage.promote, key)
    row = File(
        id=file_id,
        company_id=principal.company_id,
        user_id=principal.user_id,
        filename=received.filename,
        kind=kind,
        size=received.size,
        sha256=received.sha256,
        storage_key=key,
    )
    caller.session.add(row)
    await caller.session.commit()
    return _out(row)


@router.get("/{file_id}")
async def read_file(
    file_id: str, caller: Annotated[Caller, Depends(require(Permission.CHAT))]
) -> FileOut:
    return _out(await get_file(caller.session, file_id, caller.principal.user_id))
