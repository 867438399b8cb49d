"""SSE streaming of a turn: ``route`` first, then ``delta`` pieces, then ``done``."""

from __future__ import annotations

import json

import httpx

from tests.conftest import Tenant


def read_events(client: httpx.Client, thread: str, content: str) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    with client.stream(
        "POST", f"/v1/threads/{thread}/messages", json={"content": content, "stream": True}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        name = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
                name = None
    return events


def test_stream_sends_route_deltas_and_done(tenant: Tenant) -> None:
    client = tenant.client("admin")
    thread = client.post("/v1/threads").json()["id"]
    events = read_events(client, thread, "hello, what can you do?")
    names = [name for name, _ in events]
    assert names[0] == "route" and names[-1] == "done"
    assert set(names[1:-1]) == {"delta"} and len(names) > 3
    assert events[0][1]["route"] == "direct" and events[0][1]["intent"] == "help"
    done = events[-1][1]
    assert "".join(e["content"] for n, e in events if n == "delta") == done["content"]
    stored = client.get(f"/v1/threads/{thread}").json()["messages"]
    assert stored[-1]["id"] == done["id"] and stored[-1]["content"] == done["content"]


def test_stream_of_a_data_question_carries_its_slots(tenant: Tenant) -> None:
    client = tenant.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    events = read_events(client, thread, "ventas por región del mes pasado")
    route = events[0][1]
    assert route["route"] == "runner"
    assert route["slots"]["group_by"] == "region"
    assert route["slots"]["period"]["label"] == "last_month"
    assert events[-1][1]["slots"] == route["slots"]


def test_stream_of_a_denied_question(tenant: Tenant) -> None:
    client = tenant.client("member")
    thread = client.post("/v1/threads").json()["id"]
    events = read_events(client, thread, "¿cuánto facturamos hoy?")
    assert events[0] == ("route", {**events[0][1], "route": "denied"})
    assert events[-1][1]["route"] == "denied"
