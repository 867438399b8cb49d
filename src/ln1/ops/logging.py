"""Structured logging: JSON lines in production, readable lines on a console.

Every line of a request carries its ``trace_id`` (bound in a context variable by the
trace middleware). Nothing here ever receives a key or token: the middleware logs the
method, path template and status, not headers or bodies.
"""

from __future__ import annotations

import logging
import sys

import structlog

from ln1.config import Settings


def configure_logging(settings: Settings) -> None:
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # uvicorn's own access log would duplicate ours (and lacks the trace id).
    logging.getLogger("uvicorn.access").disabled = True
