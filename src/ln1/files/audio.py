"""How long an uploaded audio file plays, read cheaply from its container (no decoding).

Enough to refuse a transcription that is over the limit before any model is paid for. No
ffprobe is assumed on the machine, so each container's own duration field is read:

* WAV: ``fmt `` byte rate and the ``data`` chunk size (exact for PCM and most others).
* OGG (Vorbis, Opus, FLAC in Ogg): the last page's granule position over the sample rate.
* M4A/MP4: the ``mvhd`` box's duration over its timescale.
* FLAC: STREAMINFO's total samples over its sample rate.
* WebM/Matroska: the Segment ``Info`` ``Duration`` times ``TimecodeScale``.
* MP3: a Xing/Info/VBRI frame count when there is one, else size over the first frame's
  bitrate (exact for constant bitrate).

``None`` means the file does not say; callers then rely on the size limit alone.
"""

from __future__ import annotations

import struct
from pathlib import Path


def audio_duration(path: Path, kind: str) -> float | None:
    """Seconds of audio in the file at ``path`` of sniffed ``kind``, or None if unknown."""
    probe = _PROBES.get(kind)
    if probe is None:
        return None
    try:
        seconds = probe(path)
    except (OSError, struct.error, ValueError, IndexError, ZeroDivisionError):
        return None
    if seconds is None or seconds < 0 or seconds != seconds:  # NaN
        return None
    return float(seconds)


def _wav(path: Path) -> float | None:
    with path.open("rb") as f:
        head = f.read(12)
        if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
            return None
        byte_rate = None
        while chunk := f.read(8):
            if len(chunk) < 8:
                return None
            name, size = chunk[:4], struct.unpack("<I", chunk[4:])[0]
            if name == b"fmt ":
                fmt = f.read(size)
                byte_rate = struct.unpack("<I", fmt[8:12])[0]
                if size % 2:
                    f.read(1)
            elif name == b"data":
                if not byte_rate:
                    return None
                remaining = path.stat().st_size - f.tell()
                # Streaming writers leave 0 or 0xFFFFFFFF: the rest of the file is the data.
                if size in (0, 0xFFFFFFFF) or size > remaining:
                    size = remaining
                return size / byte_rate
            else:
                f.seek(size + (size % 2), 1)
    return None


def _ogg(path: Path) -> float | None:
    with path.open("rb") as f:
        first = f.read(4096)
        size = path.stat().st_size
        f.seek(max(0, size - 65536))
        tail = f.read()
    rate = None
    if (i := first.find(b"\x01vorbis")) >= 0:
        rate = struct.unpack("<I", first[i + 12 : i + 16])[0]
    elif first.find(b"OpusHead") >= 0:
        rate = 48000  # Opus granules always count 48 kHz samples
    elif (i := first.find(b"\x7fFLAC")) >= 0:
        info = first[i + 9 + 4 + 4 + 10 :]
        rate = (info[0] << 12 | info[1] << 4 | info[2] >> 4) if len(info) >= 3 else None
    if not rate:
        return None
    last = tail.rfind(b"OggS")
    if last < 0:
        return None
    granule = struct.unpack("<q", tail[last + 6 : last + 14])[0]
    pre_skip = 0
    if (i := first.find(b"OpusHead")) >= 0:
        pre_skip = struct.unpack("<H", first[i + 10 : i + 12])[0]
    return max(0, granule - pre_skip) / rate


def _mp4(path: Path) -> float | None:
    size = path.stat().st_size
    with path.open("rb") as f:
        return _mp4_boxes(f, 0, size)


def _mp4_boxes(f, start: int, end: int) -> float | None:  # type: ignore[no-untyped-def]
    pos = start
    while pos + 8 <= end:
        f.seek(pos)
        header = f.read(8)
        box_size, name = struct.unpack(">I4s", header)
        header_len = 8
        if box_size == 1:
            box_size = struct.unpack(">Q", f.read(8))[0]
            header_len = 16
        elif box_size == 0:
            box_size = end - pos
        if box_size < header_len:
            return None
        if name == b"moov":
            return _mp4_boxes(f, pos + header_len, pos + box_size)
        if name == b"mvhd":
            body = f.read(32)
            if body[0] == 1:
                timescale, duration = struct.unpack(">IQ", body[20:32])
            else:
                timescale, duration = struct.unpack(">II", body[12:20])
            return duration / timescale
        pos += box_size
    return None


def _flac(path: Path) -> float | None:
    with path.open("rb") as f:
        head = f.read(42)
    if head[:4] != b"fLaC":
        return None
    info = head[8:]
    rate = info[10] << 12 | info[11] << 4 | info[12] >> 4
    samples = (info[13] & 0x0F) << 32 | struct.unpack(">I", info[14:18])[0]
    return samples / rate if samples else None


def _ebml_vint(data: bytes, i: int, keep_marker: bool) -> tuple[int, int]:
    first = data[i]
    length = 1
    while length <= 8 and not first & (0x80 >> (length - 1)):
        length += 1
    if length > 8:
        raise ValueError("bad EBML number")
    value = first if keep_marker else first & ((0x80 >> (length - 1)) - 1)
    for b in data[i + 1 : i + length]:
        value = value << 8 | b
    return value, i + length


def _webm(path: Path) -> float | None:
    with path.open("rb") as f:
        data = f.read(1 << 20)  # Info sits near the start of the Segment
    info = data.find(b"\x15\x49\xa9\x66")
    if info < 0:
        return None
    size, i = _ebml_vint(data, info + 4, keep_marker=False)
    end = min(len(data), i + size)
    scale, duration = 1_000_000, None
    while i < end:
        element, i = _ebml_vint(data, i, keep_marker=True)
        length, i = _ebml_vint(data, i, keep_marker=False)
        body = data[i : i + length]
        if element == 0x2AD7B1:
            scale = int.from_bytes(body, "big")
        elif element == 0x4489:
            duration = struct.unpack(">f" if length == 4 else ">d", body)[0]
        i += length
    return duration * scale / 1e9 if duration is not None else None


_MP3_BITRATES = {  # kbit/s by (MPEG-1?, layer III) index
    True: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
    False: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
}
_MP3_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _mp3(path: Path) -> float | None:
    size = path.stat().st_size
    with path.open("rb") as f:
        data = f.read(65536)
    start = 0
    if data[:3] == b"ID3":
        tag = data[6:10]
        start = 10 + (tag[0] << 21 | tag[1] << 14 | tag[2] << 7 | tag[3])
        if start + 4 > len(data):
            with path.open("rb") as f:
                f.seek(start)
                data = data[:start] + f.read(65536)
    i = start
    while i + 4 <= len(data):
        if data[i] == 0xFF and data[i + 1] & 0xE0 == 0xE0:
            break
        i += 1
    else:
        return None
    b1, b2 = data[i + 1], data[i + 2]
    version = (b1 >> 3) & 0x03  # 3 = MPEG-1, 2 = MPEG-2, 0 = MPEG-2.5
    if version == 1 or (b1 >> 1) & 0x03 != 1:  # reserved, or not layer III
        return None
    bitrate = _MP3_BITRATES[version == 3][b2 >> 4] * 1000
    rate = _MP3_RATES[version][(b2 >> 2) & 0x03]
    samples_per_frame = 1152 if version == 3 else 576
    frame = data[i : i + 200]
    for marker in (b"Xing", b"Info"):
        j = frame.find(marker)
        if j >= 0 and struct.unpack(">I", frame[j + 4 : j + 8])[0] & 1:
            frames = struct.unpack(">I", frame[j + 8 : j + 12])[0]
            return frames * samples_per_frame / rate
    j = frame.find(b"VBRI")
    if j >= 0:
        frames = struct.unpack(">I", frame[j + 14 : j + 18])[0]
        return frames * samples_per_frame / rate
    if not bitrate:
        return None
    return (size - i) * 8 / bitrate


_PROBES = {
    "wav": _wav,
    "ogg": _ogg,
    "m4a": _mp4,
    "flac": _flac,
    "webm": _webm,
    "mp3": _mp3,
}
