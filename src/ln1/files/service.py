"""Recording uploads and finding them again; a file is private to the user who uploaded it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.errors import NotFound
from ln1.files.models import File


async def get_file(session: AsyncSession, file_id: str, user_id: str) -> File:
    found = await session.scalar(select(File).where(File.id == file_id, File.user_id == user_id))
    if found is None:
        raise NotFound(f"file {file_id} not found")
    return found


async def get_files(session: AsyncSession, file_ids: list[str], user_id: str) -> list[File]:
    """The user's files in the order asked; any unknown or foreign id is a 404."""
    return [await get_file(session, file_id, user_id) for file_id in file_ids]


def storage_key(company_id: str, file_id: str) -> str:
    return f"{company_id}/files/{file_id}"
