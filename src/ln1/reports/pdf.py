"""Lay a :class:`~ln1.reports.content.Report` out as an A4 PDF with reportlab.

Every page carries a header (title, company, date) and "Página 1 de 3" / "Page 1 of 3": the
total is only known at the end, so the canvas keeps each finished page and draws the header
and footer when the document is saved. Long tables split across pages with their header row
repeated; cells too wide for their column wrap instead of running off the page. The output is
byte-for-byte the same for the same input (reportlab's invariant mode fixes the internal ids
and timestamps), so a task delivered twice writes the same file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Image, SimpleDocTemplate, Spacer
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus.tables import LongTable, TableStyle

from ln1.reports import content
from ln1.reports.fonts import BOLD, REGULAR, register_fonts
from ln1.reports.text import Lang, clean, fmt_int, label

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 18 * mm
MARGIN_TOP = 26 * mm
MARGIN_BOTTOM = 20 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X
MAX_COLUMNS = 8
"""Columns a table shows; more would be unreadable on A4 portrait."""

TABLE_FONT_SIZE = 7.5
_PAD = 3
_FRAME_PAD = 6
_ACCENT = colors.HexColor("#1f5aa6")
_ZEBRA = colors.HexColor("#f2f5fa")
_RULE = colors.HexColor("#d5dbe5")
_GREY = colors.HexColor("#666666")
_MONEY_SPACE = re.compile(r"(S/|PEN|USD|US\$|EUR|€) (?=[-+]?\d)")
_MEASURED_ROWS = 200  # rows sampled to size a table's columns


@dataclass(frozen=True)
class PageFrame:
    """What every page's header and footer say."""

    title: str
    company: str
    date_text: str
    lang: Lang
    region: str | None = None  # the company's country: how the notes write a count

    def draw(self, canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - 12 * mm
        right = PAGE_WIDTH - MARGIN_X
        side = self.date_text if not self.company else f"{self.company} · {self.date_text}"
        side_width = min(stringWidth(side, REGULAR, 8), TEXT_WIDTH * 0.45)
        side = _fit(side, REGULAR, 8, side_width)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(_GREY)
        canvas.drawRightString(right, top, side)
        canvas.setFont(BOLD, 10)
        canvas.setFillColor(colors.black)
        canvas.drawString(
            MARGIN_X, top, _fit(self.title, BOLD, 10, TEXT_WIDTH - side_width - 6 * mm)
        )
        canvas.setStrokeColor(_ACCENT)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN_X, top - 3 * mm, right, top - 3 * mm)
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(_GREY)
        text = label("page", self.lang, page=page, pages=pages)
        canvas.drawCentredString(PAGE_WIDTH / 2, 10 * mm, text)
        canvas.restoreState()


def write_pdf(
    report: content.Report,
    path: Path,
    frame: PageFrame,
    company: str | None,
    images: list[tuple[bytes, float, float]],
) -> int:
    """Write ``report`` to ``path``; return the number of pages.

    ``images`` are the report's charts already drawn (:func:`ln1.reports.charts.render_png`),
    in the order the charts appear, so the caller can report progress while drawing them.
    """
    register_fonts()
    styles = _styles()
    story: list[Flowable] = [RLParagraph(_markup(clean(report.title, 200)), styles["title"])]
    pending = iter(images)
    for block in report.blocks:
        if isinstance(block, content.Chart):
            png, width, height = next(pending)
            image = Image(io.BytesIO(png), width=width * 72, height=height * 72)
            story += [image, Spacer(1, 4)]  # an Image never splits
        else:
            story.extend(_flowables(block, styles, frame.lang, frame.region))
    pages: list[int] = []
    document = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=MARGIN_X - _FRAME_PAD,  # the frame pads 6 pt: text lines up with the header
        rightMargin=MARGIN_X - _FRAME_PAD,
        topMargin=MARGIN_TOP - _FRAME_PAD,
        bottomMargin=MARGIN_BOTTOM - _FRAME_PAD,
        title=clean(report.title, 200),
        author=clean(company or "", 200),
        creator="ln1",
        producer="ln1",
        subject=clean(report.summary, 500),
        invariant=True,
        lang=frame.lang,
    )
    document.build(story, canvasmaker=_canvas_class(frame, pages))
    return pages[0] if pages else 0


def _canvas_class(frame: PageFrame, pages_out: list[int]) -> type[Canvas]:
    """A canvas that holds every page until the end, to print "page N of TOTAL" on each."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._held_pages: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._held_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._held_pages)
            for number, state in enumerate(self._held_pages, start=1):
                self.__dict__.update(state)
                frame.draw(self, number, total)
                super().showPage()
            pages_out.append(total)
            super().save()

    return NumberedCanvas


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=REGULAR, fontSize=9.5, leading=13, spaceAfter=4)
    return {
        "title": ParagraphStyle(
            "title", parent=base, fontName=BOLD, fontSize=16, leading=20, spaceAfter=8
        ),
        "h1": ParagraphStyle(
            "h1",
            parent=base,
            fontName=BOLD,
            fontSize=13,
            leading=16,
            spaceBefore=10,
            spaceAfter=5,
            textColor=_ACCENT,
            keepWithNext=1,
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=BOLD,
            fontSize=10.5,
            leading=13,
            spaceBefore=8,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "body": base,
        "note": ParagraphStyle(
            "note", parent=base, fontSize=8, leading=10, textColor=_GREY, spaceBefore=2
        ),
        "cell": ParagraphStyle(
            "cell", fontName=REGULAR, fontSize=TABLE_FONT_SIZE, leading=TABLE_FONT_SIZE + 1.5
        ),
        "cell_right": ParagraphStyle(
            "cell_right",
            fontName=REGULAR,
            fontSize=TABLE_FONT_SIZE,
            leading=TABLE_FONT_SIZE + 1.5,
            alignment=TA_RIGHT,
        ),
        "head": ParagraphStyle(
            "head",
            fontName=BOLD,
            fontSize=TABLE_FONT_SIZE,
            leading=TABLE_FONT_SIZE + 1.5,
            textColor=colors.white,
        ),
        "head_right": ParagraphStyle(
            "head_right",
            fontName=BOLD,
            fontSize=TABLE_FONT_SIZE,
            leading=TABLE_FONT_SIZE + 1.5,
            textColor=colors.white,
            alignment=TA_RIGHT,
        ),
    }


def _flowables(
    block: content.Heading | content.Paragraph | content.Table,
    styles: dict[str, ParagraphStyle],
    lang: Lang,
    region: str | None,
) -> list[Any]:
    if isinstance(block, content.Heading):
        style = styles["h1"] if block.level <= 1 else styles["h2"]
        return [RLParagraph(_markup(block.text), style)]
    if isinstance(block, content.Paragraph):
        return [RLParagraph(_markup(block.text), styles["note" if block.note else "body"])]
    assert isinstance(block, content.Table)
    return _table(block, styles, lang, region)


def _table(
    block: content.Table, styles: dict[str, ParagraphStyle], lang: Lang, region: str | None
) -> list[Any]:
    """A table that splits across pages, repeats its header and never overflows the width."""
    shown = min(len(block.columns), MAX_COLUMNS)
    columns = [clean(name, 80) for name in block.columns[:shown]]
    numeric = list(block.numeric[:shown])
    rows = [list(row[:shown]) for row in block.rows]
    footer = list(block.footer[:shown]) if block.footer else None
    rows = [[clean(text) for text in row] for row in rows]
    measured = rows + ([footer] if footer else [])
    widths = _column_widths(columns if block.header else [], measured, bold_first=not block.header)
    data: list[list[Any]] = []
    if block.header:
        data.append(
            [
                RLParagraph(_markup(name), styles["head_right" if right else "head"])
                for name, right in zip(columns, numeric, strict=True)
            ]
        )
    body_font = BOLD if not block.header else REGULAR
    for row in [*rows, *([footer] if footer else [])]:
        data.append(
            [_cell(text, width, right, styles) for text, width, right in _zip(row, widths, numeric)]
        )
    table = LongTable(data, colWidths=widths, repeatRows=1 if block.header else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), REGULAR, TABLE_FONT_SIZE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), _PAD),
        ("RIGHTPADDING", (0, 0), (-1, -1), _PAD),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, _RULE),
    ]
    for index, right in enumerate(numeric):
        if right:
            commands.append(("ALIGN", (index, 0), (index, -1), "RIGHT"))
    if block.header:
        commands += [
            ("BACKGROUND", (0, 0), (-1, 0), _ACCENT),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, _ZEBRA]),
        ]
    else:
        commands.append(("FONT", (0, 0), (0, -1), body_font, TABLE_FONT_SIZE))
    if footer:
        commands += [
            ("FONT", (0, -1), (-1, -1), BOLD, TABLE_FONT_SIZE),
            ("LINEABOVE", (0, -1), (-1, -1), 0.8, colors.black),
            ("BACKGROUND", (0, -1), (-1, -1), colors.white),
        ]
    table.setStyle(TableStyle(commands))
    flowables: list[Any] = [table]
    notes = []
    total = block.total_rows if block.total_rows is not None else len(rows)
    if total > len(rows):
        more = total - len(rows)
        count = fmt_int(more, lang, region)
        notes.append(
            label("more_row", lang) if more == 1 else label("more_rows", lang, count=count)
        )
    if len(block.columns) > shown:
        notes.append(label("more_columns", lang, shown=shown, total=len(block.columns)))
    if notes:
        flowables.append(RLParagraph(_markup(" ".join(notes)), styles["note"]))
    flowables.append(Spacer(1, 6))
    return flowables


def _zip(row: list[str], widths: list[float], numeric: list[bool]) -> list[tuple[str, float, bool]]:
    cells = [*row, *[""] * (len(widths) - len(row))]
    return list(zip(cells, widths, numeric, strict=False))


def _cell(text: str, width: float, right: bool, styles: dict[str, ParagraphStyle]) -> Any:
    """Short text stays a plain string (fast); text wider than its column wraps."""
    if stringWidth(text, REGULAR, TABLE_FONT_SIZE) <= width - 2 * _PAD:
        return text
    return RLParagraph(_markup(text), styles["cell_right" if right else "cell"])


def _column_widths(
    columns: list[str], rows: list[list[str]], *, bold_first: bool = False
) -> list[float]:
    """Each column as wide as its content, shrinking the widest ones to fit the page.

    A header may wrap, so it only asks for its longest word; cells ask for their whole
    text. When the total is too wide, narrow columns keep their width and the remaining
    space is shared equally among the wide ones, which then wrap.
    """
    count = max(len(columns), max((len(row) for row in rows), default=0))
    if count == 0:
        return []
    natural = [24.0] * count
    for index, name in enumerate(columns):
        longest = max(
            (stringWidth(word, BOLD, TABLE_FONT_SIZE) for word in name.split()), default=0
        )
        natural[index] = max(natural[index], longest + 2 * _PAD + 1)
    for row in rows[:_MEASURED_ROWS]:
        for index, text in enumerate(row):
            font = BOLD if bold_first and index == 0 else REGULAR
            width = stringWidth(text, font, TABLE_FONT_SIZE) + 2 * _PAD + 1
            if width > natural[index]:
                natural[index] = width
    if sum(natural) <= TEXT_WIDTH:
        return natural
    widths = list(natural)
    flexible = set(range(count))
    remaining = TEXT_WIDTH
    while flexible:
        share = remaining / len(flexible)
        fixed = {index for index in flexible if natural[index] <= share}
        if not fixed:
            for index in flexible:
                widths[index] = share
            break
        for index in fixed:
            widths[index] = natural[index]
            remaining -= natural[index]
        flexible -= fixed
    return widths


def _markup(text: str) -> str:
    """Text for a reportlab Paragraph: cleaned and escaped, so "<b>" prints as "<b>".

    A currency symbol stays on the line of its amount ("S/ 1,234.56" never splits).
    """
    return _MONEY_SPACE.sub("\\1\u00a0", escape(clean(text, 2000)))


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with "…" to fit ``width`` points (header lines never wrap)."""
    text = clean(text, 300)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
