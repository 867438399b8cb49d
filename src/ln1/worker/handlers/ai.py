"""``ai`` queue tasks: ``image_generation``, ``transcription`` and ``long_text`` on Workers AI.

Each builds a Workers AI client from the worker's own environment (``LN1_CLOUDFLARE_*``),
makes one call with a time limit of its kind, writes its artifacts under the task's folder
and returns the message for the thread. Failures are sorted the way the client types them:

* 429, 5xx, timeouts, dropped connections and cut streams may pass: after the client's own
  quick retry the task raises :class:`RetryLater` and Celery tries again later (honouring
  ``Retry-After``); after the last retry the user is told the service is unavailable.
* A rejected token (401/403), a request the model refuses (other 4xx) or an answer that
  cannot be trusted fails at once with a message that says which.

The model's output is never dressed up: the message says the text, image or transcript
came from the named model, and nothing is reported that the model did not return.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from ln1.cloudflare import (
    IMAGE_MODEL,
    AuthError,
    CircuitOpen,
    CloudflareError,
    ModelError,
    NotConfigured,
    RateLimited,
    RetryPolicy,
    StreamInterrupted,
    Timeouts,
    WorkersAI,
)
from ln1.config import Settings
from ln1.files.audio import audio_duration
from ln1.files.kinds import AUDIO_KINDS
from ln1.worker.findings import format_count, task_region
from ln1.worker.jobs import Job, JobFailed, Outcome, RetryLater

T = TypeVar("T")

MESSAGE_CAP = 3000  # characters of a transcript or text shown in the chat message
MD_OVER = 1500  # a long text longer than this also becomes a .md artifact
LONG_TEXT_TOKENS = 2048
# Per-call limits of the worker's client: generous (a queued task can wait), but bounded.
WORKER_TIMEOUTS = Timeouts(text=180.0, stream_idle=60.0, image=90.0, audio=300.0)
# One quick retry inside the call; longer waits are Celery's (the worker slot is freed).
WORKER_RETRY = RetryPolicy(attempts=2, base_delay=0.5, max_delay=2.0, max_retry_after=5.0)


def _settings() -> Settings:
    return Settings()


def _call(job: Job, call: Callable[[WorkersAI], Awaitable[T]]) -> T:
    """Run one Workers AI call to completion, turning its failures into the task's."""
    settings = _settings()

    async def go() -> T:
        async with WorkersAI.from_settings(
            settings,
            company_id=job.task.company_id,
            timeouts=WORKER_TIMEOUTS,
            retry=WORKER_RETRY,
        ) as ai:
            return await call(ai)

    try:
        return asyncio.run(go())
    except NotConfigured as e:
        raise JobFailed(
            "la IA generativa (Cloudflare Workers AI) no está configurada en el worker.",
            "generative AI (Cloudflare Workers AI) is not configured on the worker.",
            str(e),
        ) from e
    except CloudflareError as e:
        raise _task_error(e) from e


def _task_error(e: CloudflareError) -> Exception:
    detail = f"{type(e).__name__}: {e}"
    if e.retryable or isinstance(e, StreamInterrupted | CircuitOpen):
        retry_after = e.retry_after if isinstance(e, RateLimited) else None
        if isinstance(e, CircuitOpen):
            retry_after = e.retry_in
        return RetryLater(
            "Cloudflare Workers AI no estuvo disponible tras varios intentos; inténtalo de "
            "nuevo más tarde.",
            "Cloudflare Workers AI was unavailable after several attempts; please try again later.",
            detail,
            retry_after,
        )
    status = f" (HTTP {e.status})" if e.status else ""
    if isinstance(e, AuthError):
        return JobFailed(
            f"Cloudflare rechazó las credenciales de Workers AI{status}. Un administrador debe "
            "revisar LN1_CLOUDFLARE_ACCOUNT_ID y LN1_CLOUDFLARE_API_TOKEN.",
            f"Cloudflare rejected the Workers AI credentials{status}. An administrator must "
            "check LN1_CLOUDFLARE_ACCOUNT_ID and LN1_CLOUDFLARE_API_TOKEN.",
            detail,
        )
    reasons = "; ".join(d.message for d in e.errors) or e.message
    if isinstance(e, ModelError):
        return JobFailed(
            f"el modelo {e.model} rechazó la petición{status}: {reasons}.",
            f"model {e.model} refused the request{status}: {reasons}.",
            detail,
        )
    return JobFailed(
        f"Workers AI devolvió una respuesta no válida ({e.message}); no muestro nada de ella.",
        f"Workers AI returned an invalid answer ({e.message}); I am not showing any of it.",
        detail,
    )


def _clip(text: str, lang: str, artifact: str) -> str:
    if len(text) <= MESSAGE_CAP:
        return text
    cut = text[:MESSAGE_CAP].rsplit(" ", 1)[0]
    more = (
        f"… (texto completo en «{artifact}», adjunto)"
        if lang == "es"
        else f"… (full text in “{artifact}”, attached)"
    )
    return cut + more


# -- image_generation --------------------------------------------------------------------


def to_png(data: bytes) -> tuple[bytes, int, int]:
    """The image as PNG bytes (flux answers JPEG), with its width and height."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.load()
        width, height = image.size
        if image.format == "PNG":
            return data, width, height
        out = io.BytesIO()
        image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(
            out, format="PNG", optimize=True
        )
        return out.getvalue(), width, height


def image_generation_job(job: Job) -> Outcome:
    params = job.task.params or {}
    prompt = str(params.get("prompt") or params.get("message") or "").strip()
    if not prompt:
        raise JobFailed("no me dijiste qué imagen generar.", "you did not say what to draw.")
    job.progress("generating", 0.1)
    image = _call(job, lambda ai: ai.generate_image(prompt[:2048], model=IMAGE_MODEL))
    job.progress("saving", 0.85)
    try:
        png, width, height = to_png(image.data)
    except OSError as e:  # Pillow could not read what the model sent
        raise JobFailed(
            "la imagen que devolvió el modelo no se pudo leer.",
            "the image the model returned could not be read.",
            f"unreadable image: {e}",
        ) from e
    job.path("image.png").write_bytes(png)
    filename = "imagen.png" if job.lang == "es" else "image.png"
    artifact = job.artifact("png", filename, "image.png")
    result = {
        "prompt": prompt,
        "model": image.model,
        "model_media_type": image.media_type,
        "width": width,
        "height": height,
        "size": len(png),
    }
    if job.lang == "es":
        message = (
            f"Listo: el modelo {image.model} generó la imagen que pediste ({width}×{height}). "
            f"Está adjunta a este mensaje como «{filename}»."
        )
    else:
        message = (
            f"Done: model {image.model} generated the image you asked for ({width}×{height}). "
            f"It is attached to this message as “{filename}”."
        )
    return Outcome(result=result, message=message, artifacts=[artifact])


# -- transcription -----------------------------------------------------------------------


def _timestamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, ms = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{ms:03d}"


def vtt_of(segments: list[dict[str, Any]]) -> str:
    cues = [f"{_timestamp(s['start'])} --> {_timestamp(s['end'])}\n{s['text']}" for s in segments]
    return "WEBVTT\n\n" + "\n\n".join(cues) + "\n"


def _check_audio(job: Job) -> tuple[Path, float | None]:
    if not job.files:
        raise JobFailed(
            "no encontré el audio que pediste transcribir.",
            "I could not find the audio you asked to transcribe.",
            "no input file",
        )
    file = job.files[0]
    settings = _settings()
    region = task_region(job.task)
    if file.kind not in AUDIO_KINDS:
        raise JobFailed(
            f"«{file.filename}» no es un audio.",
            f"“{file.filename}” is not audio.",
            f"kind {file.kind}",
        )
    path = job.input_path(file)
    if path.stat().st_size > settings.ai_audio_max_bytes:
        limit = round(settings.ai_audio_max_bytes / (1 << 20), 1)
        raise JobFailed(
            f"«{file.filename}» supera el límite de {format_count(limit, 'es', region)} MB "
            "para transcribir.",
            f"“{file.filename}” is over the {format_count(limit, 'en')} MB transcription limit.",
            "too large",
        )
    seconds = audio_duration(path, file.kind)
    if seconds is not None and seconds > settings.ai_audio_max_seconds:
        limit_s = settings.ai_audio_max_seconds
        raise JobFailed(
            f"«{file.filename}» dura {format_count(round(seconds), 'es', region)} s y el límite es "
            f"{format_count(round(limit_s), 'es', region)} s.",
            f"“{file.filename}” lasts {format_count(round(seconds), 'en')} s and the limit is "
            f"{format_count(round(limit_s), 'en')} s.",
            "too long",
        )
    return path, seconds


def transcription_job(job: Job) -> Outcome:
    path, seconds = _check_audio(job)
    file = job.files[0]
    job.progress("transcribing", 0.1)
    audio = path.read_bytes()
    transcript = _call(job, lambda ai: ai.transcribe(audio))
    job.progress("saving", 0.9)
    text = transcript.text.strip()
    segments = [{"start": s.start, "end": s.end, "text": s.text} for s in transcript.segments]
    stem = Path(file.filename).stem or "audio"
    job.path("transcript.txt").write_text(text + "\n", encoding="utf-8")
    job.path("transcript.vtt").write_text(
        transcript.vtt if transcript.vtt else vtt_of(segments), encoding="utf-8"
    )
    artifacts = [
        job.artifact("txt", f"{stem}.txt", "transcript.txt"),
        job.artifact("vtt", f"{stem}.vtt", "transcript.vtt"),
    ]
    result = {
        "file": {"id": file.id, "filename": file.filename, "kind": file.kind},
        "model": transcript.model,
        "duration_s": None if seconds is None else round(seconds, 3),
        "text": text,
        "segments": segments,
    }
    length = ""
    if seconds is not None:
        length = f", {seconds:.1f} s".replace(".", "," if job.lang == "es" else ".")
    if not text:
        body = "(el modelo no reconoció voz en el audio)" if job.lang == "es" else "(no speech)"
    else:
        body = _clip(text, job.lang, f"{stem}.txt")
    if job.lang == "es":
        message = (
            f"Transcripción de «{file.filename}»{length}, hecha con {transcript.model} "
            f"({len(segments)} segmentos con tiempos en «{stem}.vtt»):\n\n{body}"
        )
    else:
        message = (
            f"Transcript of “{file.filename}”{length}, made with {transcript.model} "
            f"({len(segments)} timed segments in “{stem}.vtt”):\n\n{body}"
        )
    return Outcome(result=result, message=message, artifacts=artifacts, written_by="llm+rules")


# -- long_text ---------------------------------------------------------------------------


def long_text_job(job: Job) -> Outcome:
    params = job.task.params or {}
    prompt = str(params.get("prompt") or params.get("message") or "").strip()
    if not prompt:
        raise JobFailed("no me dijiste qué texto redactar.", "you did not say what to write.")
    model = _settings().ai_text_model
    language = "Spanish" if job.lang == "es" else "English"
    messages = [
        {
            "role": "system",
            "content": (
                f"You write business texts (emails, announcements, articles) in {language}, "
                "ready to use, formatted in Markdown. Write only the text asked for; where a "
                "fact you need is not given (names, dates, prices), leave a [placeholder] "
                "instead of inventing it."
            ),
        },
        {"role": "user", "content": prompt[:4000]},
    ]
    job.progress("writing", 0.05)
    expected = LONG_TEXT_TOKENS * 4  # characters, roughly, for the progress bar

    async def write(ai: WorkersAI) -> str:
        parts: list[str] = []
        size = 0
        async for delta in ai.stream_text(messages, model=model, max_tokens=LONG_TEXT_TOKENS):
            parts.append(delta)
            size += len(delta)
            job.progress("writing", 0.05 + 0.85 * min(1.0, size / expected))
        return "".join(parts)

    text = _call(job, write).strip()
    if not text:
        raise JobFailed(
            "el modelo devolvió un texto vacío.", "the model returned an empty text.", "empty"
        )
    job.progress("saving", 0.95)
    artifacts = []
    filename = "texto.md" if job.lang == "es" else "text.md"
    if len(text) > MD_OVER:
        job.path("text.md").write_text(text + "\n", encoding="utf-8")
        artifacts.append(job.artifact("md", filename, "text.md"))
    result = {"prompt": prompt, "model": model, "text": text, "chars": len(text)}
    intro = (
        f"Este es el texto que redactó el modelo {model}"
        if job.lang == "es"
        else f"Here is the text model {model} wrote"
    )
    if artifacts:
        also = f" (también en «{filename}», adjunto)" if job.lang == "es" else ""
        intro += also or f" (also in “{filename}”, attached)"
    message = f"{intro}:\n\n{_clip(text, job.lang, filename)}"
    return Outcome(result=result, message=message, artifacts=artifacts, written_by="llm+rules")
