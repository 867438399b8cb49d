"""One way of writing numbers per company: its country decides, English never changes.

A Spanish reader in Peru or Mexico reads "12,345.67"; one in Spain, Chile or Argentina reads
"12.345,67" and would take "500,000" for five hundred. The country is the company's region,
or its time zone's when the region is unset.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ln1.errors import InvalidInput
from ln1.numbers import (
    UnknownRegion,
    company_region,
    format_fixed,
    format_money,
    format_number,
    region_code,
)

AMOUNT = Decimal("12345.67")


@pytest.mark.parametrize("region", ["PE", "MX", "GT", "PA"])
def test_spanish_in_peru_mexico_and_central_america_uses_comma_thousands(region: str) -> None:
    assert format_number(AMOUNT, "es", region) == "12,345.67"
    assert format_money(AMOUNT, "PEN", "es", region) == "S/ 12,345.67"
    assert format_number(Decimal(1234), "es", region) == "1,234"


@pytest.mark.parametrize("region", ["CL", "AR", "CO"])
def test_spanish_in_chile_argentina_and_colombia_uses_point_thousands(region: str) -> None:
    assert format_number(AMOUNT, "es", region) == "12.345,67"
    assert format_money(AMOUNT, "PEN", "es", region) == "S/ 12.345,67"
    assert format_number(Decimal(1234), "es", region) == "1.234"


def test_spanish_in_spain_groups_only_from_five_digits() -> None:
    assert format_number(AMOUNT, "es", "ES") == "12.345,67"
    assert format_number(Decimal(1234), "es", "ES") == "1234"
    assert format_number(Decimal("1234.5"), "es", "ES") == "1234,50"
    assert format_number(Decimal(12345), "es", "ES") == "12.345"
    assert format_number(Decimal(-1234567), "es", "ES") == "-1.234.567"


@pytest.mark.parametrize("region", [None, "PE", "ES", "CL", "AR"])
def test_english_is_always_comma_thousands_point_decimals(region: str | None) -> None:
    assert format_number(AMOUNT, "en", region) == "12,345.67"
    assert format_number(Decimal(1234), "en", region) == "1,234"
    assert format_money(AMOUNT, "PEN", "en", region) == "PEN 12,345.67"


def test_without_a_country_spanish_keeps_the_comma_thousands_default() -> None:
    assert format_number(AMOUNT, "es") == "12,345.67"
    assert format_money(AMOUNT, "PEN", "es", None) == "S/ 12,345.67"
    assert format_number(AMOUNT, "es", "FR") == "12,345.67"  # CLDR has no Spanish of France


def test_whole_numbers_have_no_decimals_and_others_two() -> None:
    assert format_number(Decimal("500000"), "es", "CL") == "500.000"
    assert format_number(Decimal("500000.00"), "es", "CL") == "500.000"
    assert format_number(Decimal("0.5"), "es", "CL") == "0,50"
    assert format_number(Decimal("12345.5"), "en") == "12,345.50"


def test_rounding_is_exact_decimal_arithmetic() -> None:
    assert format_money(Decimal("0.1") + Decimal("0.2"), "PEN", "es", "ES") == "S/ 0,30"
    huge = Decimal("123456789012345678901234567890.125")  # past float and the 28-digit context
    assert format_fixed(huge, 2, "es", "CL") == "123.456.789.012.345.678.901.234.567.890,12"
    assert format_fixed(Decimal("-0.001"), 2, "es", "CL") == "0,00"  # never "-0,00"


@pytest.mark.parametrize(
    ("timezone", "region"),
    [
        ("America/Lima", "PE"),
        ("Europe/Madrid", "ES"),
        ("America/Santiago", "CL"),
        ("America/Mexico_City", "MX"),
        ("America/Buenos_Aires", "AR"),  # an alias of America/Argentina/Buenos_Aires
        ("UTC", None),
        ("Mars/Olympus", None),
    ],
)
def test_an_unset_region_is_the_time_zones_country(timezone: str, region: str | None) -> None:
    assert company_region(None, timezone) == region


def test_a_set_region_wins_over_the_time_zone() -> None:
    assert company_region("MX", "Europe/Madrid") == "MX"


def test_a_region_is_a_known_country_code_in_any_case() -> None:
    assert region_code("pe") == "PE"
    assert region_code(" es ") == "ES"


@pytest.mark.parametrize("text", ["XX", "ZZ", "PER", "001", "", "EU"])
def test_an_unknown_region_is_refused_with_a_clear_error(text: str) -> None:
    with pytest.raises(UnknownRegion) as refused:
        region_code(text)
    assert isinstance(refused.value, InvalidInput)  # answered as 422 / exit 1 at the boundary
    assert refused.value.message.startswith(f"unknown region {text!r}: use an ISO 3166-1")
