"""The nearest infrastructure of every kind: revision 0044's function (every KNN candidate
measured), revision 0057's (only those that may be nearer than another is at most), 0058's
(one kind's points by a (kind, geom) index; the kinds by the kind index, per site) and 0060's
(the kinds found once per statement, as a refresh of many sites calls it), in the same run —
per site, and in a bulk import (0056 against head).

Per site (``--db``, a kept bench inventory, e.g. ``bench/api_bench.py --sizes 1000000 --keep``):
``--sites`` random sites' rows (their outlines read first) computed by each function, serially
(one statement each, the functions alternating, ``--rounds`` times; the rows must be equal to
the last bit), with the database's infrastructure (the sample's: six kinds, 20 points) and
again with a province's worth added inside a transaction that is rolled back (``--points``
more per kind spread over the inventory's box, triggers off: each kind then has more than the
8 candidates KNN keeps). The geodesic distances measured are counted (``track_functions``) in
one more run of each, not timed.

Import (``--import-size``): an inventory of that many sites is built and exported, then
imported with ``gis-app import`` into fresh databases at revision 0056 (``--import-before``)
and at head, alternating, ``--import-rounds`` times; the distances stored must agree.

Results go to ``bench/results/<out>.{json,md}``::

    .venv/bin/python bench/nearest_bench.py --db gis_app_bench_api_1000000_123 \\
        --import-size 100000 --import-rounds 3
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench.api_bench import finish_run, kept_database_url, run_header, run_line  # noqa: E402
from bench.zone_checks import restated  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

#: the revision the import is compared against by default: the one before the pruned nearest
BEFORE = "0056"
#: the functions measured: label → (the per-site call of outline ``{g}``, whether the (kind,
#: geom) index of revision 0058 is there when it runs; dropped in a savepoint for the others)
FUNCTIONS = {
    "0044": ("pg_temp.old_site_nearest({g})", False),
    "0057": ("pg_temp.old57_site_nearest({g})", False),
    "0058": ("pg_temp.old58_site_nearest({g})", True),
    "0060": ("gis_app_site_nearest({g}, (SELECT gis_app_infrastructure_kinds()))", True),
}
_KIND_INDEX = "ix_infrastructure_kind_geom"
#: the sites' outlines, read once before the functions are timed (on a 1M inventory reading
#: them is ~0.1 ms a site, as much as the function)
_OUTLINES = (
    "CREATE TEMP TABLE bench_outline ON COMMIT DROP AS"
    " SELECT id, geom FROM site WHERE id = ANY(:ids)"
)
_ROWS = "SELECT s.id, n.* FROM bench_outline s CROSS JOIN LATERAL {call} n ORDER BY 1, 2"
#: more points of every kind over the inventory's box (their codes say so)
_PROVINCE_POINTS = """
INSERT INTO infrastructure (code, kind, name_zh, geom)
SELECT 'BENCH-' || k.kind || '-' || g, k.kind, '基准' || g,
       ST_SetSRID(ST_MakePoint(b.x0 + random() * (b.x1 - b.x0),
                               b.y0 + random() * (b.y1 - b.y0)), 4490)
  FROM (SELECT DISTINCT kind FROM infrastructure) k,
       (SELECT ST_XMin(e) x0, ST_XMax(e) x1, ST_YMin(e) y0, ST_YMax(e) y1
          FROM (SELECT ST_Extent(geom)::geometry e FROM site) x) b,
       generate_series(1, :n) g
"""
#: the geodesic distances measured so far in the transaction (with ``track_functions = all``)
DISTANCES_MEASURED = (
    "SELECT COALESCE(sum(calls), 0) FROM pg_stat_xact_user_functions WHERE funcname = 'st_distance'"
)


def _timed_rows(c: sa.Connection, fn: str, indexed: bool) -> tuple[float, list]:
    """Seconds and rows of one function over the outlines (``indexed``: with the index of
    kind and point)."""
    if not indexed:
        c.execute(sa.text(f"SAVEPOINT bench; DROP INDEX {_KIND_INDEX}"))
    t0 = time.perf_counter()
    rows = c.execute(sa.text(_ROWS.format(call=fn.format(g="s.geom")))).all()
    seconds = time.perf_counter() - t0
    if not indexed:
        c.execute(sa.text("ROLLBACK TO SAVEPOINT bench"))
    return seconds, rows


def _measured(c: sa.Connection, fn: str) -> int:
    """The geodesic distances one function measures over the outlines (a run apart from the timed
    ones: tracking every function call slows the functions that call more of them)."""
    c.execute(sa.text("SET LOCAL track_functions = 'all'"))
    before = c.execute(sa.text(DISTANCES_MEASURED)).scalar_one()
    c.execute(sa.text(_ROWS.format(call=fn.format(g="s.geom")))).all()
    after = c.execute(sa.text(DISTANCES_MEASURED)).scalar_one()
    c.execute(sa.text("SET LOCAL track_functions = 'none'"))
    return int(after - before)


def _restated() -> str:
    """Revisions 0044's, 0057's and 0058's functions, from the downgrades of 0057, 0058 and
    0060."""
    old57 = restated("0058_nearest_by_kind_index.py", "DROP INDEX")
    old58 = restated("0060_nearest_kinds_once.py", "DROP FUNCTION")
    return (
        restated("0057_nearest_pruned.py", "DROP FUNCTION")
        + old57.replace("pg_temp.old_", "pg_temp.old57_")
        + old58.replace("pg_temp.old_", "pg_temp.old58_")
    )


def per_site(url: str, sites: int, rounds: int, points: int) -> list[dict]:
    """Per infrastructure set: µs per site and distances measured per site, each function."""
    eng = make_engine(url)
    out = []
    try:
        with eng.connect() as c, c.begin():
            c.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
            c.execute(sa.text(_restated()))
            n_sites = c.execute(sa.text("SELECT max(id) FROM site")).scalar_one()
            ids = sorted(random.Random(57).sample(range(1, n_sites + 1), sites))
            c.execute(sa.text(_OUTLINES), {"ids": ids})
            for label, extra in (("the sample's", 0), (f"+ {points} a kind", points)):
                if extra:
                    c.execute(sa.text("SET LOCAL session_replication_role = replica"))
                    c.execute(sa.text(_PROVINCE_POINTS), {"n": extra})
                    c.execute(sa.text("ANALYZE infrastructure"))
                kinds, total = c.execute(
                    sa.text("SELECT count(DISTINCT kind), count(*) FROM infrastructure")
                ).one()
                row: dict = {"infrastructure": label, "kinds": kinds, "points": total}
                times: dict[str, list[float]] = {k: [] for k in FUNCTIONS}
                for k in range(rounds):
                    answers = {}
                    for name in ib.alternating(list(FUNCTIONS), k):
                        seconds, answers[name] = _timed_rows(c, *FUNCTIONS[name])
                        times[name].append(seconds)
                    if len({tuple(map(tuple, a)) for a in answers.values()}) != 1:
                        raise AssertionError(f"{label}: the nearest rows differ")
                    row["rows"] = len(answers["0058"])
                for name, (fn, _) in FUNCTIONS.items():
                    measured = _measured(c, fn)
                    row[f"{name}_distances_per_site"] = round(measured / len(ids), 2)
                    row[f"{name}_us"] = round(1e6 * statistics.median(times[name]) / len(ids), 1)
                print(row, flush=True)
                out.append(row)
            c.rollback()
    finally:
        eng.dispose()
    return out


def _distances(url: str) -> tuple[int, str]:
    """The stored distances: how many, and a digest of every row by site and point codes."""
    eng = make_engine(url)
    with eng.connect() as c:
        n, digest = c.execute(
            sa.text(
                "SELECT count(*), md5(string_agg(s.code || ' ' || d.infra_kind || ' ' || i.code"
                " || ' ' || d.distance_m::text, ',' ORDER BY s.code, d.infra_kind))"
                " FROM site_distance d JOIN site s ON s.id = d.site_id"
                " JOIN infrastructure i ON i.id = d.infrastructure_id"
            )
        ).one()
    eng.dispose()
    return n, digest


def imports(server_url: str, size: int, rounds: int, before: str = BEFORE) -> list[dict]:
    """The A/B import, ``before`` against head; every run's figures."""
    runs: list[dict] = []
    target = f"gis_app_nb_imp_{os.getpid()}"
    seen: dict[str, tuple[int, str]] = {}
    with ib.exported_inventory(server_url, size, "gis_app_nb") as (template, gpkg, _):
        revisions = [(before,), ("head",)]
        for k, (revision,), url in ib.ab_databases(server_url, template, target, revisions, rounds):
            run = ib.run_import(url, gpkg, size)
            seen[revision] = _distances(url)
            if len(set(seen.values())) > 1:
                raise AssertionError(f"the stored distances differ: {seen}")
            runs.append(run | {"round": k, "revision": revision})
            print(revision, f"{run['seconds']:.1f} s", flush=True)
    return runs


def markdown(doc: dict) -> str:
    """The figures as Markdown."""
    lines = [
        "# The nearest infrastructure: every candidate measured (0044), those that may be "
        "nearer (0057), by the index of kind and point (0058), the kinds found once (0060)",
        "",
        run_line(doc),
    ]
    if doc.get("per_site"):
        lines += [
            "",
            f"Per site, on `{doc['db']}`: {doc['sites']:,} random sites, one statement per "
            f"function, serial, the functions alternating, median of {doc['rounds']}; the "
            "rows are equal to the last bit. 0044 measures every KNN candidate, 0057 only "
            "those that may be nearest, 0058 also scans one kind's points by the (kind, geom) "
            "index and finds the kinds by the kind index at every call (the index dropped in a "
            "savepoint for the first two), 0060 is called with the kinds as a sub-select, "
            "found once per statement, as a refresh of many sites calls it. Geodesic "
            "distances measured per site counted by `track_functions`, in one more run of "
            "each (not timed).",
            "",
            "| infrastructure | kinds | points | µs per site 0044 → 0057 → 0058 → 0060 "
            "| ratio to 0044 | distances measured per site 0044 → 0057 → 0058 → 0060 |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for r in doc["per_site"]:
            us = " → ".join(f"{r[f'{n}_us']:,.0f}" for n in FUNCTIONS if f"{n}_us" in r)
            ratios = " / ".join(
                f"{r[f'{n}_us'] / r['0044_us']:.2f}" for n in FUNCTIONS if f"{n}_us" in r
            )
            measured = " → ".join(
                str(r[f"{n}_distances_per_site"]) for n in FUNCTIONS if f"{n}_us" in r
            )
            lines.append(
                f"| {r['infrastructure']} | {r['kinds']} | {r['points']:,} | {us} "
                f"| {ratios} | {measured} |"
            )
    if doc.get("imports"):
        size = doc["import_size"]
        lines += [
            "",
            f"`gis-app import` of {size:,} sites (the bench inventory's GeoPackage) into fresh "
            f"databases at {doc['import_before']} and at head, alternating; the stored distances"
            " are the same "
            "rows to the last bit.",
            "",
            "| round | revision | seconds | features/s | load (1 min) | CPU busy % |",
            "|---:|---|---:|---:|---:|---:|",
        ]
        for r in doc["imports"]:
            lines.append(
                f"| {r['round']} | {r['revision']} | {r['seconds']:.1f} "
                f"| {r['features_per_s']:,} | {r['load_1min']} | {r['cpu_busy_pct']} |"
            )
        revisions = (doc["import_before"], "head")
        lines += ["", *ib.median_lines(doc["imports"], "features", revisions)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", help="a kept bench inventory for the per-site figures")
    p.add_argument("--sites", type=int, default=20_000)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--points", type=int, default=300, help="more points a kind, per site")
    p.add_argument("--import-size", type=int, default=0)
    p.add_argument("--import-rounds", type=int, default=3)
    p.add_argument("--import-before", default=BEFORE, help="the revision head is compared with")
    p.add_argument("--out", default="nearest_bench")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = run_header(st.url) | {"rounds": args.rounds, "sites": args.sites}
    if args.db:
        doc["db"] = args.db
        doc["per_site"] = per_site(kept_database_url(args.db), args.sites, args.rounds, args.points)
    if args.import_size:
        doc["import_size"] = args.import_size
        doc["import_before"] = args.import_before
        doc["imports"] = [
            r | {"features": args.import_size}
            for r in imports(st.url, args.import_size, args.import_rounds, args.import_before)
        ]
    finish_run(args.out, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
