"""The orchestrator graph in-process, on a real SQLite database and checkpointer."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from ln1.artifacts.storage import LocalStorage
from ln1.config import Settings
from ln1.conversations.models import Thread
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.db.tenant import scope_session
from ln1.files.models import File
from ln1.orchestrator.checkpoint import open_checkpointer
from ln1.orchestrator.deps import OrchestratorDeps, run_config
from ln1.orchestrator.graph import build_graph
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.runners.hub import RunnerHub
from ln1.tasks.models import Task
from ln1.tenancy.models import Role
from ln1.tenancy.service import authenticate, create_company, create_user, issue_key
from ln1.worker.celery_app import make_celery
from tests.conftest import MODEL_CACHE


async def run_turns(
    tmp: Path,
    threshold: float,
    messages: list[str],
    timezone: str = "America/Lima",
    region: str | None = None,
    file_ids: list[str] | None = None,
) -> list[dict]:
    settings = Settings(data_dir=tmp, cache_dir=MODEL_CACHE, intent_threshold=threshold)
    upgrade(settings.sqlalchemy_url)
    engine = make_engine(settings.sqlalchemy_url)
    sessionmaker = make_sessionmaker(engine)
    async with sessionmaker() as session:
        company = await create_company(session, "g", "Graph SA", timezone, "es", region)
        user = await create_user(session, company, "a@g.example", Role.ADMIN, "Ana")
        key = await issue_key(session, user, company)
        session.add(Thread(id="thr_graph", company_id=company.id, user_id=user.id))
        for file_id in file_ids or []:  # records only: a task is queued, never run here
            session.add(
                File(
                    id=file_id,
                    company_id=company.id,
                    user_id=user.id,
                    filename=f"{file_id}.xlsx",
                    kind="xlsx",
                    size=1,
                    sha256="0" * 64,
                    storage_key=f"{company.id}/files/{file_id}",
                )
            )
        await session.commit()
    intent_engine = IntentEngine.load_or_train(MODEL_CACHE, threshold=threshold)
    hub = RunnerHub(sessionmaker, heartbeat_timeout_s=35, order_timeout_s=5)
    deps = OrchestratorDeps(
        settings,
        intent_engine,
        sessionmaker,
        hub,
        LocalStorage(settings.storage_dir),
        make_celery(settings),
    )
    results = []
    async with open_checkpointer(settings) as saver, sessionmaker() as session:
        principal = await authenticate(session, key.secret)
        assert principal is not None
        scope_session(session.sync_session, principal.company_id)
        graph = build_graph(saver)
        for message in messages:
            results.append(
                await graph.ainvoke(
                    {"message": message, "file_ids": file_ids or []},
                    run_config("thr_graph", deps, principal, session),
                    durability="exit",
                )
            )
    await engine.dispose()
    return results


def test_an_unsure_engine_asks_back_instead_of_acting(tmp_path: Path) -> None:
    [state] = asyncio.run(run_turns(tmp_path, 1.01, ["ventas de ayer"]))
    assert state["route"] == "direct" and state["unsure"] is True
    assert state["reply"]["clarify"] is True
    assert state["reply"]["content"].startswith("No estoy seguro de haberte entendido")
    assert "consultar tus datos" in state["reply"]["content"]


def test_an_unsure_turn_does_not_become_the_follow_up_context(tmp_path: Path) -> None:
    states = asyncio.run(run_turns(tmp_path, 1.01, ["ventas de ayer"]))
    assert states[0].get("last_data_slots") is None


def test_the_state_keeps_only_a_bounded_window(tmp_path: Path) -> None:
    states = asyncio.run(run_turns(tmp_path, 0.0, ["hola"] * 7))
    assert len(states[-1]["recent"]) == 8
    assert states[-1]["recent"][-1]["role"] == "assistant"


def test_graph_draws_as_mermaid_with_every_route() -> None:
    drawing = build_graph().get_graph().draw_mermaid()
    for node in (
        "load_context",
        "preselection",
        "classify",
        "check_permission",
        "answer_direct",
        "ask_runner",
        "start_task",
        "call_ai",
        "refuse",
        "integrate",
    ):
        assert node in drawing


@pytest.mark.parametrize("message", ["ventas de ayer"])
def test_confident_engine_routes_data_questions_to_the_runner(tmp_path: Path, message: str) -> None:
    [state] = asyncio.run(run_turns(tmp_path, 0.0, [message]))
    assert (state["route"], state["intent"]) == ("runner", "data_query")
    assert state["slots"]["period"]["label"] == "yesterday"


@pytest.mark.parametrize(
    ("timezone", "region", "numbers_of"),
    [
        ("America/Lima", None, "PE"),
        ("Europe/Madrid", None, "ES"),
        ("America/Santiago", None, "CL"),
        ("Europe/Madrid", "MX", "MX"),  # the company's own region wins over its time zone
    ],
)
def test_every_turn_knows_whose_way_of_writing_numbers_to_follow(
    tmp_path: Path, timezone: str, region: str | None, numbers_of: str
) -> None:
    [state] = asyncio.run(run_turns(tmp_path, 0.0, ["hola"], timezone=timezone, region=region))
    assert state["region"] == numbers_of


def test_a_task_carries_the_companys_country_so_the_worker_writes_numbers_alike(
    tmp_path: Path,
) -> None:
    [state] = asyncio.run(
        run_turns(tmp_path, 0.0, ["analiza este archivo"], "America/Santiago", file_ids=["file_g1"])
    )
    assert state["route"] == "task", state["reply"]
    task = asyncio.run(task_params(tmp_path))
    assert (task["lang"], task["region"]) == ("es", "CL")


async def task_params(tmp: Path) -> dict:
    engine = make_engine(Settings(data_dir=tmp, cache_dir=MODEL_CACHE).sqlalchemy_url)
    try:
        async with make_sessionmaker(engine)() as session:
            [task] = (await session.scalars(select(Task))).all()
            return task.params
    finally:
        await engine.dispose()
