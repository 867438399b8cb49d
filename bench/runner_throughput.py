"""Rows per second from PostgreSQL through runner → tunnel → orchestrator, against psycopg.

Data: a throw-away PostgreSQL database with one table of N rows × 8 mixed columns (int,
bigint, numeric(12,2), text, varchar, date, timestamptz, boolean; some NULLs and accents),
built with generate_series. For each size (100,000 and 1,000,000 rows by default):

* baseline: a direct psycopg fetch of ``SELECT * … ORDER BY id LIMIT n`` into Python tuples
  (the same query, the same machine, in this run);
* ln1: a fresh ``ln1-runner`` process (real config, catalog, read-only transaction, streaming
  cursor, codec, zlib, signed order) connected over WebSocket to the real ln1 app served by
  uvicorn in this process; the order goes through ``RunnerHub.order`` and every row is decoded
  back into Python values and checksum-verified, exactly what the chat does before answering.

Prints rows/s of both, their ratio, and the runner's peak RSS (VmHWM from /proc) per size.
Targets (issue 3): ratio ≥ 0.5; runner peak RSS < 150 MB and the same for 100k and 1M rows.

    uv run python bench/runner_throughput.py [--sizes 100000,1000000] [--runs 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import uvicorn

from ln1.app import create_app
from ln1.config import Settings
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.runners.hub import RunnerHub, target_of
from ln1.runners.models import Runner
from ln1.runners.service import create_runner
from ln1.tenancy.service import create_company

PG_ADMIN = os.environ.get("LN1_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
QUERY = "SELECT * FROM bench_rows ORDER BY id LIMIT :n"

CREATE = """
CREATE TABLE bench_rows AS
SELECT g AS id,
       (g::bigint * 7919) * 1000003 AS big,
       round((g % 100000) * 1.37, 2)::numeric(12,2) AS amount,
       CASE WHEN g % 10 = 0 THEN NULL ELSE 'cliente ñandú ' || (g % 5000) END AS customer,
       ('SKU-' || lpad((g % 9973)::text, 6, '0'))::varchar(20) AS sku,
       DATE '2025-01-01' + (g % 700) AS day,
       TIMESTAMPTZ '2025-01-01 08:00:00+00' + (g || ' seconds')::interval AS created_at,
       (g % 3 = 0) AS paid
FROM generate_series(1, {rows}) AS g;
ALTER TABLE bench_rows ADD PRIMARY KEY (id);
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def psycopg_rows_per_s(dsn: str, n: int) -> float:
    with psycopg.connect(dsn) as conn:
        start = time.perf_counter()
        rows = conn.execute("SELECT * FROM bench_rows ORDER BY id LIMIT %s", (n,)).fetchall()
        elapsed = time.perf_counter() - start
    assert len(rows) == n
    return n / elapsed


def runner_config(folder: Path, server: str, token: str, dsn: str, max_rows: int) -> Path:
    (folder / "runner.token").write_text(token)
    path = folder / "runner.toml"
    path.write_text(
        f"""
[server]
url = "{server}"
token_file = "runner.token"

[database]
url = "{dsn.replace("postgresql://", "postgresql+psycopg://")}"

[limits]
max_rows = {max_rows}
statement_timeout_s = 300

[audit]
path = "audit.jsonl"

[[catalog]]
name = "bench_rows"
description = "Benchmark rows"
keywords = ["bench"]
sql = "{QUERY}"
params.n = {{ type = "int" }}
"""
    )
    return path


async def through_ln1(hub: RunnerHub, sessionmaker, runner_id: str, n: int) -> tuple[float, int]:
    async with sessionmaker() as session:
        runner = await session.get(Runner, runner_id)
        target = target_of(runner)
    start = time.perf_counter()
    rows = 0
    async with hub.order(
        target, requested_by="bench", query="bench_rows", args={"n": n}, max_rows=n, timeout_s=600
    ) as extract:
        async for batch in extract.batches():
            rows += len(batch)
    elapsed = time.perf_counter() - start
    assert rows == n, (rows, n)
    return n / elapsed, rows


async def wait_connected(hub: RunnerHub, runner_id: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while runner_id not in hub.links:
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("the runner did not connect")
        await asyncio.sleep(0.05)


async def main(sizes: list[int], runs: int) -> None:
    db = f"ln1_bench_{secrets.token_hex(4)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{db}"')
    dsn = PG_ADMIN.rsplit("/", 1)[0] + f"/{db}"
    tmp = Path(tempfile.mkdtemp(prefix="ln1-bench-"))
    try:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(CREATE.format(rows=max(sizes)))
            conn.execute("ANALYZE bench_rows")
        port = free_port()
        settings = Settings(data_dir=tmp / "data", port=port, log_level="WARNING")
        settings.ensure_data_dir()
        upgrade(settings.sqlalchemy_url)
        engine = make_engine(settings.sqlalchemy_url)
        sessionmaker = make_sessionmaker(engine)
        async with sessionmaker() as session:
            company = await create_company(session, "bench", "Bench SA")
            runner, token = await create_runner(session, company, "bench")
            await session.commit()
        app = create_app(settings)
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False)
        )
        serving = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn exposes a flag, not an event
            await asyncio.sleep(0.05)
        hub: RunnerHub = app.state.hub
        print(f"PostgreSQL → ln1-runner → WebSocket → orchestrator; 8 mixed columns; {runs} runs")
        print(
            f"{'rows':>10} {'psycopg rows/s':>15} {'ln1 rows/s':>12} {'ratio':>6} "
            f"{'runner RSS':>11}"
        )
        for n in sizes:
            folder = tmp / f"runner-{n}"
            folder.mkdir()
            config = runner_config(folder, f"ws://127.0.0.1:{port}", token, dsn, max(sizes))
            proc = subprocess.Popen(  # noqa: ASYNC220 - started once per size, not on a hot path
                [sys.executable, "-m", "ln1_runner", "run", "--config", str(config)],
                stdout=(folder / "runner.log").open("wb"),
                stderr=subprocess.STDOUT,
            )
            try:
                await wait_connected(hub, runner.id, proc)
                base = max(psycopg_rows_per_s(dsn, n) for _ in range(runs))
                ours = 0.0
                for _ in range(runs):
                    cpu_runner, cpu_here = cpu_seconds(proc.pid), time.process_time()
                    rate, _ = await through_ln1(hub, sessionmaker, runner.id, n)
                    ours = max(ours, rate)
                    if os.environ.get("BENCH_VERBOSE"):
                        print(
                            f"  run: {n / rate:.2f} s wall, runner CPU "
                            f"{cpu_seconds(proc.pid) - cpu_runner:.2f} s, orchestrator CPU "
                            f"{time.process_time() - cpu_here:.2f} s"
                        )
                rss = peak_rss_mb(proc.pid)
            finally:
                proc.terminate()
                await asyncio.to_thread(proc.wait, 20)
            while runner.id in hub.links:  # noqa: ASYNC110 - wait for the hub to see it go
                await asyncio.sleep(0.05)
            print(f"{n:>10,} {base:>15,.0f} {ours:>12,.0f} {ours / base:>6.2f} {rss:>8.0f} MB")
        server.should_exit = True
        await serving
        await engine.dispose()
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.runs))
