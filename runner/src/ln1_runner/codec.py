"""Row payloads of result chunks: msgpack rows, typed per column, exact on both ends.

A payload is ``[FORMAT, tags, zones, rows]``: one type tag per column (``zones`` holds the time
zone of ``datetime_tz`` columns, else nil), then the rows. Tags are chosen per chunk from the
Python types actually present in each column, so the decoder rebuilds the same types: a
``Decimal`` keeps its scale, a ``date`` stays a ``date``, ``None`` stays ``None``.

Why this shape: the column types are known (column-wise detection), but the rows travel
row-major, so the decoder builds typed row tuples directly in msgspec's C code from a decoder
made for that column-type signature. Transposing to columns and back costs more than the whole
encoding on 1M rows (a full zip on each end), and this path must keep up with a plain database
fetch. The common case (one Python type per column, plus ``None``) needs no per-value Python
work at all; the rare cases pay only when they occur:

- ints outside msgpack's range (beyond int64/uint64) travel as text under the ``bigint`` tag;
- aware datetimes travel as msgpack timestamps plus the column's zone (a ``ZoneInfo`` key or a
  fixed offset); if the values of one column carry different zones, each travels as ISO text;
- a column mixing types (SQLite's dynamic typing, ``bool`` next to ``int``) or holding types
  without a tag uses ``mixed``, where each value carries its own tag; values of unknown types
  (``dict``/``list`` from JSON columns become ``json``) are sent as their ``str()``.

A UTC zone (``Etc/UTC``, ``UTC`` …) comes back as ``datetime.UTC``: the same instant and
offset, without a per-value conversion.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from operator import attrgetter, itemgetter
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

FORMAT = 1
"""Payload format version, first item of every payload; bumped on incompatible changes."""

_NoneType = type(None)
_INT_MIN, _UINT_MAX = -(2**63), 2**64 - 1  # what msgpack integers can hold

_DIRECT_TAGS: dict[type, str] = {
    bool: "bool",
    int: "int",
    float: "float",
    str: "str",
    bytes: "bytes",
    bytearray: "bytes",
    memoryview: "bytes",
    Decimal: "decimal",
    datetime.date: "date",
    datetime.time: "time",
    datetime.timedelta: "timedelta",
    uuid.UUID: "uuid",
}
"""Exact Python types that msgspec encodes natively and decodes back to the same type."""

_TAG_TYPES: dict[str, Any] = {
    "null": None,
    "bool": bool,
    "int": int,
    "float": float,
    "str": str,
    "bytes": bytes,
    "decimal": Decimal,
    "date": datetime.date,
    "datetime": datetime.datetime,
    "datetime_tz": datetime.datetime,
    "datetime_iso": datetime.datetime,
    "time": datetime.time,
    "timedelta": datetime.timedelta,
    "uuid": uuid.UUID,
}

_UTC_KEYS = frozenset(
    {"UTC", "Etc/UTC", "UCT", "Etc/UCT", "Zulu", "Etc/Zulu", "Universal", "Etc/Universal"}
    | {"GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "Etc/Greenwich", "Greenwich"}
)


class CodecError(ValueError):
    """A payload this module cannot decode (corrupt, or from an incompatible version)."""


class _Payload(msgspec.Struct, array_like=True):
    """A payload's envelope; ``rows`` is decoded later, with a decoder built from ``tags``."""

    format: int
    tags: list[str]
    zones: list[str | int | None]
    rows: msgspec.Raw


_encoder = msgspec.msgpack.Encoder()
_envelope = msgspec.msgpack.Decoder(_Payload)
_WIRE_TYPES: dict[str, Any] = {
    **{tag: kind | None for tag, kind in _TAG_TYPES.items() if kind is not None},
    "null": None,
    "bigint": str | None,
    "mixed": tuple[str, Any] | None,
}
_POSTPROCESSED = frozenset({"bigint", "mixed", "datetime_tz"})
_row_decoders: dict[tuple[str, ...], msgspec.msgpack.Decoder[Any]] = {}
_tzinfo = attrgetter("tzinfo")


def encode_rows(rows: Sequence[Sequence[object]], ncols: int) -> bytes:
    """Encode ``rows`` (each of ``ncols`` values) as one chunk payload.

    ``rows`` may hold tuples, lists or any sequence (e.g. SQLAlchemy ``Row``). Raises
    ``ValueError`` if a row does not have ``ncols`` values: dropping a value would corrupt data.
    """
    if rows and set(map(len, rows)) != {ncols}:
        raise ValueError(f"every row must have {ncols} values")
    if rows and not isinstance(rows[0], tuple | list):
        rows = list(map(tuple, rows))
    try:
        return _encode(rows, ncols, check_ints=False)
    except OverflowError:  # an int beyond msgpack's range: redo with the range check on
        return _encode(rows, ncols, check_ints=True)


def _encode(rows: Sequence[Sequence[object]], ncols: int, check_ints: bool) -> bytes:
    """Tag each column from its values, rewrite the rare columns that need it, encode."""
    tags: list[str] = []
    zones: list[str | int | None] = []
    changes: dict[int, Callable[[Any], Any]] = {}
    for index in range(ncols):
        tag, zone, change = _column_type(rows, itemgetter(index), check_ints)
        tags.append(tag)
        zones.append(zone)
        if change is not None:
            changes[index] = change
    if changes:  # rare: some values must be rewritten before msgpack can carry them exactly
        rows = [_rewrite(row, changes) for row in rows]
    return _encoder.encode((FORMAT, tags, zones, rows))


def decode_rows(payload: bytes) -> list[tuple[Any, ...]]:
    """Rebuild the rows of a payload made by :func:`encode_rows`, with their exact types."""
    try:
        envelope = _envelope.decode(payload)
    except msgspec.DecodeError as error:
        raise CodecError(f"corrupt row payload: {error}") from None
    if envelope.format != FORMAT:
        raise CodecError(
            f"row payload format {envelope.format} is not supported (expected {FORMAT})"
        )
    tags = tuple(envelope.tags)
    if len(envelope.zones) != len(tags):
        raise CodecError("corrupt row payload: one zone entry per column is expected")
    try:
        rows: list[tuple[Any, ...]] = _row_decoder(tags).decode(envelope.rows)
    except msgspec.DecodeError as error:
        raise CodecError(f"corrupt rows in row payload: {error}") from None
    special = {
        i: tag
        for i, tag in enumerate(tags)
        if tag in _POSTPROCESSED and not (tag == "datetime_tz" and _is_utc(envelope.zones[i]))
    }
    if not special or not rows:
        return rows
    columns = list(zip(*rows, strict=True))
    for index, tag in special.items():
        columns[index] = _restore_column(list(columns[index]), tag, envelope.zones[index])
    return list(zip(*columns, strict=True))


# --- encoding ----------------------------------------------------------------------------------


def _column_type(
    rows: Sequence[Any], column: itemgetter[Any], check_ints: bool
) -> tuple[str, str | int | None, Callable[[Any], Any] | None]:
    """Pick a column's tag (and zone) from the types present, and any per-value rewrite."""
    kinds = set(map(type, map(column, rows)))
    kinds.discard(_NoneType)
    if not kinds:
        return "null", None, None
    if len(kinds) == 1:
        kind = kinds.pop()
        if kind is datetime.datetime:
            return _datetime_type(map(column, rows))
        tag = _DIRECT_TAGS.get(kind)
        if tag == "int" and check_ints and not _fits_msgpack(map(column, rows)):
            return "bigint", None, str
        if tag is not None:
            return tag, None, None
    return "mixed", None, _tag_value


def _rewrite(row: Sequence[Any], changes: dict[int, Callable[[Any], Any]]) -> list[Any]:
    """A copy of ``row`` with the values of the rewritten columns converted (``None`` kept)."""
    out = list(row)
    for index, change in changes.items():
        value = out[index]
        if value is not None:
            out[index] = change(value)
    return out


def _datetime_type(
    values: Iterable[Any],
) -> tuple[str, str | int | None, Callable[[Any], Any] | None]:
    """Naive datetimes as ISO text; aware ones as timestamps plus the column's one zone."""
    zones = set(map(_tzinfo, filter(None, values)))  # datetimes are always truthy
    if zones == {None}:
        return "datetime", None, None
    if len(zones) == 1:
        zone = _zone_name(zones.pop())
        if zone is not None:
            return "datetime_tz", zone, None
    return "datetime_iso", None, _iso_datetime


def _zone_name(zone: datetime.tzinfo | None) -> str | int | None:
    """A zone the decoder can rebuild: a ZoneInfo key or a fixed offset in seconds."""
    if isinstance(zone, ZoneInfo) and zone.key:
        return zone.key
    if isinstance(zone, datetime.timezone):
        offset = zone.utcoffset(None)
        if offset.microseconds == 0:
            return int(offset.total_seconds())
    return None


def _iso_datetime(value: datetime.datetime) -> str:
    """ISO text keeping the value's own offset (msgspec parses it back to a fixed offset)."""
    return value.isoformat()


def _fits_msgpack(values: Iterable[Any]) -> bool:
    """Whether every int of the column is inside msgpack's int64/uint64 range."""
    present = [v for v in values if v is not None]
    return min(present) >= _INT_MIN and max(present) <= _UINT_MAX


def _tag_value(value: object) -> tuple[str, object]:
    """Tag one value of a ``mixed`` column with the same tags whole columns use."""
    kind = type(value)
    if kind is datetime.datetime:
        assert isinstance(value, datetime.datetime)
        return ("datetime_iso", _iso_datetime(value)) if value.tzinfo else ("datetime", value)
    tag = _DIRECT_TAGS.get(kind)
    if tag == "int" and not _INT_MIN <= value <= _UINT_MAX:  # type: ignore[operator]
        return ("bigint", str(value))
    if tag is not None:
        return (tag, value)
    if kind is dict or kind is list:
        try:
            return ("json", msgspec.json.encode(value).decode())
        except (TypeError, ValueError, OverflowError):
            pass
    return ("text", str(value))


# --- decoding ----------------------------------------------------------------------------------


def _row_decoder(tags: tuple[str, ...]) -> msgspec.msgpack.Decoder[Any]:
    """A decoder building typed row tuples in C, cached per column-type signature."""
    decoder = _row_decoders.get(tags)
    if decoder is None:
        unknown = [tag for tag in tags if tag not in _WIRE_TYPES]
        if unknown:
            raise CodecError(f"unknown column type {unknown[0]!r} in row payload")
        row_type = tuple[tuple(_WIRE_TYPES[tag] for tag in tags)] if tags else tuple[()]
        decoder = msgspec.msgpack.Decoder(list[row_type])  # type: ignore[valid-type]
        if len(_row_decoders) > 256:  # result shapes are few; never grow without bound
            _row_decoders.clear()
        _row_decoders[tags] = decoder
    return decoder


def _restore_column(values: list[Any], tag: str, zone: str | int | None) -> list[Any]:
    """Turn the wire form of a rewritten column back into its values."""
    if tag == "bigint":
        return [None if v is None else int(v) for v in values]
    if tag == "datetime_tz":
        return _restore_zone(values, zone)
    return [None if v is None else _untag_value(*v) for v in values]


def _is_utc(zone: str | int | None) -> bool:
    """Whether decoded timestamps (in UTC) already carry the column's zone."""
    return zone is None or zone == 0 or zone in _UTC_KEYS


def _restore_zone(values: list[Any], zone: str | int | None) -> list[Any]:
    """Put the column's zone back on datetimes that msgpack timestamps bring back in UTC."""
    if _is_utc(zone):
        return values
    try:
        tz: datetime.tzinfo = (
            ZoneInfo(zone)
            if isinstance(zone, str)
            else datetime.timezone(datetime.timedelta(seconds=zone))
        )
    except (ValueError, KeyError, OSError):  # a zone this machine does not know: keep UTC
        return values
    return [None if v is None else v.astimezone(tz) for v in values]


_UNTAG: dict[str, Callable[[Any], Any]] = {
    "bigint": int,
    "json": msgspec.json.decode,
    "text": str,
}


def _untag_value(tag: str, value: Any) -> Any:
    """Rebuild one value of a ``mixed`` column from its tag."""
    convert = _UNTAG.get(tag)
    if convert is not None:
        return convert(value)
    kind = _TAG_TYPES.get(tag)
    if kind is None:
        raise CodecError(f"unknown value type {tag!r} in row payload")
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as error:
        raise CodecError(f"corrupt {tag} value in row payload: {error}") from None
