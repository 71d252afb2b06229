"""Reads on a hot standby vs the primary alone: the officers' mix with ``wrk``.

A private cluster of the bench's own (the sample loaded, an officer token) gets a standby from
``gis_app.db.replica.replica_up``; ``gis-app serve`` (the default: one process per core, two
connections each) is started once with ``GIS_APP_REPLICA_URL`` and once without, taking turns
round after round, and ``wrk`` drives ``--users`` keep-alive officers for ``--seconds`` with the
officers' mix (bbox search, site detail, match: all reads that go to the standby). The
standby's committed transactions are counted before and after each run (its share of the
work). Everything runs on the same machine: on 2 cores the standby takes the same cores as the
primary, so this measures what the routing costs and how the work splits, not what a standby
on its own cores would add.

Results go to ``bench/results/replica_bench.json`` and ``.md``.

    .venv/bin/python bench/replica_bench.py --rounds 3 --seconds 15
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import wrk_driver  # noqa: E402
from bench.load_driver import (  # noqa: E402
    Inventory,
    ServedApp,
    primary_and_standby,
    with_sample,
)
from gis_app.db import provision, replica  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def _transactions(url: str) -> int:
    """Transactions the server at ``url`` has ended (a read's ends with a rollback)."""
    eng = sa.create_engine(url)
    try:
        with eng.connect() as c:
            return int(
                c.execute(
                    sa.text("SELECT sum(xact_commit + xact_rollback) FROM pg_stat_database")
                ).scalar_one()
            )
    finally:
        eng.dispose()


def _steal() -> tuple[int, int]:
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in fields]
    return values[7], sum(values)


def main() -> None:
    """Run the comparison and write the results."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=float, default=15)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--out", default="replica_bench")
    args = ap.parse_args()

    base = ROOT / "var" / f"bench-replica-{uuid.uuid4().hex[:6]}"
    settings = primary_and_standby(base)
    runs: list[dict] = []
    try:
        provision.db_up(settings, log=lambda m: None)
        url = provision.local_cluster(settings).url()
        token = with_sample(url, ("officer",))["officer"]
        standby_url = replica.replica_up(settings, log=lambda m: None)
        inv = Inventory.read(url)
        configs = {"primary only": {}, "reads on the standby": {"GIS_APP_REPLICA_URL": standby_url}}
        for n in range(args.rounds):
            for name, env in configs.items():
                with ServedApp(url, env) as app:
                    wrk_driver.run_wrk(app.base_url, token, inv, users=args.users, duration_s=3)
                    before = (_transactions(standby_url), _transactions(url))
                    steal0 = _steal()
                    summary = wrk_driver.run_wrk(
                        app.base_url, token, inv, users=args.users, duration_s=args.seconds
                    )
                    after = (_transactions(standby_url), _transactions(url))
                    steal1 = _steal()
                steal = (steal1[0] - steal0[0]) / max(1, steal1[1] - steal0[1]) * 100
                summary |= {
                    "config": name,
                    "round": n + 1,
                    "standby_transactions": after[0] - before[0],
                    "primary_transactions": after[1] - before[1],
                    "steal_pct": round(steal, 1),
                }
                print(json.dumps(summary), flush=True)
                runs.append(summary)
    finally:
        replica.replica_down(settings, remove=True, log=lambda m: None)
        provision.local_cluster(settings).down(log=lambda m: None)
        shutil.rmtree(base, ignore_errors=True)
        for f in base.parent.glob(f"{base.name}*"):
            shutil.rmtree(f, ignore_errors=True) if f.is_dir() else f.unlink()

    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    rows = []
    for name in ("primary only", "reads on the standby"):
        mine = [r for r in runs if r["config"] == name]
        med = {
            k: statistics.median(r[k] for r in mine)
            for k in (
                "requests_per_s",
                "p50_ms",
                "p95_ms",
                "p99_ms",
                "primary_transactions",
                "standby_transactions",
                "steal_pct",
            )
        }
        errors = sum(r["errors"] for r in mine)
        rows.append(
            f"| {name} | {med['requests_per_s']:.0f} | {med['p50_ms']:.0f} | "
            f"{med['p95_ms']:.0f} | {med['p99_ms']:.0f} | {med['primary_transactions']:.0f} | "
            f"{med['standby_transactions']:.0f} | {med['steal_pct']:.1f} | {errors} |"
        )
    md = (
        f"# Reads on a hot standby vs the primary alone ({when})\n\n"
        f"{args.users} wrk officers, no pause, officers' mix, {args.seconds:.0f} s per run, "
        f"{args.rounds} rounds taking turns, medians; `gis-app serve` defaults (2 processes x 2 "
        "connections, plus 2 standby connections each when reading there); primary, standby, "
        "app and client on the same 2 cores.\n\n"
        "| configuration | requests/s | p50 ms | p95 ms | p99 ms | transactions on the primary "
        "| on the standby | steal % | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
        + "\n".join(rows)
        + "\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps({"when": when, "runs": runs}, indent=1))
    (RESULTS / f"{args.out}.md").write_text(md)
    print(md)


if __name__ == "__main__":
    main()
