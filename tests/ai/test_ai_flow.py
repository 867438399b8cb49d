"""Workers AI through the public API, with a real ``ln1 up`` and a real Celery worker,
against the contract stand-in: chat answers written by the model (and the rules when it
fails), and the ``ai`` queue's image, transcription and long-text tasks.

Every claim is checked where it lands: the stand-in's record of requests (attempts, what
was sent), the task record, the artifact's bytes and the thread's messages.
"""

from __future__ import annotations

import io
import json
import time

import httpx
from PIL import Image

from tests.ai.conftest import AUDIO_MAX_SECONDS, FLUX, LLAMA, WHISPER, wav_bytes
from tests.cloudflare.standin import TRANSCRIPT_WORDS, StandIn
from tests.conftest import Tenant
from tests.worker.conftest import upload, wait_task

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def ask(client: httpx.Client, thread: str, content: str, file_ids: list[str] | None = None) -> dict:
    body = {"content": content, "file_ids": file_ids or []}
    response = client.post(f"/v1/threads/{thread}/messages", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def ask_streaming(client: httpx.Client, thread: str, content: str) -> list[tuple[str, dict]]:
    events: list[tuple[str, dict]] = []
    body = {"content": content, "stream": True}
    with client.stream("POST", f"/v1/threads/{thread}/messages", json=body) as response:
        assert response.status_code == 200
        name = None
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("data:") and name:
                events.append((name, json.loads(line.split(":", 1)[1])))
                name = None
    return events


def last_message(client: httpx.Client, thread: str) -> dict:
    return client.get(f"/v1/threads/{thread}").json()["messages"][-1]


# -- chat answers ---------------------------------------------------------------------


def test_direct_answer_is_written_by_the_model_and_streamed(ai_user: Tenant, standin: StandIn):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]

    events = ask_streaming(client, thread, "hola, buenos días")

    names = [n for n, _ in events]
    assert names[0] == "route" and names[-1] == "done"
    deltas = [e["content"] for n, e in events if n == "delta"]
    done = events[-1][1]
    # The stand-in echoes the user's message word by word: one delta per streamed event.
    assert done["content"] == "Echo: hola, buenos días" == "".join(deltas)
    assert len(deltas) == 4
    assert done["written_by"] == "llm" and done["intent"] == "greeting"
    [request] = standin.requests_for(LLAMA)
    sent = request.json()
    assert sent["stream"] is True
    # The rules' answer went to the model as the facts to say.
    assert sent["messages"][0]["role"] == "system" and "¡Hola" in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "user", "content": "hola, buenos días"}
    stored = last_message(client, thread)
    assert stored["id"] == done["id"] and stored["written_by"] == "llm"


def test_model_failure_or_timeout_gives_the_rules_answer_marked_as_such(
    ai_user: Tenant, standin: StandIn
):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]

    standin.script(LLAMA, "500", "500")  # both attempts the chat allows
    failed = ask(client, thread, "hola")
    assert failed["written_by"] == "rules" and failed["content"].startswith("¡Hola, Analyst!")
    assert len(standin.requests_for(LLAMA)) == 2

    standin.reset()
    standin.script(LLAMA, "slow:4")
    started = time.monotonic()
    events = ask_streaming(client, thread, "hello")
    took = time.monotonic() - started
    done = events[-1][1]
    assert done["written_by"] == "rules" and done["content"].startswith("Hi Analyst!")
    assert "".join(e["content"] for n, e in events if n == "delta") == done["content"]
    assert took < 4, f"the chat waited {took:.1f} s for a model that had {1.5} s"

    standin.reset()
    standin.script(LLAMA, "cut")  # half the answer, then the connection is torn down
    events = ask_streaming(client, thread, "hola de nuevo, ¿qué tal?")
    done = events[-1][1]
    assert done["written_by"] == "llm+rules"
    assert done["content"].startswith("Echo: hola")
    assert "La respuesta del modelo se cortó" in done["content"]
    assert done["content"].endswith(failed["content"].split("!", 1)[1])
    assert "".join(e["content"] for n, e in events if n == "delta") == done["content"]


def test_unsure_message_asks_the_model_and_an_unusable_answer_changes_nothing(
    ai_user: Tenant, standin: StandIn
):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    reply = ask(client, thread, "hazlo otra vez pero distinto")  # p = 0.41 for its best intent
    # The stand-in's echo is no JSON: the classifier's verdict stands, and says so.
    classify = [
        r
        for r in standin.requests_for(LLAMA)
        if not r.json().get("stream") and "Classify" in r.json()["messages"][0]["content"]
    ]
    assert len(classify) == 1
    assert reply["route"] == "direct" and reply["confidence"] < 0.45


# -- ai tasks -------------------------------------------------------------------------


def test_image_generation_stores_a_png_while_the_user_keeps_chatting(
    ai_user: Tenant, standin: StandIn
):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    reply = ask(client, thread, "genera una imagen de nuestra tienda decorada para navidad")
    assert (reply["route"], reply["intent"]) == ("ai", "image_generation")
    task_id = reply["task_id"]
    assert task_id and task_id in reply["content"]

    assert ask(client, thread, "hola")["route"] == "direct"  # chatting meanwhile

    task = wait_task(client, task_id, timeout=30)
    assert task["status"] == "succeeded", task
    assert task["kind"] == "image_generation" and task["progress"] == 1.0
    assert task["result"]["model_media_type"] == "image/jpeg"  # flux answers JPEG …
    [artifact] = task["artifacts"]
    assert artifact["kind"] == "png" and artifact["filename"] == "imagen.png"
    download = client.get(artifact["url"])
    assert download.headers["content-type"] == "image/png"
    assert download.content.startswith(PNG_MAGIC)  # … stored as PNG
    with Image.open(io.BytesIO(download.content)) as image:
        assert image.format == "PNG" and image.size == (8, 8)
    [request] = standin.requests_for(FLUX)
    assert request.json()["prompt"] == "genera una imagen de nuestra tienda decorada para navidad"

    posted = last_message(client, thread)
    assert posted["task_id"] == task_id and posted["route"] == "task"
    assert posted["artifacts"][0]["url"] == artifact["url"] and FLUX in posted["content"]
    assert posted["written_by"] == "rules"  # fixed wording: the model made the image, not this


def test_transcription_of_a_wav_gives_text_segments_and_vtt(ai_user: Tenant, standin: StandIn):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    asks = ask(client, thread, "transcribe este audio")
    assert asks["route"] == "ai" and asks["task_id"] is None and "wav" in asks["content"]

    audio = wav_bytes(1.0)
    file_id = upload(client, "reunion.wav", audio)
    reply = ask(client, thread, "transcribe este audio", [file_id])
    assert (reply["route"], reply["intent"]) == ("ai", "transcription")
    task = wait_task(client, reply["task_id"], timeout=30)
    assert task["status"] == "succeeded", task
    result = task["result"]
    assert result["text"] == "Hola, ventas de marzo."
    assert [(s["text"], s["start"], s["end"]) for s in result["segments"]] == TRANSCRIPT_WORDS
    assert result["duration_s"] == 1.0
    [request] = standin.requests_for(WHISPER)
    assert request.body == audio and request.content_type == "application/octet-stream"
    kinds = {a["kind"]: a for a in task["artifacts"]}
    assert set(kinds) == {"txt", "vtt"}
    assert client.get(kinds["txt"]["url"]).text.strip() == "Hola, ventas de marzo."
    assert client.get(kinds["vtt"]["url"]).text.startswith("WEBVTT")
    posted = last_message(client, thread)
    assert "Transcripción de «reunion.wav»" in posted["content"]
    assert "Hola, ventas de marzo." in posted["content"]
    assert posted["written_by"] == "llm+rules"  # the model's words inside the code's sentence

    too_long = upload(client, "larga.wav", wav_bytes(AUDIO_MAX_SECONDS + 1))
    refused = ask(client, thread, "transcribe este audio", [too_long])
    assert (
        refused["task_id"] is None
        and f"límite para transcribir es {AUDIO_MAX_SECONDS} s" in (refused["content"])
    )
    assert len(standin.requests_for(WHISPER)) == 1  # nothing was sent for it


def test_long_text_comes_back_in_the_thread_with_a_markdown_file(ai_user: Tenant, standin: StandIn):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    prompt = "redacta un correo a los clientes sobre el cambio de horario de la tienda " + (
        "con todos los detalles de atención " * 60
    )
    reply = ask(client, thread, prompt)
    assert (reply["route"], reply["intent"]) == ("ai", "long_text")
    task = wait_task(client, reply["task_id"], timeout=30)
    assert task["status"] == "succeeded", task
    text = task["result"]["text"]
    assert text == "Echo: " + " ".join(prompt.split())  # exactly what the model streamed
    [md] = task["artifacts"]
    assert md["kind"] == "md" and client.get(md["url"]).text.strip() == text
    posted = last_message(client, thread)
    assert posted["content"].startswith(f"Este es el texto que redactó el modelo {LLAMA}")
    assert "texto completo en «texto.md»" not in posted["content"]  # under the chat cap
    assert posted["written_by"] == "llm+rules"
    [request] = [r for r in standin.requests_for(LLAMA) if "Markdown" in r.body.decode()]
    assert request.json()["max_tokens"] == 2048


def test_rejected_credentials_fail_the_task_at_once_without_retry(
    ai_user: Tenant, standin: StandIn
):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    standin.script(FLUX, "401")
    reply = ask(client, thread, "genera una imagen de un logo con una llama")
    task = wait_task(client, reply["task_id"], timeout=30)
    assert task["status"] == "failed" and "AuthError" in task["error"]
    assert task["artifacts"] == []
    assert len(standin.requests_for(FLUX)) == 1  # a 401 is never retried
    posted = last_message(client, thread)
    assert posted["content"].startswith("No pude terminar la tarea «image_generation»")
    assert "Cloudflare rechazó las credenciales de Workers AI (HTTP 401)" in posted["content"]
    assert posted["written_by"] == "rules"


def test_server_errors_are_retried_by_celery_until_the_image_comes(
    ai_user: Tenant, standin: StandIn
):
    client = ai_user.client("analyst")
    thread = client.post("/v1/threads").json()["id"]
    # Both attempts of the first run fail; the run after Celery's retry succeeds.
    standin.script(FLUX, "503", "503")
    reply = ask(client, thread, "genera una imagen de un gráfico de ventas")
    task = wait_task(client, reply["task_id"], timeout=40)
    assert task["status"] == "succeeded", task
    attempts = standin.requests_for(FLUX)
    assert [r.mode for r in attempts] == ["503", "503", None]
    # The third attempt came from a new run, after Celery's countdown (2 s), not at once.
    assert attempts[2].at - attempts[1].at >= 1.5
    assert client.get(task["artifacts"][0]["url"]).content.startswith(PNG_MAGIC)
