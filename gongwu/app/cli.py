"""The ``gongwu`` command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer

from gongwu.app.dispatch_cli import app as dispatch_app
from gongwu.app.frames_cli import app as frames_app
from gongwu.app.map_cli import app as map_app
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
terminals_app = typer.Typer(help="In-car terminals (JT/T 808, GB/T 32960, NMEA).", no_args_is_help=True)
costs_app = typer.Typer(help="Running costs of the cars: imports, the month's close.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")
app.add_typer(frames_app, name="frames", help="Decode and build terminal frames (JT/T 808, GB/T 32960, NMEA).")
app.add_typer(map_app, name="map", help="The city's road map: import an OpenStreetMap extract.")
app.add_typer(dispatch_app, name="dispatch", help="Pooled dispatch: the dial-a-ride optimizer.")
app.add_typer(terminals_app, name="terminals")
app.add_typer(costs_app, name="costs")


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
    from gongwu.core import logs
    from gongwu.core.runtime import tune_gc

    settings = load_settings()
    logs.configure(settings.core.log_format, settings.core.log_level)
    bind_host = host or settings.core.http_host
    bind_port = port or settings.core.http_port
    application = create_app(settings, demo=demo)
    typer.echo(f"Gongwu console: http://{bind_host}:{bind_port}/   (API docs: /docs)")
    if demo:
        from gongwu.app.demo import LOGINS_TEXT

        typer.echo(LOGINS_TEXT)
    tune_gc(settings.core.gc_threshold)
    # our logging (text or JSON); the request middleware logs each request once, with its id
    uvicorn.run(application, host=bind_host, port=bind_port, log_config=None, access_log=False,
                proxy_headers=True)  # fmt: skip


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
                raise NotFound(
                    f"No unit with code {unit!r}.",
                    code="identity.unit_not_found",
                    message_zh=f"没有代码为 {unit!r} 的单位。",
                )
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


@app.command("export")
def export_command(
    file: Annotated[str, typer.Argument(help="Where to write the master data (JSON; `-` for standard output).")],
) -> None:
    """Write the bureau's master data (org tree, users, fleet, budgets, terminals, calendars, places, the audit
    chain …; not positions) as versioned JSON — to move to PostgreSQL with `gongwu import`."""
    from pathlib import Path

    from gongwu.app.transfer import export_data

    document = _run(load_settings(), export_data)
    text = json.dumps(document, ensure_ascii=False, indent=1)
    if file == "-":
        sys.stdout.write(text + "\n")
        return
    Path(file).write_text(text + "\n", encoding="utf-8")
    rows = {name: len(block["rows"]) for name, block in document["tables"].items()}
    typer.echo(json.dumps({"file": file, "rows": rows}, ensure_ascii=False), err=True)


@app.command("import")
def import_command(
    file: Annotated[str, typer.Argument(help="A file written by `gongwu export`.")],
) -> None:
    """Load master data into an empty, migrated database (one transaction; the audit chain is verified and
    continued with a `system.import` record). Run `gongwu db upgrade` first."""
    from pathlib import Path

    from gongwu.app.transfer import import_data
    from gongwu.core.errors import DomainError

    try:
        document = json.loads(Path(file).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        typer.echo(f"error: cannot read {file}: {exc}", err=True)
        raise typer.Exit(2) from None
    try:
        counts = _run(load_settings(), lambda db: import_data(db, document))
    except DomainError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps({"imported": counts}, ensure_ascii=False))


@audit_app.command("nightly")
def audit_nightly(
    day: Annotated[str | None, typer.Option("--date", help="Local day YYYY-MM-DD (default: yesterday).")] = None,
    days: Annotated[int, typer.Option(help="Audit this many days, ending with --date.")] = 1,
) -> None:
    """Run the nightly trip audit (supervision rules and normal patterns) for a day; prints what it found."""
    from datetime import date, timedelta

    from gongwu.core.db import Database
    from gongwu.dispatch.supervision.audit import Auditor

    settings = load_settings()
    last = date.fromisoformat(day) if day else date.today() - timedelta(days=1)

    async def work(db: Database) -> list[dict[str, object]]:
        auditor = Auditor(db, settings.supervision, settings.core.local_timezone, _routing(settings))
        out = []
        for offset in range(days - 1, -1, -1):
            when = last - timedelta(days=offset)
            run = await auditor.audit_day(when, trigger="cli")
            out.append({"day": when.isoformat(), "vehicles": run.vehicles, "findings": run.findings,
                        "seconds": run.seconds})  # fmt: skip
        return out

    for row in _run(settings, work):
        typer.echo(json.dumps(row))


def _routing(settings: Settings) -> object | None:
    from gongwu.app.routing_api import create_routing_service

    routing = create_routing_service(settings.core.data_dir, settings.core.local_timezone, settings.routing)
    return routing if routing.network is not None else None


@costs_app.command("close")
def costs_close(month: Annotated[str, typer.Option(help="The month YYYY-MM.")]) -> None:
    """Close a month (月结): accruals, then what the trips did not take is charged to the owning units."""
    from gongwu.core.db import Database
    from gongwu.dispatch.costs import flows
    from gongwu.dispatch.costs.settlement import Policy

    settings = load_settings()

    async def work(db: Database) -> dict[str, object]:
        async with db.session() as session:
            report = await flows.close_month(session, month, Policy(settings.costs, settings.core.local_timezone))
            await session.commit()
        return {"month": month, "closed": len(report.closed), "failed": report.failed,
                "to_trips": str(report.to_trips), "to_owner": str(report.to_owner)}  # fmt: skip

    typer.echo(json.dumps(_run(settings, work), ensure_ascii=False))


@costs_app.command("import-fuel")
def costs_import_fuel(file: Annotated[str, typer.Argument(help="The supplier's statement (.csv or .xlsx).")]) -> None:
    """Import a fuel-card statement: every row, or none (each bad row is printed)."""
    from pathlib import Path

    from gongwu.core.db import Database
    from gongwu.core.errors import DomainError
    from gongwu.dispatch.costs import sources
    from gongwu.dispatch.costs.settlement import Policy

    settings = load_settings()
    path = Path(file)
    data = path.read_bytes()

    async def work(db: Database) -> dict[str, object]:
        async with db.session() as session:
            batch = await sources.import_fuel(
                session, data, path.name, Policy(settings.costs, settings.core.local_timezone)
            )
            await session.commit()
            return {"id": batch.id, "rows": batch.rows, "amount": str(batch.amount)}

    try:
        typer.echo(json.dumps(_run(settings, work), ensure_ascii=False))
    except DomainError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        for problem in exc.details.get("errors", []):
            typer.echo(f"  row {problem['row']} {problem['column']}: {problem['message']}", err=True)
        raise typer.Exit(2) from None


def _run_background(gateways: bool, consumers: bool) -> None:
    """Run telematics' background parts without HTTP until SIGINT/SIGTERM (for scale-out)."""
    import signal
    from typing import Any

    from gongwu.app.health import readiness
    from gongwu.app.observability import serve_ops
    from gongwu.app.platform import Platform
    from gongwu.core import logs
    from gongwu.core.runtime import tune_gc
    from gongwu.telematics.runtime import background_tasks

    settings = load_settings()
    logs.configure(settings.core.log_format, settings.core.log_level)

    async def main() -> None:
        platform = Platform.build(settings)
        services: list[Any] = []
        platform.background.extend(
            background_tasks(
                settings.telematics,
                timezone=settings.core.local_timezone,
                gateways=gateways,
                consumers=consumers,
                on_gateways=services.append,
            )
        )
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await platform.start()
        tune_gc(settings.core.gc_threshold)
        ops = None
        if settings.core.metrics_port is not None:

            async def ready() -> tuple[bool, dict[str, Any]]:
                return await readiness(platform.db, platform.bus, [s.writer for s in services])

            host = settings.telematics.gateway_host
            ops = asyncio.create_task(serve_ops(host, settings.core.metrics_port, ready, stop))
        try:
            await stop.wait()
        finally:
            if ops is not None:
                await asyncio.gather(ops, return_exceptions=True)
            await platform.stop()

    try:
        import uvloop  # the faster event loop (installed with uvicorn[standard]) when it is there
    except ImportError:
        asyncio.run(main())
    else:
        uvloop.run(main())


@app.command()
def gateway(
    consumers: Annotated[bool, typer.Option(help="Also run the bus consumers in this process.")] = False,
) -> None:
    """Run the terminal gateways alone (TCP, pipeline, commands; no HTTP) — start several behind a TCP balancer."""
    t = load_settings().telematics
    ports = [f"{name} :{port}" for name, on, port in (
        ("JT/T 808", t.jt808_enabled, t.jt808_port),
        ("GB/T 32960", t.gb32960_enabled, t.gb32960_port),
        ("NMEA", t.nmea_enabled, t.nmea_port),
    ) if on]  # fmt: skip
    typer.echo(f"gateway {t.resolved_gateway_id()} on {t.gateway_host}: {', '.join(ports) or 'no protocol enabled'}")
    _run_background(gateways=True, consumers=consumers)


@app.command("consumers")
def consumers_command() -> None:
    """Run the telematics bus consumers alone (live state, trips, geofences, alarms) — as many as needed."""
    typer.echo("telematics consumers running (Ctrl-C to stop)")
    _run_background(gateways=False, consumers=True)


@terminals_app.command("add")
def terminals_add(
    protocol: Annotated[str, typer.Option(help="jt808, gb32960 or nmea.")],
    identifier: Annotated[str, typer.Option("--id", help="Phone / terminal number, VIN, or NMEA id.")],
    vehicle: Annotated[str, typer.Option(help="Plate of the car it is fitted to.")],
) -> None:
    """Provision a terminal and bind it to a car."""
    from sqlalchemy import select

    from gongwu.core.db import Database
    from gongwu.core.errors import DomainError, NotFound
    from gongwu.core.fleet.identifiers import normalise_plate
    from gongwu.core.fleet.models import Vehicle
    from gongwu.telematics import terminals

    async def work(db: Database) -> dict[str, object]:
        async with db.session() as session:
            plate = normalise_plate(vehicle)
            vehicle_id = await session.scalar(select(Vehicle.id).where(Vehicle.plate == plate))
            if vehicle_id is None:
                raise NotFound(
                    f"No car with plate {plate}.",
                    code="fleet.vehicle_not_found",
                    message_zh=f"没有车牌为 {plate} 的车辆。",
                )
            terminal = await terminals.provision(
                session, protocol=protocol, identifier=identifier, vehicle_id=vehicle_id
            )
            await session.commit()
            return {"id": terminal.id, "protocol": protocol, "identifier": terminal.identifier, "plate": plate}

    try:
        created = _run(load_settings(), work)
    except DomainError as exc:
        typer.echo(f"error: {exc.message} ({exc.code})", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(created, ensure_ascii=False))


@terminals_app.command("list")
def terminals_list() -> None:
    """Every terminal with its car, one JSON object a line."""
    from gongwu.core.db import Database
    from gongwu.telematics import terminals

    async def work(db: Database) -> list[dict[str, object]]:
        async with db.session() as session:
            rows = await terminals.list_terminals(session, None)
            return [
                {
                    "id": t.id,
                    "protocol": t.protocol,
                    "identifier": t.identifier,
                    "plate": plate,
                    "registered": t.auth_code is not None,
                    "disabled": t.disabled,
                }
                for t, plate in rows
            ]

    for row in _run(load_settings(), work):
        typer.echo(json.dumps(row, ensure_ascii=False))


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)
