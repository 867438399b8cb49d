"""``ln1 admin`` on the same database as a running server: what it creates works at once."""

from __future__ import annotations

import json
import secrets
import subprocess
import sys

import httpx
from sqlalchemy import create_engine, text

from ln1.db.migrate import sync_url


def ln1(backend, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ln1", *args],
        env=backend.env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_company_and_user_created_while_serving_can_chat_at_once(backend, server) -> None:
    slug = f"cli-{secrets.token_hex(3)}"
    company = ln1(
        backend, "admin", "create-company", slug, "--name", "CLI S.A.", "--region", "cl", "--json"
    )
    assert company.returncode == 0, company.stderr
    assert (json.loads(company.stdout)["slug"], json.loads(company.stdout)["region"]) == (
        slug,
        "CL",
    )
    user = ln1(
        backend,
        "admin",
        "create-user",
        "--company",
        slug,
        "--email",
        "Ana@Cli.example",
        "--role",
        "analyst",
        "--json",
    )
    assert user.returncode == 0, user.stderr
    created = json.loads(user.stdout)
    assert created["email"] == "ana@cli.example"
    headers = {"Authorization": f"Bearer {created['api_key']}"}
    me = httpx.get(f"{server.url}/v1/me", headers=headers).json()
    assert (me["company"]["slug"], me["role"]) == (slug, "analyst")
    assert me["company"]["region"] == "CL"

    revoked = ln1(backend, "admin", "revoke-key", created["key_id"])
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.get(f"{server.url}/v1/me", headers=headers).status_code == 401


def test_create_key_gives_an_existing_user_another_key(backend, server, tenant) -> None:
    out = ln1(
        backend,
        "admin",
        "create-key",
        "--company",
        tenant.slug,
        "--email",
        f"member@{tenant.slug}.example",
        "--json",
    )
    assert out.returncode == 0, out.stderr
    key = json.loads(out.stdout)["api_key"]
    me = httpx.get(f"{server.url}/v1/me", headers={"Authorization": f"Bearer {key}"}).json()
    assert me["role"] == "member"


def test_runner_token_is_shown_once_and_stored_hashed(backend, server, tenant) -> None:
    out = ln1(
        backend, "admin", "create-runner", "--company", tenant.slug, "--name", "erp", "--json"
    )
    assert out.returncode == 0, out.stderr
    token = json.loads(out.stdout)["token"]
    assert token.startswith("ln1_rt_") and len(token) > 40
    engine = create_engine(sync_url(backend.settings.sqlalchemy_url))
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT token_hash, token_prefix FROM runners")).all()
    finally:
        engine.dispose()
    assert all(token not in (h, p) for h, p in rows)
    runners = tenant.client().get("/v1/runners").json()["data"]
    assert [(r["name"], r["status"], r["last_seen"]) for r in runners] == [("erp", "offline", None)]


def test_duplicate_company_is_a_clear_error(backend, tenant) -> None:
    out = ln1(backend, "admin", "create-company", tenant.slug)
    assert out.returncode == 1
    assert f"a company with slug '{tenant.slug}' already exists" in out.stdout


def test_user_for_unknown_company_is_a_clear_error(backend) -> None:
    out = ln1(
        backend,
        "admin",
        "create-user",
        "--company",
        "nope-nope",
        "--email",
        "a@b.example",
        "--role",
        "member",
    )
    assert out.returncode == 1
    assert "no company with slug 'nope-nope'" in out.stdout


def test_unknown_role_is_refused(backend) -> None:
    out = ln1(
        backend,
        "admin",
        "create-user",
        "--company",
        "x",
        "--email",
        "a@b.example",
        "--role",
        "owner",
    )
    assert out.returncode == 2
    assert "owner" in out.stderr


def test_unknown_region_is_refused_with_a_clear_error(backend) -> None:
    slug = f"cli-{secrets.token_hex(3)}"
    out = ln1(backend, "admin", "create-company", slug, "--region", "XX")
    assert out.returncode == 1
    assert "unknown region 'XX': use an ISO 3166-1 alpha-2 country code" in out.stdout
    again = ln1(backend, "admin", "create-company", slug, "--json")  # nothing was half-created
    assert again.returncode == 0, again.stdout
    assert json.loads(again.stdout)["region"] is None  # numbers follow the time zone's country


def test_bad_slug_is_refused(backend) -> None:
    out = ln1(backend, "admin", "create-company", "Bad Slug!")
    assert out.returncode == 1
    assert "company slug must be" in out.stdout


def _me(server, key: str) -> dict:
    response = httpx.get(f"{server.url}/v1/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200, response.text
    return response.json()["company"]


def test_a_company_updated_while_serving_is_seen_by_the_next_request(backend, server) -> None:
    slug = f"cli-{secrets.token_hex(3)}"
    assert ln1(backend, "admin", "create-company", slug).returncode == 0
    user = ln1(
        backend, "admin", "create-user", "--company", slug, "--email", "a@x.example",
        "--role", "admin", "--json",
    )  # fmt: skip
    key = json.loads(user.stdout)["api_key"]
    before = _me(server, key)
    assert (before["timezone"], before["language"]) == ("America/Lima", "es")
    assert before["region"] is None

    out = ln1(
        backend, "admin", "update-company", slug, "--name", "Nueva S.L.", "--timezone",
        "Europe/Madrid", "--language", "en", "--region", "es", "--json",
    )  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["region"] == "ES"
    after = _me(server, key)
    assert (after["name"], after["timezone"], after["language"], after["region"]) == (
        "Nueva S.L.",
        "Europe/Madrid",
        "en",
        "ES",
    )

    back = ln1(backend, "admin", "update-company", slug, "--region", "auto")
    assert back.returncode == 0, back.stdout + back.stderr
    assert _me(server, key)["region"] is None  # numbers follow the time zone's country again
    assert _me(server, key)["timezone"] == "Europe/Madrid"  # what was not given stays


def test_a_bad_company_update_is_refused_and_changes_nothing(backend, server) -> None:
    slug = f"cli-{secrets.token_hex(3)}"
    assert ln1(backend, "admin", "create-company", slug, "--name", "Antes").returncode == 0
    for args, message in (
        (("--region", "XX"), "unknown region 'XX'"),
        (("--timezone", "Mars/Olympus"), "unknown time zone 'Mars/Olympus'"),
        (("--language", "fr"), "language must be 'es' or 'en'"),
    ):
        out = ln1(backend, "admin", "update-company", slug, "--name", "Después", *args)
        assert out.returncode == 1, args
        assert message in out.stdout, out.stdout
    shown = ln1(backend, "admin", "update-company", slug, "--json")  # nothing to change
    assert json.loads(shown.stdout)["name"] == "Antes"
    unknown = ln1(backend, "admin", "update-company", "no-such-company", "--region", "PE")
    assert unknown.returncode == 1 and "no company with slug 'no-such-company'" in unknown.stdout
