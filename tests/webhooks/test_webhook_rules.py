"""Webhook rules: an event of a company, stored for the first time, starts the task the
company's admin asked for, through the chat's own path (a task record, then its queue).

Real ``ln1 up`` servers on SQLite and PostgreSQL with no worker: each started task is checked
in the database and on the embedded broker, where it waits. ``test_webhook_rule_runs.py``
lets a real worker run one.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from ln1.db.migrate import sync_url
from ln1.ids import new_id
from tests.conftest import ServerProcess, Tenant, _create_tenant
from tests.webhooks.conftest import EdgeServer
from tests.webhooks.test_webhooks_endpoint import envelope, post

PROMPT = "Resume el pedido nuevo para el equipo de ventas en tres líneas."


@pytest.fixture
def company(edge_server: EdgeServer) -> Tenant:
    return asyncio.run(_create_tenant(edge_server.backend.settings, edge_server.url))


@pytest.fixture
def other_company(edge_server: EdgeServer) -> Tenant:
    return asyncio.run(_create_tenant(edge_server.backend.settings, edge_server.url))


def make_rule(tenant: Tenant, **overrides: Any) -> httpx.Response:
    body = {"source": "shop", "event": "order.created", "prompt": PROMPT, **overrides}
    with tenant.client("admin") as client:
        return client.post("/v1/webhook-rules", json=body)


def order_event(tenant: Tenant, **overrides: Any) -> dict[str, Any]:
    payload = {"order": {"id": 1042, "customer": "Ferretería Lima", "total": "1.234,50"}}
    fields: dict[str, Any] = {"event": "order.created", "company": tenant.slug, "payload": payload}
    return envelope(source="shop", **{**fields, **overrides})


def task_rows(srv: EdgeServer, **where: str) -> list[dict[str, Any]]:
    clause = " AND ".join(f"{column} = :{column}" for column in where)
    engine = create_engine(sync_url(srv.backend.settings.sqlalchemy_url))
    try:
        with engine.connect() as conn:
            result = conn.execute(
                text(
                    "SELECT id, company_id, user_id, thread_id, kind, status, params "
                    f"FROM tasks WHERE {clause}"
                ),
                where,
            )
            rows = [dict(r._mapping) for r in result]
    finally:
        engine.dispose()
    for row in rows:
        if isinstance(row["params"], str):
            row["params"] = json.loads(row["params"])
    return rows


def queued_on(srv: EdgeServer, task_id: str) -> list[str]:
    """The queues of the embedded broker holding a message that runs ``task_id``."""
    broker = srv.backend.settings.data_dir / "broker.sqlite"
    with sqlite3.connect(broker) as conn:
        rows = conn.execute(
            "SELECT q.name FROM kombu_message m JOIN kombu_queue q ON q.id = m.queue_id "
            "WHERE m.payload LIKE ?",
            (f"%{task_id}%",),
        ).fetchall()
    return [name for (name,) in rows]


def test_an_admin_makes_a_rule_with_a_thread_for_its_results(
    edge_server: EdgeServer, company: Tenant
) -> None:
    r = make_rule(company)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["id"].startswith("whr_")
    assert (rule["source"], rule["event"], rule["kind"]) == ("shop", "order.created", "long_text")
    assert rule["language"] == "es"  # the company's
    assert rule["user_id"] == company.user_ids["admin"]
    with company.client("admin") as client:
        threads = client.get("/v1/threads").json()["data"]
        assert [t["id"] for t in threads] == [rule["thread_id"]]
        assert threads[0]["title"] == "Webhook shop · order.created"
        assert client.get("/v1/webhook-rules").json()["data"] == [rule]


def test_a_second_rule_for_the_same_event_is_a_conflict(
    edge_server: EdgeServer, company: Tenant
) -> None:
    assert make_rule(company).status_code == 201
    again = make_rule(company, prompt="otra cosa")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "conflict"
    with company.client("admin") as client:
        assert len(client.get("/v1/webhook-rules").json()["data"]) == 1
        assert len(client.get("/v1/threads").json()["data"]) == 1  # no stray thread


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"source": "Shop"}, "source"),
        ({"event": ""}, "event"),
        ({"kind": "ingest"}, "kind"),  # needs files: cannot run from an event
        ({"prompt": ""}, "prompt"),
        ({"prompt": "x" * 1501}, "prompt"),
        ({"language": "fr"}, "language"),
        ({"then": "delete everything"}, "then"),
    ],
)
def test_an_invalid_rule_is_refused(
    edge_server: EdgeServer, company: Tenant, change: dict[str, Any], needle: str
) -> None:
    r = make_rule(company, **change)
    assert r.status_code == 422, r.text
    assert needle in r.json()["error"]["message"]


@pytest.mark.parametrize("role", ["analyst", "member"])
def test_only_admins_see_and_make_rules_and_events(
    edge_server: EdgeServer, company: Tenant, role: str
) -> None:
    body = {"source": "shop", "event": "order.created", "prompt": PROMPT}
    with company.client(role) as client:
        assert client.post("/v1/webhook-rules", json=body).status_code == 403
        assert client.get("/v1/webhook-rules").status_code == 403
        assert client.get("/v1/webhook-events").status_code == 403


def test_a_matching_event_starts_one_queued_task(edge_server: EdgeServer, company: Tenant) -> None:
    rule = make_rule(company).json()
    body = order_event(company)
    r = post(edge_server, "shop", body)
    assert r.status_code == 202, r.text
    task_id = r.json()["task_id"]
    assert task_id and task_id.startswith("task_")

    [task] = task_rows(edge_server, id=task_id)
    assert task["company_id"] == company.company_id
    assert task["user_id"] == company.user_ids["admin"]
    assert task["thread_id"] == rule["thread_id"]
    assert (task["kind"], task["status"]) == ("long_text", "queued")
    params = task["params"]
    assert params["lang"] == "es" and params["webhook_rule_id"] == rule["id"]
    assert params["region"] == "PE"  # the company's time zone is America/Lima
    assert params["prompt"].startswith(PROMPT)
    assert "Ferretería Lima" in params["prompt"] and body["delivery_id"] in params["prompt"]
    assert queued_on(edge_server, task_id) == ["ai"]

    with company.client("admin") as client:
        assert client.get(f"/v1/tasks/{task_id}").json()["status"] == "queued"
        [listed] = client.get("/v1/webhook-events").json()["data"]
        assert listed["id"] == r.json()["id"] == params["webhook_event_id"]
        assert (listed["task_id"], listed["task_status"]) == (task_id, "queued")
        one = client.get(f"/v1/webhook-events/{listed['id']}").json()
        assert one["task_id"] == task_id and one["payload"] == body["payload"]


def test_a_repeated_delivery_starts_no_second_task(
    edge_server: EdgeServer, company: Tenant
) -> None:
    make_rule(company)
    body = order_event(company)
    first = post(edge_server, "shop", body)
    again = post(edge_server, "shop", body)
    assert again.status_code == 202 and again.json()["duplicate"] is True
    assert again.json()["task_id"] == first.json()["task_id"]
    assert len(task_rows(edge_server, user_id=company.user_ids["admin"])) == 1
    assert len(queued_on(edge_server, first.json()["task_id"])) == 1


def test_concurrent_deliveries_start_one_task(edge_server: EdgeServer, company: Tenant) -> None:
    make_rule(company)
    body = order_event(company)
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda _: post(edge_server, "shop", body), range(8)))
    assert [a.status_code for a in answers] == [202] * 8
    assert len({a.json()["task_id"] for a in answers}) == 1
    [task] = task_rows(edge_server, user_id=company.user_ids["admin"])
    assert len(queued_on(edge_server, task["id"])) == 1


def test_events_no_rule_matches_start_nothing(edge_server: EdgeServer, company: Tenant) -> None:
    make_rule(company)
    other_event = post(edge_server, "shop", order_event(company, event="order.cancelled"))
    other_source = post(edge_server, "billing", {**order_event(company), "source": "billing"})
    no_company = post(edge_server, "shop", envelope(source="shop", event="order.created"))
    for answer in (other_event, other_source, no_company):
        assert answer.status_code == 202, answer.text
        assert answer.json()["task_id"] is None
    assert task_rows(edge_server, user_id=company.user_ids["admin"]) == []


def test_another_companys_rule_does_not_fire(
    edge_server: EdgeServer, company: Tenant, other_company: Tenant
) -> None:
    make_rule(company)
    r = post(edge_server, "shop", order_event(other_company))
    assert r.json()["task_id"] is None


def test_a_deleted_rule_starts_nothing_more(edge_server: EdgeServer, company: Tenant) -> None:
    rule = make_rule(company).json()
    with company.client("admin") as client:
        assert client.delete(f"/v1/webhook-rules/{rule['id']}").status_code == 204
        assert client.get("/v1/webhook-rules").json()["data"] == []
        assert client.delete(f"/v1/webhook-rules/{rule['id']}").status_code == 404
    assert post(edge_server, "shop", order_event(company)).json()["task_id"] is None


def test_another_companys_rules_and_events_are_not_found(
    edge_server: EdgeServer, company: Tenant, other_company: Tenant
) -> None:
    rule = make_rule(company).json()
    event = post(edge_server, "shop", order_event(company)).json()
    with other_company.client("admin") as client:
        assert client.get("/v1/webhook-rules").json()["data"] == []
        assert client.delete(f"/v1/webhook-rules/{rule['id']}").status_code == 404
        assert client.get("/v1/webhook-events").json()["data"] == []
        missing = client.get(f"/v1/webhook-events/{event['id']}")
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        assert client.get(f"/v1/tasks/{event['task_id']}").status_code == 404
    with company.client("admin") as client:
        assert len(client.get("/v1/webhook-rules").json()["data"]) == 1


def test_events_list_newest_first_by_page_and_filter(
    edge_server: EdgeServer, company: Tenant
) -> None:
    ids = [post(edge_server, "shop", order_event(company)).json()["id"] for _ in range(3)]
    post(edge_server, "shop", order_event(company, event="order.paid"))
    with company.client("admin") as client:
        page = client.get("/v1/webhook-events", params={"event": "order.created", "limit": 2})
        first = page.json()
        assert [e["id"] for e in first["data"]] == ids[::-1][:2]
        rest = client.get(
            "/v1/webhook-events",
            params={"event": "order.created", "limit": 2, "cursor": first["next_cursor"]},
        ).json()
        assert [e["id"] for e in rest["data"]] == [ids[0]] and rest["next_cursor"] is None
        assert len(client.get("/v1/webhook-events").json()["data"]) == 4


def test_a_redelivery_starts_the_task_a_crash_left_unstarted(
    edge_server: EdgeServer, company: Tenant
) -> None:
    """The event was stored with its task id, then the process died before the task record:
    the edge, retrying (it got no 202), delivers again and the task starts under that id."""
    make_rule(company)
    body = order_event(company)
    event_id, task_id = new_id("whk"), new_id("task")
    engine = create_engine(sync_url(edge_server.backend.settings.sqlalchemy_url))
    try:
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO webhook_events (id, company_id, source, event, delivery_id, "
                    "received_at, payload, created_at, task_id) VALUES (:id, :company, 'shop', "
                    "'order.created', :delivery, :now, :payload, :now, :task)"
                ),
                {
                    "id": event_id,
                    "company": company.company_id,
                    "delivery": body["delivery_id"],
                    "now": datetime.now(UTC),
                    "payload": json.dumps(body["payload"]),
                    "task": task_id,
                },
            )
    finally:
        engine.dispose()
    assert task_rows(edge_server, id=task_id) == []

    r = post(edge_server, "shop", body)
    assert r.status_code == 202
    assert (r.json()["duplicate"], r.json()["task_id"]) == (True, task_id)
    [task] = task_rows(edge_server, id=task_id)
    assert task["status"] == "queued" and task["params"]["webhook_event_id"] == event_id
    assert queued_on(edge_server, task_id) == ["ai"]


def test_rules_need_workers_ai(server: ServerProcess, tenant: Tenant) -> None:
    """The suite's shared server has no Cloudflare credentials: a rule could only fail."""
    with tenant.client("admin") as client:
        r = client.post(
            "/v1/webhook-rules",
            json={"source": "shop", "event": "order.created", "prompt": PROMPT},
        )
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "not_configured"
        assert "LN1_CLOUDFLARE_API_TOKEN" in r.json()["error"]["message"]
        assert client.get("/v1/webhook-rules").json()["data"] == []
