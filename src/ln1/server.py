"""``ln1 up``: migrate, optionally seed the demo, and serve until Ctrl-C or SIGTERM.

On SIGINT/SIGTERM uvicorn stops accepting, finishes in-flight requests and runs the
app's shutdown (checkpointer and engine closed); then ``ln1 up`` exits 0.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from datetime import datetime
from functools import partial
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import uvicorn
from rich.console import Console

from ln1 import __version__
from ln1.api_processes import ApiProcesses
from ln1.app import create_app
from ln1.config import Settings
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.demo import (
    DEMO_ADMIN_EMAIL,
    DEMO_RUNNER_NAME,
    DEMO_SLUG,
    DEMO_TIMEZONE,
    DemoSeed,
    read_token,
    register_demo_runner,
    seed_demo,
    write_demo_runner_files,
    write_token,
)
from ln1.ops.metrics import MULTIPROCESS_ENV, share_metrics
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.supervise import Child, Supervisor

console = Console(highlight=False, soft_wrap=True)


async def _seed(settings: Settings, runner_folder: Path) -> DemoSeed:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            seed = await seed_demo(session)
            token = await register_demo_runner(session, read_token(runner_folder))
            if token is not None:
                write_token(runner_folder, token)
            return seed
    finally:
        await engine.dispose()


def _demo_runner(settings: Settings, base_url: str, timezone: str) -> Child:
    """The demo's Local Runner as a real ``ln1-runner`` process next to the API."""
    folder = settings.data_dir / "demo-runner"
    files = write_demo_runner_files(folder, base_url, datetime.now(ZoneInfo(timezone)).date())
    return Child(
        name="demo-runner",
        argv=[sys.executable, "-m", "ln1_runner", "run", "--config", str(files.config_path)],
        log_path=files.log_path,
    )


def _worker(settings: Settings) -> Child:
    """A Celery worker for every queue, on the same data folder, database and broker."""
    env = {**os.environ, "LN1_DATA_DIR": str(settings.data_dir.resolve())}
    env.pop(MULTIPROCESS_ENV, None)  # its metrics are not the API's
    if settings.database_url:
        env["LN1_DATABASE_URL"] = settings.database_url
    return Child(
        name="worker",
        argv=[
            sys.executable,
            "-m",
            "ln1",
            "worker",
            "--concurrency",
            str(settings.worker_processes),
        ],
        log_path=settings.data_dir / "logs" / "worker.log",
        env=env,
    )


def serve(settings: Settings, demo: bool) -> None:
    if settings.is_sqlite:
        settings.ensure_data_dir()
    upgrade(settings.sqlalchemy_url)
    where = settings.data_dir.resolve() if settings.is_sqlite else "PostgreSQL"
    console.print(f"ln1 {__version__} · state in {where}")
    scheme = "https" if settings.tls_certfile else "http"
    base = f"{scheme}://{settings.host}:{settings.port}"
    local_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    local = f"{scheme}://{local_host}:{settings.port}"
    supervisor = Supervisor()
    if demo:
        runner_folder = settings.data_dir / "demo-runner"
        runner_folder.mkdir(parents=True, exist_ok=True)
        seed = asyncio.run(_seed(settings, runner_folder))
        if seed.key is not None:
            console.print(f"Demo company '{DEMO_SLUG}' created with admin {DEMO_ADMIN_EMAIL}.")
            console.print(f"Admin API key (shown once, store it now): {seed.key.secret}")
        else:
            console.print(
                f"Demo company '{DEMO_SLUG}' already exists. A new admin key: "
                f"ln1 admin create-key --company {DEMO_SLUG} --email {DEMO_ADMIN_EMAIL}"
            )
        supervisor.children.append(_demo_runner(settings, local, DEMO_TIMEZONE))
        console.print(
            f"Demo Local Runner «{DEMO_RUNNER_NAME}» on {runner_folder / 'ventas.sqlite'}"
        )
    if settings.worker_processes:
        supervisor.children.append(_worker(settings))
    processes = settings.api_processes
    console.print(
        f"API on {base} ({processes} process{'es' if processes > 1 else ''}; Ctrl-C to stop)"
    )
    try:
        if processes == 1:
            _serve_one(settings, supervisor)
        else:
            _serve_many(settings, supervisor)
    finally:
        supervisor.stop()
    console.print("ln1 stopped")


def _uvicorn_config(settings: Settings, app: Any, **extra: Any) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        ssl_certfile=settings.tls_certfile,
        ssl_keyfile=settings.tls_keyfile,
        **extra,
    )


def _serve_one(settings: Settings, supervisor: Supervisor) -> None:
    server = uvicorn.Server(_uvicorn_config(settings, create_app(settings)))
    sys.stdout.flush()
    supervisor.start_when(lambda: server.started)
    _serve_until_signal(server)


def _serve_many(settings: Settings, supervisor: Supervisor) -> None:
    """``api_processes`` API processes on one port (see ``ln1.api_processes``).

    Each builds its own app from the same settings. What they must share lives under the
    data folder (``ln1.orchestrator.turnlock``, ``ln1.runners.local_relay``,
    ``ln1.ops.metrics``). The intent model is trained here first, once, so the processes
    load it instead of each training their own.
    """
    IntentEngine.ensure_cached(settings.model_cache_dir)
    share_metrics(settings.run_dir / "metrics")
    config = _uvicorn_config(settings, partial(create_app, settings), factory=True)
    processes = ApiProcesses(config, settings.api_processes)
    sys.stdout.flush()
    supervisor.start_when(lambda: _announce_once(processes))
    try:
        processes.run()
    except OSError as e:  # the port: in use, or not ours to take
        console.print(f"[red]error:[/red] cannot listen on {settings.host}:{settings.port}: {e}")
        raise SystemExit(1) from e
    if processes.failed_to_start:
        console.print("[red]error:[/red] the API could not start (see the log above)")
        raise SystemExit(1)


def _announce_once(processes: ApiProcesses) -> bool:
    """Whether all API processes serve; says so once (the demo's runner and the worker
    start then, not while half the port's sockets still queue connections)."""
    if not processes.ready.is_set():
        return False
    console.print(f"API ready: {processes.count} processes serving")
    sys.stdout.flush()
    return True


def _serve_until_signal(server: uvicorn.Server) -> None:
    """Serve; a SIGINT/SIGTERM ends in a graceful shutdown and a normal exit.

    uvicorn handles the signal (drain, app shutdown) and afterwards re-raises it to the
    handler that was installed before it started. Installing a no-op there turns that
    re-raise into a plain return, so ``ln1 up`` exits 0 once everything is closed.
    """
    previous = {sig: signal.signal(sig, _stopped) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        server.run()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stopped(_signum: int, _frame: FrameType | None) -> None:
    """The graceful shutdown already happened; nothing is left to do."""
