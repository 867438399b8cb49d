"""How the ``ai`` tasks sort Workers AI failures, and their pure helpers."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from ln1.cloudflare import (
    AuthError,
    BadResponse,
    ModelError,
    NetworkError,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
)
from ln1.cloudflare.errors import ErrorDetail
from ln1.worker.handlers.ai import _task_error, to_png, vtt_of
from ln1.worker.jobs import JobFailed, RetryLater
from tests.cloudflare.standin import jpeg_bytes

MODEL = "@cf/black-forest-labs/flux-1-schnell"


@pytest.mark.parametrize(
    "error",
    [
        RateLimited("HTTP 429", model=MODEL, status=429),
        ServerError("HTTP 503", model=MODEL, status=503),
        Timeout("no answer within 90 s", model=MODEL),
        NetworkError("connection failed", model=MODEL),
        StreamInterrupted("stream cut", model=MODEL),
    ],
)
def test_transient_failures_are_retried_later(error):
    assert isinstance(_task_error(error), RetryLater)


def test_a_rate_limit_passes_its_retry_after_to_celery():
    error = RateLimited("HTTP 429", model=MODEL, status=429, retry_after=42.0)
    later = _task_error(error)
    assert isinstance(later, RetryLater) and later.retry_after == 42.0
    assert isinstance(later, ConnectionError)  # what run_job passes up for a retry


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (AuthError("HTTP 401", model=MODEL, status=401), "rejected the Workers AI credentials"),
        (
            ModelError(
                "HTTP 400", model=MODEL, status=400, errors=[ErrorDetail(3003, "missing body")]
            ),
            "refused the request (HTTP 400): missing body",
        ),
        (BadResponse("answer is not JSON", model=MODEL), "returned an invalid answer"),
    ],
)
def test_permanent_failures_fail_with_a_clear_message(error, says):
    failed = _task_error(error)
    assert isinstance(failed, JobFailed) and says in failed.messages["en"]
    assert failed.messages["es"] and type(error).__name__ in failed.detail


def test_jpeg_becomes_png_and_png_stays_as_is():
    png, width, height = to_png(jpeg_bytes())
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and (width, height) == (8, 8)
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG"
    assert to_png(png)[0] == png


def test_vtt_from_segments():
    segments = [
        {"start": 0.0, "end": 1.5, "text": "Hola"},
        {"start": 61.25, "end": 62, "text": "sí"},
    ]
    assert vtt_of(segments) == (
        "WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHola\n\n00:01:01.250 --> 00:01:02.000\nsí\n"
    )
