"""extract_slots: metric, period, grouping, limit and filters of a data question.

Today is Wednesday 2026-11-25 throughout.
"""

import time
from datetime import date

import pytest

from ln1.orchestrator.intent.periods import Period
from ln1.orchestrator.intent.slots import Slots, extract_slots

TODAY = date(2026, 11, 25)


def slots(text: str) -> Slots:
    return extract_slots(text, TODAY)


# ----------------------------------------------------------------------- metric

METRICS = {
    "¿Cuánto vendimos ayer?": "sales",
    "ventas de octubre": "sales",
    "facturación del mes": "sales",
    "¿cuánto facturamos?": "sales",
    "ingresos por región": "sales",
    "how much did we sell yesterday": "sales",
    "revenue last month": "sales",
    "total sales": "sales",
    "turnover this year": "sales",
    "unidades vendidas ayer": "units",
    "cantidad vendida por producto": "units",
    "piezas vendidas": "units",
    "units sold last week": "units",
    "quantity by product": "units",
    "¿cuántas facturas emitimos hoy?": "orders",
    "número de ventas de ayer": "orders",
    "pedidos de la semana": "orders",
    "órdenes del mes": "orders",
    "boletas emitidas": "orders",
    "how many orders last week": "orders",
    "invoices this month": "orders",
    "transactions today": "orders",
    "margen por producto": "margin",
    "utilidad del mes": "margin",
    "ganancia de ayer": "margin",
    "rentabilidad por cliente": "margin",
    "profit by region": "margin",
    "gross margin this quarter": "margin",
    "ticket promedio de ventas": "average_ticket",
    "venta promedio este mes": "average_ticket",
    "average ticket last week": "average_ticket",
    "average order value": "average_ticket",
    "AOV by month": "average_ticket",
    "clientes nuevos este mes": "customers",
    "¿cuántos clientes compraron ayer?": "customers",
    "new customers this month": "customers",
    "how many customers bought yesterday": "customers",
}


@pytest.mark.parametrize(("text", "metric"), [pytest.param(t, m, id=t) for t, m in METRICS.items()])
def test_metric_is_recognised_in_both_languages(text: str, metric: str) -> None:
    assert slots(text).metric == metric


@pytest.mark.parametrize(
    "text", ["hola", "hazme un pdf", "top 10 productos", "¿y la semana pasada?"]
)
def test_metric_is_none_when_not_named(text: str) -> None:
    assert slots(text).metric is None


# --------------------------------------------------------------------- grouping

GROUPS = {
    "ventas por día": "day",
    "ventas diarias de noviembre": "day",
    "daily sales": "day",
    "sales by day": "day",
    "revenue per day": "day",
    "ventas por producto": "product",
    "sales by product": "product",
    "top 10 productos": "product",
    "productos más vendidos": "product",
    "best-selling products": "product",
    "ventas por cliente": "customer",
    "sales by customer": "customer",
    "top clientes": "customer",
    "mejores clientes del año": "customer",
    "ventas por región": "region",
    "ventas por zona": "region",
    "sales by region": "region",
    "ventas por vendedor": "seller",
    "ventas por asesor": "seller",
    "sales by salesperson": "seller",
    "revenue by rep": "seller",
    "by seller": "seller",
    "ventas por mes": "month",
    "reporte mensual": "month",
    "monthly revenue": "month",
    "sales by month": "month",
}


@pytest.mark.parametrize(("text", "group"), [pytest.param(t, g, id=t) for t, g in GROUPS.items()])
def test_group_by_is_recognised_in_both_languages(text: str, group: str) -> None:
    assert slots(text).group_by == group


def test_group_by_named_first_wins() -> None:
    assert slots("top 10 productos por región").group_by == "product"


@pytest.mark.parametrize(
    "text", ["¿cuánto vendimos ayer?", "sales last month", "ventas del cliente Acme"]
)
def test_group_by_is_none_when_not_asked(text: str) -> None:
    assert slots(text).group_by is None


# ------------------------------------------------------------------------ limit

LIMITS = {
    "top 10 productos": 10,
    "top5 clientes": 5,
    "los 5 mejores clientes": 5,
    "10 productos más vendidos": 10,
    "best 3 customers": 3,
    "top tres vendedores": 3,
    "the 20 biggest customers": 20,
}


@pytest.mark.parametrize(("text", "limit"), [pytest.param(t, n, id=t) for t, n in LIMITS.items()])
def test_limit_is_read_from_ranking_phrases(text: str, limit: int) -> None:
    assert slots(text).limit == limit


@pytest.mark.parametrize(
    "text",
    [
        "ventas de los últimos 7 días",
        "last 30 days",
        "vendimos 2025 unidades",
        "ventas del 1 al 15 de noviembre",
        "top 0 productos",
        "hace 3 días",
    ],
)
def test_limit_is_none_without_a_ranking(text: str) -> None:
    assert slots(text).limit is None


# ---------------------------------------------------------------------- filters

FILTERS = {
    "ventas del cliente Acme ayer": {"customer": "Acme"},
    "cliente: Bodega Don Pepe": {"customer": "Bodega Don Pepe"},
    "sales for customer Acme Corp last month": {"customer": "Acme Corp"},
    "revenue to customer X": {"customer": "X"},
    "¿cuánto le vendimos al cliente Peña Hnos. este mes?": {"customer": "Peña Hnos."},
    "ventas del cliente El Sol S.A. ayer": {"customer": "El Sol S.A."},
    'ventas del cliente "Pérez y Cía" en 2025': {"customer": "Pérez y Cía"},
    "ventas del producto Leche Gloria en octubre": {"product": "Leche Gloria"},
    "product: Widget X": {"product": "Widget X"},
    "units of product X this week": {"product": "X"},
    "ventas en la región norte": {"region": "norte"},
    "región sur": {"region": "sur"},
    "ventas zona centro este mes": {"region": "centro"},
    "ventas de la región este": {"region": "este"},
    "sales in the north region": {"region": "north"},
    "sales in the Lima region": {"region": "Lima"},
    "region: Lima": {"region": "Lima"},
    "ventas en el sur": {"region": "sur"},
    "ventas de la sucursal San Isidro la semana pasada": {"region": "San Isidro"},
    "sales at store Downtown yesterday": {"region": "Downtown"},
    "ventas del cliente Acme en la zona norte": {"customer": "Acme", "region": "norte"},
    "producto: Café Altomayo, cliente: Tienda Rosa": {
        "product": "Café Altomayo",
        "customer": "Tienda Rosa",
    },
}


@pytest.mark.parametrize(
    ("text", "filters"), [pytest.param(t, f, id=t) for t, f in FILTERS.items()]
)
def test_filters_keep_the_users_spelling(text: str, filters: dict[str, str]) -> None:
    assert slots(text).filters == filters


@pytest.mark.parametrize(
    "text",
    [
        "ventas por cliente",
        "sales by region last month",
        "top clientes",
        "¿cuántos clientes nuevos?",
        "ventas en Arequipa",
        "ventas de este mes",
        "el producto más vendido",
        "ventas por región norte",
    ],
)
def test_groupings_counts_and_bare_places_are_not_filters(text: str) -> None:
    assert slots(text).filters == {}


def test_filter_value_stops_at_the_next_clause() -> None:
    assert slots("ventas del cliente Acme por mes").filters == {"customer": "Acme"}


def test_filter_value_stops_at_the_period() -> None:
    assert slots("ventas del cliente Acme octubre 2025").filters == {"customer": "Acme"}


def test_capitalised_clause_words_stay_inside_a_name() -> None:
    assert slots("ventas del cliente Bodega Del Sur").filters == {"customer": "Bodega Del Sur"}


def test_all_caps_messages_still_end_values_at_clause_words() -> None:
    assert slots("VENTAS DEL CLIENTE ACME EN LIMA").filters == {"customer": "ACME"}


# ------------------------------------------------------------ the whole message


def test_slots_of_a_complete_question() -> None:
    result = slots("Top 5 productos por ventas del cliente Acme la semana pasada")

    assert result.metric == "sales"
    assert result.group_by == "product"
    assert result.limit == 5
    assert result.filters == {"customer": "Acme"}
    assert result.period == Period(
        date(2026, 11, 16), date(2026, 11, 22), "last_week", "la semana pasada"
    )


def test_to_dict_keeps_every_key_and_serialises_the_period() -> None:
    assert slots("¿Cuánto vendimos ayer por región?").to_dict() == {
        "metric": "sales",
        "period": {
            "start": "2026-11-24",
            "end": "2026-11-24",
            "label": "yesterday",
            "text": "ayer",
        },
        "group_by": "region",
        "limit": None,
        "filters": {},
    }


def test_to_dict_of_a_message_without_slots_has_nones() -> None:
    assert slots("hola").to_dict() == {
        "metric": None,
        "period": None,
        "group_by": None,
        "limit": None,
        "filters": {},
    }


# -------------------------------------------------------------------- follow-ups


def test_follow_up_keeps_previous_slots_and_takes_the_new_period() -> None:
    previous = slots("¿Cuánto vendimos ayer por región?")
    follow_up = slots("¿y la semana pasada?")

    merged = follow_up.merged_onto(previous)

    assert merged.metric == "sales"
    assert merged.group_by == "region"
    assert merged.period is not None
    assert merged.period.label == "last_week"
    assert (merged.period.start, merged.period.end) == (date(2026, 11, 16), date(2026, 11, 22))


def test_follow_up_fields_win_over_previous_ones() -> None:
    previous = slots("top 10 productos por ventas del cliente Acme este mes")
    follow_up = slots("and the margin by customer, top 3")

    merged = follow_up.merged_onto(previous)

    assert merged.metric == "margin"
    assert merged.group_by == "customer"
    assert merged.limit == 3
    assert merged.filters == {"customer": "Acme"}
    assert merged.period == previous.period


def test_follow_up_filters_are_added_to_previous_ones() -> None:
    previous = slots("ventas del cliente Acme")
    follow_up = slots("¿y en la región norte?")

    assert follow_up.merged_onto(previous).filters == {"customer": "Acme", "region": "norte"}


def test_merging_does_not_change_either_side() -> None:
    previous = slots("ventas del cliente Acme")
    follow_up = slots("¿y en la región norte?")

    follow_up.merged_onto(previous)

    assert previous.filters == {"customer": "Acme"}
    assert follow_up.filters == {"region": "norte"}


# ------------------------------------------------------------------ robustness


@pytest.mark.parametrize(
    "text",
    [
        "",
        " ",
        "😀🔥💸",
        "\x00\x01\n\t",
        "¿¡?!",
        "cliente",
        "cliente:",
        'cliente "',
        "region region region",
        "top 99999999 productos",
        "ventas del cliente " * 500,
        "x" * 10_000,
        "the region " * 1000,
    ],
)
def test_garbage_input_never_raises(text: str) -> None:
    result = slots(text)

    assert isinstance(result, Slots)


def test_extracting_slots_from_a_thousand_messages_takes_under_a_second() -> None:
    templates = [*METRICS, *GROUPS, *LIMITS, *FILTERS]
    messages = [f"{templates[i % len(templates)]} #{i}" for i in range(1000)]

    started = time.perf_counter()
    for message in messages:
        slots(message)

    assert time.perf_counter() - started < 1.0
