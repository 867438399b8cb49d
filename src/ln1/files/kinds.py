"""What an upload really is, from its bytes: a spreadsheet ln1 can read, an audio file, or
nothing ln1 accepts. The filename and the client's content type are never trusted.
"""

from __future__ import annotations

from pathlib import Path

AUDIO_KINDS = ("wav", "mp3", "m4a", "ogg", "webm", "flac")


def identify(path: Path) -> str:
    """The kind of the file at ``path`` (xlsx, xlsm, xls, xlsb, ods, csv, or an audio kind).

    Raises a :class:`ln1.datasets.errors.DatasetError` (unsupported, empty, unsafe or corrupt
    file) with the reason in plain words; the API answers it with its own code and status.
    """
    audio = _audio_kind(path)
    if audio is not None:
        return audio
    from ln1.datasets.sniff import sniff

    return str(sniff(path))


def _audio_kind(path: Path) -> str | None:
    with path.open("rb") as f:
        head = f.read(64)
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0):
        return "mp3"
    if head[4:8] == b"ftyp" and head[8:12] in (b"M4A ", b"mp42", b"isom", b"M4B "):
        return "m4a"
    if head[:4] == b"OggS":
        return "ogg"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    if head[:4] == b"fLaC":
        return "flac"
    return None
