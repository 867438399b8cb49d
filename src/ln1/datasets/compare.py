"""Comparing two datasets: rows only in A, only in B, changed values, and totals by group.

Rows are matched on key columns, given or inferred; everything is polars joins and column
expressions, so two 1,000,000-row sheets compare in a few seconds.

Key inference: a column, or a combination of up to three columns, that is non-null and
unique in both datasets. Names that look like identifiers (id, código, sku, ruc, dni,
número, factura …) come first: such a column alone, then combinations that include one
(tienda + código), then other unique columns, then other combinations (by number of
distinct values). Decimals are never keys.

Values are compared null-aware (null = null is "unchanged"); decimals are equal within
1e-9 relative, so a value re-saved by Excel does not count as a change. A column present
on both sides with different types is compared as text.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ln1.datasets.errors import BadColumn, BadKey
from ln1.datasets.ingest import Progress, json_value, no_progress, write_json, write_parquet

SUMMARY_NAME = "compare.json"
KEY_HINT = re.compile(
    r"(^|_)(id|cod|codigo|code|sku|ruc|dni|nro|num|numero|number|no|key|clave|folio|"
    r"factura|invoice|documento|doc|ref|referencia|serie)(_|$)"
)
GROUP_HINT = re.compile(
    r"(sucursal|tienda|region|zona|categoria|category|canal|channel|segmento|linea|"
    r"departamento|ciudad|city|store|branch|area|tipo|type|vendedor|marca|brand)"
)
MAX_KEY_COLUMNS = 3
KEY_CANDIDATES = 6
MAX_GROUPS_INFERRED = 50
MAX_GROUPS_IN_SUMMARY = 100
FLOAT_TOLERANCE = 1e-9


@dataclass(frozen=True)
class CompareResult:
    keys: list[str]
    keys_inferred: bool
    rows_a: int
    rows_b: int
    only_a: int
    only_b: int
    changed: int
    unchanged: int
    changes_per_column: dict[str, int]
    columns_only_in_a: list[str]
    columns_only_in_b: list[str]
    compared_as_text: list[str]
    group_by: str | None
    totals: list[dict[str, Any]]
    paths: dict[str, Path]
    summary_path: Path
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "keys": self.keys,
            "keys_inferred": self.keys_inferred,
            "rows_a": self.rows_a,
            "rows_b": self.rows_b,
            "only_a": self.only_a,
            "only_b": self.only_b,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "changes_per_column": self.changes_per_column,
            "columns_only_in_a": self.columns_only_in_a,
            "columns_only_in_b": self.columns_only_in_b,
            "compared_as_text": self.compared_as_text,
            "group_by": self.group_by,
            "totals": self.totals,
            "paths": {k: v.name for k, v in self.paths.items()},
            "notes": self.notes,
        }


def compare(
    a_parquet: Path | str,
    b_parquet: Path | str,
    out_dir: Path | str,
    keys: Sequence[str] | None = None,
    group_by: str | None = None,
    progress: Progress | None = None,
) -> CompareResult:
    """Compare dataset A (before) with B (after); write Parquet outputs and ``compare.json``.

    Outputs: ``only_a.parquet`` and ``only_b.parquet`` (the full rows), ``changed.parquet``
    (keys, ``changed_columns`` and ``<column>__a`` / ``<column>__b`` for every compared
    column), ``totals.parquet`` when there is a grouping column.
    """
    report = progress or no_progress
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    report("reading", 0.0)
    a, b = pl.read_parquet(a_parquet), pl.read_parquet(b_parquet)
    common = [c for c in a.columns if c in b.columns]
    only_cols_a = [c for c in a.columns if c not in b.columns]
    only_cols_b = [c for c in b.columns if c not in a.columns]
    as_text = [c for c in common if a.schema[c] != b.schema[c]]
    if as_text:
        a = a.with_columns(pl.col(as_text).cast(pl.String))
        b = b.with_columns(pl.col(as_text).cast(pl.String))

    report("keys", 0.1)
    inferred = keys is None
    key_list = infer_keys(a, b, common) if keys is None else list(keys)
    if keys is not None:
        _check_keys(a, b, key_list)
    values = [c for c in common if c not in key_list]

    report("matching", 0.3)
    left = a.select(key_list + values)
    right = b.select(key_list + values)
    joined = left.join(right, on=key_list, how="inner", suffix="__b")

    paths = {
        "only_a": out_dir / "only_a.parquet",
        "only_b": out_dir / "only_b.parquet",
        "changed": out_dir / "changed.parquet",
    }
    only_a = a.join(b.select(key_list), on=key_list, how="anti", maintain_order="left")
    only_b = b.join(a.select(key_list), on=key_list, how="anti", maintain_order="left")
    write_parquet(only_a, paths["only_a"])
    write_parquet(only_b, paths["only_b"])

    report("differences", 0.55)
    both = joined
    differs = {c: _differs(c, f"{c}__b", a.schema[c]) for c in values}
    flags = both.select([differs[c].alias(c) for c in values]) if values else pl.DataFrame()
    per_column = {c: int(flags.get_column(c).sum()) for c in values}
    any_change = pl.any_horizontal([differs[c] for c in values]) if values else pl.lit(False)
    changed = both.filter(any_change)
    changed_out = changed.select(
        [*key_list]
        + [
            pl.concat_list(
                [pl.when(differs[c]).then(pl.lit(c)) for c in values]
            ).list.drop_nulls().alias("changed_columns")
        ]
        + [e for c in values for e in (pl.col(c).alias(f"{c}__a"), pl.col(f"{c}__b"))]
    ) if values else changed.select(key_list)  # fmt: skip
    write_parquet(changed_out, paths["changed"])

    report("totals", 0.8)
    group = _group_column(a, b, common, key_list, group_by)
    numeric = [c for c in values if a.schema[c].is_numeric() and c != group]
    totals = _totals(a, b, group, numeric)
    if group is not None:
        paths["totals"] = out_dir / "totals.parquet"
        write_parquet(totals, paths["totals"])
    notes = []
    if totals.height > MAX_GROUPS_IN_SUMMARY:
        notes.append(f"Totals list the {MAX_GROUPS_IN_SUMMARY} groups that changed most.")
    result = CompareResult(
        keys=key_list,
        keys_inferred=inferred,
        rows_a=a.height,
        rows_b=b.height,
        only_a=only_a.height,
        only_b=only_b.height,
        changed=changed.height,
        unchanged=both.height - changed.height,
        changes_per_column=per_column,
        columns_only_in_a=only_cols_a,
        columns_only_in_b=only_cols_b,
        compared_as_text=as_text,
        group_by=group,
        totals=_totals_json(totals, group, numeric),
        paths=paths,
        summary_path=out_dir / SUMMARY_NAME,
        notes=notes,
    )
    write_json(result.summary_path, result.to_dict())
    report("done", 1.0)
    return result


def _differs(a: str, b: str, dtype: pl.DataType) -> pl.Expr:
    left, right = pl.col(a), pl.col(b)
    if dtype.is_float():
        scale = pl.max_horizontal(left.abs(), right.abs(), pl.lit(1.0))
        close = (left - right).abs() <= FLOAT_TOLERANCE * scale
        return (left.is_null() != right.is_null()) | (~close).fill_null(False)
    return left.ne_missing(right)


# --- keys ----------------------------------------------------------------------------------


def _check_keys(a: pl.DataFrame, b: pl.DataFrame, keys: list[str]) -> None:
    if not keys:
        raise BadKey("Give at least one key column.")
    for side, frame in (("A", a), ("B", b)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            raise BadKey(f"Key column(s) {missing} are not in dataset {side}.")
        nulls = frame.select(pl.any_horizontal(pl.col(keys).is_null()).sum()).item()
        if nulls:
            raise BadKey(f"{nulls:,} rows of dataset {side} have an empty key ({keys}).")
        repeated = frame.height - frame.select(keys).n_unique()
        if repeated:
            raise BadKey(
                f"The key {keys} is not unique in dataset {side}: {repeated:,} repeated rows."
            )


def infer_keys(a: pl.DataFrame, b: pl.DataFrame, common: Sequence[str]) -> list[str]:
    """The smallest set of columns, identifier-like names first, unique and non-null in both."""
    candidates = [
        c
        for c in common
        if not a.schema[c].is_float()
        and a.schema[c] != pl.Null
        and a.get_column(c).null_count() == 0
        and b.get_column(c).null_count() == 0
    ]
    if not candidates:
        raise BadKey("No column is filled in every row of both datasets; give the key columns.")
    distinct = a.select(pl.col(candidates).n_unique()).row(0, named=True)
    ranked = sorted(
        candidates,
        key=lambda c: (
            not KEY_HINT.search(c.lower()),
            a.schema[c].is_numeric(),  # unnamed numbers are measures (venta) more than keys
            -distinct[c],
            common.index(c),
        ),
    )

    def unique_in_both(cols: Sequence[str]) -> bool:
        return all(f.select(cols).n_unique() == f.height for f in (a, b))

    def hinted(column: str) -> bool:
        return bool(KEY_HINT.search(column.lower()))

    singles = [c for c in ranked if distinct[c] == a.height]
    pool = ranked[:KEY_CANDIDATES]
    combos = [
        list(combo)
        for size in range(2, MAX_KEY_COLUMNS + 1)
        for combo in itertools.combinations(pool, size)
    ]
    # an identifier-like name, alone or with others, before any unnamed unique column
    for cols in (
        [[c] for c in singles if hinted(c)]
        + [c for c in combos if any(hinted(x) for x in c)]
        + [[c] for c in singles if not hinted(c)]
        + [c for c in combos if not any(hinted(x) for x in c)]
    ):
        if unique_in_both(cols):
            return cols
    raise BadKey(
        "No column or combination of up to three columns identifies each row in both "
        "datasets; give the key columns."
    )


# --- totals by group -----------------------------------------------------------------------


def _group_column(
    a: pl.DataFrame, b: pl.DataFrame, common: list[str], keys: list[str], group_by: str | None
) -> str | None:
    if group_by is not None:
        if group_by not in a.columns or group_by not in b.columns:
            raise BadColumn(f"The grouping column {group_by!r} is not in both datasets.")
        return group_by
    text = [c for c in common if c not in keys and a.schema[c] == pl.String]
    if not text:
        return None
    distinct = a.select(pl.col(text).drop_nulls().n_unique()).row(0, named=True)
    fitting = [c for c in text if 2 <= distinct[c] <= MAX_GROUPS_INFERRED]
    if not fitting:
        return None
    return min(fitting, key=lambda c: (not GROUP_HINT.search(c.lower()), distinct[c]))


def _totals(
    a: pl.DataFrame, b: pl.DataFrame, group: str | None, numeric: list[str]
) -> pl.DataFrame:
    """Sums of each numeric column per group in A and B, with the difference B − A."""

    def sums(frame: pl.DataFrame, side: str) -> pl.DataFrame:
        aggs = [pl.len().alias(f"rows__{side}")] + [
            pl.col(c).sum().cast(pl.Float64).alias(f"{c}__{side}") for c in numeric
        ]
        return frame.group_by(group).agg(aggs) if group else frame.select(aggs)

    if group is None:
        joined = pl.concat([sums(a, "a"), sums(b, "b")], how="horizontal")
    else:
        joined = sums(a, "a").join(sums(b, "b"), on=group, how="full", coalesce=True)
    fill = [pl.col(c).fill_null(0) for c in joined.columns if c != group]
    joined = joined.with_columns(fill).with_columns(
        [(pl.col("rows__b") - pl.col("rows__a")).alias("rows__delta")]
        + [(pl.col(f"{c}__b") - pl.col(f"{c}__a")).alias(f"{c}__delta") for c in numeric]
    )
    if group is not None:
        first = f"{numeric[0]}__delta" if numeric else "rows__delta"
        joined = joined.sort(pl.col(first).abs(), group, descending=[True, False], nulls_last=True)
    return joined


def _totals_json(
    totals: pl.DataFrame, group: str | None, numeric: list[str]
) -> list[dict[str, Any]]:
    out = []
    for row in totals.head(MAX_GROUPS_IN_SUMMARY).iter_rows(named=True):
        entry: dict[str, Any] = {"group": json_value(row[group]) if group else None}
        for c in ["rows", *numeric]:
            a_value, b_value = row[f"{c}__a"], row[f"{c}__b"]
            entry[c] = {
                "a": json_value(a_value),
                "b": json_value(b_value),
                "delta": json_value(row[f"{c}__delta"]),
                "delta_pct": (
                    json_value(round((b_value - a_value) / a_value * 100, 4)) if a_value else None
                ),
            }
        out.append(entry)
    return out
