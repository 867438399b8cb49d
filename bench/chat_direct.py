"""Throughput and latency of direct-route chat messages over real HTTP.

Starts ``ln1 up`` on a temporary data folder (embedded default: SQLite) and, as the
baseline, a bare FastAPI JSON endpoint served the same way (uvicorn, with as many processes
as ``ln1 up`` serves with, behind the same ``ln1.api_processes``: ``--processes``, default
ln1's own default). For
1, 16 and 64 concurrent clients it sends direct-route messages (greeting, help, task
status, out-of-scope: each stored, classified, checkpointed) and prints requests/s and
p50/p99 latency for both, and ln1's throughput as a share of the bare endpoint's. It also
prints the IntentEngine's own per-message latency (classifier + slots, in-process).

Each level runs ``--rounds`` times, bare and ln1 alternating, so a slow moment of the
machine hits both; the table shows the median of the rounds' throughputs and of their
ratios, and latency percentiles over all rounds' requests pooled.

What is measured is the servers, so the client keeps out of the way: measuring starts once
the machine is idle (``ln1 up`` starts its worker after the API is ready, and that start
took a core for seconds, into the first rounds), and the client's garbage collector is off
during a round (a full collection of the client's heap took 70 ms here, and every request
in flight then counted it as server latency).

    uv run python bench/chat_direct.py [--requests 600] [--rounds 3] [--processes N]
                                       [--database-url URL] [--clients 1,16,64]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import httpx

HERE = Path(__file__).parent
MODEL_CACHE = HERE / "out" / "cache"
MESSAGES = ("hola", "¿qué puedes hacer?", "¿cómo va mi reporte?", "cuéntame un chiste", "gracias")


@dataclass
class Level:
    """The rounds of one concurrency level: ln1's and the bare endpoint's, paired."""

    clients: int
    ln1: list[Result]
    bare: list[Result]

    @property
    def ln1_rps(self) -> float:
        return statistics.median(r.rps for r in self.ln1)

    @property
    def bare_rps(self) -> float:
        return statistics.median(r.rps for r in self.bare)

    @property
    def ratio(self) -> float:
        return statistics.median(c.rps / b.rps for c, b in zip(self.ln1, self.bare, strict=True))

    @staticmethod
    def pct(results: list[Result], q: float) -> float:
        return Result(0, 0, 1.0, [x for r in results for x in r.latencies_ms]).pct(q)


@dataclass
class Result:
    clients: int
    requests: int
    seconds: float
    latencies_ms: list[float]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} not ready")


def ln1_cli(env: dict[str, str], *args: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "ln1", *args, "--json"], env=env, capture_output=True, text=True
    )
    if out.returncode:
        raise RuntimeError(out.stdout + out.stderr)
    return json.loads(out.stdout)


def wait_idle(share: float = 0.9, window: float = 0.5, timeout: float = 60) -> None:
    """Until the machine's CPUs are at least ``share`` idle over ``window`` seconds (Linux)."""
    stat = Path("/proc/stat")
    if not stat.exists():
        time.sleep(5)
        return

    def counters() -> tuple[int, int]:
        fields = [int(x) for x in stat.read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)  # idle + iowait, all

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        idle0, total0 = counters()
        time.sleep(window)
        idle1, total1 = counters()
        if total1 > total0 and (idle1 - idle0) / (total1 - total0) >= share:
            return


@contextlib.contextmanager
def client_gc_paused() -> Iterator[None]:
    """The client's collector off for a round; what the round left is collected after it."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.collect()


async def load(clients: int, total: int, make_request: callable, warmup: int = 20) -> Result:
    latencies: list[float] = []
    counter = iter(range(total + warmup))

    async def worker(index: int) -> None:
        async with httpx.AsyncClient(timeout=30) as http:
            state = await make_request.setup(http, index)
            for n in counter:
                start = time.perf_counter()
                response = await make_request(http, state, n)
                elapsed = (time.perf_counter() - start) * 1000
                if response.status_code != 200:
                    raise RuntimeError(f"{response.status_code}: {response.text[:200]}")
                if n >= warmup:
                    latencies.append(elapsed)

    with client_gc_paused():
        start = time.perf_counter()
        await asyncio.gather(*(worker(i) for i in range(clients)))
        return Result(clients, len(latencies), time.perf_counter() - start, latencies)


class ChatRequests:
    def __init__(self, base: str, key: str) -> None:
        self.base, self.headers = base, {"Authorization": f"Bearer {key}"}

    async def setup(self, http: httpx.AsyncClient, index: int) -> str:
        response = await http.post(f"{self.base}/v1/threads", headers=self.headers)
        return response.json()["id"]

    async def __call__(self, http: httpx.AsyncClient, thread: str, n: int) -> httpx.Response:
        response = await http.post(
            f"{self.base}/v1/threads/{thread}/messages",
            json={"content": MESSAGES[n % len(MESSAGES)]},
            headers=self.headers,
        )
        if response.status_code == 200 and response.json()["route"] != "direct":
            raise RuntimeError(f"not a direct-route answer: {response.text[:200]}")
        return response


class BareRequests:
    def __init__(self, base: str) -> None:
        self.base = base

    async def setup(self, http: httpx.AsyncClient, index: int) -> None:
        return None

    async def __call__(self, http: httpx.AsyncClient, _: None, n: int) -> httpx.Response:
        return await http.post(f"{self.base}/echo", json={"content": MESSAGES[n % len(MESSAGES)]})


def intent_engine_latency() -> tuple[float, float, int]:
    from ln1.orchestrator.intent.dataset import load_examples, split
    from ln1.orchestrator.intent.engine import IntentEngine

    train, held_out = split(load_examples())
    engine = IntentEngine.train(train)
    today = date.today()
    timings = []
    for example in held_out * 3:
        start = time.perf_counter()
        engine.understand(example.text, today)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99)], len(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600, help="per level and round")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs per level")
    parser.add_argument("--database-url", default=None, help="PostgreSQL instead of SQLite")
    parser.add_argument("--processes", type=int, default=None, help="API processes of both servers")
    parser.add_argument(
        "--clients", default="1,16,64", help="concurrency levels, comma-separated (default 1,16,64)"
    )
    args = parser.parse_args()
    from ln1.config import Settings

    processes = args.processes or Settings(_env_file=None).api_processes

    with tempfile.TemporaryDirectory() as tmp:
        env = {k: v for k, v in os.environ.items() if not k.startswith("LN1_")}
        # The intent model is cached across runs (bench/out is not in git): the first
        # start of a fresh data folder trains it, which is not what this measures.
        env.update(LN1_DATA_DIR=tmp, LN1_LOG_LEVEL="WARNING", LN1_CACHE_DIR=str(MODEL_CACHE))
        env["LN1_API_PROCESSES"] = str(processes)
        if args.database_url:
            env["LN1_DATABASE_URL"] = args.database_url
        slug = f"bench-{os.getpid()}"
        ln1_cli(env, "admin", "create-company", slug)
        key = ln1_cli(
            env,
            "admin",
            "create-user",
            "--company",
            slug,
            "--email",
            "b@bench.example",
            "--role",
            "member",
        )["api_key"]

        ln1_port, bare_port = free_port(), free_port()
        servers = [
            subprocess.Popen(
                [sys.executable, "-m", "ln1", "up", "--port", str(ln1_port)],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
            subprocess.Popen(
                [sys.executable, "bare_app.py", str(bare_port), str(processes)],
                cwd=HERE,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            ),
        ]
        try:
            wait_ready(f"http://127.0.0.1:{ln1_port}/healthz", servers[0])
            wait_ready(f"http://127.0.0.1:{bare_port}/docs", servers[1])
            wait_idle()
            chat = ChatRequests(f"http://127.0.0.1:{ln1_port}", key)
            bare = BareRequests(f"http://127.0.0.1:{bare_port}")
            rows = []
            for clients in (int(c) for c in args.clients.split(",")):
                level = Level(clients, [], [])
                for _ in range(args.rounds):
                    level.bare.append(asyncio.run(load(clients, args.requests, bare)))
                    level.ln1.append(asyncio.run(load(clients, args.requests, chat)))
                rows.append(level)
        finally:
            for proc in servers:
                proc.send_signal(signal.SIGTERM)
                proc.wait(30)

    backend = "PostgreSQL" if args.database_url else "SQLite (embedded default)"
    print(
        f"chat_direct: {args.requests} direct-route messages per level and round, "
        f"{args.rounds} rounds, ln1 on {backend}, {processes} API process(es) for ln1 and "
        f"for bare, {os.cpu_count()} cores, client and servers on one machine"
    )
    print(
        f"{'clients':>7} | {'ln1 req/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
        f"{'bare req/s':>10} {'p50 ms':>7} {'p99 ms':>7} | {'ln1/bare':>8} (rounds)"
    )
    for level in rows:
        each = ", ".join(f"{c.rps / b.rps:.1%}" for c, b in zip(level.ln1, level.bare, strict=True))
        print(
            f"{level.clients:>7} | {level.ln1_rps:>9.0f} {level.pct(level.ln1, 0.5):>7.1f} "
            f"{level.pct(level.ln1, 0.99):>7.1f} | {level.bare_rps:>10.0f} "
            f"{level.pct(level.bare, 0.5):>7.1f} {level.pct(level.bare, 0.99):>7.1f} | "
            f"{level.ratio:>8.1%} ({each})"
        )
    p50, p99, n = intent_engine_latency()
    print(
        f"IntentEngine.understand (classifier + slots), {n} held-out messages: "
        f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
    )
    at16 = next(level for level in rows if level.clients == 16)
    ratio16, p99_16 = at16.ratio, at16.pct(at16.ln1, 0.99)
    print(
        f"targets at 16 clients: throughput >= 20% of bare -> {ratio16:.1%}; "
        f"p99 < 100 ms -> {p99_16:.1f} ms; IntentEngine p99 < 5 ms -> {p99:.2f} ms"
    )


if __name__ == "__main__":
    main()
