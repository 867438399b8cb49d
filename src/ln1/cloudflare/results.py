"""Typed results of Workers AI calls: what the client returns instead of raw JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypedDict


class ChatMessage(TypedDict):
    """One message of a text-generation request, as Workers AI's ``messages`` expects."""

    role: str  # "system" | "user" | "assistant"
    content: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts a model reported (``result.usage``); any of them may be absent."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class TextResult:
    text: str
    model: str
    usage: Usage | None = None


@dataclass(frozen=True, slots=True)
class ImageResult:
    """Decoded image bytes; ``media_type`` comes from the bytes' magic, not from a guess."""

    data: bytes = field(repr=False)
    media_type: str  # "image/png" | "image/jpeg"
    model: str

    def __repr__(self) -> str:
        return (
            f"ImageResult(media_type={self.media_type!r}, size={len(self.data)}, "
            f"model={self.model!r})"
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A timed piece of a transcript, in seconds from the start of the audio."""

    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class Transcript:
    text: str
    segments: tuple[Segment, ...]
    model: str
    vtt: str | None = None
