"""``ProxyCheck``: refuse ``/v1`` requests that did not come through the security proxy.

Pure ASGI, like ``ln1.ops.middleware``: streaming answers and uploads pass untouched, and a
refused request costs one HMAC. Installed (``ln1.app``) only with ``LN1_REQUIRE_EDGE_PROXY``.

What stays reachable without the proxy's signature, and why:

* everything outside ``/v1`` (``/healthz``, ``/readyz``, ``/metrics``): probes and Prometheus
  scrape the origin itself and carry no company data;
* ``WS /v1/runners/connect``: Local Runners dial the orchestrator directly with a runner
  token. The proxy admits only user API keys (``ln1_sk_…``) and its per-key request budget
  means nothing for one long-lived socket; the tunnel authenticates the token at the
  handshake and orders are signed end to end, so the proxy would add nothing but a hop;
* ``POST /v1/webhooks/{source}``: the webhook-ingest Worker calls it with its own signature
  over the whole body (``ln1.webhooks.signing``), which the endpoint checks itself.
"""

from __future__ import annotations

import re

import structlog
from ln1_runner.protocol import CONNECT_PATH
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from ln1.ops.errors import error_body
from ln1.proxy.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, NotThroughProxy, verify

log = structlog.get_logger("ln1.proxy")

_WEBHOOK_INGEST = re.compile(r"^/v1/webhooks/[^/]+$")


def guarded(scope: Scope) -> bool:
    """True for the requests that must carry the proxy's signature."""
    path: str = scope["path"]
    if not (path == "/v1" or path.startswith("/v1/")):
        return False
    if scope["type"] == "websocket":
        return path != CONNECT_PATH
    return not (scope["method"] == "POST" and _WEBHOOK_INGEST.match(path))


def _request_line(scope: Scope) -> tuple[str, str]:
    """Method and ``path?query`` as the client sent them (percent-encoded), which is what the
    proxy signed: it forwards its own URL's ``pathname + search`` unchanged."""
    method = scope.get("method", "GET")  # a WebSocket handshake is a GET
    raw = scope.get("raw_path") or scope["path"].encode()
    path = raw.decode("latin-1")
    query: bytes = scope.get("query_string", b"")
    if query:
        path += "?" + query.decode("latin-1")
    return method, path


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value.decode("latin-1")
    return None


class ProxyCheck:
    def __init__(self, app: ASGIApp, secret: str) -> None:
        self.app = app
        self._secret = secret

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or not guarded(scope):
            await self.app(scope, receive, send)
            return
        method, path_and_query = _request_line(scope)
        try:
            verify(
                self._secret,
                timestamp=_header(scope, TIMESTAMP_HEADER.encode()),
                signature=_header(scope, SIGNATURE_HEADER.encode()),
                method=method,
                path_and_query=path_and_query,
                authorization=_header(scope, b"authorization"),
            )
        except NotThroughProxy as e:
            # The reason only: never the signature, the key or the secret.
            log.warning("not_through_proxy", reason=e.message, method=method)
            await _refuse(scope, receive, send, e)
            return
        await self.app(scope, receive, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, error: NotThroughProxy) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})  # before accept: HTTP 403
        return
    trace_id = scope.get("state", {}).get("trace_id")
    body = error_body(error.code, error.message, trace_id)
    await JSONResponse(body, status_code=error.status_code)(scope, receive, send)
