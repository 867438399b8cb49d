"""Companies, their users and the users' API keys; roles and what they allow."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ln1.db.base import Base, TenantScoped, utcnow


class Role(enum.StrEnum):
    ADMIN = "admin"
    ANALYST = "analyst"
    MEMBER = "member"


class Permission(enum.StrEnum):
    CHAT = "chat"
    DATA_READ = "data:read"
    FILES_WRITE = "files:write"
    AI_GENERATE = "ai:generate"
    ADMIN = "admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.ANALYST: frozenset(
        {Permission.CHAT, Permission.DATA_READ, Permission.FILES_WRITE, Permission.AI_GENERATE}
    ),
    Role.MEMBER: frozenset({Permission.CHAT, Permission.FILES_WRITE}),
}


class Company(Base):
    __tablename__ = "companies"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(2))
    # ISO 3166-1 alpha-2 country ("PE", "ES"): how its answers write numbers (ln1.numbers).
    # None: the country of ``timezone``.
    region: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class User(TenantScoped, Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("company_id", "email", name="uq_users_company_email"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[str] = mapped_column(String(320))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped[Company] = relationship(lazy="raise")

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[Role(self.role)]


class ApiKey(TenantScoped, Base):
    """A user's API key. Only the SHA-256 of the key is stored; the key is shown once."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_user_id", "user_id"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(40), ForeignKey("users.id", ondelete="CASCADE"))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
