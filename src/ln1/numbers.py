"""How numbers are written for a reader: one convention per company, in every answer.

A chat summary, a task's message and a PDF report must write "12,345.67" the same way, and
the way a Spanish reader expects depends on their country: Peru, Mexico and most of Central
America write "12,345.67"; Spain, Chile, Argentina and Colombia "12.345,67", where
"500,000" would read as five hundred. So the convention is the company's: its ``region``
(ISO 3166-1 alpha-2), or when unset the country of its time zone (America/Lima → PE,
Europe/Madrid → ES), and when neither says, comma for thousands and point for decimals (the
Latin American default, and what ln1 always wrote before). English is always "12,345.67".

Separators and grouping come from CLDR through Babel (the locale ``es_<REGION>``), plus the
one CLDR rule Babel does not apply: Spain's Spanish groups only from five digits ("1234" but
"12.345"). Rounding is done here on ``Decimal``, so a sum of cents never shows float drift.
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.numbers import format_decimal

from ln1.errors import InvalidInput

_ENGLISH = "en"
"""The locale of every English answer, whatever the company's country."""
_SPANISH_DEFAULT = "es_419"
"""Spanish when the country is unknown or CLDR has no Spanish of it: "12,345.67"."""
CURRENCY_SYMBOLS = {"PEN": "S/", "USD": "US$", "EUR": "€"}
"""How a Spanish answer names a currency; English uses the ISO code ("PEN 12.00")."""

# CLDR's minimumGroupingDigits, which Babel's data leaves out: Spanish ("es", so Spain) does
# not group a four-digit number, Latin American Spanish ("es_419") does. Looked up along the
# locale's parents; a locale with no entry groups from four digits.
_MINIMUM_GROUPING_DIGITS = {"es": 2, "es_419": 1}
_NOT_A_COUNTRY = frozenset({"ZZ", "001"})  # CLDR's "unknown region" and "world" (Etc/UTC)


class UnknownRegion(InvalidInput):
    """A region that is not a country code CLDR knows."""


def region_code(text: str) -> str:
    """``text`` as a country code ("pe" → "PE"); :class:`UnknownRegion` when it is none."""
    code = text.strip().upper()
    territories = get_global("territory_languages")
    if len(code) != 2 or code not in territories or code in _NOT_A_COUNTRY:
        raise UnknownRegion(
            f"unknown region {text!r}: use an ISO 3166-1 alpha-2 country code such as PE, MX, "
            "ES, CL or AR"
        )
    return code


def company_region(region: str | None, timezone: str | None) -> str | None:
    """The country whose numbers a company's answers follow, or None when nothing says.

    The company's own ``region`` wins; without it, the country of its IANA time zone in
    CLDR ("America/Santiago" → "CL"; an alias such as "America/Buenos_Aires" works too). A
    zone of no country ("UTC") or an unknown one gives None.
    """
    if region:
        return region
    if not timezone:
        return None
    canonical = get_global("zone_aliases").get(timezone, timezone)
    country = get_global("zone_territories").get(canonical)
    return None if country is None or country in _NOT_A_COUNTRY else country


def format_fixed(value: Decimal, places: int, lang: str, region: str | None = None) -> str:
    """``value`` rounded to ``places`` decimals, as a reader of ``lang`` in ``region`` writes it.

    "12,345.67" (English; Spanish of Peru or Mexico), "12.345,67" (Spanish of Spain, Chile,
    Argentina), "1234,50" (Spain: four digits are not grouped). A value that rounds to zero
    has no sign ("0.00", never "-0.00").
    """
    locale, minimum_grouping = _convention(lang, region)
    with decimal.localcontext() as context:
        context.prec = max(context.prec, value.adjusted() + places + 2)  # no digit is lost
        rounded = value.quantize(Decimal(1).scaleb(-places))
        if rounded.is_zero():
            rounded = abs(rounded)
        grouped = rounded.adjusted() + 1 >= 3 + minimum_grouping
        pattern = ("#,##0" if grouped else "0") + ("." + "0" * places if places > 0 else "")
        return format_decimal(rounded, format=pattern, locale=locale)


def format_number(value: Decimal, lang: str, region: str | None = None) -> str:
    """A quantity: whole numbers without decimals ("12,345"), others with two ("12,345.50")."""
    if value == value.to_integral_value():
        return format_fixed(value, 0, lang, region)
    return format_fixed(value, 2, lang, region)


def format_money(amount: Decimal, currency: str, lang: str, region: str | None = None) -> str:
    """ "S/ 12,345.67" or "S/ 12.345,67" (Spanish, a known symbol), "PEN 12,345.67" (English)."""
    symbol = CURRENCY_SYMBOLS.get(currency, currency) if lang == "es" else currency
    return f"{symbol} {format_fixed(amount, 2, lang, region)}"


@cache
def _convention(lang: str, region: str | None) -> tuple[Locale, int]:
    """The Babel locale whose separators a reader uses, and from how many digits it groups."""
    name = _SPANISH_DEFAULT if lang == "es" else _ENGLISH
    if lang == "es" and region:
        try:
            Locale.parse(f"es_{region.upper()}")
            name = f"es_{region.upper()}"
        except (UnknownLocaleError, ValueError):
            pass  # no Spanish of that country in CLDR (a company in France): the default
    return Locale.parse(name), _minimum_grouping(name)


def _minimum_grouping(name: str) -> int:
    """``_MINIMUM_GROUPING_DIGITS`` of the locale or its nearest parent ("es_CL" → "es_419")."""
    parents = get_global("parent_exceptions")
    while name:
        if name in _MINIMUM_GROUPING_DIGITS:
            return _MINIMUM_GROUPING_DIGITS[name]
        name = parents.get(name) or name.rpartition("_")[0]
    return 1


__all__ = [
    "CURRENCY_SYMBOLS",
    "UnknownRegion",
    "company_region",
    "format_fixed",
    "format_money",
    "format_number",
    "region_code",
]
