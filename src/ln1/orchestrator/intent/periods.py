"""Time expressions in chat messages, resolved to inclusive date ranges.

Staff ask "¿cuánto vendimos ayer?", "sales last month", "del 1 al 15 de noviembre".
The engine needs a concrete ``start``/``end`` to query, a canonical label to cache
and explain the answer with, and the words the user typed to echo back.

Every pattern runs on :func:`~ln1.orchestrator.intent.text.fold` output, which is
lowercase and accent-free but aligned character by character with the original,
so a match's span cuts the user's own words out of the message.

Choosing among several expressions: an expression inside a longer one is dropped
("2025" inside "octubre de 2025"); then an explicit range wins; then the finest
granularity (day < week < month < quarter < year); then the earliest in the text.
Calendar units that contain today (a month, quarter or year) end today, because
sales after today do not exist yet.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import NamedTuple

from ln1.orchestrator.intent.text import fold


@dataclass(frozen=True)
class Period:
    """An inclusive date range, its canonical label and the text it came from."""

    start: date
    end: date
    label: str
    text: str

    def to_dict(self) -> dict[str, str]:
        """JSON-friendly form, as stored in the conversation's slots."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "label": self.label,
            "text": self.text,
        }


@dataclass(frozen=True)
class PeriodMatch:
    """A resolved period with its character span in the message."""

    period: Period
    start: int
    end: int


class _Candidate(NamedTuple):
    start: int
    end: int
    period: Period | None  # None: a written date that does not exist


Resolved = tuple[date, date, str]
Resolver = Callable[[re.Match[str], date], Resolved | None]
_Point = tuple[int | None, int | None, int | None]  # (year, month, day), any unknown
_MonthPoint = tuple[int | None, int, int | None]  # the month is known

# --------------------------------------------------------------------------- words

MONTHS: dict[str, int] = {
    "enero": 1, "ene": 1, "january": 1, "jan": 1,
    "febrero": 2, "feb": 2, "february": 2,
    "marzo": 3, "mar": 3, "march": 3,
    "abril": 4, "abr": 4, "april": 4, "apr": 4,
    "mayo": 5, "may": 5,
    "junio": 6, "jun": 6, "june": 6,
    "julio": 7, "jul": 7, "july": 7,
    "agosto": 8, "ago": 8, "august": 8, "aug": 8,
    "septiembre": 9, "setiembre": 9, "september": 9, "sept": 9, "sep": 9, "set": 9,
    "octubre": 10, "oct": 10, "october": 10,
    "noviembre": 11, "nov": 11, "november": 11,
    "diciembre": 12, "dic": 12, "december": 12, "dec": 12,
}  # fmt: skip
# Month words that are also ordinary words ("may I", "3 days ago", "set", "mar").
# Alone they only count after a preposition: "en mayo" yes, "may I see" no.
_AMBIGUOUS_MONTHS = frozenset({"mar", "may", "ago", "set"})
_MONTH_PREPOSITIONS = frozenset(
    {"en", "de", "del", "durante", "desde", "hasta", "in", "for", "during", "of", "since"}
)

WEEKDAYS: dict[str, int] = {
    "lunes": 0, "martes": 1, "miercoles": 2, "jueves": 3, "viernes": 4, "sabado": 5,
    "domingo": 6, "monday": 0, "tuesday": 1, "wednesday": 2, "thursday": 3, "friday": 4,
    "saturday": 5, "sunday": 6,
}  # fmt: skip
# "los lunes", "every monday" mean all Mondays, not one date.
_HABITUAL_WORDS = frozenset({"los", "cada", "todos", "every", "each"})

NUMBER_WORDS: dict[str, int] = {
    "un": 1, "una": 1, "uno": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6,
    "siete": 7, "ocho": 8, "nueve": 9, "diez": 10, "once": 11, "doce": 12, "quince": 15,
    "veinte": 20, "treinta": 30, "sesenta": 60, "noventa": 90,
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "fifteen": 15,
    "twenty": 20, "thirty": 30, "sixty": 60, "ninety": 90,
}  # fmt: skip

_QUARTER_ORDINALS: dict[str, int] = {
    "primer": 1, "primero": 1, "1er": 1, "1ro": 1, "first": 1, "1st": 1,
    "segundo": 2, "2do": 2, "second": 2, "2nd": 2,
    "tercer": 3, "tercero": 3, "3er": 3, "3ro": 3, "third": 3, "3rd": 3,
    "cuarto": 4, "4to": 4, "fourth": 4, "4th": 4,
}  # fmt: skip


def _alternation(words: Iterable[str]) -> str:
    """Regex alternation, longest first so "marzo" is tried before "mar"."""
    return "(?:" + "|".join(sorted(map(re.escape, words), key=len, reverse=True)) + ")"


# ------------------------------------------------------------- pattern fragments
# Common typos are folded into the word fragments ("ayet", "smana", "pasdo", ...).

_AYER = r"(?:ayer|ayet|ayerr|ayr)"
_YESTERDAY = r"(?:yesterday|yesteday|yesterdy|yesturday|yestarday|yestreday|ystrday|yday)"
_HOY = r"(?:hoy|today|tody|todya|toady)"
_SEMANA = r"(?:semana|smana|semna|semanna|seman)"
_WEEK = rf"(?:{_SEMANA}|week|wek|weeek)"
_MES = r"(?:mes|month|moth|mont|monht|mnth)"
_ANO = r"(?:ano|anio|anyo|year|yr)"
_QUARTER = r"(?:trimestre|quarter|qtr)"
_PAST = r"(?:pasad[ao]|pasd[ao]|psad[ao]|pasaad[ao]|anterior|previ[ao])"
_LAST = r"(?:last|lst|lsat|previous|prior|past)"
_THIS = r"(?:est[ea]|this|current|el\s+presente|la\s+presente)"
_TO_DATE = r"(?:(?:en\s+)?lo\s+que\s+va\s+de(?:l|\s+la|\s+est[ea])?)"
_NUM = rf"(?:\d{{1,4}}|{_alternation(NUMBER_WORDS)})"
_MONTH = _alternation(MONTHS)
_WEEKDAY = _alternation(WEEKDAYS)
_YEAR = r"20\d\d(?!\d)"
_ORDINAL_SUFFIX = r"(?:ro|er|st|nd|rd|th|o|°)?"
_YEAR_JOINER = r"(?:\s+del?\s+|\s*[,/-]\s*|\s+)"

# Explicit dates, with named groups; `_anonymous` strips the names for reuse
# inside the range pattern, where each endpoint is parsed again on its own.
_ISO_DATE = r"(?P<y>20\d\d)[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?![\d/-])"
_NUMERIC_DATE = r"(?P<d>\d{1,2})(?P<sep>[/.-])(?P<m>\d{1,2})(?:[/.-](?P<y>\d{4}|\d{2}))?(?![\d/-])"
_DAY_MONTH = (
    rf"(?P<d>\d{{1,2}}){_ORDINAL_SUFFIX}\.?(?:\s+de|\s+of)?(?:\s+|\s*[-/]\s*)"
    rf"(?P<mon>{_MONTH})\b\.?(?:{_YEAR_JOINER}(?P<y>{_YEAR}))?"
)
_MONTH_DAY = (
    rf"(?P<mon>{_MONTH})\b\.?\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?!\d)"
    rf"(?:\s*,?\s*(?P<y>{_YEAR}))?"
)
_MONTH_YEAR = rf"(?P<mon>{_MONTH})\b\.?(?:{_YEAR_JOINER}(?P<y>{_YEAR}))?"
_YEAR_ONLY = rf"(?P<y>{_YEAR})"
_DAY_ONLY = rf"(?P<d>\d{{1,2}}){_ORDINAL_SUFFIX}(?!\d)"
_NOW = r"(?:hoy|today|now|ahora|la\s+fecha)"
_NOW_RE = re.compile(_NOW)


def _anonymous(pattern: str) -> str:
    """Drop group names so a fragment can appear twice in one pattern."""
    return re.sub(r"\(\?P<\w+>", "(?:", pattern)


_POINT_PARSERS = tuple(
    re.compile(p)
    for p in (_ISO_DATE, _DAY_MONTH, _MONTH_DAY, _NUMERIC_DATE, _MONTH_YEAR, _YEAR_ONLY, _DAY_ONLY)
)
_POINT = "(?:" + "|".join(_anonymous(p.pattern) for p in _POINT_PARSERS) + ")"
_RANGE_PREFIX = (
    r"(?:desde(?:\s+el)?|del|de|entre(?:\s+el)?|a\s+partir\s+del?|"
    r"from(?:\s+the)?|between(?:\s+the)?|since(?:\s+the)?)"
)
_RANGE_JOINER = (
    r"(?:al|a|hasta(?:\s+el)?|y(?:\s+el)?|to(?:\s+the)?|and(?:\s+the)?|"
    r"until|till|through|thru|-)"
)
# A bare day number ("del 1 al 15") only reads as a date after an article.
_DAY_PREFIXES = frozenset(
    {"del", "desde el", "entre el", "a partir del", "from the", "between the", "since the"}
)
# Words after which "24/11" (no year) is a day rather than a fraction.
_DAY_ARTICLES = frozenset(
    {"el", "del", "al", "desde", "hasta", "dia", "fecha", "on", "for", "since", "from", "to", "day"}
)
_SINCE_PREFIXES = frozenset(
    {"desde", "desde el", "a partir de", "a partir del", "since", "since the"}
)

# ----------------------------------------------------------------- date helpers


def _safe_date(year: int, month: int, day: int) -> date | None:
    """A date, or None for impossible ones like 31/02."""
    try:
        return date(year, month, day)
    except (ValueError, OverflowError):
        return None


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(day: date, months: int) -> date:
    """Same day ``months`` away, clamped to the month's last day (31 Mar - 1 → 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def _up_to_today(start: date, end: date, today: date) -> tuple[date, date]:
    """Cut a calendar unit that contains today at today."""
    return (start, today) if start <= today < end else (start, end)


def _quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def _quarter_bounds(year: int, quarter: int) -> tuple[date, date]:
    first_month = 3 * quarter - 2
    return date(year, first_month, 1), _month_end(year, first_month + 2)


def _most_recent_year(month: int, day: int, today: date) -> int | None:
    """Year of the latest ``day/month`` on or before today (29 Feb looks back further)."""
    for year in range(today.year, today.year - 8, -1):
        found = _safe_date(year, month, day)
        if found is not None and found <= today:
            return year
    return None


_LAST_WORD = re.compile(r"(\w+)\W*\Z")


def _previous_word(text: str, position: int) -> str:
    """The word just before ``position``, to veto ambiguous readings cheaply."""
    found = _LAST_WORD.search(text, max(0, position - 24), position)
    return found.group(1) if found else ""


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return NUMBER_WORDS.get(token)


def _full_year(token: str) -> int:
    """ "26" in 24/11/26 means 2026; four digits are taken as written."""
    return 2000 + int(token) if len(token) == 2 else int(token)


# -------------------------------------------------------------------- resolvers


def _today(_: re.Match[str], today: date) -> Resolved:
    return today, today, "today"


def _yesterday(_: re.Match[str], today: date) -> Resolved:
    day = today - timedelta(days=1)
    return day, day, "yesterday"


def _day_before_yesterday(_: re.Match[str], today: date) -> Resolved:
    day = today - timedelta(days=2)
    return day, day, "day_before_yesterday"


def _days_ago(match: re.Match[str], today: date) -> Resolved | None:
    count = _number(match.group("n") or match.group("n2"))
    if not count:
        return None
    day = today - timedelta(days=count)
    return day, day, f"days_ago:{count}"


def _this_week(_: re.Match[str], today: date) -> Resolved:
    return today - timedelta(days=today.weekday()), today, "this_week"


def _last_week(_: re.Match[str], today: date) -> Resolved:
    monday = today - timedelta(days=today.weekday() + 7)
    return monday, monday + timedelta(days=6), "last_week"


def _last_weekend(_: re.Match[str], today: date) -> Resolved:
    sunday = today - timedelta(days=(today.weekday() - 6) % 7 or 7)
    return sunday - timedelta(days=1), sunday, "last_weekend"


def _this_month(_: re.Match[str], today: date) -> Resolved:
    return today.replace(day=1), today, "this_month"


def _last_month(_: re.Match[str], today: date) -> Resolved:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end, "last_month"


def _this_quarter(_: re.Match[str], today: date) -> Resolved:
    start, _end = _quarter_bounds(today.year, _quarter_of(today))
    return start, today, "this_quarter"


def _last_quarter(_: re.Match[str], today: date) -> Resolved:
    start, _end = _quarter_bounds(today.year, _quarter_of(today))
    previous = start - timedelta(days=1)
    first, last = _quarter_bounds(previous.year, _quarter_of(previous))
    return first, last, "last_quarter"


def _this_year(_: re.Match[str], today: date) -> Resolved:
    return date(today.year, 1, 1), today, "this_year"


def _last_year(_: re.Match[str], today: date) -> Resolved:
    return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31), "last_year"


def _last_n(match: re.Match[str], today: date) -> Resolved | None:
    """Rolling windows ending today: last N days, weeks, months or years."""
    count = _number(match.group("n") or match.group("n2"))
    unit = (match.group("unit") or match.group("unit2"))[0]
    if not count:
        return None
    if unit == "d":
        start, name = today - timedelta(days=count - 1), "days"
    elif unit in "sw":
        start, name = today - timedelta(days=7 * count - 1), "weeks"
    elif unit == "m":
        start, name = _add_months(today, -count) + timedelta(days=1), "months"
    else:
        start, name = _add_months(today, -12 * count) + timedelta(days=1), "years"
    return start, today, f"last_n_{name}:{count}"


def _weekday(match: re.Match[str], today: date) -> Resolved | None:
    """Most recent such weekday strictly before today ("el lunes", "last monday")."""
    if match.group("lead") is None and _previous_word(match.string, match.start()) in (
        _HABITUAL_WORDS
    ):
        return None
    weekday = WEEKDAYS[match.group("wd")]
    day = today - timedelta(days=(today.weekday() - weekday) % 7 or 7)
    return day, day, f"weekday:{day.isoformat()}"


def _month(match: re.Match[str], today: date) -> Resolved | None:
    """A named month; without a year, the latest one not after the current month."""
    name, year_text = match.group("mon"), match.group("y")
    month = MONTHS[name]
    if year_text is None:
        if name in _AMBIGUOUS_MONTHS and (
            _previous_word(match.string, match.start()) not in _MONTH_PREPOSITIONS
        ):
            return None
        year = today.year if month <= today.month else today.year - 1
    else:
        year = int(year_text)
    start, end = _up_to_today(date(year, month, 1), _month_end(year, month), today)
    return start, end, f"month:{year:04d}-{month:02d}"


def _quarter(match: re.Match[str], today: date) -> Resolved | None:
    """Q1..Q4 or "primer trimestre"; without a year, the latest not after this quarter."""
    groups = match.groupdict()
    quarter = int(groups["q"]) if groups.get("q") else _QUARTER_ORDINALS[groups["ord"]]
    year_text = groups.get("y1") or groups.get("y2") or groups.get("y3")
    if year_text is None:
        year = today.year if quarter <= _quarter_of(today) else today.year - 1
    else:
        year = int(year_text)
    start, end = _up_to_today(*_quarter_bounds(year, quarter), today)
    return start, end, f"quarter:{year:04d}-Q{quarter}"


def _year(match: re.Match[str], today: date) -> Resolved:
    year = int(match.group("y"))
    start, end = _up_to_today(date(year, 1, 1), date(year, 12, 31), today)
    return start, end, f"year:{year:04d}"


def _explicit_date(match: re.Match[str], today: date) -> Resolved | None:
    """A written date; day-first unless ISO; without a year, the latest not after today."""
    groups = match.groupdict()
    if groups.get("sep") and groups.get("y") is None and not _reads_as_day(match):
        return None  # "1.5", "10-15", "1/2 kilo" are numbers, not dates
    year, month, day = _parse_groups(groups)
    if month is None or day is None:
        return None
    if year is None:
        year = _most_recent_year(month, day, today)
        if year is None:
            return None
    found = _safe_date(year, month, day)
    if found is None:
        return None
    return found, found, f"date:{found.isoformat()}"


def _reads_as_day(match: re.Match[str]) -> bool:
    """ "24/11" is a date after "el", "del", "on"...; "1.5" and "10-15" never are."""
    if match.group("sep") != "/":
        return False
    previous = _previous_word(match.string, match.start())
    return previous == "" or previous in _DAY_ARTICLES


def _parse_groups(groups: dict[str, str | None]) -> _Point:
    """(year, month, day) from whichever named date groups matched."""
    year = _full_year(groups["y"]) if groups.get("y") else None
    if groups.get("mon"):
        month: int | None = MONTHS[groups["mon"] or ""]
    else:
        month = int(groups["m"]) if groups.get("m") else None
    day = int(groups["d"]) if groups.get("d") else None
    return year, month, day


def _parse_point(text: str) -> _Point | None:
    """Parse one range endpoint, trying the same shapes as the single-date patterns."""
    for parser in _POINT_PARSERS:
        found = parser.fullmatch(text)
        if found is not None:
            if found.groupdict().get("sep") in {".", "-"} and found.group("y") is None:
                return None
            return _parse_groups(found.groupdict())
    return None


def _fill_months(a: _Point, b: _Point) -> tuple[_MonthPoint, _MonthPoint] | None:
    """Let "1" borrow the month of "15 de noviembre"; a bare year spans Jan..Dec."""
    (ya, ma, da), (yb, mb, db) = a, b
    if da is not None and ma is None:
        ma = mb
    if db is not None and mb is None:
        mb = ma
    if (da is not None and ma is None) or (db is not None and mb is None):
        return None
    if ma is None:
        ma = 1
    if mb is None:
        mb = 12
    return (ya, ma, da), (yb, mb, db)


def _range_dates(a: _Point, b: _Point, today: date) -> tuple[date, date] | None:
    """Resolve two partial endpoints; missing years follow the other end or today."""
    filled = _fill_months(a, b)
    if filled is None:
        return None
    (ya, ma, da), (yb, mb, db) = filled
    ordered = (mb, db or 31) >= (ma, da or 1)
    if not ordered and mb >= ma and (ya is None or yb is None):
        return None  # "del 15 al 1 de noviembre" is backwards, not a year-long range
    if ya is None and yb is not None:
        ya = yb if ordered else yb - 1
    if ya is None:
        ya = _most_recent_year(ma, da or 1, today) or today.year
    if yb is None:
        yb = ya if ordered else ya + 1
    start = _safe_date(ya, ma, da or 1)
    end = _safe_date(yb, mb, db or calendar.monthrange(yb, mb)[1]) if 1 <= mb <= 12 else None
    if start is None or end is None or end < start:
        return None
    return start, end


def _bare_day_range(first: int, last: int, today: date) -> tuple[date, date] | None:
    """ "del 1 al 15": this month, or last month when the 1st day is still ahead."""
    month_start = today.replace(day=1)
    if first > today.day:
        month_start = (month_start - timedelta(days=1)).replace(day=1)
    start = _safe_date(month_start.year, month_start.month, first)
    end = _safe_date(month_start.year, month_start.month, last)
    if start is None or end is None or end < start:
        return None
    return start, end


def _range(match: re.Match[str], today: date) -> Resolved | None:
    """ "del 1 al 15 de noviembre", "from 2026-10-01 to 2026-10-15", "desde el 3 hasta hoy"."""
    prefix = " ".join(match.group("pre").split())
    a = _parse_point(match.group("a"))
    if a is None:
        return None
    if _NOW_RE.fullmatch(match.group("b")):
        return _since_dates(a, prefix, today)
    b = _parse_point(match.group("b"))
    if b is None:
        return None
    if a[:2] == (None, None) and b[:2] == (None, None):
        if prefix not in _DAY_PREFIXES or a[2] is None or b[2] is None:
            return None
        dates = _bare_day_range(a[2], b[2], today)
    else:
        dates = _range_dates(a, b, today)
    return (*dates, "range") if dates else None


def _since_dates(point: _Point, prefix: str, today: date) -> Resolved | None:
    """Open range "desde el 1 de octubre", "since Oct 1" → that day..today."""
    _year, month, day = point
    if month is None and day is not None:
        if prefix not in _DAY_PREFIXES:
            return None
        dates = _bare_day_range(day, today.day, today)
        if dates is None:
            return None
        return dates[0], today, "range"
    dates = _range_dates(point, (today.year, today.month, today.day), today)
    return (*dates, "range") if dates else None


def _since(match: re.Match[str], today: date) -> Resolved | None:
    prefix = " ".join(match.group("pre").split())
    point = _parse_point(match.group("a"))
    if point is None or prefix not in _SINCE_PREFIXES:
        return None
    return _since_dates(point, prefix, today)


# -------------------------------------------------------------------- patterns

_UNIT = r"(?:dias?|days?|semanas?|smanas?|semnas?|weeks?|meses|mes|months?|anos?|anios?|years?)"

_MATCHERS: tuple[tuple[re.Pattern[str], Resolver], ...] = tuple(
    (re.compile(pattern), resolver)
    for pattern, resolver in (
        (
            rf"\b(?P<pre>{_RANGE_PREFIX})\s+(?P<a>{_POINT})\s+{_RANGE_JOINER}\s+"
            rf"(?P<b>{_POINT}|{_NOW})(?![\w/])",
            _range,
        ),
        (rf"\b(?P<pre>{_RANGE_PREFIX})\s+(?P<a>{_POINT})(?![\w/])", _since),
        (rf"(?<![\d/.-]){_ISO_DATE}", _explicit_date),
        (rf"(?<![\d/.-]){_NUMERIC_DATE}", _explicit_date),
        (rf"\b{_DAY_MONTH}", _explicit_date),
        (rf"\b{_MONTH_DAY}", _explicit_date),
        (rf"\b{_MONTH_YEAR}", _month),
        (
            rf"\b(?:anteayer|anteayet|antier|ante\s+{_AYER}|antes\s+de\s+{_AYER}|"
            rf"(?:the\s+)?day\s+before\s+{_YESTERDAY})\b",
            _day_before_yesterday,
        ),
        (rf"\b(?:{_AYER}|{_YESTERDAY})\b", _yesterday),
        (rf"\b(?:el\s+dia\s+de\s+)?{_HOY}\b", _today),
        (rf"\bhace\s+(?P<n>{_NUM})\s+dias?\b|\b(?P<n2>{_NUM})\s+days?\s+ago\b", _days_ago),
        (
            rf"\b(?:(?:el|del|the)\s+)?(?:fin\s+de\s+{_SEMANA}|finde)(?:\s+{_PAST})?\b|"
            rf"\b(?:(?:the|{_LAST})\s+)?weekend\b",
            _last_weekend,
        ),
        (
            rf"\b(?:{_THIS}\s+{_WEEK}|{_SEMANA}\s+(?:actual|en\s+curso)|"
            rf"{_TO_DATE}\s+{_SEMANA}|week[\s-]+to[\s-]+date|wtd)\b",
            _this_week,
        ),
        (
            rf"\b(?:(?:la\s+)?{_SEMANA}\s+(?:{_PAST}|ultima)|(?:la\s+)?ultima\s+{_SEMANA}|"
            rf"(?:the\s+)?{_LAST}\s+{_WEEK})\b",
            _last_week,
        ),
        (
            rf"\b(?:{_THIS}\s+{_MES}|mes\s+(?:actual|en\s+curso)|mes\s+a\s+la\s+fecha|"
            rf"{_TO_DATE}\s+mes|month[\s-]+to[\s-]+date|mtd)\b",
            _this_month,
        ),
        (
            rf"\b(?:(?:el\s+)?mes\s+{_PAST}|(?:el\s+)?ultimo\s+mes|(?:the\s+)?{_LAST}\s+{_MES})\b",
            _last_month,
        ),
        (
            rf"\b(?:{_THIS}\s+{_QUARTER}|{_QUARTER}\s+(?:actual|en\s+curso)|"
            rf"{_TO_DATE}\s+trimestre|quarter[\s-]+to[\s-]+date|qtd)\b",
            _this_quarter,
        ),
        (
            rf"\b(?:(?:el\s+)?trimestre\s+{_PAST}|(?:el\s+)?ultimo\s+trimestre|"
            rf"(?:the\s+)?{_LAST}\s+{_QUARTER})\b",
            _last_quarter,
        ),
        (
            rf"(?<![a-z\d])(?:(?P<y1>{_YEAR})\s*[-/]?\s*)?q(?P<q>[1-4])(?![a-z\d])"
            rf"(?:\s*(?:del?\s+|of\s+|[-/,]\s*)?(?P<y2>{_YEAR}))?|"
            rf"\b(?P<ord>{_alternation(_QUARTER_ORDINALS)})\s+{_QUARTER}\b"
            rf"(?:\s*(?:del?|of|,)?\s*(?:(?:ano|year)\s+)?(?P<y3>{_YEAR}))?",
            _quarter,
        ),
        (
            rf"\b(?:{_THIS}\s+{_ANO}|(?:ano|anio)\s+(?:actual|en\s+curso)|"
            rf"{_TO_DATE}\s+(?:ano|anio)|(?:ano|anio)\s+a\s+la\s+fecha|"
            rf"year[\s-]+to[\s-]+date|ytd)\b",
            _this_year,
        ),
        (
            rf"\b(?:(?:el\s+)?(?:ano|anio)\s+{_PAST}|(?:el\s+)?ultimo\s+(?:ano|anio)|"
            rf"(?:the\s+)?{_LAST}\s+(?:year|yr))\b",
            _last_year,
        ),
        (
            rf"\b(?:(?:los|las|the)\s+)?(?:ultim[oa]s|{_LAST})\s+(?P<n>{_NUM})\s+(?P<unit>{_UNIT})\b|"
            rf"\b(?:(?:los|las|the)\s+)?(?P<n2>{_NUM})\s+(?P<unit2>{_UNIT})\s+"
            rf"(?:pasad[oa]s|anteriores|previos)\b",
            _last_n,
        ),
        (
            rf"\b(?:(?P<lead>el|del|on|last|this\s+past|past)\s+)?(?P<wd>{_WEEKDAY})"
            rf"(?:\s+{_PAST})?\b",
            _weekday,
        ),
        (
            rf"(?<![\w/.:$,-]){_YEAR_ONLY}(?!\w|[/.:,-]\w)(?!\s*%)"
            r"(?!\s+(?:unidades|units|pedidos|orders|soles|dolares|dollars|usd|eur|euros|"
            r"pesos|productos|products|clientes|customers|items|piezas|cajas)\b)",
            _year,
        ),
    )
)

# Finer periods win when two expressions do not overlap; ranges always win.
_GRANULARITY = {
    "range": 0,
    "date": 1, "weekday": 1, "today": 1, "yesterday": 1, "day_before_yesterday": 1,
    "days_ago": 1,
    "last_weekend": 2, "this_week": 2, "last_week": 2,
    "month": 3, "this_month": 3, "last_month": 3,
    "quarter": 4, "this_quarter": 4, "last_quarter": 4,
    "year": 5, "this_year": 5, "last_year": 5,
}  # fmt: skip


def _granularity(period: Period) -> int:
    """Rank used to pick the most specific expression; rolling windows by length."""
    kind = period.label.split(":", 1)[0]
    if kind in _GRANULARITY:
        return _GRANULARITY[kind]
    days = (period.end - period.start).days + 1
    return 1 if days <= 1 else 2 if days <= 14 else 3 if days <= 62 else 4 if days <= 190 else 5


# ------------------------------------------------------------------- searching


def _resolve(resolver: Resolver, match: re.Match[str], today: date) -> Resolved | None:
    try:
        return resolver(match, today)
    except (ValueError, OverflowError, KeyError):
        return None


def _candidates(folded: str, original: str, today: date) -> list[_Candidate]:
    """Every time expression in the message, overlapping or not.

    An impossible written date ("31 de febrero") stays as a candidate without a
    period, so it hides the month inside it instead of silently becoming that month.
    """
    found: list[_Candidate] = []
    for pattern, resolver in _MATCHERS:
        for match in pattern.finditer(folded):
            resolved = _resolve(resolver, match, today)
            if resolved is not None:
                start, end, label = resolved
                period = Period(start, end, label, original[match.start() : match.end()].strip())
                found.append(_Candidate(match.start(), match.end(), period))
            elif resolver is _explicit_date:
                found.append(_Candidate(match.start(), match.end(), None))
    return found


def _outermost(candidates: list[_Candidate], length: int) -> list[PeriodMatch]:
    """Drop expressions that overlap a longer one ("2025" inside "octubre de 2025")."""
    taken = bytearray(length)
    kept: list[PeriodMatch] = []
    for candidate in sorted(candidates, key=lambda c: (c.start - c.end, c.start)):
        if taken.find(1, candidate.start, candidate.end) != -1:
            continue
        taken[candidate.start : candidate.end] = b"\x01" * (candidate.end - candidate.start)
        if candidate.period is not None:
            kept.append(PeriodMatch(candidate.period, candidate.start, candidate.end))
    return kept


def find_period(folded: str, original: str, today: date) -> PeriodMatch | None:
    """Best period in an already folded message, with its span.

    ``folded`` must be ``fold(original)``; slot extraction folds once and reuses it.
    """
    matches = _outermost(_candidates(folded, original, today), len(folded))
    if not matches:
        return None
    return min(matches, key=lambda m: (_granularity(m.period), m.start))


def extract_period(text: str, today: date) -> Period | None:
    """The most specific time expression in a chat message, resolved against ``today``.

    ``today`` is the current date in the company's time zone. Returns None when
    the message has no time expression; never raises on odd input.
    """
    if not text:
        return None
    found = find_period(fold(text), text, today)
    return found.period if found else None
