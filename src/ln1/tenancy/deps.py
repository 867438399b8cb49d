"""The request's caller: authentication (401) and permission checks (403) in one place.

``require(permission)`` is the only way a view gets a database session, and that
session is already bound to the caller's company (``ln1.db.tenant``), so a view cannot
read or write another company's rows by forgetting a filter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.db.tenant import scope_session
from ln1.errors import PermissionDenied, Unauthenticated
from ln1.tenancy.models import Permission
from ln1.tenancy.service import Principal, authenticate


@dataclass(frozen=True)
class Caller:
    principal: Principal
    session: AsyncSession


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("missing API key: send 'Authorization: Bearer <key>'")
    return token.strip()


async def _caller(request: Request) -> AsyncIterator[Caller]:
    token = bearer_token(request)
    async with request.app.state.deps.sessionmaker() as session:
        principal = await authenticate(session, token)
        if principal is None:
            raise Unauthenticated("invalid or revoked API key")
        scope_session(session.sync_session, principal.company_id)
        yield Caller(principal, session)


def require(permission: Permission) -> Callable[..., Awaitable[Caller]]:
    """Dependency: an authenticated caller holding ``permission``."""

    async def dependency(caller: Caller = Depends(_caller)) -> Caller:  # noqa: B008
        if not caller.principal.can(permission):
            raise PermissionDenied(f"your role ({caller.principal.role}) lacks {permission}")
        return caller

    return dependency
