"""``ln1 up --demo``: a company to try ln1 with, created once per data folder, and its runner."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.demo_sales import demo_runner_config, ensure_demo_sales_db
from ln1.runners.models import Runner
from ln1.runners.service import create_runner, rotate_runner_token
from ln1.tenancy.keys import hash_secret
from ln1.tenancy.models import Company, Role
from ln1.tenancy.service import IssuedKey, create_company, create_user, issue_key

DEMO_SLUG = "demo"
DEMO_NAME = "Comercial Demo S.A.C."
DEMO_ADMIN_EMAIL = "ana.torres@demo.example"
DEMO_ADMIN_NAME = "Ana Torres"
DEMO_TIMEZONE = "America/Lima"
DEMO_REGION = "PE"  # a Peruvian company: "S/ 12,345.67"


@dataclass(frozen=True)
class DemoSeed:
    created: bool
    key: IssuedKey | None


async def seed_demo(session: AsyncSession) -> DemoSeed:
    """Create the demo company and its admin; a second call changes nothing."""
    if await session.scalar(select(Company).where(Company.slug == DEMO_SLUG)) is not None:
        return DemoSeed(created=False, key=None)
    company = await create_company(
        session, DEMO_SLUG, DEMO_NAME, DEMO_TIMEZONE, "es", region=DEMO_REGION
    )
    admin = await create_user(session, company, DEMO_ADMIN_EMAIL, Role.ADMIN, DEMO_ADMIN_NAME)
    key = await issue_key(session, admin, company)
    await session.commit()
    return DemoSeed(created=True, key=key)


DEMO_RUNNER_NAME = "ventas-demo"


@dataclass(frozen=True)
class DemoRunner:
    config_path: Path
    log_path: Path


async def register_demo_runner(session: AsyncSession, token: str | None) -> str | None:
    """Make sure the demo runner exists and ``token`` opens it; a new token if it did not.

    The token lives in a 0600 file next to the runner's config (the server keeps only its
    hash). If that file is lost, the token is rotated, so a restart on the same data folder
    always ends with a working runner.
    """
    company = await session.scalar(select(Company).where(Company.slug == DEMO_SLUG))
    if company is None:
        raise RuntimeError("the demo company must be seeded before its runner")
    runner = await session.scalar(
        select(Runner).where(Runner.company_id == company.id, Runner.name == DEMO_RUNNER_NAME)
    )
    new_token: str | None = None
    if runner is None:
        runner, new_token = await create_runner(session, company, DEMO_RUNNER_NAME)
    elif token is None or runner.token_hash != hash_secret(token) or runner.revoked_at:
        runner.revoked_at = None
        new_token = await rotate_runner_token(session, runner)
    await session.commit()
    return new_token


def write_demo_runner_files(folder: Path, server_url: str, today: date) -> DemoRunner:
    """The demo sales database (rebuilt when built on another day) and ``runner.toml``."""
    folder.mkdir(parents=True, exist_ok=True)
    database = ensure_demo_sales_db(folder / "ventas.sqlite", today)
    config_path = folder / "runner.toml"
    config_path.write_text(
        demo_runner_config(
            database, _ws_url(server_url), token_file(folder), folder / "audit.jsonl"
        )
    )
    return DemoRunner(config_path=config_path, log_path=folder / "runner.log")


def token_file(folder: Path) -> Path:
    return folder / "runner.token"


def read_token(folder: Path) -> str | None:
    path = token_file(folder)
    return path.read_text().strip() if path.is_file() else None


def write_token(folder: Path, token: str) -> None:
    path = token_file(folder)
    temp = path.with_suffix(".tmp")
    temp.touch(mode=0o600)
    temp.chmod(0o600)
    temp.write_text(token + "\n")
    temp.replace(path)


def _ws_url(server_url: str) -> str:
    return "ws" + server_url.removeprefix("http") if server_url.startswith("http") else server_url
