"""A local stand-in for Cloudflare Workers AI, speaking its documented REST contract.

A real HTTP server (``http.server`` on a free loopback port, one thread per connection)
so the client under test goes through real sockets, real chunked streaming and real
connection drops. It serves both documented URL shapes:

* ``POST /client/v4/accounts/{account_id}/ai/run/{model}`` (the Cloudflare API)
* ``POST /v1/{account_id}/{gateway_id}/workers-ai/{model}`` (AI Gateway)

and checks the bearer token and the account id on every request (401/403 with the v4
error envelope otherwise). Answers are the documented envelopes: text generation
(``result.response`` + ``usage``, or SSE ``data: {"response"}`` lines ending with
``data: [DONE]``), flux-1-schnell (base64 JPEG in ``result.image``), whisper (raw audio body
or the JSON ``{"audio": [ints]}`` form → ``text``, ``word_count``, ``words``, ``vtt``), bge
embeddings (``data`` + ``shape``). Unknown models get Workers AI's 400 "No such model"
(code 5007).

Failure modes are scripted per model: ``standin.script(model, "503", "503")`` makes the
next two requests for that model fail, then it answers normally again. Modes:

``401`` ``403`` ``400`` ``408`` ``500`` ``502`` ``503`` ``503-text`` (a proxy's plain-text
page) ``429`` ``429:<seconds>`` (with ``Retry-After``) ``slow:<seconds>`` (answer after a
delay) ``malformed`` (200, broken JSON) ``unsuccessful`` (200, ``success: false``)
``missing`` (200, a result without its fields) ``not-image`` (base64 of non-image bytes)
``png`` (flux answers PNG) ``drop`` (close without answering) ``cut`` (stream: half the
events, then the connection is torn down mid-chunk) ``eof`` (stream: half the events, then
a clean end without ``[DONE]``) ``stall:<seconds>`` (stream: half, a silence, the rest).

Every request is recorded (``standin.requests``) so tests count attempts at the server.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import socket
import threading
import time
from collections import defaultdict, deque
from contextlib import suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

TEXT_MODELS = {"@cf/meta/llama-3.1-8b-instruct", "@cf/meta/llama-3.3-70b-instruct-fp8-fast"}
IMAGE_MODELS = {"@cf/black-forest-labs/flux-1-schnell"}
ASR_MODELS = {"@cf/openai/whisper"}
EMBEDDING_MODELS = {"@cf/baai/bge-base-en-v1.5": 768, "@cf/baai/bge-m3": 1024}

TRANSCRIPT_WORDS = [
    ("Hola,", 0.0, 0.42),
    ("ventas", 0.42, 0.9),
    ("de", 0.9, 1.02),
    ("marzo.", 1.02, 1.6),
]


@dataclass
class Recorded:
    """One request as the stand-in saw it (never the token itself)."""

    at: float
    route: str  # "api" | "gateway" | "unknown"
    path: str
    model: str | None
    gateway: str | None
    authorized: bool
    content_type: str
    body: bytes = field(repr=False)
    mode: str | None = None

    def json(self) -> Any:
        return json.loads(self.body)


def envelope(result: Any) -> dict[str, Any]:
    return {"result": result, "success": True, "errors": [], "messages": []}


def failure(code: int, message: str) -> dict[str, Any]:
    return {
        "result": None,
        "success": False,
        "errors": [{"code": code, "message": message}],
        "messages": [],
    }


def jpeg_bytes() -> bytes:
    from PIL import Image  # Pillow comes with matplotlib; only the stand-in needs it

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (240, 120, 30)).save(out, format="JPEG")
    return out.getvalue()


def png_bytes() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (30, 120, 240)).save(out, format="PNG")
    return out.getvalue()


class StandIn:
    """The server plus its script and its record; start with ``with StandIn() as s:``."""

    def __init__(self, account_id: str = "acct-0123456789", token: str = "cf-test-token") -> None:
        self.account_id = account_id
        self.token = token
        self.requests: list[Recorded] = []
        self._scripts: dict[str, deque[str]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- life ------------------------------------------------------------------------

    def start(self) -> StandIn:
        handler = type("Handler", (_Handler,), {"standin": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> StandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        """The stand-in of ``https://api.cloudflare.com/client/v4``."""
        return f"http://127.0.0.1:{self.port}/client/v4"

    def gateway_url(self, gateway: str = "ln1-gateway") -> str:
        """The stand-in of ``https://gateway.ai.cloudflare.com/v1/{account}/{gateway}/workers-ai``."""
        return f"http://127.0.0.1:{self.port}/v1/{self.account_id}/{gateway}/workers-ai"

    # -- script and record -----------------------------------------------------------

    def script(self, model: str, *modes: str) -> None:
        with self._lock:
            self._scripts[model].extend(modes)

    def reset(self) -> None:
        with self._lock:
            self._scripts.clear()
            self.requests.clear()

    def requests_for(self, model: str) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.model == model]

    def _next_mode(self, model: str) -> str | None:
        with self._lock:
            queue = self._scripts.get(model)
            return queue.popleft() if queue else None

    def _record(self, recorded: Recorded) -> None:
        with self._lock:
            self.requests.append(recorded)


class _Handler(BaseHTTPRequestHandler):
    standin: StandIn
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    # -- routing ---------------------------------------------------------------------

    def do_POST(self) -> None:
        # A client that gave up (the timeout tests) leaves nothing to answer to.
        with suppress(BrokenPipeError, ConnectionResetError):
            self._handle()

    def _handle(self) -> None:
        standin = self.standin
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = unquote(self.path.split("?", 1)[0])
        route, account, gateway, model = _parse_path(path)
        authorized = self.headers.get("Authorization") == f"Bearer {standin.token}"
        mode = standin._next_mode(model) if model and authorized else None
        standin._record(
            Recorded(
                at=time.monotonic(),
                route=route,
                path=path,
                model=model,
                gateway=gateway,
                authorized=authorized,
                content_type=self.headers.get("Content-Type", ""),
                body=body,
                mode=mode,
            )
        )
        if route == "unknown" or model is None:
            return self._json(404, failure(7003, "No route for the URI"))
        if not authorized:
            return self._json(401, failure(10000, "Authentication error"))
        if account != standin.account_id:
            return self._json(403, failure(10000, "Authentication error"))
        if mode is not None and self._fail(mode, model):
            return
        if model in TEXT_MODELS:
            return self._text(model, body, mode)
        if model in IMAGE_MODELS:
            return self._image(body, mode)
        if model in ASR_MODELS:
            return self._asr(body, mode)
        if model in EMBEDDING_MODELS:
            return self._embeddings(model, body, mode)
        return self._json(400, failure(5007, f"No such model {model} or task"))

    # -- failure modes ---------------------------------------------------------------

    def _fail(self, mode: str, model: str) -> bool:
        """Answer a scripted failure; False for modes that shape a normal answer instead."""
        name, _, arg = mode.partition(":")
        if name == "401":
            self._json(401, failure(10000, "Authentication error"))
        elif name == "403":
            self._json(403, failure(3023, "Service unavailable for account"))
        elif name == "400":
            self._json(400, failure(3003, "Request is missing headers or body: body"))
        elif name == "408":
            self._json(408, failure(3007, "Request timeout"))
        elif name == "429":
            headers = {"Retry-After": arg} if arg else {}
            self._json(
                429, failure(3040, "No more data centers to forward the request to"), headers
            )
        elif name in ("500", "502", "503"):
            self._json(int(name), failure(int(name) * 10, "Internal server error"))
        elif name == "503-text":
            self._raw(503, b"<html>503 Service Temporarily Unavailable</html>", "text/html")
        elif name == "slow":
            time.sleep(float(arg))
            return False
        elif name == "malformed":
            self._raw(200, b'{"result": {"response": "Hola', "application/json")
        elif name == "unsuccessful":
            self._json(200, failure(5006, "Error: oneOf at '/' not met, 0 matches"))
        elif name == "missing":
            self._json(200, envelope({}))
        elif name == "drop":
            self._drop()
        else:
            return False  # not-image, png, cut, eof, stall: handled by the answer itself
        return True

    # -- the models ------------------------------------------------------------------

    def _text(self, model: str, body: bytes, mode: str | None) -> None:
        request = _json_or_none(body)
        messages = request.get("messages") if isinstance(request, dict) else None
        if not (
            isinstance(messages, list)
            and messages
            and all(
                isinstance(m, dict)
                and isinstance(m.get("role"), str)
                and isinstance(m.get("content"), str)
                for m in messages
            )
        ):
            return self._json(400, failure(5006, "Error: oneOf at '/' not met, 0 matches"))
        prompt = " ".join(m["content"] for m in messages)
        words = ["Echo:", *messages[-1]["content"].split()]
        max_tokens = request.get("max_tokens")
        if isinstance(max_tokens, int):
            words = words[:max_tokens]
        usage = {
            "prompt_tokens": len(prompt.split()),
            "completion_tokens": len(words),
            "total_tokens": len(prompt.split()) + len(words),
        }
        if not request.get("stream"):
            return self._json(200, envelope({"response": " ".join(words), "usage": usage}))
        self._stream(words, usage, mode)

    def _stream(self, words: list[str], usage: dict[str, int], mode: str | None) -> None:
        events = [json.dumps({"response": w if i == 0 else " " + w}) for i, w in enumerate(words)]
        events.append(json.dumps({"response": "", "usage": usage}))
        events.append("[DONE]")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        name, _, arg = (mode or "").partition(":")
        half = max(1, len(words) // 2)
        for i, event in enumerate(events):
            if i == half and name == "cut":
                # Tear the connection down in the middle of a chunk.
                self.wfile.write(b'40\r\ndata: {"resp')
                self.wfile.flush()
                return self._drop()
            if i == half and name == "eof":
                self.wfile.write(b"0\r\n\r\n")
                self.wfile.flush()
                return
            if i == half and name == "stall":
                time.sleep(float(arg))
            self._chunk(f"data: {event}\n\n".encode())
            time.sleep(0.005)
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _image(self, body: bytes, mode: str | None) -> None:
        request = _json_or_none(body)
        if not isinstance(request, dict) or not isinstance(request.get("prompt"), str):
            return self._json(400, failure(5006, "Error: required properties at '/' are 'prompt'"))
        steps = request.get("steps", 4)
        if not isinstance(steps, int) or not 1 <= steps <= 8:
            return self._json(400, failure(5006, "Error: at '/steps' must be <= 8"))
        if mode == "not-image":
            data = b"GIF89a this is not what flux makes"
        else:
            data = png_bytes() if mode == "png" else jpeg_bytes()
        self._json(200, envelope({"image": base64.b64encode(data).decode()}))

    def _asr(self, body: bytes, mode: str | None) -> None:
        audio = body
        if self.headers.get("Content-Type", "").startswith("application/json"):
            request = _json_or_none(body)
            raw = request.get("audio") if isinstance(request, dict) else None
            if not isinstance(raw, list) or not all(
                isinstance(b, int) and 0 <= b <= 255 for b in raw
            ):
                return self._json(400, failure(5006, "Error: at '/audio' must be an array"))
            audio = bytes(raw)
        if not audio:
            return self._json(400, failure(3003, "Request is missing headers or body: body"))
        vtt = "WEBVTT\n\n" + "\n\n".join(
            f"00:00:{s:06.3f} --> 00:00:{e:06.3f}\n{w}" for w, s, e in TRANSCRIPT_WORDS
        )
        self._json(
            200,
            envelope(
                {
                    "text": " ".join(w for w, _, _ in TRANSCRIPT_WORDS),
                    "word_count": len(TRANSCRIPT_WORDS),
                    "words": [{"word": w, "start": s, "end": e} for w, s, e in TRANSCRIPT_WORDS],
                    "vtt": vtt,
                }
            ),
        )

    def _embeddings(self, model: str, body: bytes, mode: str | None) -> None:
        request = _json_or_none(body)
        texts = request.get("text") if isinstance(request, dict) else None
        if isinstance(texts, str):
            texts = [texts]
        if not isinstance(texts, list) or not texts or not all(isinstance(t, str) for t in texts):
            return self._json(400, failure(5006, "Error: at '/text' must be string or array"))
        dim = EMBEDDING_MODELS[model]
        data = [_vector(t, dim) for t in texts]
        self._json(200, envelope({"shape": [len(data), dim], "data": data, "pooling": "cls"}))

    # -- writing ---------------------------------------------------------------------

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _raw(
        self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _drop(self) -> None:
        self.close_connection = True
        with suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)


def _parse_path(path: str) -> tuple[str, str | None, str | None, str | None]:
    """(route, account id, gateway id, model) of a request path."""
    parts = path.strip("/").split("/")
    # client/v4/accounts/{account}/ai/run/{model...}
    if parts[:3] == ["client", "v4", "accounts"] and len(parts) > 6 and parts[4:6] == ["ai", "run"]:
        return "api", parts[3], None, "/".join(parts[6:])
    # v1/{account}/{gateway}/workers-ai/{model...}
    if parts[:1] == ["v1"] and len(parts) > 4 and parts[3] == "workers-ai":
        return "gateway", parts[1], parts[2], "/".join(parts[4:])
    return "unknown", None, None, None


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _vector(text: str, dim: int) -> list[float]:
    """A deterministic unit-ish vector per text, so tests can compare outputs."""
    seed = hashlib.sha256(text.encode()).digest()
    return [((seed[i % len(seed)] + i) % 256) / 255.0 - 0.5 for i in range(dim)]
