"""What an exact match at 1M sites cannot go below, and why no single criterion bounds its
lists (issue 24, item 3).

On a kept bench inventory (``bench/api_bench.py --keep``), in interleaved rounds, for each of
the benchmark's four requests (wall time of the statement alone, no explanations, no HTTP):

* ``statement``: the ranking statement as ``run_match`` sends it (its planner settings: the
  parallel worker where it takes one);
* ``counts only``: the same candidates judged and counted — the matches and near misses per
  site and the cheapest price — with no soft score and no list: what would remain if the two
  lists cost nothing. The counts must equal today's, so every candidate is still read and
  judged;
* ``scan only``: the candidate scan with the relaxed filter, nothing computed (with the
  worker and without);

and the price of starting one parallel worker (a one-row query with one worker, and without).

Then, for the requests whose lists are longest, how many matching candidates a best-first
scan on one criterion would have to read before it could prove its list exact: every
candidate whose score could still reach the last listed score if that criterion were at its
value and every other at full marks. For the bench inventory the size fit is full for most
plant candidates (a building that can be split to the wanted size fits fully) and the rents
span a narrow range (every price score is high), so neither bounds the list.

Writes ``bench/results/<--name>.{json,md}``::

    .venv/bin/python bench/match_floor.py --db gis_app_bench_api_1000000_28587 --rounds 15
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
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
from bench.match_1m import stages  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402

#: one worker for a query of one row: what starting it costs
_WORKER = (
    "SET LOCAL parallel_setup_cost = 0; SET LOCAL parallel_tuple_cost = 0;"
    " SET LOCAL min_parallel_table_scan_size = 0; SET LOCAL max_parallel_workers_per_gather = 1;"
)
_NO_WORKER = "SET LOCAL max_parallel_workers_per_gather = 0;"
_TRIVIAL = "SELECT count(*) FROM district"


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(_p95(values), 1),
        "min": round(min(values), 1),
    }


@dataclass(frozen=True)
class Parts:
    """One request's statements and the pieces they are built from."""

    statements: dict[str, str]  # name → SQL, each timed
    params: dict[str, Any]
    cand: str  # the ranking statement's own candidates CTE
    rest: str  # its FROM and WHERE clauses (closing the CTE)
    counts: str  # the body of its counts CTE, ``( … )``


def _judged(chosen: match_sql.Applying) -> str:
    """Each candidate judged (failed constraints) and priced, nothing scored."""
    return (
        f"{match_sql._n_fail(match_sql.UNIT, chosen)} AS n_fail,"
        f" {match_sql._PRICE.value(match_sql.UNIT)}::float8 AS price"
    )


def _parts(body: dict[str, Any]) -> Parts:
    """The statements timed for one request, their binds and their pieces."""
    spec = parse_spec(body)
    staged, params = stages(body)
    row_sql, _ = match_sql.constant_row(spec)
    space = spec.need in criteria.SPACE_NEEDS
    berth = spec.port_berth_dwt_min is not None
    cand = match_sql._candidates(
        row_sql,
        space=space,
        land_use=match_sql.land_use_branches(spec.need, params),
        berth=berth,
        chosen=match_sql.applying(params),
    )
    _head, rest = cand.split("    FROM ", 1)
    counts = staged["counted"].split(", counts AS", 1)[1].split(" SELECT * FROM counts", 1)[0]
    # judged, priced and counted per site; no soft score, no list
    lean = (
        f"cand AS MATERIALIZED (\n  SELECT s.site_id AS site_id,"
        f" {_judged(match_sql.applying(params))},"
        f" {'s.site_units' if space else 'NULL::smallint'} AS site_units\n    FROM {rest}"
    )
    statements = {
        "statement": staged["ranked"],
        "counts only": f"WITH {lean}, counts AS{counts} SELECT * FROM counts",
        "scan only": staged["scan"],
    }
    return Parts(statements, params, cand, rest, counts)


def _settings(spec_body: dict[str, Any], params: dict[str, Any]) -> str:
    spec = parse_spec(spec_body)
    return match_engine.settings_sql(
        worker=not match_sql.land_use_branches(spec.need, params),
        space=spec.need in criteria.SPACE_NEEDS,
    )


def _bound_reads(c: sa.Connection, body: dict[str, Any], parts: Parts) -> dict[str, Any]:
    """How many matching candidates a best-first scan on the size fit, or on the price, would
    read before proving the list: those whose score could still reach the last listed one."""
    spec = parse_spec(body)
    result = match_engine.run_match(c, spec)
    c.rollback()
    if not result.matches:
        return {}
    last = result.matches[-1].score
    size = criteria.BY_KEY["size_fit"]
    probe = (
        f"probe AS (\n  SELECT {_judged(match_sql.applying(parts.params))},"
        f" CASE WHEN ({size.applies(match_sql.UNIT)}) THEN ({size.score(match_sql.UNIT)})"
        " ELSE 1 END AS size_fit\n    FROM " + parts.rest
    )
    rounded = "floor(1000.0 * ({}) / w_total + 0.5 + 1e-9) / 10.0"
    ps = "CASE WHEN p.price IS NULL THEN 0.5 ELSE least(1.0, cheapest / NULLIF(p.price, 0)) END"
    sql = f"""WITH {parts.cand},
counts AS MATERIALIZED{parts.counts},
{probe}
SELECT count(*) AS matches,
       count(*) FILTER (WHERE p.size_fit >= 1) AS full_size_fit,
       count(*) FILTER (WHERE {rounded.format("w_total - CAST(:w_size_fit AS float8) * (1 - p.size_fit)")} >= :last) AS size_reads,
       count(*) FILTER (WHERE {rounded.format(f"w_total - w_price * (1 - {ps})")} >= :last) AS price_reads,
       round(min({ps})::numeric, 3) AS price_score_min,
       round(max({ps})::numeric, 3) AS price_score_max,
       min(p.price) AS price_min, max(p.price) AS price_max
  FROM probe p CROSS JOIN counts
 WHERE p.n_fail = 0"""  # noqa: E501
    match_engine.apply_settings(c)
    row = c.execute(sa.text(sql), parts.params | {"last": last}).mappings().one()
    c.rollback()
    return {"last_listed_score": last, "weights": result.weights} | {
        k: (float(v) if v is not None and not isinstance(v, int) else v) for k, v in row.items()
    }


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every statement and the worker probe; then the bound probes."""
    eng = make_engine(url)
    wall: dict[str, list[float]] = {}
    parts = {key: _parts(body) for key, (_title, body) in REQUIREMENTS.items()}
    try:
        with eng.connect() as c:
            for r in range(rounds + 2):  # two warm-up rounds
                for key, (_title, body) in REQUIREMENTS.items():
                    statements, params = parts[key].statements, parts[key].params
                    for name, sql in statements.items():
                        workers = ("as shipped", "no worker") if name == "scan only" else ("",)
                        for w in workers:
                            before = _settings(body, params)
                            if w == "no worker":
                                before += _NO_WORKER
                            c.exec_driver_sql(before)
                            t = time.perf_counter()
                            c.execute(sa.text(sql), params).all()
                            ms = (time.perf_counter() - t) * 1000
                            c.rollback()
                            if r >= 2:
                                label = f"{key} | {name}" + (f" | {w}" if w else "")
                                wall.setdefault(label, []).append(ms)
                for label, settings in (("one worker", _WORKER), ("no worker", _NO_WORKER)):
                    c.exec_driver_sql(settings)
                    t = time.perf_counter()
                    c.exec_driver_sql(_TRIVIAL).all()
                    ms = (time.perf_counter() - t) * 1000
                    c.rollback()
                    if r >= 2:
                        wall.setdefault(f"a one-row query | {label}", []).append(ms)
            c.exec_driver_sql(_WORKER)
            plan = "\n".join(
                row[0]
                for row in c.exec_driver_sql("EXPLAIN (ANALYZE, COSTS off) " + _TRIVIAL).all()
            )
            c.rollback()
            if "Workers Launched: 1" not in plan:
                raise RuntimeError(f"the worker probe ran without a worker:\n{plan}")
            bounds = {
                key: _bound_reads(c, body, parts[key])
                for key, (_title, body) in REQUIREMENTS.items()
                if key in ("match_plant", "match_standard_plant")
            }
    finally:
        eng.dispose()
    return {"wall_ms": {k: _stats(v) for k, v in wall.items()}, "bounds": bounds}


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown report."""
    w = doc["wall_ms"]
    out = [
        f"# What an exact match at 1M sites cannot go below ({doc['started']})",
        "",
        f"Inventory `{doc['db']}`: {doc['sites']:,} sites. Machine: {doc['machine']}. Load "
        f"average (1/5/15 min) at start {doc['load_start']}, at end {doc['load_end']}. "
        f"{doc['rounds']} interleaved rounds after 2 warm-ups; wall ms of the statement alone "
        "(no explanations, no HTTP), p50 / p95.",
        "",
        "| request | statement (as shipped) | counts only | scan only, as shipped"
        " | scan only, no worker |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, (title, _body) in REQUIREMENTS.items():
        cells = " | ".join(
            f"{w[k]['median']} / {w[k]['p95']}"
            for k in (
                f"{key} | statement",
                f"{key} | counts only",
                f"{key} | scan only | as shipped",
                f"{key} | scan only | no worker",
            )
        )
        out.append(f"| {title} | {cells} |")
    one, none = w["a one-row query | one worker"], w["a one-row query | no worker"]
    out += [
        "",
        f"A one-row query with one parallel worker: {one['median']} / {one['p95']} ms; "
        f"without: {none['median']} / {none['p95']} ms — starting a worker costs "
        f"~{one['median'] - none['median']:.1f} ms.",
        "",
        "Matching candidates a best-first scan on one criterion would read before it could "
        "prove its list exact (those whose score could still reach the last listed score, "
        "that criterion at its value and every other at full marks):",
        "",
        "| request | matching candidates | size fit full | reads, best-first on size fit"
        " | reads, best-first on price | price score min–max | price min–max |",
        "|---|---:|---:|---:|---:|---|---|",
    ]
    for key, b in doc["bounds"].items():
        title = REQUIREMENTS[key][0]
        out.append(
            f"| {title} (last listed score {b['last_listed_score']}) | {b['matches']:,} "
            f"| {b['full_size_fit']:,} | {b['size_reads']:,} | {b['price_reads']:,} "
            f"| {b['price_score_min']}–{b['price_score_max']} "
            f"| {b['price_min']:g}–{b['price_max']:g} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True, help="a kept bench inventory")
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--name", default="match_floor", help="results file name")
    args = p.parse_args(argv)
    url = kept_database_url(args.db)
    eng = make_engine(url)
    with eng.connect() as c:
        n_sites = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    eng.dispose()
    doc: dict[str, Any] = run_header(url) | {
        "db": args.db,
        "sites": n_sites,
        "rounds": args.rounds,
    }
    doc |= measure(url, args.rounds)
    finish_run(args.name, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
