"""Upload → ask → keep chatting → result in the thread → PDF, through the public API only,
with a real Celery worker on the embedded broker and on Redis."""

from __future__ import annotations

import io
import json
import re
import threading

import httpx
import pypdf

from tests.conftest import Tenant
from tests.worker.conftest import upload, wait_task, workbook


def ask(client: httpx.Client, thread: str, content: str, file_ids: list[str] | None = None) -> dict:
    body = {"content": content, "file_ids": file_ids or []}
    response = client.post(f"/v1/threads/{thread}/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def task_of(reply: dict) -> str:
    """The id of the task a reply started (a queue that refused gives an answer, no id)."""
    assert reply["route"] == "task" and reply["task_id"], reply
    return reply["task_id"]


def listen(client: httpx.Client, thread: str, after: str, found: list[dict]) -> threading.Thread:
    """Read the thread's event stream until a task result arrives (in a thread)."""

    def run() -> None:
        with client.stream("GET", f"/v1/threads/{thread}/events", params={"after": after}) as r:
            event = None
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:") and event == "message":
                    message = json.loads(line.split(":", 1)[1])
                    if message["route"] == "task" and message.get("artifacts") is not None:
                        found.append(message)
                        return

    reader = threading.Thread(target=run, daemon=True)
    reader.start()
    return reader


def test_compare_two_workbooks_and_get_a_pdf_while_chatting(user: Tenant, stack) -> None:
    with user.client("analyst") as client:
        a = upload(client, "ventas octubre.xlsx", workbook(4000))
        b = upload(client, "ventas noviembre.xlsx", workbook(4000, shift=5))
        thread = client.post("/v1/threads").json()["id"]
        reply = ask(client, thread, "compara estos dos Excel y hazme un PDF", [a, b])
        assert reply["route"] == "task" and reply["intent"] in ("file_compare", "report")
        task_id = task_of(reply)
        assert task_id in reply["content"]
        found: list[dict] = []
        reader = listen(
            httpx.Client(base_url=client.base_url, headers=client.headers, timeout=120),
            thread,
            reply["id"],
            found,
        )

        # The user keeps chatting while the worker runs.
        hello = ask(client, thread, "hola, ¿sigues ahí?")
        assert hello["route"] == "direct" and hello["content"]

        task = wait_task(client, task_id)
        assert task["status"] == "succeeded", task
        assert task["kind"] == "compare" and task["progress"] == 1.0
        summary = task["result"]["compare"]
        assert summary["keys"] == ["codigo"]
        assert summary["changed"] > 0 and summary["only_a"] == summary["only_b"] == 0
        kinds = sorted(a["kind"] for a in task["artifacts"])
        assert kinds.count("pdf") == 1 and "parquet" in kinds

        reader.join(timeout=30)
        [posted] = found
        assert posted["task_id"] == task_id and "Comparé «ventas octubre.xlsx»" in posted["content"]
        # The company is in Lima: the chat handed its country to the task, so the worker
        # writes counts as a Peruvian reads them ("3,990", not "3.990").
        assert re.search(r" \d,\d{3} siguen iguales", posted["content"]), posted["content"]
        assert {x["id"] for x in posted["artifacts"]} == {x["id"] for x in task["artifacts"]}

        messages = client.get(f"/v1/threads/{thread}").json()["messages"]
        assert [m["role"] for m in messages] == ["user", "assistant"] * 2 + ["assistant"]
        assert messages[-1]["id"] == posted["id"]

        pdf = next(x for x in task["artifacts"] if x["kind"] == "pdf")
        download = client.get(pdf["url"])
        assert download.status_code == 200 and download.content.startswith(b"%PDF")
        text = "\n".join(
            p.extract_text() for p in pypdf.PdfReader(io.BytesIO(download.content)).pages
        )
        assert "Página 1 de" in text and "ventas octubre.xlsx" in text

        status = ask(client, thread, "¿cómo va mi reporte?")
        assert status["intent"] == "task_status" and task_id in status["content"]
        assert "terminad" in status["content"].lower() or "complet" in status["content"].lower()


def test_tasks_files_and_artifacts_of_others_are_not_found(user: Tenant, stack) -> None:
    import asyncio

    from tests.conftest import _create_tenant

    server, backend = stack
    stranger = asyncio.run(_create_tenant(backend.settings, server.url))
    with user.client() as client:
        file_id = upload(client, "ventas.xlsx", workbook(50))
        thread = client.post("/v1/threads").json()["id"]
        task_id = task_of(ask(client, thread, "analiza este Excel", [file_id]))
        task = wait_task(client, task_id)
        assert task["status"] == "succeeded", task
        artifact = task["artifacts"][0]["url"]
    with stranger.client() as other:
        for path in (
            f"/v1/tasks/{task_id}",
            f"/v1/tasks/{task_id}/events",
            artifact,
            f"/v1/files/{file_id}",
        ):
            assert other.get(path).status_code == 404, path
        thread = other.post("/v1/threads").json()["id"]
        body = {"content": "analiza este Excel", "file_ids": [file_id]}
        attempt = other.post(f"/v1/threads/{thread}/messages", json=body)
        assert attempt.status_code == 404
        assert other.get(f"/v1/threads/{thread}").json()["messages"] == []


def test_progress_events_stream_until_the_task_ends(user: Tenant, stack) -> None:
    with user.client() as client:
        file_id = upload(client, "grande.xlsx", workbook(20000))
        thread = client.post("/v1/threads").json()["id"]
        task_id = task_of(ask(client, thread, "analiza este archivo", [file_id]))
        events = []
        with client.stream("GET", f"/v1/tasks/{task_id}/events", timeout=120) as r:
            event = None
            for line in r.iter_lines():
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                elif line.startswith("data:"):
                    events.append((event, json.loads(line.split(":", 1)[1])))
    kinds = [e for e, _ in events]
    assert kinds[-1] == "done" and kinds.count("done") == 1
    assert events[-1][1]["status"] == "succeeded"
    fractions = [d["progress"] for e, d in events if e == "progress"]
    assert fractions == sorted(fractions)


def test_a_file_that_cannot_be_compared_fails_with_a_clear_message(user: Tenant, stack) -> None:
    with user.client() as client:
        # Nothing in common: no key can match their rows.
        a = upload(client, "clientes.csv", b"nombre;monto\nAna;1\nLuis;2\n")
        b = upload(client, "productos.csv", b"producto;precio\nArroz;2\nAzucar;3\n")
        thread = client.post("/v1/threads").json()["id"]
        task_id = task_of(ask(client, thread, "compara estos dos archivos", [a, b]))
        task = wait_task(client, task_id)
        assert task["status"] == "failed"
        assert task["error"]  # the detail stays in the record
        last = client.get(f"/v1/threads/{thread}").json()["messages"][-1]
        assert last["route"] == "task" and last["task_id"] == task_id
        assert last["content"].startswith("No pude terminar la tarea")
        assert "no pude comparar los archivos" in last["content"]
        assert "Traceback" not in last["content"]
