"""`shipgraph serve | dev | sandbox | schema | db upgrade`."""

from __future__ import annotations

import argparse
import gc
import sys
from collections.abc import Sequence

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from shipgraph import tracing
from shipgraph.config import ConfigError, Settings, load_settings
from shipgraph.http.server import server_options
from shipgraph.observability import configure_logging
from shipgraph.store.sql.engine import MEMORY_URL, is_memory_url

DEV_TENANT_KEY = "demo-key"
DEV_POLL_S = 10.0


def _address(args: argparse.Namespace) -> str:
    host = "127.0.0.1" if args.host in ("0.0.0.0", "::") else args.host
    return f"http://{host}:{args.port}"


def _serve(app: Starlette, args: argparse.Namespace, settings: Settings) -> None:
    if settings.otel_enabled:
        try:
            tracing.enable()
        except tracing.TracingUnavailable as missing:
            raise SystemExit(f"shipgraph: {missing}") from None
    # Everything built so far (modules, the schema, the carriers) lives as long as the
    # process: out of the collector's way, a full collection no longer walks it.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=settings.log_level.lower(),
        access_log=False,
        # configure_logging's JSON handler on the root logger, not uvicorn's text one
        log_config=None,
        **server_options(settings),
    )


def _check_schema(settings: Settings, command: str = "serve") -> None:
    """Refuse to start on a database whose schema is not this version's, saying what
    to run (the app checks again as it starts; this says it before uvicorn does)."""
    import asyncio

    from shipgraph.store import SchemaBehind, SqlShipmentStore

    async def check() -> None:
        store = SqlShipmentStore.from_url(settings.database())
        try:
            await store.open()
        finally:
            await store.aclose()

    if is_memory_url(settings.database()):
        return  # made at head with its engine: nothing to check
    try:
        asyncio.run(check())
    except SchemaBehind as behind:
        raise SystemExit(f"shipgraph {command}: {behind}") from None


def serve(args: argparse.Namespace) -> None:
    from shipgraph.app import create_app

    settings = load_settings()
    configure_logging(settings.log_level)
    _check_schema(settings)
    _serve(create_app(settings), args, settings)


def dev(args: argparse.Namespace) -> None:
    """Gateway and simulators in one process, webhooks wired, GraphiQL on."""
    from shipgraph.app import create_app
    from shipgraph.http.track import track_routes
    from shipgraph.sandbox.mounts import SandboxWiring, build_sandboxes

    address = _address(args)
    wiring = SandboxWiring(
        base_url=f"{address}/sandbox",
        gateway_url=address,
        auto_advance_s=args.advance_every or None,
    )
    overrides: dict[str, object] = {**wiring.gateway_settings(), "graphiql": True}
    settings = load_settings(**overrides)
    # What the environment leaves unset, dev fills in: the demo tenant, a database in
    # memory, and polls often enough to see Envio's steps that send no webhook move.
    defaults: dict[str, object] = {}
    if settings.database_url is None:
        defaults["database_url"] = MEMORY_URL
    if not settings.api_keys:
        defaults["api_keys"] = f"demo:{DEV_TENANT_KEY}"
    if "poll_s" not in settings.model_fields_set:
        defaults["poll_s"] = DEV_POLL_S
    if defaults:
        settings = load_settings(**overrides, **defaults)
    configure_logging(settings.log_level)
    _check_schema(settings, "dev")
    sandboxes = build_sandboxes(wiring)
    demo_key = DEV_TENANT_KEY if DEV_TENANT_KEY in settings.api_keys else None
    app = create_app(
        settings,
        extra_routes=[Mount("/sandbox", routes=sandboxes.mounts), *track_routes(demo_key)],
        extra_lifespan=sandboxes.running,
        graphiql_key=demo_key,
    )
    print(f"shipgraph dev: GraphiQL at {address}/graphql (tenant demo, key {DEV_TENANT_KEY})")
    print(f"live tracking page at {address}/track")
    print(f"simulators at {address}/sandbox/envio, /borzo, /entrego, /envoy (control: /_control)")
    _serve(app, args, settings)


def sandbox(args: argparse.Namespace) -> None:
    """The simulators alone, e.g. for a gateway run elsewhere."""
    from shipgraph.sandbox.mounts import SandboxWiring, build_sandboxes

    settings = load_settings()
    configure_logging(settings.log_level)
    wiring = SandboxWiring(
        base_url=_address(args),
        gateway_url=args.gateway_url,
        auto_advance_s=args.advance_every or None,
    )
    print(f"simulators at {_address(args)}/envio, /borzo, /entrego and /envoy")
    _serve(build_sandboxes(wiring).app(), args, settings)


def schema(args: argparse.Namespace) -> None:
    from shipgraph.schema import print_sdl

    sys.stdout.write(print_sdl() + "\n")


def db_upgrade(args: argparse.Namespace) -> None:
    """Create or migrate the SQL database's schema to the one this version needs."""
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from shipgraph.store.sql.migrate import current_revisions, upgrade

    settings = load_settings()
    configure_logging(settings.log_level)
    url = settings.database()
    if is_memory_url(url):
        raise SystemExit("shipgraph db upgrade: a database in memory is made at each start")
    try:
        asyncio.run(upgrade(url))
        revisions = asyncio.run(current_revisions(url))
    except (SQLAlchemyError, OSError) as error:
        raise SystemExit(f"shipgraph db upgrade: the database did not answer: {error}") from None
    print(f"shipgraph db upgrade: the database is at revision {', '.join(revisions)} (head)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="shipgraph", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    for name, handler, help_text in (
        ("serve", serve, "the gateway, configured from SHIPGRAPH_* variables"),
        ("dev", dev, "gateway + carrier simulators, database in memory, GraphiQL on"),
        ("sandbox", sandbox, "the carrier simulators alone"),
    ):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--host", default="127.0.0.1")
        command.add_argument("--port", type=int, default=8000)
        command.set_defaults(handler=handler)
        if name in ("dev", "sandbox"):
            command.add_argument(
                "--advance-every",
                type=float,
                default=20.0 if name == "dev" else 0.0,
                help="seconds between automatic status steps of each simulated shipment "
                "(0: only through the control API)",
            )
        if name == "sandbox":
            command.add_argument(
                "--gateway-url",
                default=None,
                help="where to send webhooks, e.g. http://127.0.0.1:8000",
            )
    printer = commands.add_parser("schema", help="print the GraphQL SDL")
    printer.set_defaults(handler=schema)
    database = commands.add_parser(
        "db", help="the SQL database (SHIPGRAPH_DATABASE_URL, or the embedded SQLite file)"
    )
    actions = database.add_subparsers(dest="action", required=True)
    upgrader = actions.add_parser("upgrade", help="create or migrate the schema to head")
    upgrader.set_defaults(handler=db_upgrade)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    try:
        args.handler(args)
    except ConfigError as error:
        sys.stderr.write(f"{error}\n")
        raise SystemExit(2) from None


if __name__ == "__main__":
    main()
