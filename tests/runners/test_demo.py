"""``ln1 up --demo`` answers the demo questions out of the box, through a real runner process."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx

from tests.conftest import Backend, ServerProcess


def admin_key(server: ServerProcess) -> str:
    match = re.search(r"ln1_sk_[A-Za-z0-9_-]{43}", server.logs())
    assert match, server.logs()
    return match.group(0)


def test_the_demo_answers_its_sales_questions_with_its_own_runner(
    fresh_server: tuple[ServerProcess, Backend],
) -> None:
    server, backend = fresh_server
    server.args = ["--demo"]
    server.start()
    headers = {"Authorization": f"Bearer {admin_key(server)}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runners = client.get("/v1/runners").json()["data"]
            if runners and runners[0]["status"] == "online":
                break
            time.sleep(0.2)
        assert [(r["name"], r["status"]) for r in runners] == [("ventas-demo", "online")]
        # A Peruvian company: its Spanish answers write "S/ 476,526.70", not "476.526,70".
        assert client.get("/v1/me").json()["company"]["region"] == "PE"
        thread = client.post("/v1/threads").json()["id"]
        expected = {
            "Dame las ventas de ayer": "fecha",
            "ventas por región del mes pasado": "region",
            "top 10 productos este año": "producto",
        }
        for question, first_column in expected.items():
            reply = client.post(f"/v1/threads/{thread}/messages", json={"content": question}).json()
            assert reply["route"] == "runner", reply
            assert reply["data"]["columns"][0] == first_column, reply
            assert reply["data"]["rows"], reply
            if first_column == "region":  # a month of sales: thousands, so a separator shows
                assert re.search(r"ventas S/ \d{1,3}(,\d{3})+\.\d\d;", reply["content"]), reply
        top = reply["data"]
        assert len(top["rows"]) == 10
        sales = [row[top["columns"].index("ventas")] for row in top["rows"]]
        assert sales == sorted(sales, reverse=True)

    # The demo runner passes its own checks, server included.
    config = backend.settings.data_dir / "demo-runner" / "runner.toml"
    check = subprocess.run(
        [sys.executable, "-m", "ln1_runner", "check", "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    assert "connected as runner «ventas-demo»" in check.stdout

    # A restart on the same data keeps the runner working (its token file is reused).
    server.restart()
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as client:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            runners = client.get("/v1/runners").json()["data"]
            if runners[0]["status"] == "online":
                break
            time.sleep(0.2)
        thread = client.post("/v1/threads").json()["id"]
        reply = client.post(
            f"/v1/threads/{thread}/messages", json={"content": "Dame las ventas de ayer"}
        ).json()
        assert reply["route"] == "runner" and reply["data"]["rows"], reply


def _runner_log(backend: Backend) -> str:
    path = backend.settings.data_dir / "demo-runner" / "runner.log"
    return path.read_text() if path.exists() else ""
