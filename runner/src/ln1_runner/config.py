"""``runner.toml``: what a runner connects to, which database it reads, and what it may run.

The file is written by the client's IT person, so every mistake stops the runner with a message
that names the file and the key, in plain words. Secrets can stay out of the file: the token may
come from ``token_file`` or the ``LN1_RUNNER_TOKEN`` variable, and the database URL may use
``${VAR}`` placeholders. Neither the token nor the database password ever shows in a ``repr``.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from ln1_runner.catalog import Catalog, CatalogError, load_catalog
from ln1_runner.protocol import CONNECT_PATH, MAX_CHUNK_ROWS
from ln1_runner.sqlguard import dialect_for

TOKEN_ENV = "LN1_RUNNER_TOKEN"
DEFAULT_MAX_ROWS = 100_000
DEFAULT_STATEMENT_TIMEOUT_S = 30.0

_SECTIONS: dict[str, frozenset[str]] = {
    "server": frozenset({"url", "token", "token_file", "ca_file"}),
    "database": frozenset({"url"}),
    "limits": frozenset({"max_rows", "statement_timeout_s", "chunk_rows", "free_sql"}),
    "audit": frozenset({"path"}),
}
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SCHEMES = {"ws": "ws", "wss": "wss", "http": "ws", "https": "wss"}


class ConfigError(ValueError):
    """``runner.toml`` is missing, unreadable or wrong; the message names the file and key."""


@dataclass(frozen=True)
class RunnerConfig:
    """A validated ``runner.toml``; ``repr`` shows neither the token nor the DB password."""

    path: Path
    server_url: str
    token: str = field(repr=False)
    ca_file: Path | None
    database_url: URL
    dialect: str
    catalog: Catalog = field(repr=False)
    max_rows: int = DEFAULT_MAX_ROWS
    statement_timeout_s: float = DEFAULT_STATEMENT_TIMEOUT_S
    chunk_rows: int = MAX_CHUNK_ROWS
    free_sql: bool = False
    audit_path: Path = Path("audit.jsonl")

    @property
    def connect_url(self) -> str:
        """The tunnel's WebSocket URL: ``server_url`` plus the connect path unless already there."""
        base = self.server_url.rstrip("/")
        return base if base.endswith(CONNECT_PATH) else base + CONNECT_PATH

    @property
    def database_label(self) -> str:
        """Where the database is, for messages: backend, host, port and name, never the password."""
        url = self.database_url
        where = url.host or ""
        if url.port:
            where += f":{url.port}"
        return f"{url.get_backend_name()} database {url.database or ''!r}" + (
            f" at {where}" if where else ""
        )

    def secrets(self) -> tuple[str, ...]:
        """Texts that must never reach a log line or a message: the token and the DB password."""
        password = self.database_url.password
        return tuple(s for s in (self.token, str(password) if password else "") if s)


def load_config(path: str | os.PathLike[str]) -> RunnerConfig:
    """Read and validate ``runner.toml`` at ``path``; raise :class:`ConfigError` on any problem."""
    file = Path(path).expanduser().resolve()
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            f"there is no configuration file at {file}; create one with `ln1-runner init`"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read the configuration file {file}: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{file} is not valid TOML: {error}") from None
    return _parse(data, file)


def _parse(data: Mapping[str, object], file: Path) -> RunnerConfig:
    """Turn the parsed TOML into a :class:`RunnerConfig`, section by section."""
    _check_keys(data, {*_SECTIONS, "catalog"}, "at the top level", file)
    server = _section(data, "server", file)
    database = _section(data, "database", file)
    limits = _section(data, "limits", file)
    audit = _section(data, "audit", file)
    base = file.parent

    server_url = _server_url(_required_text(server, "server", "url", file), file)
    token = _token(server, base, file)
    ca_file = _optional_path(server, "server", "ca_file", base, file, must_exist=True)

    database_url = _database_url(_required_text(database, "database", "url", file), base, file)
    try:
        dialect = dialect_for(database_url.get_backend_name())
    except ValueError as error:
        raise ConfigError(f"{file}: [database] url: {error}") from None

    max_rows = _int(limits, "max_rows", DEFAULT_MAX_ROWS, 1, None, file)
    timeout = _seconds(limits, "statement_timeout_s", DEFAULT_STATEMENT_TIMEOUT_S, file)
    chunk_rows = _int(limits, "chunk_rows", MAX_CHUNK_ROWS, 1, MAX_CHUNK_ROWS, file)
    free_sql = limits.get("free_sql", False)
    if not isinstance(free_sql, bool):
        raise ConfigError(f"{file}: [limits] free_sql must be true or false")

    audit_path = _optional_path(audit, "audit", "path", base, file, must_exist=False)
    try:
        catalog = load_catalog(_catalog_entries(data, file), dialect)
    except CatalogError as error:
        raise ConfigError(f"{file}: [[catalog]] {error}") from None
    return RunnerConfig(
        path=file,
        server_url=server_url,
        token=token,
        ca_file=ca_file,
        database_url=database_url,
        dialect=dialect,
        catalog=catalog,
        max_rows=max_rows,
        statement_timeout_s=timeout,
        chunk_rows=chunk_rows,
        free_sql=free_sql,
        audit_path=audit_path or base / "audit.jsonl",
    )


def _section(data: Mapping[str, object], name: str, file: Path) -> Mapping[str, object]:
    """One ``[name]`` table (empty if absent), with its keys checked for typos."""
    table = data.get(name, {})
    if not isinstance(table, Mapping):
        raise ConfigError(f"{file}: {name} must be a [{name}] section, not a single value")
    _check_keys(table, _SECTIONS[name], f"in [{name}]", file)
    return table


def _check_keys(
    table: Mapping[str, object], allowed: set[str] | frozenset[str], where: str, file: Path
) -> None:
    """Refuse unknown keys so that a typo stops the runner instead of being ignored."""
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(key, sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{file}: unknown setting {key!r} {where}{hint}; allowed: "
                f"{', '.join(sorted(allowed))}"
            )


def _required_text(table: Mapping[str, object], section: str, key: str, file: Path) -> str:
    """A non-empty text value that must be present."""
    value = table.get(key)
    if value is None:
        raise ConfigError(f"{file}: [{section}] {key} is missing")
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{file}: [{section}] {key} must be a non-empty text")
    return value.strip()


def _server_url(url: str, file: Path) -> str:
    """Accept ws(s):// as is and turn http(s):// into the matching ws(s):// URL."""
    parts = urlsplit(url)
    scheme = _SCHEMES.get(parts.scheme.lower())
    if scheme is None or not parts.netloc:
        raise ConfigError(
            f"{file}: [server] url must start with wss:// (or ws://, http://, https://) and name "
            f"a host, e.g. wss://ln1.example.com; got {url!r}"
        )
    return urlunsplit((scheme, parts.netloc, parts.path.rstrip("/"), parts.query, ""))


def _token(server: Mapping[str, object], base: Path, file: Path) -> str:
    """The runner token from exactly one source: ``token``, ``token_file`` or the environment."""
    in_file = [key for key in ("token", "token_file") if key in server]
    from_env = os.environ.get(TOKEN_ENV, "").strip()
    if len(in_file) == 2:
        raise ConfigError(f"{file}: [server] sets both token and token_file; keep only one")
    if in_file and from_env:
        raise ConfigError(
            f"{file}: [server] sets {in_file[0]} and the {TOKEN_ENV} variable is set too; "
            "give the token in only one place"
        )
    if not in_file:
        if from_env:
            return from_env
        raise ConfigError(
            f"{file}: no runner token; set [server] token_file (a file holding the token) or "
            f"the {TOKEN_ENV} environment variable"
        )
    if in_file[0] == "token":
        return _required_text(server, "server", "token", file)
    token_path = _optional_path(server, "server", "token_file", base, file, must_exist=True)
    assert token_path is not None
    try:
        token = token_path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(
            f"{file}: [server] token_file {token_path} cannot be read: {error}"
        ) from None
    if not token:
        raise ConfigError(f"{file}: [server] token_file {token_path} is empty")
    return token


def _optional_path(
    table: Mapping[str, object], section: str, key: str, base: Path, file: Path, *, must_exist: bool
) -> Path | None:
    """A path setting, relative paths taken from the config file's folder."""
    if key not in table:
        return None
    value = _required_text(table, section, key, file)
    path = (base / Path(value).expanduser()).resolve()
    if must_exist and not path.is_file():
        raise ConfigError(f"{file}: [{section}] {key}: there is no file at {path}")
    return path


def _database_url(raw: str, base: Path, file: Path) -> URL:
    """Expand ``${VAR}`` placeholders, parse the SQLAlchemy URL, anchor relative SQLite paths.

    A placeholder that is the whole value is used as is (it may hold a full URL); one inside a
    larger URL is percent-encoded, so a password with ``@`` or ``/`` cannot break the URL.
    """
    whole = _PLACEHOLDER.fullmatch(raw)

    def expand(match: re.Match[str]) -> str:
        name = match[1]
        value = os.environ.get(name)
        if value is None:
            raise ConfigError(
                f"{file}: [database] url uses ${{{name}}} but the environment variable {name} "
                "is not set"
            )
        return value if whole else quote(value, safe="")

    text = _PLACEHOLDER.sub(expand, raw)
    try:
        url = make_url(text)
    except (ArgumentError, ValueError):
        raise ConfigError(
            f"{file}: [database] url is not a valid SQLAlchemy URL; expected something like "
            "postgresql+psycopg://user:${DB_PASSWORD}@host:5432/name"
        ) from None
    database = url.database or ""
    is_file_path = database not in ("", ":memory:") and not database.startswith("file:")
    if url.get_backend_name() == "sqlite" and is_file_path:
        url = url.set(database=str((base / Path(database).expanduser()).resolve()))
    return url


def _int(
    table: Mapping[str, object], key: str, default: int, low: int, high: int | None, file: Path
) -> int:
    """A whole-number limit within ``[low, high]``."""
    value = table.get(key, default)
    if type(value) is not int or value < low or (high is not None and value > high):
        upper = f" and at most {high}" if high is not None else ""
        raise ConfigError(f"{file}: [limits] {key} must be a whole number of at least {low}{upper}")
    return value


def _seconds(table: Mapping[str, object], key: str, default: float, file: Path) -> float:
    """A positive number of seconds."""
    value = table.get(key, default)
    if type(value) not in (int, float) or not 0 < value <= 86_400:  # type: ignore[operator]
        raise ConfigError(f"{file}: [limits] {key} must be a number of seconds above 0")
    return float(value)  # type: ignore[arg-type]


def _catalog_entries(data: Mapping[str, object], file: Path) -> list[Mapping[str, object]]:
    """The ``[[catalog]]`` array (an empty catalog is valid)."""
    entries = data.get("catalog", [])
    if not isinstance(entries, list):
        raise ConfigError(f"{file}: catalog must be written as [[catalog]] sections")
    return entries


def default_config_text() -> str:
    """The commented ``runner.toml`` that ``ln1-runner init`` writes, with every key explained."""
    return _TEMPLATE


_TEMPLATE = f'''\
# ln1 Local Runner configuration. Relative paths are taken from this file's folder.
# Check it with:  ln1-runner check --config runner.toml

[server]
# The ln1 orchestrator. wss:// in production (https:// is accepted and turned into wss://).
url = "wss://ln1.example.com"
# The runner token printed once by `ln1 admin create-runner`. Give it in exactly one place:
# token_file (a file that holds only the token, readable by the runner's user alone), or the
# {TOKEN_ENV} environment variable, or (least safe) token = "...".
# token_file = "runner.token"
# A custom CA bundle (PEM) to verify the server's TLS certificate, e.g. a corporate proxy's CA.
# ca_file = "ca.pem"

[database]
# SQLAlchemy URL of the client's database. Use an account that can only read.
# ${{VAR}} is replaced by the environment variable VAR, so the password stays out of this file.
#   PostgreSQL:  postgresql+psycopg://reader:${{DB_PASSWORD}}@db.internal:5432/sales
#   MariaDB:     mysql+pymysql://reader:${{DB_PASSWORD}}@db.internal:3306/sales?charset=utf8mb4
#   SQLite:      sqlite:///sales.sqlite
#   SQL Server:  mssql+pyodbc://reader:${{DB_PASSWORD}}@db.internal/sales?driver=ODBC+Driver+18+for+SQL+Server
#   Oracle:      oracle+oracledb://reader:${{DB_PASSWORD}}@db.internal:1521/?service_name=SALES
url = "postgresql+psycopg://reader:${{DB_PASSWORD}}@db.internal:5432/sales"

[limits]
# Most rows one order may return (an order may ask for fewer, never more).
max_rows = {DEFAULT_MAX_ROWS}
# Longest a query may run in the database, in seconds (also bounded by the order's expiry).
statement_timeout_s = {DEFAULT_STATEMENT_TIMEOUT_S:g}
# Rows per result chunk sent to the server (at most {MAX_CHUNK_ROWS}).
chunk_rows = {MAX_CHUNK_ROWS}
# Allow the orchestrator to send its own SQL. Only one read-only SELECT that passes the
# runner's parser-based check ever runs, in a read-only transaction. Off unless you need it.
free_sql = false

[audit]
# One JSON line per order run or refused (never the token or the database password).
path = "audit.jsonl"

# The catalog: the named queries the orchestrator may ask for. Values reach the database as
# bind parameters (:name), never as SQL. Parameter types: date, int, str, enum.
[[catalog]]
name = "sales_by_day"
description = "Orders and revenue per day between two dates (end excluded)."
keywords = ["sales", "revenue", "ventas", "daily"]
sql = """
SELECT CAST(created_at AS DATE) AS day, count(*) AS orders, sum(total) AS revenue
FROM orders
WHERE created_at >= :start AND created_at < :end
GROUP BY CAST(created_at AS DATE)
ORDER BY day
"""
[catalog.params.start]
type = "date"
description = "First day included"
[catalog.params.end]
type = "date"
description = "First day excluded"
'''
