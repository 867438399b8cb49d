"""The worker's reads and writes of task records (blocking SQLAlchemy; Celery tasks are sync).

Every write is one short transaction. The last one is what makes a task idempotent: its
artifacts, the assistant message that tells the user, and ``status = succeeded`` are committed
together, so a task delivered again after a crash either finds it done (and stops) or redoes
work whose files land under the same names and whose rows were never written.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session, sessionmaker

from ln1.artifacts.models import Artifact
from ln1.artifacts.service import MEDIA_TYPES
from ln1.conversations.models import Message, Thread
from ln1.db.base import utcnow
from ln1.db.engine import make_sync_engine
from ln1.files.models import File
from ln1.ids import new_id
from ln1.tasks.models import Task, TaskStatus

PROGRESS_EVERY_S = 0.5
OPEN = (TaskStatus.QUEUED.value, TaskStatus.RUNNING.value)


@dataclass(frozen=True)
class FinishedArtifact:
    kind: str
    filename: str
    storage_key: str
    size: int
    sha256: str


class TaskRecords:
    def __init__(self, engine: Engine) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._last_progress: dict[str, float] = {}

    def load(self, task_id: str) -> Task | None:
        with self._sessions() as session:
            return session.get(Task, task_id)

    def unfinished(self) -> list[Task]:
        """Every task still queued or running, oldest first (all companies: a system read)."""
        with self._sessions() as session:
            rows = session.scalars(select(Task).where(Task.status.in_(OPEN)).order_by(Task.id))
            return list(rows)

    def files(self, task: Task) -> list[File]:
        """The task's input files, in the order the user gave them (their own files only)."""
        ids: list[str] = list((task.params or {}).get("file_ids") or [])
        with self._sessions() as session:
            rows = session.scalars(
                select(File).where(File.id.in_(ids), File.user_id == task.user_id)
            ).all()
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def start(self, task_id: str) -> None:
        with self._sessions.begin() as session:
            session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status.in_(("queued", "running")))
                .values(status=TaskStatus.RUNNING.value, stage="starting", updated_at=utcnow())
            )

    def progress(self, task_id: str, stage: str, fraction: float, force: bool = False) -> None:
        """Record progress, at most every half second unless ``force`` (stage boundaries)."""
        now = time.monotonic()
        if not force and now - self._last_progress.get(task_id, 0.0) < PROGRESS_EVERY_S:
            return
        self._last_progress[task_id] = now
        with self._sessions.begin() as session:
            session.execute(
                update(Task)
                .where(Task.id == task_id, Task.status == TaskStatus.RUNNING.value)
                .values(
                    stage=stage[:64],
                    progress=max(0.0, min(1.0, fraction)),
                    updated_at=utcnow(),
                )
            )

    def succeed(
        self,
        task: Task,
        result: dict[str, Any],
        artifacts: list[FinishedArtifact],
        message: str,
        data: dict[str, Any] | None = None,
        written_by: str = "rules",
    ) -> list[Artifact]:
        """Artifacts, the user's message and the final state, in one transaction.

        Only the first run to finish writes them: the status changes only from queued or
        running, so a copy of the task delivered twice (a redelivery racing a slow run)
        finds the row already final and adds nothing.
        """
        with self._sessions.begin() as session:
            if not self._finish(
                session,
                task,
                status=TaskStatus.SUCCEEDED.value,
                stage="done",
                progress=1.0,
                result=result,
                error=None,
            ):
                return []
            rows = [
                Artifact(
                    id=new_id("art"),
                    company_id=task.company_id,
                    user_id=task.user_id,
                    task_id=task.id,
                    kind=a.kind,
                    filename=a.filename,
                    media_type=MEDIA_TYPES.get(a.kind, "application/octet-stream"),
                    size=a.size,
                    sha256=a.sha256,
                    storage_key=a.storage_key,
                )
                for a in artifacts
            ]
            session.add_all(rows)
            refs = [
                {"id": r.id, "kind": r.kind, "filename": r.filename, "url": f"/v1/artifacts/{r.id}"}
                for r in rows
            ]
            details: dict[str, Any] = {
                "artifacts": refs,
                "task_result": True,
                "written_by": written_by,
            }
            if data is not None:
                details["data"] = data
            self._post(session, task, message, details)
        return rows

    def fail(self, task: Task, error: str, message: str) -> None:
        """The error detail goes to the record; the user gets ``message`` in the thread."""
        with self._sessions.begin() as session:
            if self._finish(session, task, status=TaskStatus.FAILED.value, error=error[:4000]):
                self._post(
                    session,
                    task,
                    message,
                    {"task_result": True, "failed": True, "written_by": "rules"},
                )

    @staticmethod
    def _finish(session: Session, task: Task, **values: Any) -> bool:
        """Move the task to its final state unless it is there already (whoever came first)."""
        done = session.execute(
            update(Task)
            .where(Task.id == task.id, Task.status.in_(OPEN))
            .values(**values, updated_at=utcnow())
        )
        return bool(done.rowcount)

    def _post(self, session: Session, task: Task, content: str, details: dict[str, Any]) -> None:
        if task.thread_id is None:
            return
        session.add(
            Message(
                id=new_id("msg"),
                company_id=task.company_id,
                thread_id=task.thread_id,
                role="assistant",
                content=content,
                route="task",
                intent=(task.params or {}).get("intent", task.kind),
                task_id=task.id,
                details=details,
            )
        )
        session.execute(
            update(Thread).where(Thread.id == task.thread_id).values(updated_at=utcnow())
        )


@contextmanager
def passing_records(database_url: str) -> Iterator[TaskRecords]:
    """Task records on an engine of their own, closed on exit.

    For the worker's main process: Celery forks pool processes from it (at start and after
    one dies), and a forked process must not inherit open database connections, so the main
    process keeps none between its rare writes.
    """
    engine = make_sync_engine(database_url)
    try:
        yield TaskRecords(engine)
    finally:
        engine.dispose()
