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
    """Handle ``gis-app setup``: db up, migrate, first admin, load the sample data."""
    from gis_app.db import migrate, provision
    from gis_app.services import accounts

    provision.db_up(settings.db, log=_log)
    migrate.upgrade(_url(settings), "head")
    with _engine(settings, "gis-app setup").begin() as conn:
        password = accounts.ensure_initial_admin(conn, settings.security.admin_password)
    if password is not None:
        shown = "from GIS_APP_ADMIN_PASSWORD" if settings.security.admin_password else password
        print(
            f"created user 'admin' (role admin) with password: {shown}\n"
            "  this is shown once; change it with `gis-app user reset-password admin`",
            flush=True,
        )
    if not args.no_sample:
        cmd_load_sample(argparse.Namespace(path=None), settings)
    return 0


def _engine(settings: Settings, name: str):
    from gis_app.db.engine import make_engine

    return make_engine(_url(settings), settings.db, application_name=name)


def cmd_user(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app user ACTION``."""
    import getpass
    import secrets

    from gis_app.domain.errors import InvalidInput
    from gis_app.services import accounts

    if args.action != "list" and not args.username:
        raise InvalidInput(f"`gis-app user {args.action}` needs a USERNAME")
    roles = [r.strip() for r in (args.roles or "").split(",") if r.strip()]
    with _engine(settings, "gis-app user").begin() as conn:
        if args.action == "create":
            password = args.password or (
                getpass.getpass("password: ") if sys.stdin.isatty() else None
            )
            generated = password is None
            password = password or secrets.token_urlsafe(12)
            accounts.create_user(conn, args.username, password, roles, args.display_name)
            print(
                f"created user {args.username.lower()!r} with roles {roles or '[]'}"
                + (f"; password (shown once): {password}" if generated else "")
            )
        elif args.action == "list":
            for u in accounts.list_users(conn):
                state = "disabled" if u["disabled"] else "active"
                print(f"{u['username']:<24} {','.join(u['roles']) or '-':<24} {state}")
        elif args.action == "set-role":
            accounts.set_roles(conn, args.username, roles)
            print(f"{args.username}: roles {roles}")
        elif args.action == "disable":
            accounts.set_disabled(conn, args.username, True)
            print(f"{args.username}: disabled, sessions ended")
        elif args.action == "enable":
            accounts.set_disabled(conn, args.username, False)
            print(f"{args.username}: enabled")
        elif args.action == "reset-password":
            pw = accounts.reset_password(conn, args.username, args.password)
            print(f"{args.username}: new password (shown once): {pw}")
    return 0


def cmd_token(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app token ACTION``."""
    from gis_app.domain.errors import InvalidInput
    from gis_app.services import accounts

    if args.action == "create" and not args.username:
        raise InvalidInput("`gis-app token create` needs a USERNAME")
    if args.action == "revoke" and not args.token_id:
        raise InvalidInput("`gis-app token revoke` needs --token-id")
    with _engine(settings, "gis-app token").begin() as conn:
        if args.action == "create":
            tid, token = accounts.create_token(
                conn, args.username, args.name or "cli", args.expires_days
            )
            print(f"token {tid} for {args.username} (shown once): {token}")
        elif args.action == "list":
            for t in accounts.list_tokens(conn, args.username):
                state = "revoked" if t["revoked_at"] else "active"
                print(f"{t['id']:>5} {t['username']:<20} {t['prefix']}…  {t['name']:<20} {state}")
        elif args.action == "revoke":
            accounts.revoke_token(conn, int(args.token_id))
            print(f"token {args.token_id} revoked")
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

    us = sub.add_parser(
        "user", help="accounts: create, list, set-role, disable, enable, reset-password"
    )
    us.add_argument(
        "action", choices=["create", "list", "set-role", "disable", "enable", "reset-password"]
    )
    us.add_argument("username", nargs="?")
    us.add_argument("--roles", help="comma-separated: officer,planner,admin")
    us.add_argument("--password", help="default: prompt, or generate and print once")
    us.add_argument("--display-name")
    us.set_defaults(func=cmd_user)

    tk = sub.add_parser("token", help="API tokens: create, list, revoke")
    tk.add_argument("action", choices=["create", "list", "revoke"])
    tk.add_argument("username", nargs="?", help="owner (create, list)")
    tk.add_argument("--name")
    tk.add_argument("--expires-days", type=int)
    tk.add_argument("--token-id")
    tk.set_defaults(func=cmd_token)

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
