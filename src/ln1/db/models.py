"""Imports every model so ``Base.metadata`` is complete (Alembic, tests, create_all)."""

from ln1.artifacts.models import Artifact
from ln1.conversations.models import Message, Thread
from ln1.files.models import File
from ln1.runners.models import Runner
from ln1.tasks.models import Task
from ln1.tenancy.models import ApiKey, Company, User
from ln1.webhooks.models import WebhookEvent

__all__ = [
    "ApiKey",
    "Artifact",
    "Company",
    "File",
    "Message",
    "Runner",
    "Task",
    "Thread",
    "User",
    "WebhookEvent",
]
