"""The catalog: the named extraction queries a client's admin allows this runner to run.

The admin writes each query once in ``runner.toml`` (``[[catalog]]`` entries) with typed
parameters; the orchestrator only ever picks a query by name and sends argument values. So the
SQL text is fixed by the client, and the values reach the database as bind parameters, never as
SQL. This module validates the catalog when the runner starts (a typo must stop the runner with a
clear message, not silently change what runs), coerces every argument strictly, and tells the
orchestrator what it may call without revealing the SQL.

Placeholder rule (SQLAlchemy ``text()`` style): a parameter is written ``:name`` in the SQL.
A placeholder is a colon followed by word characters, not preceded by a word character, a colon
or a backslash, and not followed by a colon or word character (SQLAlchemy's own rule), so
postgres casts like ``x::date`` and times like ``'10:30'`` are not placeholders. Colons inside
single-quoted literals, double-quoted text, MySQL backtick identifiers and comments (``--`` and
``/* */``) are never placeholders. ``:name::date`` is refused because SQLAlchemy does not bind a
placeholder directly followed by a colon; write ``CAST(:name AS date)`` instead. Postgres
dollar-quoted strings (``$$...$$``) are not recognised: a ``:word`` inside one counts as a
placeholder, so the catalog refuses it as undeclared rather than guessing.
"""

import datetime
import difflib
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal, cast, get_args

from ln1_runner.sqlguard import DIALECTS, UnsafeQuery, check_select

ParamType = Literal["date", "int", "str", "enum"]
PARAM_TYPES: tuple[str, ...] = get_args(ParamType)

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DECIMAL = re.compile(r"-?[0-9]+")
_INT_MIN, _INT_MAX = -(2**63), 2**63 - 1  # BIGINT: what every supported database can take

_ENTRY_KEYS: frozenset[str] = frozenset({"name", "description", "keywords", "sql", "params"})
_REQUIRED_ENTRY_KEYS: tuple[str, ...] = ("name", "description", "keywords", "sql")
_PARAM_KEYS: frozenset[str] = frozenset(
    {"type", "required", "default", "values", "max_length", "description"}
)

# SQLAlchemy's bind-parameter rule (TextClause._bind_params_regex), so we find exactly what
# text() will bind. The trailing alternative catches ``:name:`` (e.g. ``:start::date``), which
# SQLAlchemy silently leaves unbound.
_PLACEHOLDER = r"(?<![:\w\\]):(?:(?P<param>\w+)(?![:\w])|(?P<cast>\w+):)"
_SQLALCHEMY_BIND = re.compile(r"(?<![:\w\\]):(?=\w+(?![:\w]))")
_COMMENTS = r"--[^\n]*|/\*.*?\*/"


def _scanner(dialect: str) -> re.Pattern[str]:
    """Build the placeholder scanner; only quoting rules differ between dialects."""
    if dialect == "mysql":  # backslash escapes inside quotes (MySQL's default SQL mode)
        quoted = r"'(?:[^'\\]|\\.|'')*'|\"(?:[^\"\\]|\\.|\"\")*\"|`(?:[^`]|``)*`"
    else:
        quoted = r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\""
    if dialect == "postgres":  # E'...' strings take backslash escapes
        quoted = r"(?<![\w$])[Ee]'(?:[^'\\]|\\.|'')*'|" + quoted
    return re.compile(f"(?P<skip>{_COMMENTS}|{quoted})|{_PLACEHOLDER}", re.DOTALL)


_SCANNERS: dict[str, re.Pattern[str]] = {dialect: _scanner(dialect) for dialect in DIALECTS}


class CatalogError(ValueError):
    """A catalog or argument problem, worded for the client's IT person (names query and param)."""


@dataclass(frozen=True)
class Param:
    """One typed parameter of a catalog query; ``default`` is already coerced to the type."""

    name: str
    type: ParamType
    required: bool = True
    default: object = None
    values: tuple[str, ...] = ()
    max_length: int = 200
    description: str = ""

    def coerce(self, value: object, where: str) -> object:
        """Return ``value`` as the exact Python type bound to SQL, or raise ``CatalogError``.

        Only exact built-in types are accepted (no bool for int, no datetime for date, no str
        subclasses), because the arguments come from outside the client's network.
        """
        if self.type == "date":
            return _coerce_date(value, where)
        if self.type == "int":
            return _coerce_int(value, where)
        if self.type == "str":
            return _coerce_str(value, where, self.max_length)
        return _coerce_enum(value, where, self.values)

    def announce(self) -> dict[str, object]:
        """Describe the parameter for the orchestrator (the model picks arguments from this)."""
        info: dict[str, object] = {"name": self.name, "type": self.type, "required": self.required}
        if self.type == "enum":
            info["values"] = list(self.values)
        info["description"] = self.description
        return info


@dataclass(frozen=True)
class CatalogQuery:
    """A named query: ``sql`` is the admin's original text with ``:name`` placeholders."""

    name: str
    description: str
    keywords: tuple[str, ...]
    sql: str
    params: tuple[Param, ...]

    def bind(self, args: Mapping[str, object]) -> dict[str, object]:
        """Check and coerce the caller's arguments into SQL bind parameter values.

        An argument given as ``None`` counts as not given (JSON ``null`` from the orchestrator).
        """
        if not isinstance(args, Mapping):
            raise CatalogError(
                f"the arguments for query {self.name!r} must be a mapping of parameter names "
                f"to values, not {_type_name(args)}"
            )
        declared = {param.name: param for param in self.params}
        unknown = sorted(repr(key) for key in args if key not in declared)
        if unknown:
            takes = ", ".join(declared) if declared else "no parameters"
            noun = "parameter" if len(unknown) == 1 else "parameters"
            raise CatalogError(
                f"unknown {noun} {', '.join(unknown)} for query {self.name!r} (it takes: {takes})"
            )
        bound: dict[str, object] = {}
        for param in self.params:
            value = args.get(param.name)
            if value is None:
                if param.required:
                    raise CatalogError(
                        f"query {self.name!r} needs parameter {param.name!r} ({_expected(param)})"
                    )
                bound[param.name] = param.default
            else:
                bound[param.name] = param.coerce(
                    value, f"parameter {param.name!r} of query {self.name!r}"
                )
        return bound

    def announce(self) -> dict[str, object]:
        """What the orchestrator learns about this query: never the SQL (it reveals schema)."""
        return {
            "name": self.name,
            "description": self.description,
            "keywords": list(self.keywords),
            "params": [param.announce() for param in self.params],
        }


@dataclass(frozen=True)
class Catalog:
    """The validated catalog of one runner, in the SQL dialect of its database."""

    dialect: str
    queries: Mapping[str, CatalogQuery]

    def get(self, name: str) -> CatalogQuery:
        """Look a query up by the name the orchestrator sent."""
        query = self.queries.get(name) if isinstance(name, str) else None
        if query is None:
            raise CatalogError(f"no query named {_short(name)} in this runner's catalog")
        return query

    def announce(self) -> list[dict[str, object]]:
        """Every query's public description, in catalog order."""
        return [query.announce() for query in self.queries.values()]

    def sqlalchemy_sql(self, name: str) -> str:
        """The text to give ``sqlalchemy.text()`` for query ``name``.

        SQLAlchemy binds ``:word`` even inside string literals and comments, but the catalog
        rule says those are not placeholders; escaping those colons as ``\\:`` (which SQLAlchemy
        turns back into ``:``) makes ``text()`` bind exactly the declared parameters.
        """
        pieces = []
        for kind, text, _ in _split(self.get(name).sql, self.dialect):
            pieces.append(_SQLALCHEMY_BIND.sub(r"\\:", text) if kind == "skip" else text)
        return "".join(pieces)


def load_catalog(entries: Sequence[Mapping[str, object]], dialect: str) -> Catalog:
    """Build the catalog from the parsed ``[[catalog]]`` array, refusing anything doubtful.

    Every query's SQL must pass the runner's read-only guard in ``dialect``. An empty catalog is
    valid: the runner then only runs free SQL checked by the guard.
    """
    if dialect not in DIALECTS:
        raise CatalogError(
            f"unsupported SQL dialect {dialect!r} for the catalog; expected one of "
            f"{', '.join(DIALECTS)}"
        )
    if isinstance(entries, str | bytes) or not isinstance(entries, Sequence):
        raise CatalogError(
            "the catalog must be a list of queries, each written as a [[catalog]] section, "
            f"not {_type_name(entries)}"
        )
    queries: dict[str, CatalogQuery] = {}
    for position, entry in enumerate(entries, start=1):
        query = _load_query(entry, position, dialect)
        if query.name in queries:
            raise CatalogError(
                f"query name {query.name!r} is used twice in the catalog (again in entry "
                f"{position}); each query needs its own name"
            )
        queries[query.name] = query
    return Catalog(dialect=dialect, queries=MappingProxyType(queries))


def _load_query(entry: object, position: int, dialect: str) -> CatalogQuery:
    """Validate one ``[[catalog]]`` entry (``position`` counts from 1 for messages)."""
    if not isinstance(entry, Mapping):
        raise CatalogError(f"catalog entry {position} must be a table, not {_type_name(entry)}")
    raw_name = entry.get("name")
    if raw_name is None:
        _check_keys(entry, _ENTRY_KEYS, f"catalog entry {position}")  # a typo such as "nmae"
        raise CatalogError(f"catalog entry {position} has no name")
    name = _check_name(raw_name, f"catalog entry {position}: the query name")
    where = f"query {name!r}"
    _check_keys(entry, _ENTRY_KEYS, where)
    for key in _REQUIRED_ENTRY_KEYS:
        if key not in entry:
            raise CatalogError(f"{where} is missing its {key!r} setting")
    description = _text(entry["description"], f"{where}: the description")
    keywords = entry["keywords"]
    if not isinstance(keywords, list):
        raise CatalogError(
            f'{where}: keywords must be a list of words, e.g. ["sales", "revenue"], '
            f"not {_type_name(keywords)}"
        )
    keyword_tuple = tuple(_text(word, f"{where}: each keyword") for word in keywords)
    sql = entry["sql"]
    if not isinstance(sql, str) or not sql.strip():
        raise CatalogError(f"{where}: sql must be a non-empty text")
    raw_params = entry.get("params", {})
    if not isinstance(raw_params, Mapping):
        raise CatalogError(
            f"{where}: params must be a table of parameter name = {{ type = ... }}, "
            f"not {_type_name(raw_params)}"
        )
    params = tuple(_load_param(key, spec, where) for key, spec in raw_params.items())
    _check_placeholders(sql, params, dialect, where)
    try:
        check_select(_sql_for_check(sql, dialect), dialect)
    except UnsafeQuery as error:
        message = f"{where} is refused by the runner's SQL safety check: {error}"
        raise CatalogError(message) from error
    return CatalogQuery(
        name=name, description=description, keywords=keyword_tuple, sql=sql, params=params
    )


def _load_param(key: object, spec: object, query: str) -> Param:
    """Validate one entry of a query's ``params`` table and coerce its default."""
    name = _check_name(key, f"{query}: the parameter name")
    where = f"{query}, parameter {name!r}"
    if not isinstance(spec, Mapping):
        raise CatalogError(
            f'{where} must be a table such as {{ type = "date" }}, not {_type_name(spec)}'
        )
    _check_keys(spec, _PARAM_KEYS, where)
    kind = spec.get("type")
    if kind not in PARAM_TYPES:
        got = "no type" if kind is None else f"type {_short(kind)}"
        raise CatalogError(f"{where} has {got}; use one of {', '.join(PARAM_TYPES)}")
    kind = cast(ParamType, kind)
    required = spec.get("required", True)
    if not isinstance(required, bool):
        raise CatalogError(f"{where}: required must be true or false")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise CatalogError(f"{where}: description must be a text")
    values: tuple[str, ...] = ()
    if kind == "enum":
        raw_values = spec.get("values")
        if not isinstance(raw_values, list) or not raw_values:
            raise CatalogError(
                f"{where} is an enum, so it needs values = [...] listing the allowed choices"
            )
        values = tuple(_text(value, f"{where}: each allowed value") for value in raw_values)
        if len(set(values)) != len(values):
            raise CatalogError(f"{where}: the allowed values list a choice twice")
    elif "values" in spec:
        raise CatalogError(f"{where}: values only applies to enum parameters, not {kind}")
    max_length = spec.get("max_length", 200)
    if "max_length" in spec and kind != "str":
        raise CatalogError(f"{where}: max_length only applies to str parameters, not {kind}")
    if type(max_length) is not int or max_length < 1:
        raise CatalogError(f"{where}: max_length must be a whole number of at least 1")
    param = Param(
        name=name,
        type=kind,
        required=required,
        values=values,
        max_length=max_length,
        description=description,
    )
    if "default" not in spec:
        return param
    if required:
        raise CatalogError(
            f"{where} has a default but is required; add required = false to use the default"
        )
    default = param.coerce(spec["default"], f"the default of {where}")
    return Param(
        name=name,
        type=kind,
        required=False,
        default=default,
        values=values,
        max_length=max_length,
        description=description,
    )


def _check_placeholders(sql: str, params: tuple[Param, ...], dialect: str, where: str) -> None:
    """Require the SQL's placeholders and the declared params to match one to one."""
    used: list[str] = []
    for kind, _, name in _split(sql, dialect):
        if kind == "cast":
            raise CatalogError(
                f"{where}: the SQL writes :{name} directly followed by a colon (as in "
                f":{name}::date), which is not read as a parameter; write CAST(:{name} AS date) "
                f"or (:{name})::date instead"
            )
        if kind == "param" and name not in used:
            used.append(name)
    declared = [param.name for param in params]
    undeclared = [name for name in used if name not in declared]
    if undeclared:
        raise CatalogError(
            f"{where}: the SQL uses {_list_params(undeclared)} but does not declare "
            f"{'it' if len(undeclared) == 1 else 'them'} under params"
        )
    unused = [name for name in declared if name not in used]
    if unused:
        raise CatalogError(
            f"{where}: {_list_params(unused)} {'is' if len(unused) == 1 else 'are'} declared "
            "under params but never used in the SQL"
        )


def _sql_for_check(sql: str, dialect: str) -> str:
    """Replace each placeholder by NULL: sqlglot dialects disagree on parsing ``:name``."""
    return "".join("NULL" if kind == "param" else text for kind, text, _ in _split(sql, dialect))


def _split(sql: str, dialect: str) -> Iterator[tuple[str, str, str]]:
    """Cut SQL into (kind, text, param name) pieces: "sql", "skip", "param" or "cast"."""
    position = 0
    for match in _SCANNERS[dialect].finditer(sql):
        if match.start() > position:
            yield "sql", sql[position : match.start()], ""
        if match["skip"] is not None:
            yield "skip", match.group(), ""
        elif match["param"] is not None:
            yield "param", match.group(), match["param"]
        else:
            # Only ":name" is the placeholder; the colon after it stays ordinary SQL text.
            yield "cast", match.group()[:-1], match["cast"]
            yield "sql", ":", ""
        position = match.end()
    if position < len(sql):
        yield "sql", sql[position:], ""


def _coerce_date(value: object, where: str) -> datetime.date:
    """Accept a ``date`` (not a ``datetime``) or an ISO ``YYYY-MM-DD`` string."""
    if type(value) is datetime.date:
        return value
    if type(value) is str and _ISO_DATE.fullmatch(value):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise CatalogError(
                f"{where} must be a real calendar date; {_short(value)} does not exist"
            ) from None
    raise CatalogError(
        f"{where} must be a date written YYYY-MM-DD (for example 2026-11-24); got {_short(value)}"
    )


def _coerce_int(value: object, where: str) -> int:
    """Accept an ``int`` (not a bool) or a plain decimal string like ``"10"`` or ``"-3"``."""
    number: int | None = None
    if type(value) is int:
        number = value
    elif type(value) is str and len(value) <= 20 and _DECIMAL.fullmatch(value):
        number = int(value)
    if number is None:
        raise CatalogError(f"{where} must be a whole number such as 10; got {_short(value)}")
    if not _INT_MIN <= number <= _INT_MAX:
        raise CatalogError(
            f"{where} is outside the range of whole numbers a database can store; "
            f"got {_short(value)}"
        )
    return number


def _coerce_str(value: object, where: str, max_length: int) -> str:
    """Accept a text up to ``max_length`` characters without NUL (databases reject or cut it)."""
    if type(value) is not str:
        raise CatalogError(f"{where} must be a text; got {_type_name(value)}")
    if len(value) > max_length:
        raise CatalogError(
            f"{where} is {len(value)} characters long; at most {max_length} are allowed"
        )
    if "\x00" in value:
        raise CatalogError(f"{where} must not contain a NUL (zero) character")
    return value


def _coerce_enum(value: object, where: str, values: tuple[str, ...]) -> str:
    """Accept exactly one of the allowed choices (case and spaces matter)."""
    if type(value) is not str or value not in values:
        allowed = ", ".join(repr(choice) for choice in values)
        raise CatalogError(f"{where} must be one of {allowed}; got {_short(value)}")
    return value


def _expected(param: Param) -> str:
    """Say in a few words what a parameter takes, for "missing parameter" messages."""
    if param.type == "date":
        return "a date, YYYY-MM-DD"
    if param.type == "int":
        return "a whole number"
    if param.type == "str":
        return f"a text of at most {param.max_length} characters"
    return "one of " + ", ".join(repr(choice) for choice in param.values)


def _check_name(value: object, what: str) -> str:
    """Require a snake_case name: it appears in URLs, logs and SQL placeholders."""
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise CatalogError(
            f"{what} {_short(value)} is not valid; use lower-case letters, digits and "
            "underscores, starting with a letter (at most 63 characters), e.g. sales_by_day"
        )
    return value


def _check_keys(table: Mapping[str, object], allowed: frozenset[str], where: str) -> None:
    """Refuse unknown settings, so a typo such as ``sqll`` stops the runner instead of vanishing."""
    for key in table:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise CatalogError(
                f"{where} has an unknown setting {_short(key)}{hint}; allowed settings are "
                f"{', '.join(sorted(allowed))}"
            )


def _text(value: object, what: str) -> str:
    """Require a non-blank string (descriptions, keywords, enum choices)."""
    if not isinstance(value, str) or not value.strip():
        raise CatalogError(f"{what} must be a non-empty text; got {_short(value)}")
    return value


def _list_params(names: list[str]) -> str:
    """Render parameter names the way they appear in the SQL: ``:start, :end``."""
    return ("parameter " if len(names) == 1 else "parameters ") + ", ".join(
        f":{name}" for name in names
    )


def _short(value: object, limit: int = 40) -> str:
    """``repr`` of a value, cut so a huge argument cannot flood a log line or an error."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _type_name(value: object) -> str:
    """Name a value's type in words an admin recognises from TOML/JSON."""
    names = {bool: "true/false", int: "a number", float: "a number", str: "a text"}
    names |= {list: "a list", dict: "a table", type(None): "nothing"}
    return names.get(type(value), type(value).__name__)
