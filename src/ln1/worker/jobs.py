"""What a task does, by kind, and how its outcome reaches the user.

A handler gets a :class:`Job` (the task record, its input files, where to write, how to
report progress) and returns an :class:`Outcome` (a JSON result for the record, the
artifacts it wrote, and the message for the thread in the user's language). Handlers never
touch the database: :func:`run_job` does, so every handler is idempotent by construction.
"""

from __future__ import annotations

import hashlib
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded, TimeLimitExceeded

from ln1.artifacts.storage import LocalStorage
from ln1.files.models import File
from ln1.tasks.models import Task
from ln1.worker.records import FinishedArtifact, TaskRecords
from ln1.worker.wake import pid_alive


class JobFailed(Exception):
    """A failure the user can act on (bad file, nothing to compare); never retried."""

    def __init__(self, message_es: str, message_en: str, detail: str = "") -> None:
        super().__init__(detail or message_en)
        self.messages = {"es": message_es, "en": message_en}
        self.detail = detail or message_en


class RetryLater(ConnectionError):
    """An outside service failed in a way a later attempt may not (Workers AI said 429/5xx,
    timed out, or the connection failed).

    A ``ConnectionError``, so :func:`run_job` passes it up and the Celery task retries it
    (waiting at least ``retry_after`` seconds); after the last retry the user is told
    ``messages`` in their language.
    """

    def __init__(
        self, message_es: str, message_en: str, detail: str, retry_after: float | None = None
    ) -> None:
        super().__init__(detail)
        self.messages = {"es": message_es, "en": message_en}
        self.detail = detail
        self.retry_after = retry_after


@dataclass
class Job:
    task: Task
    files: list[File]
    storage: LocalStorage
    progress: Callable[[str, float], None]
    lang: str = "es"

    def key(self, name: str) -> str:
        """Outputs of a task live under its own folder, under names that never change."""
        return f"{self.task.company_id}/tasks/{self.task.id}/{name}"

    def path(self, name: str) -> Path:
        path = self.storage.path(self.key(name))
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def input_path(self, file: File) -> Path:
        return self.storage.path(file.storage_key)

    def artifact(self, kind: str, filename: str, name: str) -> FinishedArtifact:
        path = self.storage.path(self.key(name))
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
        return FinishedArtifact(
            kind, filename, self.key(name), path.stat().st_size, digest.hexdigest()
        )


@dataclass
class Outcome:
    result: dict[str, Any]
    message: str
    artifacts: list[FinishedArtifact] = field(default_factory=list)
    data: dict[str, Any] | None = None
    # Who wrote ``message``, as on chat answers: "rules" (fixed wording around facts) or
    # "llm+rules" (a model's text inside a sentence the code writes).
    written_by: str = "rules"


Handler = Callable[[Job], Outcome]

FAILED = {
    "es": "No pude terminar la tarea «{kind}»: {why}",
    "en": "I couldn't finish the “{kind}” task: {why}",
}
UNEXPECTED = {
    "es": "algo falló de forma inesperada; el detalle quedó en el registro de la tarea {id}.",
    "en": "something failed unexpectedly; the detail is in the record of task {id}.",
}
TOO_LONG = {
    "es": "tardó más de lo permitido y la detuve.",
    "en": "it took longer than allowed, so I stopped it.",
}


def run_job(
    records: TaskRecords,
    storage: LocalStorage,
    task_id: str,
    handlers: dict[str, Handler],
) -> str:
    """Run a task once; returns its final status. Transient errors propagate (for a retry)."""
    task = records.load(task_id)
    if task is None:
        return "missing"
    if task.status in ("succeeded", "failed"):
        return task.status  # delivered again after it finished: nothing to redo
    lang = (task.params or {}).get("lang", "es")
    if task.status == "running":  # delivered again: an earlier run died (worker killed)
        remove_leftovers(storage.path(f"{task.company_id}/tasks/{task.id}"))
    records.start(task_id)

    def progress(stage: str, fraction: float) -> None:
        records.progress(task_id, stage, fraction)

    job = Job(task, records.files(task), storage, progress, lang)
    handler = handlers.get(task.kind)
    try:
        if handler is None:
            raise JobFailed("no sé hacer esa tarea.", "I don't know that task.", task.kind)
        outcome = handler(job)
    except JobFailed as e:
        records.fail(task, e.detail, FAILED[lang].format(kind=task.kind, why=e.messages[lang]))
        return "failed"
    except SoftTimeLimitExceeded:
        records.fail(
            task,
            "soft time limit exceeded",
            FAILED[lang].format(kind=task.kind, why=TOO_LONG[lang]),
        )
        return "failed"
    except TRANSIENT:
        raise
    except Exception:
        detail = traceback.format_exc(limit=8)
        why = UNEXPECTED[lang].format(id=task.id)
        records.fail(task, detail, FAILED[lang].format(kind=task.kind, why=why))
        return "failed"
    records.succeed(
        task,
        outcome.result,
        outcome.artifacts,
        outcome.message,
        outcome.data,
        written_by=outcome.written_by,
    )
    return "succeeded"


def remove_leftovers(folder: Path) -> None:
    """Delete the half-written files of a run that died in the middle of a write.

    Outputs are written as ``.<name>.<pid>.tmp`` and renamed when complete (see
    ``ln1.datasets.ingest.write_parquet``); a process killed before the rename leaves its
    temporary file behind. Only files of processes that no longer exist are removed, so a
    run still going elsewhere on this machine keeps its own.
    """
    if not folder.is_dir():
        return
    for temp in folder.rglob(".*.tmp"):
        pid = temp.name.rsplit(".", 2)[-2]
        if pid.isdigit() and not pid_alive(int(pid)):
            temp.unlink(missing_ok=True)


def _transient() -> tuple[type[BaseException], ...]:
    """Errors worth a retry: the database or the broker blinked, not the user's input."""
    from sqlalchemy.exc import DisconnectionError, OperationalError

    return (OperationalError, DisconnectionError, ConnectionError, TimeoutError)


TRANSIENT = _transient()


GAVE_UP = {
    "es": "el almacenamiento no respondió tras varios intentos; inténtalo de nuevo más tarde.",
    "en": "the storage did not answer after several attempts; please try again later.",
}


def give_up(records: TaskRecords, task_id: str, error: BaseException) -> None:
    """After the last retry of a transient error: the task fails, and the user is told."""
    task = records.load(task_id)
    if task is None or task.status in ("succeeded", "failed"):
        return
    lang = (task.params or {}).get("lang", "es")
    why = error.messages[lang] if isinstance(error, RetryLater) else GAVE_UP[lang]
    records.fail(task, repr(error), FAILED[lang].format(kind=task.kind, why=why))


def fail_escaped(records: TaskRecords, task_id: str, error: BaseException) -> None:
    """A run that ended without :func:`run_job` saying how: the task fails, the user is told.

    Two ways to get here. The hard time limit: the soft one could not stop the run (it was
    inside native code, such as calamine parsing a sheet, where Python's signal handler waits),
    so Celery killed the pool process and reports it from the worker's main process. Or an
    error escaped ``run_job`` itself (the soft limit arriving while the result was saved).
    Either way nothing else would ever close the record. Only an open record is closed, so a
    report that comes twice still posts one message.
    """
    task = records.load(task_id)
    if task is None or task.status in ("succeeded", "failed"):
        return
    lang = (task.params or {}).get("lang", "es")
    if isinstance(error, TimeLimitExceeded):
        limit = error.args[0] if error.args else "?"
        detail = f"hard time limit exceeded ({limit} s): the process running it was stopped"
        why = TOO_LONG[lang]
    elif isinstance(error, SoftTimeLimitExceeded):
        detail, why = "soft time limit exceeded", TOO_LONG[lang]
    else:
        detail = "".join(traceback.format_exception(error, limit=8))
        why = UNEXPECTED[lang].format(id=task.id)
    records.fail(task, detail, FAILED[lang].format(kind=task.kind, why=why))
