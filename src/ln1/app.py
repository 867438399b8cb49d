"""The FastAPI application: lifespan wiring and routers.

``create_app`` is a factory (``uvicorn --factory ln1.app:create_app``) so tests and
benchmarks build as many independent apps as they need.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI

from ln1 import __version__
from ln1.artifacts.storage import LocalStorage
from ln1.artifacts.views import router as artifacts_router
from ln1.config import Settings
from ln1.conversations.openai_compat import router as openai_router
from ln1.conversations.views import router as threads_router
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.files.views import router as files_router
from ln1.ops.errors import install_error_handlers
from ln1.ops.heap import settle_after_startup
from ln1.ops.logging import configure_logging
from ln1.ops.middleware import TraceMiddleware
from ln1.ops.views import router as ops_router
from ln1.orchestrator.checkpoint import open_checkpointer
from ln1.orchestrator.deps import OrchestratorDeps
from ln1.orchestrator.graph import build_graph
from ln1.orchestrator.intent.engine import IntentEngine
from ln1.orchestrator.llm import ChatLLM
from ln1.orchestrator.turnlock import TurnLocks
from ln1.proxy import ProxyCheck
from ln1.runners.hub import RunnerHub
from ln1.runners.local_relay import LocalRelay
from ln1.runners.relay import Relay
from ln1.runners.tunnel import router as tunnel_router
from ln1.runners.views import router as runners_router
from ln1.tasks.views import router as tasks_router
from ln1.tenancy.views import router as tenancy_router
from ln1.webhooks.company_views import router as webhook_admin_router
from ln1.webhooks.views import router as webhooks_router
from ln1.worker.celery_app import make_celery

log = structlog.get_logger("ln1.app")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.ensure_data_dir()
        await asyncio.to_thread(upgrade, settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        intent_engine = await asyncio.to_thread(
            IntentEngine.load_or_train,
            settings.model_cache_dir,
            threshold=settings.intent_threshold,
        )
        sessionmaker = make_sessionmaker(engine)
        llm = ChatLLM.from_settings(settings)  # None without LN1_CLOUDFLARE_*: rules only
        if llm is not None:
            intent_engine.fallback = llm.resolve_intent
        relay: Relay | LocalRelay = (
            Relay(settings.redis_url, settings.redis_prefix)
            if settings.redis_url
            else LocalRelay(settings.run_dir)
        )
        await relay.start()
        # API replicas on PostgreSQL may run on several machines: lock turns in the database.
        turn_locks = TurnLocks(
            settings.run_dir / "turns.lock", engine=None if settings.is_sqlite else engine
        )
        app.state.storage = LocalStorage(settings.storage_dir)
        app.state.hub = RunnerHub(
            sessionmaker,
            heartbeat_timeout_s=settings.runner_heartbeat_timeout_s,
            order_timeout_s=settings.runner_order_timeout_s,
            relay=relay,
        )
        try:
            async with open_checkpointer(settings) as checkpointer:
                app.state.deps = OrchestratorDeps(
                    settings,
                    intent_engine,
                    sessionmaker,
                    app.state.hub,
                    app.state.storage,
                    make_celery(settings),
                    llm,
                    turn_locks,
                )
                app.state.graph = build_graph(checkpointer)
                settle_after_startup()
                log.info("ready", version=__version__, database=engine.url.get_backend_name())
                yield
        finally:
            await relay.close()
            turn_locks.close()
            if llm is not None:
                await llm.aclose()
            await engine.dispose()

    app = FastAPI(title="ln1", version=__version__, lifespan=lifespan)
    if settings.require_edge_proxy and settings.edge_secret is not None:
        # Inside TraceMiddleware (added after it, so outer): a refusal still gets a trace id,
        # an access log line and its metric.
        app.add_middleware(ProxyCheck, secret=settings.edge_secret.get_secret_value())
    app.add_middleware(TraceMiddleware)
    install_error_handlers(app)
    routers = (
        ops_router,
        tenancy_router,
        threads_router,
        openai_router,
        runners_router,
        tunnel_router,
        tasks_router,
        artifacts_router,
        files_router,
        webhooks_router,
        webhook_admin_router,
    )
    for router in routers:
        app.include_router(router)
    return app
