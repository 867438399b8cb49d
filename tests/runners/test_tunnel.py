"""A real runner process answers data questions through the tunnel, on both databases."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conftest import ServerProcess, Tenant
from tests.runners.conftest import RunnerProcess, ws_url


def lima_today() -> date:
    return datetime.now(ZoneInfo("America/Lima")).date()


def ask(client: httpx.Client, content: str) -> dict:
    thread = client.post("/v1/threads").json()["id"]
    response = client.post(f"/v1/threads/{thread}/messages", json={"content": content})
    assert response.status_code == 200, response.text
    return response.json()


def day_total(database: Path, day: date) -> Decimal:
    """The demo database's sales of one day, straight from SQLite."""
    with sqlite3.connect(database) as conn:
        cents = conn.execute(
            "SELECT SUM(l.amount_cents) FROM invoice_lines l "
            "JOIN invoices i ON i.id = l.invoice_id WHERE i.issued_on = ? AND i.status <> 'void'",
            (day.isoformat(),),
        ).fetchone()[0]
    return Decimal(cents) / 100


@pytest.fixture
def runner(start_runner, tenant: Tenant) -> RunnerProcess:
    return start_runner(tenant)


def test_a_started_runner_is_online_with_its_version_and_dialect(
    runner: RunnerProcess, tenant: Tenant
) -> None:
    with tenant.client() as client:
        [listed] = client.get("/v1/runners").json()["data"]
    assert listed["id"] == runner.runner_id
    assert (listed["status"], listed["dialect"], listed["version"]) == ("online", "sqlite", "0.1.0")
    assert listed["last_seen"] is not None


def test_yesterdays_sales_come_back_with_the_real_rows(
    runner: RunnerProcess, tenant: Tenant
) -> None:
    yesterday = lima_today() - timedelta(days=1)
    with tenant.client("analyst") as client:
        reply = ask(client, "Dame las ventas de ayer")
    assert (reply["route"], reply["intent"]) == ("runner", "data_query")
    data = reply["data"]
    assert data["columns"][0] == "fecha" and "ventas" in data["columns"]
    [row] = data["rows"]
    assert row[0] == yesterday.isoformat()
    expected = day_total(runner.folder / "ventas.sqlite", yesterday)
    assert Decimal(str(row[data["columns"].index("ventas")])) == expected
    assert yesterday.strftime("%d/%m/%Y") in reply["content"]
    assert f"{expected:,.2f}" in reply["content"]
    [entry] = runner.audit()
    assert entry["outcome"] == "ok" and entry["query"] == "sales_by_day"
    assert entry["requested_by"] == tenant.user_ids["analyst"]
    assert entry["args"] == {"date_from": yesterday.isoformat(), "date_to": yesterday.isoformat()}


def test_an_english_question_gets_an_english_summary(runner: RunnerProcess, tenant: Tenant) -> None:
    with tenant.client() as client:
        reply = ask(client, "sales by region last month")
    assert reply["route"] == "runner"
    assert reply["data"]["columns"][0] == "region"
    assert reply["content"].startswith("Sales by region")
    assert "PEN" in reply["content"]


def test_a_member_is_refused_before_any_order_reaches_the_runner(
    runner: RunnerProcess, tenant: Tenant
) -> None:
    with tenant.client("member") as client:
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "denied" and reply["data"] is None
    assert runner.audit() == []


def test_a_question_no_catalog_entry_fits_lists_what_can_be_asked(
    runner: RunnerProcess, tenant: Tenant
) -> None:
    with tenant.client() as client:
        reply = ask(client, "¿cuál fue el margen de utilidad por producto el mes pasado?")
    assert reply["route"] == "runner" and reply["data"] is None
    assert "no tiene una consulta autorizada" in reply["content"]
    assert "Ventas por región" in reply["content"]
    assert runner.audit() == []


def test_a_large_result_is_capped_in_chat_and_complete_in_a_csv_artifact(
    runner: RunnerProcess, tenant: Tenant, other_tenant: Tenant
) -> None:
    with tenant.client() as client:
        reply = ask(client, "ventas por día de los últimos 300 días")
        data = reply["data"]
        assert data["total_rows"] > 200 and len(data["rows"]) == 200
        artifact = data["artifact"]
        download = client.get(artifact["url"])
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert rows[0] == data["columns"] and len(rows) - 1 == data["total_rows"]
    for stranger in (other_tenant.client(), tenant.client("analyst")):
        with stranger:
            assert stranger.get(artifact["url"]).status_code == 404


def test_a_runner_token_cannot_call_user_endpoints(start_runner, tenant: Tenant) -> None:
    process = start_runner(tenant)
    token = (process.folder / "runner.token").read_text()
    with httpx.Client(base_url=tenant.base_url, headers={"Authorization": f"Bearer {token}"}) as c:
        for method, path in [
            ("GET", "/v1/me"),
            ("POST", "/v1/threads"),
            ("GET", "/v1/runners"),
            ("POST", "/v1/chat/completions"),
        ]:
            assert c.request(method, path, json={}).status_code == 401, path


async def _handshake_status(url: str, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    try:
        async with connect(url, additional_headers=headers, open_timeout=5):
            return 101
    except InvalidStatus as e:
        return e.response.status_code


def test_only_a_runner_token_opens_the_tunnel(server: ServerProcess, tenant: Tenant) -> None:
    url = ws_url(server) + "/v1/runners/connect"
    for token in (None, "", tenant.keys["admin"], "ln1_rt_" + "x" * 43):
        assert asyncio.run(_handshake_status(url, token)) == 403, token


def test_a_runner_of_one_company_never_gets_another_companys_orders(
    runner: RunnerProcess, tenant: Tenant, other_tenant: Tenant
) -> None:
    with other_tenant.client() as client:
        reply = ask(client, "Dame las ventas de ayer")
    assert reply["route"] == "runner" and reply["data"] is None
    assert "No hay ningún Local Runner conectado" in reply["content"]
    assert runner.audit() == []
