"""Streaming a multipart upload straight into storage: bounded memory, hashed on the way.

FastAPI's ``UploadFile`` spools the whole body to a temporary file before the handler runs,
so a size limit would be enforced only after a 10 GB body was written. Here the request body
is parsed as it arrives (python-multipart's streaming parser), the ``file`` part is written to
the storage folder chunk by chunk while its SHA-256 and size are computed, and the upload is
abandoned (partial file removed) the moment it passes the limit.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from python_multipart import MultipartParser
from python_multipart.multipart import parse_options_header

from ln1.errors import InvalidInput, Ln1Error


class TooLarge(Ln1Error):
    status_code = 413
    code = "file_too_large"


@dataclass
class Received:
    filename: str
    size: int
    sha256: str


@dataclass
class _Progress:
    size: int = 0
    in_file: bool = False
    done: bool = False
    name: str = "upload"


@dataclass
class _Part:
    headers: dict[str, str] = field(default_factory=dict)
    field: bytes = b""
    value: bytes = b""


def boundary_of(content_type: str) -> bytes:
    kind, options = parse_options_header(content_type)
    if kind != b"multipart/form-data" or b"boundary" not in options:
        raise InvalidInput("send the file as multipart/form-data with a field named 'file'")
    return options[b"boundary"]


async def receive_file(
    body: AsyncIterator[bytes], content_type: str, target: Path, max_bytes: int
) -> Received:
    """Write the ``file`` field of a multipart body to ``target``; other fields are ignored."""
    digest = hashlib.sha256()
    state = _Progress()
    part = _Part()
    out: BinaryIO = target.open("wb")

    def on_part_begin() -> None:
        nonlocal part
        part = _Part()
        state.in_file = False

    def on_header_field(data: bytes, start: int, end: int) -> None:
        part.field += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        part.value += data[start:end]

    def on_header_end() -> None:
        part.headers[part.field.decode("latin-1").lower()] = part.value.decode("utf-8", "replace")
        part.field = part.value = b""

    def on_headers_finished() -> None:
        disposition = part.headers.get("content-disposition", "")
        _, options = parse_options_header(disposition)
        state.in_file = options.get(b"name") == b"file" and not state.done
        if state.in_file:
            state.name = options.get(b"filename", b"upload").decode("utf-8", "replace")

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if not state.in_file:
            return
        chunk = data[start:end]
        state.size += len(chunk)
        if state.size > max_bytes:
            raise TooLarge(f"the file is larger than the {_human(max_bytes)} limit")
        digest.update(chunk)
        out.write(chunk)

    def on_part_end() -> None:
        if state.in_file:
            state.done = True
            state.in_file = False

    parser = MultipartParser(
        boundary_of(content_type),
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in body:
            parser.write(chunk)
        parser.finalize()
    except Ln1Error:
        _discard(out, target)
        raise
    except Exception as e:
        _discard(out, target)
        raise InvalidInput(f"the upload could not be read as multipart/form-data: {e}") from e
    out.close()
    if not state.done:
        _discard(out, target)
        raise InvalidInput("no field named 'file' in the upload")
    return Received(safe_filename(state.name), state.size, digest.hexdigest())


def _discard(out: BinaryIO, target: Path) -> None:
    """Nothing of a refused upload stays behind."""
    out.close()
    target.unlink(missing_ok=True)


_UNSAFE = re.compile(r"[^\w.\- ()\[\]]+", re.UNICODE)


def safe_filename(name: str) -> str:
    """A display name: no folders, no control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .") or "upload"
    return name[:200]


def _human(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}"
        value /= 1024
    return f"{value:.0f} GiB"
