"""Webhook events the edge forwarded: one row per ``(source, delivery_id)``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ln1.db.base import Base, JSONType, utcnow


class WebhookEvent(Base):
    """A provider's event as the edge normalised it.

    ``company_id`` is set when the edge route named a company (``/webhooks/{source}/{company}``);
    events that belong to no company yet (a provider-wide hook) keep it empty.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (
        UniqueConstraint("source", "delivery_id", name="uq_webhook_events_source_delivery"),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    company_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(100))
    delivery_id: Mapped[str] = mapped_column(String(200))
    received_at: Mapped[datetime]  # when the edge received it
    payload: Mapped[Any] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)  # when the origin stored it
