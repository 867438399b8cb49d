"""``ln1 up --demo``: a company to try ln1 with, created once per data folder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.tenancy.models import Company, Role
from ln1.tenancy.service import IssuedKey, create_company, create_user, issue_key

DEMO_SLUG = "demo"
DEMO_NAME = "Comercial Demo S.A.C."
DEMO_ADMIN_EMAIL = "ana.torres@demo.example"
DEMO_ADMIN_NAME = "Ana Torres"


@dataclass(frozen=True)
class DemoSeed:
    created: bool
    key: IssuedKey | None


async def seed_demo(session: AsyncSession) -> DemoSeed:
    """Create the demo company and its admin; a second call changes nothing."""
    if await session.scalar(select(Company).where(Company.slug == DEMO_SLUG)) is not None:
        return DemoSeed(created=False, key=None)
    company = await create_company(session, DEMO_SLUG, DEMO_NAME, "America/Lima", "es")
    admin = await create_user(session, company, DEMO_ADMIN_EMAIL, Role.ADMIN, DEMO_ADMIN_NAME)
    key = await issue_key(session, admin, company)
    await session.commit()
    return DemoSeed(created=True, key=key)
