"""The one Celery app: queues ``default``, ``heavy`` and ``ai``, configured from Settings.

Embedded default (nothing configured): the broker is kombu's SQLAlchemy transport on a SQLite
file under the data folder, and the result store a second SQLite file, so ``ln1 up`` needs no
server. That transport only polls; ln1's (``ln1.worker.wake``) polls once a second and is
woken by whoever queues a task, so a task starts at once and an idle worker costs almost
nothing. kombu's virtual transports requeue unacknowledged messages only at a clean
shutdown, so the message a hard-killed worker held is never shown again; the worker that
starts after it (``ln1 up`` restarts a dead one) sends those tasks again from their records
(``ln1.worker.recovery``). At scale, ``LN1_REDIS_URL`` (or ``LN1_BROKER_URL``) switches
broker and results to Redis, where ``acks_late`` + ``task_reject_on_worker_lost`` + a
visibility timeout longer than the longest task make a killed worker's task come back.

Work is sent by name (``send_task``) with only the task id as argument: the record in the
database is the truth, the queue only says "look at task X" (Celery's own advice).
"""

from __future__ import annotations

from functools import cache

import kombu.transport
from celery import Celery
from kombu import Queue

from ln1.config import Settings

QUEUES = ("default", "heavy", "ai")
RUN_TASK = "ln1.run_task"

# kombu's registry of transports by URL scheme: ``sqla+...`` brokers get the woken one.
kombu.transport.TRANSPORT_ALIASES["sqla"] = "ln1.worker.wake:Transport"


def make_celery(settings: Settings) -> Celery:
    app = Celery("ln1", include=["ln1.worker.tasks"])
    longest = settings.task_time_limit_s
    app.conf.update(
        broker_url=settings.celery_broker_url,
        result_backend=settings.celery_result_backend,
        task_queues=[Queue(name) for name in QUEUES],
        task_default_queue="default",
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_time_limit=longest,
        # 30 s of warning before the hard limit, but never most of a short limit (a 20 s
        # limit once gave a 1 s soft limit, so every task failed as "too long").
        task_soft_time_limit=longest - min(30.0, longest * 0.1),
        task_track_started=True,
        result_expires=24 * 3600,
        broker_transport_options=_redis_options(settings, longest)
        if settings.celery_broker_url.startswith("redis")
        else {},
        result_backend_transport_options={"global_keyprefix": f"{settings.redis_prefix}:"}
        if settings.celery_result_backend.startswith("redis")
        else {},
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )
    return app


def _redis_options(settings: Settings, longest: float) -> dict[str, object]:
    visibility = int(longest * 2)
    return {
        # Redis gives a task back if it is not acknowledged within this; it must outlast the
        # longest task or a long task would be delivered twice while still running.
        "visibility_timeout": visibility,
        # A worker looks for such messages every interval × throttle seconds; kombu 5.7's
        # defaults (10 s × 10) scan only every ~100 s, on top of the visibility timeout.
        "unacked_restore_interval": max(1, min(10, visibility // 10)),
        "unacked_restore_throttle": 1,
        # Several installs (or test runs) may share one Redis: keep each one's queues apart.
        "global_keyprefix": f"{settings.redis_prefix}:",
    }


@cache
def default_app() -> Celery:
    """The app a worker process runs (``ln1 worker``): configured from its environment."""
    return make_celery(Settings())
