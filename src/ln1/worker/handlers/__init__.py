"""Task kinds and the functions that do them (see ``ln1.worker.jobs`` for the contract)."""

from __future__ import annotations

from ln1.worker.handlers.ai import image_generation_job, long_text_job, transcription_job
from ln1.worker.handlers.spreadsheets import compare_job, ingest_job
from ln1.worker.jobs import Handler

HANDLERS: dict[str, Handler] = {
    "ingest": ingest_job,
    "compare": compare_job,
    "image_generation": image_generation_job,
    "transcription": transcription_job,
    "long_text": long_text_job,
}
