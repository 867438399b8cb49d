"""Pre-selection: cheap rules that run before the classifier.

They settle the cases a rule gets right every time (an explicit ``/command``, a bare
greeting, a short follow-up to a data question) and narrow the choice when files are
attached, so the classifier only decides what needs deciding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

COMMANDS: dict[str, str] = {
    "hola": "greeting",
    "hello": "greeting",
    "ayuda": "help",
    "help": "help",
    "estado": "task_status",
    "status": "task_status",
    "tareas": "task_status",
    "tasks": "task_status",
    "datos": "data_query",
    "data": "data_query",
    "ventas": "data_query",
    "sales": "data_query",
    "analiza": "file_analysis",
    "analizar": "file_analysis",
    "analyze": "file_analysis",
    "analyse": "file_analysis",
    "compara": "file_compare",
    "comparar": "file_compare",
    "compare": "file_compare",
    "reporte": "report",
    "informe": "report",
    "report": "report",
    "pdf": "report",
    "imagen": "image_generation",
    "image": "image_generation",
    "transcribe": "transcription",
    "transcribir": "transcription",
    "redacta": "long_text",
    "write": "long_text",
}

_STRONG_GREETINGS = frozenset(
    {
        "hola",
        "holi",
        "holis",
        "ola",
        "buenas",
        "buenos",
        "buen",
        "saludos",
        "hey",
        "hi",
        "hello",
        "helo",
        "hiya",
        "howdy",
        "good",
        "alo",
        "wenas",
        "ey",
        "sup",
        "wassup",
        "whats",
        "greetings",
        "quiubo",
        "epale",
        "afternoon",
        "evening",
        "morning",
        "gm",
        "yo",
        "ello",
        "que",
        "como",
        "are",
        "estas",
    }
)
_GREETING_FILLER = frozenset(
    {
        "dia",
        "dias",
        "tardes",
        "noches",
        "morning",
        "afternoon",
        "evening",
        "day",
        "que",
        "tal",
        "como",
        "estas",
        "esta",
        "andas",
        "how",
        "are",
        "you",
        "there",
        "equipo",
        "team",
        "all",
        "todos",
        "a",
        "everyone",
        "amigo",
        "bot",
        "asistente",
        "ln1",
        "y",
        "and",
        "qtal",
        "onda",
        "up",
        "ahi",
        "mas",
        "pues",
        "doing",
        "going",
        "it",
        "s",
        "folks",
        "guys",
        "chicos",
    }
)
# Openers made only of filler words ("que tal", "como estas") still need one of these.
_GREETING_CORES = frozenset(_STRONG_GREETINGS - {"que", "como", "are", "estas", "good"}) | {
    "tal",
    "andas",
    "there",
    "onda",
    "up",
}
_FOLLOW_UP = re.compile(
    r"^(?:y|e|and|what about|how about|ahora|now|lo mismo|same|tambien|also|y para|and for|"
    r"y en|and in|y de|y del|y por|and by|otra vez|again)\b"
)
_WORD = re.compile(r"[a-z0-9]+")

FILE_INTENTS = frozenset({"file_analysis", "file_compare", "report", "transcription"})
DATA_SLOT_KEYS = ("period", "group_by", "filters", "limit")


@dataclass(frozen=True)
class Preselection:
    """A decided intent (``intent``), or a narrowed set for the classifier, or neither."""

    intent: str | None = None
    candidates: frozenset[str] | None = None
    rule: str | None = None


def preselect(
    normalized: str,
    file_ids: list[str],
    slots: dict[str, Any],
    last_intent: str | None,
) -> Preselection:
    """Apply the rules to an already normalised message (see ``text.normalize``)."""
    if normalized.startswith("/"):
        command = normalized[1:].split(" ", 1)[0]
        if command in COMMANDS:
            return Preselection(intent=COMMANDS[command], rule=f"command:/{command}")
    words = _WORD.findall(normalized)
    if (
        words
        and len(words) <= 6
        and words[0] in _STRONG_GREETINGS
        and all(w in _STRONG_GREETINGS or w in _GREETING_FILLER for w in words)
        and not _GREETING_CORES.isdisjoint(words)
    ):
        return Preselection(intent="greeting", rule="greeting")
    if last_intent == "data_query" and _is_follow_up(normalized, words, slots):
        return Preselection(intent="data_query", rule="follow_up")
    if file_ids:
        return Preselection(candidates=FILE_INTENTS, rule="attachments")
    return Preselection()


def _is_follow_up(normalized: str, words: list[str], slots: dict[str, Any]) -> bool:
    has_data_slot = any(slots.get(k) for k in DATA_SLOT_KEYS)
    return bool(has_data_slot and len(words) <= 8 and _FOLLOW_UP.match(normalized))
