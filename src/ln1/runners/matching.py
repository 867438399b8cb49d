"""Pick the runner catalog query that answers a data question, and fill its arguments.

A runner announces its catalog: named queries with a description, keywords and typed
parameters, never the SQL. The orchestrator has already read the question's slots (metric,
period, grouping, limit, filters) by rules; this module chooses among the announced queries by
rules too, so the choice is fast, predictable and explainable, and it never invents a query.

Scoring, per entry:

* keywords found in the message (accent- and case-insensitive, singular and plural alike),
  one point per message word they cover, a little more for a multi-word keyword;
* a little for description words found in the message;
* the breakdown: the entry's dimension (product, customer, region, seller, day …, read from its
  name and one-word keywords) against what the question groups by (the ``group_by`` slot, else
  dimension words in the message). A question grouped by region favours the by-region query; a
  question with no breakdown ("ventas de ayer") favours a plain time series over a ranking.

An entry only fits when the message says *what* to measure in the entry's terms (a keyword that
is not a mere dimension word such as "ventas", "top", "revenue", or the question's metric
matching the entry's keywords): "¿cuántos clientes tenemos?" mentions customers but asks for
nothing a sales catalog measures. It is also refused when a required parameter cannot be filled
or when the question filters on something (a customer, a region …) the query cannot filter on,
because answering without the filter would be wrong, not merely rough.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ln1.orchestrator.intent.text import detect_language, normalize

DEFAULT_PERIOD_DAYS = 30
DEFAULT_PERIOD_LABEL = "default:last_30_days"
"""Label of the period used when the question names none: the 30 days ending today.

Thirty days rather than "this month so far", which on the 1st of a month is a single,
half-finished day; the summary says which dates were used."""
DEFAULT_LIMIT = 10
MIN_SCORE = 1.0

_TIME_DIMENSIONS = frozenset({"day", "week", "month"})
_DIMENSION_TERMS: dict[str, frozenset[str]] = {
    "day": frozenset({"dia", "day", "diario", "diaria", "daily", "fecha", "date", "jornada"}),
    "week": frozenset({"semana", "week", "semanal", "weekly"}),
    "month": frozenset({"mes", "month", "mensual", "monthly"}),
    "product": frozenset({"producto", "product", "articulo", "item", "sku"}),
    "customer": frozenset({"cliente", "customer", "client"}),
    "region": frozenset({"region", "zona", "zone", "sede", "area", "sucursal", "branch"}),
    "seller": frozenset(
        {"vendedor", "vendedora", "seller", "salesperson", "salespeople", "asesor", "ejecutivo"}
    ),
}
_ALL_DIMENSION_TERMS = frozenset().union(*_DIMENSION_TERMS.values())
_METRIC_TERMS: dict[str, frozenset[str]] = {
    "sales": frozenset(
        {"venta", "sale", "revenue", "facturacion", "ingreso", "vendimo", "sold", "turnover"}
    ),
    "units": frozenset({"unidad", "unit", "cantidad", "quantity"}),
    "orders": frozenset({"factura", "invoice", "pedido", "order", "boleta", "transaccion"}),
}
# Words that say nothing about which query fits: they never count as description overlap.
_STOPWORD_TEXT = """a al and de del el en entre for from in la las lo los of on or para por que
the to un una y each cada with con two dos su sus its their per between this este esta"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_FILTER_ALIASES: dict[str, frozenset[str]] = {
    "customer": frozenset({"customer", "cliente", "client"}),
    "product": frozenset({"product", "producto", "articulo", "sku", "item"}),
    "region": frozenset({"region", "zona", "zone", "area", "sede"}),
    "seller": frozenset({"seller", "vendedor", "asesor", "salesperson"}),
}
_START_TOKENS = frozenset({"from", "start", "desde", "inicio", "begin", "since", "first"})
_END_TOKENS = frozenset({"to", "end", "hasta", "fin", "until", "last", "through"})
_LIMIT_TOKENS = frozenset({"limit", "top", "n", "max", "count", "cantidad", "rows", "first"})
_GROUP_TOKENS = frozenset({"group", "by", "dimension", "agrupar", "breakdown"})
_WORD = re.compile(r"[a-z0-9]+")
_IRREGULAR_STEMS = {"meses": "mes", "sales": "sale", "dias": "dia", "series": "serie"}


@dataclass(frozen=True)
class Pick:
    """The chosen query, its arguments (JSON-safe: dates as ISO text) and why.

    ``period`` is the period the date arguments came from, in ``Period.to_dict`` form: the
    question's own, or the default (label :data:`DEFAULT_PERIOD_LABEL`) when it named none;
    None when the query takes no dates.
    """

    query: str
    args: dict[str, object]
    score: float
    description: str = ""
    period: dict[str, str] | None = None
    filters_used: dict[str, str] = field(default_factory=dict)


def pick_query(
    catalog: Sequence[Mapping[str, Any]],
    text: str,
    slots: Mapping[str, Any],
    lang: str,
    *,
    today: date | None = None,
) -> Pick | None:
    """The best-fitting catalog entry for a question, or None when none fits well.

    ``catalog`` is the runner's announced ``QueryInfo`` list (dicts), ``slots`` the
    ``Slots.to_dict()`` form. ``today`` (in the company's time zone) anchors the default period;
    without it the machine's date is used. ``lang`` is accepted for symmetry with the other
    helpers: matching itself is bilingual.
    """
    del lang  # matching reads Spanish and English alike
    today = today or date.today()
    message = _Message.read(text, slots)
    best: Pick | None = None
    for entry in catalog:
        pick = _consider(entry, message, today)
        if pick is not None and (best is None or pick.score > best.score):
            best = pick
    return best


def describe_catalog(catalog: Sequence[Mapping[str, Any]], lang: str) -> str:
    """A short list of what this company's runner can answer, for when nothing fits.

    A description written "español / English" is shown in the user's language.
    """
    lines = [description_in(str(entry.get("description", "")), lang) for entry in catalog]
    lines = [line for line in lines if line]
    if not lines:
        if lang == "es":
            return "El runner de tu empresa todavía no tiene consultas configuradas."
        return "Your company's runner has no queries configured yet."
    intro = (
        "Con los datos de tu empresa puedo responder preguntas como estas:"
        if lang == "es"
        else "With your company's data I can answer questions like these:"
    )
    return intro + "\n" + "\n".join(f"• {line}" for line in lines)


# ------------------------------------------------------------------------------------ reading


def stem(word: str) -> str:
    """A crude singular: "ventas" → "venta", "regiones" → "region", "customers" → "customer".

    Good enough to make keyword and message agree on number; both sides go through it.
    """
    if word in _IRREGULAR_STEMS:
        return _IRREGULAR_STEMS[word]
    if len(word) > 5 and word.endswith("es") and word[-3] in "rlndz":
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _stems(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(normalize(text))]


@dataclass(frozen=True)
class _Message:
    """The question as the scorer sees it: word stems and the breakdown it asks for."""

    words: tuple[str, ...]
    asked: frozenset[str]
    metric: str | None
    filters: dict[str, str]
    period: dict[str, str] | None
    limit: int | None
    group_by: str | None

    @classmethod
    def read(cls, text: str, slots: Mapping[str, Any]) -> _Message:
        """Drop the words of the period ("este mes") and of the filter values ("Bodega Don
        Pepe"), and, unless the question groups by it, the filter's own dimension word
        ("cliente"): they say *which* rows, not *which* query."""
        filters = {
            str(key): str(value)
            for key, value in (slots.get("filters") or {}).items()
            if isinstance(value, str) and value.strip()
        }
        group_by = slots.get("group_by")
        period = slots.get("period") or None
        # "este mes", "last week" say when, not "by month" / "by week".
        dropped: set[str] = set(_stems(period.get("text", ""))) if period else set()
        for key, value in filters.items():
            dropped.update(_stems(value))
            if key != group_by:
                dropped.update(_DIMENSION_TERMS.get(key, ()))
        words = tuple(word for word in _stems(text) if word not in dropped)
        if group_by:
            asked = frozenset({str(group_by)})
        else:
            present = set(words)
            asked = frozenset(
                name for name, terms in _DIMENSION_TERMS.items() if terms & present
            ) - frozenset(filters)
        limit = slots.get("limit")
        return cls(
            words=words,
            asked=asked,
            metric=slots.get("metric"),
            filters=filters,
            period=period,
            limit=limit if isinstance(limit, int) and not isinstance(limit, bool) else None,
            group_by=str(group_by) if group_by else None,
        )


# ------------------------------------------------------------------------------------ scoring


def _consider(entry: Mapping[str, Any], message: _Message, today: date) -> Pick | None:
    """Score one entry and fill its arguments; None when it does not fit."""
    name = str(entry.get("name", ""))
    keywords = [str(word) for word in entry.get("keywords") or []]
    description = str(entry.get("description", ""))
    covered, phrases, measured = _keyword_hits(keywords, message.words)
    metric = _metric_bonus(keywords, message, {message.words[i] for i in covered})
    if not measured and not metric:
        return None
    described = set(_stems(description)) - _STOPWORDS - {message.words[i] for i in covered}
    score = len(covered) + 0.5 * phrases + 0.25 * len(described & set(message.words)) + metric
    dimensions = _dimensions(name, keywords)
    score += _breakdown_score(dimensions, message.asked, frozenset(message.filters))
    filled = _fill(entry.get("params") or [], message, today)
    if filled is None:
        return None
    args, period, filters_used = filled
    if not message.asked and period is not None:
        score += _granularity_score(dimensions, period)
    score += 0.5 * len(filters_used)
    if message.period and period is None:
        score -= 1.0  # the question names a period the query cannot take
    if score < MIN_SCORE:
        return None
    return Pick(
        query=name,
        args=args,
        score=round(score, 3),
        description=description,
        period=period,
        filters_used=filters_used,
    )


def _keyword_hits(keywords: Iterable[str], words: Sequence[str]) -> tuple[set[int], int, bool]:
    """Message positions covered by keywords, multi-word keywords found, and whether a keyword
    that is not a plain dimension word ("ventas", "top", "revenue") was found."""
    covered: set[int] = set()
    phrases = 0
    measured = False
    for keyword in keywords:
        pattern = _stems(keyword)
        if not pattern:
            continue
        size = len(pattern)
        for start in range(len(words) - size + 1):
            if list(words[start : start + size]) == pattern:
                covered.update(range(start, start + size))
                phrases += size > 1
                measured = measured or size > 1 or pattern[0] not in _ALL_DIMENSION_TERMS
                break
    return covered, phrases, measured


def _metric_bonus(keywords: Iterable[str], message: _Message, covered: set[str]) -> float:
    """One point when the question's metric (read by the slot rules, which know "sell",
    "vendió", "facturamos" …) is among the entry's keywords but no keyword word said it."""
    terms = _METRIC_TERMS.get(message.metric or "")
    if not terms or covered & terms:
        return 0.0
    single = {parts[0] for parts in map(_stems, keywords) if len(parts) == 1}
    return 1.0 if single & terms else 0.0


def _dimensions(name: str, keywords: Iterable[str]) -> frozenset[str]:
    """What the entry breaks down by, from its name's words and its one-word keywords.

    Multi-word keywords are left out: "best sellers" names products, not salespeople.
    """
    words = {stem(part) for part in name.split("_")}
    for keyword in keywords:
        parts = _stems(keyword)
        if len(parts) == 1:
            words.add(parts[0])
    return frozenset(dim for dim, terms in _DIMENSION_TERMS.items() if terms & words)


def _breakdown_score(
    dimensions: frozenset[str], asked: frozenset[str], filtered: frozenset[str]
) -> float:
    """Reward the entry that breaks down the way the question asks; keep rankings away from
    questions that ask for no breakdown (a ranking by what the question filters on is fine:
    "sales of the north zone" from a by-zone query filtered to the north)."""
    if asked & dimensions:
        return 3.0
    ranked_by_other = bool(dimensions - _TIME_DIMENSIONS - filtered)
    if asked:
        return -2.0 if ranked_by_other else 0.0
    return -1.5 if ranked_by_other else 0.0


# Which time series reads well for a period of so many days (inclusive bounds).
_GRANULARITY_DAYS: dict[str, tuple[int, int]] = {
    "day": (1, 62),
    "week": (15, 183),
    "month": (63, 100_000),
}


def _granularity_score(dimensions: frozenset[str], period: Mapping[str, str]) -> float:
    """Half a point for a time series that suits the period's length when the question asks
    for no breakdown: "ventas de ayer" by day, "ventas de este año" by month."""
    days = (date.fromisoformat(period["end"]) - date.fromisoformat(period["start"])).days + 1
    for dimension in dimensions & _TIME_DIMENSIONS:
        low, high = _GRANULARITY_DAYS[dimension]
        if low <= days <= high:
            return 0.5
    return 0.0


# ------------------------------------------------------------------------------------ filling

_Filled = tuple[dict[str, object], dict[str, str] | None, dict[str, str]]


def _fill(params: Iterable[Mapping[str, Any]], message: _Message, today: date) -> _Filled | None:
    """Arguments for the entry's parameters from the slots; None if a required one is missing
    or a filter of the question has nowhere to go."""
    params = list(params)
    dates = [p for p in params if p.get("type") == "date"]
    period = (message.period or _default_period(today)) if dates else None
    args: dict[str, object] = {}
    used: dict[str, str] = {}
    for param in params:
        name = str(param.get("name", ""))
        value = _value_for(param, dates, period, message)
        if value is None:
            if param.get("required", True):
                return None
            continue
        args[name] = value
        key = _filter_key(name)
        if key is not None and key in message.filters and param.get("type") in ("str", "enum"):
            used[key] = message.filters[key]
    if set(message.filters) - set(used):
        return None
    return args, period, used


def _value_for(
    param: Mapping[str, Any],
    dates: Sequence[Mapping[str, Any]],
    period: dict[str, str] | None,
    message: _Message,
) -> object | None:
    """The slot value for one parameter, by its type and name, or None."""
    kind = param.get("type")
    tokens = set(str(param.get("name", "")).lower().split("_"))
    if kind == "date" and period is not None:
        if tokens & _START_TOKENS:
            return period["start"]
        if tokens & _END_TOKENS or len(dates) == 1:
            return period["end"]
        return None
    if kind == "int":
        if tokens & _LIMIT_TOKENS:
            if message.limit is not None:
                return message.limit
            return None if not param.get("required", True) else DEFAULT_LIMIT
        return None
    key = _filter_key(str(param.get("name", "")))
    if kind == "str":
        return message.filters.get(key) if key else None
    if kind == "enum":
        values = [str(value) for value in param.get("values") or []]
        if key and key in message.filters:
            return _enum_choice(message.filters[key], values)
        if tokens & _GROUP_TOKENS and message.group_by:
            return _enum_choice(message.group_by, values)
    return None


def _filter_key(name: str) -> str | None:
    """Which slot filter a parameter takes: "customer_name" and "cliente" → customer."""
    tokens = {stem(token) for token in name.lower().split("_")}
    for key, aliases in _FILTER_ALIASES.items():
        if tokens & aliases or name == key:
            return key
    return None


def _enum_choice(value: str, values: Sequence[str]) -> str | None:
    """The allowed choice that reads like ``value`` (accents and case aside), spelled as
    the runner expects it; None if none does (the runner would refuse it anyway)."""
    wanted = normalize(value)
    for choice in values:
        if normalize(choice) == wanted:
            return choice
    return None


def _default_period(today: date) -> dict[str, str]:
    """The period used when the question names none (see :data:`DEFAULT_PERIOD_LABEL`)."""
    start = today - timedelta(days=DEFAULT_PERIOD_DAYS - 1)
    return {
        "start": start.isoformat(),
        "end": today.isoformat(),
        "label": DEFAULT_PERIOD_LABEL,
        "text": "",
    }


def description_in(description: str, lang: str) -> str:
    """The part of an "español / English" description in ``lang`` (else the first part).

    Catalog descriptions are written once by the client's admin; a bilingual one lets both
    the matching and the answers use it in either language.
    """
    parts = [part.strip() for part in description.split(" / ") if part.strip()]
    if not parts:
        return ""
    for part in parts:
        if detect_language(part) == lang:
            return part
    return parts[0]
