"""Request and response bodies of the conversations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class ThreadCreate(BaseModel):
    title: str | None = Field(default=None, max_length=200)


class MessageCreate(BaseModel):
    content: str = Field(min_length=1, max_length=20_000)
    file_ids: list[str] = Field(default_factory=list, max_length=20)
    stream: bool = False


class MessageOut(BaseModel):
    id: str
    thread_id: str
    role: str
    content: str
    route: str | None = None
    intent: str | None = None
    confidence: float | None = None
    slots: dict[str, Any] | None = None
    data: dict[str, Any] | None = None
    task_id: str | None = None
    artifacts: list[dict[str, str]] | None = None
    written_by: str | None = None  # "rules", "llm" or "llm+rules"; None on user messages
    created_at: datetime


class ThreadOut(BaseModel):
    id: str
    title: str | None
    created_at: datetime
    updated_at: datetime


class ThreadWithMessages(ThreadOut):
    messages: list[MessageOut]
    has_more: bool


class ThreadPage(BaseModel):
    data: list[ThreadOut]
    next_cursor: str | None
