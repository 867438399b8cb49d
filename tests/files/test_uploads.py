"""POST /v1/files over real HTTP: streamed, hashed, checked by content, private to its user."""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Iterator

import httpx
import pytest
import xlsxwriter

from tests.conftest import Backend, ServerProcess, Tenant, _create_tenant


def workbook_bytes() -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Ventas")
    sheet.write_row(0, 0, ["fecha", "cliente", "monto"])
    sheet.write_row(1, 0, ["2026-11-24", "Juan Pérez", 1234.56])
    book.close()
    return buffer.getvalue()


def upload(client: httpx.Client, name: str, content: bytes) -> httpx.Response:
    return client.post("/v1/files", files={"file": (name, content, "application/octet-stream")})


def test_a_workbook_is_stored_with_its_size_hash_and_real_kind(tenant: Tenant) -> None:
    content = workbook_bytes()
    with tenant.client("member") as client:
        response = upload(client, "ventas noviembre.xlsx", content)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["filename"] == "ventas noviembre.xlsx"
        assert (body["size"], body["sha256"]) == (len(content), hashlib.sha256(content).hexdigest())
        assert body["kind"] == "xlsx"
        assert client.get(f"/v1/files/{body['id']}").json()["sha256"] == body["sha256"]


def test_a_csv_in_windows_encoding_is_accepted(tenant: Tenant) -> None:
    content = "fecha;cliente;monto\n24/11/2026;José Núñez;1.234,56\n".encode("cp1252")
    with tenant.client() as client:
        response = upload(client, "ventas.csv", content)
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "csv"


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("reporte.xlsx", b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", None),
        ("foto.xlsx", b"\x89PNG\r\n\x1a\n" + os.urandom(256), None),
        ("programa.csv", b"MZ\x90\x00" + bytes(range(256)) * 4, None),
        ("vacio.xlsx", b"", "empty_file"),
    ],
    ids=["pdf_renamed", "png_renamed", "executable", "empty"],
)
def test_a_file_that_is_not_a_spreadsheet_is_refused_whatever_its_name(
    tenant: Tenant, backend: Backend, name: str, content: bytes, code: str | None
) -> None:
    with tenant.client() as client:
        response = upload(client, name, content)
    assert response.status_code == 415, response.text
    error = response.json()["error"]
    assert error["code"] == (code or "unsupported_file") and error["message"]
    company_files = backend.settings.storage_dir / tenant.company_id
    assert not any(p.is_file() for p in company_files.rglob("*"))


def test_a_path_in_the_filename_never_reaches_the_storage(tenant: Tenant, backend: Backend) -> None:
    with tenant.client() as client:
        response = upload(client, "../../../etc/passwd.xlsx", workbook_bytes())
    assert response.status_code == 201
    assert response.json()["filename"] == "passwd.xlsx"
    assert not (backend.settings.data_dir.parent / "etc").exists()


def test_files_are_private_to_their_user(tenant: Tenant, other_tenant: Tenant) -> None:
    with tenant.client("analyst") as client:
        file_id = upload(client, "mio.xlsx", workbook_bytes()).json()["id"]
        assert client.get(f"/v1/files/{file_id}").status_code == 200
    for stranger in (tenant.client("admin"), other_tenant.client()):
        with stranger:
            assert stranger.get(f"/v1/files/{file_id}").status_code == 404


def test_uploading_needs_a_key(server: ServerProcess) -> None:
    response = httpx.post(f"{server.url}/v1/files", files={"file": ("a.csv", b"a,b\n1,2\n")})
    assert response.status_code == 401


def test_a_body_that_is_not_multipart_is_a_clear_error(tenant: Tenant) -> None:
    with tenant.client() as client:
        response = client.post("/v1/files", content=b"a,b\n1,2\n")
        assert response.status_code == 422
        assert "multipart/form-data" in response.json()["error"]["message"]
        missing = client.post("/v1/files", files={"other": ("a.csv", b"a,b\n1,2\n")})
        assert missing.status_code == 422
        assert "'file'" in missing.json()["error"]["message"]


@pytest.fixture
def small_limit_server(fresh_server) -> Iterator[tuple[ServerProcess, Backend]]:
    server, backend = fresh_server
    server.env = {**server.env, "LN1_MAX_UPLOAD_BYTES": "50000"}
    server.start()
    yield server, backend


def test_an_upload_over_the_limit_is_refused_and_leaves_nothing(small_limit_server) -> None:
    import asyncio

    server, backend = small_limit_server
    tenant = asyncio.run(_create_tenant(backend.settings, server.url))
    with tenant.client() as client:
        ok = upload(client, "chico.csv", b"a,b\n" + b"1,2\n" * 1000)
        assert ok.status_code == 201
        too_big = upload(client, "grande.csv", b"a,b\n" + b"1,2\n" * 20000)
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "file_too_large"

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit holds while streaming
            boundary = "xyz"
            yield f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '.encode()
            yield b'filename="s.csv"\r\n\r\na,b\n'
            for _ in range(200):
                yield b"1,2\n" * 100
            yield f"\r\n--{boundary}--\r\n".encode()

        streamed = client.post(
            "/v1/files",
            content=chunks(),
            headers={"Content-Type": "multipart/form-data; boundary=xyz"},
        )
        assert streamed.status_code == 413
    stored = list((backend.settings.storage_dir).rglob("*"))
    assert [p.name for p in stored if p.is_file()] == [ok.json()["id"]]
