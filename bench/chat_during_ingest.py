"""Direct-route chat latency idle and while a ~100 MB workbook ingest runs on the worker.

Starts ``ln1 up`` on a temporary data folder, as a default install runs it (embedded default:
SQLite database, SQLite broker, the Celery worker child with ``LN1_WORKER_PROCESSES`` left
at its default), and makes a company and an analyst. A small CSV analysis first makes sure
the worker is up. Then 16 clients send direct-route messages (the ones of
``bench/chat_direct.py``):

(a) idle: a fixed number of requests, before the upload and again after the task ended (the
    lower p99 of the two is the baseline: other work on the machine only makes it higher);
(b) during the ingest: the sales workbook of ``bench/workbook.py`` (cached in the same
    folder as ``bench/excel_ingest.py``'s) is uploaded and its analysis asked for
    ("analiza este archivo y hazme un PDF"); the load starts as soon as the task is
    ``running`` and stops when the task ends or the request budget is spent.

Printed: p50/p99 and req/s of both, the ratio p99(during)/p99(idle) (target ≤ 2×), how much of
the task's running time the load covered, the task's times inside the stack (queued,
ingest + clean + profile, PDF) and its final status. Every process started is stopped at the
end, on error too.

    uv run python bench/chat_during_ingest.py [--requests 1000] [--size-mb 100]
        [--worker-processes N] [--set LN1_NAME=value ...]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

from chat_direct import (  # noqa: E402
    MESSAGES,
    ChatRequests,
    Result,
    client_gc_paused,
    free_port,
    ln1_cli,
)

FINAL = ("succeeded", "failed")
ASK = "analiza este archivo y hazme un PDF"
POLL_S = 0.1


@dataclass
class Timeline:
    """What polling ``GET /v1/tasks/{id}`` saw, with monotonic times."""

    asked: float
    running: float | None = None
    ended: float | None = None
    pdf_started: float | None = None
    status: str = "queued"
    stages: list[tuple[float, str, float]] = field(default_factory=list)
    task: dict | None = None

    def saw(self, now: float, task: dict) -> None:
        self.status, self.task = task["status"], task
        if task["status"] == "running" and self.running is None:
            self.running = now
        key = (task.get("stage") or "", round(task["progress"], 3))
        if not self.stages or self.stages[-1][1:] != key:
            self.stages.append((now, *key))
            # The PDF is built after "profiling" (ingest + clean map onto 0 … 0.8).
            seen_profiling = any(stage == "profiling" for _, stage, _ in self.stages[:-1])
            pdf_stage = (seen_profiling and key[1] >= 0.8) or key[1] > 0.8
            if self.pdf_started is None and key[0] != "profiling" and pdf_stage:
                self.pdf_started = now
        if task["status"] in FINAL and self.ended is None:
            self.ended = now
            if self.running is None:
                self.running = now


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid`` (from /proc), to stop them even if ``ln1 up`` dies."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                for child in children.read_text().split():
                    found.append(int(child))
                    todo.append(int(child))
    return found


def worker_processes(pids: list[int]) -> list[int]:
    """The ``ln1 worker`` processes among ``pids`` (its pool processes are forks with the same
    command line); the others under ``ln1 up`` are the API processes and the demo's runner."""
    found = []
    for pid in pids:
        with contextlib.suppress(OSError):
            if b"worker" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0"):
                found.append(pid)
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of live ``pids`` (from /proc/PID/stat)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def renice(pids: list[int], value: int) -> None:
    """Linux nice values are per thread: set it on every thread of every process, and on the
    worker's autogroup (with autogroup scheduling, each session shares the CPU as one unit, so
    a nice inside the group does not yield to the API in another session)."""
    for pid in pids:
        with contextlib.suppress(OSError):
            Path(f"/proc/{pid}/autogroup").write_text(str(value))
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with contextlib.suppress(OSError, ValueError):
                os.setpriority(os.PRIO_PROCESS, int(task.name), value)


def start_stack(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ln1", "up", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_stack(proc: subprocess.Popen[bytes], known: set[int]) -> None:
    """SIGTERM (``ln1 up`` stops its worker), then SIGKILL to whatever of it is left."""
    known |= set(descendants(proc.pid))
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for pid in [proc.pid, *sorted(known)]:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)  # the worker runs in a process group of its own
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)


def wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"ln1 up exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"ln1 up not ready in {timeout}s:\n{log.read_text()[-3000:]}")


def upload(client: httpx.Client, path: Path, name: str) -> str:
    with path.open("rb") as fh:
        response = client.post("/v1/files", files={"file": (name, fh)}, timeout=300)
    if response.status_code != 201:
        raise RuntimeError(f"upload {response.status_code}: {response.text[:300]}")
    return response.json()["id"]


def ask(client: httpx.Client, content: str, file_id: str) -> str:
    thread = client.post("/v1/threads").json()["id"]
    body = {"content": content, "file_ids": [file_id]}
    response = client.post(f"/v1/threads/{thread}/messages", json=body)
    if response.status_code != 200 or not response.json().get("task_id"):
        raise RuntimeError(f"ask {response.status_code}: {response.text[:300]}")
    return response.json()["task_id"]


def wait_task(client: httpx.Client, task_id: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        task = client.get(f"/v1/tasks/{task_id}").json()
        if task["status"] in FINAL:
            return task
        time.sleep(POLL_S)
    raise RuntimeError(f"task {task_id} did not end in {timeout:.0f}s: {task}")


async def chat_load(
    base: str,
    key: str,
    clients: int,
    budget: int,
    warmup: int,
    stop: asyncio.Event | None = None,
    begin: asyncio.Event | None = None,
) -> Result:
    """``clients`` concurrent senders (threads made first); ``budget`` measured requests
    after ``warmup`` unmeasured ones, or fewer if ``stop`` is set first. Starts at ``begin``."""
    chat = ChatRequests(base, key)
    counter = iter(range(budget + warmup))
    latencies: list[float] = []
    https = [httpx.AsyncClient(timeout=60) for _ in range(clients)]
    try:
        threads = [await chat.setup(http, i) for i, http in enumerate(https)]
        if begin is not None:
            await begin.wait()

        async def sender(http: httpx.AsyncClient, thread: str) -> None:
            for n in counter:
                if stop is not None and stop.is_set():
                    return
                started = time.perf_counter()
                response = await chat(http, thread, n)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
                if n >= warmup:
                    latencies.append(elapsed)

        with client_gc_paused():
            started = time.perf_counter()
            await asyncio.gather(*(sender(h, t) for h, t in zip(https, threads, strict=True)))
            return Result(clients, len(latencies), time.perf_counter() - started, latencies)
    finally:
        for http in https:
            await http.aclose()


async def during_ingest(
    base: str, key: str, task_id: str, asked: float, args: argparse.Namespace
) -> tuple[Result, Timeline, float, float]:
    """The load from the moment the task is ``running`` until it ends or the budget is spent.
    Returns the load's result, the task's timeline and the load's start and end times."""
    timeline = Timeline(asked=asked)
    running, ended = asyncio.Event(), asyncio.Event()
    deadline = time.monotonic() + args.task_timeout

    async def poll() -> None:
        async with httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            while time.monotonic() < deadline:
                task = (await http.get(f"/v1/tasks/{task_id}")).json()
                timeline.saw(time.monotonic(), task)
                if timeline.running is not None:
                    running.set()
                if task["status"] in FINAL:
                    ended.set()
                    return
                await asyncio.sleep(POLL_S)
        running.set()
        ended.set()

    poller = asyncio.create_task(poll())
    load = asyncio.create_task(
        chat_load(base, key, args.clients, args.max_during, 0, stop=ended, begin=running)
    )
    await running.wait()
    load_start = time.monotonic()
    result = await load
    load_end = time.monotonic()
    await poller
    if timeline.ended is None:
        raise RuntimeError(f"task {task_id} did not end in {args.task_timeout:.0f}s")
    return result, timeline, load_start, load_end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--requests", type=int, default=1000, help="idle: measured requests")
    parser.add_argument(
        "--max-during", type=int, default=3000, help="during: request budget (stops earlier "
        "when the task ends)"
    )  # fmt: skip
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ln1-bench")
    parser.add_argument("--no-pdf", action="store_true", help='ask only "analiza este archivo"')
    parser.add_argument(
        "--worker-processes", type=int, default=None, help="default: the install's default"
    )
    parser.add_argument(
        "--set", action="append", default=[], metavar="LN1_NAME=VALUE",
        help="extra environment for ln1 up (and its worker), e.g. to try a setting",
    )  # fmt: skip
    parser.add_argument(
        "--renice-worker", type=int, default=None, metavar="N",
        help="experiment: give every thread of the worker this nice value once it is up",
    )  # fmt: skip
    parser.add_argument("--task-timeout", type=float, default=150)
    args = parser.parse_args()

    import workbook

    args.cache.mkdir(parents=True, exist_ok=True)
    rows = workbook.rows_for(args.size_mb)
    book = args.cache / f"sales-{rows}.xlsx"
    if not book.exists():
        started = time.perf_counter()
        workbook.write_workbook(book, rows)
        print(f"generated {book} in {time.perf_counter() - started:.1f} s")

    known: set[int] = set()
    load_avg = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="ln1-chat-ingest-") as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LN1_")}
        env.update(LN1_DATA_DIR=str(Path(tmp) / "data"), LN1_LOG_LEVEL="WARNING")
        if args.worker_processes is not None:
            env["LN1_WORKER_PROCESSES"] = str(args.worker_processes)
        for item in args.set:
            name, _, value = item.partition("=")
            env[name] = value
        slug = f"bench-{os.getpid()}"
        ln1_cli(env, "admin", "create-company", slug)
        key = ln1_cli(
            env, "admin", "create-user", "--company", slug, "--email", "b@bench.example",
            "--role", "analyst",
        )["api_key"]  # fmt: skip
        log = Path(tmp) / "ln1-up.log"
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        proc = start_stack(env, port, log)
        try:
            wait_ready(base, proc, log)
            known |= set(descendants(proc.pid))
            headers = {"Authorization": f"Bearer {key}"}
            with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
                # The worker is up (imports done) once a small analysis has finished.
                started = time.monotonic()
                small = Path(tmp) / "ventas.csv"
                small.write_text("producto;monto\n" + "".join(f"p{i};{i},5\n" for i in range(50)))
                small_id = upload(client, small, "ventas.csv")
                warm = wait_task(client, ask(client, "analiza este archivo", small_id), 120)
                if warm["status"] != "succeeded":
                    raise RuntimeError(f"warm-up task failed: {warm}")
                worker_ready = time.monotonic() - started
                known |= set(descendants(proc.pid))
                if args.renice_worker is not None:
                    renice(descendants(proc.pid), args.renice_worker)

                idle = asyncio.run(chat_load(base, key, args.clients, args.requests, 20))

                started = time.monotonic()
                file_id = upload(client, book, book.name)
                upload_s = time.monotonic() - started
                asked = time.monotonic()
                task_id = ask(client, "analiza este archivo" if args.no_pdf else ASK, file_id)
            # `ln1 up` accepts and hands connections over; its API processes are children.
            children = descendants(proc.pid)
            workers = worker_processes(children)
            api = [proc.pid, *(pid for pid in children if pid not in workers)]
            cpu_before = cpu_seconds(api), cpu_seconds(workers)
            during, timeline, load_start, load_end = asyncio.run(
                during_ingest(base, key, task_id, asked, args)
            )
            cpu = (
                cpu_seconds(api) - cpu_before[0],
                cpu_seconds(workers) - cpu_before[1],
                load_end - load_start,
            )
            known |= set(descendants(proc.pid))
            idle_after = asyncio.run(chat_load(base, key, args.clients, args.requests, 20))
        except BaseException:
            print(f"--- last lines of ln1 up's log ({log}) ---", file=sys.stderr)
            with contextlib.suppress(OSError):
                print(log.read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            stop_stack(proc, known)

    report(
        args,
        book,
        rows,
        env,
        worker_ready,
        upload_s,
        (idle, idle_after),
        during,
        timeline,
        load_start,
        load_end,
    )
    print(
        f"CPU while the load ran ({cpu[2]:.1f} s): ln1 up and its API processes {cpu[0]:.1f} s, "
        f"worker "
        f"{cpu[1]:.1f} s; machine load average before the run {load_avg:.2f} "
        "(other work on the machine skews every figure)"
    )


def report(
    args: argparse.Namespace,
    book: Path,
    rows: int,
    env: dict[str, str],
    worker_ready: float,
    upload_s: float,
    idles: tuple[Result, Result],
    during: Result,
    timeline: Timeline,
    load_start: float,
    load_end: float,
) -> None:
    workers = env.get("LN1_WORKER_PROCESSES", "default")
    extra = " ".join(args.set)
    if args.renice_worker is not None:
        extra += f" worker reniced to {args.renice_worker}"
    print(
        f"chat_during_ingest: ln1 up, embedded default (SQLite, SQLite broker), "
        f"LN1_WORKER_PROCESSES={workers}{' ' + extra if extra else ''}, {os.cpu_count()} cores, "
        f"client and stack on one machine; {args.clients} clients, messages {MESSAGES[:2]} …"
    )
    print(
        f"data: {book.name}, {book.stat().st_size / 1e6:.1f} MB, {rows:,} rows; "
        f"upload {upload_s:.1f} s; worker ready (small analysis) after {worker_ready:.1f} s"
    )
    print(f"{'phase':>14} | {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    idle = min(idles, key=lambda r: r.pct(0.99))
    phases = (("idle before", idles[0]), ("during ingest", during), ("idle after", idles[1]))
    for name, r in phases:
        if not r.latencies_ms:
            print(f"{name:>14} | no request measured")
            continue
        print(
            f"{name:>14} | {r.requests:>8} {r.rps:>7.0f} {r.pct(0.5):>7.1f} "
            f"{r.pct(0.99):>7.1f} {max(r.latencies_ms):>7.1f}"
        )
    task = timeline.task or {}
    running_s = timeline.ended - timeline.running
    covered = min(load_end, timeline.ended) - load_start
    why = "the task ended" if load_end >= timeline.ended - 0.5 else "the request budget was spent"
    print(
        f"overlap: the load ran {load_end - load_start:.1f} s, {covered:.1f} s of the task's "
        f"{running_s:.1f} s running ({covered / running_s:.0%}); it stopped because {why}"
    )
    queued = timeline.running - timeline.asked
    if timeline.pdf_started is not None:
        ingest_s = timeline.pdf_started - timeline.running
        pdf = f"; report (PDF) {timeline.ended - timeline.pdf_started:.1f} s"
    else:
        ingest_s, pdf = running_s, " (no PDF stage seen)"
    print(
        f"task {task.get('id')} ({task.get('kind')}): {task.get('status')}; queued {queued:.1f} s, "
        f"ingest + clean + profile {ingest_s:.1f} s{pdf}; whole task {running_s:.1f} s "
        f"(times from polling every {POLL_S} s)"
    )
    if task.get("status") == "failed":
        print(f"  error: {task.get('error')}")
    if idle.latencies_ms and during.latencies_ms:
        ratio = during.pct(0.99) / idle.pct(0.99)
        verdict = "met" if ratio <= 2 else "MISSED"
        print(
            f"p99 during / p99 idle (the lower idle): {ratio:.2f}x (target ≤ 2x: {verdict}); "
            f"p50 ratio {during.pct(0.5) / idle.pct(0.5):.2f}x"
        )


if __name__ == "__main__":
    main()
