"""An ``ln1 up`` that runs a real Celery worker, on the embedded broker or on Redis.

Two set-ups, as in production: the embedded default (SQLite database, SQLite broker, both
under the data folder) and the scaled one (PostgreSQL database, Redis broker and results,
with a key prefix of its own so test runs sharing the local Redis never see each other).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import secrets
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import xlsxwriter

from tests.conftest import (
    Backend,
    ServerProcess,
    Tenant,
    _create_tenant,
    _drop_pg_database,
    free_port,
    make_backend,
)

SETUPS = {"embedded": ("sqlite", False), "redis": ("postgresql", True)}
LOCAL_REDIS = "redis://127.0.0.1:6379/0"


@contextlib.contextmanager
def run_stack(
    tmp_path: Path,
    setup: str,
    *,
    redis_url: str = LOCAL_REDIS,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[ServerProcess, Backend]]:
    """An ``ln1 up`` (with ``workers`` worker processes) on a database of its own; on Redis
    with a key prefix of its own, whose keys are deleted at the end."""
    database, with_redis = SETUPS[setup]
    backend, pg_name = make_backend(database, tmp_path / "data")
    backend.env["LN1_WORKER_PROCESSES"] = str(workers)
    prefix = f"ln1test{secrets.token_hex(4)}"
    if with_redis:
        backend.env["LN1_REDIS_URL"] = redis_url
        backend.env["LN1_REDIS_PREFIX"] = prefix
    backend.env.update(env or {})
    server = ServerProcess(
        backend.env, backend.settings.data_dir, free_port(), tmp_path / "server.log"
    )
    try:
        server.start()
        yield server, backend
    finally:
        if server.proc and server.proc.poll() is None:
            server.stop(timeout=40)
        if pg_name:
            _drop_pg_database(pg_name)
        if with_redis:
            with contextlib.suppress(redis.RedisError):
                client = redis.Redis.from_url(redis_url)
                keys = list(client.scan_iter(f"{prefix}:*"))
                if keys:
                    client.delete(*keys)


@pytest.fixture(params=list(SETUPS))
def stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ServerProcess, Backend]]:
    with run_stack(tmp_path, request.param) as running:
        yield running


@pytest.fixture
def user(stack: tuple[ServerProcess, Backend]) -> Tenant:
    server, backend = stack
    return asyncio.run(_create_tenant(backend.settings, server.url))


def workbook(rows: int, shift: int = 0, sheet: str = "Ventas") -> bytes:
    """A sales workbook as office staff make them: codes, padded names, "1.234,56" text."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    ws = book.add_worksheet(sheet)
    ws.write_row(0, 0, ["Código", "Cliente", "Región", "Monto", "Fecha"])
    regions = ["Lima", "Cusco", "Piura", "Junín"]
    for i in range(rows):
        amount = (i * 13 + shift * (i % 7 == 0)) % 997
        ws.write_row(
            i + 1,
            0,
            [
                f"F{i:05d}",
                f"  Cliente {i % 50} ",
                regions[i % 4],
                f"{amount:,}.{i % 100:02d}".replace(",", "X").replace(".", ",").replace("X", "."),
                f"{1 + i % 28:02d}/11/2026",
            ],
        )
    book.close()
    return buffer.getvalue()


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    response = client.post("/v1/files", files={"file": (name, content)})
    assert response.status_code == 201, response.text
    return response.json()["id"]


def wait_task(client: httpx.Client, task_id: str, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] in ("succeeded", "failed"):
            return task
        time.sleep(0.2)
    raise AssertionError(f"task {task_id} did not finish in {timeout}s: {task}")


def big_workbook(rows: int) -> bytes:
    """A one-sheet workbook like ``workbook`` but written as XML directly (inline strings):
    500,000 rows take ~2 s to make (xlsxwriter: ~25 s) and a few seconds to ingest."""
    regions = ["Lima", "Cusco", "Piura", "Junín"]
    names = ["Código", "Cliente", "Región", "Monto", "Fecha"]
    head = "".join(
        f'<c r="{col}1" t="inlineStr"><is><t>{name}</t></is></c>'
        for col, name in zip("ABCDE", names, strict=True)
    )
    rows_xml = [f'<row r="1">{head}</row>']
    for i in range(rows):
        r = i + 2
        rows_xml.append(
            f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>F{i:06d}</t></is></c>'
            f'<c r="B{r}" t="inlineStr"><is><t xml:space="preserve">  Cliente {i % 50} </t>'
            f'</is></c><c r="C{r}" t="inlineStr"><is><t>{regions[i % 4]}</t></is></c>'
            f'<c r="D{r}" t="inlineStr"><is><t>{(i * 13) % 997},{i % 100:02d}</t></is></c>'
            f'<c r="E{r}" t="inlineStr"><is><t>{1 + i % 28:02d}/11/2026</t></is></c></row>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rels = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": f'<Types xmlns="{package}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{office}.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        f'ContentType="{office}.worksheet+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>",
        "xl/workbook.xml": f'<workbook xmlns="{main}" xmlns:r="{rels}"><sheets>'
        '<sheet name="Ventas" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{package}/relationships">'
        f'<Relationship Id="rId1" Type="{rels}/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>",
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{main}"><sheetData>'
        + "".join(rows_xml)
        + "</sheetData></worksheet>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        for name, text in parts.items():
            z.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + text)
    return buffer.getvalue()


class WorkerProcess:
    """``python -m ln1 worker`` as a process of the test's own (own process group)."""

    def __init__(
        self,
        env: dict[str, str],
        log_path: Path,
        concurrency: int = 1,
        queues: str = "default,heavy,ai",
    ) -> None:
        self.env, self.log_path, self.concurrency = env, log_path, concurrency
        self.queues = queues
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> WorkerProcess:
        argv = ["worker", "--concurrency", str(self.concurrency), "--queues", self.queues]
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "ln1", *argv],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        return self

    def wait_ready(self, timeout: float = 60) -> None:
        """Until Celery says "ready."; a worker that exits first fails the test at once."""

        def ready() -> bool:
            if "ready." in self.logs():
                return True
            assert self.proc is not None
            assert self.proc.poll() is None, f"worker exited:\n{self.logs()[-3000:]}"
            return False

        wait_for(ready, timeout, f"worker ready:\n{self.logs()[-3000:]}")

    def kill_hard(self) -> None:
        """SIGKILL to the main process and its pool at once: nothing runs a shutdown."""
        assert self.proc is not None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def supervised_worker(server: ServerProcess, timeout: float = 120) -> int:
    """The pid of the ``ln1 worker`` that ``ln1 up`` runs (the leader of its process group),
    once there is one alive."""

    def find() -> int | None:
        for pid in children(server.proc.pid):
            with contextlib.suppress(OSError):  # gone meanwhile
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                if b"worker" in argv:  # a dead, unreaped one has an empty command line
                    return pid
        return None

    return wait_for(find, timeout, f"ln1 up's worker:\n{server.logs()[-3000:]}")


def children(pid: int) -> list[int]:
    """Direct children of ``pid``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def wait_for(check, timeout: float, what: str, every: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := check():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
