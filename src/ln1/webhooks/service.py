"""The envelope the edge sends, storing it once per ``(source, delivery_id)``, and reading a
company's stored events back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.errors import InvalidInput, Ln1Error, NotFound
from ln1.ids import new_id
from ln1.tasks.models import Task
from ln1.tenancy.models import Company
from ln1.webhooks.models import WebhookEvent, WebhookRule

# The same pattern the edge Worker accepts for a source name (edge/shared/envelope.ts).
SOURCE_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,31}$"
MAX_BODY_BYTES = 2 * 1024 * 1024


class NotConfigured(Ln1Error):
    status_code = 503
    code = "not_configured"


class PayloadTooLarge(Ln1Error):
    status_code = 413
    code = "too_large"


class Envelope(BaseModel):
    """One normalised event, whatever the provider (GitHub, Stripe, generic HMAC)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=SOURCE_PATTERN)
    event: str = Field(min_length=1, max_length=100)
    delivery_id: str = Field(min_length=1, max_length=200)
    received_at: AwareDatetime
    payload: dict[str, Any] | list[Any]
    company: str | None = Field(default=None, min_length=1, max_length=63)


@dataclass(frozen=True)
class Stored:
    row: WebhookEvent
    duplicate: bool


async def _existing(session: AsyncSession, source: str, delivery_id: str) -> WebhookEvent | None:
    return await session.scalar(
        select(WebhookEvent).where(
            WebhookEvent.source == source, WebhookEvent.delivery_id == delivery_id
        )
    )


async def matching_rule(
    session: AsyncSession, company_id: str, source: str, event: str
) -> WebhookRule | None:
    """The company's rule for this event, if it has one (a system read: the edge is no user)."""
    return await session.scalar(
        select(WebhookRule).where(
            WebhookRule.company_id == company_id,
            WebhookRule.source == source,
            WebhookRule.event == event,
        )
    )


async def store_event(session: AsyncSession, envelope: Envelope) -> Stored:
    """Insert the event, or return the one already stored under the same delivery id.

    The unique constraint is the judge, so two concurrent deliveries of the same event
    (the edge retrying while the first attempt is still being written) store one row. When
    one of the company's rules matches, the id of the task it will start is chosen here, in
    the same row: only the delivery that stores the event gets to choose one.
    """
    found = await _existing(session, envelope.source, envelope.delivery_id)
    if found is not None:
        return Stored(found, duplicate=True)
    company_id = None
    if envelope.company is not None:
        company_id = await session.scalar(
            select(Company.id).where(Company.slug == envelope.company)
        )
        if company_id is None:
            raise InvalidInput(f"no company with slug {envelope.company!r}")
    rule = None
    if company_id is not None:
        rule = await matching_rule(session, company_id, envelope.source, envelope.event)
    row = WebhookEvent(
        id=new_id("whk"),
        company_id=company_id,
        source=envelope.source,
        event=envelope.event,
        delivery_id=envelope.delivery_id,
        received_at=envelope.received_at,
        payload=envelope.payload,
        task_id=new_id("task") if rule is not None else None,
    )
    session.add(row)
    try:
        await session.commit()
    except IntegrityError:
        await session.rollback()
        found = await _existing(session, envelope.source, envelope.delivery_id)
        if found is None:
            raise
        return Stored(found, duplicate=True)
    return Stored(row, duplicate=False)


def event_summary(row: WebhookEvent) -> dict[str, Any]:
    received: datetime = row.received_at
    return {
        "id": row.id,
        "source": row.source,
        "event": row.event,
        "delivery_id": row.delivery_id,
        "company_id": row.company_id,
        "received_at": received.isoformat(),
        "task_id": row.task_id,
    }


def _with_task_status() -> Any:
    """Events with the status of the task a rule started for them (None without one)."""
    return select(WebhookEvent, Task.status).outerjoin(Task, Task.id == WebhookEvent.task_id)


async def list_events(
    session: AsyncSession,
    company_id: str,
    *,
    limit: int,
    cursor: str | None = None,
    source: str | None = None,
    event: str | None = None,
) -> tuple[list[tuple[WebhookEvent, str | None]], str | None]:
    """A company's events, newest first; ``cursor`` is the last id of the previous page."""
    query = _with_task_status().where(WebhookEvent.company_id == company_id)
    if cursor:
        query = query.where(WebhookEvent.id < cursor)
    if source:
        query = query.where(WebhookEvent.source == source)
    if event:
        query = query.where(WebhookEvent.event == event)
    rows = [
        (row, status)
        for row, status in await session.execute(
            query.order_by(WebhookEvent.id.desc()).limit(limit + 1)
        )
    ]
    next_cursor = rows[limit - 1][0].id if len(rows) > limit else None
    return rows[:limit], next_cursor


async def get_event(
    session: AsyncSession, company_id: str, event_id: str
) -> tuple[WebhookEvent, str | None]:
    """One of the company's events; another company's (or none) is a 404 alike."""
    found = (
        await session.execute(
            _with_task_status().where(
                WebhookEvent.id == event_id, WebhookEvent.company_id == company_id
            )
        )
    ).first()
    if found is None:
        raise NotFound(f"webhook event {event_id} not found")
    return found[0], found[1]
