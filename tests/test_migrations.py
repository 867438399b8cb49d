"""Alembic migrations build the schema from empty, and match the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import ln1.db.models  # noqa: F401 - registers every table
from ln1.db.base import Base
from ln1.db.migrate import CHECKPOINTER_TABLES, sync_url, upgrade
from tests.conftest import _drop_pg_database, make_backend


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    backend, pg_name = make_backend(request.param, tmp_path)
    yield backend.settings.sqlalchemy_url
    if pg_name:
        _drop_pg_database(pg_name)


def test_upgrade_from_empty_creates_every_table(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine(sync_url(empty_database))
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(Base.metadata.tables) <= tables


def test_models_match_migrations(empty_database: str) -> None:
    upgrade(empty_database)
    engine = create_engine(sync_url(empty_database))
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "compare_type": True,
                    "include_object": lambda obj, name, type_, *_: (
                        not (type_ == "table" and name in CHECKPOINTER_TABLES)
                    ),
                },
            )
            diff = compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_upgrade_twice_is_a_no_op(empty_database: str) -> None:
    upgrade(empty_database)
    upgrade(empty_database)
