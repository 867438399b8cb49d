"""The baseline for bench/chat_direct.py: a bare FastAPI JSON endpoint, nothing else.

Served exactly like ln1 (``python bare_app.py PORT PROCESSES``): uvicorn with the same loop
and HTTP implementation, and with several processes the same ``ln1.api_processes``
that hands connections to them. The ratio then measures what ln1 adds per message: auth,
storage, the graph, checkpoints.
"""

from __future__ import annotations

import sys

import uvicorn
from fastapi import FastAPI
from pydantic import BaseModel

from ln1.api_processes import ApiProcesses

app = FastAPI()


class Message(BaseModel):
    content: str


@app.post("/echo")
async def echo(message: Message) -> dict[str, str]:
    return {"id": "msg_0", "role": "assistant", "content": message.content, "route": "direct"}


def main() -> None:
    port, processes = int(sys.argv[1]), int(sys.argv[2])
    config = uvicorn.Config(
        "bare_app:app", host="127.0.0.1", port=port, log_level="warning", access_log=False
    )
    if processes == 1:
        uvicorn.Server(config).run()
    else:
        ApiProcesses(config, processes).run()


if __name__ == "__main__":
    main()
