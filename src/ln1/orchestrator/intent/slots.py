"""Slots of a data question: what to measure, over which period, grouped and filtered how.

The slots are extracted by rules, not by the classifier, so they are predictable,
explainable ("entendí: ventas por región del 24/11/2026") and fast. A follow-up
such as "¿y la semana pasada?" carries only some slots; :meth:`Slots.merged_onto`
fills the rest from the previous question.

Metric, grouping and limit are read from :func:`normalize` output. Filter values
are cut from the original message (through the length-preserving :func:`fold`)
so "Bodega Don Pepe" keeps its casing and accents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, NamedTuple

from ln1.orchestrator.intent.periods import MONTHS, NUMBER_WORDS, WEEKDAYS, Period, find_period
from ln1.orchestrator.intent.text import fold, normalize


@dataclass(frozen=True)
class Slots:
    """The parameters of one data question; None means "not said in this message"."""

    metric: str | None = None
    period: Period | None = None
    group_by: str | None = None
    limit: int | None = None
    filters: dict[str, str] = field(default_factory=dict, hash=False)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form kept in the conversation state; every key is present."""
        return {
            "metric": self.metric,
            "period": self.period.to_dict() if self.period else None,
            "group_by": self.group_by,
            "limit": self.limit,
            "filters": dict(self.filters),
        }

    def merged_onto(self, previous: Slots) -> Slots:
        """Complete a follow-up with the previous question's slots; new values win."""
        return Slots(
            metric=self.metric if self.metric is not None else previous.metric,
            period=self.period if self.period is not None else previous.period,
            group_by=self.group_by if self.group_by is not None else previous.group_by,
            limit=self.limit if self.limit is not None else previous.limit,
            filters={**previous.filters, **self.filters},
        )


# ----------------------------------------------------------------------- metric
# Checked in this order, so "ticket promedio de ventas" is an average ticket,
# "unidades vendidas" units and "cuántas facturas" orders, not sales.

_METRICS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "average_ticket",
            r"\b(?:ticket|tiket)s?\s+(?:promedio|medio)\b|\b(?:venta|compra|pedido)s?\s+promedio\b|"
            r"\bpromedio\s+por\s+(?:venta|pedido|ticket|factura|compra|cliente)\b|"
            r"\baverage\s+(?:ticket|order\s+value|order\s+size|sale|basket)\b|\baov\b|"
            r"\bavg\.?\s+(?:ticket|order)\b|\bticket\s+size\b",
        ),
        (
            "customers",
            r"\bcuant[oa]s\s+(?:nuev[oa]s\s+)?clientes\b|\bclientes\s+nuev[oa]s\b|"
            r"\bnuev[oa]s\s+clientes\b|\b(?:numero|cantidad)\s+de\s+clientes\b|"
            r"\bnew\s+(?:customers|clients)\b|\bhow\s+many\s+(?:new\s+)?(?:customers|clients)\b|"
            r"\bnumber\s+of\s+(?:customers|clients)\b|\bcustomer\s+count\b",
        ),
        (
            "margin",
            r"\bmargen(?:es)?\b|\butilidad(?:es)?\b|\bganancias?\b|\brentabilidad\b|"
            r"\bmargins?\b|\bprofits?\b|\bprofitability\b",
        ),
        (
            "units",
            r"\bunidades\b|\bcantidad\s+vendida\b|\bpiezas\b|\bunits?\b|\bquantity\b|\bqty\b",
        ),
        (
            "orders",
            r"\bpedidos?\b|\bordenes\b|\bfacturas?\b|\bboletas?\b|\btransacciones\b|"
            r"\b(?:numero|cantidad)\s+de\s+ventas\b|\bcuantas\s+ventas\b|\borders?\b|"
            r"\binvoices?\b|\btransactions?\b|\bhow\s+many\s+sales\b|\bnumber\s+of\s+sales\b",
        ),
        (
            "sales",
            r"\bventas?\b|\bvend(?:imos|io|i|ido|idos|ida|idas|emos|ieron|er|e)\b|"
            r"\bfactur(?:acion|amos|ado|ada|o|aron|ar)\b|\bingresos?\b|\brevenue\b|"
            r"\bsales?\b|\bsold\b|\bsell(?:ing)?\b|\bturnover\b",
        ),
    )
)

# --------------------------------------------------------------------- grouping

_GROUPS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(pattern))
    for name, pattern in (
        (
            "day",
            r"\bpor\s+(?:dias?|fecha)\b|\bdiari[oa]s?\b|\bdiariamente\b|\bdaily\b|"
            r"\b(?:by|per)\s+(?:day|date)\b|\bdia\s+(?:a|por)\s+dia\b|\bday\s+by\s+day\b",
        ),
        (
            "month",
            r"\bpor\s+mes(?:es)?\b|\bmensual(?:es|mente)?\b|\bmonthly\b|\b(?:by|per)\s+month\b|"
            r"\bmes\s+a\s+mes\b|\bmonth\s+(?:by|over)\s+month\b",
        ),
        (
            "product",
            r"\bpor\s+(?:producto|articulo|sku|item)s?\b|\b(?:by|per)\s+(?:product|item|sku)s?\b|"
            r"\btop\s*(?:\d+\s+)?(?:productos?|products?|articulos|items)\b|"
            r"\b(?:productos?|articulos?)\s+mas\s+vendid[oa]s?\b|"
            r"\bbest[\s-]*sell(?:ing|ers?)\b|\btop[\s-]+selling\b|\bmost\s+sold\b|"
            r"\b(?:mejores|principales)\s+productos\b|\b(?:que|cuales|which|what)\s+productos?\b|"
            r"\b(?:which|what)\s+products?\b",
        ),
        (
            "customer",
            r"\bpor\s+clientes?\b|\b(?:by|per)\s+(?:customer|client)s?\b|"
            r"\btop\s*(?:\d+\s+)?(?:clientes|customers|clients)\b|"
            r"\b(?:mejores|principales|mayores)\s+clientes\b|"
            r"\b(?:best|biggest|largest)\s+(?:\d+\s+)?(?:customers|clients)\b|"
            r"\bclientes\s+que\s+mas\s+compra\w*|\b(?:que|cuales|which|what)\s+(?:clientes|customers)\b",
        ),
        (
            "region",
            r"\bpor\s+(?:region|zona)(?:es|s)?\b|\b(?:by|per)\s+(?:region|zone)s?\b|"
            r"\b(?:que|cuales|which|what)\s+(?:region|zona|zone)(?:es|s)?\b",
        ),
        (
            "seller",
            r"\bpor\s+(?:vendedor|asesor|ejecutivo|comercial)(?:es|as|a)?\b|"
            r"\b(?:by|per)\s+(?:seller|salesperson|sales\s*person|sales\s+rep|rep|agent)s?\b|"
            r"\b(?:top|mejores|principales)\s*(?:\d+\s+)?(?:vendedor|asesor)(?:es|as)\b|"
            r"\b(?:top|best)\s*(?:\d+\s+)?(?:salespeople|sales\s+reps|reps|sellers)\b|"
            r"\b(?:que|cual)\s+vendedor(?:es|as|a)?\b|\bwhich\s+(?:sellers?|salespe\w+|reps?)\b",
        ),
    )
)

# ------------------------------------------------------------------------ limit

_N = r"(?:\d{1,4}|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + ")"
_TIME_UNIT = r"(?:dias?|days?|semanas?|weeks?|mes(?:es)?|months?|anos?|years?|horas?|hours?)"
_RANKED_NOUN = (
    r"(?:productos?|clientes?|vendedor(?:es|as)?|asesor(?:es|as)?|articulos?|items?|"
    r"products?|customers?|clients?|sellers?|salespeople|reps?|regiones|regions?|zonas?|skus?)"
)
_LIMIT = re.compile(
    rf"\b(?:top|best|worst|bottom)\s*(?P<a>{_N})\b(?!\s+{_TIME_UNIT}\b)|"
    rf"\b(?P<b>{_N})\s+(?:mejores|peores|principales|mayores|best|top|biggest|largest|worst)\b|"
    rf"\b(?:mejores|peores|principales|primer[oa]s)\s+(?P<c>{_N})\b(?!\s+{_TIME_UNIT}\b)|"
    rf"\b(?P<d>{_N})\s+{_RANKED_NOUN}\s+(?:mas|menos|que|con|top|best|most|least|with|by|por)\b"
)
_MAX_LIMIT = 1000

# ---------------------------------------------------------------------- filters


def _words(block: str) -> frozenset[str]:
    return frozenset(block.split())


_FILTER_KEYWORDS: dict[str, str] = {
    "customer": r"cliente|customer|client",
    "product": r"producto|product|articulo|sku",
    "region": r"region|zona|zone|sede|sucursal|tienda|store|branch",
}
_KEYWORD_PATTERNS = {
    name: re.compile(rf"\b(?:{words})\b(?:\s*:)?\s*") for name, words in _FILTER_KEYWORDS.items()
}
# After these words the keyword names a grouping or a count, not a value:
# "por cliente", "top customer", "cuántos clientes".
_NOT_A_FILTER_BEFORE = _words(
    """por by per cada each top mejor mejores peor best worst biggest mayor principal que
    which what cual cuantos many nuevo new"""
)
# Words that start the next clause and so end a filter value (unless written as
# part of a name: "Bodega Del Sur", "Agosto Hnos").
_STOP_WORDS = _words(
    """en de del por para este esta estos estas el la los las ayer hoy last this in for by on
    y and vs versus con with que desde hasta entre from to between during durante since a al
    the mas menos most more best mejor peor como cuanto how what vendido vendidos vendidas
    sold semana mes ano anio week month year trimestre quarter top ultimos ultimas ultimo
    past previous anterior pasado pasada hace ago is are was fue es son sin excepto except
    comparado compared segun at"""
) | {word for word in (*MONTHS, *WEEKDAYS) if len(word) > 3}
KNOWN_REGIONS = _words(
    """norte sur este oeste centro noreste noroeste sureste suroeste oriente occidente
    north south east west central northeast northwest southeast southwest midwest"""
)
_REGION_NAMED_BEFORE = re.compile(
    r"\b(?:(?P<the>the)\s+)?(?P<val>[^\W\d_][\w'-]*)\s+(?:region|zone|area|branch|store)\b"
)
_REGION_ALONE = re.compile(
    r"\b(?:en\s+el|en\s+la\s+zona|del|al|in\s+the|from\s+the|for\s+the)\s+(?P<val>"
    + "|".join(sorted(KNOWN_REGIONS, key=len, reverse=True))
    + r")\b(?!\s+(?:mes|ano|anio|trimestre|semana|month|year|quarter|week)\b)"
)
_TOKEN = re.compile(r"\S+")
_PREVIOUS_WORD = re.compile(r"(\w+)\W*\Z")
_QUOTED = re.compile(r"[\"'“‘«](?P<val>[^\"'”’»\n]{1,80})[\"'”’»]")
_TRAILING = "?!,;:)]}\"'”’»"
_MAX_VALUE_TOKENS = 6


def _previous_word(folded: str, position: int) -> str:
    found = _PREVIOUS_WORD.search(folded, max(0, position - 24), position)
    return found.group(1) if found else ""


def _is_title(token: str) -> bool:
    """ "Don", "El" (part of a name) as opposed to "el" or an all-caps message's "EL"."""
    return token[:1].isupper() and not token.isupper()


class _Value(NamedTuple):
    """A filter value and where it sits in the message."""

    text: str
    start: int
    end: int


def _ends_sentence(word: str, original: str, end: int) -> bool:
    """ "Acme." ends a sentence; "S.A." and "Hnos. este mes" are abbreviations."""
    if not word.endswith(".") or "." in word[:-1]:
        return False
    following = original[end : end + 40].lstrip()
    return not following or following[0].isupper()


def _value_words(original: str, folded: str, start: int, stop: int) -> _Value | None:
    """Words of a filter value, ending at a clause word, punctuation or the period."""
    words: list[str] = []
    end = start
    for match in _TOKEN.finditer(folded, start, stop):
        raw = original[match.start() : match.end()]
        word = raw.rstrip(_TRAILING)
        ends_sentence = _ends_sentence(word, original, match.end())
        word = word.rstrip(".") if ends_sentence else word
        key = folded[match.start() : match.start() + len(word)]
        if not word or (key in _STOP_WORDS and not _is_title(word)):
            break
        words.append(word)
        end = match.start() + len(word)
        if ends_sentence or word != raw or len(words) >= _MAX_VALUE_TOKENS:
            break
    return _Value(" ".join(words), start, end) if words else None


def _value_at(original: str, folded: str, start: int, stop: int) -> _Value | None:
    """The filter value starting at ``start``: a quoted string or a run of words."""
    quoted = _QUOTED.match(original, start, stop)
    if quoted:
        text = quoted.group("val").strip()
        return _Value(text, start, quoted.end()) if text else None
    return _value_words(original, folded, start, stop)


def _known_region_at(original: str, folded: str, start: int) -> _Value | None:
    """ "región este": a known region right after the keyword, even if it is a stop word."""
    first = _TOKEN.match(folded, start)
    if first is None or first.group().rstrip(_TRAILING + ".") not in KNOWN_REGIONS:
        return None
    end = first.start() + len(first.group().rstrip(_TRAILING + "."))
    return _Value(original[first.start() : end], first.start(), end)


def _outside(position: int, taken: list[_Value]) -> bool:
    return all(not value.start <= position < value.end for value in taken)


def _keyword_value(
    name: str, original: str, folded: str, stop: int, taken: list[_Value]
) -> _Value | None:
    """Value written after a keyword: "cliente: Bodega Don Pepe", "del producto X".

    Keywords inside a value already taken ("cliente Tienda Sol") do not count.
    """
    for match in _KEYWORD_PATTERNS[name].finditer(folded):
        if not _outside(match.start(), taken):
            continue
        if _previous_word(folded, match.start()) in _NOT_A_FILTER_BEFORE:
            continue
        end = stop if stop > match.end() else len(folded)
        value = _known_region_at(original, folded, match.end()) if name == "region" else None
        value = value or _value_at(original, folded, match.end(), end)
        if value:
            return value
    return None


def _region_without_keyword_after(original: str, folded: str, taken: list[_Value]) -> _Value | None:
    """ "the north region", "in the Lima region", "en el sur", "in the west"."""
    for match in _REGION_NAMED_BEFORE.finditer(folded):
        word = match.group("val")
        named = word in KNOWN_REGIONS or (
            match.group("the") is not None and word not in _STOP_WORDS
        )
        if named and _outside(match.start("val"), taken):
            return _Value(original[match.start("val") : match.end("val")], *match.span("val"))
    for match in _REGION_ALONE.finditer(folded):
        if _outside(match.start("val"), taken):
            return _Value(original[match.start("val") : match.end("val")], *match.span("val"))
    return None


def _filters(original: str, folded: str, period_start: int) -> dict[str, str]:
    """Customer, product and region filters with the user's own spelling."""
    found: dict[str, _Value] = {}
    for name in ("customer", "product", "region"):
        value = _keyword_value(name, original, folded, period_start, list(found.values()))
        if value:
            found[name] = value
    if "region" not in found:
        region = _region_without_keyword_after(original, folded, list(found.values()))
        if region:
            found["region"] = region
    return {name: value.text for name, value in found.items()}


# -------------------------------------------------------------------- extractors


def _metric(normalized: str) -> str | None:
    for name, pattern in _METRICS:
        if pattern.search(normalized):
            return name
    return None


def _group_by(normalized: str) -> str | None:
    """The grouping named first in the message ("top 10 productos por región" → product)."""
    best: tuple[int, str] | None = None
    for name, pattern in _GROUPS:
        match = pattern.search(normalized)
        if match and (best is None or match.start() < best[0]):
            best = (match.start(), name)
    return best[1] if best else None


def _limit(normalized: str) -> int | None:
    match = _LIMIT.search(normalized)
    if match is None:
        return None
    token = next(g for g in match.groups() if g is not None)
    count = int(token) if token.isdigit() else NUMBER_WORDS[token]
    return count if 0 < count <= _MAX_LIMIT else None


def extract_slots(text: str, today: date) -> Slots:
    """Metric, period, grouping, limit and filters of one chat message.

    ``today`` is the current date in the company's time zone. Fields not present
    in the message are None (filters: empty), so a follow-up can be merged.
    """
    if not text:
        return Slots()
    folded = fold(text)
    normalized = normalize(text)
    found = find_period(folded, text, today)
    return Slots(
        metric=_metric(normalized),
        period=found.period if found else None,
        group_by=_group_by(normalized),
        limit=_limit(normalized),
        filters=_filters(text, folded, found.start if found else len(folded)),
    )
