"""The ``ln1`` command: run the stack, administer companies, evaluate the intents."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncSession

from ln1.config import Settings
from ln1.db.engine import make_engine, make_sessionmaker
from ln1.db.migrate import upgrade
from ln1.errors import Ln1Error
from ln1.tenancy.models import Role

app = typer.Typer(help="ln1: AI agents over your company's own data.", no_args_is_help=True)
admin = typer.Typer(help="Companies, users, API keys and runners.", no_args_is_help=True)
evaluation = typer.Typer(help="Measure the orchestrator's understanding.", no_args_is_help=True)
app.add_typer(admin, name="admin")
app.add_typer(evaluation, name="eval")
console = Console()
T = TypeVar("T")
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in a system session on the configured database, migrated first."""
    if settings.is_sqlite:
        settings.ensure_data_dir()
    upgrade(settings.sqlalchemy_url)

    async def main() -> T:
        engine = make_engine(settings.sqlalchemy_url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session)
                await session.commit()
                return result
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except Ln1Error as exc:
        console.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(1) from exc


def _emit(as_json: bool, data: dict[str, Any], text: str) -> None:
    if as_json:
        print(json.dumps(data))
    else:
        console.print(text)


@app.command()
def up(
    data_dir: Annotated[Path | None, typer.Option(help="Folder for embedded state.")] = None,
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
    demo: Annotated[bool, typer.Option(help="Seed a demo company and admin.")] = False,
) -> None:
    """Run the whole stack on this machine (embedded default unless configured)."""
    from ln1.server import serve

    serve(_settings(data_dir=data_dir, host=host, port=port), demo=demo)


@app.command()
def worker(
    queues: Annotated[
        str, typer.Option("--queues", "-Q", help="Comma-separated queues to consume.")
    ] = "default,heavy,ai",
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    data_dir: Annotated[Path | None, typer.Option(help="Folder for embedded state.")] = None,
) -> None:
    """A Celery worker: on this machine next to ``ln1 up``, or on as many machines as wanted."""
    import os

    from ln1.worker.celery_app import QUEUES, make_celery

    wanted = [q.strip() for q in queues.split(",") if q.strip()]
    unknown = sorted(set(wanted) - set(QUEUES))
    if unknown or not wanted:
        console.print(f"[red]error:[/red] unknown queue(s) {unknown}; choose from {QUEUES}")
        raise typer.Exit(2)
    if data_dir is not None:
        os.environ["LN1_DATA_DIR"] = str(data_dir)  # the task code reads Settings() too
    settings = _settings(data_dir=data_dir)
    if settings.is_sqlite:
        settings.ensure_data_dir()
    upgrade(settings.sqlalchemy_url)
    celery = make_celery(settings)
    celery.worker_main(
        [
            "worker",
            "--queues",
            ",".join(wanted),
            "--concurrency",
            str(concurrency),
            "--loglevel",
            "INFO",
            "--without-gossip",
            "--without-mingle",
        ]
    )


@admin.command("create-company")
def create_company(
    slug: str,
    name: Annotated[str | None, typer.Option()] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone.")] = "America/Lima",
    language: Annotated[str, typer.Option(help="es or en")] = "es",
    region: Annotated[
        str | None,
        typer.Option(
            help="Country code (ISO 3166-1 alpha-2: PE, MX, ES, CL …): how answers write "
            "numbers. Default: the time zone's country."
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """A new company; an unknown --region (or time zone, language, slug) exits 1."""
    from ln1.tenancy.service import create_company as create

    company = _with_session(
        _settings(), lambda s: create(s, slug, name, timezone, language, region)
    )
    _emit(
        as_json,
        {"id": company.id, "slug": company.slug, "name": company.name, "region": company.region},
        f"company {company.slug} created ({company.id})",
    )


@admin.command("update-company")
def update_company(
    slug: str,
    name: Annotated[str | None, typer.Option()] = None,
    timezone: Annotated[str | None, typer.Option(help="IANA time zone.")] = None,
    language: Annotated[str | None, typer.Option(help="es or en")] = None,
    region: Annotated[
        str | None,
        typer.Option(help="Country code (PE, MX, ES, CL …), or 'auto': the time zone's country."),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Change a company's name, time zone, language or region; the next answer follows."""
    from ln1.tenancy.service import update_company as update

    company = _with_session(
        _settings(),
        lambda s: update(s, slug, name=name, timezone=timezone, language=language, region=region),
    )
    _emit(
        as_json,
        {
            "id": company.id,
            "slug": company.slug,
            "name": company.name,
            "timezone": company.timezone,
            "language": company.language,
            "region": company.region,
        },
        f"company {company.slug} updated",
    )


@admin.command("create-user")
def create_user(
    company: Annotated[str, typer.Option(help="Company slug.")],
    email: Annotated[str, typer.Option()],
    role: Annotated[Role, typer.Option()],
    name: Annotated[str | None, typer.Option()] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user and print their API key (shown once, stored only as a hash)."""
    from ln1.tenancy import service

    async def work(session: AsyncSession) -> tuple[Any, Any]:
        co = await service.get_company_by_slug(session, company)
        user = await service.create_user(session, co, email, role, name)
        return user, await service.issue_key(session, user, co)

    user, key = _with_session(_settings(), work)
    _emit(
        as_json,
        {
            "user_id": user.id,
            "email": user.email,
            "role": user.role,
            "key_id": key.key_id,
            "api_key": key.secret,
        },
        f"user {user.email} ({user.role}) created.\n"
        f"API key (shown once, store it now): {key.secret}",
    )


@admin.command("create-key")
def create_key(
    company: Annotated[str, typer.Option(help="Company slug.")],
    email: Annotated[str, typer.Option()],
    as_json: JsonOpt = False,
) -> None:
    """Issue another API key for an existing user (shown once)."""
    from ln1.tenancy import service

    async def work(session: AsyncSession) -> Any:
        co = await service.get_company_by_slug(session, company)
        user = await service.get_user_by_email(session, co, email)
        return await service.issue_key(session, user, co)

    key = _with_session(_settings(), work)
    _emit(
        as_json,
        {"key_id": key.key_id, "api_key": key.secret},
        f"API key {key.key_id} (shown once, store it now): {key.secret}",
    )


@admin.command("revoke-key")
def revoke_key(key_id: str) -> None:
    """Revoke an API key by its id; requests with it fail from now on."""
    from ln1.tenancy.service import revoke_key as revoke

    _with_session(_settings(), lambda s: revoke(s, key_id))
    console.print(f"key {key_id} revoked")


@admin.command("create-runner")
def create_runner(
    company: Annotated[str, typer.Option(help="Company slug.")],
    name: Annotated[str, typer.Option()],
    as_json: JsonOpt = False,
) -> None:
    """Register a Local Runner and print its token (shown once, stored only as a hash)."""
    from ln1.runners.service import create_runner as create
    from ln1.tenancy.service import get_company_by_slug

    async def work(session: AsyncSession) -> tuple[Any, str]:
        return await create(session, await get_company_by_slug(session, company), name)

    runner, token = _with_session(_settings(), work)
    _emit(
        as_json,
        {"runner_id": runner.id, "name": runner.name, "token": token},
        f"runner {runner.name} registered ({runner.id}).\n"
        f"Runner token (shown once, put it in runner.toml): {token}",
    )


@evaluation.command("intents")
def eval_intents(
    min_accuracy: Annotated[float, typer.Option(help="Exit 1 below this accuracy.")] = 0.0,
    show_errors: Annotated[bool, typer.Option(help="List misclassified utterances.")] = False,
) -> None:
    """Train on the labelled set's train split; report on its held-out split."""
    from ln1.orchestrator.intent.engine import INTENTS
    from ln1.orchestrator.intent.evaluate import evaluate

    result = evaluate()
    table = Table(title=f"Held-out accuracy per intent ({result.test_size} utterances)")
    table.add_column("intent")
    table.add_column("correct", justify="right")
    table.add_column("accuracy", justify="right")
    for intent, (correct, total) in result.per_intent.items():
        table.add_row(intent, f"{correct}/{total}", f"{correct / total:.1%}" if total else "-")
    console.print(table)
    short = {i: i[:6] for i in INTENTS}
    confusion = Table(title="Confusion (rows: true intent, columns: predicted)")
    confusion.add_column("true \\ predicted")
    for intent in INTENTS:
        confusion.add_column(short[intent], justify="right")
    for true_intent, row in result.confusion.items():
        confusion.add_row(true_intent, *(str(row[i] or "·") for i in INTENTS))
    console.print(confusion)
    if show_errors:
        for example, predicted in result.errors:
            console.print(f"  {example.intent} → {predicted}: {example.text}")
    console.print(
        f"train {result.train_size}, held-out {result.test_size}, "
        f"accuracy {result.accuracy:.1%}, classify p50 {result.p50_ms:.2f} ms, "
        f"p99 {result.p99_ms:.2f} ms"
    )
    if result.accuracy < min_accuracy:
        raise typer.Exit(1)


@app.command()
def graph() -> None:
    """Print the orchestrator's LangGraph as a mermaid diagram."""
    from ln1.orchestrator.graph import build_graph

    print(build_graph().get_graph().draw_mermaid())
