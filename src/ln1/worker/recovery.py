"""On the embedded broker, a starting worker sends again the tasks a killed worker took with it.

kombu's SQLAlchemy transport hides a message (``visible = false``) when a worker takes it and
never shows it again, except by re-publishing it at a clean shutdown. It never deletes it
either: acknowledged messages stay as hidden rows too, so the broker cannot tell "done" from
"taken by a worker that was SIGKILLed". The task record can. A record still ``queued`` or
``running`` whose id is in no visible message was taken by a worker that is gone, provided
no other worker is alive.

That proviso is a lock file in the data folder. Every worker on the embedded broker holds it
shared for its whole life (its pool processes inherit it); a starting worker first asks for it
exclusively, which the kernel grants only when no other worker holds it (a killed process's
lock goes with it). Only then does it sweep. It sweeps before its pool and consumer start, so
it cannot mistake a message it is itself taking for a lost one.

Sending twice is harmless, which is what makes this safe to get slightly wrong: the task is
idempotent (``ln1.worker.records``), and a copy that finds the record finished does nothing.
The one window where a second copy would be sent needlessly, the API between writing a
record and queueing it, is left alone by :data:`GRACE_S`. (A task the dead worker had taken
but not yet started is still ``queued``; it is sent again too, unless it is younger than that,
which needs a kill and a restart within seconds of its creation.)

On Redis none of this runs: its visibility timeout gives a dead worker's task back, and
several workers on several machines may be alive, which a lock file cannot know.
"""

from __future__ import annotations

import base64
import fcntl
import json
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

import kombu.transport.sqlalchemy
from celery import Celery
from celery.signals import celeryd_after_setup
from celery.utils.log import get_logger
from sqlalchemy import create_engine, inspect, text

from ln1.config import Settings
from ln1.db.base import utcnow
from ln1.tasks.service import send_task
from ln1.worker.celery_app import RUN_TASK
from ln1.worker.records import passing_records

log = get_logger(__name__)

GRACE_S = 5.0
"""A ``queued`` record younger than this may still be on its way to the broker (the API
writes the record, then sends the message), so it is not taken for lost."""

LOCK_NAME = "worker.lock"

_held: IO[bytes] | None = None  # the lock, open for the life of the process


def is_embedded(settings: Settings) -> bool:
    """The broker is a SQLite file, so every worker on it runs on this machine (and sees the
    lock); a ``sqla+postgresql`` broker could have workers anywhere."""
    return settings.celery_broker_url.startswith("sqla+sqlite")


@celeryd_after_setup.connect
def _on_worker_setup(sender: str, instance: Any, conf: Any, **_: Any) -> None:
    """Celery calls this in the worker's main process before the pool and consumer start."""
    settings = Settings()
    if is_embedded(settings):
        send_lost_tasks(instance.app, settings)


def send_lost_tasks(app: Celery, settings: Settings) -> list[str]:
    """Take the worker lock; if no other worker is alive, send again what was lost.

    Returns the ids of the tasks sent again.
    """
    if not _lock_alone(settings.data_dir / LOCK_NAME):
        log.info("another worker is alive on this data folder: not looking for lost tasks")
        return []
    try:
        return _send_lost(app, settings)
    finally:
        _share_lock()


def _send_lost(app: Celery, settings: Settings) -> list[str]:
    waiting = waiting_task_ids(settings.celery_broker_url)
    young = utcnow() - timedelta(seconds=GRACE_S)
    with passing_records(settings.sqlalchemy_url) as records:
        lost = [
            task
            for task in records.unfinished()
            if task.id not in waiting and (task.status == "running" or task.created_at < young)
        ]
    sent = []
    try:
        with app.connection_for_write() as connection:
            for task in lost:
                send_task(app, task.id, task.kind, connection=connection)
                sent.append(task.id)
                log.warning(
                    "task %s (%s) was %s with no message in the broker: its worker died "
                    "holding it; sent again",
                    task.id,
                    task.kind,
                    task.status,
                )
    finally:
        _close_broker_engines()
    return sent


def waiting_task_ids(broker_url: str) -> set[str]:
    """Ids of the tasks whose message is in the embedded broker, visible to any worker."""
    engine = create_engine(broker_url.removeprefix("sqla+"))
    try:
        if not inspect(engine).has_table("kombu_message"):
            return set()  # no message was ever sent on this data folder
        with engine.connect() as connection:
            payloads = connection.execute(
                text("SELECT payload FROM kombu_message WHERE visible")
            ).scalars()
            return {task_id for p in payloads if (task_id := _task_id_of(p)) is not None}
    finally:
        engine.dispose()


def _task_id_of(payload: str) -> str | None:
    """The ``task_id`` argument of an ``ln1.run_task`` message (kombu's JSON envelope, Celery's
    protocol 2 body: ``[args, kwargs, embed]``, base64 inside the envelope)."""
    try:
        message = json.loads(payload)
        if message["headers"].get("task") != RUN_TASK:
            return None
        body = message["body"]
        if message["properties"].get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        return str(args[0]) if args else None
    except (ValueError, KeyError, IndexError, TypeError):
        return None


def _lock_alone(path: Path) -> bool:
    """Open and lock ``path`` exclusively if no other worker holds it; else shared."""
    global _held
    path.parent.mkdir(parents=True, exist_ok=True)
    _held = path.open("ab")  # forked pool processes inherit it: held while any of them runs
    try:
        fcntl.flock(_held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        # Waits only while another worker that is starting sweeps under the exclusive lock.
        fcntl.flock(_held.fileno(), fcntl.LOCK_SH)
        return False
    return True


def _share_lock() -> None:
    if _held is not None:
        fcntl.flock(_held.fileno(), fcntl.LOCK_SH)


def _close_broker_engines() -> None:
    """Close kombu's connections to the broker file before Celery forks its pool.

    kombu keeps one engine per broker URL for the whole process (a class attribute), and a
    forked pool process must not inherit its open SQLite connections: each process opens
    its own when it needs one.
    """
    for engine, _ in kombu.transport.sqlalchemy.Channel._engines.values():
        engine.dispose()
