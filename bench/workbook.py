"""Deterministic generator of a sales workbook of a requested size (~100 MB by default).

Sheets "Ventas", "Ventas (2)" …: 9 columns (fecha as a real Excel date, factura integer,
sucursal, vendedor and producto as text with accents, cantidad integer, precio_unitario,
descuento as a percentage, total), one row per sale, at most 1,000,000 rows per sheet
(Excel's limit is 1,048,576, so ~100 MB ≈ 2.1M rows spans three sheets, as users split
them). Sheet "Resumen": totals per sucursal with a SUM formula that carries its cached
value, as Excel saves it.

The sheet XML is written directly (strings in a shared-strings table, as Excel saves
them): xlsxwriter's constant-memory mode writes ~150k cells/s, so 1.8M rows × 9 columns
took minutes; building the rows with polars expressions and deflating them takes seconds.
Values come from integer hashing of the row number, so the same size always gives the
same bytes.

    uv run python bench/workbook.py out.xlsx [--size-mb 100] [--rows N]
"""

from __future__ import annotations

import argparse
import time
import zipfile
from datetime import date
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl

# Measured: rows per MB of the written file (sharedStrings, deflate level 6).
ROWS_PER_MB = 21_200
CHUNK_ROWS = 100_000
SHEET_ROWS = 1_000_000
EXCEL_EPOCH = date(1899, 12, 30)
FIRST_DAY = (date(2025, 1, 1) - EXCEL_EPOCH).days

SUCURSALES = [
    "Lima – San Isidro", "Arequipa", "Cusco", "Trujillo", "Piura", "Chiclayo",
    "Huancayo", "Iquitos", "Tacna", "Puno", "Cajamarca", "Ica",
]  # fmt: skip
NOMBRES = ["José", "María", "Sofía", "Andrés", "Lucía", "Martín", "Óscar", "Inés", "Raúl", "Begoña"]
APELLIDOS = ["Núñez", "Pérez", "Gómez", "Muñoz", "Ibáñez"]
VENDEDORES = [f"{n} {a}" for n in NOMBRES for a in APELLIDOS]
ARTICULOS = [
    "Café orgánico", "Azúcar rubia", "Té verde", "Maíz morado", "Quinua",
    "Aceite de oliva", "Limón", "Piña", "Jamón", "Pan de molde",
]  # fmt: skip
MARCAS = ["Andina", "Del Señor", "Ñawi", "La Única", "Pachamama"]
TAMANOS = ["250 g", "500 g", "1 kg", "2 kg"]
PRODUCTOS = [f"{a} {m} {t}" for a in ARTICULOS for m in MARCAS for t in TAMANOS]
HEADERS = [
    "Fecha", "Factura", "Sucursal", "Vendedor", "Producto",
    "Cantidad", "Precio unitario", "Descuento", "Total",
]  # fmt: skip
STRINGS = HEADERS + SUCURSALES + VENDEDORES + PRODUCTOS + ["Sucursal", "Total ventas", "Total"]
SST = {s: i for i, s in enumerate(dict.fromkeys(STRINGS))}

P = 2_147_483_647  # a prime; h(i, k) = ((i * A + k) mod P) * C mod P, in int64 without overflow


def _hash(i: pl.Expr, k: int) -> pl.Expr:
    return (((i * 1_000_003 + k * 7_919) % P) * 48_271) % P


def rows_for(size_mb: float) -> int:
    return max(1, round(size_mb * ROWS_PER_MB))


def sales_frame(start: int, stop: int) -> pl.DataFrame:
    """Rows ``start`` … ``stop - 1`` of the sales sheet, as typed values (deterministic)."""
    i = pl.int_range(start, stop, dtype=pl.Int64, eager=False)
    frame = pl.select(
        fecha=FIRST_DAY + _hash(i, 1) % 700,
        factura=1_000_001 + i,
        sucursal=_hash(i, 2) % len(SUCURSALES),
        vendedor=_hash(i, 3) % len(VENDEDORES),
        producto=_hash(i, 4) % len(PRODUCTOS),
        cantidad=1 + _hash(i, 5) % 48,
        precio_cent=150 + _hash(i, 6) % 25_000,
        descuento_pct=(_hash(i, 7) % 6) * 5,
    )
    return frame.with_columns(
        total_cent=(
            pl.col("cantidad") * pl.col("precio_cent") * (100 - pl.col("descuento_pct")) / 100
        ).round(0)
    )


def _rows_xml(frame: pl.DataFrame, start: int) -> str:
    """The ``<row>`` elements of one chunk, built as one polars string expression."""
    r = (pl.int_range(start + 2, start + 2 + frame.height, eager=False)).cast(pl.String)

    def cell(col: str, value: pl.Expr, attrs: str = "") -> pl.Expr:
        return pl.concat_str(
            [pl.lit(f'<c r="{col}'), r, pl.lit(f'"{attrs}><v>'), value, pl.lit("</v></c>")]
        )

    def money(cents: str) -> pl.Expr:
        return (pl.col(cents) / 100).round(2).cast(pl.String)

    rows = frame.select(
        pl.concat_str(
            [
                pl.lit('<row r="'), r, pl.lit('">'),
                cell("A", pl.col("fecha").cast(pl.String), ' s="1"'),
                cell("B", pl.col("factura").cast(pl.String)),
                cell("C", (pl.col("sucursal") + SST[SUCURSALES[0]]).cast(pl.String), ' t="s"'),
                cell("D", (pl.col("vendedor") + SST[VENDEDORES[0]]).cast(pl.String), ' t="s"'),
                cell("E", (pl.col("producto") + SST[PRODUCTOS[0]]).cast(pl.String), ' t="s"'),
                cell("F", pl.col("cantidad").cast(pl.String)),
                cell("G", money("precio_cent"), ' s="2"'),
                cell("H", (pl.col("descuento_pct") / 100).cast(pl.String), ' s="3"'),
                cell("I", money("total_cent"), ' s="2"'),
                pl.lit("</row>"),
            ]
        ).str.join("")
    )  # fmt: skip
    return rows.item()


def write_workbook(path: Path | str, rows: int) -> Path:
    """Write the sales workbook with ``rows`` sales rows (over as many sheets as needed)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    totals = pl.DataFrame(schema={"sucursal": pl.Int64, "total_cent": pl.Float64})
    starts = list(range(0, rows, SHEET_ROWS))
    names = ["Ventas"] + [f"Ventas ({n})" for n in range(2, len(starts) + 1)] + ["Resumen"]
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        zf.writestr("[Content_Types].xml", _content_types(len(names)))
        zf.writestr("_rels/.rels", ROOT_RELS)
        zf.writestr("xl/workbook.xml", _workbook(names))
        zf.writestr("xl/_rels/workbook.xml.rels", _workbook_rels(len(names)))
        zf.writestr("xl/styles.xml", STYLES)
        sst = "".join(f"<si><t>{escape(s)}</t></si>" for s in SST)
        zf.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="{NS}" '
            f'count="{len(SST)}" uniqueCount="{len(SST)}">{sst}</sst>',
        )
        for number, first in enumerate(starts, start=1):
            last = min(rows, first + SHEET_ROWS)
            with zf.open(f"xl/worksheets/sheet{number}.xml", "w", force_zip64=True) as out:
                header = "".join(
                    f'<c r="{chr(65 + n)}1" t="s"><v>{SST[h]}</v></c>'
                    for n, h in enumerate(HEADERS)
                )
                out.write(
                    (
                        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet '
                        f'xmlns="{NS}"><dimension ref="A1:I{last - first + 1}"/><sheetData>'
                        f'<row r="1">{header}</row>'
                    ).encode()
                )
                for start in range(first, last, CHUNK_ROWS):
                    frame = sales_frame(start, min(last, start + CHUNK_ROWS))
                    out.write(_rows_xml(frame, start - first).encode())
                    totals = pl.concat(
                        [totals, frame.group_by("sucursal").agg(pl.col("total_cent").sum())]
                    )
                out.write(b"</sheetData></worksheet>")
        zf.writestr(f"xl/worksheets/sheet{len(names)}.xml", _summary_xml(totals))
    tmp.replace(path)
    return path


def _summary_xml(totals: pl.DataFrame) -> str:
    by = dict(totals.group_by("sucursal").agg(pl.col("total_cent").sum()).iter_rows())
    cells = [f'<row r="1"><c r="A1" t="s"><v>{SST["Sucursal"]}</v></c>'
             f'<c r="B1" t="s"><v>{SST["Total ventas"]}</v></c></row>']  # fmt: skip
    for n, name in enumerate(SUCURSALES):
        value = by.get(n, 0) / 100
        cells.append(
            f'<row r="{n + 2}"><c r="A{n + 2}" t="s"><v>{SST[name]}</v></c>'
            f'<c r="B{n + 2}" s="2"><v>{value:.2f}</v></c></row>'
        )
    last = len(SUCURSALES) + 1
    grand = sum(by.values()) / 100
    cells.append(
        f'<row r="{last + 1}"><c r="A{last + 1}" t="s"><v>{SST["Total"]}</v></c>'
        f'<c r="B{last + 1}" s="2"><f>SUM(B2:B{last})</f><v>{grand:.2f}</v></c></row>'
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<worksheet xmlns="{NS}">'
        f"<sheetData>{''.join(cells)}</sheetData></worksheet>"
    )


def generate(path: Path | str, size_mb: float = 100) -> Path:
    """A workbook of about ``size_mb`` MB (rows from the measured ``ROWS_PER_MB``)."""
    return write_workbook(path, rows_for(size_mb))


NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
XL = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def _content_types(sheets: int) -> str:
    overrides = "".join(
        f'<Override PartName="/xl/worksheets/sheet{n}.xml" ContentType="{SHEET_TYPE}"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{XL}.sheet.main+xml"/>{overrides}'
        f'<Override PartName="/xl/styles.xml" ContentType="{XL}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{XL}.sharedStrings+xml"/>'
        "</Types>"
    )  # fmt: skip


ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    f'<Relationship Id="rId1" Type="{REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{escape(name)}" sheetId="{n}" r:id="rId{n}"/>'
        for n, name in enumerate(names, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<workbook xmlns="{NS}" xmlns:r="{REL}"><sheets>{sheets}</sheets></workbook>'
    )


def _workbook_rels(sheets: int) -> str:
    rels = "".join(
        f'<Relationship Id="rId{n}" Type="{REL}/worksheet" Target="worksheets/sheet{n}.xml"/>'
        for n in range(1, sheets + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        f'{rels}<Relationship Id="rId{sheets + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{sheets + 2}" Type="{REL}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>'
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    f'<styleSheet xmlns="{NS}">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="9" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path", type=Path)
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--rows", type=int, default=None)
    args = parser.parse_args()
    rows = args.rows or rows_for(args.size_mb)
    started = time.perf_counter()
    write_workbook(args.path, rows)
    size = args.path.stat().st_size / 1e6
    print(f"{args.path}: {rows:,} rows, {size:.1f} MB in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
