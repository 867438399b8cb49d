"""``WorkersAI``: an async client for Cloudflare Workers AI's REST API.

It follows Cloudflare's documented contract, and only that (the pages read are listed in
the package docstring, ``ln1/cloudflare/__init__.py``):

* Requests are ``POST {base}/accounts/{account_id}/ai/run/{model}`` with
  ``Authorization: Bearer <token>``; through AI Gateway the same body goes to
  ``https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/workers-ai/{model}``.
  A base URL ending in ``/workers-ai`` is taken as a gateway, anything else as the API
  root (``https://api.cloudflare.com/client/v4`` or a local stand-in of it).
* Answers are the v4 envelope ``{"result", "success", "errors", "messages"}``. Only
  ``success: true`` with a ``result`` counts as success; ``errors`` entries
  (``{"code", "message"}``) are carried into the raised error.
* Text generation sends ``{"messages", "max_tokens"?}`` and reads ``result.response`` and
  the optional ``result.usage`` (``prompt_tokens``, ``completion_tokens``,
  ``total_tokens``). With ``"stream": true`` the answer is ``text/event-stream``: lines
  ``data: {"response": "..."}`` ending with ``data: [DONE]``. A stream that ends without
  ``[DONE]`` is incomplete, whatever the transport says.
* ``@cf/black-forest-labs/flux-1-schnell`` takes ``{"prompt", "steps"}`` and answers
  ``result.image``, base64 (the docs serve it as JPEG); the bytes' magic decides the type.
* ``@cf/openai/whisper`` takes the audio file as the raw request body
  (``--data-binary``) and answers ``result.text`` and optionally ``result.words``
  (``{"word", "start", "end"}``) and ``result.vtt``; models that answer ``result.segments``
  (``{"start", "end", "text"}``) are read from those instead.
* Embedding models (``@cf/baai/bge-base-en-v1.5``, ``@cf/baai/bge-m3`` …) take
  ``{"text": [...]}`` and answer ``result.data`` (one vector per text) and ``result.shape``.
* Errors (Workers AI's errors page): 400/404/405/413 bad input or model → ``ModelError``;
  401/403 → ``AuthError``; 408 (codes 3007 "Request timeout", 3008 "Aborted") →
  ``Timeout``; 429 (3036 daily allocation, 3040 out of capacity) → ``RateLimited`` with
  ``Retry-After`` (seconds or an HTTP date); 5xx → ``ServerError``.

Behaviour that is ours, not Cloudflare's: per-kind time limits (a whole-call deadline
for plain calls, an idle limit between stream events); retries with exponential back-off
and full jitter only for 429, 5xx, timeouts and connection failures (never another 4xx),
waiting at least what ``Retry-After`` asks, and not retrying at all when it asks more than
``RetryPolicy.max_retry_after`` (the caller, e.g. a queued task, can come back later); a
circuit breaker per model; one structured log line per call with the company, model,
kind, duration, attempts, token usage and outcome, and never the token.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import copy
import email.utils
import json
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Self, TypeVar

import httpx
import structlog
from pydantic import SecretStr

from ln1.cloudflare.breaker import BreakerPolicy, CircuitBreaker
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
from ln1.cloudflare.results import (
    ChatMessage,
    ImageResult,
    Segment,
    TextResult,
    Transcript,
    Usage,
)

if TYPE_CHECKING:
    from types import TracebackType

    from ln1.config import Settings

T = TypeVar("T")
Kind = Literal["text", "stream", "image", "audio", "embeddings"]

API_BASE_URL = "https://api.cloudflare.com/client/v4"
IMAGE_MODEL = "@cf/black-forest-labs/flux-1-schnell"
WHISPER_MODEL = "@cf/openai/whisper"

_PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC = b"\xff\xd8\xff"
_LOGGER = "ln1.cloudflare"


def gateway_base_url(account_id: str, gateway_id: str) -> str:
    """The AI Gateway base for Workers AI, as Cloudflare documents it."""
    return f"https://gateway.ai.cloudflare.com/v1/{account_id}/{gateway_id}/workers-ai"


def run_url(base_url: str, account_id: str, model: str) -> str:
    """Where a model runs: ``…/accounts/{id}/ai/run/{model}``, or ``…/workers-ai/{model}``."""
    base = base_url.rstrip("/")
    if base.endswith("/workers-ai"):
        return f"{base}/{model}"
    return f"{base}/accounts/{account_id}/ai/run/{model}"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds per kind of call; ``stream_idle`` is the longest silence inside a stream."""

    text: float = 30.0
    stream_idle: float = 15.0
    image: float = 60.0
    audio: float = 120.0
    embeddings: float = 15.0
    connect: float = 10.0

    def for_kind(self, kind: Kind) -> float:
        return {
            "text": self.text,
            "stream": self.stream_idle,
            "image": self.image,
            "audio": self.audio,
            "embeddings": self.embeddings,
        }[kind]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """At most ``attempts`` tries; between them full-jitter exponential back-off.

    The n-th wait is uniform in ``[0, min(max_delay, base_delay * 2**(n-1))]`` (the
    "full jitter" of AWS's back-off study: concurrent clients spread out instead of
    retrying in step). A 429 with ``Retry-After`` waits that long plus the jitter; one
    asking more than ``max_retry_after`` is not retried.
    """

    attempts: int = 3
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 30.0

    def delay(self, attempt: int, error: CloudflareError) -> float | None:
        """Seconds to wait after failed ``attempt`` (1-based), or None to stop retrying."""
        if not error.retryable or attempt >= self.attempts:
            return None
        jitter = random.uniform(0.0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))
        if isinstance(error, RateLimited) and error.retry_after is not None:
            if error.retry_after > self.max_retry_after:
                return None
            return error.retry_after + jitter
        return jitter


class WorkersAI:
    """Async client for Workers AI; use as ``async with WorkersAI(...) as ai:``.

    One instance holds one connection pool and one circuit breaker per model, so build it
    once per process and share it; ``for_company`` gives a view that logs usage under
    another company while sharing both.
    """

    def __init__(
        self,
        *,
        account_id: str,
        api_token: str | SecretStr,
        base_url: str | None = None,
        company_id: str | None = None,
        timeouts: Timeouts | None = None,
        retry: RetryPolicy | None = None,
        breaker: BreakerPolicy | None = None,
    ) -> None:
        if not account_id or not api_token:
            raise NotConfigured("Workers AI needs an account id and an API token")
        token = api_token if isinstance(api_token, SecretStr) else SecretStr(api_token)
        self._account_id = account_id
        self._base_url = (base_url or API_BASE_URL).rstrip("/")
        self._company_id = company_id
        self._timeouts = timeouts or Timeouts()
        self._retry = retry or RetryPolicy()
        self._breaker_policy = breaker or BreakerPolicy()
        self._breakers: dict[str, CircuitBreaker] = {}
        self._owns_http = True
        self._http = httpx.AsyncClient(
            headers={
                "Authorization": f"Bearer {token.get_secret_value()}",
                "User-Agent": "ln1-workers-ai",
            },
            timeout=httpx.Timeout(self._timeouts.text, connect=self._timeouts.connect),
        )

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> WorkersAI:
        """Build from ``LN1_CLOUDFLARE_*``; raises :class:`NotConfigured` without them."""
        if not settings.cloudflare_configured:
            raise NotConfigured(
                "Workers AI is not configured: set LN1_CLOUDFLARE_ACCOUNT_ID and "
                "LN1_CLOUDFLARE_API_TOKEN"
            )
        assert settings.cloudflare_account_id and settings.cloudflare_api_token
        return cls(
            account_id=settings.cloudflare_account_id,
            api_token=settings.cloudflare_api_token,
            base_url=settings.cloudflare_base_url,
            **options,
        )

    def for_company(self, company_id: str) -> WorkersAI:
        """A view logging usage under ``company_id``; it shares the pool and the breakers."""
        view = copy.copy(self)
        view._company_id = company_id
        view._owns_http = False
        return view

    def __repr__(self) -> str:
        return (
            f"WorkersAI(base_url={self._base_url!r}, account_id={self._account_id!r}, "
            f"company_id={self._company_id!r})"
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    def url_for(self, model: str) -> str:
        return run_url(self._base_url, self._account_id, model)

    def breaker_state(self, model: str) -> str:
        """``closed``, ``open`` or ``half_open``: for readiness pages and tests."""
        return self._breaker(model).state

    # -- the calls --------------------------------------------------------------------

    async def generate_text(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        company_id: str | None = None,
    ) -> TextResult:
        body: dict[str, Any] = {"messages": list(messages)}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens

        def parse(result: Any) -> TextResult:
            text = _field(result, "response", str, model)
            return TextResult(text=text, model=model, usage=_usage(result))

        return await self._call("text", model, company_id, parse, json=body)

    async def stream_text(
        self,
        messages: Sequence[ChatMessage],
        *,
        model: str,
        max_tokens: int | None = None,
        company_id: str | None = None,
    ) -> AsyncIterator[str]:
        """Yield text deltas as they arrive.

        A stream that breaks off (connection cut, silence longer than
        ``Timeouts.stream_idle``, an end without ``data: [DONE]``) raises after the deltas
        that did arrive: :class:`StreamInterrupted` (with ``received``) or :class:`Timeout`.
        Retries happen only before the first delta; text already handed out cannot be
        taken back.
        """
        body: dict[str, Any] = {"messages": list(messages), "stream": True}
        if max_tokens is not None:
            body["max_tokens"] = max_tokens
        call = _CallLog("stream", model, company_id or self._company_id)
        breaker = self._breaker(model)
        try:
            breaker.before_call()
        except CircuitOpen as exc:
            call.failed(exc)
            raise
        received: list[str] = []
        try:
            response = await self._retrying(call, lambda: self._open_stream(model, body))
            try:
                events = self._read_stream(response, model, received, call)
                async with aclosing(events):
                    async for delta in events:
                        received.append(delta)
                        yield delta
            finally:
                await response.aclose()
        except CloudflareError as exc:
            self._judge(breaker, exc)
            call.failed(exc, deltas=len(received))
            raise
        except BaseException:
            # The consumer stopped early or the task was cancelled: no verdict on the model.
            breaker.release()
            call.ended("cancelled", deltas=len(received))
            raise
        self._succeeded(breaker)
        call.ended("ok", deltas=len(received))

    async def generate_image(
        self,
        prompt: str,
        *,
        model: str = IMAGE_MODEL,
        steps: int = 4,
        company_id: str | None = None,
    ) -> ImageResult:
        def parse(result: Any) -> ImageResult:
            encoded = _field(result, "image", str, model)
            try:
                data = base64.b64decode(encoded, validate=True)
            except (binascii.Error, ValueError) as exc:
                raise BadResponse("result.image is not base64", model=model) from exc
            if data.startswith(_PNG_MAGIC):
                media_type = "image/png"
            elif data.startswith(_JPEG_MAGIC):
                media_type = "image/jpeg"
            else:
                raise BadResponse("result.image is neither PNG nor JPEG", model=model)
            return ImageResult(data=data, media_type=media_type, model=model)

        body = {"prompt": prompt, "steps": steps}
        return await self._call("image", model, company_id, parse, json=body)

    async def transcribe(
        self,
        audio: bytes,
        *,
        model: str = WHISPER_MODEL,
        company_id: str | None = None,
    ) -> Transcript:
        """Speech to text; the audio file (wav, mp3 …) is sent as the raw request body."""
        if not audio:
            raise ValueError("audio is empty")

        def parse(result: Any) -> Transcript:
            text = _field(result, "text", str, model)
            vtt = result.get("vtt")
            return Transcript(
                text=text,
                segments=_segments(result, model),
                model=model,
                vtt=vtt if isinstance(vtt, str) else None,
            )

        return await self._call(
            "audio",
            model,
            company_id,
            parse,
            content=audio,
            headers={"Content-Type": "application/octet-stream"},
        )

    async def embed(
        self, texts: Sequence[str], *, model: str, company_id: str | None = None
    ) -> list[list[float]]:
        """One vector per text, in order."""
        if isinstance(texts, str):
            raise TypeError("embed takes a sequence of texts, not one string")
        texts = list(texts)

        def parse(result: Any) -> list[list[float]]:
            data = _field(result, "data", list, model)
            if len(data) != len(texts):
                raise BadResponse(f"{len(data)} vectors for {len(texts)} texts", model=model)
            vectors: list[list[float]] = []
            for row in data:
                if not isinstance(row, list) or not all(
                    isinstance(x, int | float) and not isinstance(x, bool) for x in row
                ):
                    raise BadResponse("result.data holds a non-numeric vector", model=model)
                vectors.append([float(x) for x in row])
            shape = result.get("shape")
            if shape is not None and vectors and shape != [len(vectors), len(vectors[0])]:
                raise BadResponse(f"result.shape {shape} does not match the data", model=model)
            return vectors

        return await self._call("embeddings", model, company_id, parse, json={"text": texts})

    # -- the machinery ----------------------------------------------------------------

    def _breaker(self, model: str) -> CircuitBreaker:
        breaker = self._breakers.get(model)
        if breaker is None:
            breaker = self._breakers[model] = CircuitBreaker(model, self._breaker_policy)
        return breaker

    def _judge(self, breaker: CircuitBreaker, error: CloudflareError) -> None:
        """Feed an outcome to the breaker: only unhealthy failures count against the model.

        A 4xx answer (bad input, auth) proves the model is reachable and answering.
        """
        if isinstance(error, CircuitOpen):
            return
        if error.unhealthy:
            if breaker.record_failure():
                structlog.get_logger(_LOGGER).warning(
                    "workers_ai.circuit_opened",
                    model=breaker.model,
                    reset_after_s=self._breaker_policy.reset_after,
                    cause=type(error).__name__,
                )
        else:
            self._succeeded(breaker)

    def _succeeded(self, breaker: CircuitBreaker) -> None:
        if breaker.record_success():
            structlog.get_logger(_LOGGER).info("workers_ai.circuit_closed", model=breaker.model)

    async def _call(
        self,
        kind: Kind,
        model: str,
        company_id: str | None,
        parse: Callable[[Any], T],
        **request: Any,
    ) -> T:
        call = _CallLog(kind, model, company_id or self._company_id)
        breaker = self._breaker(model)
        try:
            breaker.before_call()
        except CircuitOpen as exc:
            call.failed(exc)
            raise
        try:
            result = await self._retrying(call, lambda: self._post(kind, model, request))
            if not isinstance(result, dict):
                raise BadResponse("result is not an object", model=model)
            value = parse(result)
        except CloudflareError as exc:
            self._judge(breaker, exc)
            call.failed(exc)
            raise
        except BaseException:
            breaker.release()
            call.ended("cancelled")
            raise
        self._succeeded(breaker)
        call.ended("ok", usage=_usage(result))
        return value

    async def _retrying(self, call: _CallLog, attempt: Callable[[], Awaitable[T]]) -> T:
        while True:
            call.attempts += 1
            try:
                return await attempt()
            except CloudflareError as exc:
                delay = self._retry.delay(call.attempts, exc)
                if delay is None:
                    raise
                structlog.get_logger(_LOGGER).info(
                    "workers_ai.retry",
                    model=call.model,
                    kind=call.kind,
                    attempt=call.attempts,
                    delay_s=round(delay, 3),
                    cause=type(exc).__name__,
                    status=exc.status,
                )
                await asyncio.sleep(delay)

    async def _post(self, kind: Kind, model: str, request: Mapping[str, Any]) -> Any:
        seconds = self._timeouts.for_kind(kind)
        timeout = httpx.Timeout(seconds, connect=min(seconds, self._timeouts.connect))
        try:
            # httpx's timeouts bound each read; the deadline bounds the whole answer.
            async with asyncio.timeout(seconds):
                response = await self._http.post(self.url_for(model), timeout=timeout, **request)
        except (TimeoutError, httpx.TimeoutException) as exc:
            raise Timeout(f"no answer within {seconds:g} s", model=model, seconds=seconds) from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"connection failed: {type(exc).__name__}", model=model) from exc
        return _result_of(response, model)

    async def _open_stream(self, model: str, body: dict[str, Any]) -> httpx.Response:
        idle = self._timeouts.stream_idle
        request = self._http.build_request(
            "POST",
            self.url_for(model),
            json=body,
            headers={"Accept": "text/event-stream"},
            timeout=httpx.Timeout(idle, connect=min(idle, self._timeouts.connect)),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise Timeout(f"no answer within {idle:g} s", model=model, seconds=idle) from exc
        except httpx.TransportError as exc:
            raise NetworkError(f"connection failed: {type(exc).__name__}", model=model) from exc
        if response.is_success and response.headers.get("content-type", "").startswith(
            "text/event-stream"
        ):
            return response
        try:
            await response.aread()
        except httpx.TransportError as exc:
            raise NetworkError(f"answer cut: {type(exc).__name__}", model=model) from exc
        finally:
            await response.aclose()
        if response.is_success:
            # Not a stream: an envelope's own errors are the better message, if it has them.
            _result_of(response, model)
            raise BadResponse(
                "asked for a stream, got a plain answer",
                model=model,
                status=response.status_code,
            )
        raise _http_error(response, model)

    async def _read_stream(
        self, response: httpx.Response, model: str, received: list[str], call: _CallLog
    ) -> AsyncIterator[str]:
        idle = self._timeouts.stream_idle
        data_lines: list[str] = []
        lines = response.aiter_lines()
        while True:
            try:
                line = await anext(lines)
            except StopAsyncIteration:
                raise StreamInterrupted(
                    "stream ended without data: [DONE]", model=model, received="".join(received)
                ) from None
            except httpx.TimeoutException as exc:
                raise Timeout(
                    f"stream silent for more than {idle:g} s after {len(received)} deltas",
                    model=model,
                    seconds=idle,
                ) from exc
            except httpx.TransportError as exc:
                raise StreamInterrupted(
                    f"stream cut: {type(exc).__name__}", model=model, received="".join(received)
                ) from exc
            if line.startswith(":"):
                continue  # an SSE comment (keep-alive)
            if line:
                field_name, _, value = line.partition(":")
                if field_name == "data":
                    data_lines.append(value.removeprefix(" "))
                continue
            if not data_lines:
                continue
            data = "\n".join(data_lines)
            data_lines = []
            if data == "[DONE]":
                return
            try:
                event = json.loads(data)
            except ValueError as exc:
                raise BadResponse("stream event is not JSON", model=model) from exc
            if not isinstance(event, dict):
                raise BadResponse("stream event is not an object", model=model)
            usage = _usage(event)
            if usage is not None:
                call.usage = usage
            delta = event.get("response")
            if isinstance(delta, str) and delta:
                yield delta


class _CallLog:
    """Accounting for one call: a single structured line when it ends."""

    def __init__(self, kind: Kind, model: str, company_id: str | None) -> None:
        self.kind = kind
        self.model = model
        self.company_id = company_id
        self.attempts = 0
        self.usage: Usage | None = None
        self._started = time.perf_counter()

    def ended(self, outcome: str, *, usage: Usage | None = None, **extra: Any) -> None:
        usage = usage or self.usage
        fields: dict[str, Any] = {
            "company_id": self.company_id,
            "model": self.model,
            "kind": self.kind,
            "duration_ms": round((time.perf_counter() - self._started) * 1000, 1),
            "attempts": self.attempts,
            "outcome": outcome,
            **extra,
        }
        if usage is not None:
            fields.update(
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
                total_tokens=usage.total_tokens,
            )
        log = structlog.get_logger(_LOGGER)
        if outcome in ("ok", "cancelled"):
            log.info("workers_ai.call", **fields)
        else:
            log.warning("workers_ai.call", **fields)

    def failed(self, error: CloudflareError, **extra: Any) -> None:
        self.ended(type(error).__name__, status=error.status, **extra)


def _result_of(response: httpx.Response, model: str) -> Any:
    """The envelope's ``result`` of a 2xx answer, or the typed error the answer means."""
    if not response.is_success:
        raise _http_error(response, model)
    try:
        envelope = response.json()
    except ValueError as exc:
        raise BadResponse("answer is not JSON", model=model, status=response.status_code) from exc
    if not isinstance(envelope, dict):
        raise BadResponse("answer is not an envelope", model=model, status=response.status_code)
    errors = _details(envelope.get("errors"))
    if envelope.get("success") is not True:
        raise BadResponse(
            "answer says success is not true",
            model=model,
            status=response.status_code,
            errors=errors,
        )
    if envelope.get("result") is None:
        raise BadResponse("answer has no result", model=model, status=response.status_code)
    return envelope["result"]


def _http_error(response: httpx.Response, model: str) -> CloudflareError:
    status = response.status_code
    errors: tuple[ErrorDetail, ...] = ()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        errors = _details(body.get("errors"))
    message = f"HTTP {status} {response.reason_phrase}".strip()
    common = {"model": model, "status": status, "errors": errors}
    if status in (401, 403):
        return AuthError(message, **common)
    if status == 429:
        return RateLimited(
            message, retry_after=_retry_after(response.headers.get("retry-after")), **common
        )
    if status == 408:
        return Timeout(message, **common)
    if status >= 500:
        return ServerError(message, **common)
    if 400 <= status < 500:
        return ModelError(message, **common)
    return BadResponse(message, **common)


def _details(raw: Any) -> tuple[ErrorDetail, ...]:
    if not isinstance(raw, list):
        return ()
    details = []
    for item in raw:
        if isinstance(item, dict):
            code = item.get("code")
            details.append(
                ErrorDetail(
                    code=code if isinstance(code, int) else None,
                    message=str(item.get("message", ""))[:500],
                )
            )
    return tuple(details)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: either delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _field(result: Any, name: str, kind: type[T], model: str) -> T:
    value = result.get(name) if isinstance(result, dict) else None
    if not isinstance(value, kind):
        raise BadResponse(f"result.{name} is missing or not a {kind.__name__}", model=model)
    return value


def _usage(result: Any) -> Usage | None:
    raw = result.get("usage") if isinstance(result, dict) else None
    if not isinstance(raw, dict):
        return None

    def count(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    return Usage(count("prompt_tokens"), count("completion_tokens"), count("total_tokens"))


def _segments(result: dict[str, Any], model: str) -> tuple[Segment, ...]:
    """Timed pieces: ``result.segments`` when the model gives them, else ``result.words``."""
    raw = result.get("segments")
    text_key = "text"
    if not isinstance(raw, list):
        raw = result.get("words")
        text_key = "word"
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise BadResponse("result.words is not a list", model=model)
    segments = []
    for item in raw:
        if not isinstance(item, dict):
            raise BadResponse("a transcript segment is not an object", model=model)
        start, end, text = item.get("start"), item.get("end"), item.get(text_key)
        if not isinstance(start, int | float) or not isinstance(end, int | float):
            continue  # the schema makes timings optional; an untimed word is not a segment
        segments.append(Segment(float(start), float(end), str(text or "").strip()))
    return tuple(segments)
