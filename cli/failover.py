"""``gis-app db cluster up|down|status|url|destroy`` and ``gis-app db failover``: the
pg_auto_failover formation of ``gis_app.db.failover`` (a monitor and two nodes on loopback)."""

from __future__ import annotations

import argparse

from cli.main import _log
from gis_app.db.failover import Formation
from gis_app.settings import Settings

CLUSTER_ACTIONS = ("up", "down", "status", "url", "destroy")


def formation(settings: Settings) -> Formation:
    """The formation the settings name (a made one keeps the ports it was made with)."""
    p = settings.db.formation_port
    return Formation(settings.db.formation_dir, (p, p + 1, p + 2), settings.db.pg_database)


def cmd_formation(args: argparse.Namespace, settings: Settings) -> int:
    """Handle ``gis-app db cluster ACTION`` and ``gis-app db failover``."""
    f = formation(settings)
    if args.action == "failover":
        old, new = f.failover()
        print(f"failover done: {new} is the primary, {old} is its standby", flush=True)
        print(f.describe(), flush=True)
        return 0
    action = args.revision or "status"
    if action not in CLUSTER_ACTIONS:
        _log(f"error: db cluster {action!r}: use one of {', '.join(CLUSTER_ACTIONS)}")
        return 2
    if action == "up":
        f.up(log=_log)
        print(f.describe(), flush=True)
        _log("the app reaches it with: export GIS_APP_DATABASE_URL=$(gis-app db cluster url)")
    elif action == "down":
        _log("stopped" if f.down(log=_log) else "not running")
    elif action == "destroy":
        f.destroy(log=_log)
        _log(f"removed {f.base_dir}")
    elif action == "url":
        print(f.libpq_url() if args.libpq else f.url())
    else:
        if not f.exists:
            print(f"no formation in {f.base_dir} (gis-app db cluster up makes one)")
            return 3
        print(f.describe())
        return 0 if f.running("monitor") and f.primary() is not None else 3
    return 0
