"""Orders are trusted only when signed for this runner, unexpired and new.

A hostile orchestrator here is a real WebSocket server the real runner client dials; it sends
forged, tampered, expired, misaddressed and replayed orders next to a good one.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec
import pytest
from ln1_runner import protocol as p
from ln1_runner.client import RunnerClient, backoff_delays
from ln1_runner.codec import decode_rows
from ln1_runner.config import load_config
from websockets.asyncio.server import ServerConnection, serve

TOKEN = "ln1_rt_" + "k" * 43
RUNNER_ID = "run_test"


def spec(**changes: Any) -> p.OrderSpec:
    now = datetime.now(UTC)
    values: dict[str, Any] = {
        "id": f"ord_{now.timestamp()}_{changes.get('id', '')}",
        "runner_id": RUNNER_ID,
        "query": "customers_since",
        "args": {"since": "2026-01-01"},
        "requested_by": "usr_1",
        "issued_at": now,
        "expires_at": now + timedelta(seconds=30),
    }
    values.update(changes)
    return p.OrderSpec(**values)


# --- the checks themselves ----------------------------------------------------------------------


def test_a_signed_order_for_this_runner_is_accepted_once() -> None:
    key = p.order_key(TOKEN)
    order = p.sign_order(spec(), key)
    nonces = p.NonceBook()
    assert p.verify_order(order, key, RUNNER_ID, nonces) == order.spec
    with pytest.raises(p.OrderRejected) as replay:
        p.verify_order(order, key, RUNNER_ID, nonces)
    assert replay.value.code == "replayed"


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (lambda k: p.sign_order(spec(), p.order_key("ln1_rt_other")), "bad_signature"),
        (lambda k: p.Order(spec=spec(), signature="00" * 32), "bad_signature"),
        (lambda k: p.Order(spec=spec(), signature=""), "bad_signature"),
        (
            lambda k: p.Order(
                spec=msgspec.structs.replace(
                    p.sign_order(spec(), k).spec, args={"since": "1900-01-01"}
                ),
                signature=p.sign_order(spec(), k).signature,
            ),
            "bad_signature",
        ),
        (lambda k: p.sign_order(spec(runner_id="run_other"), k), "wrong_runner"),
        (
            lambda k: p.sign_order(
                spec(
                    issued_at=datetime.now(UTC) - timedelta(minutes=2),
                    expires_at=datetime.now(UTC) - timedelta(minutes=1),
                ),
                k,
            ),
            "expired",
        ),
        (
            lambda k: p.sign_order(
                spec(
                    issued_at=datetime.now(UTC) + timedelta(hours=1),
                    expires_at=datetime.now(UTC) + timedelta(hours=2),
                ),
                k,
            ),
            "not_yet_valid",
        ),
        (lambda k: p.sign_order(spec(query=None), k), "bad_order"),
        (lambda k: p.sign_order(spec(sql="SELECT 1"), k), "bad_order"),
    ],
    ids=[
        "other_key",
        "zero_signature",
        "empty_signature",
        "tampered_args",
        "wrong_runner",
        "expired",
        "future",
        "no_query",
        "query_and_sql",
    ],
)
def test_forged_or_invalid_orders_are_refused(make: Any, code: str) -> None:
    key = p.order_key(TOKEN)
    with pytest.raises(p.OrderRejected) as refused:
        p.verify_order(make(key), key, RUNNER_ID, p.NonceBook())
    assert refused.value.code == code


def test_an_unknown_field_cannot_ride_along_a_signed_order() -> None:
    order = json.loads(p.encode(p.sign_order(spec(), p.order_key(TOKEN))))
    order["spec"]["sql_extra"] = "DROP TABLE customers"
    with pytest.raises(p.ProtocolError):
        p.decode_to_runner(json.dumps(order))


def test_backoff_grows_exponentially_to_the_cap_with_jitter() -> None:
    delays = backoff_delays(base=0.5, cap=30.0)
    waits = [next(delays) for _ in range(12)]
    for n, wait in enumerate(waits):
        ceiling = min(30.0, 0.5 * 2**n)
        assert ceiling * 0.5 <= wait <= ceiling
    assert len({round(w, 6) for w in waits[8:]}) > 1  # jitter: capped waits still differ


# --- a real runner client against a hostile orchestrator ---------------------------------------


@dataclass
class FakeOrchestrator:
    """Accepts the runner, welcomes it, and records everything it answers."""

    key: bytes = field(default_factory=lambda: p.order_key(TOKEN))
    connected: asyncio.Event = field(default_factory=asyncio.Event)
    answers: dict[str, list[Any]] = field(default_factory=dict)
    hello: p.Hello | None = None
    ws: ServerConnection | None = None

    async def handler(self, ws: ServerConnection) -> None:
        assert ws.request is not None
        assert ws.request.headers["Authorization"] == f"Bearer {TOKEN}"
        self.hello = p.decode_to_server(await ws.recv())
        welcome = p.Welcome(
            runner_id=RUNNER_ID, runner_name="test", company_id="co_1", heartbeat_s=5
        )
        await ws.send(p.encode(welcome))
        self.ws = ws
        self.connected.set()
        async for raw in ws:
            if isinstance(raw, bytes):
                header, payload = p.unpack_chunk(raw)
                self.answers.setdefault(header.order_id, []).append(("chunk", header, payload))
                await ws.send(p.encode(p.Ack(order_id=header.order_id, seq=header.seq)))
                continue
            message = p.decode_to_server(raw)
            if isinstance(message, p.Heartbeat):
                continue
            self.answers.setdefault(message.order_id, []).append(message)

    async def send(self, order: p.Order) -> None:
        assert self.ws is not None
        await self.ws.send(p.encode(order))

    async def final(self, order_id: str) -> Any:
        async with asyncio.timeout(10):
            while True:
                for item in self.answers.get(order_id, []):
                    if isinstance(item, p.Done | p.Refused | p.Failed):
                        return item
                await asyncio.sleep(0.02)


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "client.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT, since TEXT)")
        conn.executemany(
            "INSERT INTO customers VALUES (?, ?, ?)",
            [(i, f"Cliente {i} ñ", f"2026-0{1 + i % 9}-01") for i in range(1, 301)],
        )
    return path


@pytest.fixture
async def orchestrator_and_runner(
    tmp_path: Path, database: Path
) -> AsyncIterator[tuple[FakeOrchestrator, RunnerClient]]:
    fake = FakeOrchestrator()
    async with serve(fake.handler, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        (tmp_path / "runner.token").write_text(TOKEN)
        (tmp_path / "runner.toml").write_text(
            f"""
[server]
url = "ws://127.0.0.1:{port}"
token_file = "runner.token"

[database]
url = "sqlite:///{database}"

[limits]
chunk_rows = 50

[[catalog]]
name = "customers_since"
description = "Customers who joined since a date"
keywords = ["customers", "clientes"]
sql = "SELECT id, name, since FROM customers WHERE since >= :since ORDER BY id"
params.since = {{ type = "date" }}
"""
        )
        client = RunnerClient(load_config(tmp_path / "runner.toml"))
        stop = asyncio.Event()
        running = asyncio.create_task(client.run_forever(stop))
        async with asyncio.timeout(10):
            await fake.connected.wait()
        try:
            yield fake, client
        finally:
            stop.set()
            await running


async def test_the_runner_announces_its_catalog_without_sql(orchestrator_and_runner) -> None:
    fake, _ = orchestrator_and_runner
    assert fake.hello is not None and fake.hello.dialect == "sqlite"
    [query] = fake.hello.catalog
    assert query.name == "customers_since" and query.params[0].type == "date"
    assert "SELECT" not in p.encode(fake.hello)


async def test_a_good_order_streams_every_row_with_a_matching_checksum(
    orchestrator_and_runner,
) -> None:
    fake, client = orchestrator_and_runner
    order = p.sign_order(spec(), fake.key)
    await fake.send(order)
    done = await fake.final(order.spec.id)
    assert isinstance(done, p.Done)
    chunks = [a for a in fake.answers[order.spec.id] if isinstance(a, tuple)]
    assert len(chunks) == 6 and all(header.rows <= 50 for _, header, _ in chunks)
    checksum = p.Checksum()
    rows = []
    for _, _, payload in chunks:
        checksum.update(payload)
        rows += decode_rows(payload)
    assert done.rows == len(rows) == 300 and done.sha256 == checksum.hexdigest()
    assert rows[0] == (1, "Cliente 1 ñ", "2026-02-01")
    [entry] = [json.loads(x) for x in client.config.audit_path.read_text().splitlines()]
    assert entry["outcome"] == "ok" and entry["rows"] == 300


async def test_forged_expired_and_replayed_orders_never_reach_the_database(
    orchestrator_and_runner,
) -> None:
    fake, client = orchestrator_and_runner
    good = p.sign_order(spec(id="good"), fake.key)
    forged = p.sign_order(spec(id="forged"), p.order_key("ln1_rt_stolen"))
    expired = p.sign_order(
        spec(
            id="expired",
            issued_at=datetime.now(UTC) - timedelta(minutes=5),
            expires_at=datetime.now(UTC) - timedelta(minutes=4),
        ),
        fake.key,
    )
    elsewhere = p.sign_order(spec(id="elsewhere", runner_id="run_of_company_b"), fake.key)
    for order in (forged, expired, elsewhere, good):
        await fake.send(order)
    assert isinstance(await fake.final(good.spec.id), p.Done)
    await fake.send(good)  # the same signed order again: a replay
    for order, code in [
        (forged, "bad_signature"),
        (expired, "expired"),
        (elsewhere, "wrong_runner"),
    ]:
        refusal = await fake.final(order.spec.id)
        assert isinstance(refusal, p.Refused) and refusal.code == code
    async with asyncio.timeout(10):
        while not (replays := [a for a in fake.answers[good.spec.id] if isinstance(a, p.Refused)]):  # noqa: ASYNC110 - polling what the handler recorded
            await asyncio.sleep(0.02)
    [replay] = replays
    assert replay.code == "replayed"
    audit = [json.loads(x) for x in client.config.audit_path.read_text().splitlines()]
    refused = sorted(e["code"] for e in audit if e["outcome"] == "refused")
    assert refused == ["bad_signature", "expired", "replayed", "wrong_runner"]
    assert [e["rows"] for e in audit if e["outcome"] == "ok"] == [300]


async def test_an_order_for_a_query_outside_the_catalog_is_refused(
    orchestrator_and_runner,
) -> None:
    fake, _ = orchestrator_and_runner
    unknown = p.sign_order(spec(query="all_salaries"), fake.key)
    free = p.sign_order(spec(query=None, sql="SELECT * FROM customers"), fake.key)
    await fake.send(unknown)
    await fake.send(free)
    assert (await fake.final(unknown.spec.id)).code == "unknown_query"
    assert (await fake.final(free.spec.id)).code == "free_sql_disabled"
