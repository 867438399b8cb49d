"""How the report writes numbers, dates and untrusted text."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from ln1.numbers import format_money
from ln1.reports.text import clean, fmt_money, fmt_number, fmt_percent, fmt_value, type_label


def test_numbers_without_a_region_use_the_chats_default_format_in_both_languages() -> None:
    assert fmt_number(1234567, "es", None) == "1,234,567"
    assert fmt_number(1234.5, "es", None) == "1,234.50"
    assert fmt_number(0.1 + 0.2, "en", None, 2) == "0.30"
    assert fmt_number(float("nan"), "es", None) == ""
    assert (
        fmt_money(1234.5, "PEN", "es", None)
        == "S/ 1,234.50"
        == format_money(Decimal("1234.5"), "PEN", "es")
    )
    assert fmt_money(1234.5, "PEN", "en", None) == "PEN 1,234.50"


def test_numbers_follow_the_companys_country_in_spanish_only() -> None:
    assert fmt_number(1234.5, "es", "CL") == "1.234,50"
    assert fmt_number(1234567, "es", "ES") == "1.234.567"
    assert fmt_number(1234, "es", "ES") == "1234"
    assert fmt_number(0.00123, "es", "AR") == "0,00123"
    assert fmt_money(1234.5, "PEN", "es", "PE") == "S/ 1,234.50"
    assert fmt_money(12345.5, "EUR", "es", "ES") == "€ 12.345,50"
    assert fmt_money(1234.5, "EUR", "en", "ES") == "EUR 1,234.50"
    assert fmt_percent(8000, 105000, "es", "CL", signed=True) == "+7,6%"
    assert fmt_value(Decimal("12345.678"), "es", "CO") == "12.345,68"


def test_percentages_carry_a_sign_when_they_are_changes() -> None:
    assert fmt_percent(8000, 105000, "en", None, signed=True) == "+7.6%"
    assert fmt_percent(-2000, 110000, "en", None, signed=True) == "-1.8%"
    assert fmt_percent(1, 100000, "en", None, signed=True) == "0.0%"
    assert fmt_percent(1, 0, "en", None) == ""


def test_dates_are_day_first_in_spanish_and_iso_in_english() -> None:
    assert fmt_value(date(2026, 11, 24), "es", None) == "24/11/2026"
    assert fmt_value("2026-11-24", "es", None) == "24/11/2026"
    assert fmt_value(date(2026, 11, 24), "en", None) == "2026-11-24"
    assert fmt_value(datetime(2026, 11, 24, 9, 30), "es", None) == "24/11/2026 09:30"
    assert fmt_value(True, "es", None) == "sí"


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
