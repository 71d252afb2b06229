"""Where a match's time goes at 1M sites: the benchmark's four requests, stage by stage, with
the site-detail gauge beside them (issue 24, item 3).

Runs in-process against a kept inventory (``bench/api_bench.py --keep``), on the server named by
``GIS_APP_DATABASE_URL`` (or the private cluster). Rounds are interleaved: each round runs every
request once in every configuration (a parallel worker for every match on a large inventory, as
before 2026-12-04; as shipped: none for land needs stating land uses; never a worker), then one site
detail (``services.sites.get_site`` of a random site: it does not grow with the inventory, so it
tells how busy the machine was). Every run is a first run: the bar a match keeps for its next
run (``gis_app.matching.bars``) is forgotten before each (``bench/match_bar_ab.py`` measures a
match run again). Per run it records the wall time of ``run_match`` and the CPU
time the database backend spent (``/proc/<pid>/schedstat``; only when the server runs on this
machine, and the leader's share only when a worker helps). A stage profile then times, in the
backend, what the ranking statement is made of, each stage adding to the one before:

* ``plan``: planning alone (``EXPLAIN``),
* ``scan``: the candidate scan with the relaxed hard filter (nothing computed per candidate),
* ``scored``: + the failed-constraint count, price and soft points per candidate, materialised,
* ``counted``: + the counts and the cheapest price,
* ``ranked``: + the two bounded lists (the whole statement).

The machine's load (1/5/15-minute load average) and the CPU time stolen by the hypervisor
(``/proc/stat``) during the run are written beside the figures, to
``bench/results/match_1m.{json,md}``::

    .venv/bin/python bench/match_1m.py --db gis_app_bench_api_1000000_26526 --rounds 30
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
    _load,
    _p95,
    kept_database_url,
    run_header,
    write_results,
)
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import bars  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402
from gis_app.services import sites  # noqa: E402

RESULTS = ROOT / "bench" / "results"
_SETTINGS = match_engine.settings_sql
#: configuration name → the planner settings ``run_match`` sends
CONFIGS = {
    # before 2026-12-04: a worker for every match on a large inventory
    "worker for all": lambda worker=True, units=None, space=False: _SETTINGS(
        units=units, space=space
    ),
    "as shipped": _SETTINGS,
    "no worker": lambda worker=True, units=None, space=False: _SETTINGS(
        worker=False, units=units, space=space
    ),
}


def _cpu_ms(pid: int) -> float | None:
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    except OSError:  # the server runs elsewhere
        return None


def _steal() -> tuple[int, int]:
    """(stolen, total) jiffies of all CPUs since boot."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return fields[7], sum(fields[:8])


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(_p95(values), 1),
        "min": round(min(values), 1),
    }


def stages(spec_body: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The statements of the stage profile for one request, and their binds."""
    spec = parse_spec(spec_body)
    query, params = match_sql.statement(spec)
    row_sql, _ = match_sql.constant_row(spec)
    space = spec.need in criteria.SPACE_NEEDS
    berth = spec.port_berth_dwt_min is not None
    land_use = bool(params["r_land_use_2023_codes"] or params["r_land_use_gb_codes"])
    # as the ranking statement states them: only the criteria that apply to this request
    chosen = match_sql.applying(params)
    cand = match_sql._candidates(
        row_sql, space=space, land_use=land_use, berth=berth, chosen=chosen
    )
    _head, rest = cand.split("    FROM ", 1)
    scan = "cand AS NOT MATERIALIZED (\n  SELECT s.site_id\n    FROM " + rest
    counts = (
        match_sql._space_lists(
            match_sql._ORDER, row_sql, berth, match_sql._per_request(chosen), chosen
        )
        if space
        else match_sql._site_lists(match_sql._ORDER, match_sql._per_request(chosen))
    )[0]
    return {
        "plan": "EXPLAIN " + query,
        "scan": f"WITH {scan} SELECT count(*) FROM cand",
        "scored": f"WITH {cand} SELECT count(*) FROM cand",
        "counted": f"WITH {cand}, {counts} SELECT * FROM counts",
        "ranked": query,
    }, params


def measure(url: str, rounds: int, profile_rounds: int) -> dict[str, Any]:
    """Interleaved rounds of the four matches in each configuration and a site detail, then the
    stage profile; figures in ms."""
    eng = make_engine(url)
    specs = {key: parse_spec(body) for key, (_title, body) in REQUIREMENTS.items()}
    wall: dict[str, list[float]] = {}
    cpu: dict[str, list[float]] = {}
    results: dict[str, dict[str, int]] = {}
    try:
        with eng.connect() as c:
            pid = c.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            ids = c.execute(sa.text("SELECT id FROM site ORDER BY random() LIMIT 500")).scalars()
            ids = list(ids)
            c.rollback()
            today = dt.date.today()
            for r in range(rounds + 2):  # two warm-up rounds
                for key, spec in specs.items():
                    for config, settings in CONFIGS.items():
                        match_engine.settings_sql = settings
                        bars.forget()  # each run as a first one (again: match_bar_ab.py)
                        before, t = _cpu_ms(pid), time.perf_counter()
                        res = match_engine.run_match(c, spec)
                        c.rollback()
                        ms, after = (time.perf_counter() - t) * 1000, _cpu_ms(pid)
                        if r >= 2:
                            wall.setdefault(f"{key} | {config}", []).append(ms)
                            if before is not None and after is not None:
                                cpu.setdefault(f"{key} | {config}", []).append(after - before)
                        results[key] = {
                            "matches": res.total_matches,
                            "near_misses": res.total_near_misses,
                        }
                t = time.perf_counter()
                sites.get_site(c, random.choice(ids), today)
                c.rollback()
                if r >= 2:
                    wall.setdefault("site detail", []).append((time.perf_counter() - t) * 1000)
            match_engine.settings_sql = _SETTINGS

            profile: dict[str, dict[str, list[float]]] = {}
            for r in range(profile_rounds + 1):
                for key, (_title, body) in REQUIREMENTS.items():
                    statements, params = stages(body)
                    for stage, sql in statements.items():
                        match_engine.apply_settings(c)
                        c.exec_driver_sql("SET LOCAL max_parallel_workers_per_gather = 0")
                        before = _cpu_ms(pid)
                        t = time.perf_counter()
                        c.execute(sa.text(sql), params).all()
                        ms = (time.perf_counter() - t) * 1000
                        after = _cpu_ms(pid)
                        c.rollback()
                        if r >= 1:
                            took = after - before if before is not None and after else ms
                            profile.setdefault(key, {}).setdefault(stage, []).append(took)
    finally:
        eng.dispose()
    return {
        "results": results,
        "wall_ms": {k: _stats(v) for k, v in wall.items()},
        "backend_cpu_ms": {k: _stats(v) for k, v in cpu.items()},
        "stages_backend_cpu_ms": {
            key: {stage: _stats(v) for stage, v in st.items()} for key, st in profile.items()
        },
    }


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown report."""
    out = [
        f"# Match at 1M sites: where the time goes ({doc['started']})",
        "",
        f"Inventory `{doc['db']}`: {doc['sites']:,} sites, {doc['units']:,} match units. "
        f"Machine: {doc['machine']}. Load average (1/5/15 min) at start {doc['load_start']}, "
        f"at end {doc['load_end']}; CPU time stolen by the hypervisor during the run "
        f"{doc['steal_pct']} %. {doc['rounds']} interleaved rounds after 2 warm-ups; in-process "
        "`run_match` (ranking, explanations, Python), no HTTP.",
        "",
        "| request (matches / near misses) | configuration | wall p50 / p95 ms"
        " | backend CPU p50 ms |",
        "|---|---|---:|---:|",
    ]
    for key, (title, _body) in REQUIREMENTS.items():
        r = doc["results"][key]
        for config in CONFIGS:
            name = f"{key} | {config}"
            w = doc["wall_ms"][name]
            c = doc["backend_cpu_ms"].get(name)
            out.append(
                f"| {title} ({r['matches']:,} / {r['near_misses']:,}) | {config} "
                f"| {w['median']} / {w['p95']} | {c['median'] if c else '—'} |"
            )
    g = doc["wall_ms"]["site detail"]
    out += [
        f"| site detail (the gauge) | — | {g['median']} / {g['p95']} | — |",
        "",
        "Stage profile (backend CPU ms, median / min of "
        f"{doc['profile_rounds']} rounds, no worker; each stage includes the ones before):",
        "",
        "| request | plan | scan | + scores | + counts | + lists (whole statement) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, (title, _body) in REQUIREMENTS.items():
        st = doc["stages_backend_cpu_ms"][key]
        cells = " | ".join(
            f"{st[s]['median']} / {st[s]['min']}"
            for s in ("plan", "scan", "scored", "counted", "ranked")
        )
        out.append(f"| {title} | {cells} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="a kept bench inventory")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--profile-rounds", type=int, default=8)
    p.add_argument("--name", default="match_1m", help="results file name")
    args = p.parse_args(argv)
    url = kept_database_url(args.db)
    eng = make_engine(url)
    with eng.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
        n_units = c.execute(sa.text("SELECT count(*) FROM match_unit")).scalar_one()
    eng.dispose()
    steal0 = _steal()
    doc: dict[str, Any] = run_header(url) | {
        "db": args.db,
        "sites": n_sites,
        "units": n_units,
        "rounds": args.rounds,
        "profile_rounds": args.profile_rounds,
    }
    doc |= measure(url, args.rounds, args.profile_rounds)
    steal1 = _steal()
    doc["load_end"] = _load()
    doc["steal_pct"] = round(100.0 * (steal1[0] - steal0[0]) / max(1, steal1[1] - steal0[1]), 1)
    write_results(args.name, doc, markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
