"""Read-only SQL guard: the runner only executes SQL that passed ``check_select``.

The orchestrator (and the model behind it) writes the extraction queries, so the runner treats
them as untrusted: it parses each one with sqlglot in the client's dialect, accepts exactly one
read-only SELECT, and runs sqlglot's re-rendering of the checked tree rather than the original
text, so what reaches the database is exactly what was checked. This is defence in depth: the
runner's database role and read-only transactions remain the real permission boundary.
"""

import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, ParseError

DIALECTS: tuple[str, ...] = ("postgres", "mysql", "sqlite", "tsql", "oracle")
"""sqlglot dialect names the runner supports ("mysql" also covers MariaDB)."""

_BACKEND_DIALECTS: dict[str, str] = {
    "postgresql": "postgres",
    "mysql": "mysql",
    "mariadb": "mysql",
    "sqlite": "sqlite",
    "mssql": "tsql",
    "oracle": "oracle",
}

DENIED_FUNCTIONS: frozenset[str] = frozenset(
    {
        # Sleeping or burning CPU: ties up the client's database (and is how blind probing works).
        "pg_sleep",
        "pg_sleep_for",
        "pg_sleep_until",
        "sleep",
        "benchmark",
        "waitfor",
        "master_pos_wait",
        "source_pos_wait",
        "master_gtid_wait",
        "wait_for_executed_gtid_set",
        # Files, programs and the network: reach outside the database.
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "pg_ls_logdir",
        "pg_ls_waldir",
        "pg_ls_tmpdir",
        "pg_ls_archive_statusdir",
        "pg_file_write",
        "pg_file_rename",
        "pg_file_unlink",
        "pg_logdir_ls",
        "pg_stat_file",
        "lo_import",
        "lo_export",
        "lo_get",
        "lo_put",
        "lo_from_bytea",
        "load_file",
        "load_extension",
        "readfile",
        "writefile",
        "edit",
        "fsdir",
        "zipfile",
        "fts3_tokenizer",
        "dblink",
        "dblink_exec",
        "dblink_connect",
        "dblink_connect_u",
        "dblink_open",
        "dblink_send_query",
        "openrowset",
        "opendatasource",
        "openquery",
        "fn_xe_file_target_read_file",
        "fn_get_audit_file",
        "fn_trace_gettable",
        "xp_cmdshell",
        "sp_oacreate",
        "utl_http.request",
        "utl_http.request_pieces",
        "httpuritype",
        "utl_inaddr.get_host_address",
        "utl_inaddr.get_host_name",
        "dbms_ldap.init",
        "utl_file.fopen",
        "dbms_pipe.receive_message",
        "sys_exec",
        "sys_eval",
        "copy_program",
        # Run a SQL string given as an argument, which would bypass every check here.
        "query_to_xml",
        "query_to_xmlschema",
        "query_to_xml_and_xmlschema",
        "ts_stat",
        "ts_rewrite",
        "dbms_xmlgen.getxml",
        "dbms_xmlgen.getxmltype",
        "dbms_xmlquery.getxml",
        # Functions that write even inside a SELECT (some even in a read-only transaction).
        "setval",
        "nextval",
        "next_value_for",
        "pg_notify",
        "lo_create",
        "lo_creat",
        "lo_unlink",
        "lowrite",
        "lo_truncate",
        "lo_truncate64",
        # Server administration and session settings.
        "pg_terminate_backend",
        "pg_cancel_backend",
        "set_config",
        "pg_reload_conf",
        "pg_rotate_logfile",
        "pg_switch_wal",
        "pg_create_restore_point",
        "pg_promote",
        "pg_backup_start",
        "pg_start_backup",
        "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot",
        "pg_drop_replication_slot",
        "pg_logical_emit_message",
        # Locks that outlive the query or block the client's own applications.
        "pg_advisory_lock",
        "pg_advisory_xact_lock",
        "pg_advisory_lock_shared",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_lock",
        "pg_try_advisory_lock_shared",
        "pg_try_advisory_xact_lock",
        "pg_try_advisory_xact_lock_shared",
        "get_lock",
        "release_lock",
        "release_all_locks",
    }
)
"""Lower-case function names refused anywhere in a query; dotted names match package calls."""

# Statements (or fragments of them) that change data, schema, settings or session state. sqlglot
# parses what it does not understand as ``exp.Command``, so that is refused too (fail closed).
_WRITE_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.TruncateTable,
    exp.Copy,
    exp.Grant,
    exp.Revoke,
    exp.Command,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
    exp.Set,
    exp.Pragma,
    exp.Attach,
    exp.Detach,
    exp.Execute,
    exp.Use,
    exp.LoadData,
    exp.Analyze,
    exp.Cache,
    exp.Uncache,
    exp.Refresh,
    exp.Kill,
    exp.Declare,
    exp.Comment,
)

_STATEMENT_NAMES: dict[type[exp.Expression], str] = {
    exp.Insert: "INSERT",
    exp.Update: "UPDATE",
    exp.Delete: "DELETE",
    exp.Merge: "MERGE",
    exp.TruncateTable: "TRUNCATE",
    exp.Copy: "COPY",
    exp.Grant: "GRANT",
    exp.Revoke: "REVOKE",
    exp.Transaction: "BEGIN",
    exp.Commit: "COMMIT",
    exp.Rollback: "ROLLBACK",
    exp.Set: "SET",
    exp.Pragma: "PRAGMA",
    exp.Attach: "ATTACH",
    exp.Detach: "DETACH",
    exp.Execute: "EXEC",
    exp.Use: "USE",
    exp.Values: "VALUES",
    exp.LoadData: "LOAD DATA",
    exp.Analyze: "ANALYZE",
    exp.Describe: "DESCRIBE",
    exp.Show: "SHOW",
    exp.Kill: "KILL",
    exp.Declare: "DECLARE",
    exp.Comment: "COMMENT",
}

# SQL Server's spelling of FOR UPDATE: table hints that take update/exclusive locks.
_LOCKING_TABLE_HINTS: frozenset[str] = frozenset({"updlock", "xlock", "tablockx"})


class UnsafeQuery(ValueError):
    """A query the runner refuses; the message is meant for the client's IT person."""


def dialect_for(sqlalchemy_backend: str) -> str:
    """Map a SQLAlchemy backend name (``url.get_backend_name()``) to the sqlglot dialect."""
    backend = sqlalchemy_backend.split("+", 1)[0].strip().lower()
    try:
        return _BACKEND_DIALECTS[backend]
    except KeyError:
        supported = ", ".join(sorted(_BACKEND_DIALECTS))
        raise ValueError(
            f"database backend {sqlalchemy_backend!r} is not supported; use one of {supported}"
        ) from None


def check_select(sql: str, dialect: str) -> str:
    """Return ``sql`` re-rendered by sqlglot if it is one read-only query, else raise.

    Raises ``UnsafeQuery`` for any refused or unparseable SQL, and plain ``ValueError`` only for
    a ``dialect`` outside ``DIALECTS`` (a configuration bug, not a bad query).
    """
    if dialect not in DIALECTS:
        supported = ", ".join(DIALECTS)
        raise ValueError(f"unsupported SQL dialect {dialect!r}; expected one of {supported}")
    statement = _parse_one_statement(sql, dialect)
    if not _is_top_level_query(statement):
        kind = _statement_kind(statement, dialect)
        raise UnsafeQuery(f"only SELECT statements may run; this is {_article(kind)} {kind}")
    try:
        for node in statement.walk():
            _check_node(node, dialect)
    except UnsafeQuery:
        raise
    except Exception as error:  # a tree shape this module does not expect: fail closed
        raise UnsafeQuery(f"the query could not be checked safely: {error}") from error
    try:
        return statement.sql(
            dialect=dialect, unsupported_level=ErrorLevel.RAISE, normalize_functions=False
        )
    except Exception as error:  # a rendering we cannot trust must not run
        raise UnsafeQuery(
            f"the query uses syntax that cannot be checked safely as {dialect}: {error}"
        ) from error


def _parse_one_statement(sql: str, dialect: str) -> exp.Expression:
    """Parse ``sql`` and return its single statement; comments and empty ones do not count."""
    try:
        parsed = sqlglot.parse(sql, read=dialect)
    except ParseError as error:
        raise UnsafeQuery(
            f"the query could not be parsed as {dialect}: {_describe_parse_error(error)}"
        ) from error
    except RecursionError as error:
        raise UnsafeQuery("the query is nested too deeply to be checked") from error
    except Exception as error:  # TokenError and any sqlglot bug on odd input: fail closed
        raise UnsafeQuery(f"the query could not be parsed as {dialect}: {error}") from error
    # A bare ";" yields None and a comment after the last ";" yields exp.Semicolon: neither runs.
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if not statements:
        raise UnsafeQuery("the query is empty (nothing but whitespace or comments)")
    if len(statements) > 1:
        raise UnsafeQuery(
            f"more than one statement ({len(statements)} found); send exactly one SELECT"
        )
    return statements[0]


def _describe_parse_error(error: ParseError) -> str:
    """Give sqlglot's first error without its terminal colour codes."""
    if not error.errors:
        return str(error)
    first = error.errors[0]
    text = f"{first.get('description')} at line {first.get('line')}, column {first.get('col')}"
    near = (first.get("highlight") or "").strip()
    return f"{text} (near {near!r})" if near else text


def _is_top_level_query(node: exp.Expression) -> bool:
    """Accept a SELECT or set operation, also wrapped in parentheses."""
    inner = node.unnest() if isinstance(node, exp.Subquery) else node
    return isinstance(inner, exp.Select | exp.SetOperation)


def _is_read_query(node: exp.Expression | None) -> bool:
    """Whether a CTE body or set-operation side is a read-only query (VALUES included)."""
    if isinstance(node, exp.Subquery):
        node = node.unnest()
    return isinstance(node, exp.Select | exp.SetOperation | exp.Values)


def _check_node(node: exp.Expression, dialect: str) -> None:
    """Refuse one node of the tree if it writes, locks or calls a denied function."""
    if isinstance(node, _WRITE_NODES):
        kind = _statement_kind(node, dialect)
        raise UnsafeQuery(
            f"the query contains {_article(kind)} {kind} statement; "
            "only read-only SELECT queries may run"
        )
    if isinstance(node, exp.CTE) and not _is_read_query(node.this):
        kind = _statement_kind(node.this, dialect) if node.this else "empty"
        raise UnsafeQuery(
            f"the WITH part {node.alias_or_name!r} is {_article(kind)} {kind}, not a SELECT"
        )
    if isinstance(node, exp.SetOperation):
        for side in (node.left, node.right):
            if not _is_read_query(side):
                kind = _statement_kind(side, dialect) if side else "empty"
                raise UnsafeQuery(f"a set operation combines {_article(kind)} {kind}")
    if isinstance(node, exp.Into):
        raise UnsafeQuery("SELECT ... INTO writes a table (or variable) and is not allowed")
    if isinstance(node, exp.Lock):
        raise UnsafeQuery(f"locking clause {_lock_clause(node, dialect)} is not allowed")
    if isinstance(node, exp.WithTableHint):
        for hint in node.expressions:
            if hint.name.lower() in _LOCKING_TABLE_HINTS:
                raise UnsafeQuery(f"locking hint {hint.name.upper()} is not allowed")
    if isinstance(node, exp.Func):
        for name in _function_names(node):
            if name in DENIED_FUNCTIONS:
                raise UnsafeQuery(f"function {name} is not allowed")


def _function_names(func: exp.Func) -> set[str]:
    """All lower-case names a call can match: bare, and with each suffix of its qualifier.

    ``sys.utl_http.request(...)`` yields ``request``, ``utl_http.request`` and the full name, so
    both plain names (``pg_catalog.pg_sleep``) and package names (``utl_http.request``) match.
    """
    if isinstance(func, exp.Anonymous | exp.AnonymousAggFunc):
        bases = {func.name.lower()}
    else:
        bases = {name.lower() for name in type(func).sql_names()}
    qualifier: list[str] = []
    parent = func.parent
    if isinstance(parent, exp.Dot) and parent.expression is func:
        qualifier = _dotted_parts(parent.this)
    elif isinstance(parent, exp.Table) and parent.this is func:
        parts = (parent.args.get("catalog"), parent.args.get("db"))
        qualifier = [part.name for part in parts if part is not None]
    names = set()
    for base in bases:
        for start in range(len(qualifier) + 1):
            names.add(".".join([*qualifier[start:], base]).lower())
    return names


def _dotted_parts(node: exp.Expression | None) -> list[str]:
    """Flatten ``a.b.c`` (Identifier, Column or nested Dot) into its names."""
    if isinstance(node, exp.Dot):
        return _dotted_parts(node.this) + _dotted_parts(node.expression)
    if isinstance(node, exp.Column):
        return [part.name for part in node.parts]
    if isinstance(node, exp.Identifier | exp.Var):
        return [node.name]
    return []


def _lock_clause(lock: exp.Lock, dialect: str) -> str:
    """Spell a locking clause the way the client's users know it."""
    if lock.args.get("update"):
        return "FOR NO KEY UPDATE" if lock.args.get("key") else "FOR UPDATE"
    if lock.args.get("key"):
        return "FOR KEY SHARE"
    return "FOR SHARE / LOCK IN SHARE MODE" if dialect == "mysql" else "FOR SHARE"


def _statement_kind(node: exp.Expression, dialect: str) -> str:
    """Name a statement by its leading keywords, e.g. ``UPDATE`` or ``DROP TABLE``."""
    if isinstance(node, exp.Command):
        return str(node.this).upper()
    if isinstance(node, exp.Create | exp.Drop | exp.Alter):
        keyword = node.key.upper()
        kind = node.args.get("kind")
        return f"{keyword} {str(kind).upper()}" if kind else keyword
    name = _STATEMENT_NAMES.get(type(node))
    if name:
        return name
    try:  # anything else: the first word sqlglot would write for it
        words = node.sql(dialect=dialect).split(None, 1)
    except Exception:
        words = []
    return words[0].upper() if words else node.key.upper()


def _article(word: str) -> str:
    """Pick "a" or "an" for a keyword (an UPDATE, a USE)."""
    first = word[:1].upper()
    if first == "U":
        return "a" if word.upper().startswith(("USE", "UNI")) else "an"
    return "an" if first in "AEIO" else "a"
