"""What a parallel worker costs to start, with and without PostGIS preloaded by the server.

A parallel worker loads every library its leader has loaded. Every app session has used
PostGIS, so unless the postmaster preloads it (``shared_preload_libraries``), each worker of a
match loads PostGIS and its dependencies first. This script starts two throw-away private
clusters, the project's settings in one and the same without the preload in the other, puts a
small table in each and times, in sessions that have used PostGIS, one tiny query run serially
and with one worker, alternating between the clusters: the difference is the worker's start.

    .venv/bin/python bench/worker_start.py [--runs 60]

Results: ``bench/results/worker_start.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import api_bench  # noqa: E402
from gis_app.db import provision  # noqa: E402

RESULTS = ROOT / "bench" / "results"
QUERY = "SELECT count(*) FROM t WHERE mod(id, 7) = 0"
SERIAL = "SET max_parallel_workers_per_gather = 0"
ONE_WORKER = (
    "SET max_parallel_workers_per_gather = 1; SET parallel_setup_cost = 0;"
    " SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0"
)


def _cluster(base: Path, preload: bool) -> provision.LocalCluster:
    port = api_bench._free_port()
    cluster = provision.LocalCluster(base / uuid.uuid4().hex[:8], port, preload=preload)
    cluster.up(log=lambda m: None)
    return cluster


def _session(cluster: provision.LocalCluster) -> tuple[sa.Engine, sa.Connection]:
    eng = sa.create_engine(cluster.url(), isolation_level="AUTOCOMMIT")
    conn = eng.connect()
    conn.exec_driver_sql("SET jit = off")
    conn.exec_driver_sql("CREATE TABLE t AS SELECT g AS id FROM generate_series(1, 2000) g")
    conn.exec_driver_sql("ANALYZE t")
    conn.exec_driver_sql("SELECT postgis_full_version()")  # as every app session has
    return eng, conn


def _time(conn: sa.Connection, setting: str) -> float:
    conn.exec_driver_sql(setting)
    t = time.perf_counter()
    conn.exec_driver_sql(QUERY).all()
    return (time.perf_counter() - t) * 1000


def measure(runs: int) -> dict:
    """Median ms of the query serial and with one worker, per cluster."""
    base = ROOT / "var" / "bench-scratch"
    base.mkdir(parents=True, exist_ok=True)
    os.chmod(base.parent, 0o755)
    os.chmod(base, 0o755)
    clusters: dict[str, provision.LocalCluster] = {}
    times: dict[tuple[str, str], list[float]] = {}
    sessions = {}
    try:
        clusters["PostGIS preloaded"] = _cluster(base, True)
        clusters["not preloaded"] = _cluster(base, False)
        sessions = {name: _session(c) for name, c in clusters.items()}
        for name, (_, conn) in sessions.items():
            conn.exec_driver_sql(ONE_WORKER)
            plan = "\n".join(conn.exec_driver_sql("EXPLAIN " + QUERY).scalars())
            if "Workers Planned: 1" not in plan:
                raise RuntimeError(f"{name}: no parallel plan:\n{plan}")
        for i in range(5 + runs):
            for name, (_, conn) in sessions.items():
                for mode, setting in (("serial", SERIAL), ("one worker", ONE_WORKER)):
                    ms = _time(conn, setting)
                    if i >= 5:
                        times.setdefault((name, mode), []).append(ms)
        preloaded = {
            name: conn.exec_driver_sql("SHOW shared_preload_libraries").scalar()
            for name, (_, conn) in sessions.items()
        }
    finally:
        for eng, conn in sessions.values():
            conn.close()
            eng.dispose()
        for c in clusters.values():
            c.down(log=lambda m: None)
            shutil.rmtree(c.data_dir, ignore_errors=True)
            c.password_file.unlink(missing_ok=True)
    out: dict = {"runs": runs, "query": QUERY, "clusters": {}}
    for name in clusters:
        serial = statistics.median(times[(name, "serial")])
        worker = statistics.median(times[(name, "one worker")])
        out["clusters"][name] = {
            "shared_preload_libraries": preloaded[name],
            "serial_ms": round(serial, 2),
            "one_worker_ms": round(worker, 2),
            "worker_start_ms": round(worker - serial, 2),
        }
    return out


def main() -> None:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=60)
    args = p.parse_args()
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    load = api_bench._load()
    out = measure(args.runs) | {"started": started, "load_average_at_start": load}
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "worker_start.json").write_text(json.dumps(out, indent=2) + "\n")
    lines = [
        f"`{QUERY}` on 2,000 rows, in sessions that have used PostGIS; median of {args.runs} "
        f"runs per cell, the clusters alternating; started {started}, load average "
        f"{load}.",
        "",
        "| server | serial ms | one worker ms | worker start ms |",
        "|---|---:|---:|---:|",
    ]
    for name, r in out["clusters"].items():
        lines.append(
            f"| {name} (`{r['shared_preload_libraries'] or '—'}`) | {r['serial_ms']} | "
            f"{r['one_worker_ms']} | {r['worker_start_ms']} |"
        )
    (RESULTS / "worker_start.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
