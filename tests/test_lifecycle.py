"""``ln1 up`` as a process: restarts keep everything, signals stop it cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess

import httpx
import pytest

from tests.conftest import _create_tenant


def port_is_closed(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def descendants(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_conversation_survives_a_restart(fresh_server) -> None:
    proc, backend = fresh_server
    proc.start()
    tenant = asyncio.run(_create_tenant(backend.settings, proc.url))
    client = tenant.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    first = client.post(
        f"/v1/threads/{thread}/messages", json={"content": "ventas por región de ayer"}
    ).json()
    assert first["slots"]["group_by"] == "region"

    proc.restart()

    follow_up = client.post(
        f"/v1/threads/{thread}/messages", json={"content": "¿y la semana pasada?"}
    ).json()
    assert follow_up["intent"] == "data_query"
    assert follow_up["slots"]["group_by"] == "region"
    assert follow_up["slots"]["period"]["label"] == "last_week"
    stored = client.get(f"/v1/threads/{thread}").json()
    assert [m["content"] for m in stored["messages"][::2]] == [
        "ventas por región de ayer",
        "¿y la semana pasada?",
    ]
    assert stored["messages"][1]["id"] == first["id"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_up_stops_cleanly_on_signal(fresh_server, sig: signal.Signals) -> None:
    proc, _ = fresh_server
    proc.start()
    assert proc.proc is not None
    children = descendants(proc.proc.pid)
    proc.proc.send_signal(sig)
    assert proc.proc.wait(timeout=20) == 0
    assert port_is_closed(proc.port)
    for child in children:
        assert not os.path.exists(f"/proc/{child}"), f"orphaned child {child}"
    assert "Traceback" not in proc.logs()
    assert proc.logs().rstrip().endswith("ln1 stopped")


def test_up_demo_seeds_once_and_its_key_keeps_working(fresh_server) -> None:
    proc, _ = fresh_server
    proc.args = ["--demo"]
    proc.start()
    keys = re.findall(r"Admin API key \(shown once, store it now\): (ln1_sk_\S+)", proc.logs())
    assert len(keys) == 1
    headers = {"Authorization": f"Bearer {keys[0]}"}
    me = httpx.get(f"{proc.url}/v1/me", headers=headers).json()
    assert (me["company"]["slug"], me["role"]) == ("demo", "admin")

    proc.restart()

    assert "Demo company 'demo' already exists" in proc.logs()
    assert len(re.findall(r"ln1_sk_\S+", proc.logs())) == 1
    assert httpx.get(f"{proc.url}/v1/me", headers=headers).status_code == 200
