"""The ``gongwu`` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from gongwu.app.settings import Settings, load_settings

T = TypeVar("T")

app = typer.Typer(
    name="gongwu",
    help="Gongwu 公务 — the platform of an offices-administration bureau: official cars, telematics, budgets.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database schema.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo bureau.", no_args_is_help=True)
users_app = typer.Typer(help="User accounts.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit chain.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def _run(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    from gongwu.core.db import Database

    async def main() -> T:
        db = Database(settings.core.resolved_database_url)
        try:
            return await work(db)
        finally:
            await db.dispose()

    return asyncio.run(main())


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default GONGWU_HTTP_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="HTTP port (default GONGWU_HTTP_PORT).")] = None,
    demo: Annotated[bool, typer.Option(help="Also drive the demo fleet with simulated terminals.")] = False,
) -> None:
    """Start the API, the pages and the background services."""
    import uvicorn

    from gongwu.app.main import create_app

    settings = load_settings()
    bind_host = host or settings.core.http_host
    bind_port = port or settings.core.http_port
    application = create_app(settings, demo=demo)
    typer.echo(f"Gongwu console: http://{bind_host}:{bind_port}/   (API docs: /docs)")
    if demo:
        from gongwu.app.demo import LOGINS_TEXT

        typer.echo(LOGINS_TEXT)
    uvicorn.run(application, host=bind_host, port=bind_port, log_level="info")


@app.command("settings")
def settings_command() -> None:
    """List every setting (environment variable, default, meaning) as a markdown table."""
    from gongwu.app.settings import settings_markdown

    typer.echo(settings_markdown(), nl=False)


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Target revision.")] = "heads") -> None:
    """Create or migrate the schema (SQLite + SpatiaLite by default; PostgreSQL + PostGIS by URL)."""
    from gongwu.app.migrate import upgrade

    settings = load_settings()
    settings.core.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(settings.core.resolved_database_url, revision)
    typer.echo(f"schema at {revision}: {settings.core.resolved_database_url}")


@demo_app.command("seed")
def demo_seed() -> None:
    """Seed the demo bureau (org tree, users, cars, drivers, budgets) unless it is there already."""
    from gongwu.app.demo import seed

    created = _run(load_settings(), seed)
    typer.echo("demo bureau seeded" if created else "demo bureau already present; nothing changed")


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="Login name.")],
    full_name: Annotated[str, typer.Option("--name", help="Full name.")],
    unit: Annotated[str, typer.Option(help="Code of the org unit.")],
    rank: Annotated[str, typer.Option(help="职级 code, e.g. staff, division_chief.")] = "staff",
    role: Annotated[list[str] | None, typer.Option(help="Role (repeat for several).")] = None,
    password: Annotated[str | None, typer.Option(help="Password (asked for when omitted).")] = None,
) -> None:
    """Create a user account."""
    from sqlalchemy import select

    from gongwu.core.db import Database
    from gongwu.core.errors import DomainError, NotFound
    from gongwu.core.identity import service
    from gongwu.core.identity.models import OrgUnit

    secret = password or getpass.getpass("password: ")

    async def work(db: Database) -> int:
        async with db.session() as session:
            unit_id = await session.scalar(select(OrgUnit.id).where(OrgUnit.code == unit))
            if unit_id is None:
                raise NotFound(f"No unit with code {unit!r}.", code="identity.unit_not_found")
            user = await service.create_user(
                session,
                username=username,
                full_name=full_name,
                password=secret,
                unit_id=unit_id,
                rank_code=rank,
                roles=role or ["requester"],
            )
            await session.commit()
            return user.id

    try:
        user_id = _run(load_settings(), work)
    except DomainError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"id": user_id, "username": username}))


@audit_app.command("verify")
def audit_verify() -> None:
    """Prove the audit chain intact, or name the first broken record (exit 1)."""
    from gongwu.core import audit
    from gongwu.core.db import Database

    async def work(db: Database) -> tuple[int, audit.ChainBreak | None]:
        async with db.session() as session:
            return await audit.verify(session)

    checked, broken = _run(load_settings(), work)
    if broken is None:
        typer.echo(f"audit chain intact: {checked} records verified")
        return
    typer.echo(
        f"audit chain BROKEN at record {broken.record_id}: {broken.reason} ({checked} records before it verified)",
        err=True,
    )
    raise typer.Exit(1)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
