"""The demo company's sales database and the Local Runner configuration that serves it.

``ln1 up --demo`` must answer "Dame las ventas de ayer" out of the box, through the same path a
real client uses: a real ``ln1-runner`` process, a catalog of named queries, a read-only SQLite
file. This module builds that file (a small, realistic sales history of "Comercial Demo
S.A.C.", a Peruvian distributor selling in soles) and renders the runner's ``runner.toml``.

The history covers the 400 days before today plus today, so relative questions ("ayer", "el
mes pasado", "este año") always land on data; every day has sales. It is deterministic for a
given ``(today, seed)``, so a test can predict it, and it is rebuilt only when the day changes.

Money is stored as INTEGER cents (``*_cents`` columns). SQLite has no decimal type: REAL sums
drift (0.1 + 0.2 != 0.3) and TEXT decimals are summed as REAL. Integer sums are exact at any
size, and the catalog divides once, after summing (``ROUND(SUM(amount_cents) / 100.0, 2)``),
so every figure the runner sends is the exact amount to the cent.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import sqlite3
import tempfile
import tomllib
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ln1.orchestrator.intent.text import fold

DEMO_COMPANY_NAME = "Comercial Demo S.A.C."
DEMO_CURRENCY = "PEN"
HISTORY_DAYS = 400
"""Days of history before today; today itself is included too."""
SCHEMA_VERSION = "1"

# name, share of the business, sellers working there
_REGIONS: tuple[tuple[str, float, int], ...] = (
    ("Lima", 0.44, 4),
    ("Arequipa", 0.15, 2),
    ("La Libertad", 0.12, 2),
    ("Piura", 0.11, 1),
    ("Cusco", 0.10, 2),
    ("Junín", 0.08, 1),
)
_SELLERS: tuple[str, ...] = (
    "Carlos Quispe",
    "María Fernández",
    "Jorge Huamán",
    "Lucía Ramos",
    "Rosa Mamani",
    "Luis Chávez",
    "Patricia Vargas",
    "Miguel Flores",
    "Carmen Rojas",
    "José Gutiérrez",
    "Ana Paredes",
    "Diego Castillo",
)
_CUSTOMER_KINDS: tuple[str, ...] = (
    "Bodega",
    "Minimarket",
    "Distribuidora",
    "Comercial",
    "Inversiones",
    "Market",
    "Abarrotes",
    "Multiservicios",
    "Tienda",
)
_CUSTOMER_NAMES: tuple[str, ...] = (
    "Don Pepe",
    "Santa Rosa",
    "Los Andes",
    "El Sol",
    "San Martín",
    "La Económica",
    "Doña Carmen",
    "Virgen de Chapi",
    "El Porvenir",
    "Señor de los Milagros",
    "La Familia",
    "Mi Barrio",
    "El Ahorro",
    "Santa Lucía",
    "San Judas Tadeo",
    "Los Olivos",
    "El Carmen",
    "La Esquina",
    "Don Lucho",
    "Misti",
    "Chavín",
    "Inca",
    "Pachacútec",
    "Huascarán",
    "Las Flores",
    "San Pedro",
    "El Triunfo",
    "Nueva Esperanza",
    "Mariscal Castilla",
    "Santa Anita",
    "Los Pinos",
    "Tres Hermanos",
    "La Unión",
    "Buen Precio",
    "El Buen Vecino",
    "Rayito de Sol",
)
_COMPANY_SUFFIXES = frozenset({"Distribuidora", "Comercial", "Inversiones", "Multiservicios"})
# product, category, (presentation, list price in cents) x 2
_PRODUCTS: tuple[tuple[str, str, tuple[tuple[str, int], ...]], ...] = (
    ("Arroz Costeño", "Abarrotes", (("750 g", 450), ("5 kg", 2590))),
    ("Azúcar Rubia Cartavio", "Abarrotes", (("1 kg", 420), ("5 kg", 1990))),
    ("Aceite Primor", "Abarrotes", (("900 ml", 1090), ("5 L", 4990))),
    ("Fideos Don Vittorio", "Abarrotes", (("500 g", 390), ("caja x 20", 7290))),
    ("Atún Florida", "Abarrotes", (("170 g", 650), ("pack x 6", 3690))),
    ("Lentejas Costeño", "Abarrotes", (("500 g", 590), ("5 kg", 5290))),
    ("Avena Quaker", "Abarrotes", (("900 g", 1190), ("caja x 12", 13490))),
    ("Harina Blanca Flor", "Abarrotes", (("1 kg", 550), ("5 kg", 2490))),
    ("Sal Emsal", "Abarrotes", (("1 kg", 190), ("fardo x 25", 4390))),
    ("Café Altomayo", "Abarrotes", (("200 g", 1890), ("500 g", 4190))),
    ("Leche Gloria", "Lácteos", (("lata 400 g", 420), ("caja x 48", 19290))),
    ("Yogurt Laive", "Lácteos", (("1 L", 690), ("pack x 6", 3890))),
    ("Mantequilla Laive", "Lácteos", (("200 g", 990), ("caja x 12", 11290))),
    ("Queso Edam Bonlé", "Lácteos", (("250 g", 1490), ("1 kg", 5490))),
    ("Leche Pura Vida", "Lácteos", (("lata 400 g", 350), ("caja x 48", 15990))),
    ("Inca Kola", "Bebidas", (("500 ml", 300), ("pack x 6 1.5 L", 4290))),
    ("Coca-Cola", "Bebidas", (("500 ml", 300), ("pack x 6 1.5 L", 4190))),
    ("Agua San Luis", "Bebidas", (("625 ml", 150), ("pack x 15", 1890))),
    ("Cerveza Pilsen Callao", "Bebidas", (("botella 630 ml", 650), ("caja x 12", 7190))),
    ("Cerveza Cusqueña", "Bebidas", (("botella 620 ml", 750), ("caja x 12", 8290))),
    ("Chicha Morada Gloria", "Bebidas", (("1 L", 450), ("pack x 6", 2490))),
    ("Gatorade", "Bebidas", (("500 ml", 350), ("pack x 12", 3890))),
    ("Papas Lay's", "Snacks", (("42 g", 250), ("caja x 24", 5490))),
    ("Galletas Soda Field", "Snacks", (("paquete x 6", 190), ("caja x 24", 4190))),
    ("Chocolate Sublime", "Snacks", (("30 g", 150), ("caja x 24", 3290))),
    ("Galletas Casino", "Snacks", (("paquete x 6", 220), ("caja x 24", 4890))),
    ("Cua Cua", "Snacks", (("unidad", 100), ("caja x 24", 2190))),
    ("Detergente Bolívar", "Limpieza", (("800 g", 1290), ("4 kg", 5790))),
    ("Detergente Ariel", "Limpieza", (("800 g", 1390), ("4 kg", 6290))),
    ("Lejía Clorox", "Limpieza", (("1 L", 450), ("pack x 12", 4690))),
    ("Lavavajilla Sapolio", "Limpieza", (("pote 500 g", 590), ("caja x 12", 6490))),
    ("Papel Higiénico Elite", "Limpieza", (("pack x 4", 690), ("paca x 40", 6190))),
    ("Suavizante Bolívar", "Limpieza", (("900 ml", 990), ("galón", 2990))),
    ("Jabón Protex", "Cuidado personal", (("110 g", 450), ("pack x 12", 4890))),
    ("Shampoo H&S", "Cuidado personal", (("375 ml", 1790), ("caja x 12", 19990))),
    ("Pasta Dental Colgate", "Cuidado personal", (("90 g", 550), ("pack x 12", 5890))),
    ("Desodorante Rexona", "Cuidado personal", (("150 ml", 1390), ("caja x 12", 15290))),
    ("Pañales Huggies", "Cuidado personal", (("paquete x 20", 3290), ("paquete x 52", 7990))),
    ("Toallas Nosotras", "Cuidado personal", (("paquete x 10", 490), ("caja x 24", 10590))),
    ("Papel Toalla Paracas", "Limpieza", (("rollo", 390), ("paca x 24", 8490))),
)
_WEEKDAY_FACTOR = (1.0, 0.95, 1.0, 1.05, 1.2, 0.8, 0.35)  # Monday .. Sunday
# January .. December: slow summer start, Fiestas Patrias in July, Christmas in December.
_MONTH_FACTOR = (0.85, 0.82, 0.92, 0.95, 1.0, 0.98, 1.15, 1.02, 0.97, 1.0, 1.08, 1.45)
_INVOICES_PER_DAY = 36.0
_LINES_PER_INVOICE = (1, 2, 3, 4, 5, 6)
_LINES_WEIGHTS = (22, 26, 20, 14, 10, 8)
_QUANTITY = (1, 2, 3, 4, 5, 6, 8, 10, 12, 24)
_QUANTITY_WEIGHTS = (30, 20, 12, 9, 8, 7, 5, 4, 3, 2)

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE regions (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    search_name TEXT NOT NULL
);
CREATE TABLE sellers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    search_name TEXT NOT NULL,
    region_id INTEGER NOT NULL REFERENCES regions (id)
);
CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    search_name TEXT NOT NULL,
    ruc TEXT NOT NULL UNIQUE,
    region_id INTEGER NOT NULL REFERENCES regions (id),
    seller_id INTEGER NOT NULL REFERENCES sellers (id)
);
CREATE TABLE products (
    id INTEGER PRIMARY KEY,
    sku TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL UNIQUE,
    search_name TEXT NOT NULL,
    category TEXT NOT NULL,
    unit_price_cents INTEGER NOT NULL
);
CREATE TABLE invoices (
    id INTEGER PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    issued_on TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers (id),
    seller_id INTEGER NOT NULL REFERENCES sellers (id),
    status TEXT NOT NULL CHECK (status IN ('paid', 'pending', 'void')),
    total_cents INTEGER NOT NULL
);
CREATE TABLE invoice_lines (
    id INTEGER PRIMARY KEY,
    invoice_id INTEGER NOT NULL REFERENCES invoices (id),
    product_id INTEGER NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL,
    unit_price_cents INTEGER NOT NULL,
    amount_cents INTEGER NOT NULL
);
CREATE INDEX invoices_issued_on ON invoices (issued_on);
CREATE INDEX invoice_lines_invoice ON invoice_lines (invoice_id);
"""


def search_key(name: str) -> str:
    """The accent- and case-free form kept in ``search_name`` columns.

    SQLite's ``lower()`` and ``LIKE`` fold ASCII only, so "Junín" would not match "junin"; the
    demo stores each searchable name folded, and the catalog folds the argument the same way
    in SQL (see :func:`_sql_fold`).
    """
    return fold(name)


def build_demo_sales_db(path: Path, today: date, seed: int = 7) -> None:
    """Write the demo sales database at ``path``, replacing any previous file atomically.

    The file is written beside ``path`` under a temporary name and renamed over it, so a
    runner reading the old file never sees a half-built one (its open connections keep the old
    file until they close).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        connection = sqlite3.connect(temporary, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode = OFF")  # a private temporary file
            connection.execute("PRAGMA synchronous = OFF")
            connection.executescript(_SCHEMA)
            connection.execute("BEGIN")
            _fill(connection, today, seed)
            connection.execute("COMMIT")
        finally:
            connection.close()
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise


def ensure_demo_sales_db(path: Path, today: date, seed: int = 7) -> Path:
    """Return ``path`` with a demo database built for ``today``, building it only if needed.

    The build date lives in the ``meta`` table: a file from another day (its "ayer" would be
    wrong), another seed or schema version, or one that cannot be read is rebuilt.
    """
    path = Path(path)
    if _built_for(path) != (today.isoformat(), str(seed), SCHEMA_VERSION):
        build_demo_sales_db(path, today, seed)
    return path


def _built_for(path: Path) -> tuple[str, str, str] | None:
    """(built_on, seed, schema) recorded in an existing file, or None if absent or unreadable."""
    if not path.is_file():
        return None
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            meta = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        finally:
            connection.close()
    except sqlite3.Error:
        return None
    return meta.get("built_on", ""), meta.get("seed", ""), meta.get("schema", "")


def _fill(connection: sqlite3.Connection, today: date, seed: int) -> None:
    """Insert every row; all randomness comes from one generator seeded by (seed, today)."""
    rng = random.Random(seed * 1_000_003 + today.toordinal())
    connection.executemany(
        "INSERT INTO meta (key, value) VALUES (?, ?)",
        [
            ("built_on", today.isoformat()),
            ("seed", str(seed)),
            ("schema", SCHEMA_VERSION),
            ("company", DEMO_COMPANY_NAME),
            ("currency", DEMO_CURRENCY),
        ],
    )
    connection.executemany(
        "INSERT INTO regions (id, name, search_name) VALUES (?, ?, ?)",
        [(i, name, search_key(name)) for i, (name, _, _) in enumerate(_REGIONS, start=1)],
    )
    sellers_by_region: dict[int, list[int]] = {}
    seller_rows = []
    names = iter(_SELLERS)
    for region_id, (_, _, count) in enumerate(_REGIONS, start=1):
        for _ in range(count):
            seller_id = len(seller_rows) + 1
            name = next(names)
            seller_rows.append((seller_id, name, search_key(name), region_id))
            sellers_by_region.setdefault(region_id, []).append(seller_id)
    connection.executemany(
        "INSERT INTO sellers (id, name, search_name, region_id) VALUES (?, ?, ?, ?)", seller_rows
    )
    customers = _customers(rng, sellers_by_region)
    connection.executemany(
        "INSERT INTO customers (id, name, search_name, ruc, region_id, seller_id) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [row[:6] for row in customers],
    )
    products = _products()
    connection.executemany(
        "INSERT INTO products (id, sku, name, search_name, category, unit_price_cents) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        products,
    )
    invoices, lines = _invoices(rng, today, customers, products)
    connection.executemany(
        "INSERT INTO invoices (id, number, issued_on, customer_id, seller_id, status, "
        "total_cents) VALUES (?, ?, ?, ?, ?, ?, ?)",
        invoices,
    )
    connection.executemany(
        "INSERT INTO invoice_lines (invoice_id, product_id, quantity, unit_price_cents, "
        "amount_cents) VALUES (?, ?, ?, ?, ?)",
        lines,
    )


_Customer = tuple[int, str, str, str, int, int, float]  # id, name, search, ruc, region, seller, w


def _customers(rng: random.Random, sellers_by_region: dict[int, list[int]]) -> list[_Customer]:
    """About 300 shops and distributors; a few big ones buy most (a Pareto-like weight)."""
    names = [(kind, name) for name in _CUSTOMER_NAMES for kind in _CUSTOMER_KINDS]
    rng.shuffle(names)
    region_ids = list(range(1, len(_REGIONS) + 1))
    region_weights = [share for _, share, _ in _REGIONS]
    rows: list[_Customer] = []
    for customer_id, (kind, name) in enumerate(names[:300], start=1):
        full = f"{kind} {name}" + (" S.A.C." if kind in _COMPANY_SUFFIXES else "")
        region_id = rng.choices(region_ids, region_weights)[0]
        seller_id = rng.choice(sellers_by_region[region_id])
        ruc = f"20{rng.randrange(10**8, 10**9):09d}" if kind in _COMPANY_SUFFIXES else None
        ruc = ruc or f"10{rng.randrange(10**8, 10**9):09d}"
        weight = min(rng.paretovariate(1.4), 40.0) * (3.0 if kind == "Distribuidora" else 1.0)
        rows.append((customer_id, full, search_key(full), ruc, region_id, seller_id, weight))
    return rows


def _products() -> list[tuple[int, str, str, str, str, int]]:
    """80 products: each brand in a unit presentation and a bulk one."""
    rows = []
    for name, category, presentations in _PRODUCTS:
        for presentation, price in presentations:
            product_id = len(rows) + 1
            full = f"{name} {presentation}"
            rows.append(
                (product_id, f"SKU-{product_id:04d}", full, search_key(full), category, price)
            )
    return rows


def _invoices(
    rng: random.Random,
    today: date,
    customers: Sequence[_Customer],
    products: Sequence[tuple[int, str, str, str, str, int]],
) -> tuple[list[tuple[object, ...]], list[tuple[int, int, int, int, int]]]:
    """Invoices day by day with weekday, seasonal and growth variation; never an empty day."""
    customer_weights = list(_cumulative([row[6] for row in customers]))
    product_weights = list(_cumulative([1.0 / math.sqrt(i) for i in range(1, len(products) + 1)]))
    product_order = list(products)
    rng.shuffle(product_order)  # which products are the best sellers changes with the seed
    first = today - timedelta(days=HISTORY_DAYS)
    invoices: list[tuple[object, ...]] = []
    lines: list[tuple[int, int, int, int, int]] = []
    for offset in range(HISTORY_DAYS + 1):
        day = first + timedelta(days=offset)
        growth = 0.9 + 0.2 * offset / HISTORY_DAYS  # about +20 % over the period
        expected = (
            _INVOICES_PER_DAY
            * _WEEKDAY_FACTOR[day.weekday()]
            * _MONTH_FACTOR[day.month - 1]
            * growth
            * rng.uniform(0.8, 1.2)
        )
        issued_on = day.isoformat()
        age = (today - day).days
        for number in range(max(3, round(expected))):
            invoice_id = len(invoices) + 1
            customer = rng.choices(customers, cum_weights=customer_weights)[0]
            status = "paid"
            if number > 0 and rng.random() < 0.02:
                status = "void"
            elif age <= 30 and rng.random() < 0.5 - age / 60:
                status = "pending"
            total = 0
            count = rng.choices(_LINES_PER_INVOICE, _LINES_WEIGHTS)[0]
            chosen = rng.choices(product_order, cum_weights=product_weights, k=count)
            for product in {product[0]: product for product in chosen}.values():
                quantity = rng.choices(_QUANTITY, _QUANTITY_WEIGHTS)[0]
                amount = quantity * product[5]
                total += amount
                lines.append((invoice_id, product[0], quantity, product[5], amount))
            invoices.append(
                (
                    invoice_id,
                    f"F001-{invoice_id:08d}",
                    issued_on,
                    customer[0],
                    customer[5],
                    status,
                    total,
                )
            )
    return invoices, lines


def _cumulative(weights: Sequence[float]) -> list[float]:
    """Running sums, so ``random.choices`` does not recompute them for every pick."""
    total = 0.0
    sums = []
    for weight in weights:
        total += weight
        sums.append(total)
    return sums


# ------------------------------------------------------------------------------ runner config

_FOLDS = "áéíóúüñ"  # what Spanish names carry; search_key folds the same letters
_FOLD_TARGET = "aeiouun"


def _sql_fold(expression: str) -> str:
    """SQL that folds ``expression`` like :func:`search_key`: lower-case, accents removed.

    SQLite's ``lower()`` leaves "Í" and "Ñ" alone, so upper-case accented letters are
    replaced before lowering and lower-case ones after.
    """
    folded = expression
    for accented, plain in zip(_FOLDS.upper(), _FOLD_TARGET.upper(), strict=True):
        folded = f"replace({folded}, '{accented}', '{plain}')"
    folded = f"lower({folded})"
    for accented, plain in zip(_FOLDS, _FOLD_TARGET, strict=True):
        folded = f"replace({folded}, '{accented}', '{plain}')"
    return folded


def _filtered_sales(select: str, group_order: str) -> str:
    """A sales query over non-void invoices of a date range, with the optional name filters.

    The filters are substrings matched accent- and case-insensitively; a filter left out
    (NULL) matches everything. They are folded once in the ``f`` CTE.
    """
    return f"""WITH f AS (
    SELECT {_sql_fold(":customer")} AS customer,
           {_sql_fold(":product")} AS product,
           {_sql_fold(":region")} AS region
)
SELECT {select}
FROM invoice_lines l
JOIN invoices i ON i.id = l.invoice_id
JOIN customers c ON c.id = i.customer_id
JOIN regions r ON r.id = c.region_id
JOIN sellers s ON s.id = i.seller_id
JOIN products p ON p.id = l.product_id
CROSS JOIN f
WHERE i.status <> 'void'
  AND i.issued_on BETWEEN date(:date_from) AND date(:date_to)
  AND (f.customer IS NULL OR c.search_name LIKE '%' || f.customer || '%')
  AND (f.product IS NULL OR p.search_name LIKE '%' || f.product || '%')
  AND (f.region IS NULL OR r.search_name LIKE '%' || f.region || '%')
{group_order}"""


_MONEY = "ROUND(SUM(l.amount_cents) / 100.0, 2) AS ventas"
_RANGE_PARAMS = {
    "date_from": {"type": "date", "description": "Primer día incluido / first day included"},
    "date_to": {"type": "date", "description": "Último día incluido / last day included"},
}
_FILTER_PARAMS = {
    "customer": {
        "type": "str",
        "required": False,
        "max_length": 80,
        "description": "Parte del nombre del cliente / part of the customer's name",
    },
    "product": {
        "type": "str",
        "required": False,
        "max_length": 80,
        "description": "Parte del nombre del producto / part of the product's name",
    },
    "region": {
        "type": "str",
        "required": False,
        "max_length": 80,
        "description": "Nombre de la región / region name",
    },
}
_LIMIT_PARAM = {
    "limit": {
        "type": "int",
        "required": False,
        "default": 10,
        "description": "Cuántos mostrar / how many to show",
    }
}

DEMO_CATALOG: tuple[dict[str, Any], ...] = (
    {
        "name": "sales_by_day",
        "description": "Ventas por día: facturas, unidades y monto vendido cada día entre dos "
        "fechas / Sales by day: invoices, units and amount sold each day between two dates",
        "keywords": [
            "ventas", "venta", "vendimos", "vendido", "facturación", "facturamos", "ingresos",
            "día", "diario", "diarias", "fecha", "sales", "sold", "revenue", "turnover",
            "day", "daily", "date", "unidades", "units", "facturas", "invoices",
            "pedidos", "orders", "vender", "sell",
        ],
        "sql": _filtered_sales(
            "i.issued_on AS fecha, COUNT(DISTINCT i.id) AS facturas, "
            f"SUM(l.quantity) AS unidades, {_MONEY}",
            "GROUP BY i.issued_on\nORDER BY i.issued_on",
        ),
        "params": {**_RANGE_PARAMS, **_FILTER_PARAMS},
    },
    {
        "name": "sales_by_month",
        "description": "Ventas por mes: facturas, unidades y monto vendido cada mes entre dos "
        "fechas / Sales by month: invoices, units and amount sold each month between two dates",
        "keywords": [
            "ventas", "vendimos", "facturación", "ingresos", "mes", "meses", "mensual",
            "mensuales", "mes a mes", "sales", "revenue", "month", "monthly",
            "month by month", "unidades", "units", "facturas", "invoices",
        ],
        "sql": _filtered_sales(
            "strftime('%Y-%m', i.issued_on) AS mes, COUNT(DISTINCT i.id) AS facturas, "
            f"SUM(l.quantity) AS unidades, {_MONEY}",
            "GROUP BY strftime('%Y-%m', i.issued_on)\nORDER BY mes",
        ),
        "params": {**_RANGE_PARAMS, **_FILTER_PARAMS},
    },
    {
        "name": "sales_by_product",
        "description": "Ventas por producto: los productos más vendidos de un periodo, con "
        "unidades y monto / Sales by product: the best-selling products of a period, with "
        "units and amount",
        "keywords": [
            "ventas", "vendimos", "facturación", "producto", "productos", "artículos",
            "más vendidos", "top", "mejores", "ranking", "sales", "revenue", "product",
            "products", "items", "best sellers", "best selling", "top selling", "best",
            "unidades", "units",
        ],
        "sql": _filtered_sales(
            "p.name AS producto, p.category AS categoria, SUM(l.quantity) AS unidades, "
            f"{_MONEY}",
            "GROUP BY p.id, p.name, p.category\nORDER BY ventas DESC, p.name\nLIMIT :limit",
        ),
        "params": {**_RANGE_PARAMS, **_LIMIT_PARAM, **_FILTER_PARAMS},
    },
    {
        "name": "sales_by_customer",
        "description": "Ventas por cliente: los clientes que más compraron en un periodo / "
        "Sales by customer: the customers who bought the most in a period",
        "keywords": [
            "ventas", "vendimos", "facturación", "cliente", "clientes", "mejores clientes",
            "compraron", "top", "ranking", "sales", "revenue", "customer", "customers",
            "clients", "best customers", "top customers", "best", "bought",
        ],
        "sql": _filtered_sales(
            "c.name AS cliente, r.name AS region, COUNT(DISTINCT i.id) AS facturas, "
            f"SUM(l.quantity) AS unidades, {_MONEY}",
            "GROUP BY c.id, c.name, r.name\nORDER BY ventas DESC, c.name\nLIMIT :limit",
        ),
        "params": {**_RANGE_PARAMS, **_LIMIT_PARAM, **_FILTER_PARAMS},
    },
    {
        "name": "sales_by_region",
        "description": "Ventas por región: monto, facturas y clientes de cada región (Lima, "
        "Arequipa, Cusco, Piura, La Libertad, Junín) en un periodo / Sales by region: amount, "
        "invoices and customers of each region in a period",
        "keywords": [
            "ventas", "vendimos", "facturación", "región", "regiones", "zona", "zonas",
            "sede", "sales", "revenue", "region", "regions", "zone", "area",
        ],
        "sql": _filtered_sales(
            "r.name AS region, COUNT(DISTINCT c.id) AS clientes, "
            f"COUNT(DISTINCT i.id) AS facturas, SUM(l.quantity) AS unidades, {_MONEY}",
            "GROUP BY r.id, r.name\nORDER BY ventas DESC, r.name",
        ),
        "params": {**_RANGE_PARAMS, **_FILTER_PARAMS},
    },
    {
        "name": "sales_by_seller",
        "description": "Ventas por vendedor: cuánto vendió cada vendedor en un periodo / "
        "Sales by seller: how much each salesperson sold in a period",
        "keywords": [
            "ventas", "vendió", "vendieron", "facturación", "vendedor", "vendedores",
            "asesor", "asesores", "ejecutivos", "sales", "revenue", "seller", "sellers",
            "salesperson", "salespeople", "sales rep", "reps", "top", "mejores", "best",
            "ranking",
        ],
        "sql": _filtered_sales(
            "s.name AS vendedor, r.name AS region, COUNT(DISTINCT i.id) AS facturas, "
            f"{_MONEY}",
            "GROUP BY s.id, s.name, r.name\nORDER BY ventas DESC, s.name\nLIMIT :limit",
        ),
        "params": {
            **_RANGE_PARAMS,
            "limit": {**_LIMIT_PARAM["limit"], "default": 50},
            **_FILTER_PARAMS,
        },
    },
)  # fmt: skip
"""The demo runner's ``[[catalog]]`` entries, as ``ln1_runner.catalog.load_catalog`` takes them.

Descriptions are written "español / English" so the orchestrator can match and describe them
in either language. Every query takes an inclusive date range and optional name filters."""


def demo_runner_config(
    database_path: Path, server_url: str, token_file: Path, audit_path: Path
) -> str:
    """Render the demo runner's ``runner.toml`` for a database, a server and a token file."""
    out = [
        "# The ln1 demo runner: written by `ln1 up --demo`, rewritten at every start.",
        "[server]",
        f"url = {_toml(server_url)}",
        f"token_file = {_toml(Path(token_file).resolve().as_posix())}",
        "",
        "[database]",
        f"url = {_toml('sqlite:///' + Path(database_path).resolve().as_posix())}",
        "",
        "[limits]",
        "max_rows = 50000",
        "statement_timeout_s = 30",
        "free_sql = false",
        "",
        "[audit]",
        f"path = {_toml(Path(audit_path).resolve().as_posix())}",
    ]
    for entry in DEMO_CATALOG:
        out += ["", "[[catalog]]", f"name = {_toml(entry['name'])}"]
        out.append(f"description = {_toml(entry['description'])}")
        out.append(f"keywords = [{', '.join(_toml(word) for word in entry['keywords'])}]")
        out.append(f"sql = '''\n{entry['sql']}\n'''")
        for name, spec in entry["params"].items():
            fields = ", ".join(f"{key} = {_toml(value)}" for key, value in spec.items())
            out.append(f"params.{name} = {{ {fields} }}")
    return "\n".join(out) + "\n"


def demo_catalog_entries() -> list[dict[str, object]]:
    """The catalog entries exactly as the runner reads them back from the rendered TOML."""
    rendered = demo_runner_config(Path("demo.db"), "ws://127.0.0.1", Path("t"), Path("a"))
    return list(tomllib.loads(rendered)["catalog"])


def _toml(value: object) -> str:
    """A TOML literal; JSON's string escapes are valid TOML basic-string escapes."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)
