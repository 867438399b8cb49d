"""The demo sales database and the catalog the demo runner serves it with."""

from __future__ import annotations

import sqlite3
import time
import tomllib
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from ln1_runner.catalog import Catalog, load_catalog

from ln1.demo_sales import (
    HISTORY_DAYS,
    build_demo_sales_db,
    demo_catalog_entries,
    demo_runner_config,
    ensure_demo_sales_db,
)

TODAY = date(2026, 11, 25)
OCTOBER = {"date_from": "2026-10-01", "date_to": "2026-10-31"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "sales.db"
    build_demo_sales_db(path, TODAY)
    return path


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(demo_catalog_entries(), "sqlite")


@pytest.fixture(scope="module")
def engine(demo_db: Path) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{demo_db}")


def run(
    engine: sa.Engine, catalog: Catalog, name: str, args: dict[str, Any]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run a catalog query the way the runner does: its SQL text, arguments bound."""
    with engine.connect() as connection:
        result = connection.execute(
            sa.text(catalog.sqlalchemy_sql(name)), catalog.get(name).bind(args)
        )
        return list(result.keys()), [tuple(row) for row in result]


def scalar(path: Path, sql: str, *args: object) -> Any:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, args).fetchone()[0]


def test_database_has_the_expected_tables_and_sizes(demo_db: Path) -> None:
    assert scalar(demo_db, "SELECT count(*) FROM regions") == 6
    assert scalar(demo_db, "SELECT count(*) FROM sellers") == 12
    assert scalar(demo_db, "SELECT count(*) FROM customers") == 300
    assert scalar(demo_db, "SELECT count(*) FROM products") == 80
    assert scalar(demo_db, "SELECT count(*) FROM invoices") > 5_000
    assert scalar(demo_db, "SELECT count(*) FROM invoice_lines") > 10_000


def test_every_day_of_the_history_up_to_today_has_sales(demo_db: Path) -> None:
    days = scalar(demo_db, "SELECT count(DISTINCT issued_on) FROM invoices WHERE status <> 'void'")
    assert days == HISTORY_DAYS + 1
    assert scalar(demo_db, "SELECT max(issued_on) FROM invoices") == TODAY.isoformat()
    first = (TODAY - timedelta(days=HISTORY_DAYS)).isoformat()
    assert scalar(demo_db, "SELECT min(issued_on) FROM invoices") == first


def test_invoice_totals_equal_the_sum_of_their_lines(demo_db: Path) -> None:
    mismatches = scalar(
        demo_db,
        "SELECT count(*) FROM invoices i WHERE i.total_cents <> "
        "(SELECT sum(amount_cents) FROM invoice_lines l WHERE l.invoice_id = i.id)",
    )
    wrong_lines = scalar(
        demo_db,
        "SELECT count(*) FROM invoice_lines WHERE amount_cents <> quantity * unit_price_cents",
    )
    assert (mismatches, wrong_lines) == (0, 0)


def test_sellers_sell_to_customers_of_their_own_region(demo_db: Path) -> None:
    crossing = scalar(
        demo_db,
        "SELECT count(*) FROM invoices i JOIN customers c ON c.id = i.customer_id "
        "JOIN sellers s ON s.id = i.seller_id WHERE s.region_id <> c.region_id",
    )
    assert crossing == 0


def test_sundays_sell_less_than_fridays(demo_db: Path) -> None:
    def average(weekday: str) -> float:
        return scalar(
            demo_db,
            "SELECT avg(total) FROM (SELECT issued_on, sum(total_cents) AS total FROM invoices "
            "WHERE strftime('%w', issued_on) = ? GROUP BY issued_on)",
            weekday,
        )

    assert average("0") < 0.6 * average("5")


def test_same_day_and_seed_build_the_same_data(tmp_path: Path) -> None:
    build_demo_sales_db(tmp_path / "a.db", TODAY)
    build_demo_sales_db(tmp_path / "b.db", TODAY)
    build_demo_sales_db(tmp_path / "c.db", TODAY, seed=8)
    dump = "SELECT group_concat(issued_on || customer_id || total_cents) FROM invoices"
    assert scalar(tmp_path / "a.db", dump) == scalar(tmp_path / "b.db", dump)
    assert scalar(tmp_path / "a.db", dump) != scalar(tmp_path / "c.db", dump)


def test_build_is_fast_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    started = time.perf_counter()
    build_demo_sales_db(tmp_path / "sales.db", TODAY)
    assert time.perf_counter() - started < 3.0
    assert [p.name for p in tmp_path.iterdir()] == ["sales.db"]


def test_ensure_builds_a_missing_database(tmp_path: Path) -> None:
    path = ensure_demo_sales_db(tmp_path / "nested" / "sales.db", TODAY)
    assert scalar(path, "SELECT value FROM meta WHERE key = 'built_on'") == TODAY.isoformat()


def test_ensure_keeps_a_database_built_today(tmp_path: Path) -> None:
    path = ensure_demo_sales_db(tmp_path / "sales.db", TODAY)
    inode = path.stat().st_ino
    ensure_demo_sales_db(path, TODAY)
    assert path.stat().st_ino == inode


def test_ensure_rebuilds_a_database_from_another_day(tmp_path: Path) -> None:
    path = ensure_demo_sales_db(tmp_path / "sales.db", TODAY - timedelta(days=1))
    ensure_demo_sales_db(path, TODAY)
    assert scalar(path, "SELECT max(issued_on) FROM invoices") == TODAY.isoformat()


def test_ensure_replaces_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "sales.db"
    path.write_text("not a database")
    ensure_demo_sales_db(path, TODAY)
    assert scalar(path, "SELECT value FROM meta WHERE key = 'built_on'") == TODAY.isoformat()


def test_rendered_config_has_every_section(tmp_path: Path) -> None:
    config = tomllib.loads(
        demo_runner_config(
            tmp_path / "sales.db", "ws://127.0.0.1:8000", tmp_path / "token", tmp_path / "a.log"
        )
    )
    assert config["server"] == {
        "url": "ws://127.0.0.1:8000",
        "token_file": (tmp_path / "token").resolve().as_posix(),
    }
    assert config["database"]["url"] == f"sqlite:///{(tmp_path / 'sales.db').resolve().as_posix()}"
    assert config["audit"]["path"] == (tmp_path / "a.log").resolve().as_posix()
    assert config["limits"]["max_rows"] > 0


def test_rendered_config_is_accepted_by_the_runner(tmp_path: Path) -> None:
    from ln1_runner.config import load_config  # the runner's own reader, strict on every key

    (tmp_path / "token").write_text("ln1_rt_demo\n")
    config_file = tmp_path / "runner.toml"
    config_file.write_text(
        demo_runner_config(
            tmp_path / "sales.db", "ws://127.0.0.1:8000", tmp_path / "token", tmp_path / "a.log"
        ),
        encoding="utf-8",
    )
    config = load_config(config_file)
    assert config.dialect == "sqlite"
    assert list(config.catalog.queries) == [entry["name"] for entry in demo_catalog_entries()]
    assert config.free_sql is False


def test_rendered_config_escapes_paths_with_quotes_and_backslashes(tmp_path: Path) -> None:
    odd = tmp_path / 'dir "quoted" \\ back'
    config = tomllib.loads(demo_runner_config(odd / "s.db", "ws://x", odd / "t", odd / "a"))
    assert config["server"]["token_file"].endswith('dir "quoted" \\ back/t')


def test_catalog_loads_in_the_runner_and_announces_every_query(catalog: Catalog) -> None:
    assert [entry["name"] for entry in catalog.announce()] == [
        "sales_by_day",
        "sales_by_month",
        "sales_by_product",
        "sales_by_customer",
        "sales_by_region",
        "sales_by_seller",
    ]
    for entry in catalog.announce():
        assert {"ventas", "sales"} <= set(entry["keywords"])
        assert " / " in entry["description"]  # español / English


@pytest.mark.parametrize(
    ("name", "columns"),
    [
        ("sales_by_day", ["fecha", "facturas", "unidades", "ventas"]),
        ("sales_by_month", ["mes", "facturas", "unidades", "ventas"]),
        ("sales_by_product", ["producto", "categoria", "unidades", "ventas"]),
        ("sales_by_customer", ["cliente", "region", "facturas", "unidades", "ventas"]),
        ("sales_by_region", ["region", "clientes", "facturas", "unidades", "ventas"]),
        ("sales_by_seller", ["vendedor", "region", "facturas", "ventas"]),
    ],
)
def test_each_query_runs_with_spanish_column_names(
    engine: sa.Engine, catalog: Catalog, name: str, columns: list[str]
) -> None:
    got, rows = run(engine, catalog, name, OCTOBER)
    assert got == columns
    assert rows
    assert all(row[-1] > 0 for row in rows)


def test_sales_add_up_the_same_whatever_the_grouping(
    engine: sa.Engine, catalog: Catalog, demo_db: Path
) -> None:
    totals = {
        name: round(sum(row[-1] for row in run(engine, catalog, name, OCTOBER)[1]), 2)
        for name in ("sales_by_day", "sales_by_month", "sales_by_region", "sales_by_seller")
    }
    cents = scalar(
        demo_db,
        "SELECT sum(total_cents) FROM invoices WHERE status <> 'void' "
        "AND issued_on BETWEEN '2026-10-01' AND '2026-10-31'",
    )
    assert set(totals.values()) == {cents / 100}


def test_sales_by_day_returns_one_row_per_day_of_the_range(
    engine: sa.Engine, catalog: Catalog
) -> None:
    _, rows = run(engine, catalog, "sales_by_day", OCTOBER)
    assert [row[0] for row in rows] == [f"2026-10-{day:02d}" for day in range(1, 32)]


def test_yesterday_has_sales(engine: sa.Engine, catalog: Catalog) -> None:
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    _, rows = run(engine, catalog, "sales_by_day", {"date_from": yesterday, "date_to": yesterday})
    assert len(rows) == 1 and rows[0][-1] > 0


def test_rankings_are_sorted_and_limited(engine: sa.Engine, catalog: Catalog) -> None:
    _, default = run(engine, catalog, "sales_by_product", OCTOBER)
    _, top3 = run(engine, catalog, "sales_by_customer", {**OCTOBER, "limit": 3})
    assert len(default) == 10 and len(top3) == 3
    assert [row[-1] for row in default] == sorted((row[-1] for row in default), reverse=True)


def test_void_invoices_are_not_sales(engine: sa.Engine, catalog: Catalog, demo_db: Path) -> None:
    everything = scalar(
        demo_db,
        "SELECT sum(total_cents) FROM invoices WHERE issued_on BETWEEN '2026-10-01' AND "
        "'2026-10-31'",
    )
    _, rows = run(engine, catalog, "sales_by_region", OCTOBER)
    assert round(sum(row[-1] for row in rows) * 100) < everything


@pytest.mark.parametrize("spelling", ["Junín", "junin", "JUNÍN", "Junin"])
def test_region_filter_ignores_accents_and_case(
    engine: sa.Engine, catalog: Catalog, spelling: str
) -> None:
    _, rows = run(engine, catalog, "sales_by_region", {**OCTOBER, "region": spelling})
    assert [row[0] for row in rows] == ["Junín"]


def test_customer_and_product_filters_narrow_the_result(
    engine: sa.Engine, catalog: Catalog
) -> None:
    _, customers = run(engine, catalog, "sales_by_customer", {**OCTOBER, "customer": "don pepe"})
    _, products = run(engine, catalog, "sales_by_product", {**OCTOBER, "product": "costeño"})
    assert customers and all("Don Pepe" in row[0] for row in customers)
    assert products and all("Costeño" in row[0] for row in products)


def test_money_is_the_exact_amount_to_the_cent(
    engine: sa.Engine, catalog: Catalog, demo_db: Path
) -> None:
    _, rows = run(engine, catalog, "sales_by_day", OCTOBER)
    with sqlite3.connect(demo_db) as connection:
        cents = dict(
            connection.execute(
                "SELECT issued_on, sum(amount_cents) FROM invoice_lines l JOIN invoices i "
                "ON i.id = l.invoice_id WHERE status <> 'void' GROUP BY issued_on"
            ).fetchall()
        )
    assert all(Decimal(repr(row[-1])) == Decimal(cents[row[0]]) / 100 for row in rows)
