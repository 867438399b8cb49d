"""Prometheus metrics, on a registry of ln1's own (served at ``GET /metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

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
