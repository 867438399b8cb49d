"""Run Alembic migrations from code, so ``ln1 up`` and ``ln1 admin`` bring any database
(new SQLite file or empty PostgreSQL) to the current schema without an ini file."""

from __future__ import annotations

import time
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import NullPool, create_engine, text
from sqlalchemy.engine import make_url

MIGRATION_LOCK = 0x6C6E31  # "ln1": one PostgreSQL advisory lock for every schema change
MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# Tables the LangGraph checkpointer creates and migrates itself in the same database.
CHECKPOINTER_TABLES = frozenset(
    {"checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations", "writes"}
)


def sync_url(async_url: str) -> str:
    """The blocking-driver twin of the application's async URL (Alembic runs blocking)."""
    url = make_url(async_url)
    if url.get_backend_name() == "sqlite":
        url = url.set(drivername="sqlite")
    return url.render_as_string(hide_password=False)


def alembic_config(async_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", sync_url(async_url).replace("%", "%%"))
    return cfg


def upgrade(async_url: str, revision: str = "head") -> None:
    """Bring the database to ``revision``; on PostgreSQL one process at a time (API replicas,
    workers and ``ln1 admin`` may all start together)."""
    url = sync_url(async_url)
    if not url.startswith("postgresql"):
        command.upgrade(alembic_config(async_url), revision)
        return
    # Autocommit: no transaction stays open while waiting (CREATE INDEX CONCURRENTLY would
    # wait for it).
    engine = create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as lock:
            # Polling, not a blocking pg_advisory_lock: see ln1.orchestrator.checkpoint.
            while not lock.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": MIGRATION_LOCK}
            ).scalar():
                time.sleep(0.2)
            try:
                command.upgrade(alembic_config(async_url), revision)
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
    finally:
        engine.dispose()
