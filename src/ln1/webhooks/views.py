"""``POST /v1/webhooks/{source}``: an event the edge Worker verified and forwarded.

Authentication is the edge's HMAC signature, not a user's API key. Answers: 202 stored (or
already stored: ``"duplicate": true``), 401 missing/bad signature or a timestamp outside the
replay window, 413 body too large, 422 malformed source name or envelope, 503 when
``LN1_EDGE_SECRET`` is not set (the endpoint is off). When a rule of the event's company
matches, the answer carries the ``task_id`` it started (``ln1.webhooks.flows``).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from ln1.errors import InvalidInput
from ln1.webhooks.flows import start_rule_task
from ln1.webhooks.service import (
    MAX_BODY_BYTES,
    SOURCE_PATTERN,
    Envelope,
    NotConfigured,
    PayloadTooLarge,
    event_summary,
    store_event,
)
from ln1.webhooks.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

router = APIRouter(prefix="/v1/webhooks", tags=["webhooks"])

_SOURCE_RE = re.compile(SOURCE_PATTERN)


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"webhook bodies are limited to {MAX_BODY_BYTES} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"webhook bodies are limited to {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in e['loc']) or 'body'}: {e['msg']}" for e in exc.errors()
    )


@router.post("/{source}", status_code=202)
async def receive_webhook(source: str, request: Request) -> JSONResponse:
    settings = request.app.state.deps.settings
    if settings.edge_secret is None or not settings.edge_secret.get_secret_value():
        raise NotConfigured("webhooks not configured: set LN1_EDGE_SECRET")
    body = await _read_body(request)
    verify(
        settings.edge_secret.get_secret_value(),
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
    )
    if not _SOURCE_RE.match(source):
        raise InvalidInput(
            f"source {source!r} is not a source name (1-32 lowercase letters, digits, - or _)"
        )
    try:
        envelope = Envelope.model_validate_json(body)
    except ValidationError as exc:
        raise InvalidInput(f"invalid webhook envelope: {_problems(exc)}") from exc
    if envelope.source != source:
        raise InvalidInput(
            f"envelope source {envelope.source!r} does not match the path {source!r}"
        )
    deps = request.app.state.deps
    async with deps.sessionmaker() as session:
        stored = await store_event(session, envelope)
    await start_rule_task(deps.sessionmaker, deps.celery, stored.row)
    content: dict[str, Any] = {**event_summary(stored.row), "duplicate": stored.duplicate}
    return JSONResponse(content, status_code=202)
