"""Fixtures: real ln1 servers on real databases, and tenants to talk to them.

Every test that uses ``api`` runs twice: against a server on the embedded default
(SQLite under a temporary data folder) and against one on a throw-away PostgreSQL
database created for this run and dropped afterwards. The servers are real processes
started with ``python -m ln1 up``, spoken to over real HTTP.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest

from ln1.config import Settings
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.tenancy.models import Role
from ln1.tenancy.service import create_company, create_user, issue_key

PG_ADMIN_DSN = os.environ.get("LN1_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
BACKENDS = ("sqlite", "postgresql")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class ServerProcess:
    """A running ``ln1 up``; ``restart()`` stops it with SIGTERM and starts it again."""

    env: dict[str, str]
    data_dir: Path
    port: int
    log_path: Path
    args: list[str] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> None:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ln1",
                "up",
                "--data-dir",
                str(self.data_dir),
                "--port",
                str(self.port),
                *self.args,
            ],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ln1 up exited early:\n{self.log_path.read_text()[-4000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.proc.kill()  # never leave a half-started server behind
        self.proc.wait()
        raise RuntimeError(f"ln1 up not ready in {timeout}s:\n{self.log_path.read_text()[-4000:]}")

    def stop(self, timeout: float = 20) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def restart(self) -> None:
        self.stop()
        self.start()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Backend:
    name: str
    env: dict[str, str]
    settings: Settings


def _create_pg_database() -> str:
    name = f"ln1_test_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is needed for the postgresql half of the suite and did not answer "
            f"at {PG_ADMIN_DSN}: {exc}. Start it (see shared/SERVICES.md) or run .ci/run."
        )
    return name


def _drop_pg_database(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


MODEL_CACHE = Path(os.environ.get("LN1_TEST_CACHE", Path(__file__).parent / ".cache"))


def pytest_configure(config: pytest.Config) -> None:
    """Train the intent model into the shared cache once, in the controlling process, before
    pytest-xdist's workers start: on a clean clone each worker's first server would
    otherwise train it at the same time (over a minute each here)."""
    if not hasattr(config, "workerinput"):
        IntentEngine.ensure_cached(MODEL_CACHE)


def make_backend(name: str, data_dir: Path) -> tuple[Backend, str | None]:
    """A backend's environment; for PostgreSQL also the new database's name.

    Test servers share one model cache so only the first one trains the IntentEngine.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("LN1_")}
    env["LN1_DATA_DIR"] = str(data_dir)
    env["LN1_CACHE_DIR"] = str(MODEL_CACHE)
    env["LN1_LOG_FORMAT"] = "json"
    # Most API tests need no worker; the worker tests start servers that run one.
    env["LN1_WORKER_PROCESSES"] = "0"
    # One API process each: starts and stops twice as fast. The tests of several processes
    # (tests/test_processes.py, tests/runners/test_local_relay.py) ask for them.
    env["LN1_API_PROCESSES"] = "1"
    pg_name = None
    if name == "postgresql":
        pg_name = _create_pg_database()
        env["LN1_DATABASE_URL"] = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{pg_name}"
    settings = Settings(data_dir=data_dir, database_url=env.get("LN1_DATABASE_URL"), _env_file=None)
    return Backend(name, env, settings), pg_name


@pytest.fixture(scope="session", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    data_dir = tmp_path_factory.mktemp(f"data-{request.param}")
    b, pg_name = make_backend(request.param, data_dir)
    try:
        yield b
    finally:
        if pg_name:
            _drop_pg_database(pg_name)


@pytest.fixture(params=BACKENDS)
def fresh_server(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, Backend]]:
    """A server of the test's own on a new database, for tests that stop or restart it."""
    b, pg_name = make_backend(request.param, tmp_path / "data")
    proc = ServerProcess(b.env, b.settings.data_dir, free_port(), tmp_path / "server.log")
    try:
        yield proc, b
    finally:
        if proc.proc and proc.proc.poll() is None:
            proc.stop()
        if pg_name:
            _drop_pg_database(pg_name)


@pytest.fixture(scope="session")
def server(backend: Backend, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    logs = tmp_path_factory.mktemp("logs") / f"server-{backend.name}.log"
    proc = ServerProcess(backend.env, backend.settings.data_dir, free_port(), logs)
    proc.start()
    yield proc
    if proc.proc and proc.proc.poll() is None:
        proc.stop()


@dataclass
class Tenant:
    """A company with one user per role; ``client(role)`` is an httpx client with that key."""

    slug: str
    company_id: str
    keys: dict[str, str]
    key_ids: dict[str, str]
    user_ids: dict[str, str]
    base_url: str

    def client(self, role: str = "admin") -> httpx.Client:
        return httpx.Client(
            base_url=self.base_url,
            headers={"Authorization": f"Bearer {self.keys[role]}"},
            timeout=30,
        )


async def _create_tenant(settings: Settings, base_url: str) -> Tenant:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            slug = f"co-{secrets.token_hex(4)}"
            company = await create_company(session, slug, f"Empresa {slug}")
            keys, key_ids, user_ids = {}, {}, {}
            for role in Role:
                user = await create_user(
                    session,
                    company,
                    f"{role.value}@{slug}.example",
                    role,
                    f"{role.value.title()} User",
                )
                issued = await issue_key(session, user, company)
                keys[role.value], key_ids[role.value] = issued.secret, issued.key_id
                user_ids[role.value] = user.id
            await session.commit()
            return Tenant(slug, company.id, keys, key_ids, user_ids, base_url)
    finally:
        await engine.dispose()


@pytest.fixture
def make_tenant(backend: Backend, server: ServerProcess):
    """Factory for fresh companies on the running server's database."""
    upgrade(backend.settings.sqlalchemy_url)

    def make() -> Tenant:
        return asyncio.run(_create_tenant(backend.settings, server.url))

    return make


@pytest.fixture
def tenant(make_tenant) -> Tenant:
    return make_tenant()


@pytest.fixture
def other_tenant(make_tenant) -> Tenant:
    return make_tenant()
