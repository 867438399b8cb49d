"""Faults with real processes: workers killed with SIGKILL mid-task, Redis restarted with tasks
queued, a database that blinks under a running task.

Each test runs a real ``ln1 up`` (and, where the test must control the worker, a real
``python -m ln1 worker`` of its own) and speaks only HTTP to it, except for the faults
themselves, which are done to the processes: signals, a Redis SHUTDOWN, a PostgreSQL backend
terminated.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.conftest import PG_ADMIN_DSN, Backend, ServerProcess, Tenant, _create_tenant, free_port
from tests.worker.conftest import (
    WorkerProcess,
    big_workbook,
    children,
    run_stack,
    supervised_worker,
    upload,
    wait_for,
    wait_task,
    workbook,
)

# Ingest of this many rows takes ~3 s on the 2-core CI machine: long enough to be caught
# running with progress, short enough to be run twice in a test.
HEAVY_ROWS = 500_000


@pytest.fixture(scope="module")
def heavy_workbook() -> bytes:
    return big_workbook(HEAVY_ROWS)


Stack = tuple[ServerProcess, Backend]


@pytest.fixture(scope="module")
def stacks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Stack]]:
    """One ``ln1 up`` per set-up for the whole module, without workers: every test starts
    (and kills) workers of its own and uses a company of its own."""
    with contextlib.ExitStack() as stack:
        yield {
            setup: stack.enter_context(
                run_stack(tmp_path_factory.mktemp(f"stack-{setup}"), setup, workers=0)
            )
            for setup in ("redis", "embedded")
        }


def tenant_of(stack: tuple[ServerProcess, Backend]) -> Tenant:
    server, backend = stack
    return asyncio.run(_create_tenant(backend.settings, server.url))


def ask_for_analysis(client: httpx.Client, file_id: str) -> tuple[str, str]:
    """A new thread, "analiza este archivo" with the file: returns (thread id, task id)."""
    thread = client.post("/v1/threads").json()["id"]
    body = {"content": "analiza este archivo", "file_ids": [file_id]}
    reply = client.post(f"/v1/threads/{thread}/messages", json=body)
    assert reply.status_code == 200, reply.text
    assert reply.json()["route"] == "task", reply.json()
    return thread, reply.json()["task_id"]


def wait_running_with_progress(client: httpx.Client, task_id: str, timeout: float = 60) -> dict:
    def running() -> dict | None:
        task = client.get(f"/v1/tasks/{task_id}").json()
        assert task["status"] in ("queued", "running"), f"finished before the fault: {task}"
        return task if task["status"] == "running" and task["progress"] > 0 else None

    return wait_for(running, timeout, f"task {task_id} running with progress", every=0.03)


def result_messages(client: httpx.Client, thread: str, task_id: str) -> list[dict]:
    """What the worker posted about the task (not the "I started it" reply to the ask)."""
    messages = client.get(f"/v1/threads/{thread}").json()["messages"]
    about = [m for m in messages if m["route"] == "task" and m.get("task_id") == task_id]
    assert about and "empecé" in about[0]["content"], about
    return about[1:]


def assert_written_once(
    client: httpx.Client, backend: Backend, user: Tenant, thread: str, task: dict
) -> None:
    """One result message, each artifact listed once, each output file present once."""
    assert task["status"] == "succeeded", task
    [posted] = result_messages(client, thread, task["id"])
    assert posted["content"].startswith("Terminé de analizar «ventas grandes.xlsx»"), posted
    digits = posted["content"].replace(",", "").replace(".", "").replace("\u202f", "")
    assert f"{HEAVY_ROWS} filas" in digits, posted["content"]
    ids = [a["id"] for a in task["artifacts"]]
    names = [a["filename"] for a in task["artifacts"]]
    assert len(ids) == len(set(ids)) and len(names) == len(set(names)), task["artifacts"]
    assert [a["kind"] for a in task["artifacts"]] == ["parquet"]  # one sheet, no PDF asked
    assert {a["id"] for a in posted["artifacts"]} == set(ids)
    folder = backend.settings.storage_dir / user.company_id / "tasks" / task["id"]
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    parquet = [f for f in files if f.endswith(".parquet")]
    assert parquet == ["in0/clean/sheet-00.clean.parquet", "in0/read/sheet-00.parquet"], files
    assert not [f for f in files if f.endswith(".tmp")], f"half-written files left: {files}"
    download = client.get(task["artifacts"][0]["url"])
    assert download.status_code == 200
    assert download.content == (folder / "in0/clean/sheet-00.clean.parquet").read_bytes()


@pytest.mark.parametrize("setup", ["redis", "embedded"])
def test_pool_process_killed_mid_task_the_task_runs_again_and_writes_once(
    setup: str, stacks: dict[str, Stack], tmp_path: Path, heavy_workbook: bytes
) -> None:
    _, backend = stacks[setup]
    user = tenant_of(stacks[setup])
    worker = WorkerProcess(backend.env, tmp_path / "worker.log").start()
    try:
        with user.client() as client:
            file_id = upload(client, "ventas grandes.xlsx", heavy_workbook)
            thread, task_id = ask_for_analysis(client, file_id)
            wait_running_with_progress(client, task_id)
            pool = children(worker.proc.pid)
            assert pool, "the worker has no pool processes"
            for pid in pool:  # whichever runs the task: kill them all
                os.kill(pid, signal.SIGKILL)

            task = wait_task(client, task_id, timeout=120)
            log = worker.logs()
            assert "signal 9 (SIGKILL)" in log, log[-3000:]  # the kill did hit the task
            assert_written_once(client, backend, user, thread, task)
            assert set(children(worker.proc.pid)).isdisjoint(pool)  # a new pool process
    finally:
        worker.stop()


def test_whole_worker_killed_on_redis_the_task_comes_back_after_the_visibility_timeout(
    tmp_path: Path, heavy_workbook: bytes
) -> None:
    # A stack of its own: a 12 s time limit makes Redis's visibility timeout 24 s, what this
    # test waits for. (In the pool test it would race Celery's wait for a lost pool process.)
    with run_stack(tmp_path, "redis", workers=0, env={"LN1_TASK_TIME_LIMIT_S": "12"}) as stack:
        _, backend = stack
        user = tenant_of(stack)
        first = WorkerProcess(backend.env, tmp_path / "worker-1.log").start()
        second = WorkerProcess(backend.env, tmp_path / "worker-2.log")
        try:
            with user.client() as client:
                file_id = upload(client, "ventas grandes.xlsx", heavy_workbook)
                thread, task_id = ask_for_analysis(client, file_id)
                wait_running_with_progress(client, task_id)
                first.kill_hard()
                killed_at = time.monotonic()
                assert client.get(f"/v1/tasks/{task_id}").json()["status"] == "running"

                second.start()
                task = wait_task(client, task_id, timeout=90)
                back_after = time.monotonic() - killed_at
                print(f"task back and finished {back_after:.1f} s after the kill")
                assert_written_once(client, backend, user, thread, task)
                assert "Task ln1.run_task[" in second.logs()
                # Not before the visibility timeout: Redis cannot tell a dead worker from a
                # slow one.
                assert back_after > 15, back_after
        finally:
            first.stop()
            second.stop()


def test_whole_worker_killed_on_the_embedded_broker_is_restarted_and_the_task_comes_back(
    tmp_path: Path, heavy_workbook: bytes
) -> None:
    """``ln1 up``'s own worker SIGKILLed with its pool in the middle of a task.

    kombu's SQLAlchemy transport never shows the message the dead worker held again. ``ln1 up``
    starts a new worker, which finds the record ``running`` with no message in the broker and
    sends it again (``ln1.worker.recovery``); the task finishes, written once.
    """
    with run_stack(tmp_path, "embedded", workers=1) as stack:
        server, backend = stack
        user = tenant_of(stack)
        worker_log = backend.settings.data_dir / "logs" / "worker.log"
        with user.client() as client:
            file_id = upload(client, "ventas grandes.xlsx", heavy_workbook)
            thread, task_id = ask_for_analysis(client, file_id)
            wait_running_with_progress(client, task_id)
            first = supervised_worker(server)
            os.killpg(first, signal.SIGKILL)
            killed_at = time.monotonic()

            task = wait_task(client, task_id, timeout=180)
            print(f"task back and finished {time.monotonic() - killed_at:.1f} s after the kill")
            assert_written_once(client, backend, user, thread, task)
            assert supervised_worker(server) != first
        assert "child died; restarting it" in server.logs(), server.logs()[-3000:]
        log = worker_log.read_text(errors="replace")
        assert f"task {task_id} (ingest) was running with no message in the broker" in log, log


def test_a_worker_starting_while_another_is_alive_sends_nothing_again(
    stacks: dict[str, Stack], tmp_path: Path, heavy_workbook: bytes
) -> None:
    """The sweep's proviso: with another worker alive, a running record may be its work.

    An idle worker on the ``default`` queue stays alive while the worker running the task is
    SIGKILLed. A worker started then leaves the task alone (no second run next to a live
    one); once the others have stopped, the next worker to start sends it again.
    """
    _, backend = stacks["embedded"]
    user = tenant_of(stacks["embedded"])
    idle = WorkerProcess(backend.env, tmp_path / "idle.log", queues="default")
    doomed = WorkerProcess(backend.env, tmp_path / "doomed.log")
    late = WorkerProcess(backend.env, tmp_path / "late.log")
    last = WorkerProcess(backend.env, tmp_path / "last.log")
    try:
        idle.start()
        doomed.start()  # starting both at once saves a start-up on a 2-core machine
        idle.wait_ready()
        with user.client() as client:
            file_id = upload(client, "ventas grandes.xlsx", heavy_workbook)
            thread, task_id = ask_for_analysis(client, file_id)
            wait_running_with_progress(client, task_id)
            doomed.kill_hard()

            late.start().wait_ready()
            assert "another worker is alive" in late.logs(), late.logs()[-3000:]
            time.sleep(3)  # ~30 polls of the broker by a worker with nothing to do
            task = client.get(f"/v1/tasks/{task_id}").json()
            assert task["status"] == "running" and not task["artifacts"], task
            assert result_messages(client, thread, task_id) == []
            assert "] received" not in late.logs()

            idle.stop()
            late.stop()
            last.start()
            task = wait_task(client, task_id, timeout=120)
            assert_written_once(client, backend, user, thread, task)
            assert "sent again" in last.logs(), last.logs()[-3000:]
    finally:
        for worker in (idle, doomed, late, last):
            worker.stop()


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    """A redis-server of the test's own that keeps its data on disk (the machine's does not)."""
    server = RedisServer(free_port(), tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


class RedisServer:
    def __init__(self, port: int, folder: Path) -> None:
        self.port, self.folder = port, folder
        self.proc: subprocess.Popen[bytes] | None = None
        folder.mkdir(parents=True, exist_ok=True)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)

    def start(self) -> None:
        if shutil.which("redis-server") is None:
            pytest.fail("redis-server is needed for this test (see shared/SERVICES.md)")
        with (self.folder / "redis.log").open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--dir",
                    str(self.folder),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        wait_for(self._answers, 20, f"redis-server on port {self.port}")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.RedisError:
            return False

    def shutdown(self) -> None:
        """SHUTDOWN as an operator does it (the append-only file is already on disk)."""
        assert self.proc is not None
        with contextlib.suppress(redis.RedisError):
            self.client().shutdown()
        self.proc.wait(20)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


def test_redis_restarted_while_tasks_are_queued_loses_nothing(
    tmp_path: Path, own_redis: RedisServer
) -> None:
    with run_stack(tmp_path, "redis", redis_url=own_redis.url, workers=0) as stack:
        _, backend = stack
        queue = f"{backend.env['LN1_REDIS_PREFIX']}:heavy"
        user = tenant_of(stack)
        worker = WorkerProcess(backend.env, tmp_path / "worker.log")
        try:
            with user.client() as client:
                asked = []
                for n in range(3):
                    file_id = upload(client, f"ventas {n}.xlsx", workbook(200 + n))
                    asked.append(ask_for_analysis(client, file_id))
                assert own_redis.client().llen(queue) == 3

                own_redis.shutdown()
                own_redis.start()
                assert own_redis.client().llen(queue) == 3

                # The API reconnects by itself: one more task after the restart.
                file_id = upload(client, "ventas después.xlsx", workbook(300))
                asked.append(ask_for_analysis(client, file_id))
                for _, task_id in asked:
                    assert client.get(f"/v1/tasks/{task_id}").json()["status"] == "queued"

                worker.start()
                for thread, task_id in asked:
                    task = wait_task(client, task_id, timeout=90)
                    assert task["status"] == "succeeded", task
                    [posted] = result_messages(client, thread, task_id)
                    assert posted["content"].startswith("Terminé de analizar «ventas")
                    assert [a["kind"] for a in posted["artifacts"]] == ["parquet"]
        finally:
            worker.stop()


def test_a_database_that_blinks_under_a_task_is_retried_and_the_task_finishes(
    stacks: dict[str, Stack], tmp_path: Path
) -> None:
    """The worker's connection is terminated by PostgreSQL in the middle of reading the task:
    a transient error, retried with back-off; the retry finishes the task, written once."""
    _, backend = stacks["redis"]
    database = backend.env["LN1_DATABASE_URL"].rsplit("/", 1)[1]
    user = tenant_of(stacks["redis"])
    worker = WorkerProcess(backend.env, tmp_path / "worker.log")
    try:
        with user.client() as client:
            file_id = upload(client, "ventas.xlsx", workbook(300))
            thread, task_id = ask_for_analysis(client, file_id)
            dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + f"/{database}"
            with psycopg.connect(dsn) as locker, psycopg.connect(dsn, autocommit=True) as admin:
                # The worker's first query waits on this lock, then its connection dies.
                locker.execute("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
                worker.start()
                blocked = wait_for(
                    lambda: admin.execute(
                        "SELECT pid FROM pg_stat_activity WHERE datname = %s AND "
                        "wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
                        (database,),
                    ).fetchall(),
                    60,
                    "the worker waiting on the locked table",
                )
                for (pid,) in blocked:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                locker.rollback()
            task = wait_task(client, task_id, timeout=60)
            assert task["status"] == "succeeded", task
            assert task["error"] is None
            [posted] = result_messages(client, thread, task_id)
            assert posted["content"].startswith("Terminé de analizar «ventas.xlsx»")
            log = worker.logs()
            assert "OperationalError" in log and "Retry in 2s" in log, log[-3000:]
    finally:
        worker.stop()
