"""Trace ids, access logs and HTTP metrics as one pure ASGI middleware.

Pure ASGI (not BaseHTTPMiddleware) so streaming responses pass through untouched and
the per-request cost stays a few microseconds.
"""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ln1.ops.metrics import HTTP_LATENCY, HTTP_REQUESTS

TRACE_HEADER = b"x-trace-id"
_VALID_TRACE = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
log = structlog.get_logger("ln1.http")


def _incoming_trace_id(scope: Scope) -> str | None:
    for name, value in scope.get("headers", ()):
        if name == TRACE_HEADER and _VALID_TRACE.match(value):
            return value.decode()
    return None


class TraceMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        trace_id = _incoming_trace_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["trace_id"] = trace_id
        structlog.contextvars.bind_contextvars(trace_id=trace_id)
        start = time.perf_counter()
        status = 500

        async def send_with_trace(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (TRACE_HEADER, trace_id.encode()),
                ]
                _observe(scope, status, time.perf_counter() - start)
            await send(message)

        try:
            await self.app(scope, receive, send_with_trace)
        finally:
            if scope["type"] == "http":
                log.info(
                    "request",
                    method=scope["method"],
                    path=_template(scope),
                    status=status,
                    ms=round((time.perf_counter() - start) * 1000, 2),
                )
            structlog.contextvars.unbind_contextvars("trace_id")


def _template(scope: Scope) -> str:
    """The route template (``/v1/threads/{thread_id}``), never raw ids, for low cardinality."""
    route: Any = scope.get("route")
    return getattr(route, "path", None) or "unmatched"


def _observe(scope: Scope, status: int, seconds: float) -> None:
    if scope["type"] != "http":
        return
    path = _template(scope)
    HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
    HTTP_LATENCY.labels(scope["method"], path).observe(seconds)
