"""A company admin's side of webhooks: the rules that turn events into tasks
(``/v1/webhook-rules``) and the events stored for the company (``/v1/webhook-events``).

Not under ``/v1/webhooks/``: that prefix is the edge's (``POST /v1/webhooks/{source}``, signed
by the edge, any source name), and these are ordinary API-key routes.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from ln1.tenancy.deps import Caller, require
from ln1.tenancy.models import Permission
from ln1.webhooks import rules
from ln1.webhooks.models import WebhookEvent
from ln1.webhooks.service import NotConfigured, event_summary, get_event, list_events

router = APIRouter(prefix="/v1", tags=["webhooks"])
Admin = Annotated[Caller, Depends(require(Permission.ADMIN))]


def _event_out(row: WebhookEvent, task_status: str | None) -> dict[str, Any]:
    return {**event_summary(row), "task_status": task_status}


@router.post("/webhook-rules", status_code=201)
async def create_rule(body: rules.RuleCreate, caller: Admin, request: Request) -> dict[str, Any]:
    """409 when the event has a rule already; 503 when the task kind's service is not set up
    (a ``long_text`` needs Workers AI), so no rule is made that could only fail."""
    if not request.app.state.deps.settings.cloudflare_configured:
        raise NotConfigured(
            f"{body.kind} tasks need Cloudflare Workers AI: set LN1_CLOUDFLARE_ACCOUNT_ID "
            "and LN1_CLOUDFLARE_API_TOKEN"
        )
    rule = await rules.create_rule(caller.session, caller.principal, body)
    return rules.rule_out(rule)


@router.get("/webhook-rules")
async def list_rules(caller: Admin) -> dict[str, Any]:
    return {"data": [rules.rule_out(r) for r in await rules.list_rules(caller.session)]}


@router.delete("/webhook-rules/{rule_id}", status_code=204)
async def delete_rule(rule_id: str, caller: Admin) -> Response:
    await rules.delete_rule(caller.session, rule_id)
    return Response(status_code=204)


@router.get("/webhook-events")
async def read_events(
    caller: Admin,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: str | None = None,
    source: str | None = None,
    event: str | None = None,
) -> dict[str, Any]:
    """Newest first, with the task a rule started for each (``task_id``, ``task_status``)."""
    rows, next_cursor = await list_events(
        caller.session,
        caller.principal.company_id,
        limit=limit,
        cursor=cursor,
        source=source,
        event=event,
    )
    return {"data": [_event_out(row, status) for row, status in rows], "next_cursor": next_cursor}


@router.get("/webhook-events/{event_id}")
async def read_event(event_id: str, caller: Admin) -> dict[str, Any]:
    row, status = await get_event(caller.session, caller.principal.company_id, event_id)
    return {**_event_out(row, status), "payload": row.payload}
