"""The baseline for bench/chat_direct.py: a bare FastAPI JSON endpoint, nothing else.

Served exactly like ln1 (uvicorn, as many processes, same loop and HTTP implementation), so
the ratio measures what ln1 adds per message: auth, storage, the graph, checkpoints.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import BaseModel

app = FastAPI()


class Message(BaseModel):
    content: str


@app.post("/echo")
async def echo(message: Message) -> dict[str, str]:
    return {"id": "msg_0", "role": "assistant", "content": message.content, "route": "direct"}
