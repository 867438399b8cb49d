"""Prometheus metrics, on a registry of ln1's own (served at ``GET /metrics``).

With several API processes (``ln1 up``, ``LN1_API_PROCESSES``) a scrape lands on any one of
them, yet must count every request. prometheus_client's multiprocess mode does that: each
process writes its values to files in one folder, and ``exposition`` sums them. ``ln1 up``
empties the folder and names it in the environment before it starts the processes (the
mode is chosen when prometheus_client is imported).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry(auto_describe=True)

HTTP_REQUESTS = Counter(
    "ln1_http_requests_total",
    "HTTP requests by method, route template and status code.",
    ["method", "path", "status"],
    registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "ln1_http_request_duration_seconds",
    "HTTP request latency by method and route template (until the response starts).",
    ["method", "path"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
CHAT_TURNS = Counter(
    "ln1_chat_turns_total",
    "Conversation turns by route and intent.",
    ["route", "intent"],
    registry=REGISTRY,
)


def share_metrics(folder: Path) -> None:
    """Make the API processes started after this call count into ``folder``, from zero."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)


def exposition() -> bytes:
    """The text a scrape gets: every API process's values when they share them."""
    folder = os.environ.get(MULTIPROCESS_ENV)
    if not folder:
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=folder)
    return generate_latest(registry)
