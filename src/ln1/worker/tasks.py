"""The Celery task every job goes through: ``ln1.run_task(task_id)``.

``acks_late`` + ``reject_on_worker_lost``: the broker forgets the message only after the task
returned, so a worker killed halfway leaves it to be delivered again (on Redis; see
``celery_app``). Only transient errors (database or broker blinked) are retried, with back-off.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from celery import shared_task

from ln1.artifacts.storage import LocalStorage
from ln1.config import Settings
from ln1.db.engine import make_sync_engine
from ln1.worker.celery_app import RUN_TASK
from ln1.worker.handlers import HANDLERS
from ln1.worker.jobs import TRANSIENT, give_up, run_job
from ln1.worker.records import TaskRecords

MAX_RETRIES = 5


@cache
def _context() -> tuple[TaskRecords, LocalStorage]:
    """One engine and storage per worker process, from its environment."""
    settings = Settings()
    return TaskRecords(make_sync_engine(settings.sqlalchemy_url)), LocalStorage(
        settings.storage_dir
    )


@shared_task(name=RUN_TASK, bind=True, acks_late=True, reject_on_worker_lost=True)
def run_task(self: Any, task_id: str) -> str:
    records, storage = _context()
    try:
        return run_job(records, storage, task_id, HANDLERS)
    except TRANSIENT as e:
        if self.request.retries >= MAX_RETRIES:
            give_up(records, task_id, e)
            return "failed"
        countdown = min(60, 2 ** (self.request.retries + 1))
        # A service that said when to come back (429 Retry-After) is not asked earlier.
        countdown = max(countdown, getattr(e, "retry_after", None) or 0)
        raise self.retry(exc=e, countdown=countdown) from e
