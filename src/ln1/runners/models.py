"""Registered Local Runners of a company.

A runner authenticates with its own token (stored hashed) and can do nothing but be a
runner of its company. Online status is derived from ``last_seen_at``, which the tunnel
refreshes on every heartbeat; ``catalog`` is what the runner announced when it last connected.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ln1.db.base import Base, TenantScoped, utcnow


class Runner(TenantScoped, Base):
    __tablename__ = "runners"
    __table_args__ = (UniqueConstraint("company_id", "name", name="uq_runners_company_name"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_prefix: Mapped[str] = mapped_column(String(16))
    # HMAC key for signing this runner's orders, derived one-way from the token
    # (ln1_runner.protocol.order_key); the token itself is never stored.
    order_key: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[str | None] = mapped_column(String(40))
    dialect: Mapped[str | None] = mapped_column(String(40))
    catalog: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
