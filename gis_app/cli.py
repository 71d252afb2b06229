"""The ``gis-app`` command line: database provisioning, migrations, loading, serving."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gis_app.domain.errors import GisAppError
from gis_app.settings import Settings


def _log(msg: str) -> None:
    print(f"gis-app: {msg}", file=sys.stderr)


def _url(settings: Settings) -> str:
    from gis_app.db.provision import database_url

    return database_url(settings.db)


def cmd_db(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app db ACTION``."""
    from gis_app.db import migrate, provision

    if args.action == "up":
        st = provision.db_up(settings.db, log=_log)
        _log(st.detail)
    elif args.action == "down":
        stopped = provision.db_down(settings.db, log=_log)
        _log("stopped" if stopped else "not running")
    elif args.action == "status":
        st = provision.db_status(settings.db)
        print(f"{st.mode}: {'running' if st.running else 'not running'} — {st.detail}")
        return 0 if st.running else 3
    elif args.action == "url":
        print(_url(settings))
    elif args.action == "migrate":
        migrate.upgrade(_url(settings), args.revision or "head")
        _log(f"database at {args.revision or 'head'}")
    elif args.action == "downgrade":
        migrate.downgrade(_url(settings), args.revision or "base")
        _log(f"database at {args.revision or 'base'}")
    return 0


def cmd_load_sample(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app load-sample``."""
    from gis_app.db.engine import make_engine
    from gis_app.services.inventory import load_sample

    engine = make_engine(_url(settings), settings.db, application_name="gis-app load-sample")
    try:
        report = load_sample(engine, Path(args.path) if args.path else None)
    finally:
        engine.dispose()
    print(report.summary())
    return 0


def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app setup``: db up, migrate to head, load the sample data."""
    from gis_app.db import migrate, provision

    provision.db_up(settings.db, log=_log)
    migrate.upgrade(_url(settings), "head")
    if not args.no_sample:
        cmd_load_sample(argparse.Namespace(path=None), settings)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app serve``."""
    import uvicorn

    from api.app import create_app

    host = args.host or settings.app.host
    port = args.port or settings.app.port
    settings.app.host, settings.app.port = host, port
    print(
        f"gis_app serving at http://{host}:{port}/  (API docs: http://{host}:{port}/docs)",
        flush=True,
    )
    uvicorn.run(create_app(settings), host=host, port=port, log_level="info")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gis-app``."""
    p = argparse.ArgumentParser(prog="gis-app", description="招商用地与厂房资源库 / site inventory")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser("db", help="PostGIS: up, down, status, url, migrate, downgrade")
    db.add_argument("action", choices=["up", "down", "status", "url", "migrate", "downgrade"])
    db.add_argument("revision", nargs="?", help="migration revision (migrate/downgrade)")
    db.set_defaults(func=cmd_db)

    ls = sub.add_parser("load-sample", help="load data/parcels (or --path) idempotently")
    ls.add_argument("--path", help="inventory folder (default: the sample in data/parcels)")
    ls.set_defaults(func=cmd_load_sample)

    st = sub.add_parser("setup", help="db up + migrate + load-sample")
    st.add_argument("--no-sample", action="store_true", help="do not load the sample data")
    st.set_defaults(func=cmd_setup)

    sv = sub.add_parser("serve", help="run the web app")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    sv.set_defaults(func=cmd_serve)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``gis-app`` console script."""
    args = build_parser().parse_args(argv)
    settings = Settings()
    try:
        return args.func(args, settings)
    except GisAppError as e:
        _log(f"error: {e}")
        return 2


if __name__ == "__main__":
    sys.exit(main())
