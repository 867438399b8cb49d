"""Webhook events the edge forwarded (one row per ``(source, delivery_id)``), and the rules by
which a company's events start tasks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ln1.db.base import Base, JSONType, TenantScoped, utcnow


class WebhookEvent(Base):
    """A provider's event as the edge normalised it.

    ``company_id`` is set when the edge route named a company (``/webhooks/{source}/{company}``);
    events that belong to no company yet (a provider-wide hook) keep it empty.

    ``task_id`` is chosen, in the same transaction that stores the event, when one of the
    company's rules matches it: a task id exists for an event at most once, whatever the edge
    delivers again (see ``ln1.webhooks.flows``).
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
    task_id: Mapped[str | None] = mapped_column(String(40))


class WebhookRule(TenantScoped, Base):
    """When ``event`` of ``source`` arrives for this company, start a ``kind`` task.

    The task runs as the admin who made the rule (tasks belong to a user) and posts its result
    in the rule's own thread, so it shows up in that admin's conversations like any other task.
    One rule per ``(source, event)``: an event starts at most one task.
    """

    __tablename__ = "webhook_rules"
    __table_args__ = (
        UniqueConstraint(
            "company_id", "source", "event", name="uq_webhook_rules_company_source_event"
        ),
    )

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[str | None] = mapped_column(
        String(40), ForeignKey("threads.id", ondelete="SET NULL")
    )
    source: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(32))
    prompt: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
