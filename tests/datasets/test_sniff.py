"""The real type of a file comes from its bytes; unsafe or broken files never reach a reader."""

from __future__ import annotations

import importlib
import zipfile
from pathlib import Path

import pytest
import xlsxwriter

from ln1.datasets.errors import (
    CorruptFile,
    DatasetError,
    EmptyFile,
    EncryptedFile,
    UnsafeFile,
    UnsupportedFile,
)
from ln1.datasets.sniff import CsvFormat, FileKind, csv_format, sniff
from tests.datasets import files

sniff_module = importlib.import_module("ln1.datasets.sniff")


def small_xlsx(path: Path) -> Path:
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Ventas")
    ws.write_row(0, 0, ["producto", "monto"])
    ws.write_row(1, 0, ["Café", 12.5])
    wb.close()
    return path


def test_xlsx_is_recognised_whatever_its_name(tmp_path: Path) -> None:
    assert sniff(small_xlsx(tmp_path / "ventas.pdf")) is FileKind.XLSX


def test_pdf_renamed_xlsx_is_refused_and_named(tmp_path: Path) -> None:
    path = tmp_path / "ventas.xlsx"
    path.write_bytes(b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    with pytest.raises(UnsupportedFile, match="PDF") as caught:
        sniff(path)
    assert caught.value.code == "unsupported_file"


@pytest.mark.parametrize(
    ("head", "named"),
    [(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "PNG"), (b"MZ\x90\x00" + b"\x00" * 64, "Windows")],
)
def test_images_and_programs_are_refused(tmp_path: Path, head: bytes, named: str) -> None:
    path = tmp_path / "datos.csv"
    path.write_bytes(head)
    with pytest.raises(UnsupportedFile, match=named):
        sniff(path)


def test_docx_is_refused_as_a_word_document(tmp_path: Path) -> None:
    path = files.zip_with(
        tmp_path / "informe.xlsx",
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
    )
    with pytest.raises(UnsupportedFile, match="Word"):
        sniff(path)


def test_plain_zip_is_refused(tmp_path: Path) -> None:
    path = files.zip_with(tmp_path / "a.xlsx", {"notes.txt": b"hola"})
    with pytest.raises(UnsupportedFile, match="zip archive that is not a workbook"):
        sniff(path)


def test_empty_and_blank_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_bytes(b"")
    (tmp_path / "blank.csv").write_bytes(b"  \n\n \r\n")
    for name in ("empty.csv", "blank.csv"):
        with pytest.raises(EmptyFile) as caught:
            sniff(tmp_path / name)
        assert caught.value.code == "empty_file"


def test_truncated_xlsx_is_corrupt(tmp_path: Path) -> None:
    whole = small_xlsx(tmp_path / "whole.xlsx").read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(CorruptFile) as caught:
        sniff(path)
    assert caught.value.code == "corrupt_file"


def test_zip_bomb_is_refused_before_any_reader(tmp_path: Path) -> None:
    path = files.zip_with(
        tmp_path / "bomb.xlsx",
        {
            "[Content_Types].xml": files.OOXML_TYPES,
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"0" * 50_000_000,
        },
    )
    assert path.stat().st_size < 200_000
    with pytest.raises(UnsafeFile, match="zip bomb") as caught:
        sniff(path)
    assert caught.value.code == "unsafe_file"


def test_zip_that_lies_about_its_sizes_is_refused(tmp_path: Path) -> None:
    path = files.zip_with(
        tmp_path / "liar.xlsx",
        {
            "[Content_Types].xml": files.OOXML_TYPES,
            "xl/workbook.xml": b"<workbook/>",
            "xl/worksheets/sheet1.xml": b"<row>1</row>" * 400_000,
        },
    )
    data = bytearray(path.read_bytes())
    target = b"xl/worksheets/sheet1.xml"
    local = data.rfind(b"PK\x03\x04", 0, data.index(target))
    central = data.rfind(b"PK\x01\x02", 0, data.rindex(target))
    data[local + 22 : local + 26] = (1000).to_bytes(4, "little")
    data[central + 24 : central + 28] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError):
        sniff(path)


def test_total_expanded_size_is_limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff_module, "MAX_ZIP_UNCOMPRESSED", 1000)
    path = small_xlsx(tmp_path / "a.xlsx")
    with pytest.raises(UnsafeFile, match="expands to"):
        sniff(path)


def test_too_many_members_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff_module, "MAX_ZIP_MEMBERS", 5)
    path = files.zip_with(tmp_path / "many.xlsx", {f"m{n}.xml": b"x" for n in range(6)})
    with pytest.raises(UnsafeFile, match="members"):
        sniff(path)


@pytest.mark.parametrize("name", ["../../etc/passwd", "/etc/passwd", "C:\\evil.xml"])
def test_member_paths_that_escape_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "escape.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", files.OOXML_TYPES)
        zf.writestr(zipfile.ZipInfo(name), b"x")
    with pytest.raises(UnsafeFile, match="unsafe path"):
        sniff(path)


def test_xlsm_is_recognised_by_its_vba_project(tmp_path: Path) -> None:
    vba = tmp_path / "vbaProject.bin"
    vba.write_bytes(files.ole2(tmp_path / "vba.ole", ["VBA"]).read_bytes())
    wb = xlsxwriter.Workbook(tmp_path / "macros.xlsx")  # name says xlsx, content is xlsm
    wb.add_worksheet().write(0, 0, "x")
    wb.add_vba_project(str(vba))
    wb.close()
    assert sniff(tmp_path / "macros.xlsx") is FileKind.XLSM


def test_xlsb_is_recognised(tmp_path: Path) -> None:
    path = files.zip_with(
        tmp_path / "b.xlsx",
        {
            "[Content_Types].xml": b'<Types><Override ContentType="application/vnd.ms-excel.'
            b'sheet.binary.macroEnabled.main"/></Types>',
            "xl/workbook.bin": b"\x83\x01\x00",
        },
    )
    assert sniff(path) is FileKind.XLSB


def test_ods_is_recognised_by_its_mimetype(tmp_path: Path) -> None:
    assert sniff(files.ods(tmp_path / "hoja.xlsx", [["a", "b"], [1.0, 2.0]])) is FileKind.ODS


def test_odt_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "carta.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    with pytest.raises(UnsupportedFile, match="OpenDocument text"):
        sniff(path)


def test_ole2_workbook_is_xls(tmp_path: Path) -> None:
    assert (
        sniff(files.ole2(tmp_path / "old.csv", ["Workbook", "SummaryInformation"])) is FileKind.XLS
    )


def test_ole2_word_document_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedFile, match="Word"):
        sniff(files.ole2(tmp_path / "carta.xls", ["WordDocument", "1Table"]))


def test_password_protected_workbook_is_named_as_such(tmp_path: Path) -> None:
    path = files.ole2(tmp_path / "secreto.xlsx", ["EncryptionInfo", "EncryptedPackage"])
    with pytest.raises(EncryptedFile, match="password") as caught:
        sniff(path)
    assert caught.value.code == "encrypted_file"


def test_cp1252_csv_with_semicolons(tmp_path: Path) -> None:
    path = tmp_path / "ventas.xlsx"
    text = "fecha;cliente;monto\n24/11/2026;José Núñez;1.234,56\n25/11/2026;Añorga €;12,5\n"
    path.write_bytes(text.encode("cp1252"))
    assert sniff(path) is FileKind.CSV
    assert csv_format(path) == CsvFormat("cp1252", ";")


def test_utf16_csv_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("código\tmonto\nA-01\t10\nÑ-02\t20\n".encode("utf-16"))
    assert csv_format(path) == CsvFormat("utf_16", "\t")


def test_utf8_bom_csv_with_pipes(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_bytes("a|b|c\n1|2|3\n4|5|6\n".encode("utf-8-sig"))
    assert csv_format(path) == CsvFormat("utf_8_sig", "|")


def test_quoted_commas_do_not_confuse_the_delimiter(tmp_path: Path) -> None:
    path = tmp_path / "q.csv"
    path.write_text('nombre,monto\n"Pérez, José","1,5"\n"Gómez, Ana","2,5"\n', encoding="utf-8")
    assert csv_format(path) == CsvFormat("utf_8", ",")


def test_text_without_columns_is_not_a_csv(tmp_path: Path) -> None:
    path = tmp_path / "readme.csv"
    path.write_text("Este archivo no tiene columnas.\nSolo texto libre.\n", encoding="utf-8")
    with pytest.raises(UnsupportedFile, match="delimiter"):
        sniff(path)


def test_random_binary_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "blob.csv"
    path.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UnsupportedFile):
        sniff(path)
