"""``/v1/me``, ``/v1/users`` and ``/v1/keys``: who am I, and a company admin's user and
key management (the same operations as ``ln1 admin``, scoped to the admin's company)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field
from sqlalchemy import select

from ln1.tenancy import service
from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import ApiKey, Company, Permission, Role, User

router = APIRouter(prefix="/v1", tags=["tenancy"])
Anyone = Annotated[Caller, Depends(require(Permission.CHAT))]
Admin = Annotated[Caller, Depends(require(Permission.ADMIN))]


class CompanyOut(BaseModel):
    id: str
    slug: str
    name: str
    timezone: str
    language: str
    region: str | None  # None: numbers follow the time zone's country


class MeOut(BaseModel):
    user_id: str
    email: str
    name: str
    role: str
    permissions: list[str]
    company: CompanyOut


class UserCreate(BaseModel):
    email: str = Field(max_length=320)
    role: Role
    name: str | None = Field(default=None, max_length=200)


class UserCreated(BaseModel):
    user_id: str
    email: str
    role: str
    key_id: str
    api_key: str


class KeyOut(BaseModel):
    id: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class UserOut(BaseModel):
    id: str
    email: str
    name: str
    role: str
    active: bool
    keys: list[KeyOut]


class UserList(BaseModel):
    data: list[UserOut]


@router.get("/me")
async def me(caller: Anyone) -> MeOut:
    p = caller.principal
    return MeOut(
        user_id=p.user_id,
        email=p.email,
        name=p.user_name,
        role=p.role.value,
        permissions=sorted(p.permissions),
        company=CompanyOut(
            id=p.company_id,
            slug=p.company_slug,
            name=p.company_name,
            timezone=p.timezone,
            language=p.language,
            region=p.region,
        ),
    )


@router.post("/users", status_code=201)
async def create_user(body: UserCreate, caller: Admin) -> UserCreated:
    company = await caller.session.get_one(Company, caller.principal.company_id)
    user = await service.create_user(caller.session, company, body.email, body.role, body.name)
    key = await service.issue_key(caller.session, user, company)
    await caller.session.commit()
    return UserCreated(
        user_id=user.id, email=user.email, role=user.role, key_id=key.key_id, api_key=key.secret
    )


@router.get("/users")
async def list_users(caller: Admin) -> UserList:
    users = list(await caller.session.scalars(select(User).order_by(User.email)))
    keys = list(await caller.session.scalars(select(ApiKey).order_by(ApiKey.id)))
    return UserList(
        data=[
            UserOut(
                id=u.id,
                email=u.email,
                name=u.name,
                role=u.role,
                active=u.active,
                keys=[
                    KeyOut.model_validate(k, from_attributes=True)
                    for k in keys
                    if k.user_id == u.id
                ],
            )
            for u in users
        ]
    )


@router.delete("/keys/{key_id}", status_code=204)
async def revoke_key(key_id: str, caller: Anyone) -> Response:
    """Admins revoke any key of their company; everyone else only their own keys."""
    owner = None if caller.principal.can(Permission.ADMIN) else caller.principal.user_id
    await service.revoke_key(caller.session, key_id, owner_id=owner)
    await caller.session.commit()
    return Response(status_code=204)
