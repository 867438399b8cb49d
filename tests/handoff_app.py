"""A tiny ASGI app served by ``ln1.api_processes`` in a process of its own, for the tests
of the connection hand-off (``tests/test_handoff.py``).

``python -m tests.handoff_app PORT PROCESSES [--slow-start S]``: each API process answers
``GET /`` with its pid, and ``all ready`` is printed once every process serves.
``--slow-start`` makes each spawned process spend S seconds before
its health thread runs, as importing a big app does on a slow machine.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from typing import Any

import uvicorn

from ln1.api_processes import ApiProcesses


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    body = json.dumps({"pid": os.getpid()}).encode()
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class SlowToLoad:
    """The app, but unpickling it (in the spawned process, before anything runs) is slow."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __reduce__(self) -> tuple[Any, tuple[float]]:
        return _load_slowly, (self.seconds,)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await app(scope, receive, send)


def _load_slowly(seconds: float) -> SlowToLoad:
    time.sleep(seconds)
    return SlowToLoad(seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("port", type=int)
    parser.add_argument("processes", type=int)
    parser.add_argument("--slow-start", type=float, default=0.0)
    parser.add_argument("--health-timeout", type=int, default=5)
    args = parser.parse_args()
    served = SlowToLoad(args.slow_start) if args.slow_start else app
    config = uvicorn.Config(
        served,
        host="127.0.0.1",
        port=args.port,
        log_level="warning",
        timeout_worker_healthcheck=args.health_timeout,
    )
    processes = ApiProcesses(config, args.processes)

    def announce() -> None:
        processes.ready.wait()
        print("all ready", flush=True)

    threading.Thread(target=announce, daemon=True).start()
    processes.run()


if __name__ == "__main__":
    main()
