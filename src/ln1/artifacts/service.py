"""Recording and finding artifacts. Like tasks, an artifact is private to its user."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.artifacts.models import Artifact
from ln1.artifacts.storage import LocalStorage
from ln1.errors import NotFound
from ln1.ids import new_id

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "png": "image/png",
    "parquet": "application/vnd.apache.parquet",
    "txt": "text/plain; charset=utf-8",
    "vtt": "text/vtt; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}


async def store_artifact(
    sessionmaker: async_sessionmaker[AsyncSession],
    storage: LocalStorage,
    *,
    company_id: str,
    user_id: str,
    kind: str,
    filename: str,
    write: Callable[[Path], object],
    task_id: str | None = None,
) -> Artifact:
    """Write the bytes with ``write(path)``, then record the artifact in its own transaction.

    Its own short session keeps the write transaction away from the caller's (a chat turn
    must not hold a SQLite write lock while it waits on other things).
    """
    artifact_id = new_id("art")
    key = f"{company_id}/{artifact_id}.{kind}"
    write(storage.temp_path(key))
    size, sha256 = storage.commit(key)
    artifact = Artifact(
        id=artifact_id,
        company_id=company_id,
        user_id=user_id,
        task_id=task_id,
        kind=kind,
        filename=filename,
        media_type=MEDIA_TYPES.get(kind, "application/octet-stream"),
        size=size,
        sha256=sha256,
        storage_key=key,
    )
    async with sessionmaker() as session, session.begin():
        session.add(artifact)
    return artifact


async def get_artifact(session: AsyncSession, artifact_id: str, user_id: str) -> Artifact:
    artifact = await session.scalar(
        select(Artifact).where(Artifact.id == artifact_id, Artifact.user_id == user_id)
    )
    if artifact is None:
        raise NotFound(f"artifact {artifact_id} not found")
    return artifact


def artifact_ref(artifact: Artifact) -> dict[str, str]:
    """How messages and tasks point at an artifact."""
    return {
        "id": artifact.id,
        "kind": artifact.kind,
        "filename": artifact.filename,
        "url": f"/v1/artifacts/{artifact.id}",
    }
