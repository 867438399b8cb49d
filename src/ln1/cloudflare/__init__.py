"""Cloudflare Workers AI for ln1: one async client, typed results, one error hierarchy.

    async with WorkersAI.from_settings(settings, company_id=company.id) as ai:
        answer = await ai.generate_text(messages, model="@cf/meta/llama-3.1-8b-instruct")
        async for delta in ai.stream_text(messages, model=...):
            ...

Nothing here is required: without ``LN1_CLOUDFLARE_ACCOUNT_ID`` and
``LN1_CLOUDFLARE_API_TOKEN`` ``WorkersAI.from_settings`` raises :class:`NotConfigured` and
callers keep their deterministic path.

The client follows Cloudflare's documented contract (``client.py`` lists each behaviour).
Pages read, 2026:

* Workers AI REST API, get started — https://developers.cloudflare.com/workers-ai/get-started/rest-api/
  (``POST /client/v4/accounts/{account_id}/ai/run/{model}``, Bearer token, the envelope)
* Streaming — https://developers.cloudflare.com/workers-ai/get-started/streaming
  (``"stream": true`` → ``text/event-stream``, ``data: {"response": ...}``, ``data: [DONE]``)
* Model pages: flux-1-schnell (``{"prompt", "steps"}`` → base64 ``result.image``, JPEG),
  whisper (raw audio body via ``--data-binary``; ``text``, ``word_count``,
  ``words[{word,start,end}]``, ``vtt``), bge-base-en-v1.5 / bge-large-en-v1.5
  (``{"text": [...]}`` → ``data``, ``shape``), llama text models (``response``,
  ``usage.{prompt,completion,total}_tokens``) —
  https://developers.cloudflare.com/workers-ai/models/
* Errors — https://developers.cloudflare.com/workers-ai/platform/errors/ (HTTP 400/403/404/
  405/408/413/429 with internal codes such as 3040 "Out of capacity", 3036 "Account
  limited", 3007 "Timeout")
* Limits — https://developers.cloudflare.com/workers-ai/platform/limits/ (rate limits per
  task type, hence 429)
* AI Gateway, Workers AI provider —
  https://developers.cloudflare.com/ai-gateway/providers/workersai/
  (``https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/workers-ai/{model}``)
* The v4 API's common response schema (``success``, ``errors[{code,message}]``,
  ``messages``, ``result``).
"""

from ln1.cloudflare.breaker import BreakerPolicy
from ln1.cloudflare.client import (
    API_BASE_URL,
    IMAGE_MODEL,
    WHISPER_MODEL,
    RetryPolicy,
    Timeouts,
    WorkersAI,
    gateway_base_url,
    run_url,
)
from ln1.cloudflare.errors import (
    AuthError,
    BadResponse,
    CircuitOpen,
    CloudflareError,
    ErrorDetail,
    ModelError,
    NetworkError,
    NotConfigured,
    RateLimited,
    ServerError,
    StreamInterrupted,
    Timeout,
)
from ln1.cloudflare.results import ChatMessage, ImageResult, Segment, TextResult, Transcript, Usage

__all__ = [
    "API_BASE_URL",
    "IMAGE_MODEL",
    "WHISPER_MODEL",
    "AuthError",
    "BadResponse",
    "BreakerPolicy",
    "ChatMessage",
    "CircuitOpen",
    "CloudflareError",
    "ErrorDetail",
    "ImageResult",
    "ModelError",
    "NetworkError",
    "NotConfigured",
    "RateLimited",
    "RetryPolicy",
    "Segment",
    "ServerError",
    "StreamInterrupted",
    "TextResult",
    "Timeout",
    "Timeouts",
    "Transcript",
    "Usage",
    "WorkersAI",
    "gateway_base_url",
    "run_url",
]
