"""Choosing the catalog query for a data question and filling its arguments from the slots."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from ln1_runner.catalog import load_catalog

from ln1.demo_sales import demo_catalog_entries
from ln1.orchestrator.intent.slots import extract_slots
from ln1.runners.matching import (
    DEFAULT_PERIOD_LABEL,
    Pick,
    describe_catalog,
    pick_query,
    stem,
)

TODAY = date(2026, 11, 25)  # a Wednesday
CATALOG: list[dict[str, Any]] = load_catalog(demo_catalog_entries(), "sqlite").announce()


def period(start: str, end: str, label: str = "range", text: str = "") -> dict[str, str]:
    return {"start": start, "end": end, "label": label, "text": text}


def slots(**values: Any) -> dict[str, Any]:
    """``Slots.to_dict()`` form: every key present."""
    base: dict[str, Any] = {
        "metric": None,
        "period": None,
        "group_by": None,
        "limit": None,
        "filters": {},
    }
    return base | values


def ask(text: str, lang: str = "es") -> Pick | None:
    """The whole path the chat takes: rule slots from the message, then the pick."""
    return pick_query(CATALOG, text, extract_slots(text, TODAY).to_dict(), lang, today=TODAY)


# --------------------------------------------------------------------- real phrasings


def test_sales_yesterday_is_the_daily_query_over_yesterday() -> None:
    pick = ask("Dame las ventas de ayer")
    assert pick is not None
    assert (pick.query, pick.args) == (
        "sales_by_day",
        {"date_from": "2026-11-24", "date_to": "2026-11-24"},
    )
    assert pick.period is not None and pick.period["label"] == "yesterday"


def test_sales_by_region_last_month() -> None:
    pick = ask("ventas por región del mes pasado")
    assert pick is not None
    assert (pick.query, pick.args) == (
        "sales_by_region",
        {"date_from": "2026-10-01", "date_to": "2026-10-31"},
    )


def test_top_ten_products_this_year() -> None:
    pick = ask("top 10 productos este año")
    assert pick is not None
    assert (pick.query, pick.args) == (
        "sales_by_product",
        {"date_from": "2026-01-01", "date_to": "2026-11-25", "limit": 10},
    )


def test_best_customers_last_week_in_english() -> None:
    pick = ask("who were our best customers last week?", "en")
    assert pick is not None
    assert (pick.query, pick.args) == (
        "sales_by_customer",
        {"date_from": "2026-11-16", "date_to": "2026-11-22"},
    )


def test_what_each_seller_sold_in_october() -> None:
    pick = ask("¿cuánto vendió cada vendedor en octubre?")
    assert pick is not None
    assert (pick.query, pick.args) == (
        "sales_by_seller",
        {"date_from": "2026-10-01", "date_to": "2026-10-31"},
    )


@pytest.mark.parametrize(
    "text",
    [
        "¿cuántos empleados tenemos?",
        "¿cuántos clientes tenemos?",  # mentions customers, measures nothing the catalog has
        "¿cuántos clientes tenemos en total?",
        "margen por producto del mes pasado",  # a metric no query returns
        "hola",
        "",
    ],
)
def test_questions_the_catalog_cannot_answer_pick_nothing(text: str) -> None:
    assert ask(text) is None


@pytest.mark.parametrize(
    ("text", "lang", "query"),
    [
        ("how much did we sell yesterday?", "en", "sales_by_day"),
        ("What was revenue yesterday?", "en", "sales_by_day"),
        ("¿cuánto facturamos la semana pasada?", "es", "sales_by_day"),
        ("show me daily sales for October", "en", "sales_by_day"),
        ("ventas por mes de este año", "es", "sales_by_month"),
        ("monthly sales this year", "en", "sales_by_month"),
        ("sales by product last month", "en", "sales_by_product"),
        ("what are our best sellers this year?", "en", "sales_by_product"),
        ("unidades vendidas por producto en octubre", "es", "sales_by_product"),
        ("¿qué clientes compraron más en octubre?", "es", "sales_by_customer"),
        ("which region sold the most last quarter?", "en", "sales_by_region"),
        ("facturación por vendedor", "es", "sales_by_seller"),
    ],
)
def test_other_phrasings_pick_the_query_that_fits(text: str, lang: str, query: str) -> None:
    pick = ask(text, lang)
    assert pick is not None and pick.query == query


def test_a_long_period_without_breakdown_reads_by_month() -> None:
    pick = ask("ventas de este año")
    assert pick is not None and pick.query == "sales_by_month"


def test_the_limit_goes_to_a_ranking_that_takes_one() -> None:
    pick = ask("top 3 sellers this month", "en")
    assert pick is not None
    assert pick.query == "sales_by_seller" and pick.args["limit"] == 3


# ------------------------------------------------------------------------- filters


def test_a_customer_filter_is_passed_and_does_not_turn_into_a_ranking() -> None:
    pick = ask("ventas del cliente Bodega Don Pepe este mes")
    assert pick is not None
    assert pick.query == "sales_by_day"
    assert pick.args == {
        "date_from": "2026-11-01",
        "date_to": "2026-11-25",
        "customer": "Bodega Don Pepe",
    }
    assert pick.filters_used == {"customer": "Bodega Don Pepe"}


def test_a_region_filter_is_passed_with_the_users_spelling() -> None:
    pick = pick_query(
        CATALOG,
        "ventas de la región Junín en octubre",
        slots(
            metric="sales",
            period=period("2026-10-01", "2026-10-31", "month:2026-10", "octubre"),
            filters={"region": "Junín"},
        ),
        "es",
        today=TODAY,
    )
    assert pick is not None and pick.args["region"] == "Junín"


def test_a_filter_the_query_cannot_apply_disqualifies_it() -> None:
    catalog = [
        {"name": "sales_by_day", "description": "Ventas por día", "keywords": ["ventas"],
         "params": [{"name": "date_from", "type": "date", "required": True},
                    {"name": "date_to", "type": "date", "required": True}]},
    ]  # fmt: skip
    pick = pick_query(
        catalog, "ventas del cliente Acme", slots(metric="sales", filters={"customer": "Acme"}),
        "es", today=TODAY,
    )  # fmt: skip
    assert pick is None


# ------------------------------------------------------------------------ filling


def test_no_period_defaults_to_the_last_30_days_and_says_so() -> None:
    pick = ask("¿cuánto vendimos?")
    assert pick is not None
    assert pick.args == {"date_from": "2026-10-27", "date_to": "2026-11-25"}
    assert pick.period is not None and pick.period["label"] == DEFAULT_PERIOD_LABEL


def test_an_optional_limit_is_left_to_the_runner_when_not_asked() -> None:
    pick = ask("ventas por producto del mes pasado")
    assert pick is not None and "limit" not in pick.args


def test_a_required_limit_gets_the_default_of_ten() -> None:
    catalog = [
        {"name": "top_products", "description": "Top products", "keywords": ["top", "products"],
         "params": [{"name": "n", "type": "int", "required": True}]},
    ]  # fmt: skip
    pick = pick_query(catalog, "top products", slots(group_by="product"), "en", today=TODAY)
    assert pick is not None and pick.args == {"n": 10}


def test_a_required_parameter_that_cannot_be_filled_refuses_the_entry() -> None:
    catalog = [
        {"name": "sales_of_store", "description": "Sales of one store", "keywords": ["sales"],
         "params": [{"name": "store_code", "type": "str", "required": True}]},
    ]  # fmt: skip
    assert pick_query(catalog, "sales yesterday", slots(metric="sales"), "en") is None


def test_date_parameters_are_filled_by_their_names() -> None:
    catalog = [
        {"name": "ventas", "description": "Ventas entre dos fechas", "keywords": ["ventas"],
         "params": [{"name": "hasta", "type": "date", "required": True},
                    {"name": "desde", "type": "date", "required": True}]},
        {"name": "ventas_dia", "description": "Ventas de un día", "keywords": ["ventas"],
         "params": [{"name": "fecha", "type": "date", "required": True}]},
    ]  # fmt: skip
    week = slots(metric="sales", period=period("2026-11-16", "2026-11-22", "last_week"))
    first = pick_query(catalog[:1], "ventas", week, "es", today=TODAY)
    single = pick_query(catalog[1:], "ventas", week, "es", today=TODAY)
    assert first is not None and first.args == {"desde": "2026-11-16", "hasta": "2026-11-22"}
    assert single is not None and single.args == {"fecha": "2026-11-22"}


def test_enum_parameters_only_take_an_allowed_value() -> None:
    catalog = [
        {"name": "sales_by_zone", "description": "Sales of a zone", "keywords": ["sales"],
         "params": [{"name": "zone", "type": "enum", "required": False,
                     "values": ["Norte", "Sur"]}]},
    ]  # fmt: skip
    north = pick_query(
        catalog, "sales north", slots(metric="sales", filters={"region": "norte"}), "en"
    )
    nowhere = pick_query(
        catalog, "sales Lima", slots(metric="sales", filters={"region": "Lima"}), "en"
    )
    assert north is not None and north.args == {"zone": "Norte"}
    assert nowhere is None  # the filter has no valid value, so it cannot be applied


def test_an_empty_catalog_picks_nothing() -> None:
    assert pick_query([], "ventas de ayer", slots(metric="sales"), "es") is None


def test_stems_make_singular_and_plural_agree() -> None:
    pairs = [("ventas", "venta"), ("regiones", "region"), ("clientes", "cliente"),
             ("vendedores", "vendedor"), ("customers", "customer"), ("sales", "sale")]  # fmt: skip
    assert [stem(plural) for plural, _ in pairs] == [single for _, single in pairs]


# ------------------------------------------------------------------- describing


def test_describe_catalog_lists_the_spanish_descriptions() -> None:
    text = describe_catalog(CATALOG, "es")
    assert text.startswith("Con los datos de tu empresa puedo responder")
    assert "• Ventas por región: " in text
    assert "Sales by" not in text
    assert text.count("\n• ") == len(CATALOG)


def test_describe_catalog_lists_the_english_descriptions() -> None:
    text = describe_catalog(CATALOG, "en")
    assert "• Sales by customer: the customers who bought the most in a period" in text
    assert "Ventas" not in text


def test_describe_an_empty_catalog_says_nothing_is_configured() -> None:
    assert "no queries" in describe_catalog([], "en")
