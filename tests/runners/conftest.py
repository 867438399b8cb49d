"""Real Local Runner processes for end-to-end tests: registered, configured and started.

A runner here is the installed ``ln1-runner`` console program (``python -m ln1_runner``) on a
real database, dialling a real ``ln1 up`` over WebSocket, exactly as at a client's site.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx
import pytest

from ln1.db.engine import make_engine, make_sessionmaker
from ln1.demo_sales import build_demo_sales_db, demo_runner_config
from ln1.runners.service import create_runner
from ln1.tenancy.service import get_company_by_slug
from tests.conftest import Backend, ServerProcess, Tenant


async def _register(backend: Backend, slug: str, name: str) -> tuple[str, str]:
    engine = make_engine(backend.settings.sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            company = await get_company_by_slug(session, slug)
            runner, token = await create_runner(session, company, name)
            await session.commit()
            return runner.id, token
    finally:
        await engine.dispose()


def register_runner(backend: Backend, slug: str, name: str = "ventas") -> tuple[str, str]:
    """A new runner of company ``slug``: its id and its token."""
    return asyncio.run(_register(backend, slug, name))


@dataclass
class RunnerProcess:
    """One ``ln1-runner run`` process with its config, token file, audit log and output."""

    folder: Path
    config_text: str
    runner_id: str
    proc: subprocess.Popen[bytes] | None = None
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def config_path(self) -> Path:
        return self.folder / "runner.toml"

    @property
    def audit_path(self) -> Path:
        return self.folder / "audit.jsonl"

    @property
    def log_path(self) -> Path:
        return self.folder / "runner.log"

    def start(self) -> None:
        self.config_path.write_text(self.config_text)
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ln1_runner", "run", "--config", str(self.config_path)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**_base_env(), **self.extra_env},
            )

    def stop(self) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def audit(self) -> list[dict[str, object]]:
        import json

        if not self.audit_path.exists():
            return []
        return [json.loads(line) for line in self.audit_path.read_text().splitlines() if line]

    def wait_online(self, client: httpx.Client, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"ln1-runner exited early:\n{self.logs()[-3000:]}")
            runners = client.get("/v1/runners").json()["data"]
            online = any(r["id"] == self.runner_id and r["status"] == "online" for r in runners)
            if online and "connected as runner" in self.logs():
                return
            time.sleep(0.1)
        raise RuntimeError(f"runner not online in {timeout}s:\n{self.logs()[-3000:]}")


def _base_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("LN1_")}


def ws_url(server: ServerProcess) -> str:
    return server.url.replace("http://", "ws://").replace("https://", "wss://")


def demo_config(
    folder: Path, server_url: str, token: str, database: Path | None = None, **overrides: str
) -> str:
    """The demo catalog on the demo sales database (built for today when not given)."""
    folder.mkdir(parents=True, exist_ok=True)
    token_file = folder / "runner.token"
    token_file.write_text(token)
    if database is None:
        database = folder / "ventas.sqlite"
        if not database.exists():
            build_demo_sales_db(database, date.today())
    text = demo_runner_config(database, server_url, token_file, folder / "audit.jsonl")
    for old, new in overrides.items():
        text = text.replace(old, new)
    return text


@pytest.fixture
def start_runner(
    backend: Backend, server: ServerProcess, tmp_path: Path
) -> Iterator[Callable[..., RunnerProcess]]:
    """Factory: register a runner for a tenant and start it on the demo sales database."""
    started: list[RunnerProcess] = []

    def start(tenant: Tenant, name: str = "ventas", wait: bool = True, **kw: str) -> RunnerProcess:
        runner_id, token = register_runner(backend, tenant.slug, name)
        folder = tmp_path / f"runner-{name}-{len(started)}"
        process = RunnerProcess(folder, demo_config(folder, ws_url(server), token, **kw), runner_id)
        started.append(process)
        process.start()
        if wait:
            with tenant.client() as client:
                process.wait_online(client)
        return process

    yield start
    for process in started:
        process.stop()
