"""Turns of one thread run one at a time across API processes: those of one machine
(a lock file, the embedded default) and those sharing a PostgreSQL database (an advisory
lock, whatever machine they run on).

The other process here is a real one holding the lock through the same ``TurnLocks`` code.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ln1.db.engine import make_engine
from ln1.orchestrator.turnlock import TurnLocks
from tests.conftest import PG_ADMIN_DSN

PG_URL = "postgresql+psycopg://" + PG_ADMIN_DSN.split("://", 1)[1]

HOLDER = """
import asyncio, sys
from pathlib import Path
from ln1.db.engine import make_engine
from ln1.orchestrator.turnlock import TurnLocks

async def main() -> None:
    engine = make_engine(sys.argv[3]) if sys.argv[3] else None
    locks = TurnLocks(Path(sys.argv[1]), engine=engine)
    async with locks.hold(sys.argv[2]):
        print("held", flush=True)
        await asyncio.to_thread(sys.stdin.readline)
    print("released", flush=True)
    await asyncio.to_thread(sys.stdin.readline)

asyncio.run(main())
"""


@dataclass(frozen=True)
class Where:
    """Where turns are locked across processes: a lock file, or also a PostgreSQL database."""

    lock_file: Path
    database_url: str  # "" for the lock file alone

    def locks(self) -> TurnLocks:
        engine = make_engine(self.database_url) if self.database_url else None
        return TurnLocks(self.lock_file, engine=engine)


class Holder:
    """Another process holding ``thread_id``'s turn until told to let go."""

    def __init__(self, where: Where, thread_id: str) -> None:
        # Each process a lock file of its own when on PostgreSQL: as on separate machines.
        path = where.lock_file.with_suffix(".holder") if where.database_url else where.lock_file
        self.proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(path), thread_id, where.database_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdout.readline() == "held\n"

    def release(self) -> None:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        assert self.proc.stdout.readline() == "released\n"


@pytest.fixture(params=["lock-file", "postgresql"])
def where(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Where]:
    url = PG_URL if request.param == "postgresql" else ""
    yield Where(tmp_path / "run" / "turns.lock", url)


async def _try(locks: TurnLocks, thread_id: str, within_s: float) -> bool:
    """Whether the turn of ``thread_id`` could be taken within ``within_s`` (then let go)."""
    try:
        async with asyncio.timeout(within_s), locks.hold(thread_id):
            return True
    except TimeoutError:
        return False


def test_a_thread_held_by_another_process_waits_until_that_process_lets_go(
    where: Where,
) -> None:
    holder = Holder(where, "thr_a")
    try:

        async def scenario() -> tuple[bool, bool, bool]:
            locks = where.locks()
            try:
                while_held = await _try(locks, "thr_a", 0.3)
                other_thread = await _try(locks, "thr_b", 0.3)
                holder.release()
                after = await _try(locks, "thr_a", 2.0)
                return while_held, other_thread, after
            finally:
                locks.close()

        while_held, other_thread, after = asyncio.run(scenario())
    finally:
        holder.proc.kill()
        holder.proc.wait()
    assert not while_held, "took a turn another process was running"
    assert other_thread, "another thread's turn was held up"
    assert after, "the turn stayed locked after the other process let go"


def test_a_turn_held_by_a_process_that_died_is_free(where: Where) -> None:
    holder = Holder(where, "thr_a")
    holder.proc.kill()
    holder.proc.wait()

    async def scenario() -> bool:
        locks = where.locks()
        try:
            return await _try(locks, "thr_a", 2.0)
        finally:
            locks.close()

    assert asyncio.run(scenario())


def test_turns_of_one_thread_in_one_process_run_one_after_the_other(where: Where) -> None:
    async def scenario() -> list[str]:
        locks = where.locks()
        events: list[str] = []

        async def turn(name: str) -> None:
            async with locks.hold("thr_a"):
                events.append(f"{name} start")
                await asyncio.sleep(0.05)
                events.append(f"{name} end")

        try:
            await asyncio.gather(turn("one"), turn("two"), turn("three"))
        finally:
            locks.close()
        return events

    events = asyncio.run(scenario())
    assert events == [
        "one start",
        "one end",
        "two start",
        "two end",
        "three start",
        "three end",
    ]
