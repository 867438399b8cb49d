"""The whole path over TLS: ``ln1 up`` (two API processes) serving HTTPS/WSS with a
certificate from a throw-away CA (trustme), a real runner that trusts that CA through
``ca_file``, and one that does not.
"""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import trustme

from ln1.demo_sales import build_demo_sales_db, demo_catalog_entries
from tests.conftest import Backend, Tenant, _create_tenant, free_port, make_backend
from tests.runners.conftest import (
    RunnerProcess,
    TLSServerProcess,
    ask,
    connections,
    register_runner,
    runner_status,
    runner_toml,
    wait_for,
)

Spawn = Callable[[Path, str, str], RunnerProcess]


@pytest.fixture(scope="module")
def tls_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TLSServerProcess, Backend]]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1", "localhost")
    ca_file, chain_file, key_file = folder / "ca.pem", folder / "chain.pem", folder / "key.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    chain_file.write_bytes(b"".join(pem.bytes() for pem in cert.cert_chain_pems))
    cert.private_key_pem.write_to_path(str(key_file))
    backend, _ = make_backend("sqlite", folder / "data")
    backend.env.update(LN1_TLS_CERTFILE=str(chain_file), LN1_TLS_KEYFILE=str(key_file))
    # Two API processes: each TLS connection is accepted by ``ln1 up`` and handed to one of
    # them (ln1.handoff), which does the handshake; a question may reach the runner's
    # process through the local relay.
    backend.env["LN1_API_PROCESSES"] = "2"
    server = TLSServerProcess(
        backend.env, backend.settings.data_dir, free_port(), folder / "srv.log", ca_file=ca_file
    )
    server.start()
    yield server, backend
    if server.proc is not None and server.proc.poll() is None:
        server.stop()


@pytest.fixture
def tenant(tls_server: tuple[TLSServerProcess, Backend]) -> Tenant:
    server, backend = tls_server
    return asyncio.run(_create_tenant(backend.settings, server.url))


def wss_url(server: TLSServerProcess) -> str:
    return server.url.replace("https://", "wss://")


def demo_runner_text(
    server: TLSServerProcess, token: str, folder: Path, *, trust_ca: bool
) -> tuple[str, Path]:
    database = folder / "ventas.sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    build_demo_sales_db(database, lima_today())
    text = runner_toml(
        folder,
        wss_url(server),
        token,
        f"sqlite:///{database}",
        demo_catalog_entries(),
        ca_file=server.ca_file if trust_ca else None,
    )
    return text, database


def lima_today() -> date:
    return datetime.now(ZoneInfo("America/Lima")).date()


def test_a_runner_trusting_the_custom_ca_answers_over_wss(
    tls_server: tuple[TLSServerProcess, Backend],
    tenant: Tenant,
    spawn_runner: Spawn,
    tmp_path: Path,
) -> None:
    server, backend = tls_server
    runner_id, token = register_runner(backend, tenant.slug, "seguro")
    text, database = demo_runner_text(server, token, tmp_path / "trusting", trust_ca=True)
    assert 'url = "wss://127.0.0.1:' in text and "ca_file" in text
    runner = spawn_runner(tmp_path / "trusting", text, runner_id)
    with server.client(tenant.keys["admin"]) as client:
        runner.wait_online(client)
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "runner" and reply["data"] is not None, reply["content"]
    yesterday = lima_today() - timedelta(days=1)
    data = reply["data"]
    [row] = data["rows"]
    assert row[0] == yesterday.isoformat()
    with sqlite3.connect(database) as conn:
        cents = conn.execute(
            "SELECT SUM(l.amount_cents) FROM invoice_lines l JOIN invoices i "
            "ON i.id = l.invoice_id WHERE i.issued_on = ? AND i.status <> 'void'",
            (yesterday.isoformat(),),
        ).fetchone()[0]
    assert Decimal(str(row[data["columns"].index("ventas")])) == Decimal(cents) / 100
    [entry] = runner.audit()
    assert entry["outcome"] == "ok"


def test_a_runner_without_the_ca_cannot_verify_the_server_and_keeps_retrying(
    tls_server: tuple[TLSServerProcess, Backend],
    tenant: Tenant,
    spawn_runner: Spawn,
    tmp_path: Path,
) -> None:
    server, backend = tls_server
    runner_id, token = register_runner(backend, tenant.slug, "desconfiado")
    folder = tmp_path / "untrusting"
    text, _ = demo_runner_text(server, token, folder, trust_ca=False)
    (folder / "runner.toml").write_text(text)
    check = subprocess.run(
        [sys.executable, "-m", "ln1_runner", "check", "--config", str(folder / "runner.toml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 1, check.stdout + check.stderr
    [server_line] = [line for line in check.stdout.splitlines() if " server: " in line]
    assert server_line.startswith("FAIL server: the server's TLS certificate could not be verified")
    assert "set server.ca_file" in server_line
    assert "Traceback" not in check.stdout + check.stderr

    runner = spawn_runner(folder, text, runner_id)
    wait_for("three failed attempts", lambda: runner.logs().count("reconnecting in") >= 3, 15)
    assert runner.proc is not None and runner.proc.poll() is None  # still trying, not exited
    assert "CERTIFICATE_VERIFY_FAILED" in runner.logs()
    assert connections(runner) == 0
    with server.client(tenant.keys["admin"]) as client:
        assert runner_status(client, runner_id) == "offline"
        [listed] = client.get("/v1/runners").json()["data"]
        assert listed["last_seen"] is None
