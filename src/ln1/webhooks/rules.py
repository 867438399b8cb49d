"""A company's webhook rules: "when this event arrives, start this task". Admins manage them.

The one kind a rule can start today is ``long_text``: it is the only task that can run from an
event alone (the others read uploaded files). The model writes, from the rule's instruction
and the event's payload, what the company asked for: a summary of a new order, a note about a
new issue. More kinds join ``KINDS`` as tasks that run from a payload appear.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.conversations.models import Thread
from ln1.db.writes import add_unique
from ln1.errors import NotFound
from ln1.ids import new_id
from ln1.tenancy.service import Principal
from ln1.webhooks.models import WebhookRule
from ln1.webhooks.service import SOURCE_PATTERN

KINDS = ("long_text",)
# The rule's instruction and the event share the task's prompt (``long_text`` reads 4,000
# characters of it); the instruction is kept short enough to leave the event most of it.
PROMPT_MAX = 1500


class RuleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    source: str = Field(pattern=SOURCE_PATTERN)
    event: str = Field(min_length=1, max_length=100)
    kind: Literal["long_text"] = "long_text"
    prompt: str = Field(min_length=1, max_length=PROMPT_MAX)
    language: Literal["es", "en"] | None = None  # the company's language when unset


def rule_out(rule: WebhookRule) -> dict[str, Any]:
    return {
        "id": rule.id,
        "source": rule.source,
        "event": rule.event,
        "kind": rule.kind,
        "prompt": rule.prompt,
        "language": rule.language,
        "user_id": rule.user_id,
        "thread_id": rule.thread_id,
        "created_at": rule.created_at.isoformat(),
    }


async def create_rule(session: AsyncSession, principal: Principal, body: RuleCreate) -> WebhookRule:
    """The rule and the thread its tasks will answer in, in one transaction; a second rule
    for the same event is a ``Conflict`` (409)."""
    language = body.language or principal.language
    title = f"Webhook {body.source} · {body.event}"
    thread = Thread(
        id=new_id("thr"),
        company_id=principal.company_id,
        user_id=principal.user_id,
        title=title[:200],
        language=language,
    )
    session.add(thread)
    rule = WebhookRule(
        id=new_id("whr"),
        company_id=principal.company_id,
        user_id=principal.user_id,
        thread_id=thread.id,
        source=body.source,
        event=body.event,
        kind=body.kind,
        prompt=body.prompt.strip(),
        language=language,
    )
    await add_unique(
        session, rule, f"there is already a rule for {body.source} event {body.event!r}"
    )
    await session.commit()
    return rule


async def list_rules(session: AsyncSession) -> list[WebhookRule]:
    """The caller's company's rules (the session is tenant-scoped)."""
    return list(await session.scalars(select(WebhookRule).order_by(WebhookRule.id)))


async def delete_rule(session: AsyncSession, rule_id: str) -> None:
    """Events stop starting tasks; the thread and the tasks already started stay."""
    deleted = await session.execute(delete(WebhookRule).where(WebhookRule.id == rule_id))
    if not deleted.rowcount:  # type: ignore[attr-defined]
        raise NotFound(f"webhook rule {rule_id} not found")
    await session.commit()
