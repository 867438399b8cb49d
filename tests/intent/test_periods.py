"""extract_period: time expressions in Spanish and English chat, resolved to date ranges.

Unless a test says otherwise, today is Wednesday 2026-11-25.
"""

import random
import time
from datetime import date, timedelta

import pytest

from ln1.orchestrator.intent.periods import Period, extract_period

TODAY = date(2026, 11, 25)  # a Wednesday
NEW_YEAR = date(2026, 1, 2)  # a Friday, two days into the year
QUARTER_END = date(2026, 3, 31)  # a Tuesday, last day of a month and a quarter

Expected = tuple[str, str, str]


def resolve(text: str, today: date = TODAY) -> Expected | None:
    """(start, end, label) in ISO form, so tables read like the spec."""
    period = extract_period(text, today)
    if period is None:
        return None
    return period.start.isoformat(), period.end.isoformat(), period.label


def cases(table: dict[str, Expected]) -> list[object]:
    return [pytest.param(text, expected, id=text) for text, expected in table.items()]


# ------------------------------------------------------------------ single days

SINGLE_DAYS = {
    "hoy": ("2026-11-25", "2026-11-25", "today"),
    "¿cuánto vendimos hoy?": ("2026-11-25", "2026-11-25", "today"),
    "today": ("2026-11-25", "2026-11-25", "today"),
    "ayer": ("2026-11-24", "2026-11-24", "yesterday"),
    "Ventas de AYER": ("2026-11-24", "2026-11-24", "yesterday"),
    "yesterday": ("2026-11-24", "2026-11-24", "yesterday"),
    "anteayer": ("2026-11-23", "2026-11-23", "day_before_yesterday"),
    "antier": ("2026-11-23", "2026-11-23", "day_before_yesterday"),
    "antes de ayer": ("2026-11-23", "2026-11-23", "day_before_yesterday"),
    "the day before yesterday": ("2026-11-23", "2026-11-23", "day_before_yesterday"),
    "hace 3 días": ("2026-11-22", "2026-11-22", "days_ago:3"),
    "hace tres dias": ("2026-11-22", "2026-11-22", "days_ago:3"),
    "10 days ago": ("2026-11-15", "2026-11-15", "days_ago:10"),
}


@pytest.mark.parametrize(("text", "expected"), cases(SINGLE_DAYS))
def test_relative_days_resolve_to_a_single_day(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


# ------------------------------------------------------------------------ weeks

WEEKS = {
    "esta semana": ("2026-11-23", "2026-11-25", "this_week"),
    "this week": ("2026-11-23", "2026-11-25", "this_week"),
    "la semana pasada": ("2026-11-16", "2026-11-22", "last_week"),
    "semana anterior": ("2026-11-16", "2026-11-22", "last_week"),
    "last week": ("2026-11-16", "2026-11-22", "last_week"),
    "previous week": ("2026-11-16", "2026-11-22", "last_week"),
}


@pytest.mark.parametrize(("text", "expected"), cases(WEEKS))
def test_weeks_start_on_monday(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


def test_last_week_is_previous_monday_to_sunday() -> None:
    assert resolve("ventas de la semana pasada") == ("2026-11-16", "2026-11-22", "last_week")


def test_this_week_runs_from_monday_to_today() -> None:
    assert resolve("this week", NEW_YEAR) == ("2025-12-29", "2026-01-02", "this_week")


@pytest.mark.parametrize("text", ["fin de semana pasado", "el finde", "last weekend"])
def test_last_weekend_is_the_most_recent_saturday_and_sunday(text: str) -> None:
    assert resolve(text) == ("2026-11-21", "2026-11-22", "last_weekend")


def test_last_weekend_on_a_sunday_is_the_weekend_before() -> None:
    assert resolve("last weekend", date(2026, 11, 29)) == (
        "2026-11-21",
        "2026-11-22",
        "last_weekend",
    )


# ----------------------------------------------------- months, quarters, years

CALENDAR_UNITS = {
    "este mes": ("2026-11-01", "2026-11-25", "this_month"),
    "this month": ("2026-11-01", "2026-11-25", "this_month"),
    "mes a la fecha": ("2026-11-01", "2026-11-25", "this_month"),
    "month to date": ("2026-11-01", "2026-11-25", "this_month"),
    "MTD": ("2026-11-01", "2026-11-25", "this_month"),
    "el mes pasado": ("2026-10-01", "2026-10-31", "last_month"),
    "mes anterior": ("2026-10-01", "2026-10-31", "last_month"),
    "last month": ("2026-10-01", "2026-10-31", "last_month"),
    "previous month": ("2026-10-01", "2026-10-31", "last_month"),
    "este trimestre": ("2026-10-01", "2026-11-25", "this_quarter"),
    "this quarter": ("2026-10-01", "2026-11-25", "this_quarter"),
    "el trimestre pasado": ("2026-07-01", "2026-09-30", "last_quarter"),
    "last quarter": ("2026-07-01", "2026-09-30", "last_quarter"),
    "este año": ("2026-01-01", "2026-11-25", "this_year"),
    "this year": ("2026-01-01", "2026-11-25", "this_year"),
    "en lo que va del año": ("2026-01-01", "2026-11-25", "this_year"),
    "YTD": ("2026-01-01", "2026-11-25", "this_year"),
    "el año pasado": ("2025-01-01", "2025-12-31", "last_year"),
    "last year": ("2025-01-01", "2025-12-31", "last_year"),
}


@pytest.mark.parametrize(("text", "expected"), cases(CALENDAR_UNITS))
def test_current_and_previous_calendar_units(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


QUARTERS = {
    "Q1": ("2026-01-01", "2026-03-31", "quarter:2026-Q1"),
    "ventas del q3 2025": ("2025-07-01", "2025-09-30", "quarter:2025-Q3"),
    "2025 Q2": ("2025-04-01", "2025-06-30", "quarter:2025-Q2"),
    "primer trimestre": ("2026-01-01", "2026-03-31", "quarter:2026-Q1"),
    "cuarto trimestre de 2025": ("2025-10-01", "2025-12-31", "quarter:2025-Q4"),
    "second quarter of 2025": ("2025-04-01", "2025-06-30", "quarter:2025-Q2"),
}


@pytest.mark.parametrize(("text", "expected"), cases(QUARTERS))
def test_named_quarters(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


def test_current_quarter_by_name_ends_today() -> None:
    assert resolve("Q4") == ("2026-10-01", "2026-11-25", "quarter:2026-Q4")


def test_quarter_without_year_after_the_current_one_is_last_years() -> None:
    assert resolve("Q2", NEW_YEAR) == ("2025-04-01", "2025-06-30", "quarter:2025-Q2")


@pytest.mark.parametrize("text", ["2025", "ventas en 2025", "sales in 2025", "¿y 2025?"])
def test_bare_year_is_the_whole_year(text: str) -> None:
    assert resolve(text) == ("2025-01-01", "2025-12-31", "year:2025")


def test_current_year_by_number_ends_today() -> None:
    assert resolve("2026") == ("2026-01-01", "2026-11-25", "year:2026")


@pytest.mark.parametrize(
    "text", ["vendimos 2025 unidades", "1999", "12025", "pedido 2025-A", "20250", "$2025"]
)
def test_numbers_that_are_not_years_are_not_periods(text: str) -> None:
    assert resolve(text) is None


# ------------------------------------------------------------- rolling windows

ROLLING = {
    "últimos 7 días": ("2026-11-19", "2026-11-25", "last_n_days:7"),
    "los ultimos 30 dias": ("2026-10-27", "2026-11-25", "last_n_days:30"),
    "last 7 days": ("2026-11-19", "2026-11-25", "last_n_days:7"),
    "past 30 days": ("2026-10-27", "2026-11-25", "last_n_days:30"),
    "últimas 2 semanas": ("2026-11-12", "2026-11-25", "last_n_weeks:2"),
    "last 4 weeks": ("2026-10-29", "2026-11-25", "last_n_weeks:4"),
    "últimos 3 meses": ("2026-08-26", "2026-11-25", "last_n_months:3"),
    "los últimos tres meses": ("2026-08-26", "2026-11-25", "last_n_months:3"),
    "last 12 months": ("2025-11-26", "2026-11-25", "last_n_months:12"),
}


@pytest.mark.parametrize(("text", "expected"), cases(ROLLING))
def test_last_n_units_end_today(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


def test_last_n_months_clamps_to_the_end_of_a_shorter_month() -> None:
    # 31 March minus one month is 28 February (clamped); the window starts the day after.
    assert resolve("last 1 month", QUARTER_END) == ("2026-03-01", "2026-03-31", "last_n_months:1")


def test_last_n_months_crosses_the_year_boundary() -> None:
    assert resolve("ultimos 3 meses", NEW_YEAR) == ("2025-10-03", "2026-01-02", "last_n_months:3")


@pytest.mark.parametrize("text", ["últimos 0 días", "last 99999 days", "hace 0 dias"])
def test_empty_or_impossible_windows_are_not_periods(text: str) -> None:
    assert resolve(text) is None


# ------------------------------------------------------------------ month names

MONTH_NAMES = {
    "octubre": ("2026-10-01", "2026-10-31", "month:2026-10"),
    "ventas de Septiembre": ("2026-09-01", "2026-09-30", "month:2026-09"),
    "sales in march": ("2026-03-01", "2026-03-31", "month:2026-03"),
    "en octubre de 2025": ("2025-10-01", "2025-10-31", "month:2025-10"),
    "octubre del 2025": ("2025-10-01", "2025-10-31", "month:2025-10"),
    "oct 2025": ("2025-10-01", "2025-10-31", "month:2025-10"),
    "October 2025": ("2025-10-01", "2025-10-31", "month:2025-10"),
    "sept 2024": ("2024-09-01", "2024-09-30", "month:2024-09"),
    "set. 2024": ("2024-09-01", "2024-09-30", "month:2024-09"),
    "ene-2025": ("2025-01-01", "2025-01-31", "month:2025-01"),
    "in may": ("2026-05-01", "2026-05-31", "month:2026-05"),
}


@pytest.mark.parametrize(("text", "expected"), cases(MONTH_NAMES))
def test_month_names_in_both_languages(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


def test_month_without_year_after_the_current_month_is_last_years() -> None:
    assert resolve("diciembre") == ("2025-12-01", "2025-12-31", "month:2025-12")


def test_current_month_by_name_runs_from_the_first_to_today() -> None:
    assert resolve("noviembre") == ("2026-11-01", "2026-11-25", "month:2026-11")


def test_month_without_year_early_in_january() -> None:
    assert resolve("enero", NEW_YEAR) == ("2026-01-01", "2026-01-02", "month:2026-01")
    assert resolve("febrero", NEW_YEAR) == ("2025-02-01", "2025-02-28", "month:2025-02")


@pytest.mark.parametrize(
    "text", ["may I see the report?", "set the filter", "vista al mar", "3 days ago"]
)
def test_month_abbreviations_that_are_ordinary_words_need_context(text: str) -> None:
    period = resolve(text)

    assert period is None or not period[2].startswith("month:")


# --------------------------------------------------------------------- weekdays

WEEKDAY_NAMES = {
    "el lunes": ("2026-11-23", "2026-11-23", "weekday:2026-11-23"),
    "el martes pasado": ("2026-11-24", "2026-11-24", "weekday:2026-11-24"),
    "el miércoles": ("2026-11-18", "2026-11-18", "weekday:2026-11-18"),
    "ventas del sábado": ("2026-11-21", "2026-11-21", "weekday:2026-11-21"),
    "last monday": ("2026-11-23", "2026-11-23", "weekday:2026-11-23"),
    "on friday": ("2026-11-20", "2026-11-20", "weekday:2026-11-20"),
}


@pytest.mark.parametrize(("text", "expected"), cases(WEEKDAY_NAMES))
def test_weekday_is_the_most_recent_one_strictly_before_today(
    text: str, expected: Expected
) -> None:
    assert resolve(text) == expected


def test_weekday_named_on_that_weekday_is_one_week_back() -> None:
    assert resolve("el miércoles") == ("2026-11-18", "2026-11-18", "weekday:2026-11-18")


@pytest.mark.parametrize("text", ["ventas de los lunes", "cada viernes", "every monday"])
def test_habitual_weekdays_are_not_a_date(text: str) -> None:
    assert resolve(text) is None


# ---------------------------------------------------------------- explicit dates

EXPLICIT_DATES = {
    "24/11/2026": "2026-11-24",
    "24-11-2026": "2026-11-24",
    "24.11.2026": "2026-11-24",
    "24/11/26": "2026-11-24",
    "2026-11-24": "2026-11-24",
    "24-nov-2026": "2026-11-24",
    "24 de noviembre": "2026-11-24",
    "el 24 de noviembre de 2026": "2026-11-24",
    "1ro de octubre": "2026-10-01",
    "November 24": "2026-11-24",
    "November 24, 2026": "2026-11-24",
    "nov 24th": "2026-11-24",
    "24 nov": "2026-11-24",
    "the 3rd of march 2025": "2025-03-03",
    "ventas del 24/11": "2026-11-24",
    "03/04/2026": "2026-04-03",
}


@pytest.mark.parametrize(
    ("text", "day"), [pytest.param(t, d, id=t) for t, d in EXPLICIT_DATES.items()]
)
def test_explicit_dates_are_day_first_except_iso(text: str, day: str) -> None:
    assert resolve(text) == (day, day, f"date:{day}")


def test_date_without_year_is_the_latest_one_not_after_today() -> None:
    assert resolve("26 de noviembre") == ("2025-11-26", "2025-11-26", "date:2025-11-26")
    assert resolve("24 de diciembre", NEW_YEAR) == (
        "2025-12-24",
        "2025-12-24",
        "date:2025-12-24",
    )


def test_february_29_without_year_looks_back_to_a_leap_year() -> None:
    assert resolve("29 feb") == ("2024-02-29", "2024-02-29", "date:2024-02-29")


@pytest.mark.parametrize(
    "text", ["31/02/2026", "31 de febrero", "32 de enero", "2025-13-45", "99/99/9999"]
)
def test_impossible_dates_are_ignored(text: str) -> None:
    assert resolve(text) is None


@pytest.mark.parametrize("text", ["1.5 kg", "de 10-15 unidades", "precio de 1/2 kilo"])
def test_numbers_that_look_like_dates_are_not_dates(text: str) -> None:
    assert resolve(text) is None


# ----------------------------------------------------------------------- ranges

RANGES = {
    "del 1 al 15 de noviembre": ("2026-11-01", "2026-11-15"),
    "desde el 1 de octubre hasta el 15 de octubre": ("2026-10-01", "2026-10-15"),
    "entre el 01/10/2026 y el 15/10/2026": ("2026-10-01", "2026-10-15"),
    "from 2026-10-01 to 2026-10-15": ("2026-10-01", "2026-10-15"),
    "between Oct 1 and Oct 15": ("2026-10-01", "2026-10-15"),
    "between the 1st and the 15th of october": ("2026-10-01", "2026-10-15"),
    "del 1/10 al 15/10/2026": ("2026-10-01", "2026-10-15"),
    "de enero a marzo": ("2026-01-01", "2026-03-31"),
    "from may to june 2025": ("2025-05-01", "2025-06-30"),
    "entre 2024 y 2025": ("2024-01-01", "2025-12-31"),
    "del 1 al 15": ("2026-11-01", "2026-11-15"),
    "desde el 3 hasta hoy": ("2026-11-03", "2026-11-25"),
    "desde el 1 de octubre": ("2026-10-01", "2026-11-25"),
    "since Oct 1": ("2026-10-01", "2026-11-25"),
}


@pytest.mark.parametrize(("text", "dates"), [pytest.param(t, d, id=t) for t, d in RANGES.items()])
def test_explicit_ranges(text: str, dates: tuple[str, str]) -> None:
    assert resolve(text) == (*dates, "range")


def test_range_across_new_year_without_years() -> None:
    assert resolve("del 20 de diciembre al 5 de enero", NEW_YEAR) == (
        "2025-12-20",
        "2026-01-05",
        "range",
    )


def test_range_of_bare_days_still_ahead_this_month_is_last_month() -> None:
    assert resolve("del 10 al 20", date(2026, 11, 5)) == ("2026-10-10", "2026-10-20", "range")


@pytest.mark.parametrize("text", ["del 15 al 1 de noviembre", "de 5 a 10 unidades", "del 31 al 1"])
def test_backwards_or_unitless_ranges_are_not_ranges(text: str) -> None:
    period = resolve(text)

    assert period is None or period[2] != "range"


# ----------------------------------------------------------------------- typos

TYPOS = {
    "ayet": ("2026-11-24", "2026-11-24", "yesterday"),
    "yesteday": ("2026-11-24", "2026-11-24", "yesterday"),
    "yesterdy": ("2026-11-24", "2026-11-24", "yesterday"),
    "la smana pasada": ("2026-11-16", "2026-11-22", "last_week"),
    "la semna pasada": ("2026-11-16", "2026-11-22", "last_week"),
    "semana pasdo": ("2026-11-16", "2026-11-22", "last_week"),
    "el mes pasdo": ("2026-10-01", "2026-10-31", "last_month"),
    "lst week": ("2026-11-16", "2026-11-22", "last_week"),
    "tody": ("2026-11-25", "2026-11-25", "today"),
}


@pytest.mark.parametrize(("text", "expected"), cases(TYPOS))
def test_common_typos_are_tolerated(text: str, expected: Expected) -> None:
    assert resolve(text) == expected


# --------------------------------------------------------- month/year boundaries

BOUNDARIES = {
    (NEW_YEAR, "last week"): ("2025-12-22", "2025-12-28", "last_week"),
    (NEW_YEAR, "el mes pasado"): ("2025-12-01", "2025-12-31", "last_month"),
    (NEW_YEAR, "este mes"): ("2026-01-01", "2026-01-02", "this_month"),
    (NEW_YEAR, "last quarter"): ("2025-10-01", "2025-12-31", "last_quarter"),
    (NEW_YEAR, "este año"): ("2026-01-01", "2026-01-02", "this_year"),
    (NEW_YEAR, "ayer"): ("2026-01-01", "2026-01-01", "yesterday"),
    (NEW_YEAR, "hace 5 días"): ("2025-12-28", "2025-12-28", "days_ago:5"),
    (NEW_YEAR, "last 7 days"): ("2025-12-27", "2026-01-02", "last_n_days:7"),
    (NEW_YEAR, "fin de semana pasado"): ("2025-12-27", "2025-12-28", "last_weekend"),
    (QUARTER_END, "el mes pasado"): ("2026-02-01", "2026-02-28", "last_month"),
    (QUARTER_END, "este mes"): ("2026-03-01", "2026-03-31", "this_month"),
    (QUARTER_END, "este trimestre"): ("2026-01-01", "2026-03-31", "this_quarter"),
    (QUARTER_END, "last quarter"): ("2025-10-01", "2025-12-31", "last_quarter"),
    (QUARTER_END, "últimos 3 meses"): ("2026-01-01", "2026-03-31", "last_n_months:3"),
    (QUARTER_END, "la semana pasada"): ("2026-03-23", "2026-03-29", "last_week"),
}


@pytest.mark.parametrize(
    ("today", "text", "expected"),
    [pytest.param(d, t, e, id=f"{d}-{t}") for (d, t), e in BOUNDARIES.items()],
)
def test_periods_across_month_quarter_and_year_boundaries(
    today: date, text: str, expected: Expected
) -> None:
    assert resolve(text, today) == expected


# ------------------------------------------------------- choosing among several


def test_explicit_range_wins_over_other_expressions() -> None:
    assert resolve("este mes, del 1 al 15 de noviembre") == ("2026-11-01", "2026-11-15", "range")


def test_most_specific_expression_wins() -> None:
    assert resolve("ventas de la semana pasada vs ayer") == (
        "2026-11-24",
        "2026-11-24",
        "yesterday",
    )


def test_first_expression_wins_between_equally_specific_ones() -> None:
    assert resolve("compare last month with this month") == (
        "2026-10-01",
        "2026-10-31",
        "last_month",
    )


def test_a_year_inside_a_longer_expression_is_not_read_alone() -> None:
    assert resolve("ventas de octubre de 2025 vs 2024") == (
        "2025-10-01",
        "2025-10-31",
        "month:2025-10",
    )


def test_fin_de_semana_pasado_is_not_last_week() -> None:
    assert resolve("el fin de semana pasado") == ("2026-11-21", "2026-11-22", "last_weekend")


# ------------------------------------------------------------------ the Period


def test_period_text_is_the_users_own_words() -> None:
    period = extract_period("¿Cuánto vendimos la SEMANA PASADA?", TODAY)

    assert period is not None
    assert period.text == "la SEMANA PASADA"


def test_period_to_dict_is_json_friendly() -> None:
    period = Period(date(2026, 11, 16), date(2026, 11, 22), "last_week", "la semana pasada")

    assert period.to_dict() == {
        "start": "2026-11-16",
        "end": "2026-11-22",
        "label": "last_week",
        "text": "la semana pasada",
    }


# ------------------------------------------------------------ no period, garbage


@pytest.mark.parametrize(
    "text",
    ["hola", "top 10 productos", "hazme un pdf", "ventas por región", "sales by product", "ok"],
)
def test_messages_without_time_expressions_have_no_period(text: str) -> None:
    assert extract_period(text, TODAY) is None


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "😀🔥💸",
        "\x00\x01\n\t",
        "¿¡?!",
        "ayer " * 2000,
        "x" * 10_000,
        "del 1 al " * 1000,
        "9" * 10_000,
        "hace 99999999999 dias",
        "ultimos 99999 meses",
        "01/01/0001",
        "ﷺ ǅ İİİ ß",
    ],
)
def test_garbage_input_never_raises(text: str) -> None:
    extract_period(text, TODAY)


def test_extracting_periods_from_a_thousand_messages_is_fast() -> None:
    messages = [f"{text} #{i}" for i in range(20) for text in (*SINGLE_DAYS, *RANGES, *ROLLING)]
    messages = (messages * 2)[:1000]

    started = time.perf_counter()
    for message in messages:
        extract_period(message, TODAY)

    assert time.perf_counter() - started < 1.0


def test_random_token_soup_never_raises_and_never_gives_a_backwards_period() -> None:
    tokens = [
        *("del", "de", "al", "desde", "el", "hasta", "entre", "y", "and", "to", "from"),
        *("1", "15", "31", "0", "99", "2025", "2026", "24/11", "31/02", "2026-02-30", "1/2"),
        *("q1", "q5", "primer", "trimestre", "may", "mar", "ago", "octubre", "November"),
        *("dias", "days", "semanas", "ultimos", "last", "hace", "ayer", "hoy", "lunes"),
        *("pasado", "fin", "semana", "weekend", "este", "mes", "año", "year", ",", "?", "¿"),
        *("-", "/", "😀", "İ"),
    ]
    rng = random.Random(20261125)

    for _ in range(2000):
        text = " ".join(rng.choice(tokens) for _ in range(rng.randint(0, 10)))
        today = date(2026, 1, 1) + timedelta(days=rng.randint(0, 730))

        period = extract_period(text, today)

        assert period is None or period.start <= period.end
