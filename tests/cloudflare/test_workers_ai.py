"""The Workers AI client against a stand-in speaking Cloudflare's documented contract.

Every attempt is counted where it lands, at the stand-in, so retries are facts of the
wire and not of the client's own bookkeeping.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import aclosing
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from structlog.testing import capture_logs

from ln1.cloudflare import (
    AuthError,
    BadResponse,
    BreakerPolicy,
    CircuitOpen,
    CloudflareError,
    ModelError,
    NetworkError,
    NotConfigured,
    RateLimited,
    RetryPolicy,
    ServerError,
    StreamInterrupted,
    Timeout,
    Timeouts,
    WorkersAI,
    gateway_base_url,
    run_url,
)
from ln1.cloudflare.client import _retry_after
from ln1.config import Settings
from tests.cloudflare.standin import TRANSCRIPT_WORDS, StandIn

LLAMA = "@cf/meta/llama-3.1-8b-instruct"
FLUX = "@cf/black-forest-labs/flux-1-schnell"
WHISPER = "@cf/openai/whisper"
BGE = "@cf/baai/bge-base-en-v1.5"
BGE_M3 = "@cf/baai/bge-m3"
ASK = [
    {"role": "system", "content": "Answer briefly."},
    {"role": "user", "content": "ventas de marzo por region"},
]
ANSWER = "Echo: ventas de marzo por region"
MakeClient = Callable[..., WorkersAI]


async def collect(stream) -> list[str]:
    return [delta async for delta in stream]


# -- happy paths ----------------------------------------------------------------------


async def test_generate_text_returns_the_response_and_usage(ai: WorkersAI, standin: StandIn):
    result = await ai.generate_text(ASK, model=LLAMA, max_tokens=64)

    assert result.text == ANSWER
    assert result.usage is not None and result.usage.completion_tokens == 6
    assert result.usage.total_tokens == result.usage.prompt_tokens + 6
    [request] = standin.requests_for(LLAMA)
    assert request.route == "api"
    assert request.path == f"/client/v4/accounts/{standin.account_id}/ai/run/{LLAMA}"
    assert request.json() == {"messages": ASK, "max_tokens": 64}


async def test_max_tokens_is_sent_and_honoured(ai: WorkersAI):
    result = await ai.generate_text(ASK, model=LLAMA, max_tokens=2)

    assert result.text == "Echo: ventas"


async def test_stream_text_yields_deltas_until_done(ai: WorkersAI, standin: StandIn):
    deltas = await collect(ai.stream_text(ASK, model=LLAMA))

    assert len(deltas) == 6
    assert "".join(deltas) == ANSWER
    assert standin.requests_for(LLAMA)[0].json()["stream"] is True


async def test_generate_image_decodes_the_documented_base64_jpeg(ai: WorkersAI, standin: StandIn):
    image = await ai.generate_image("un gráfico de ventas", steps=4)

    assert image.media_type == "image/jpeg"
    assert image.data.startswith(b"\xff\xd8\xff")
    assert standin.requests_for(FLUX)[0].json() == {"prompt": "un gráfico de ventas", "steps": 4}
    assert "size=" in repr(image) and "\\x" not in repr(image)


async def test_generate_image_recognises_png_by_its_magic(ai: WorkersAI, standin: StandIn):
    standin.script(FLUX, "png")

    image = await ai.generate_image("a chart")

    assert image.media_type == "image/png"
    assert image.data.startswith(b"\x89PNG\r\n\x1a\n")


async def test_transcribe_sends_raw_audio_and_parses_timed_words(ai: WorkersAI, standin: StandIn):
    audio = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(64))

    transcript = await ai.transcribe(audio)

    assert transcript.text == "Hola, ventas de marzo."
    assert [(s.text, s.start, s.end) for s in transcript.segments] == TRANSCRIPT_WORDS
    assert transcript.vtt is not None and transcript.vtt.startswith("WEBVTT")
    [request] = standin.requests_for(WHISPER)
    assert request.body == audio
    assert request.content_type == "application/octet-stream"


async def test_embed_returns_one_vector_per_text_in_order(ai: WorkersAI, standin: StandIn):
    texts = ["ventas de marzo", "sales in March", "ventas de marzo"]

    vectors = await ai.embed(texts, model=BGE)

    assert len(vectors) == 3 and all(len(v) == 768 for v in vectors)
    assert vectors[0] == vectors[2] != vectors[1]
    assert standin.requests_for(BGE)[0].json() == {"text": texts}
    assert len((await ai.embed(["hola"], model=BGE_M3))[0]) == 1024


async def test_embed_refuses_a_bare_string(ai: WorkersAI, standin: StandIn):
    with pytest.raises(TypeError):
        await ai.embed("ventas", model=BGE)  # type: ignore[arg-type]
    assert standin.requests == []


async def test_gateway_base_url_routes_to_the_documented_gateway_path(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(base_url=standin.gateway_url("ln1-prod"))

    result = await ai.generate_text(ASK, model=LLAMA)

    assert result.text == ANSWER
    [request] = standin.requests_for(LLAMA)
    assert request.route == "gateway" and request.gateway == "ln1-prod"
    assert request.path == f"/v1/{standin.account_id}/ln1-prod/workers-ai/{LLAMA}"


def test_url_shapes_match_cloudflares_documentation():
    assert run_url("https://api.cloudflare.com/client/v4", "acc", LLAMA) == (
        f"https://api.cloudflare.com/client/v4/accounts/acc/ai/run/{LLAMA}"
    )
    gateway = gateway_base_url("acc", "gw")
    assert gateway == "https://gateway.ai.cloudflare.com/v1/acc/gw/workers-ai"
    assert run_url(gateway, "acc", LLAMA) == (
        f"https://gateway.ai.cloudflare.com/v1/acc/gw/workers-ai/{LLAMA}"
    )


async def test_from_settings_reads_the_ln1_cloudflare_variables(
    monkeypatch: pytest.MonkeyPatch, standin: StandIn
):
    monkeypatch.setenv("LN1_CLOUDFLARE_ACCOUNT_ID", standin.account_id)
    monkeypatch.setenv("LN1_CLOUDFLARE_API_TOKEN", standin.token)
    monkeypatch.setenv("LN1_CLOUDFLARE_BASE_URL", standin.base_url)

    async with WorkersAI.from_settings(Settings(), company_id="company-acme") as ai:
        result = await ai.generate_text(ASK, model=LLAMA)

    assert result.text == ANSWER


def test_from_settings_without_credentials_says_not_configured(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("LN1_CLOUDFLARE_ACCOUNT_ID", raising=False)
    monkeypatch.delenv("LN1_CLOUDFLARE_API_TOKEN", raising=False)

    with pytest.raises(NotConfigured, match="not configured"):
        WorkersAI.from_settings(Settings())


async def test_the_standin_also_takes_whispers_documented_json_array_form(standin: StandIn):
    """The stand-in's own fidelity: Workers AI documents ``{"audio": [0..255, ...]}`` too."""
    url = f"{standin.base_url}/accounts/{standin.account_id}/ai/run/{WHISPER}"
    headers = {"Authorization": f"Bearer {standin.token}"}
    async with httpx.AsyncClient() as http:
        ok = await http.post(url, json={"audio": list(b"RIFF audio")}, headers=headers)
        bad = await http.post(url, json={"audio": [300]}, headers=headers)

    assert ok.status_code == 200 and ok.json()["result"]["word_count"] == 4
    assert bad.status_code == 400 and bad.json()["success"] is False


# -- errors that must not be retried --------------------------------------------------


async def test_wrong_token_is_an_auth_error_and_not_retried(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(api_token="not-the-token")

    with pytest.raises(AuthError) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.status == 401 and caught.value.errors[0].code == 10000
    assert len(standin.requests_for(LLAMA)) == 1


async def test_another_account_is_refused_with_403(make_client: MakeClient, standin: StandIn):
    ai = make_client(account_id="acct-someone-else")

    with pytest.raises(AuthError) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.status == 403
    assert len(standin.requests_for(LLAMA)) == 1


@pytest.mark.parametrize("mode", ["401", "403"])
async def test_scripted_auth_failures_are_auth_errors(ai: WorkersAI, standin: StandIn, mode: str):
    standin.script(LLAMA, mode)

    with pytest.raises(AuthError):
        await ai.generate_text(ASK, model=LLAMA)

    assert len(standin.requests_for(LLAMA)) == 1


async def test_400_is_a_model_error_and_not_retried(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "400")

    with pytest.raises(ModelError) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.status == 400 and caught.value.errors[0].code == 3003
    assert len(standin.requests_for(LLAMA)) == 1


async def test_unknown_model_is_the_documented_5007_model_error(ai: WorkersAI, standin: StandIn):
    with pytest.raises(ModelError) as caught:
        await ai.generate_text(ASK, model="@cf/nobody/no-such-model")

    assert caught.value.errors[0].code == 5007
    assert len(standin.requests) == 1


async def test_invalid_input_is_a_model_error(ai: WorkersAI, standin: StandIn):
    with pytest.raises(ModelError, match="steps"):
        await ai.generate_image("a chart", steps=50)

    assert len(standin.requests_for(FLUX)) == 1


# -- retried failures -----------------------------------------------------------------


async def test_two_503_then_success_takes_three_requests(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "503", "503")

    result = await ai.generate_text(ASK, model=LLAMA)

    assert result.text == ANSWER
    assert len(standin.requests_for(LLAMA)) == 3


async def test_persistent_500_stops_after_the_attempt_limit(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "500", "500", "500", "500")

    with pytest.raises(ServerError) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.status == 500
    assert len(standin.requests_for(LLAMA)) == 3


async def test_a_proxys_plain_text_503_is_a_server_error(ai: WorkersAI, standin: StandIn):
    standin.script(BGE, "503-text", "502")

    vectors = await ai.embed(["hola"], model=BGE)

    assert len(vectors) == 1
    assert len(standin.requests_for(BGE)) == 3


async def test_429_waits_at_least_retry_after_before_retrying(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "429:1")
    started = time.monotonic()

    result = await ai.generate_text(ASK, model=LLAMA)

    assert result.text == ANSWER
    first, second = standin.requests_for(LLAMA)
    assert second.at - first.at >= 1.0
    assert time.monotonic() - started < 2.0


async def test_429_asking_longer_than_the_cap_is_raised_at_once(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "429:120")
    started = time.monotonic()

    with pytest.raises(RateLimited) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.retry_after == 120
    assert caught.value.errors[0].code == 3040
    assert time.monotonic() - started < 0.5
    assert len(standin.requests_for(LLAMA)) == 1


async def test_429_without_retry_after_backs_off_and_retries(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "429", "429", "429")

    with pytest.raises(RateLimited) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.retry_after is None
    assert len(standin.requests_for(LLAMA)) == 3


async def test_slow_answer_times_out_within_bounds(make_client: MakeClient, standin: StandIn):
    ai = make_client(timeouts=Timeouts(text=0.3), retry=RetryPolicy(attempts=1))
    standin.script(LLAMA, "slow:1.5")
    started = time.monotonic()

    with pytest.raises(Timeout) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 0.8
    assert caught.value.seconds == 0.3


async def test_a_slow_attempt_is_retried_and_the_next_one_answers(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(timeouts=Timeouts(image=0.3), retry=RetryPolicy(attempts=2, base_delay=0.01))
    standin.script(FLUX, "slow:1")

    image = await ai.generate_image("a chart")

    assert image.media_type == "image/jpeg"
    assert len(standin.requests_for(FLUX)) == 2


async def test_each_kind_has_its_own_time_limit(make_client: MakeClient, standin: StandIn):
    ai = make_client(timeouts=Timeouts(text=2.0, audio=0.2), retry=RetryPolicy(attempts=1))
    standin.script(WHISPER, "slow:0.6")
    standin.script(LLAMA, "slow:0.6")

    with pytest.raises(Timeout):
        await ai.transcribe(b"audio")
    assert (await ai.generate_text(ASK, model=LLAMA)).text == ANSWER


async def test_documented_408_request_timeout_is_retried(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "408")

    assert (await ai.generate_text(ASK, model=LLAMA)).text == ANSWER
    assert len(standin.requests_for(LLAMA)) == 2


async def test_a_dropped_connection_is_retried(ai: WorkersAI, standin: StandIn):
    standin.script(WHISPER, "drop")

    transcript = await ai.transcribe(b"audio")

    assert transcript.text
    assert len(standin.requests_for(WHISPER)) == 2


async def test_connection_refused_is_a_network_error(make_client: MakeClient):
    ai = make_client(
        base_url="http://127.0.0.1:9/client/v4", retry=RetryPolicy(attempts=2, base_delay=0.01)
    )

    with pytest.raises(NetworkError):
        await ai.generate_text(ASK, model=LLAMA)


# -- answers that cannot be trusted ---------------------------------------------------


async def test_malformed_json_is_a_bad_response_and_not_retried(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "malformed")

    with pytest.raises(BadResponse, match="not JSON"):
        await ai.generate_text(ASK, model=LLAMA)

    assert len(standin.requests_for(LLAMA)) == 1


async def test_success_false_envelope_is_a_bad_response_with_its_errors(
    ai: WorkersAI, standin: StandIn
):
    standin.script(LLAMA, "unsuccessful")

    with pytest.raises(BadResponse) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert caught.value.status == 200
    assert caught.value.errors[0].code == 5006


@pytest.mark.parametrize(
    ("model", "call"),
    [
        (LLAMA, lambda ai: ai.generate_text(ASK, model=LLAMA)),
        (FLUX, lambda ai: ai.generate_image("x")),
        (WHISPER, lambda ai: ai.transcribe(b"audio")),
        (BGE, lambda ai: ai.embed(["x"], model=BGE)),
    ],
)
async def test_a_result_without_its_fields_is_a_bad_response(
    ai: WorkersAI, standin: StandIn, model: str, call
):
    standin.script(model, "missing")

    with pytest.raises(BadResponse, match="missing"):
        await call(ai)


async def test_image_bytes_that_are_not_png_or_jpeg_are_refused(ai: WorkersAI, standin: StandIn):
    standin.script(FLUX, "not-image")

    with pytest.raises(BadResponse, match="neither PNG nor JPEG"):
        await ai.generate_image("a chart")


# -- streams --------------------------------------------------------------------------


async def test_a_stream_cut_halfway_yields_what_arrived_then_raises(
    ai: WorkersAI, standin: StandIn
):
    standin.script(LLAMA, "cut")
    deltas: list[str] = []

    with pytest.raises(StreamInterrupted) as caught:
        async for delta in ai.stream_text(ASK, model=LLAMA):
            deltas.append(delta)

    assert deltas == ["Echo:", " ventas", " de"]
    assert caught.value.received == "Echo: ventas de"
    assert len(standin.requests_for(LLAMA)) == 1  # never re-sent after text went out


async def test_a_stream_that_ends_without_done_is_not_complete(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "eof")
    deltas: list[str] = []

    with pytest.raises(StreamInterrupted, match=r"\[DONE\]"):
        async for delta in ai.stream_text(ASK, model=LLAMA):
            deltas.append(delta)

    assert "".join(deltas) == "Echo: ventas de"


async def test_a_stream_silent_past_the_idle_limit_raises_timeout(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(timeouts=Timeouts(stream_idle=0.3))
    standin.script(LLAMA, "stall:1.2")
    deltas: list[str] = []
    started = time.monotonic()

    with pytest.raises(Timeout):
        async for delta in ai.stream_text(ASK, model=LLAMA):
            deltas.append(delta)

    assert deltas == ["Echo:", " ventas", " de"]
    assert time.monotonic() - started < 1.0


async def test_a_stream_failing_before_the_first_delta_is_retried(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "503", "429:0")

    assert "".join(await collect(ai.stream_text(ASK, model=LLAMA))) == ANSWER
    assert len(standin.requests_for(LLAMA)) == 3


async def test_a_refused_stream_yields_nothing(make_client: MakeClient, standin: StandIn):
    ai = make_client(api_token="wrong")
    deltas: list[str] = []

    with pytest.raises(AuthError):
        async for delta in ai.stream_text(ASK, model=LLAMA):
            deltas.append(delta)

    assert deltas == []


async def test_a_stream_answered_with_a_failure_envelope_is_not_success(
    ai: WorkersAI, standin: StandIn
):
    standin.script(LLAMA, "unsuccessful")

    with pytest.raises(BadResponse):
        await collect(ai.stream_text(ASK, model=LLAMA))


async def test_a_consumer_that_stops_early_is_logged_as_cancelled(ai: WorkersAI):
    with capture_logs() as logs:
        async with aclosing(ai.stream_text(ASK, model=LLAMA)) as stream:
            async for delta in stream:
                assert delta == "Echo:"
                break

    [call] = [entry for entry in logs if entry["event"] == "workers_ai.call"]
    assert call["outcome"] == "cancelled" and call["deltas"] == 1
    assert ai.breaker_state(LLAMA) == "closed"


# -- the circuit breaker --------------------------------------------------------------


async def test_the_circuit_opens_after_consecutive_failures_and_fails_fast(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(retry=RetryPolicy(attempts=1), breaker=BreakerPolicy(2, reset_after=5))
    standin.script(LLAMA, "500", "500")
    for _ in range(2):
        with pytest.raises(ServerError):
            await ai.generate_text(ASK, model=LLAMA)

    started = time.monotonic()
    with pytest.raises(CircuitOpen) as caught:
        await ai.generate_text(ASK, model=LLAMA)

    assert time.monotonic() - started < 0.05
    assert 0 < caught.value.retry_in <= 5
    assert len(standin.requests_for(LLAMA)) == 2  # the third call never left the process
    assert ai.breaker_state(LLAMA) == "open"
    assert await ai.embed(["x"], model=BGE)  # other models are not held


async def test_a_successful_half_open_trial_closes_the_circuit(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(retry=RetryPolicy(attempts=1), breaker=BreakerPolicy(2, reset_after=0.2))
    standin.script(LLAMA, "503", "503")
    for _ in range(2):
        with pytest.raises(ServerError):
            await ai.generate_text(ASK, model=LLAMA)
    await asyncio.sleep(0.25)

    assert ai.breaker_state(LLAMA) == "half_open"
    assert (await ai.generate_text(ASK, model=LLAMA)).text == ANSWER
    assert ai.breaker_state(LLAMA) == "closed"
    assert (await ai.generate_text(ASK, model=LLAMA)).text == ANSWER


async def test_a_failed_half_open_trial_opens_the_circuit_again(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(retry=RetryPolicy(attempts=1), breaker=BreakerPolicy(2, reset_after=0.2))
    standin.script(LLAMA, "503", "503", "503")
    for _ in range(2):
        with pytest.raises(ServerError):
            await ai.generate_text(ASK, model=LLAMA)
    await asyncio.sleep(0.25)

    with pytest.raises(ServerError):
        await ai.generate_text(ASK, model=LLAMA)

    assert ai.breaker_state(LLAMA) == "open"
    with pytest.raises(CircuitOpen):
        await ai.generate_text(ASK, model=LLAMA)
    assert len(standin.requests_for(LLAMA)) == 3


async def test_half_open_lets_one_trial_through_at_a_time(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(retry=RetryPolicy(attempts=1), breaker=BreakerPolicy(1, reset_after=0.2))
    standin.script(LLAMA, "500", "slow:0.3")
    with pytest.raises(ServerError):
        await ai.generate_text(ASK, model=LLAMA)
    await asyncio.sleep(0.25)

    trial, other = await asyncio.gather(
        ai.generate_text(ASK, model=LLAMA),
        ai.generate_text(ASK, model=LLAMA),
        return_exceptions=True,
    )

    assert not isinstance(trial, BaseException) and trial.text == ANSWER
    assert isinstance(other, CircuitOpen)
    assert ai.breaker_state(LLAMA) == "closed"


async def test_client_errors_do_not_open_the_circuit(make_client: MakeClient, standin: StandIn):
    ai = make_client(retry=RetryPolicy(attempts=1), breaker=BreakerPolicy(2, reset_after=5))
    standin.script(LLAMA, "400", "400", "400")
    for _ in range(3):
        with pytest.raises(ModelError):
            await ai.generate_text(ASK, model=LLAMA)

    assert ai.breaker_state(LLAMA) == "closed"


async def test_retries_inside_one_call_count_as_one_failure(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(breaker=BreakerPolicy(2, reset_after=5))  # 3 attempts per call
    standin.script(LLAMA, "503", "503", "503")

    with pytest.raises(ServerError):
        await ai.generate_text(ASK, model=LLAMA)

    assert ai.breaker_state(LLAMA) == "closed"


# -- usage accounting and secrecy -----------------------------------------------------


async def test_each_call_logs_company_model_kind_duration_usage_and_outcome(
    ai: WorkersAI, standin: StandIn
):
    standin.script(BGE, "400")
    with capture_logs() as logs:
        await ai.generate_text(ASK, model=LLAMA)
        await ai.generate_text(ASK, model=LLAMA, company_id="company-globex")
        await ai.for_company("company-initech").generate_image("x")
        with pytest.raises(ModelError):
            await ai.embed(["x"], model=BGE)

    calls = [entry for entry in logs if entry["event"] == "workers_ai.call"]
    assert [(c["company_id"], c["kind"], c["outcome"]) for c in calls] == [
        ("company-acme", "text", "ok"),
        ("company-globex", "text", "ok"),
        ("company-initech", "image", "ok"),
        ("company-acme", "embeddings", "ModelError"),
    ]
    first = calls[0]
    assert first["model"] == LLAMA and first["attempts"] == 1
    assert first["duration_ms"] >= 0
    assert (first["prompt_tokens"], first["completion_tokens"]) == (7, 6)
    assert calls[3]["status"] == 400


async def test_a_stream_logs_its_usage_and_delta_count(ai: WorkersAI):
    with capture_logs() as logs:
        await collect(ai.stream_text(ASK, model=LLAMA))

    [call] = [entry for entry in logs if entry["event"] == "workers_ai.call"]
    assert call["kind"] == "stream" and call["outcome"] == "ok"
    assert call["deltas"] == 6 and call["total_tokens"] == 13


async def test_retries_are_logged_and_counted(ai: WorkersAI, standin: StandIn):
    standin.script(LLAMA, "503")
    with capture_logs() as logs:
        await ai.generate_text(ASK, model=LLAMA)

    [retry] = [entry for entry in logs if entry["event"] == "workers_ai.retry"]
    assert retry["cause"] == "ServerError" and retry["status"] == 503
    [call] = [entry for entry in logs if entry["event"] == "workers_ai.call"]
    assert call["attempts"] == 2


async def test_the_token_is_never_logged_nor_shown(
    make_client: MakeClient, standin: StandIn, caplog: pytest.LogCaptureFixture
):
    ai = make_client(breaker=BreakerPolicy(1, reset_after=5))
    wrong = make_client(api_token=standin.token + "-wrong")
    standin.script(LLAMA, "cut", "500", "500", "500")
    errors: list[BaseException] = []
    caplog.set_level(logging.DEBUG)

    with capture_logs() as logs:
        await ai.generate_text(ASK, model=LLAMA, max_tokens=3)
        for attempt in (
            collect(ai.stream_text(ASK, model=LLAMA)),
            ai.generate_text(ASK, model=LLAMA),
            ai.generate_text(ASK, model=LLAMA),
            wrong.generate_text(ASK, model=LLAMA),
        ):
            try:
                await attempt
            except CloudflareError as exc:
                errors.append(exc)

    assert len(errors) == 4 and logs and caplog.records
    shown = [repr(ai), repr(wrong), str(ai.__dict__.get("_http")), *map(str, logs)]
    shown += [record.getMessage() for record in caplog.records]
    shown += [f"{e!s} {e!r} {e.__cause__!r}" for e in errors]
    for text in shown:
        assert standin.token not in text


async def test_the_client_never_reports_success_the_server_did_not_give(
    make_client: MakeClient, standin: StandIn
):
    ai = make_client(
        retry=RetryPolicy(attempts=1),
        timeouts=Timeouts(text=0.3, stream_idle=0.3),
        breaker=BreakerPolicy(failure_threshold=100),
    )
    plain = [
        "401",
        "403",
        "400",
        "408",
        "429:0",
        "500",
        "503",
        "503-text",
        "slow:0.6",
        "malformed",
        "unsuccessful",
        "missing",
        "drop",
    ]
    streamed = [
        "401",
        "429:0",
        "503",
        "malformed",
        "unsuccessful",
        "drop",
        "cut",
        "eof",
        "stall:0.6",
    ]
    standin.script(LLAMA, *plain, *streamed)

    with capture_logs() as logs:
        for _ in plain:
            with pytest.raises(CloudflareError):
                await ai.generate_text(ASK, model=LLAMA)
        for _ in streamed:
            with pytest.raises(CloudflareError):
                await collect(ai.stream_text(ASK, model=LLAMA))

    outcomes = [entry["outcome"] for entry in logs if entry["event"] == "workers_ai.call"]
    assert len(outcomes) == len(plain) + len(streamed) and "ok" not in outcomes
    assert len(standin.requests_for(LLAMA)) == len(plain) + len(streamed)


# -- back-off arithmetic --------------------------------------------------------------


def test_backoff_is_full_jitter_below_the_exponential_ceiling():
    policy = RetryPolicy(attempts=10, base_delay=0.5, max_delay=4.0)
    error = ServerError("HTTP 503")

    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (6, 4.0)]:
        delays = [policy.delay(attempt, error) for _ in range(200)]
        assert all(d is not None and 0.0 <= d <= ceiling for d in delays)
        assert max(d for d in delays if d is not None) > ceiling / 2  # spread, not fixed
    assert policy.delay(10, error) is None
    assert policy.delay(1, ModelError("HTTP 400")) is None


def test_retry_after_reads_seconds_and_http_dates():
    assert _retry_after("3") == 3.0
    assert _retry_after(None) is None and _retry_after("soon") is None
    in_ten = format_datetime(datetime.now(UTC) + timedelta(seconds=10), usegmt=True)
    assert 8.0 <= (_retry_after(in_ten) or 0) <= 10.0
