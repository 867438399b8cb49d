"""ln1's ingest + clean + profile of a ~100 MB workbook, against pandas+openpyxl and bare calamine.

Data: the deterministic sales workbook of ``bench/workbook.py`` (9 columns: a date, two
integers, three text columns with accents, three decimals; ~21,200 rows per MB, at most
1,000,000 rows per sheet, plus a small "Resumen" sheet), generated once and cached.

Each reader runs in a fresh process (so imports, caches and peak memory do not leak
between runs); the child reports the wall time of the work after its imports and its
peak RSS (VmHWM). Printed: each figure, the ratios against the targets (≥ 10x faster than
``pandas.read_excel(engine="openpyxl")``, ≤ 1.5x the bare calamine read, peak RSS ≤ 3x
the Arrow in-memory size of the data; also the peak of reading only the first sheet, the
floor a whole-sheet reader sets), and the time of ``compare`` on two generated
1,000,000-row sheets.

    uv run python bench/excel_ingest.py [--size-mb 100] [--skip-pandas] [--cache DIR]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).parent


def peak_rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024  # type: ignore[union-attr]


def child(mode: str, path: Path, work: Path) -> dict[str, float]:
    """One measurement, run inside a fresh interpreter."""
    extra: dict[str, float] = {}
    if mode == "ours":
        from ln1.datasets import clean, ingest

        started = time.perf_counter()
        result = ingest(path, work / "ingest")
        clean(result.parquet_paths, work / "clean")
    elif mode == "pandas":
        import pandas as pd

        started = time.perf_counter()
        frames = pd.read_excel(path, sheet_name=None, engine="openpyxl")
        extra["rows"] = sum(len(f) for f in frames.values())
    elif mode == "calamine":
        import fastexcel

        started = time.perf_counter()
        reader = fastexcel.read_excel(path)
        batches = [
            reader.load_sheet(i, schema_sample_rows=None).to_arrow()
            for i in range(len(reader.sheet_names))
        ]
        extra["arrow_mb"] = sum(b.nbytes for b in batches) / 1e6
        extra["rows"] = sum(b.num_rows for b in batches)
    elif mode == "calamine-one-sheet":
        # The floor any whole-sheet reader sets: only the first (largest) sheet, nothing kept.
        import fastexcel

        started = time.perf_counter()
        batch = fastexcel.read_excel(path).load_sheet(0, schema_sample_rows=None).to_arrow()
        extra["arrow_mb"] = batch.nbytes / 1e6
    elif mode == "compare":
        from ln1.datasets import compare

        a, b = compare_pair(1_000_000)
        a.write_parquet(work / "a.parquet")
        b.write_parquet(work / "b.parquet")
        del a, b
        started = time.perf_counter()
        result = compare(work / "a.parquet", work / "b.parquet", work / "compare")
        extra["changed"] = result.changed
    else:
        raise SystemExit(f"unknown mode {mode}")
    return {"seconds": time.perf_counter() - started, "peak_mb": peak_rss_mb(), **extra}


def compare_pair(rows: int):  # type: ignore[no-untyped-def]
    """Two sales sheets of ``rows`` rows: 1% only in A, 1% only in B, 5% with a changed amount."""
    import polars as pl

    i = pl.int_range(0, rows, eager=True)
    a = pl.DataFrame(
        {
            "factura": 1_000_000 + i,
            "sucursal": pl.select(pl.format("Sucursal {}", i % 12)).to_series(),
            "cantidad": 1 + i % 48,
            "total": (i % 25_000).cast(pl.Float64) / 100,
        }
    )
    shift = rows // 100
    b = a.slice(shift).vstack(
        a.head(shift).with_columns(pl.col("factura") + rows)
    ).with_columns(
        total=pl.when(pl.col("factura") % 20 == 0).then(pl.col("total") + 1).otherwise("total")
    )  # fmt: skip
    return a, b


def measure(mode: str, path: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="ln1-bench-") as work:
        out = subprocess.run(
            [sys.executable, __file__, "--child", mode, str(path), work],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--skip-pandas", action="store_true", help="pandas+openpyxl is slow")
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "ln1-bench")
    parser.add_argument(
        "--child", nargs=3, metavar=("MODE", "PATH", "WORK"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.child:
        mode, path, work = args.child
        print(json.dumps(child(mode, Path(path), Path(work))))
        return

    sys.path.insert(0, str(HERE))
    import workbook

    args.cache.mkdir(parents=True, exist_ok=True)
    rows = workbook.rows_for(args.size_mb)
    path = args.cache / f"sales-{rows}.xlsx"
    if not path.exists():
        started = time.perf_counter()
        workbook.write_workbook(path, rows)
        print(f"generated {path} in {time.perf_counter() - started:.1f} s")
    size = path.stat().st_size / 1e6
    print(f"data: {path.name}, {size:.1f} MB, {rows:,} sales rows × 9 columns + Resumen sheet\n")

    calamine = measure("calamine", path)
    ours = measure("ours", path)
    pandas = None if args.skip_pandas else measure("pandas", path)
    one_sheet = measure("calamine-one-sheet", path)
    arrow = calamine["arrow_mb"]
    print(f"{'reader':48} {'wall':>8} {'peak RSS':>10}")
    rows_out = [
        ("ln1 ingest + clean + profile", ours),
        ("bare calamine (fastexcel → Arrow)", calamine),
    ]
    if pandas:
        rows_out.append(('pandas.read_excel(engine="openpyxl")', pandas))
    for name, m in rows_out:
        print(f"{name:48} {m['seconds']:7.2f}s {m['peak_mb']:8.0f} MB")
    print(f"\nArrow in-memory size of the data: {arrow:.0f} MB")
    if pandas:
        speedup = pandas["seconds"] / ours["seconds"]
        print(f"speed-up vs pandas+openpyxl: {speedup:.1f}x (target ≥ 10x)")
    print(f"time vs bare calamine: {ours['seconds'] / calamine['seconds']:.2f}x (target ≤ 1.5x)")
    print(f"ln1 peak RSS / Arrow size: {ours['peak_mb'] / arrow:.2f}x (target ≤ 3x)")
    print(f"bare calamine peak RSS / Arrow size: {calamine['peak_mb'] / arrow:.2f}x")
    print(
        f"bare calamine, first sheet only ({one_sheet['arrow_mb']:.0f} MB of Arrow): peak RSS "
        f"{one_sheet['peak_mb']:.0f} MB = {one_sheet['peak_mb'] / arrow:.2f}x the whole "
        "data's Arrow size (calamine holds a whole sheet while it parses it)"
    )

    cmp = measure("compare", path)
    print(
        f"\ncompare, two 1,000,000-row sheets (4 columns, 1% only-A, 1% only-B, "
        f"{cmp['changed']:,.0f} changed): {cmp['seconds']:.2f} s, peak RSS {cmp['peak_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
