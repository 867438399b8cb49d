"""``GET /v1/artifacts/{id}``: download a file ln1 produced, for the user it was made for."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse

from ln1.artifacts.service import get_artifact
from ln1.errors import NotFound
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission

router = APIRouter(prefix="/v1/artifacts", tags=["artifacts"])


@router.get("/{artifact_id}")
async def download_artifact(
    artifact_id: str,
    caller: Annotated[Caller, Depends(require(Permission.CHAT))],
    request: Request,
) -> FileResponse:
    artifact = await get_artifact(caller.session, artifact_id, caller.principal.user_id)
    path = request.app.state.storage.path(artifact.storage_key)
    if not path.is_file():
        raise NotFound(f"artifact {artifact_id} not found")
    return FileResponse(path, media_type=artifact.media_type, filename=artifact.filename)
