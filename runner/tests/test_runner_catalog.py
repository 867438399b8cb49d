"""The runner's catalog: only the admin's named queries run, with strictly checked arguments."""

import datetime
import re
import tomllib

import pytest
import sqlalchemy
from ln1_runner.catalog import Catalog, CatalogError, CatalogQuery, Param, load_catalog

SALES_TOML = """
[[catalog]]
name = "sales_by_day"
description = "Orders and revenue per day between two dates (end excluded)."
keywords = ["sales", "revenue", "daily"]
sql = '''
SELECT CAST(o.created_at AS DATE) AS day, count(*) AS orders, sum(o.total) AS revenue
FROM orders o
WHERE o.created_at >= :start AND o.created_at < :end AND o.status <> 'void'
GROUP BY CAST(o.created_at AS DATE)
ORDER BY day
'''
[catalog.params.start]
type = "date"
description = "First day included"
[catalog.params.end]
type = "date"
description = "First day excluded"

[[catalog]]
name = "top_products"
description = "Best-selling products by revenue over a period."
keywords = ["products", "best sellers"]
sql = '''
SELECT p.name, sum(l.quantity * l.unit_price) AS revenue
FROM order_lines l
JOIN products p ON p.id = l.product_id
JOIN orders o ON o.id = l.order_id
WHERE o.created_at >= :start AND o.created_at < :end
GROUP BY p.name
ORDER BY revenue DESC
LIMIT :limit
'''
params.start = { type = "date" }
params.end = { type = "date" }
params.limit = { type = "int", required = false, default = 10, description = "How many" }

[[catalog]]
name = "sales_by_region"
description = "Revenue per sales region, optionally for one region."
keywords = []
sql = '''
SELECT r.name AS region, sum(o.total) AS revenue
FROM orders o JOIN regions r ON r.id = o.region_id
WHERE r.name = COALESCE(:region, r.name)
GROUP BY r.name
'''
params.region = { type = "enum", values = ["north", "south", "east", "west"], required = false }
"""

SALES = tomllib.loads(SALES_TOML)["catalog"]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(SALES, "postgres")


def entry(**settings: object) -> dict[str, object]:
    """A minimal valid catalog entry, with some settings replaced (None removes one)."""
    base: dict[str, object] = {
        "name": "orders_since",
        "description": "Orders since a day.",
        "keywords": ["orders"],
        "sql": "SELECT id, total FROM orders WHERE created_at >= :since",
        "params": {"since": {"type": "date"}},
    }
    base.update(settings)
    return {key: value for key, value in base.items() if value is not None}


# --- loading the catalog ------------------------------------------------------------------


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_the_sales_catalog_loads_in_each_dialect_and_keeps_the_original_sql(dialect: str) -> None:
    catalog = load_catalog(SALES, dialect)

    assert catalog.dialect == dialect
    assert list(catalog.queries) == ["sales_by_day", "top_products", "sales_by_region"]
    top = catalog.get("top_products")
    assert top.sql == SALES[1]["sql"]  # executed with bind parameters, so :limit stays
    assert ":limit" in top.sql
    assert top.keywords == ("products", "best sellers")
    assert top.params == (
        Param("start", "date"),
        Param("end", "date"),
        Param("limit", "int", required=False, default=10, description="How many"),
    )
    region = catalog.get("sales_by_region").params[0]
    assert region.values == ("north", "south", "east", "west")
    assert region.required is False
    assert region.default is None


def test_an_empty_catalog_is_allowed_for_a_runner_with_free_sql_only() -> None:
    catalog = load_catalog([], "sqlite")
    assert catalog.announce() == []
    assert len(catalog.queries) == 0


def test_the_loaded_catalog_cannot_be_changed_afterwards(catalog: Catalog) -> None:
    with pytest.raises(TypeError):
        catalog.queries["drop_all"] = catalog.get("top_products")  # type: ignore[index]


def test_get_names_the_unknown_query(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="no query named 'sales_by_week' in this runner's"):
        catalog.get("sales_by_week")


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([entry(name="Sales-By-Day")], "query name 'Sales-By-Day' is not valid"),
        ([entry(name="1st_query")], "query name '1st_query' is not valid"),
        ([entry(name="a" * 64)], "is not valid"),
        ([entry(name=None)], "catalog entry 1 has no name"),
        ([entry(), entry()], "query name 'orders_since' is used twice"),
        (
            [entry(sqll="SELECT 1")],
            "query 'orders_since' has an unknown setting 'sqll' (did you mean 'sql'?)",
        ),
        (
            [entry(name=None, nmae="x")],
            "catalog entry 1 has an unknown setting 'nmae' (did you mean 'name'?)",
        ),
        ([entry(sql=None)], "query 'orders_since' is missing its 'sql' setting"),
        ([entry(keywords=None)], "query 'orders_since' is missing its 'keywords' setting"),
        ([entry(description="  ")], "query 'orders_since': the description must be a non-empty"),
        ([entry(keywords="orders")], "query 'orders_since': keywords must be a list"),
        (
            [entry(keywords=["orders", ""])],
            "query 'orders_since': each keyword must be a non-empty",
        ),
        ([entry(sql="")], "query 'orders_since': sql must be a non-empty text"),
        ([entry(params={"Since": {"type": "date"}})], "the parameter name 'Since' is not valid"),
        (
            [entry(params={"since": {"type": "date", "requird": False}})],
            "query 'orders_since', parameter 'since' has an unknown setting 'requird' "
            "(did you mean 'required'?)",
        ),
        ([entry(params={"since": {}})], "parameter 'since' has no type; use one of date, int"),
        ([entry(params={"since": {"type": "datetime"}})], "parameter 'since' has type 'datetime'"),
        (
            [entry(params={"since": {"type": "date", "required": "no"}})],
            "parameter 'since': required must be true or false",
        ),
        (
            [entry(sql="SELECT id FROM orders WHERE created_at >= :since AND total > :minimum")],
            "query 'orders_since': the SQL uses parameter :minimum but does not declare it",
        ),
        (
            [entry(params={"since": {"type": "date"}, "until": {"type": "date"}})],
            "query 'orders_since': parameter :until is declared under params but never used",
        ),
        (
            [entry(sql="SELECT id FROM orders WHERE created_at >= :since::date")],
            "query 'orders_since': the SQL writes :since directly followed by a colon (as in "
            ":since::date), which is not read as a parameter; write CAST(:since AS date)",
        ),
        (
            [
                entry(
                    sql="SELECT id FROM orders WHERE status = :status",
                    params={"status": {"type": "enum"}},
                )
            ],
            "parameter 'status' is an enum, so it needs values = [...]",
        ),
        (
            [
                entry(
                    sql="SELECT id FROM orders WHERE status = :status",
                    params={"status": {"type": "enum", "values": []}},
                )
            ],
            "parameter 'status' is an enum, so it needs values",
        ),
        (
            [entry(params={"since": {"type": "date", "values": ["x"]}})],
            "parameter 'since': values only applies to enum parameters",
        ),
        (
            [entry(params={"since": {"type": "date", "max_length": 10}})],
            "parameter 'since': max_length only applies to str parameters",
        ),
        (
            [entry(params={"since": {"type": "date", "required": False, "default": "24/11/2026"}})],
            "the default of query 'orders_since', parameter 'since' must be a date written "
            "YYYY-MM-DD",
        ),
        (
            [entry(params={"since": {"type": "date", "default": "2026-01-01"}})],
            "parameter 'since' has a default but is required; add required = false",
        ),
        (
            [entry(sql="DELETE FROM orders WHERE created_at < :since")],
            "query 'orders_since' is refused by the runner's SQL safety check: only SELECT",
        ),
        (
            [entry(sql="SELECT pg_sleep(10), id FROM orders WHERE created_at >= :since")],
            "query 'orders_since' is refused by the runner's SQL safety check: function pg_sleep",
        ),
        (
            [entry(sql="SELECT id FROM orders WHERE created_at >= :since; DROP TABLE orders")],
            "query 'orders_since' is refused by the runner's SQL safety check: more than one",
        ),
        ({"catalog": entry()}, "the catalog must be a list of queries"),
    ],
)
def test_load_refuses_a_doubtful_catalog_with_a_precise_message(
    entries: list[dict[str, object]], message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        load_catalog(entries, "postgres")


def test_load_refuses_an_unsupported_dialect() -> None:
    with pytest.raises(CatalogError, match="unsupported SQL dialect 'db2'"):
        load_catalog([entry()], "db2")


# --- what counts as a placeholder ---------------------------------------------------------


@pytest.mark.parametrize(
    ("dialect", "sql"),
    [
        ("postgres", "SELECT id FROM orders WHERE created_at::date >= :since"),
        ("postgres", "SELECT id FROM orders WHERE created_at >= CAST(:since AS date)"),
        ("postgres", "SELECT id FROM orders WHERE created_at >= (:since)::date"),
        ("postgres", "SELECT id, 'ref :x' AS note FROM orders WHERE created_at >= :since"),
        ("postgres", "SELECT id FROM orders WHERE created_at >= :since AND note <> 'it''s :x'"),
        ("postgres", "SELECT id FROM orders WHERE created_at >= :since AND note <> E'it\\'s :x'"),
        ("postgres", 'SELECT id AS ":x" FROM orders WHERE created_at >= :since'),
        ("postgres", "SELECT id FROM orders -- :x is not a parameter\nWHERE created_at >= :since"),
        ("postgres", "SELECT id /* :x */ FROM orders WHERE created_at >= :since"),
        ("postgres", "SELECT id FROM orders WHERE opened_at > '10:30' AND created_at >= :since"),
        ("mysql", "SELECT id FROM orders WHERE note <> 'it\\'s :x' AND created_at >= :since"),
        ("sqlite", "SELECT id FROM orders WHERE note <> 'a :x' AND created_at >= :since"),
    ],
)
def test_casts_literals_and_comments_are_not_mistaken_for_parameters(
    dialect: str, sql: str
) -> None:
    catalog = load_catalog([entry(sql=sql)], dialect)
    assert catalog.get("orders_since").sql == sql


def test_sqlalchemy_text_binds_exactly_the_declared_parameters() -> None:
    sql = "SELECT id, 'ref :x' AS note FROM orders /* :y */ WHERE created_at >= :since"
    catalog = load_catalog([entry(sql=sql)], "postgres")

    text = sqlalchemy.text(catalog.sqlalchemy_sql("orders_since"))

    assert set(text._bindparams) == {"since"}
    compiled = str(text.compile(compile_kwargs={"literal_binds": False}))
    assert "'ref :x'" in compiled
    assert "/* :y */" in compiled
    assert catalog.sqlalchemy_sql("orders_since") == (
        "SELECT id, 'ref \\:x' AS note FROM orders /* \\:y */ WHERE created_at >= :since"
    )


# --- binding arguments --------------------------------------------------------------------

NOV_1, NOV_24 = datetime.date(2026, 11, 1), datetime.date(2026, 11, 24)
PERIOD = {"start": NOV_1, "end": NOV_24}


@pytest.mark.parametrize(
    ("query", "args", "expected"),
    [
        ("sales_by_day", {"start": "2026-11-01", "end": "2026-11-24"}, PERIOD),
        ("sales_by_day", PERIOD, PERIOD),
        ("top_products", PERIOD, {**PERIOD, "limit": 10}),
        ("top_products", {**PERIOD, "limit": None}, {**PERIOD, "limit": 10}),
        ("top_products", {**PERIOD, "limit": 5}, {**PERIOD, "limit": 5}),
        ("top_products", {**PERIOD, "limit": "10"}, {**PERIOD, "limit": 10}),
        ("top_products", {**PERIOD, "limit": "-3"}, {**PERIOD, "limit": -3}),
        ("top_products", {**PERIOD, "limit": "007"}, {**PERIOD, "limit": 7}),
        ("top_products", {**PERIOD, "limit": "123456789012"}, {**PERIOD, "limit": 123456789012}),
        ("sales_by_region", {}, {"region": None}),
        ("sales_by_region", {"region": None}, {"region": None}),
        ("sales_by_region", {"region": "north"}, {"region": "north"}),
    ],
)
def test_bind_coerces_arguments_and_applies_defaults(
    catalog: Catalog, query: str, args: dict[str, object], expected: dict[str, object]
) -> None:
    bound = catalog.get(query).bind(args)
    assert bound == expected
    assert [type(value) for value in bound.values()] == [type(value) for value in expected.values()]


NOT_ISO = "parameter 'start' of query 'sales_by_day' must be a date written YYYY-MM-DD"


@pytest.mark.parametrize(
    ("start", "message"),
    [
        ("2026-13-01", "parameter 'start' of query 'sales_by_day' must be a real calendar date"),
        ("2026-02-30", "must be a real calendar date; '2026-02-30' does not exist"),
        ("24/11/2026", f"{NOT_ISO} (for example 2026-11-24); got '24/11/2026'"),
        ("2026-11-01T00:00:00", NOT_ISO),
        ("2026-11-01 00:00", NOT_ISO),
        ("20261101", NOT_ISO),
        ("2026-W45-1", NOT_ISO),
        (" 2026-11-01", NOT_ISO),
        ("2026-11-01\n", NOT_ISO),
        ("２０２６-11-01", NOT_ISO),  # full-width digits
        (datetime.datetime(2026, 11, 1, 8, 0), NOT_ISO),  # a date and time is not a date
        (20261101, NOT_ISO),
    ],
)
def test_dates_are_date_objects_or_iso_strings_only(
    catalog: Catalog, start: object, message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog.get("sales_by_day").bind({"start": start, "end": "2026-11-24"})


NOT_INT = "parameter 'limit' of query 'top_products' must be a whole number such as 10"


@pytest.mark.parametrize(
    ("limit", "message"),
    [
        ("10.5", f"{NOT_INT}; got '10.5'"),
        (10.0, NOT_INT),
        (True, f"{NOT_INT}; got True"),
        (False, NOT_INT),
        ("1e3", NOT_INT),
        ("+10", NOT_INT),
        (" 10", NOT_INT),
        ("1_000", NOT_INT),
        ("0x10", NOT_INT),
        ("١٠", NOT_INT),  # Arabic-Indic digits
        ("", NOT_INT),
        ("9" * 5000, NOT_INT),
        (2**63, "parameter 'limit' of query 'top_products' is outside the range"),
        (str(-(2**63) - 1), "is outside the range"),
    ],
)
def test_ints_are_ints_or_decimal_strings_never_bools(
    catalog: Catalog, limit: object, message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog.get("top_products").bind({**PERIOD, "limit": limit})


@pytest.mark.parametrize("region", ["North", "north ", "nord", "", 1, ["north"]])
def test_enum_arguments_must_match_an_allowed_value_exactly(
    catalog: Catalog, region: object
) -> None:
    message = (
        "parameter 'region' of query 'sales_by_region' must be one of "
        "'north', 'south', 'east', 'west'; got "
    )
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog.get("sales_by_region").bind({"region": region})


@pytest.mark.parametrize(
    ("query", "args", "message"),
    [
        ("sales_by_day", {"start": NOV_1}, "query 'sales_by_day' needs parameter 'end' (a date"),
        ("sales_by_day", {"start": NOV_1, "end": None}, "needs parameter 'end'"),
        ("top_products", {}, "query 'top_products' needs parameter 'start'"),
        (
            "sales_by_day",
            {**PERIOD, "x": 1},
            "unknown parameter 'x' for query 'sales_by_day' (it takes: start, end)",
        ),
        (
            "sales_by_day",
            {"begin": NOV_1, "finish": NOV_24},
            "unknown parameters 'begin', 'finish' for query 'sales_by_day'",
        ),
        ("sales_by_region", {"limit": 5}, "unknown parameter 'limit' for query 'sales_by_region'"),
    ],
)
def test_bind_refuses_missing_and_unknown_parameters(
    catalog: Catalog, query: str, args: dict[str, object], message: str
) -> None:
    with pytest.raises(CatalogError, match=re.escape(message)):
        catalog.get(query).bind(args)


@pytest.fixture
def search() -> CatalogQuery:
    sql = "SELECT id FROM customers WHERE name LIKE :pattern"
    entries = [entry(name="customer_search", sql=sql, params={"pattern": {"type": "str"}})]
    return load_catalog(entries, "sqlite").get("customer_search")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("x" * 201, "parameter 'pattern' of query 'customer_search' is 201 characters long"),
        ("Ann\x00", "parameter 'pattern' of query 'customer_search' must not contain a NUL"),
        (b"Ann%", "must be a text; got bytes"),
        (42, "must be a text; got a number"),
        (["Ann"], "must be a text; got a list"),
    ],
)
def test_str_arguments_are_texts_without_nul_up_to_max_length(
    search: CatalogQuery, value: object, message: str
) -> None:
    assert search.bind({"pattern": "x" * 200}) == {"pattern": "x" * 200}
    assert search.bind({"pattern": ""}) == {"pattern": ""}
    with pytest.raises(CatalogError, match=message):
        search.bind({"pattern": value})


def test_max_length_is_configurable_for_str_parameters() -> None:
    catalog = load_catalog(
        [
            entry(
                name="customer_by_code",
                sql="SELECT id FROM customers WHERE code = :code",
                params={"code": {"type": "str", "max_length": 8}},
            )
        ],
        "mysql",
    )
    query = catalog.get("customer_by_code")
    assert query.bind({"code": "ABCD1234"}) == {"code": "ABCD1234"}
    with pytest.raises(CatalogError, match="9 characters long; at most 8"):
        query.bind({"code": "ABCD12345"})


def test_bind_refuses_arguments_that_are_not_a_mapping(catalog: Catalog) -> None:
    with pytest.raises(CatalogError, match="arguments for query 'sales_by_region' must be a"):
        catalog.get("sales_by_region").bind(["north"])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("param", "default", "expected"),
    [
        ({"type": "date"}, "2026-01-01", datetime.date(2026, 1, 1)),
        ({"type": "date"}, datetime.date(2026, 1, 1), datetime.date(2026, 1, 1)),  # TOML date
        ({"type": "int"}, "50", 50),
        ({"type": "str"}, "web", "web"),
        ({"type": "enum", "values": ["web", "shop"]}, "shop", "shop"),
    ],
)
def test_defaults_are_coerced_when_the_catalog_loads(
    param: dict[str, object], default: object, expected: object
) -> None:
    spec = {**param, "required": False, "default": default}
    catalog = load_catalog(
        [entry(sql="SELECT id FROM orders WHERE x = :x", params={"x": spec})], "postgres"
    )
    assert catalog.get("orders_since").params[0].default == expected
    assert catalog.get("orders_since").bind({}) == {"x": expected}


@pytest.mark.parametrize(
    ("param", "default", "message"),
    [
        ({"type": "int"}, 10.5, "the default of query 'orders_since', parameter 'x' must be"),
        ({"type": "int"}, True, "must be a whole number"),
        ({"type": "date"}, "2026-02-30", "must be a real calendar date"),
        ({"type": "str", "max_length": 3}, "abcd", "is 4 characters long; at most 3"),
        ({"type": "enum", "values": ["web", "shop"]}, "phone", "must be one of 'web', 'shop'"),
    ],
)
def test_an_invalid_default_stops_the_catalog_from_loading(
    param: dict[str, object], default: object, message: str
) -> None:
    spec = {**param, "required": False, "default": default}
    with pytest.raises(CatalogError, match=message):
        load_catalog(
            [entry(sql="SELECT id FROM orders WHERE x = :x", params={"x": spec})], "sqlite"
        )


# --- what the orchestrator is told --------------------------------------------------------


def test_announce_describes_queries_and_parameters(catalog: Catalog) -> None:
    announced = catalog.announce()

    assert [query["name"] for query in announced] == [
        "sales_by_day",
        "top_products",
        "sales_by_region",
    ]
    assert announced[1] == {
        "name": "top_products",
        "description": "Best-selling products by revenue over a period.",
        "keywords": ["products", "best sellers"],
        "params": [
            {"name": "start", "type": "date", "required": True, "description": ""},
            {"name": "end", "type": "date", "required": True, "description": ""},
            {"name": "limit", "type": "int", "required": False, "description": "How many"},
        ],
    }
    assert announced[2]["params"] == [
        {
            "name": "region",
            "type": "enum",
            "required": False,
            "values": ["north", "south", "east", "west"],
            "description": "",
        }
    ]


@pytest.mark.parametrize("dialect", ["postgres", "mysql", "sqlite"])
def test_announce_never_reveals_the_sql(dialect: str) -> None:
    text = repr(load_catalog(SALES, dialect).announce())
    assert "select" not in text.lower()
    for word in ("FROM", "order_lines", "created_at", "COALESCE", ":start", ":limit"):
        assert word not in text
