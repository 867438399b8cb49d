"""A webhook rule end to end with a real worker: a signed order event reaches ``ln1 up`` (the
embedded stack: API, a Celery worker, the embedded broker), the company's rule starts a
``long_text`` task, the worker runs it against the Workers AI contract stand-in, and the text
lands in the rule's thread, as any chat task's result does.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator

import pytest

from tests.cloudflare.standin import StandIn
from tests.conftest import Backend, Tenant, _create_tenant
from tests.webhooks.conftest import EdgeServer, workers_ai_env
from tests.webhooks.test_webhooks_endpoint import envelope, post
from tests.worker.conftest import run_stack, wait_task

LLAMA = "@cf/meta/llama-3.1-8b-instruct"


@pytest.fixture(scope="module")
def stack_with_worker(
    webhooks_standin: StandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EdgeServer, Backend]]:
    secret = secrets.token_urlsafe(32)
    env = {"LN1_EDGE_SECRET": secret, **workers_ai_env(webhooks_standin)}
    tmp = tmp_path_factory.mktemp("webhook-worker")
    with run_stack(tmp, "embedded", workers=1, env=env) as (server, backend):
        yield EdgeServer(server, backend, secret), backend


def test_an_order_event_has_its_summary_written_in_the_rules_thread(
    stack_with_worker: tuple[EdgeServer, Backend],
) -> None:
    srv, backend = stack_with_worker
    company: Tenant = asyncio.run(_create_tenant(backend.settings, srv.url))
    with company.client("admin") as admin:
        rule = admin.post(
            "/v1/webhook-rules",
            json={
                "source": "shop",
                "event": "order.created",
                "prompt": "Write a three-line note on this new order for the sales team.",
                "language": "en",
            },
        ).json()
        payload = {"order": {"id": 1042, "customer": "Ferretería Lima", "total": 1234.5}}
        body = envelope(source="shop", event="order.created", company=company.slug, payload=payload)
        stored = post(srv, "shop", body)
        assert stored.status_code == 202, stored.text
        task_id = stored.json()["task_id"]

        task = wait_task(admin, task_id, timeout=120)
        assert task["status"] == "succeeded", task
        assert (task["kind"], task["thread_id"]) == ("long_text", rule["thread_id"])
        # The stand-in echoes the prompt it was sent: the rule's words and the event's data.
        assert task["result"]["model"] == LLAMA
        assert "three-line note" in task["result"]["text"]
        assert "Ferretería Lima" in task["result"]["text"]

        messages = admin.get(f"/v1/threads/{rule['thread_id']}").json()["messages"]
        [posted] = [m for m in messages if m["task_id"] == task_id]
        assert posted["role"] == "assistant" and posted["route"] == "task"
        assert posted["content"].startswith(f"Here is the text model {LLAMA} wrote")

        [listed] = admin.get("/v1/webhook-events").json()["data"]
        assert (listed["task_id"], listed["task_status"]) == (task_id, "succeeded")

        # The edge delivering it again changes nothing: no second task, no second message.
        again = post(srv, "shop", body)
        assert again.json()["duplicate"] is True
        assert again.json()["task_id"] == task_id
        messages = admin.get(f"/v1/threads/{rule['thread_id']}").json()["messages"]
        assert [m["task_id"] for m in messages if m["role"] == "assistant"] == [task_id]
