"""How the report writes numbers, dates and untrusted text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ln1.reports.text import clean, fmt_money, fmt_number, fmt_percent, fmt_value, type_label
from ln1.runners.summary import format_money


def test_numbers_use_the_chats_peruvian_format_in_both_languages() -> None:
    assert fmt_number(1234567) == "1,234,567"
    assert fmt_number(1234.5) == "1,234.50"
    assert fmt_number(0.1 + 0.2, 2) == "0.30"
    assert fmt_number(float("nan")) == ""
    assert (
        fmt_money(1234.5, "PEN", "es")
        == "S/ 1,234.50"
        == format_money(Decimal("1234.5"), "PEN", "es")
    )
    assert fmt_money(1234.5, "PEN", "en") == "PEN 1,234.50"


def test_percentages_carry_a_sign_when_they_are_changes() -> None:
    assert fmt_percent(8000, 105000, signed=True) == "+7.6%"
    assert fmt_percent(-2000, 110000, signed=True) == "-1.8%"
    assert fmt_percent(1, 0) == ""


def test_dates_are_day_first_in_spanish_and_iso_in_english() -> None:
    assert fmt_value(date(2026, 11, 24), "es") == "24/11/2026"
    assert fmt_value("2026-11-24", "es") == "24/11/2026"
    assert fmt_value(date(2026, 11, 24), "en") == "2026-11-24"
    assert fmt_value(datetime(2026, 11, 24, 9, 30), "es") == "24/11/2026 09:30"
    assert fmt_value(True, "es") == "sí"


def test_untrusted_text_is_one_line_drawable_and_bounded() -> None:
    assert clean("a\x00b\r\nc\td") == "ab c d"
    assert clean("x" * 500, 10) == "xxxxxxxxx…"
    assert clean("Junín ñandú Región") == "Junín ñandú Región"
    assert clean("\U000e0001tag") == "tag" or "\ufffd" in clean("\U000e0001tag")


def test_types_are_named_in_the_users_language() -> None:
    assert type_label("Int64", "es") == "entero"
    assert type_label("String", "en") == "text"
    assert type_label("Datetime(time_unit='us')", "es") == "fecha y hora"
    assert type_label("geometry", "en") == "geometry"
