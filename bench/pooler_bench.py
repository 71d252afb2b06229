"""The app behind PgBouncer (transaction mode) against the app connected directly, side by side.

Builds a bench database (the sample, or ``--sites`` synthetic sites plus the sample, as
``bench/api_bench.py`` does), starts Debian's ``pgbouncer`` in transaction mode in front of the
private cluster (``gis_app.db.pooler``), serves the app twice with the default server command —
once connected directly, once through the pooler (``GIS_APP_POOLER=transaction``) — and drives
``--users`` keep-alive clients at each for ``--seconds`` per request kind (bbox search, site
detail, match), alternating the two servers ``--rounds`` times so that the machine's noise falls
on both alike. Medians over the rounds go to ``bench/results/pooler_bench.json`` and ``.md``.

    .venv/bin/python bench/pooler_bench.py                      # sample, 8 users, 3 rounds
    .venv/bin/python bench/pooler_bench.py --sites 100000
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402
    RESULTS,
    build_database,
    drop_database,
    machine,
    make_template,
)
from bench.load_driver import (  # noqa: E402
    Inventory,
    ServedApp,
    free_port,
    officer_mix,
    run_load,
)
from gis_app.db import provision  # noqa: E402
from gis_app.db.pooler import PgBouncer  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

KINDS = ("bbox_search", "site_detail", "match")


def _only(kind: str, inv: Inventory):
    mix = officer_mix(inv)

    def pick(rng):
        while True:
            req = mix(rng)
            if req.name == kind:
                return req

    return pick


def measure(url: str, token: str, args: argparse.Namespace) -> dict:
    """Rounds of (kind × {direct, pooled}) runs; the medians per kind and path."""
    inv = Inventory.read(url)
    runs: dict[str, dict[str, list[dict]]] = {k: {"direct": [], "pooled": []} for k in KINDS}
    with tempfile.TemporaryDirectory(dir=ROOT / "var") as work:
        os.chmod(work, 0o755)
        bouncer = PgBouncer(
            url, Path(work) / "pgbouncer", free_port(), server_connections=args.server_connections
        )
        with (
            bouncer,
            ServedApp(url) as direct,
            ServedApp(bouncer.url, env={"GIS_APP_POOLER": "transaction"}) as pooled,
        ):
            apps = {"direct": direct, "pooled": pooled}
            for app in apps.values():  # warm up: statements prepared, caches filled
                asyncio.run(
                    run_load(app.base_url, token, users=2, duration_s=3, mix=officer_mix(inv))
                )
            for r in range(args.rounds):
                order = ("direct", "pooled") if r % 2 == 0 else ("pooled", "direct")
                for kind in KINDS:
                    for path in order:
                        run = asyncio.run(
                            run_load(
                                apps[path].base_url,
                                token,
                                users=args.users,
                                duration_s=args.seconds,
                                mix=_only(kind, inv),
                                probe_every_s=None,
                            )
                        )
                        s = run.summary()
                        runs[kind][path].append(
                            {k: s[k] for k in ("requests_per_s", "p50_ms", "p95_ms", "errors")}
                        )
                        print(f"  round {r + 1} {kind:12s} {path:6s} {runs[kind][path][-1]}")
    out = {}
    for kind, paths in runs.items():
        out[kind] = {
            path: {
                key: round(statistics.median(x[key] for x in rs), 1)
                for key in ("requests_per_s", "p50_ms", "p95_ms")
            }
            | {"errors": sum(x["errors"] for x in rs), "runs": rs}
            for path, rs in paths.items()
        }
    return out


def markdown(doc: dict) -> str:
    """The results table."""
    m = doc["machine"]
    lines = [
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['os']}, PostgreSQL {m['postgresql']}, "
        f"PgBouncer 1.18 (Debian), transaction mode, {doc['server_connections']} server "
        f"connections; app: `gis-app serve` (one process, pool of 10). {doc['inventory']}; "
        f"{doc['users']} keep-alive clients, {doc['seconds']:g} s per run, {doc['rounds']} "
        f"rounds alternating direct and pooled; medians. Started {doc['started']}, load "
        f"average {doc['load_before']} before.",
        "",
        "| request | direct req/s | pooled req/s | ratio | direct p50 / p95 ms "
        "| pooled p50 / p95 ms | errors |",
        "|---|---:|---:|---:|---|---|---:|",
    ]
    for kind, r in doc["results"].items():
        d, p = r["direct"], r["pooled"]
        ratio = p["requests_per_s"] / d["requests_per_s"] if d["requests_per_s"] else 0
        lines.append(
            f"| {kind} | {d['requests_per_s']} | {p['requests_per_s']} | {ratio:.2f} | "
            f"{d['p50_ms']} / {d['p95_ms']} | {p['p50_ms']} / {p['p95_ms']} | "
            f"{d['errors'] + p['errors']} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the comparison."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sites", type=int, default=0, help="synthetic sites besides the sample")
    p.add_argument("--users", type=int, default=8)
    p.add_argument("--seconds", type=float, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--server-connections", type=int, default=4)
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    load_before = " ".join(f"{v:.2f}" for v in os.getloadavg())
    template = f"gis_app_bench_pool_tpl_{os.getpid()}"
    name = f"gis_app_bench_pool_{os.getpid()}"
    make_template(st.url, template)
    try:
        url, token = build_database(st.url, template, name, args.sites, log=print)
        try:
            results = measure(url, token, args)
        finally:
            drop_database(st.url, name)
    finally:
        drop_database(st.url, template)
    doc = {
        "started": started,
        "machine": machine(st.url),
        "load_before": load_before,
        "inventory": "the sample (77 sites)"
        if not args.sites
        else f"{args.sites:,} synthetic sites + the sample",
        "users": args.users,
        "seconds": args.seconds,
        "rounds": args.rounds,
        "server_connections": args.server_connections,
        "results": results,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "pooler_bench.json").write_text(json.dumps(doc, indent=2), encoding="utf-8")
    (RESULTS / "pooler_bench.md").write_text(markdown(doc), encoding="utf-8")
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
