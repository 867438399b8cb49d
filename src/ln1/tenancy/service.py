"""Creating and looking up companies, users and API keys.

These functions take a *system* session (no tenant scope): they are used by the CLI and
by authentication, which by definition run before a company is known.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.db.base import utcnow
from ln1.db.writes import add_unique
from ln1.errors import InvalidInput, NotFound
from ln1.ids import new_id
from ln1.numbers import region_code
from ln1.tenancy.keys import display_prefix, hash_secret, new_secret
from ln1.tenancy.models import ROLE_PERMISSIONS, ApiKey, Company, Permission, Role, User

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """Who is calling: resolved from an API key once per request."""

    user_id: str
    user_name: str
    email: str
    role: Role
    company_id: str
    company_slug: str
    company_name: str
    timezone: str
    language: str
    region: str | None  # as stored: None means "the time zone's country" (ln1.numbers)
    key_id: str

    @property
    def permissions(self) -> frozenset[Permission]:
        return ROLE_PERMISSIONS[self.role]

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True)
class IssuedKey:
    """A key as created: the only moment its secret exists outside the caller's hands."""

    key_id: str
    secret: str
    user_id: str
    company_slug: str


async def create_company(
    session: AsyncSession,
    slug: str,
    name: str | None = None,
    timezone: str = "America/Lima",
    language: str = "es",
    region: str | None = None,
) -> Company:
    """A new company; ``region`` (a country code, any case) is checked and stored upper-case.

    Raises :class:`~ln1.errors.InvalidInput` for a bad slug, time zone, language or region
    (:class:`~ln1.numbers.UnknownRegion`), and :class:`~ln1.errors.Conflict` for a taken slug.
    """
    if not SLUG_RE.match(slug):
        raise InvalidInput(
            "company slug must be 1-63 lowercase letters, digits or dashes, "
            "not starting or ending with a dash"
        )
    _check_timezone(timezone)
    _check_language(language)
    company = Company(
        id=new_id("co"),
        slug=slug,
        name=name or slug,
        timezone=timezone,
        language=language,
        region=region_code(region) if region is not None else None,
    )
    await add_unique(session, company, f"a company with slug {slug!r} already exists")
    return company


# Passed as ``region`` to :func:`update_company`: back to the time zone's country.
REGION_FROM_TIMEZONE = "auto"


async def update_company(
    session: AsyncSession,
    slug: str,
    *,
    name: str | None = None,
    timezone: str | None = None,
    language: str | None = None,
    region: str | None = None,
) -> Company:
    """Change what is given of a company's name, time zone, language and region, checked as
    :func:`create_company` checks them (nothing is written unless all pass).

    A running server reads the company with each request's key, so the next answer follows.
    """
    company = await get_company_by_slug(session, slug)
    changes: dict[str, str | None] = {}
    if name is not None:
        changes["name"] = name
    if timezone is not None:
        _check_timezone(timezone)
        changes["timezone"] = timezone
    if language is not None:
        _check_language(language)
        changes["language"] = language
    if region is not None:
        auto = region.lower() == REGION_FROM_TIMEZONE
        changes["region"] = None if auto else region_code(region)
    for field, value in changes.items():  # only once every value has passed its check
        setattr(company, field, value)
    await session.flush()
    return company


def _check_timezone(timezone: str) -> None:
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"unknown time zone {timezone!r}") from exc


def _check_language(language: str) -> None:
    if language not in ("es", "en"):
        raise InvalidInput("language must be 'es' or 'en'")


async def get_company_by_slug(session: AsyncSession, slug: str) -> Company:
    company = await session.scalar(select(Company).where(Company.slug == slug))
    if company is None:
        raise NotFound(f"no company with slug {slug!r}")
    return company


async def create_user(
    session: AsyncSession, company: Company, email: str, role: Role, name: str | None = None
) -> User:
    email = email.strip().lower()
    if not EMAIL_RE.match(email):
        raise InvalidInput(f"{email!r} is not an email address")
    user = User(
        id=new_id("usr"),
        company_id=company.id,
        email=email,
        name=name or email.split("@", 1)[0],
        role=role.value,
    )
    await add_unique(session, user, f"{email} already exists in company {company.slug!r}")
    return user


async def get_user_by_email(session: AsyncSession, company: Company, email: str) -> User:
    user = await session.scalar(
        select(User).where(User.company_id == company.id, User.email == email.strip().lower())
    )
    if user is None:
        raise NotFound(f"no user {email!r} in company {company.slug!r}")
    return user


async def issue_key(session: AsyncSession, user: User, company: Company) -> IssuedKey:
    secret = new_secret("sk")
    key = ApiKey(
        id=new_id("key"),
        company_id=user.company_id,
        user_id=user.id,
        prefix=display_prefix(secret),
        key_hash=hash_secret(secret),
    )
    session.add(key)
    await session.flush()
    return IssuedKey(key_id=key.id, secret=secret, user_id=user.id, company_slug=company.slug)


async def revoke_key(session: AsyncSession, key_id: str, owner_id: str | None = None) -> None:
    """Revoke a key; with ``owner_id`` only if that user owns it (else: not found)."""
    query = update(ApiKey).where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
    if owner_id is not None:
        query = query.where(ApiKey.user_id == owner_id)
    result = await session.execute(query.values(revoked_at=utcnow()))
    if result.rowcount == 0:  # type: ignore[attr-defined]
        raise NotFound(f"no active API key {key_id!r}")


_PRINCIPAL_QUERY = (
    select(
        ApiKey.id,
        ApiKey.revoked_at,
        ApiKey.last_used_at,
        User.id,
        User.name,
        User.email,
        User.role,
        User.active,
        Company.id,
        Company.slug,
        Company.name,
        Company.timezone,
        Company.language,
        Company.region,
    )
    .join(User, User.id == ApiKey.user_id)
    .join(Company, Company.id == ApiKey.company_id)
)


async def authenticate(session: AsyncSession, secret: str) -> Principal | None:
    """Resolve a bearer key to its principal, or None when unknown, revoked or inactive.

    Selects plain columns rather than the three entities: this runs on every request,
    and building ORM objects cost more than the query itself.
    """
    row = (
        await session.execute(_PRINCIPAL_QUERY.where(ApiKey.key_hash == hash_secret(secret)))
    ).first()
    if row is None:
        return None
    (key_id, revoked_at, last_used_at, user_id, user_name, email, role, active) = row[:8]
    (company_id, slug, company_name, timezone, language, region) = row[8:]
    if revoked_at is not None or not active:
        return None
    now = utcnow()
    if last_used_at is None or now - last_used_at > LAST_USED_RESOLUTION:
        # Throttled so a busy key costs one write a minute, not one per request.
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))
        await session.commit()
    return Principal(
        user_id=user_id,
        user_name=user_name,
        email=email,
        role=Role(role),
        company_id=company_id,
        company_slug=slug,
        company_name=company_name,
        timezone=timezone,
        language=language,
        region=region,
        key_id=key_id,
    )
