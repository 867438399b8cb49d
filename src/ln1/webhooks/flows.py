"""After an event is stored: start the task a company's rule chose for it.

The task id was chosen when the event was first stored (``store_event``), in the same row, so
an event has at most one task whatever the edge delivers again. The task record is created
with that id through the chat's own path (``ln1.tasks.service.start_task``: record, then the
queue of its kind), which makes starting it idempotent: the primary key refuses a second
record. So every delivery, the first or a repeat, may call :func:`start_rule_task`:

* the first delivery starts the task;
* a repeat finds the task there and does nothing, unless the process that stored the event
  died before it could create the task; then the repeat (the edge retries until it gets a
  202) starts it, once, under the id already recorded.
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from celery import Celery
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ln1.numbers import company_region
from ln1.tasks.models import Task
from ln1.tasks.service import start_task
from ln1.tenancy.models import Company
from ln1.webhooks.models import WebhookEvent, WebhookRule
from ln1.webhooks.service import matching_rule

log = structlog.get_logger("ln1.webhooks")

PROMPT_CAP = 4000  # characters of its prompt a ``long_text`` task reads
CUT = {"es": "\n… (recortado)", "en": "\n… (truncated)"}
EVENT_LINE = {
    "es": "Evento «{event}» de «{source}» (entrega {delivery}, recibido {received}):",
    "en": "Event “{event}” from “{source}” (delivery {delivery}, received {received}):",
}


def task_prompt(rule: WebhookRule, event: WebhookEvent) -> str:
    """The rule's instruction, then the event as JSON, cut to what the task reads."""
    line = EVENT_LINE[rule.language].format(
        event=event.event,
        source=event.source,
        delivery=event.delivery_id,
        received=event.received_at.isoformat(),
    )
    head = f"{rule.prompt}\n\n{line}\n```json\n"
    tail = "\n```"
    payload = json.dumps(event.payload, ensure_ascii=False, indent=1)
    room = PROMPT_CAP - len(head) - len(tail)
    if len(payload) > room:
        cut = CUT[rule.language]
        payload = payload[: max(0, room - len(cut))] + cut
    return head + payload + tail


def task_params(rule: WebhookRule, event: WebhookEvent, region: str | None) -> dict[str, Any]:
    """What the task reads; ``region`` is the company's country, as a chat-started task
    carries it (``ln1.worker.findings.task_region``), so its messages write numbers alike."""
    return {
        "prompt": task_prompt(rule, event),
        "lang": rule.language,
        "region": region,
        "webhook_event_id": event.id,
        "webhook_rule_id": rule.id,
    }


async def _to_start(session: AsyncSession, event: WebhookEvent) -> WebhookRule | None:
    """The rule to start ``event``'s task with, or None when there is nothing to start."""
    if event.task_id is None or event.company_id is None:
        return None
    if await session.get(Task, event.task_id) is not None:
        return None  # started already (the usual case for a repeated delivery)
    return await matching_rule(session, event.company_id, event.source, event.event)


async def start_rule_task(
    sessionmaker: async_sessionmaker[AsyncSession], celery: Celery, event: WebhookEvent
) -> None:
    """Start the task chosen for ``event`` unless it exists.

    A task that cannot be started is logged, not raised: the event is stored whatever happens
    here, and the edge must get its 202. If the queue refuses, ``start_task`` has marked the
    task failed with the reason, which the event listing shows. If the rule was deleted
    before its task could start, nothing starts. (A database error while reading the rule
    does propagate: the edge gets a 5xx, retries, and the retry starts the task.)
    """
    async with sessionmaker() as session:
        rule = await _to_start(session, event)
        company = await session.get(Company, event.company_id) if rule is not None else None
    if rule is None or company is None or event.task_id is None or event.company_id is None:
        return
    try:
        await start_task(
            sessionmaker,
            celery,
            company_id=event.company_id,
            user_id=rule.user_id,
            thread_id=rule.thread_id,
            kind=rule.kind,
            params=task_params(rule, event, company_region(company.region, company.timezone)),
            task_id=event.task_id,
        )
    except IntegrityError:
        async with sessionmaker() as session:
            if await session.get(Task, event.task_id) is not None:
                return  # a concurrent delivery of the same event created it first
        log.error("webhook_task_not_recorded", event_id=event.id, task_id=event.task_id)
        return
    except Exception as e:
        log.error(
            "webhook_task_not_queued",
            event_id=event.id,
            task_id=event.task_id,
            error_type=type(e).__name__,
        )
        return
    log.info("webhook_task_started", event_id=event.id, task_id=event.task_id, kind=rule.kind)
