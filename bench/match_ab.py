"""The same matches on two copies of one kept inventory that differ only in their schema (an index,
a migration): side by side in one run, with their results compared (issue 24, item 3).

Make the copy with ``CREATE DATABASE <after> TEMPLATE <before>`` and change it (a branch's
migration, an index made by hand); then::

    .venv/bin/python bench/match_ab.py --before gis_app_bench_api_100000_3823 \\
        --after gis_app_bench_ab_100k --name match_offer_key

Both sides run this code: what differs is the database alone.

Interleaved rounds on one connection per database: each round runs every request once on each
(in-process ``run_match``, as shipped: ranking, explanations, Python; no HTTP), the side that
goes first alternating from round to round (the second of two runs of the same work was 4–6 %
faster when one side always went first), then a site
detail (``services.sites.get_site``, the gauge of how busy the machine was). Besides the
benchmark's four requests, the any-type plant request with each other tenure (buy, either),
so that a change keyed on the offer shows what it does to all three. Every request's counts and
ranked lists (site, building, score, near miss) must be equal on both copies, or the run stops.
Then one ``EXPLAIN (ANALYZE, BUFFERS)`` per request and copy records the candidate scan (index,
index condition, filter, rows kept and removed, buffers).

Figures: wall ms, median and p95 (and backend CPU median ms from ``/proc/<pid>/schedstat``),
with the machine and its load average before and after, in ``bench/results/<name>.{json,md}``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import (  # noqa: E402
    REQUIREMENTS,
    _p95,
    finish_run,
    kept_database_url,
    run_header,
)
from bench.match_1m import _cpu_ms  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.engine import MatchResult  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402
from gis_app.services import sites  # noqa: E402

RESULTS = ROOT / "bench" / "results"
_PLANT_TITLE, _PLANT = REQUIREMENTS["match_plant"]
#: key → (title, requirement): the benchmark's four, and the plant request with other tenures
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = {
    **REQUIREMENTS,
    "match_plant_buy": (
        _PLANT_TITLE.replace("lease", "buy"),
        _PLANT | {"project_name": "bench plant buy", "tenure": "buy"},
    ),
    "match_plant_either": (
        _PLANT_TITLE.replace("lease", "lease or buy"),
        _PLANT | {"project_name": "bench plant either", "tenure": "either"},
    ),
}
_SCAN_LINES = ("Scan", "Index Cond", "Filter", "Rows Removed", "Buffers")


def _answer(res: MatchResult) -> list[Any]:
    """What must not change: both counts and the ranked lists."""
    return [
        res.total_matches,
        res.total_near_misses,
        [[m.site_id, m.building_id, m.score] for m in res.matches],
        [[m.site_id, m.building_id, m.score] for m in res.near_misses],
    ]


def _candidate_scan(conn: sa.Connection, body: dict[str, Any]) -> list[str]:
    """The candidate scan's lines of the request's plan (EXPLAIN ANALYZE, no worker)."""
    query, params = match_sql.statement(parse_spec(body))
    conn.exec_driver_sql(match_engine.settings_sql(worker=False))
    lines = conn.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + query), params).scalars().all()
    conn.rollback()
    start = next(i for i, line in enumerate(lines) if "CTE cand" in line)
    out = []
    for line in lines[start + 1 :]:
        if "CTE " in line:
            break
        text = line.strip().removeprefix("->  ")
        if text.startswith(_SCAN_LINES) or " Scan " in text:
            out.append(text)
    return out


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(_p95(values), 1),
    }


def measure(urls: dict[str, str], rounds: int) -> dict[str, Any]:
    """Interleaved rounds (two warm-ups) on both copies, the answers compared, then the plans."""
    engines = {side: make_engine(url) for side, url in urls.items()}
    specs = {key: parse_spec(body) for key, (_title, body) in REQUESTS.items()}
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    answers: dict[str, dict[str, list[Any]]] = {}
    plans: dict[str, dict[str, list[str]]] = {}
    conns = {side: eng.connect() for side, eng in engines.items()}
    try:
        pids = {
            side: c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            for side, c in conns.items()
        }
        first = next(iter(conns.values()))
        ids = list(
            first.execute(sa.text("SELECT id FROM site ORDER BY random() LIMIT 500")).scalars()
        )
        first.rollback()
        today = dt.date.today()
        for r in range(rounds + 2):
            for key, spec in specs.items():
                order = list(conns.items()) if r % 2 == 0 else list(conns.items())[::-1]
                for side, c in order:
                    before, t = _cpu_ms(pids[side]), time.perf_counter()
                    res = match_engine.run_match(c, spec)
                    c.rollback()
                    ms, after = (time.perf_counter() - t) * 1000, _cpu_ms(pids[side])
                    got = _answer(res)
                    seen = answers.setdefault(key, {}).setdefault(side, got)
                    if got != seen:
                        raise RuntimeError(f"{key} on {side}: the answer changed between rounds")
                    if r >= 2:
                        wall.setdefault(f"{key} | {side}", []).append(ms)
                        if before is not None and after is not None:
                            cpu.setdefault(f"{key} | {side}", []).append(after - before)
            t = time.perf_counter()
            sites.get_site(first, random.choice(ids), today)
            first.rollback()
            if r >= 2:
                wall.setdefault("site detail", []).append((time.perf_counter() - t) * 1000)
        for key, by_side in answers.items():
            if by_side["before"] != by_side["after"]:
                raise RuntimeError(f"{key}: the answers differ between the two copies")
        for key, (_title, body) in REQUESTS.items():
            plans[key] = {side: _candidate_scan(c, body) for side, c in conns.items()}
    finally:
        for c in conns.values():
            c.close()
        for eng in engines.values():
            eng.dispose()
    return {
        "results": {k: v["before"][:2] for k, v in answers.items()},
        "wall_ms": {k: _stats(v) for k, v in wall.items()},
        "backend_cpu_ms": {k: _stats(v) for k, v in cpu.items()},
        "candidate_scans": plans,
    }


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown report."""
    out = [
        f"# Matches before / after, side by side ({doc['started']})",
        "",
        f"Before: `{doc['before']}`; after: `{doc['after']}` ({doc['sites']:,} sites; the same "
        f"inventory, {doc['change']}). Machine: {doc['machine']}. Load average (1/5/15 min) at "
        f"start {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds "
        "after 2 warm-ups; in-process `run_match` as shipped (ranking, explanations, Python), no "
        "HTTP. Counts and ranked lists equal on both copies for every request.",
        "",
        "| request (matches / near misses) | before p50 / p95 ms | after p50 / p95 ms "
        "| after / before (p50) | backend CPU p50 ms, before → after |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, (title, _body) in REQUESTS.items():
        n = doc["results"][key]
        b, a = doc["wall_ms"][f"{key} | before"], doc["wall_ms"][f"{key} | after"]
        cb = doc["backend_cpu_ms"].get(f"{key} | before")
        ca = doc["backend_cpu_ms"].get(f"{key} | after")
        cpu = f"{cb['median']} → {ca['median']}" if cb and ca else "—"
        out.append(
            f"| {title} ({n[0]:,} / {n[1]:,}) | {b['median']} / {b['p95']} "
            f"| {a['median']} / {a['p95']} | {a['median'] / b['median']:.2f} | {cpu} |"
        )
    g = doc["wall_ms"]["site detail"]
    out += [f"| site detail (the gauge) | {g['median']} / {g['p95']} | | | |", ""]
    out += ["Candidate scans (EXPLAIN ANALYZE, BUFFERS; no worker):", ""]
    for key, (title, _body) in REQUESTS.items():
        out.append(f"- {title}")
        for side in ("before", "after"):
            out.append(f"  - {side}:")
            out += [f"    - `{line}`" for line in doc["candidate_scans"][key][side]]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--before", required=True, help="a kept bench inventory")
    p.add_argument("--after", required=True, help="its copy with the change applied")
    p.add_argument("--change", default="the change", help="what differs, for the report")
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--name", default="match_ab", help="results file name")
    args = p.parse_args(argv)
    urls = {
        side: kept_database_url(db) for side, db in (("before", args.before), ("after", args.after))
    }
    eng = make_engine(urls["before"])
    with eng.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    eng.dispose()
    doc: dict[str, Any] = run_header(urls["before"]) | {
        "before": args.before,
        "after": args.after,
        "change": args.change,
        "sites": n_sites,
        "rounds": args.rounds,
    }
    doc |= measure(urls, args.rounds)
    finish_run(args.name, doc, markdown)
    return 0


if __name__ == "__main__":
    sys.exit(main())
