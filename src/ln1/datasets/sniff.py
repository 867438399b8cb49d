"""What a file really is, decided from its bytes (never its name), and whether it is safe.

An upload named ``ventas.xlsx`` may be a PDF, a Word file, a zip bomb or a CSV saved in
Windows-1252; the readers behind :func:`ln1.datasets.ingest.ingest` are fast native code
that must only ever see a file that passed these checks. Everything here reads a bounded
amount: the first bytes, a zip's central directory and its small XML manifest, an OLE2
directory, or the first 64 KiB of a text file.
"""

from __future__ import annotations

import codecs
import csv
import io
import struct
import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path, PurePosixPath

import charset_normalizer

from ln1.datasets.errors import CorruptFile, EmptyFile, EncryptedFile, UnsafeFile, UnsupportedFile

# Zip safety. Real workbooks compress 5-20x (a column of one repeated value reaches ~100x);
# deflate cannot exceed ~1032x, and bombs sit near that.
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_UNCOMPRESSED = 4 << 30
MAX_ZIP_RATIO = 200
RATIO_CHECKED_ABOVE = 1 << 20
# Declared sizes can lie. Up to this many compressed bytes we inflate every member through
# :mod:`zipfile` (which stops at the declared size and checks the CRC): ~0.1 s. Above it we
# rely on the declared sizes and on the worker's memory limit.
VERIFY_STREAMS_UP_TO = 8 << 20

CSV_SAMPLE_BYTES = 64 << 10
CSV_DELIMITERS = (",", ";", "\t", "|")
CSV_ENCODINGS = ["utf_8", "cp1252", "latin_1", "utf_16"]

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"


class FileKind(StrEnum):
    XLSX = "xlsx"
    XLSM = "xlsm"
    XLSB = "xlsb"
    XLS = "xls"
    ODS = "ods"
    CSV = "csv"


@dataclass(frozen=True)
class CsvFormat:
    """How to read a text file: a Python codec name and a one-character delimiter."""

    encoding: str
    delimiter: str


@dataclass(frozen=True)
class Sniffed:
    kind: FileKind
    csv: CsvFormat | None = None


def sniff(path: Path | str) -> FileKind:
    """The real type of ``path`` from its content; raises a :class:`DatasetError` otherwise.

    Zip-based files are checked for safety (members, sizes, ratio, member names) before
    anything else opens them.
    """
    return detect(path).kind


def csv_format(path: Path | str) -> CsvFormat:
    """Encoding and delimiter of a CSV file (raises if the file is not a CSV)."""
    found = detect(path)
    if found.csv is None:
        raise UnsupportedFile(f"This is a {found.kind.value} workbook, not a CSV file.")
    return found.csv


def detect(path: Path | str) -> Sniffed:
    """:func:`sniff` with the CSV details ingest needs, in one pass over the head."""
    path = Path(path)
    with path.open("rb") as f:
        head = f.read(CSV_SAMPLE_BYTES)
        size = f.seek(0, io.SEEK_END)
    if size == 0 or not head.strip():
        raise EmptyFile("The file is empty.")
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_zip_kind(path))
    if head.startswith(OLE2_MAGIC):
        return Sniffed(_ole2_kind(path))
    named = _known_binary(head)
    if named:
        raise UnsupportedFile(f"This file is {named}, not a spreadsheet or CSV file.")
    return Sniffed(FileKind.CSV, _csv_format(head, truncated=size > len(head)))


# --- zip ---------------------------------------------------------------------------------


def _zip_kind(path: Path) -> FileKind:
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            check_zip_safety(infos)
            if path.stat().st_size <= VERIFY_STREAMS_UP_TO:
                _verify_streams(zf, infos)
            return _classify_zip(zf, {i.filename for i in infos})
    except zipfile.BadZipFile as exc:
        raise CorruptFile(
            f"The file is a damaged or truncated zip archive (workbook?): {exc}."
        ) from exc
    except (EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise CorruptFile(f"The zip archive cannot be read: {exc}.") from exc


def check_zip_safety(infos: list[zipfile.ZipInfo]) -> None:
    """Refuse archives that could exhaust memory or disk, or write outside a folder."""
    if len(infos) > MAX_ZIP_MEMBERS:
        raise UnsafeFile(f"The archive has {len(infos):,} members (limit {MAX_ZIP_MEMBERS:,}).")
    total = 0
    for info in infos:
        name = info.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise UnsafeFile(f"The archive has a member with an unsafe path: {info.filename!r}.")
        total += info.file_size
        if info.file_size > RATIO_CHECKED_ABOVE:
            ratio = info.file_size / max(info.compress_size, 1)
            if ratio > MAX_ZIP_RATIO:
                raise UnsafeFile(
                    f"The archive looks like a zip bomb: {info.filename!r} expands {ratio:,.0f}x "
                    f"(limit {MAX_ZIP_RATIO}x)."
                )
    if total > MAX_ZIP_UNCOMPRESSED:
        raise UnsafeFile(
            f"The archive expands to {total / 2**30:,.1f} GiB "
            f"(limit {MAX_ZIP_UNCOMPRESSED / 2**30:,.0f} GiB)."
        )


def _verify_streams(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Inflate each member to check declared sizes and CRCs (catches lying headers)."""
    for info in infos:
        with zf.open(info) as member:
            while member.read(1 << 20):
                pass


def _classify_zip(zf: zipfile.ZipFile, names: set[str]) -> FileKind:
    if "mimetype" in names:
        mimetype = zf.read("mimetype")[:200].strip()
        if mimetype == ODS_MIMETYPE:
            return FileKind.ODS
        kind = mimetype.decode("ascii", "replace").rsplit(".", 1)[-1]
        raise UnsupportedFile(
            f"This file is an OpenDocument {kind} document, not a spreadsheet ({mimetype!r})."
        )
    if "[Content_Types].xml" in names:
        info = zf.getinfo("[Content_Types].xml")
        if info.file_size > 1 << 20:
            raise CorruptFile("The workbook's content-type manifest is implausibly large.")
        types = zf.read(info).decode("utf-8", "replace")
        if "ms-excel.sheet.binary.macroEnabled.main" in types or "xl/workbook.bin" in names:
            return FileKind.XLSB
        if "spreadsheetml" in types or "ms-excel.sheet" in types or "xl/workbook.xml" in names:
            if "xl/workbook.xml" not in names:
                raise CorruptFile("The workbook has no xl/workbook.xml part.")
            macro = "macroEnabled" in types or "xl/vbaProject.bin" in names
            return FileKind.XLSM if macro else FileKind.XLSX
        if "word/document.xml" in names:
            raise UnsupportedFile("This file is a Word document (docx), not a spreadsheet.")
        if "ppt/presentation.xml" in names:
            raise UnsupportedFile(
                "This file is a PowerPoint presentation (pptx), not a spreadsheet."
            )
        raise UnsupportedFile("This file is an Office Open XML package that is not a workbook.")
    raise UnsupportedFile("This file is a zip archive that is not a workbook.")


# --- OLE2 compound files (.xls, .doc, encrypted .xlsx) -------------------------------------


def _ole2_kind(path: Path) -> FileKind:
    names = _ole2_names(path)
    if "Workbook" in names or "Book" in names:
        return FileKind.XLS
    if "EncryptedPackage" in names:
        raise EncryptedFile(
            "The workbook is password-protected. Remove the password in Excel and upload it again."
        )
    if "WordDocument" in names:
        raise UnsupportedFile("This file is an old Word document (doc), not a spreadsheet.")
    if "PowerPoint Document" in names:
        raise UnsupportedFile(
            "This file is an old PowerPoint presentation (ppt), not a spreadsheet."
        )
    raise UnsupportedFile(
        "This file is an OLE2 compound document (old Office/Outlook format) with no workbook."
    )


def _ole2_names(path: Path) -> set[str]:
    """Names in a compound file's directory: the header, the FAT and the directory chain."""
    end_of_chain = 0xFFFFFFFE
    with path.open("rb") as f:
        data_size = f.seek(0, io.SEEK_END)
        f.seek(0)
        header = f.read(512)
        if len(header) < 512:
            raise CorruptFile("The old-format (OLE2) file is truncated.")
        shift = struct.unpack_from("<H", header, 0x1E)[0]
        if shift not in (9, 12):
            raise CorruptFile("The old-format (OLE2) file has an invalid header.")
        sector = 1 << shift
        (first_dir,) = struct.unpack_from("<I", header, 0x30)
        first_difat, n_difat = struct.unpack_from("<II", header, 0x44)
        fat_sectors = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < 0xFFFFFFFA]

        def read_sector(sid: int) -> bytes:
            offset = (sid + 1) * sector
            if offset + sector > data_size:
                raise CorruptFile("The old-format (OLE2) file is truncated.")
            f.seek(offset)
            return f.read(sector)

        sid, hops = first_difat, 0
        while sid < 0xFFFFFFFA and hops < max(n_difat, 1) and hops < 10_000:
            entries = struct.unpack(f"<{sector // 4}I", read_sector(sid))
            fat_sectors += [s for s in entries[:-1] if s < 0xFFFFFFFA]
            sid, hops = entries[-1], hops + 1
        fat: list[int] = []
        for s in fat_sectors:
            fat += struct.unpack(f"<{sector // 4}I", read_sector(s))

        names: set[str] = set()
        sid, seen = first_dir, 0
        while sid != end_of_chain and sid < len(fat) + 1 and seen < 4096:
            block = read_sector(sid)
            for off in range(0, sector, 128):
                length = struct.unpack_from("<H", block, off + 0x40)[0]
                if 2 <= length <= 64:
                    names.add(block[off : off + length - 2].decode("utf-16-le", "replace"))
            if sid >= len(fat):
                break
            sid, seen = fat[sid], seen + 1
        return names


# --- other binaries, named for the message ------------------------------------------------

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"PAR1", "a Parquet file"),
    (b"SQLite format 3", "an SQLite database"),
    (b"{\\rtf", "an RTF document"),
)


def _known_binary(head: bytes) -> str | None:
    for magic, name in _SIGNATURES:
        if head.startswith(magic):
            return name
    lowered = head[:1024].lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html")) or b"<table" in lowered[:512]:
        return "an HTML page (some systems export it with an .xls name); save it as .xlsx or CSV"
    if lowered.startswith(b"<?xml"):
        return "an XML document"
    return None


# --- text ----------------------------------------------------------------------------------


def _csv_format(head: bytes, *, truncated: bool) -> CsvFormat:
    encoding = _encoding(head)
    if truncated:  # the sample may end mid-line (and mid-character): drop the partial line
        cut = head.rfind(b"\n")
        head = head[: cut + 1] if cut > 0 else head
    try:
        text = codecs.decode(head, encoding, "replace" if truncated else "strict")
    except UnicodeDecodeError as exc:
        raise CorruptFile(f"The text is not valid {encoding}: {exc}.") from exc
    if encoding.startswith("utf_16") and text.endswith("\ufffd"):
        text = text[:-1]
    controls = sum(1 for ch in text if ch < " " and ch not in "\t\r\n")
    if controls > max(2, len(text) // 100):
        raise UnsupportedFile("This file is binary data, not a spreadsheet or CSV file.")
    delimiter = _delimiter(text)
    if delimiter is None:
        raise UnsupportedFile(
            "This file is plain text without a consistent column delimiter (, ; tab |); "
            "it is not a CSV table."
        )
    return CsvFormat(encoding, delimiter)


def _encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf_8_sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf_16"
    if b"\x00" not in head:
        cut = head.rfind(b"\n")
        try:
            (head[: cut + 1] if cut > 0 else head).decode("utf-8")
            return "utf_8"
        except UnicodeDecodeError:
            pass
    best = charset_normalizer.from_bytes(head, cp_isolation=CSV_ENCODINGS).best()
    if best is None:
        raise UnsupportedFile("This file is binary data, not a spreadsheet or CSV file.")
    name = codecs.lookup(best.encoding).name.replace("-", "_")
    if name in ("iso8859_1", "latin_1"):  # cp1252 is latin-1 plus € and quotes where it decodes
        try:
            head.decode("cp1252")
            return "cp1252"
        except UnicodeDecodeError:
            return "latin_1"
    if name.startswith("utf_16") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf_16_le" if head[1:2] == b"\x00" else "utf_16_be"
    return name


def _delimiter(text: str) -> str | None:
    """The delimiter that splits the first lines into the same number (≥ 2) of fields."""
    best: tuple[float, int, str] | None = None
    for delimiter in CSV_DELIMITERS:
        counts = [
            len(row)
            for row, _ in zip(
                csv.reader(io.StringIO(text), delimiter=delimiter), range(200), strict=False
            )
            if any(cell.strip() for cell in row)
        ]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        share = counts.count(mode) / len(counts)
        if mode >= 2 and share >= 0.9 and (best is None or (share, mode) > best[:2]):
            best = (share, mode, delimiter)
    return best[2] if best else None
