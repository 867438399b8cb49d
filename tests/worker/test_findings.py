"""What a finished task tells the user, number by number, in Spanish and in English.

The real ``ingest`` and ``compare`` handlers run on real workbooks in a storage folder of the
test's own (handlers never touch the database, so the task and file records are built in
memory, with the company's country in ``params["region"]`` as the chat records it). A
Spanish reader in Chile must see "1.500 filas" and "1.234,56" ("500,000" read there is five
hundred); one in Peru "1,500 filas" and "1,234.56", as the chat writes them; an English one
always "1,500 rows" and "1,234.56".
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from ln1.artifacts.storage import LocalStorage
from ln1.files.models import File
from ln1.tasks.models import Task
from ln1.worker.findings import format_count, task_region
from ln1.worker.handlers.spreadsheets import compare_job, ingest_job
from ln1.worker.jobs import Job
from tests.worker.conftest import workbook

ROWS = 1500


def job_on(
    tmp_path: Path, kind: str, books: dict[str, bytes], lang: str, region: str | None
) -> Job:
    storage = LocalStorage(tmp_path / "storage")
    files = []
    for n, (name, content) in enumerate(books.items()):
        key = f"co_1/files/file_{n}"
        path = storage.path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
        files.append(
            File(
                id=f"file_{n}",
                company_id="co_1",
                user_id="usr_1",
                filename=name,
                kind="xlsx",
                size=len(content),
                sha256="0" * 64,
                storage_key=key,
            )
        )
    task = Task(
        id=f"task_{kind}_{lang}",
        company_id="co_1",
        user_id="usr_1",
        kind=kind,
        params={"lang": lang, "region": region, "file_ids": [f.id for f in files]},
    )
    return Job(task, files, storage, lambda stage, fraction: None, lang)


def expected_amount_sum() -> Decimal:
    """The sum of the workbook's "Monto" column, as ``workbook`` writes it."""
    return sum((Decimal(f"{(i * 13) % 997}.{i % 100:02d}") for i in range(ROWS)), start=Decimal(0))


@pytest.mark.parametrize(
    ("lang", "region", "rows", "amount", "converted"),
    [
        ("es", "CL", "1.500 filas", "monto = 738.749,50", "3.000 valores convertidos"),
        ("es", "PE", "1,500 filas", "monto = 738,749.50", "3,000 valores convertidos"),
        ("es", "ES", "1500 filas", "monto = 738.749,50", "3000 valores convertidos"),
        ("en", "CL", "1,500 rows", "monto = 738,749.50", "3,000 values converted"),
    ],
)
def test_ingest_message_writes_numbers_the_way_its_reader_reads_them(
    tmp_path: Path, lang: str, region: str, rows: str, amount: str, converted: str
) -> None:
    assert expected_amount_sum() == Decimal("738749.50")  # what the amounts below must read
    job = job_on(tmp_path, "ingest", {"ventas.xlsx": workbook(ROWS)}, lang, region)

    message = ingest_job(job).message

    head, sheet, cleaning = message.splitlines()[:3]
    assert head.endswith(f"{rows}."), message
    assert sheet.startswith(f"• Ventas: {rows} × 5 "), message
    assert sheet.endswith(amount), message  # the amounts' column, headers normalised
    assert converted in cleaning, message


SPANISH = r"0 filas solo en A, 0 solo en B, ([\d.,]+) cambiaron y ([\d.,]+) siguen iguales"
ENGLISH = r"0 rows only in A, 0 only in B, ([\d,]+) changed and ([\d,]+) unchanged"


@pytest.mark.parametrize(
    ("lang", "region", "pattern", "separator"),
    [("es", "CL", SPANISH, "."), ("es", "PE", SPANISH, ","), ("en", "AR", ENGLISH, ",")],
)
def test_compare_message_writes_counts_the_way_its_reader_reads_them(
    tmp_path: Path, lang: str, region: str, pattern: str, separator: str
) -> None:
    books = {"octubre.xlsx": workbook(4000), "noviembre.xlsx": workbook(4000, shift=5)}
    job = job_on(tmp_path, "compare", books, lang, region)

    outcome = compare_job(job)

    found = re.search(pattern, outcome.message)
    assert found, outcome.message
    changed, unchanged = (int(re.sub(r"[.,]", "", g)) for g in found.groups())
    summary = outcome.result["compare"]
    assert (changed, unchanged) == (summary["changed"], summary["unchanged"])
    assert unchanged >= 1000  # so its thousands separator is really shown
    assert found.group(2) == f"{unchanged:,}".replace(",", separator)


@pytest.mark.parametrize(
    ("value", "chile", "peru", "english"),
    [
        (500_000, "500.000", "500,000", "500,000"),
        (1234.56, "1.234,56", "1,234.56", "1,234.56"),
        (Decimal("-1234567.891"), "-1.234.567,89", "-1,234,567.89", "-1,234,567.89"),
        (12, "12", "12", "12"),
        (0.5, "0,50", "0.50", "0.50"),
        (float("nan"), "nan", "nan", "nan"),
        (None, "None", "None", "None"),
    ],
)
def test_format_count_follows_the_companys_country_in_spanish_only(
    value: object, chile: str, peru: str, english: str
) -> None:
    assert format_count(value, "es", "CL") == chile
    assert format_count(value, "es", "PE") == peru
    assert format_count(value, "en", "CL") == format_count(value, "en", "PE") == english


def test_a_task_recorded_without_a_region_gets_the_default_convention() -> None:
    task = Task(id="task_old", company_id="co_1", user_id="usr_1", kind="ingest", params={})

    assert task_region(task) is None
    assert format_count(1234.5, "es", task_region(task)) == "1,234.50"
