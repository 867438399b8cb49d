"""Threads and messages in the database. Sessions here are always tenant-scoped;
threads are also private to the user who opened them."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from ln1.conversations.models import Message, Thread
from ln1.conversations.schemas import MessageOut
from ln1.db.base import utcnow
from ln1.errors import NotFound
from ln1.ids import floor_id, new_id
from ln1.tenancy.service import Principal

TITLE_LENGTH = 80


async def create_thread(session: AsyncSession, principal: Principal, title: str | None) -> Thread:
    thread = Thread(
        id=new_id("thr"), company_id=principal.company_id, user_id=principal.user_id, title=title
    )
    session.add(thread)
    await session.commit()
    return thread


async def get_thread(session: AsyncSession, principal: Principal, thread_id: str) -> Thread:
    thread = await session.scalar(
        select(Thread).where(Thread.id == thread_id, Thread.user_id == principal.user_id)
    )
    if thread is None:
        raise NotFound(f"thread {thread_id} not found")
    return thread


async def list_threads(
    session: AsyncSession, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[Thread], str | None]:
    """Newest first; ``cursor`` is the last id of the previous page."""
    query = select(Thread).where(Thread.user_id == principal.user_id)
    if cursor:
        query = query.where(Thread.id < cursor)
    rows = list(await session.scalars(query.order_by(Thread.id.desc()).limit(limit + 1)))
    next_cursor = rows[limit - 1].id if len(rows) > limit else None
    return rows[:limit], next_cursor


async def list_messages(
    session: AsyncSession, thread: Thread, limit: int, after: str | None
) -> tuple[list[Message], bool]:
    """Oldest first, starting after message id ``after``."""
    query = select(Message).where(Message.thread_id == thread.id)
    if after:
        query = query.where(Message.id > after)
    rows = list(await session.scalars(query.order_by(Message.id).limit(limit + 1)))
    return rows[:limit], len(rows) > limit


def _message(thread: Thread, role: str, content: str, **fields: Any) -> Message:
    return Message(
        id=new_id("msg"),
        company_id=thread.company_id,
        thread_id=thread.id,
        role=role,
        content=content,
        created_at=utcnow(),
        **fields,
    )


_MESSAGE_COLUMNS = tuple(column.key for column in Message.__table__.columns)


async def record_turn(
    session: AsyncSession,
    thread: Thread,
    user_content: str,
    file_ids: list[str],
    reply: dict[str, Any] | None,
) -> Message:
    """Store a turn in one transaction: the user's message and, unless the turn failed
    (``reply`` None), the assistant's. Returns the last message stored.

    The messages go in as one multi-row INSERT, not through the unit of work: this runs on
    every chat turn, and flushing two new ORM objects cost about as much as the rest of the
    turn's SQL together. Their company is ``thread``'s, which was loaded through the
    caller's scoped session. The thread's UPDATE is an ORM statement, so ``ln1.db.tenant``
    scopes it like every other.
    """
    messages = [
        _message(
            thread,
            "user",
            user_content,
            details={"file_ids": file_ids} if file_ids else None,
        )
    ]
    if reply is not None:
        messages.append(_message(thread, "assistant", **reply))
    values: dict[str, Any] = {"updated_at": utcnow()}
    if thread.title is None:
        values["title"] = user_content.strip().splitlines()[0][:TITLE_LENGTH]
    await session.execute(
        insert(Message.__table__),
        [{key: getattr(m, key) for key in _MESSAGE_COLUMNS} for m in messages],
    )
    # No session synchronisation: the loaded thread is updated just below, by hand.
    await session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    for key, value in values.items():  # the loaded Thread mirrors what was written
        set_committed_value(thread, key, value)
    return messages[-1]


def message_out(message: Message) -> MessageOut:
    details = message.details or {}
    return MessageOut(
        id=message.id,
        thread_id=message.thread_id,
        role=message.role,
        content=message.content,
        route=message.route,
        intent=message.intent,
        confidence=details.get("confidence"),
        slots=details.get("slots"),
        data=details.get("data"),
        task_id=message.task_id,
        artifacts=details.get("artifacts"),
        written_by=details.get("written_by"),
        created_at=message.created_at,
    )


def now_id() -> str:
    """A message id that sorts before every message stored from now on."""
    return floor_id("msg")
