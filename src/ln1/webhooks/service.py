"""The envelope the edge sends, and storing it once per ``(source, delivery_id)``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.errors import InvalidInput, Ln1Error
from ln1.ids import new_id
from ln1.tenancy.models import Company
from ln1.webhooks.models import WebhookEvent

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


async def store_event(session: AsyncSession, envelope: Envelope) -> Stored:
    """Insert the event, or return the one already stored under the same delivery id.

    The unique constraint is the judge, so two concurrent deliveries of the same event
    (the edge retrying while the first attempt is still being written) store one row.
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
    row = WebhookEvent(
        id=new_id("whk"),
        company_id=company_id,
        source=envelope.source,
        event=envelope.event,
        delivery_id=envelope.delivery_id,
        received_at=envelope.received_at,
        payload=envelope.payload,
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
    }
