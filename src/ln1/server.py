"""``ln1 up``: migrate, optionally seed the demo, and serve until Ctrl-C or SIGTERM.

On SIGINT/SIGTERM uvicorn stops accepting, finishes in-flight requests and runs the
app's shutdown (checkpointer and engine closed); then ``ln1 up`` exits 0.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from types import FrameType

import uvicorn
from rich.console import Console

from ln1 import __version__
from ln1.app import create_app
from ln1.config import Settings
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.demo import DEMO_ADMIN_EMAIL, DEMO_SLUG, DemoSeed, seed_demo

console = Console(highlight=False, soft_wrap=True)


async def _seed(settings: Settings) -> DemoSeed:
    engine = make_engine(settings.sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            return await seed_demo(session)
    finally:
        await engine.dispose()


def serve(settings: Settings, demo: bool) -> None:
    if settings.is_sqlite:
        settings.ensure_data_dir()
    upgrade(settings.sqlalchemy_url)
    where = settings.data_dir.resolve() if settings.is_sqlite else "PostgreSQL"
    console.print(f"ln1 {__version__} · state in {where}")
    if demo:
        seed = asyncio.run(_seed(settings))
        if seed.key is not None:
            console.print(f"Demo company '{DEMO_SLUG}' created with admin {DEMO_ADMIN_EMAIL}.")
            console.print(f"Admin API key (shown once, store it now): {seed.key.secret}")
        else:
            console.print(
                f"Demo company '{DEMO_SLUG}' already exists. A new admin key: "
                f"ln1 admin create-key --company {DEMO_SLUG} --email {DEMO_ADMIN_EMAIL}"
            )
    base = f"http://{settings.host}:{settings.port}"
    console.print(f"API on {base} (Ctrl-C to stop)")
    config = uvicorn.Config(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
    )
    sys.stdout.flush()
    _serve_until_signal(uvicorn.Server(config))
    console.print("ln1 stopped")


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
