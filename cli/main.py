"""The ``gis-app`` command line: database, accounts, loading, search, matching, maps, files,
serving."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from sqlalchemy.exc import OperationalError, ProgrammingError

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

    if args.action in ("cluster", "failover"):
        from cli.failover import cmd_formation

        return cmd_formation(args, settings)
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
        from gis_app.db.db_logins import libpq_url

        print(libpq_url(_url(settings)) if args.libpq else _url(settings))
    elif args.action == "migrate":
        migrate.upgrade(_url(settings), args.revision or "head")
        _log(f"database at {args.revision or 'head'}")
    elif args.action == "downgrade":
        migrate.downgrade(_url(settings), args.revision or "base")
        _log(f"database at {args.revision or 'base'}")
    elif args.action == "replica":
        return _replica(args, settings)
    elif args.action == "backup" and args.base:
        from gis_app.db import pitr

        dest = Path(args.file) if args.file else pitr.default_base_dir(settings.db)
        print(f"base backup written: {pitr.base_backup(settings.db, dest)}", flush=True)
    elif args.action == "restore" and args.base:
        return _restore_to_time(args, settings)
    elif args.action == "backup":
        from sqlalchemy.engine import make_url

        from gis_app.db import backup

        url = _url(settings)
        target = Path(args.file) if args.file else None
        if target is None:
            target = backup.default_path(settings.db.backup_dir, make_url(url).database or "db")
        print(backup.backup(url, target).summary(), flush=True)
    elif args.action == "restore":
        from gis_app.db import backup

        if not args.file:
            _log("error: db restore needs --file BACKUP (a file written by gis-app db backup)")
            return 2
        url = _url(settings)
        print(backup.restore(url, Path(args.file), replace=args.replace).summary(), flush=True)
        # a backup of an older version is brought up to this version's schema
        migrate.upgrade(url, "head")
        _log("database at head")
    return 0


def _replica(args: argparse.Namespace, settings: Settings) -> int:
    """``gis-app db replica up|down|status``: the private cluster's hot standby for reads."""
    from gis_app.db import replica

    what = args.revision
    if what == "up":
        url = replica.replica_up(settings.db, log=_log)
        if settings.db.replica_url != url:
            _log("to send reads there, set GIS_APP_REPLICA_URL (then restart gis-app serve):")
        print(url, flush=True)
    elif what == "down":
        stopped = replica.replica_down(settings.db, remove=args.remove, log=_log)
        _log("standby stopped" if stopped else "standby not running")
    elif what == "status":
        st = replica.replica_status(settings.db)
        print(f"standby: {'running' if st.running else 'not running'} — {st.detail}")
        return 0 if st.running else 3
    else:
        _log("error: db replica needs up, down or status")
        return 2
    return 0


def _restore_to_time(args: argparse.Namespace, settings: Settings) -> int:
    """``gis-app db restore --base --file DIR --until TIME --data-dir NEW --restore-port P``."""
    import datetime as dt

    from gis_app.db import pitr

    missing = [
        flag
        for flag, value in (
            ("--file BASE_BACKUP", args.file),
            ("--until TIME", args.until),
            ("--data-dir NEW_FOLDER", args.data_dir),
            ("--restore-port PORT", args.restore_port),
        )
        if not value
    ]
    if missing:
        _log(f"error: db restore --base needs {', '.join(missing)}")
        return 2
    if settings.db.wal_archive_dir is None:
        _log("error: GIS_APP_WAL_ARCHIVE_DIR must name the WAL archive the cluster wrote")
        return 2
    try:
        until = dt.datetime.fromisoformat(args.until)
    except ValueError:
        _log(f"error: --until {args.until!r} is not a time such as 2026-12-03T16:40:00+08:00")
        return 2
    done = pitr.restore_to(
        Path(args.file),
        until,
        settings.db.wal_archive_dir,
        Path(args.data_dir),
        args.restore_port,
        database=settings.db.pg_database,
    )
    print(done.summary(), flush=True)
    return 0


def cmd_load_sample(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app load-sample``."""
    from gis_app.db.engine import make_engine
    from gis_app.services.inventory import load_sample

    engine = make_engine(_url(settings), settings.db, application_name="gis-app load-sample")
    try:
        with engine.connect() as conn:
            report = load_sample(conn, Path(args.path) if args.path else None)
    finally:
        engine.dispose()
    print(report.summary())
    return 0


def cmd_setup(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app setup``: db up, migrate, first admin, load the sample data and its
    example requirements."""
    from gis_app.db import migrate, provision
    from gis_app.domain.errors import InvalidInput
    from gis_app.services import accounts

    provision.db_up(settings.db, log=_log)
    migrate.upgrade(_url(settings), "head")
    if not args.no_sample:
        # the districts first: every user, the first admin too, belongs to one
        cmd_load_sample(argparse.Namespace(path=None), settings)
    try:
        with _engine(settings, "gis-app setup").begin() as conn:
            password = accounts.ensure_initial_admin(conn, settings.security.admin_password)
    except InvalidInput as exc:
        if exc.code != "no_district":
            raise
        password = None
        print(
            "no district is configured yet, so no admin was created: load your districts "
            "(`gis-app load-sample --path FOLDER` with its jurisdiction.geojson), then run "
            "`gis-app setup --no-sample` again",
            flush=True,
        )
    if password is not None:
        shown = "from GIS_APP_ADMIN_PASSWORD" if settings.security.admin_password else password
        print(
            f"created user 'admin' (role admin) with password: {shown}\n"
            "  this is shown once; change it with `gis-app user reset-password admin`",
            flush=True,
        )
    if not args.no_sample:
        from gis_app.services.inventory import SAMPLE_DIR
        from gis_app.services.requirements import load_examples

        with _engine(settings, "gis-app setup").connect() as conn:
            new = load_examples(conn, SAMPLE_DIR / "requirements.json", officer="admin")
        if new:
            print(f"recorded {len(new)} example requirements for admin: {new}", flush=True)
        import datetime as dt

        from gis_app.services.projects import load_ledger

        with _engine(settings, "gis-app setup").connect() as conn:
            codes = load_ledger(conn, SAMPLE_DIR / "projects.json", "admin", dt.date.today())
        if codes:
            print(f"recorded {len(codes)} illustrative projects for admin", flush=True)
        from gis_app.services.activities import load_activities

        with _engine(settings, "gis-app setup").connect() as conn:
            n = load_activities(conn, SAMPLE_DIR / "projects.json", "admin", dt.date.today())
        if n:
            print(f"recorded {n} illustrative promotion activities for admin", flush=True)
    # QGIS users find the styled layers and the project in the database from the start
    cmd_qgis(argparse.Namespace(host="127.0.0.1", port=None), settings)
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
            accounts.create_user(
                conn, args.username, password, roles, args.display_name, args.district
            )
            print(
                f"created user {args.username.lower()!r} with roles {roles or '[]'}"
                + (f"; password (shown once): {password}" if generated else "")
            )
            if args.db_login:
                conn.commit()
                _print_db_login(conn, args.username, None, settings)
        elif args.action == "db-login":
            _print_db_login(conn, args.username, args.password, settings)
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
        elif args.action in ("grant", "revoke"):
            _grant(conn, args, roles)
        elif args.action == "scope":
            _print_scope(conn, args.username)
    return 0


def _grant(conn, args: argparse.Namespace, roles: list[str]) -> None:
    """``user grant|revoke NAME --district CODE --roles R[,R]``: a role in another district."""
    from gis_app.domain.errors import InvalidInput
    from gis_app.services import accounts

    if not args.district or not roles:
        raise InvalidInput(f"`gis-app user {args.action}` needs --district CODE and --roles")
    for role in roles:
        if args.action == "grant":
            done = accounts.grant_district_role(conn, args.username, args.district, role, "cli")
        else:
            done = accounts.revoke_district_role(conn, args.username, args.district, role)
        state = ({"grant": "granted", "revoke": "revoked"}[args.action]) if done else "unchanged"
        print(f"{args.username}: {role} in {args.district} {state}")
    _print_scope(conn, args.username)


def _print_scope(conn, username: str) -> None:
    from gis_app.services import accounts

    scope = accounts.user_scope(conn, username)
    print(f"{username}: reads {','.join(scope.read) or '-'}; writes {','.join(scope.write) or '-'}")


def _print_db_login(conn, username: str, password: str | None, settings: Settings) -> None:
    """Create (or reset) the user's database login and print how to connect with it."""
    from sqlalchemy.engine import make_url

    from gis_app.services import db_logins

    login = db_logins.create_db_login(conn, username, password)
    url = make_url(_url(settings))
    print(
        f"database login {login.username!r} {'created' if login.created else 'reset'}"
        f" with {', '.join(login.groups) or 'no rights'}; password (shown once): "
        f"{login.password}\n  QGIS/psql: host {url.host} port {url.port} database"
        f" {url.database} user {login.username}"
    )


def cmd_qgis(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app qgis publish``: default styles and the project, into the database."""
    from gis_app.services import qgis
    from maps.style import AVAILABILITY_COLOURS

    with _engine(settings, "gis-app qgis").connect() as conn:
        name = qgis.publish(conn, AVAILABILITY_COLOURS, host=args.host, port=args.port)
    print(
        f"stored QGIS project {name!r} and the layers' default styles; in QGIS: 项目 Project →"
        " 打开自 Open From → PostgreSQL, schema public"
    )
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


def default_workers() -> int:
    """Server processes when none are asked for: one per CPU core the app may run on.

    A process runs its Python on one core at a time (the GIL). On the 2-core VM with PostgreSQL
    on the same machine one process left a third of the CPU idle under 50 officers, while two
    served 279 against 200 requests/s at p95 329 against 431 ms, interleaved
    (bench/results/load_bench.md).
    """
    return max(1, len(os.sched_getaffinity(0)))


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app serve``: one process, or ``--workers`` processes on one port
    (:mod:`cli.workers`)."""
    import uvicorn

    from gis_app.services.accounts import load_secret_key

    host = args.host or settings.app.host
    port = args.port or settings.app.port
    workers = args.workers or settings.app.workers or default_workers()
    settings.app.host, settings.app.port = host, port
    banner = (
        f"gis_app serving at http://{host}:{port}/  (API docs: http://{host}:{port}/docs; "
        f"{workers} worker process{'es' if workers > 1 else ''})"
    )
    if workers == 1:
        print(banner, flush=True)
        from api.app import create_app

        uvicorn.run(
            create_app(settings),
            host=host,
            port=port,
            log_level="info",
            timeout_keep_alive=round(settings.app.keep_alive_s),
        )
        return 0
    # Each worker builds its app from the environment. The development secret key is made
    # here first, so that the workers do not race to create different ones.
    load_secret_key(settings.security)
    os.environ["GIS_APP_HOST"], os.environ["GIS_APP_PORT"] = host, str(port)
    from cli.workers import serve

    return serve(
        host,
        port,
        workers,
        keep_alive_s=settings.app.keep_alive_s,
        on_listening=lambda: print(banner, flush=True),
    )


# --- search and matching -----------------------------------------------------------------------
# Search flags mirror the query parameters of GET /api/sites: those of the registry's
# filterable fields (gis_app.domain.filters), and these explicit ones (SiteFilter field → flag).
_SEARCH_LISTS = {"land_use": "land-use"}
_SEARCH_NUMBERS = (
    "area_mu_min",
    "area_mu_max",
    "area_m2_min",
    "area_m2_max",
    "max_price_wan_per_mu",
    "max_rent_yuan_m2_month",
    "max_km_port",
    "max_km_wharf",
    "max_km_ferry",
    "max_km_expressway",
    "radius_km",
    "buffer_km",
)


def _yes_no(text: str) -> bool:
    from gis_app.domain.fields import Field, FieldError

    try:
        return Field("bool", required=True).coerce(text)
    except FieldError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _add_filter_flags(parser: argparse.ArgumentParser) -> None:
    """The filter flags of GET /api/sites, shared by ``search`` and ``render-map``."""
    from gis_app.domain.filters import REGISTRY_FILTERS

    for flt in REGISTRY_FILTERS:
        flag = f"--{flt.parameter.replace('_', '-')}"
        if flt.op == "any":
            parser.add_argument(flag, dest=flt.parameter, action="append", help=flt.help)
        elif flt.op in ("min", "max"):
            parser.add_argument(flag, dest=flt.parameter, type=float, help=flt.help)
        else:
            parser.add_argument(flag, dest=flt.parameter, type=_yes_no, help=flt.help)
    for name, flag in _SEARCH_LISTS.items():
        parser.add_argument(f"--{flag}", dest=name, action="append", help="repeatable")
    for name in _SEARCH_NUMBERS:
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=float)
    parser.add_argument("--bbox", help="minlon,minlat,maxlon,maxlat")
    parser.add_argument("--near", help="lon,lat (with --radius-km)")
    parser.add_argument(
        "--intersects",
        help="an area: GeoJSON or WKT in lon/lat (a line or point with --buffer-km), "
        "or @FILE holding it",
    )
    parser.add_argument("--q", help="text in names or code")
    parser.add_argument("--verified-within-days", type=int)


def _coords(text: str | None, n: int, name: str) -> tuple[float, ...] | None:
    if not text:
        return None
    try:
        parts = tuple(float(v) for v in text.split(","))
    except ValueError:
        parts = ()
    if len(parts) != n:
        raise GisAppError(f"--{name} needs {n} comma-separated numbers, got {text!r}")
    return parts


def _area_text(text: str | None) -> str | None:
    """The ``--intersects`` area: the text given, or the content of the file after ``@``."""
    if not text or not text.startswith("@"):
        return text or None
    path = Path(text[1:])
    try:
        return path.read_text(encoding="utf-8")
    except OSError as e:
        raise GisAppError(f"--intersects: cannot read {path}: {e.strerror}") from None


def _filter_kwargs(args: argparse.Namespace) -> dict:
    """The site filter the search flags describe, as SiteFilter keyword arguments."""
    from gis_app.domain.filters import REGISTRY_FILTERS

    kw: dict = {f: getattr(args, f) or [] for f in _SEARCH_LISTS}
    kw |= {f: getattr(args, f) for f in _SEARCH_NUMBERS}
    kw |= {
        f.parameter: (getattr(args, f.parameter) or [])
        if f.op == "any"
        else getattr(args, f.parameter)
        for f in REGISTRY_FILTERS
    }
    kw |= {
        "bbox": _coords(args.bbox, 4, "bbox"),
        "near": _coords(args.near, 2, "near"),
        "intersects": _area_text(args.intersects),
        "q": args.q,
        "verified_within_days": args.verified_within_days,
    }
    return kw


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app search``: the filters of GET /api/sites, printed as a table or JSON."""
    import json

    from gis_app.db.site_queries import SiteFilter
    from gis_app.domain import landuse, vocab
    from gis_app.matching.report import text_table
    from gis_app.services import sites as site_service

    kw = _filter_kwargs(args)
    engine = _engine(settings, "gis-app search")
    try:
        with engine.connect() as conn:
            page = site_service.list_site_records(
                conn,
                SiteFilter(**kw),
                limit=args.limit,
                offset=args.offset,
                sort=args.sort,
                max_limit=settings.app.max_page_size,
            )
    finally:
        engine.dispose()
    records = json.loads(page.records_json)
    if args.json:
        print(json.dumps({"total": page.total, "sites": records}, ensure_ascii=False, indent=2))
        return 0
    zh = args.lang == "zh"
    rows = [
        [
            r["code"],
            vocab.SITE_KIND.label(r["kind"], args.lang),
            r["name_zh"] if zh else (r["name_en"] or r["name_zh"]),
            r["township"] or "",
            f"{r['area_mu']:.1f}",
            f"{r['planned_use'] or ''} {landuse.label('2023', r['planned_use'], args.lang)}",
            vocab.AVAILABILITY.label(r["availability"], args.lang),
        ]
        for r in records
    ]
    headers = (
        ["编号", "类型", "名称", "街道/镇", "面积(亩)", "规划用途", "招商状态"]
        if zh
        else ["code", "kind", "name", "township", "area (mu)", "planned use", "availability"]
    )
    print(text_table(headers, rows))
    print(f"{len(records)} / {page.total}")
    return 0


def cmd_match(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app match FILE.json``: ranked sites with their top reasons."""
    import json

    from gis_app.matching.report import match_report
    from gis_app.matching.spec import parse_weights
    from gis_app.services import matching as match_service

    path = Path(args.file)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise GisAppError(f"{path}: cannot read a JSON requirement: {e}") from None
    engine = _engine(settings, "gis-app match")
    try:
        with engine.connect() as conn:
            result = match_service.match_spec(
                conn,
                data,
                limit=args.limit,
                near_miss_limit=args.near_miss_limit,
                margin_pct=args.margin,
                weights=parse_weights(args.weight or []),
            )
    finally:
        engine.dispose()
    if args.json:
        print(json.dumps(result.to_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(match_report(result, args.lang))
    return 0


def cmd_requirements(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app requirements reexpand``."""
    from gis_app.services import requirements as requirement_service

    engine = _engine(settings, "gis-app requirements")
    try:
        with engine.connect() as conn:
            report = requirement_service.reexpand_land_uses(conn, "gis-app")
    finally:
        engine.dispose()
    print(
        f"{len(report.changed)} requirement(s) re-expanded"
        + (f" (#{', #'.join(map(str, report.changed))})" if report.changed else "")
        + f", {report.unchanged} unchanged, {len(report.invalid)} not valid"
    )
    for message in report.invalid:
        print(f"  {message}")
    return 1 if report.invalid else 0


def _add_search_and_match(sub: argparse._SubParsersAction) -> None:
    se = sub.add_parser("search", help="search sites with the filters of GET /api/sites")
    _add_filter_flags(se)
    se.add_argument("--sort", default="code", help="column, '-' prefix for descending")
    se.add_argument("--limit", type=int, default=100)
    se.add_argument("--offset", type=int, default=0)
    se.add_argument("--lang", choices=["zh", "en"], default="zh")
    se.add_argument("--json", action="store_true", help="print JSON records instead of a table")
    se.set_defaults(func=cmd_search)

    ma = sub.add_parser("match", help="match a requirement (JSON file) against the inventory")
    ma.add_argument("file", help="requirement as JSON (the body of POST /api/match)")
    ma.add_argument("--limit", type=int, default=20)
    ma.add_argument("--near-miss-limit", type=int, default=10)
    ma.add_argument("--margin", type=float, help="near-miss margin in %% (default: the file's)")
    ma.add_argument("--weight", action="append", help="criterion:weight, repeatable")
    ma.add_argument("--lang", choices=["zh", "en"], default="zh")
    ma.add_argument("--json", action="store_true", help="print the full explained result")
    ma.set_defaults(func=cmd_match)

    rq = sub.add_parser("requirements", help="requirements: reexpand (after a land-use change)")
    rq.add_argument(
        "action",
        choices=["reexpand"],
        help="recompute every requirement's land-use sets from its codes or industry",
    )
    rq.set_defaults(func=cmd_requirements)


def cmd_render_map(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app render-map [filters] -o FILE.html``: a standalone map of a selection."""
    from gis_app.db.site_queries import SiteFilter
    from gis_app.services import tiles as tile_service
    from maps.export import export_html

    kw = _filter_kwargs(args)
    limit = args.max_sites or settings.map.export_max_sites
    engine = _engine(settings, "gis-app render-map")
    try:
        with engine.connect() as conn:
            sel = tile_service.export_selection(conn, SiteFilter(**kw), max_sites=limit)
    finally:
        engine.dispose()
    shown = [
        f"{k}={','.join(map(str, v)) if isinstance(v, list | tuple) else v}"
        for k, v in kw.items()
        if v not in (None, [], "")
    ]
    html = export_html(
        sites=sel.sites,
        jurisdiction=sel.jurisdiction,
        constraint_zones=sel.constraint_zones,
        infrastructure=sel.infrastructure,
        bounds=sel.bounds,
        title=args.title or ("招商资源地图" if args.lang == "zh" else "Investment site map"),
        filter_text=" ".join(shown),
        lang=args.lang,
        districts=sel.districts,
    )
    out = Path(args.output)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    _log(f"wrote {out} ({len(sel.sites['features'])} sites, {len(html.encode()) // 1024} KB)")
    return 0


def _add_render_map(sub: argparse._SubParsersAction) -> None:
    rm = sub.add_parser(
        "render-map",
        help="write a standalone HTML map of the sites matching the filters of GET /api/sites",
    )
    _add_filter_flags(rm)
    rm.add_argument("-o", "--output", required=True, help="the HTML file to write")
    rm.add_argument("--title", help="page title (default: 招商资源地图)")
    rm.add_argument("--lang", choices=["zh", "en"], default="zh")
    rm.add_argument(
        "--max-sites",
        type=int,
        help="refuse larger selections (default: GIS_APP_MAP_EXPORT_MAX_SITES, 5000)",
    )
    rm.set_defaults(func=cmd_render_map)


class _ProgressBar:
    """Progress of a long import on stderr: phase lines, and a bar (or 10 % steps if piped)."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.phase: str | None = None
        self.step = -1

    def __call__(self, phase: str, done: int, total: int) -> None:
        if phase != self.phase:
            if self.tty and self.phase is not None:
                print(file=sys.stderr)
            _log(f"import: {phase}")
            self.phase, self.step = phase, -1
        if total <= 1:
            return
        pct = min(100, int(100 * done / total))
        if self.tty:
            bar = "#" * (pct // 4) + "-" * (25 - pct // 4)
            print(f"\r  [{bar}] {pct:3d}% {done:,}/{total:,}", end="", file=sys.stderr, flush=True)
        elif pct // 10 > self.step:
            self.step = pct // 10
            print(f"  {phase} {pct}% ({done:,}/{total:,})", file=sys.stderr, flush=True)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app import FILE``: check everything, then load all or nothing."""
    import getpass

    from gis_app.io.imports import ImportOptions, UploadLimits, report_json
    from gis_app.services.imports import import_file

    opts = ImportOptions.parse(
        layer=args.layer,
        crs=args.crs,
        mapping=args.map,
        encoding=args.encoding,
        area_unit=args.area_unit,
        repair=args.repair,
        dry_run=args.dry_run,
        note=args.note,
        doc_ref=args.doc_ref,
        values=args.set,
        full_report=bool(args.report),
    )
    engine = _engine(settings, "gis-app import")
    try:
        with engine.connect() as conn:
            report = import_file(
                conn,
                Path(args.file),
                opts,
                user=args.user or f"{getpass.getuser()} (cli)",
                limits=UploadLimits.from_settings(settings.edit),
                progress=_ProgressBar(),
            )
    finally:
        engine.dispose()
    if args.report:
        Path(args.report).write_text(report_json(report, max_rows=10**9), encoding="utf-8")
    print(report.summary())
    return 0 if report.ok else 1


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app export``: a filtered selection of sites to a file."""
    from gis_app.db.site_queries import SiteFilter
    from gis_app.io.export import export_sites

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    if args.template:
        from gis_app.io.workbook import write_template

        path = out_dir / "import_template.xlsx"
        write_template(path)
        print(path)
        return 0
    flt = SiteFilter(**_filter_kwargs(args))
    flt.validate()
    engine = _engine(settings, "gis-app export")
    try:
        with engine.connect() as conn:
            path, notes = export_sites(
                conn,
                flt,
                args.format,
                out_dir,
                headers=args.headers,
                encoding=args.encoding,
                crs=args.crs,
            )
    finally:
        engine.dispose()
    for n in notes:
        _log(n)
    print(path)
    return 0


def _add_import_export(sub: argparse._SubParsersAction) -> None:
    im = sub.add_parser(
        "import",
        help="import sites (or constraint zones, or 三调 current-use parcels) from GeoPackage, "
        "zipped Shapefile, GeoJSON, CSV or XLSX: all rows or none",
    )
    im.add_argument("file")
    # values are checked by ImportOptions (the API's form gets the same checks and messages)
    im.add_argument(
        "--layer",
        default="sites",
        help="sites (default), buildings (of existing sites, no geometry), constraint_zones "
        "or current_use (a 三调 DLTB layer: DLBM/DLMC)",
    )
    im.add_argument(
        "--crs",
        help="CRS of the coordinates when the file has none or to override: "
        "EPSG:4490, EPSG:4326, EPSG:4550 (Gauss-Krüger 123°E) …, or gcj02",
    )
    im.add_argument("--map", action="append", metavar="COLUMN=FIELD", help="map a column")
    im.add_argument(
        "--set",
        action="append",
        metavar="FIELD=VALUE",
        help="a value for every row that leaves FIELD blank (kind=land, availability=可招商)",
    )
    im.add_argument("--encoding", help="text encoding when not declared (e.g. GBK)")
    im.add_argument(
        "--area-unit",
        default="m2",
        help="unit of YDMJ/DKMJ (用地面积) columns: m2 (default), mu or ha",
    )
    im.add_argument("--repair", action="store_true", help="repair invalid polygons (make_valid)")
    im.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
    im.add_argument("--note", help="reason recorded in the history (needed for backward moves)")
    im.add_argument("--doc-ref", help="document reference recorded in the history")
    im.add_argument("--user", help="who is importing (recorded in the history)")
    im.add_argument("--report", help="write the full per-row report (JSON) to this file")
    im.set_defaults(func=cmd_import)

    ex = sub.add_parser(
        "export", help="export sites with the filters of GET /api/sites, with Chinese labels"
    )
    ex.add_argument("--format", default="gpkg", choices=["gpkg", "geojson", "shp", "csv", "xlsx"])
    ex.add_argument("--out", default=".", help="folder to write into")
    ex.add_argument(
        "--headers",
        default="zh",
        choices=["zh", "keys"],
        help="CSV/XLSX headers: Chinese labels with a documentation row/sheet (default) or "
        "field keys for machines",
    )
    ex.add_argument(
        "--encoding", default="UTF-8", help="Shapefile text: UTF-8 (default) or GBK (.cpg says)"
    )
    ex.add_argument("--crs", help="CRS of GeoPackage, Shapefile, CSV WKT, GeoJSON (e.g. EPSG:4550)")
    ex.add_argument(
        "--template",
        choices=["xlsx"],
        help="write the empty import template (dropdowns of allowed values) instead",
    )
    _add_filter_flags(ex)
    ex.set_defaults(func=cmd_export)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``gis-app``."""
    p = argparse.ArgumentParser(prog="gis-app", description="招商用地与厂房资源库 / site inventory")
    sub = p.add_subparsers(dest="command", required=True)

    db = sub.add_parser(
        "db",
        help="PostGIS: up, down, status, url, migrate, downgrade, backup, restore; "
        "cluster up|down|status|url|destroy, failover (pg_auto_failover formation); "
        "replica up|down|status (a hot standby for reads)",
    )
    db.add_argument(
        "action",
        choices=[
            *("up", "down", "status", "url", "migrate", "downgrade", "backup", "restore"),
            *("cluster", "failover", "replica"),
        ],
    )
    db.add_argument(
        "revision",
        nargs="?",
        help="migration revision (migrate/downgrade); cluster: up, down, status, url, destroy; "
        "replica: up, down, status (the hot standby for reads, on GIS_APP_REPLICA_PORT)",
    )
    db.add_argument(
        "--remove",
        action="store_true",
        help="replica down: also drop its replication slot and delete its data folder",
    )
    db.add_argument(
        "--libpq", action="store_true", help="url: postgresql:// as psql and QGIS take it"
    )
    db.add_argument(
        "--file",
        help="backup: the file to write (default: var/backups/<database>-<UTC time>.dump); "
        "restore: the backup to read",
    )
    db.add_argument(
        "--replace",
        action="store_true",
        help="restore: replace the database if it exists (only once the restore succeeded)",
    )
    db.add_argument(
        "--base",
        action="store_true",
        help="backup: a base backup of the private cluster into the folder --file (needs "
        "GIS_APP_WAL_ARCHIVE_DIR); restore: rebuild the cluster from the base backup --file "
        "and the WAL archive as it was at --until, in --data-dir on --restore-port",
    )
    db.add_argument("--until", help="restore --base: the moment, e.g. 2026-12-03T16:40:00+08:00")
    db.add_argument("--data-dir", help="restore --base: an empty folder for the rebuilt cluster")
    db.add_argument("--restore-port", type=int, help="restore --base: its port")
    db.set_defaults(func=cmd_db)

    ls = sub.add_parser("load-sample", help="load data/parcels (or --path) idempotently")
    ls.add_argument("--path", help="inventory folder (default: the sample in data/parcels)")
    ls.set_defaults(func=cmd_load_sample)

    st = sub.add_parser("setup", help="db up + migrate + load-sample")
    st.add_argument("--no-sample", action="store_true", help="do not load the sample data")
    st.set_defaults(func=cmd_setup)

    us = sub.add_parser(
        "user",
        help="accounts: create, list, set-role, disable, enable, reset-password, db-login;"
        " grant/revoke a role in another district (--district, --roles); scope: the districts"
        " a user reads and writes",
    )
    us.add_argument(
        "action",
        choices=[
            "create",
            "list",
            "set-role",
            "disable",
            "enable",
            "reset-password",
            "db-login",
            "grant",
            "revoke",
            "scope",
        ],
    )
    us.add_argument("username", nargs="?")
    us.add_argument("--roles", help="comma-separated: officer,planner,admin")
    us.add_argument("--password", help="default: prompt, or generate and print once")
    us.add_argument("--display-name")
    us.add_argument(
        "--district",
        help="create: code of the district the user works for (default: the first one);"
        " grant/revoke: the district (a city's code covers its districts)",
    )
    us.add_argument(
        "--db-login",
        action="store_true",
        help="create: also a PostgreSQL login of the same name for QGIS/psql (see db-login)",
    )
    us.set_defaults(func=cmd_user)

    tk = sub.add_parser("token", help="API tokens: create, list, revoke")
    tk.add_argument("action", choices=["create", "list", "revoke"])
    tk.add_argument("username", nargs="?", help="owner (create, list)")
    tk.add_argument("--name")
    tk.add_argument("--expires-days", type=int)
    tk.add_argument("--token-id")
    tk.set_defaults(func=cmd_token)

    _add_search_and_match(sub)
    _add_render_map(sub)
    _add_import_export(sub)

    qg = sub.add_parser("qgis", help="QGIS: publish the layer styles and project into PostGIS")
    qg.add_argument("action", choices=["publish"])
    qg.add_argument("--host", default="127.0.0.1", help="the database host as QGIS reaches it")
    qg.add_argument("--port", type=int, help="the database port as QGIS reaches it")
    qg.set_defaults(func=cmd_qgis)

    sv = sub.add_parser("serve", help="run the web app")
    sv.add_argument("--host")
    sv.add_argument("--port", type=int)
    sv.add_argument(
        "--workers",
        type=int,
        help="server processes (default: GIS_APP_WORKERS, else one per CPU core)",
    )
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
    except OperationalError as e:
        # a database that is down, missing or refuses the login: its reason, not a traceback
        reason = str(e.orig or e).strip().splitlines()
        _log(f"error: the database could not be used: {reason[0] if reason else e}")
        return 2
    except ProgrammingError as e:
        # most often a database behind this version's schema
        reason = str(e.orig or e).strip().splitlines()
        _log(
            f"error: {reason[0] if reason else e} — if the database is older than this "
            "version, run `gis-app db migrate`"
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
