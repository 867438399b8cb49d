"""The runner's SQL guard: exactly one read-only SELECT runs, anything else is refused plainly."""

import random
import time

import pytest
import sqlglot
from ln1_runner.sqlguard import (
    DENIED_FUNCTIONS,
    DIALECTS,
    UnsafeQuery,
    check_select,
    dialect_for,
)

ALLOWED = [
    # postgres
    ("postgres", "SELECT id, name FROM customers"),
    ("postgres", "select * from public.orders where total > 10.5 and status <> 'void'"),
    (
        "postgres",
        "SELECT c.id, o.total FROM customers c JOIN orders o ON o.customer_id = c.id "
        "LEFT JOIN regions r ON r.id = c.region_id",
    ),
    (
        "postgres",
        "SELECT region, count(*) AS n FROM orders GROUP BY region HAVING count(*) > 10 "
        "ORDER BY n DESC LIMIT 20 OFFSET 5",
    ),
    (
        "postgres",
        "SELECT id, sum(total) OVER (PARTITION BY region ORDER BY created_at "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) FROM orders",
    ),
    (
        "postgres",
        "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days') "
        "SELECT count(*) FROM recent",
    ),
    (
        "postgres",
        "WITH RECURSIVE tree AS (SELECT id, parent_id FROM nodes WHERE parent_id IS NULL "
        "UNION ALL SELECT n.id, n.parent_id FROM nodes n JOIN tree t ON n.parent_id = t.id) "
        "SELECT * FROM tree",
    ),
    ("postgres", "WITH v(a) AS (VALUES (1), (2)) SELECT a FROM v"),
    ("postgres", "SELECT id FROM a UNION ALL SELECT id FROM b"),
    ("postgres", "SELECT id FROM a INTERSECT SELECT id FROM b"),
    ("postgres", "SELECT id FROM a EXCEPT SELECT id FROM b"),
    ("postgres", "(SELECT 1) UNION (SELECT 2) ORDER BY 1"),
    ("postgres", "SELECT * FROM orders WHERE customer_id IN (SELECT id FROM customers)"),
    ("postgres", "SELECT * FROM orders o WHERE EXISTS (SELECT 1 FROM refunds r WHERE r.o = o.id)"),
    ("postgres", "SELECT x.n FROM (SELECT count(*) AS n FROM t) AS x"),
    ("postgres", "SELECT date_trunc('month', created_at), extract(year FROM created_at) FROM t"),
    ("postgres", "SELECT CASE WHEN total > 100 THEN 'big' ELSE 'small' END FROM orders"),
    ("postgres", "SELECT current_setting('TimeZone')"),
    ("postgres", "SELECT * FROM pg_stat_activity"),
    ("postgres", "SELECT sleep_minutes FROM shifts"),  # a column, not a call
    ("postgres", "SELECT 'update t set a = 1; drop table x' AS note"),  # words in a string
    ("postgres", "SELECT 1;"),
    ("postgres", "SELECT 1; -- done"),
    ("postgres", "-- monthly totals\nSELECT /* inline */ 1 AS one"),
    # mysql / MariaDB
    ("mysql", "SELECT `id`, `name` FROM `customers` WHERE `active` = 1 LIMIT 10"),
    (
        "mysql",
        "SELECT DATE_FORMAT(created_at, '%Y-%m') AS m, COUNT(*) FROM orders "
        "GROUP BY m HAVING COUNT(*) > 1 ORDER BY m",
    ),
    ("mysql", "SELECT id, ROW_NUMBER() OVER (PARTITION BY cid ORDER BY created_at) FROM orders"),
    ("mysql", "WITH t AS (SELECT 1 AS a) SELECT a FROM t UNION ALL SELECT 2"),
    ("mysql", "SELECT DATE_SUB(NOW(), INTERVAL 7 DAY)"),
    ("mysql", "SELECT * FROM t USE INDEX (idx_a) WHERE a = 1"),
    ("mysql", "SELECT a FROM t JOIN u ON u.id = t.uid WHERE u.x IN (SELECT x FROM v)"),
    ("mysql", "select 1; # trailing comment"),
    # sqlite
    ("sqlite", "SELECT id, name FROM customers WHERE name LIKE 'A%' ORDER BY name LIMIT 5"),
    ("sqlite", "SELECT strftime('%Y-%m', created_at), count(*) FROM orders GROUP BY 1"),
    ("sqlite", "SELECT date('now', '-7 days')"),
    ("sqlite", "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
    ("sqlite", "SELECT a, lag(a) OVER (ORDER BY a) FROM t"),
    ("sqlite", "SELECT a FROM t UNION ALL SELECT a FROM u;"),
    ("sqlite", "/* report */ SELECT count(*) FROM t -- rows"),
    # tsql
    ("tsql", "SELECT TOP 10 id, name FROM dbo.customers WITH (NOLOCK) ORDER BY name"),
    ("tsql", "SELECT DATEADD(day, -7, GETDATE())"),
    ("tsql", "WITH x AS (SELECT 1 AS a) SELECT a FROM x"),
    # oracle
    ("oracle", "SELECT id FROM customers WHERE ROWNUM <= 10"),
    ("oracle", "SELECT TO_CHAR(SYSDATE, 'YYYY-MM') FROM dual"),
    ("oracle", "SELECT * FROM orders ORDER BY id FETCH FIRST 5 ROWS ONLY"),
]


@pytest.mark.parametrize(("dialect", "sql"), ALLOWED)
def test_read_only_query_is_returned_as_sqlglot_renders_it_keeping_function_names(
    dialect: str, sql: str
) -> None:
    checked = check_select(sql, dialect)
    rendered = sqlglot.parse(sql, read=dialect)[0].sql(dialect=dialect, normalize_functions=False)
    assert checked == rendered


@pytest.mark.parametrize(("dialect", "sql"), ALLOWED)
def test_returned_sql_is_one_statement_and_checking_it_again_changes_nothing(
    dialect: str, sql: str
) -> None:
    checked = check_select(sql, dialect)
    assert len(sqlglot.parse(checked, read=dialect)) == 1
    assert check_select(checked, dialect) == checked


REFUSED = [
    # nothing to run
    ("postgres", "", "empty"),
    ("postgres", "   \n\t ", "empty"),
    ("postgres", "-- just a comment", "empty"),
    ("mysql", "/* only a comment */", "empty"),
    ("postgres", ";", "empty"),
    # not parseable
    ("postgres", "this is garbage !!", "could not be parsed as postgres"),
    ("mysql", "SELECT FROM WHERE (", "could not be parsed as mysql"),
    ("postgres", "SELECT 'unterminated", "could not be parsed as postgres"),
    ("tsql", "WAITFOR DELAY '00:00:05'", "could not be parsed as tsql"),
    ("mysql", "SELECT * FROM t INTO OUTFILE '/tmp/x'", "could not be parsed as mysql"),
    # more than one statement
    ("postgres", "SELECT 1; DROP TABLE x", "more than one statement"),
    ("mysql", "SELECT 1; SELECT 2", "more than one statement"),
    ("sqlite", "SELECT 1;\nDELETE FROM t;", "more than one statement"),
    ("tsql", "SELECT 1; EXEC xp_cmdshell 'dir'", "more than one statement"),
    # not a query
    ("postgres", "update t set a=1", "this is an UPDATE"),
    ("mysql", "UPDATE t SET a = 1 WHERE id = 2", "this is an UPDATE"),
    ("postgres", "insert into t values (1)", "this is an INSERT"),
    ("sqlite", "INSERT INTO t SELECT * FROM u", "this is an INSERT"),
    ("postgres", "delete from t", "this is a DELETE"),
    ("postgres", "MERGE INTO t USING s ON t.a = s.a WHEN MATCHED THEN DELETE", "this is a MERGE"),
    ("postgres", "create table x (a int)", "this is a CREATE TABLE"),
    ("mysql", "CREATE TABLE x AS SELECT 1", "this is a CREATE TABLE"),
    ("postgres", "drop table x", "this is a DROP TABLE"),
    ("postgres", "alter table t add column b int", "this is an ALTER TABLE"),
    ("postgres", "truncate t", "this is a TRUNCATE"),
    ("postgres", "grant all on t to u", "this is a GRANT"),
    ("postgres", "revoke all on t from u", "this is a REVOKE"),
    ("postgres", "COPY t TO PROGRAM 'sh'", "this is a COPY"),
    ("postgres", "call refresh_all()", "this is a CALL"),
    ("postgres", "DO $$BEGIN PERFORM 1; END$$", "this is a DO"),
    ("postgres", "set role admin", "this is a SET"),
    ("mysql", "SET GLOBAL max_connections = 1", "this is a SET"),
    ("postgres", "begin", "this is a BEGIN"),
    ("postgres", "commit", "this is a COMMIT"),
    ("postgres", "lock table t", "this is a LOCK"),
    ("postgres", "vacuum", "this is a VACUUM"),
    ("postgres", "explain analyze select 1", "this is an EXPLAIN"),
    ("postgres", "VALUES (1)", "this is a VALUES"),
    ("sqlite", "ATTACH DATABASE 'x' AS y", "this is an ATTACH"),
    ("sqlite", "PRAGMA writable_schema=1", "this is a PRAGMA"),
    ("sqlite", "VACUUM", "this is a VACUUM"),
    ("tsql", "EXEC xp_cmdshell 'dir'", "this is an EXEC"),
    ("tsql", "EXECUTE sp_configure 'show advanced options', 1", "this is an EXEC"),
    ("oracle", "DELETE FROM t WHERE id = 1", "this is a DELETE"),
    # writes hidden inside a query
    ("postgres", "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "is a DELETE"),
    ("postgres", "WITH u AS (UPDATE t SET a = 1 RETURNING a) SELECT * FROM u", "is an UPDATE"),
    (
        "postgres",
        "WITH ok AS (SELECT 1), i AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM i",
        "is an INSERT",
    ),
    ("postgres", "select * into new_t from t", "SELECT ... INTO writes a table"),
    ("postgres", "SELECT * INTO TEMP t2 FROM t", "SELECT ... INTO writes a table"),
    ("tsql", "select * into new_t from t", "SELECT ... INTO writes a table"),
    ("tsql", "SELECT * INTO #tmp FROM t", "SELECT ... INTO writes a table"),
    ("mysql", "SELECT 1 INTO @x", "SELECT ... INTO writes a table"),
    # locking
    ("postgres", "select * from t for update", "locking clause FOR UPDATE"),
    ("postgres", "SELECT * FROM t FOR UPDATE OF t SKIP LOCKED", "locking clause FOR UPDATE"),
    ("postgres", "SELECT * FROM t FOR NO KEY UPDATE", "locking clause FOR NO KEY UPDATE"),
    ("postgres", "SELECT * FROM t FOR SHARE", "locking clause FOR SHARE"),
    ("postgres", "SELECT * FROM t FOR KEY SHARE", "locking clause FOR KEY SHARE"),
    ("postgres", "SELECT * FROM (SELECT * FROM t FOR UPDATE) s", "locking clause FOR UPDATE"),
    ("mysql", "select * from t for update", "locking clause FOR UPDATE"),
    ("mysql", "select * from t lock in share mode", "LOCK IN SHARE MODE"),
    ("oracle", "SELECT * FROM t FOR UPDATE NOWAIT", "locking clause FOR UPDATE"),
    ("tsql", "SELECT * FROM t WITH (UPDLOCK, ROWLOCK)", "locking hint UPDLOCK"),
    ("tsql", "SELECT * FROM t WITH (XLOCK)", "locking hint XLOCK"),
    # dangerous functions
    ("postgres", "select pg_sleep(10)", "function pg_sleep is not allowed"),
    ("mysql", "SELECT SLEEP(5)", "function sleep is not allowed"),
    ("mysql", "SELECT BENCHMARK(1000000, MD5('a'))", "function benchmark is not allowed"),
    ("mysql", "SELECT LOAD_FILE('/etc/passwd')", "function load_file is not allowed"),
    ("postgres", "SELECT lo_import('/etc/passwd')", "function lo_import is not allowed"),
    ("postgres", "SELECT pg_read_file('/etc/passwd')", "function pg_read_file is not allowed"),
    (
        "postgres",
        "select * from dblink('host=x', 'select 1') as t(a int)",
        "function dblink is not allowed",
    ),
    ("postgres", "SELECT set_config('role', 'admin', false)", "function set_config"),
    ("postgres", "SELECT pg_terminate_backend(42)", "function pg_terminate_backend"),
    ("postgres", "SELECT pg_advisory_lock(1)", "function pg_advisory_lock is not allowed"),
    ("postgres", "SELECT query_to_xml('select pg_sleep(9)', true, true, '')", "query_to_xml"),
    ("mysql", "SELECT GET_LOCK('a', 10)", "function get_lock is not allowed"),
    ("sqlite", "SELECT load_extension('/tmp/evil.so')", "function load_extension"),
    ("sqlite", "SELECT writefile('/tmp/x', 'y')", "function writefile is not allowed"),
    ("tsql", "SELECT * FROM OPENROWSET('SQLNCLI', 'srv', 'SELECT 1')", "function openrowset"),
    ("tsql", "SELECT * FROM OPENQUERY(srv, 'SELECT 1')", "function openquery is not allowed"),
    ("oracle", "SELECT utl_http.request('http://x') FROM dual", "function utl_http.request"),
    ("oracle", "SELECT SYS.UTL_HTTP.REQUEST('http://x') FROM dual", "function utl_http.request"),
    ("oracle", "SELECT * FROM TABLE(utl_file.fopen('d', 'f', 'r'))", "function utl_file.fopen"),
    (
        "oracle",
        "SELECT DBMS_PIPE.RECEIVE_MESSAGE('a', 10) FROM dual",
        "function dbms_pipe.receive_message",
    ),
    # ... however it is spelled or wherever it hides
    ("postgres", "SELECT Pg_Sleep(1)", "function pg_sleep is not allowed"),
    ("postgres", 'SELECT "pg_sleep"(1)', "function pg_sleep is not allowed"),
    ("postgres", "SELECT pg_catalog.pg_sleep(1)", "function pg_sleep is not allowed"),
    ("postgres", "SELECT * FROM pg_sleep(1)", "function pg_sleep is not allowed"),
    ("postgres", "SELECT * FROM t, LATERAL pg_sleep(1)", "function pg_sleep is not allowed"),
    (
        "postgres",
        "SELECT x FROM (SELECT CASE WHEN a > 0 THEN pg_sleep(1) END AS x FROM t) s",
        "function pg_sleep is not allowed",
    ),
    (
        "postgres",
        "SELECT * FROM t WHERE a IN (SELECT b FROM u WHERE c = ANY(SELECT pg_sleep(1)))",
        "function pg_sleep is not allowed",
    ),
    ("postgres", "WITH s AS (SELECT pg_sleep(1)) SELECT * FROM s", "function pg_sleep"),
    ("postgres", "SELECT 1 UNION ALL SELECT pg_sleep(1)", "function pg_sleep is not allowed"),
    ("postgres", "SELECT a FROM t ORDER BY pg_sleep(1)", "function pg_sleep is not allowed"),
    ("postgres", "SELECT count(*) FILTER (WHERE pg_sleep(1) IS NULL) FROM t", "pg_sleep"),
    ("mysql", "SELECT IF(1 = 1, SLEEP(5), 0) FROM t", "function sleep is not allowed"),
    ("sqlite", "SELECT CAST(readfile('x') AS TEXT)", "function readfile is not allowed"),
]


@pytest.mark.parametrize(("dialect", "sql", "reason"), REFUSED)
def test_refused_query_says_why(dialect: str, sql: str, reason: str) -> None:
    with pytest.raises(UnsafeQuery) as refused:
        check_select(sql, dialect)
    assert reason.lower() in str(refused.value).lower()


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("name", sorted(DENIED_FUNCTIONS))
def test_every_denied_function_is_refused_in_every_dialect(name: str, dialect: str) -> None:
    for sql in (f"SELECT {name}(1)", f"SELECT {name.upper()}(1, 'x') AS v FROM t"):
        with pytest.raises(UnsafeQuery, match=f"function {name} is not allowed"):
            check_select(sql, dialect)


def test_current_setting_is_allowed_but_set_config_is_not() -> None:
    assert check_select("SELECT current_setting('TimeZone')", "postgres") == (
        "SELECT current_setting('TimeZone')"
    )
    with pytest.raises(UnsafeQuery, match="set_config"):
        check_select("SELECT set_config('TimeZone', 'UTC', false)", "postgres")


def test_mysql_executable_comment_is_rendered_inert() -> None:
    # MySQL runs the body of /*! ... */; the rendering must not keep that form.
    checked = check_select("SELECT 1 /*! , SLEEP(5) */", "mysql")
    assert "/*!" not in checked


def test_comment_that_closes_early_cannot_smuggle_a_statement() -> None:
    checked = check_select("SELECT 1 -- */ ; DROP TABLE t", "postgres")
    assert len(sqlglot.parse(checked, read="postgres")) == 1
    assert check_select(checked, "postgres") == checked


def test_absurdly_deep_nesting_is_refused_not_crashed() -> None:
    sql = "SELECT " + "(" * 5000 + "1" + ")" * 5000
    with pytest.raises(UnsafeQuery, match="nested too deeply"):
        check_select(sql, "postgres")


def test_random_junk_only_ever_raises_unsafe_query() -> None:
    words = [
        "SELECT", "FROM", "WHERE", "(", ")", ",", ";", "'", '"', "`", "--", "/*", "*/", "*",
        "t", "1", "INTO", "FOR", "UPDATE", "WITH", "AS", "UNION", "DELETE", "pg_sleep", "$$",
        "[", "]", "#", "\\", "=", "CASE", "END", ".", "\n",
    ]  # fmt: skip
    rng = random.Random(1234)
    for _ in range(300):
        sql = " ".join(rng.choice(words) for _ in range(rng.randint(1, 12)))
        for dialect in DIALECTS:
            try:
                checked = check_select(sql, dialect)
            except UnsafeQuery:
                continue
            assert check_select(checked, dialect) == checked


def test_typical_query_is_checked_in_a_few_milliseconds() -> None:
    sql = (
        "WITH recent AS (SELECT * FROM orders WHERE created_at > now() - interval '7 days') "
        "SELECT c.id, c.name, sum(r.total) OVER (PARTITION BY c.region ORDER BY r.created_at), "
        "CASE WHEN r.total > 100 THEN 'big' ELSE 'small' END FROM customers c "
        "JOIN recent r ON r.customer_id = c.id WHERE c.country IN (SELECT code FROM countries) "
        "ORDER BY 3 DESC LIMIT 100"
    )
    check_select(sql, "postgres")
    timings = []
    for _ in range(5):
        start = time.perf_counter()
        check_select(sql, "postgres")
        timings.append(time.perf_counter() - start)
    assert min(timings) < 0.05  # about 3 ms here; the bound only catches pathological slowness


def test_unknown_dialect_is_a_configuration_error_not_an_unsafe_query() -> None:
    with pytest.raises(ValueError, match="unsupported SQL dialect") as error:
        check_select("SELECT 1", "snowflake")
    assert not isinstance(error.value, UnsafeQuery)


@pytest.mark.parametrize(
    ("backend", "dialect"),
    [
        ("postgresql", "postgres"),
        ("mysql", "mysql"),
        ("mariadb", "mysql"),
        ("sqlite", "sqlite"),
        ("mssql", "tsql"),
        ("oracle", "oracle"),
        ("postgresql+psycopg", "postgres"),
    ],
)
def test_dialect_for_maps_sqlalchemy_backends(backend: str, dialect: str) -> None:
    assert dialect_for(backend) == dialect
    assert dialect in DIALECTS


@pytest.mark.parametrize("backend", ["snowflake", "db2", "", "postgres"])
def test_dialect_for_refuses_unknown_backends(backend: str) -> None:
    with pytest.raises(ValueError, match="not supported"):
        dialect_for(backend)


def test_quoted_function_names_keep_their_case() -> None:
    assert check_select('SELECT "MyFunc"(1)', "postgres") == 'SELECT "MyFunc"(1)'
