"""The Celery task every job goes through: ``ln1.run_task(task_id)``.

``acks_late`` + ``reject_on_worker_lost``: the broker forgets the message only after the task
returned, so a pool process killed halfway leaves it to be delivered again (on Redis by the
visibility timeout, on the embedded broker by the worker that starts after; see
``ln1.worker.recovery``). Only transient errors (database or broker blinked) are retried, with
back-off. A run that ends without ``run_job`` closing its record (killed at the hard time
limit) is closed by :meth:`RunTask.on_failure`.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from billiard.einfo import ExceptionInfo
from celery import Task, shared_task

from ln1.artifacts.storage import LocalStorage
from ln1.config import Settings
from ln1.db.engine import make_sync_engine
from ln1.worker import recovery  # noqa: F401  (connects the embedded broker's start-up sweep)
from ln1.worker.celery_app import RUN_TASK
from ln1.worker.handlers import HANDLERS
from ln1.worker.jobs import TRANSIENT, fail_escaped, give_up, run_job
from ln1.worker.records import TaskRecords, passing_records

MAX_RETRIES = 5


@cache
def _context() -> tuple[TaskRecords, LocalStorage]:
    """One engine and storage per pool process, from its environment."""
    settings = Settings()
    return TaskRecords(make_sync_engine(settings.sqlalchemy_url)), LocalStorage(
        settings.storage_dir
    )


class RunTask(Task):
    """``ln1.run_task``'s class, for the one failure its body cannot report.

    At the hard time limit Celery kills the pool process and calls ``on_failure`` from the
    worker's main process (celery 5.7 ``Request.on_timeout``): without this the record would
    stay ``running`` and the user would never hear back. It also catches an error that
    escaped ``run_job``. It opens a connection of its own because in the main process no
    engine may be kept (see ``passing_records``).
    """

    def on_failure(
        self,
        exc: BaseException,
        task_id: str,
        args: tuple[Any, ...] | list[Any],
        kwargs: dict[str, Any],
        einfo: ExceptionInfo | None,
    ) -> None:
        if not args:
            return
        with passing_records(Settings().sqlalchemy_url) as records:
            fail_escaped(records, str(args[0]), exc)


@shared_task(
    name=RUN_TASK,
    base=RunTask,
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    # Celery's own check (default 3) would re-raise the error before ``give_up`` is reached.
    max_retries=MAX_RETRIES,
)
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
