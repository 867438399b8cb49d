"""One ``ln1 up`` (API + a real Celery worker, embedded broker) configured for Workers AI,
talking to the contract stand-in of ``tests/cloudflare/standin.py`` run in this process.

The stack is shared by the module's tests (starting one costs seconds); each test scripts
the stand-in for itself and the fixture resets it, so no script leaks into the next test.
"""

from __future__ import annotations

import asyncio
import io
import math
import struct
import wave
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cloudflare.standin import StandIn
from tests.conftest import Backend, ServerProcess, Tenant, _create_tenant
from tests.worker.conftest import run_stack

LLAMA = "@cf/meta/llama-3.1-8b-instruct"
FLUX = "@cf/black-forest-labs/flux-1-schnell"
WHISPER = "@cf/openai/whisper"
CHAT_TIMEOUT_S = 1.5
AUDIO_MAX_SECONDS = 5


@pytest.fixture(scope="module")
def standin_server() -> Iterator[StandIn]:
    with StandIn() as standin:
        yield standin


@pytest.fixture
def standin(standin_server: StandIn) -> Iterator[StandIn]:
    standin_server.reset()
    yield standin_server
    standin_server.reset()


@pytest.fixture(scope="module")
def ai_stack(
    standin_server: StandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, Backend]]:
    env = {
        "LN1_CLOUDFLARE_ACCOUNT_ID": standin_server.account_id,
        "LN1_CLOUDFLARE_API_TOKEN": standin_server.token,
        "LN1_CLOUDFLARE_BASE_URL": standin_server.base_url,
        "LN1_AI_CHAT_TIMEOUT_S": str(CHAT_TIMEOUT_S),
        "LN1_AI_AUDIO_MAX_SECONDS": str(AUDIO_MAX_SECONDS),
    }
    with run_stack(tmp_path_factory.mktemp("ai"), "embedded", workers=2, env=env) as running:
        yield running


@pytest.fixture
def ai_user(ai_stack: tuple[ServerProcess, Backend]) -> Tenant:
    server, backend = ai_stack
    return asyncio.run(_create_tenant(backend.settings, server.url))


def wav_bytes(seconds: float, rate: int = 8000) -> bytes:
    """A mono 16-bit WAV with a 440 Hz tone, written with the standard ``wave`` module."""
    frames = int(seconds * rate)
    samples = b"".join(
        struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate))) for i in range(frames)
    )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(samples)
    return buffer.getvalue()


def write_wav(path: Path, seconds: float) -> Path:
    path.write_bytes(wav_bytes(seconds))
    return path
