"""Row payloads keep every value's exact type and value through encode → decode."""

import datetime
import math
import uuid
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from ln1_runner.codec import CodecError, decode_rows, encode_rows

UTC = datetime.UTC
MADRID = ZoneInfo("Europe/Madrid")


def round_trip(rows: list[tuple[object, ...]], ncols: int) -> list[tuple[object, ...]]:
    return decode_rows(encode_rows(rows, ncols))


def assert_same(got: list[tuple[object, ...]], want: list[tuple[object, ...]]) -> None:
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want, strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            assert type(g) is type(w), (g, w)
            if isinstance(w, float) and math.isnan(w):
                assert math.isnan(g)  # type: ignore[arg-type]
            elif isinstance(w, Decimal) and w.is_nan():
                assert str(g) == str(w)
            else:
                assert g == w
                assert str(g) == str(w)  # scale, offset and zone survive, not only equality


def test_each_column_type_survives_with_nulls() -> None:
    rows = [
        (1, 1.5, "Peña 🚀 ñandú", Decimal("10.50"), datetime.date(2026, 11, 24), True, b"\x00\x01"),
        (None, None, None, None, None, None, None),
        (-(2**63), float("inf"), "", Decimal("-0.000"), datetime.date(1, 1, 1), False, b""),
    ]
    assert_same(round_trip(rows, 7), rows)


def test_datetimes_naive_and_aware_keep_their_zone() -> None:
    rows = [
        (
            datetime.datetime(2026, 3, 29, 1, 59, 59, 999999),
            datetime.datetime(2026, 3, 29, 3, 0, tzinfo=MADRID),
            datetime.datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
            datetime.datetime(
                2026, 1, 1, 12, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=-5))
            ),
        ),
        (None, datetime.datetime(2026, 7, 1, 9, 30, tzinfo=MADRID), None, None),
    ]
    got = round_trip(rows, 4)
    assert_same(got, rows)
    assert got[0][1].tzinfo == MADRID  # type: ignore[union-attr]


def test_a_column_with_several_zones_keeps_each_offset() -> None:
    rows = [
        (datetime.datetime(2026, 1, 1, tzinfo=MADRID),),
        (datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone(datetime.timedelta(hours=3))),),
    ]
    got = round_trip(rows, 1)
    assert [r[0] for r in got] == [r[0] for r in rows]
    assert [r[0].utcoffset() for r in got] == [r[0].utcoffset() for r in rows]  # type: ignore[union-attr]


def test_times_intervals_and_uuids_survive() -> None:
    rows = [
        (
            datetime.time(23, 59, 59, 1),
            datetime.timedelta(days=-1, microseconds=7),
            uuid.UUID(int=5),
        ),
        (datetime.time(8, 0, tzinfo=UTC), None, None),
    ]
    assert_same(round_trip(rows, 3), rows)


def test_decimal_specials_and_big_ints_survive() -> None:
    rows = [
        (Decimal("NaN"), 2**64 + 1, Decimal("1E+5")),
        (Decimal("-Infinity"), -(2**70), Decimal("123456789012345678901234567890.123456789")),
        (Decimal("Infinity"), None, None),
    ]
    assert_same(round_trip(rows, 3), rows)


def test_floats_keep_every_bit() -> None:
    values = [0.1, -0.0, 1e308, 5e-324, float("-inf"), float("nan")]
    got = round_trip([(v,) for v in values], 1)
    assert [math.copysign(1, g[0]) for g in got] == [math.copysign(1, v) for v in values]
    assert [repr(g[0]) for g in got] == [repr(v) for v in values]


def test_a_column_mixing_types_like_sqlite_keeps_each_value_type() -> None:
    rows = [
        (1,),
        (2.5,),
        ("tres",),
        (True,),
        (b"\xff",),
        (Decimal("1.10"),),
        (datetime.date(2026, 1, 2),),
        (datetime.datetime(2026, 1, 2, 3, tzinfo=MADRID),),
        (2**65,),
        (None,),
    ]
    got = round_trip(rows, 1)
    assert [type(r[0]) for r in got] == [type(r[0]) for r in rows]
    assert got == rows


def test_unknown_types_travel_as_json_or_text() -> None:
    rows = [({"a": [1, "ñ"]},), (["x", 2],), (frozenset({1}),)]
    got = round_trip(rows, 1)
    assert got == [({"a": [1, "ñ"]},), (["x", 2],), ("frozenset({1})",)]


def test_empty_chunks_and_zero_columns() -> None:
    assert round_trip([], 3) == []
    assert round_trip([(), ()], 0) == [(), ()]


def test_lists_and_other_sequences_are_accepted_as_rows() -> None:
    class Row(tuple):
        pass

    assert round_trip([[1, "a"], Row((2, "b"))], 2) == [(1, "a"), (2, "b")]


def test_a_row_of_the_wrong_width_is_refused() -> None:
    with pytest.raises(ValueError, match="2 values"):
        encode_rows([(1, 2), (3,)], 2)


def test_a_corrupt_payload_raises_codec_error() -> None:
    payload = encode_rows([(1, "a")], 2)
    with pytest.raises(CodecError):
        decode_rows(payload[:-3])
    with pytest.raises(CodecError):
        decode_rows(b"\x93\x01\x02\x03")
