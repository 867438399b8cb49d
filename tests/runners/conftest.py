"""Real Local Runner processes for end-to-end tests: registered, configured and started.

A runner here is the installed ``ln1-runner`` console program (``python -m ln1_runner``) on a
real database, dialling a real ``ln1 up`` over WebSocket, exactly as at a client's site.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import threading
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


# --- helpers for fault, TLS and multi-process tests ------------------------------------------

SALES_KEYWORDS = ["ventas", "venta", "sales", "día", "diario", "day", "daily"]
DATE_RANGE_PARAMS = {
    "date_from": {"type": "date", "description": "first day included"},
    "date_to": {"type": "date", "description": "last day included"},
}


def sales_entry(sql: str, name: str = "sales_by_day") -> dict[str, object]:
    """A catalog entry "Dame las ventas de ayer" picks: its SQL must use :date_from, :date_to."""
    return {
        "name": name,
        "description": "Ventas por día / Sales by day",
        "keywords": SALES_KEYWORDS,
        "sql": sql,
        "params": DATE_RANGE_PARAMS,
    }


def runner_toml(
    folder: Path,
    server_url: str,
    token: str,
    database_url: str,
    catalog: list[dict[str, object]],
    *,
    ca_file: Path | None = None,
    limits: dict[str, object] | None = None,
) -> str:
    """A ``runner.toml`` of one's own: any database, any catalog, any limits."""
    import json

    def lit(value: object) -> str:
        return json.dumps(value, ensure_ascii=False)

    folder.mkdir(parents=True, exist_ok=True)
    token_file = folder / "runner.token"
    token_file.write_text(token)
    out = ["[server]", f"url = {lit(server_url)}", f"token_file = {lit(str(token_file))}"]
    if ca_file is not None:
        out.append(f"ca_file = {lit(str(ca_file))}")
    out += ["", "[database]", f"url = {lit(database_url)}", "", "[limits]"]
    for key, value in {"max_rows": 1_000_000, **(limits or {})}.items():
        out.append(f"{key} = {lit(value)}")
    out += ["", "[audit]", f"path = {lit(str(folder / 'audit.jsonl'))}"]
    for entry in catalog:
        out += ["", "[[catalog]]"]
        for key in ("name", "description", "keywords"):
            out.append(f"{key} = {lit(entry[key])}")
        out.append(f"sql = '''\n{entry['sql']}\n'''")
        for name, spec in dict(entry.get("params") or {}).items():  # type: ignore[call-overload]
            fields = ", ".join(f"{k} = {lit(v)}" for k, v in spec.items())
            out.append(f"params.{name} = {{ {fields} }}")
    return "\n".join(out) + "\n"


def connections(process: RunnerProcess) -> int:
    """How many times the runner was welcomed by a server (its log says so each time)."""
    return process.logs().count("connected as runner")


def wait_for(what: str, check: Callable[[], object], timeout: float, every: float = 0.05) -> None:
    """Poll ``check`` until it is truthy; fail the test naming ``what`` otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(every)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def runner_status(client: httpx.Client, runner_id: str) -> str:
    [listed] = [r for r in client.get("/v1/runners").json()["data"] if r["id"] == runner_id]
    return str(listed["status"])


def log_says(server: ServerProcess, *words: str) -> bool:
    """Whether one line of the server's log holds all ``words``."""
    return any(all(w in line for w in words) for line in server.logs().splitlines())


def has_open(process: RunnerProcess, path: Path) -> bool:
    """Whether the runner process holds ``path`` open (Linux: its /proc fd table)."""
    assert process.proc is not None
    target = str(path.resolve())
    fds = Path(f"/proc/{process.proc.pid}/fd")
    try:
        return any(str(fd.readlink()) == target for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


@dataclass
class TLSServerProcess(ServerProcess):
    """``ln1 up`` serving HTTPS/WSS (LN1_TLS_CERTFILE/KEYFILE in ``env``), trusted via ``ca``."""

    ca_file: Path | None = None

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def client(self, key: str | None = None) -> httpx.Client:
        import ssl

        assert self.ca_file is not None
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        context = ssl.create_default_context(cafile=str(self.ca_file))
        return httpx.Client(base_url=self.url, headers=headers, verify=context, timeout=30)

    def start(self, timeout: float = 120) -> None:
        log = self.log_path.open("ab")
        argv = [sys.executable, "-m", "ln1", "up", "--data-dir", str(self.data_dir)]
        argv += ["--port", str(self.port), *self.args]
        self.proc = subprocess.Popen(argv, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        with self.client() as client:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"ln1 up exited early:\n{self.logs()[-4000:]}")
                try:
                    if client.get("/readyz", timeout=1).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
        self.proc.kill()
        self.proc.wait()
        raise RuntimeError(f"ln1 up (TLS) not ready in {timeout}s:\n{self.logs()[-4000:]}")


def ask(client: httpx.Client, content: str) -> dict:
    """Ask one question in a new thread; the assistant's reply."""
    thread = client.post("/v1/threads").json()["id"]
    response = client.post(f"/v1/threads/{thread}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.fixture
def spawn_runner() -> Iterator[Callable[[Path, str, str], RunnerProcess]]:
    """Factory: start ``ln1-runner run`` with a given config; stopped (and thawed) at the end."""
    started: list[RunnerProcess] = []

    def spawn(folder: Path, config_text: str, runner_id: str) -> RunnerProcess:
        process = RunnerProcess(folder, config_text, runner_id)
        started.append(process)
        process.start()
        return process

    yield spawn
    for process in started:
        if process.proc is not None and process.proc.poll() is None:
            process.proc.send_signal(signal.SIGCONT)  # a frozen runner cannot act on SIGTERM
        process.stop()


# ~100 000 rows (the chat's cap) in chunks of 10 rows: thousands of acknowledged chunks, so the
# stream lasts long enough to be cut in the middle.
SLOW_SQLITE_SQL = """
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200000)
SELECT date(:date_from) AS fecha, i AS facturas, i * 0.5 AS ventas
FROM n WHERE date(:date_to) IS NOT NULL
"""


def start_slow_runner(
    backend: Backend,
    server: ServerProcess,
    tenant: Tenant,
    spawn: Callable[..., RunnerProcess],
    folder: Path,
) -> tuple[RunnerProcess, Path]:
    """Runner «lento» on ``server``, online: its answer (SLOW_SQLITE_SQL in chunks of 10
    rows) lasts long enough to be cut. Also the database file it opens once an order starts."""
    runner_id, token = register_runner(backend, tenant.slug, "lento")
    database = folder / "slow.sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    text = runner_toml(
        folder / "runner",
        ws_url(server),
        token,
        empty_sqlite(database),
        [sales_entry(SLOW_SQLITE_SQL)],
        limits={"chunk_rows": 10},
    )
    runner = spawn(folder / "runner", text, runner_id)
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {tenant.keys['admin']}"}
    ) as client:
        runner.wait_online(client)
    return runner, database


def ask_while_killed_mid_stream(
    runner: RunnerProcess, database: Path, client: httpx.Client
) -> tuple[dict, float]:
    """Ask for yesterday's sales and kill ``runner`` once it streams them; the reply and how
    long it took. The runner opens ``database`` only when the order starts."""

    def kill_once_streaming() -> None:
        wait_for("the extraction to start", lambda: has_open(runner, database), 20, every=0.01)
        time.sleep(0.3)
        runner.kill()

    killer = threading.Thread(target=kill_once_streaming)
    killer.start()
    try:
        started = time.monotonic()
        reply = ask(client, "Dame las ventas de ayer")
        return reply, time.monotonic() - started
    finally:
        killer.join()


def empty_sqlite(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS placeholder (x INTEGER)")
    return f"sqlite:///{path}"
