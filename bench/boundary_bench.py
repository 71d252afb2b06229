"""A bulk import against a boundary of many vertices: the per-row district and jurisdiction
checks before and after revision 0054 (district outlines kept in pieces), in the same run.

The bench inventories' jurisdiction is a rectangle (5 vertices); a real district or province
boundary, a coastline with its islands, has thousands to tens of thousands. This script builds
a bench inventory of ``--size`` sites and exports it (as ``bench/import_bench.py`` does), then
imports the file with ``gis-app import`` into fresh databases, for each boundary (``plain``:
the rectangle; ``jagged``: the same outline with a vertex every ``--step`` degrees, pushed
outward by up to 0.008°, every site still inside; 0.005 gives ~3,700 vertices, 0.0005
~37,000) and each revision (0053: the checks read the whole outline; head: the pieces near
each site), alternating, ``--rounds`` times. Results go to ``bench/results/<out>.{json,md}``;
the databases are dropped::

    .venv/bin/python bench/boundary_bench.py --size 6000 --step 0.005 --rounds 1
    .venv/bin/python bench/boundary_bench.py --size 100000 --boundaries plain \\
        --out boundary_bench_100k
    .venv/bin/python bench/boundary_bench.py --size 10000 --step 0.0005 --boundaries jagged \\
        --revisions head --out boundary_bench_37k
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench.api_bench import PROVINCE, finish_run, run_header, run_line  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

#: the revision before the pieces
BEFORE = "0053"
#: the bench jurisdiction (PROVINCE widened by 0.01°) with a vertex every STEP degrees pushed
#: outward by up to AMPLITUDE: a jagged outline around the same sites
STEP, AMPLITUDE = 0.0005, 0.008
JAGGED = """
WITH box AS (SELECT :x0 - 0.01 AS x0, :y0 - 0.01 AS y0, :x1 + 0.01 AS x1, :y1 + 0.01 AS y1),
pts AS (
    SELECT 1 AS side, x AS px, y0 AS py, x AS t FROM box, generate_series(x0, x1, :step) x
    UNION ALL SELECT 2, x1, y, y FROM box, generate_series(y0, y1, :step) y
    UNION ALL SELECT 3, x, y1, -x FROM box, generate_series(x1, x0, -:step) x
    UNION ALL SELECT 4, x0, y, -y FROM box, generate_series(y1, y0, -:step) y),
moved AS (
    SELECT side, t, r,
           CASE side WHEN 2 THEN px + r WHEN 4 THEN px - r ELSE px END AS x,
           CASE side WHEN 1 THEN py - r WHEN 3 THEN py + r ELSE py END AS y
      FROM (SELECT *, :amp * (0.5 + 0.5 * sin(t * 7919.0)) AS r FROM pts) p),
ring AS (SELECT ST_MakeLine(ST_SetSRID(ST_MakePoint(x, y), 4490) ORDER BY side, t) AS l
           FROM moved)
UPDATE district SET geom = (
    SELECT ST_Multi(ST_MakeValid(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l))))) FROM ring)
 WHERE code = gis_app_home_district()
RETURNING ST_NPoints(geom)
"""


def _boundary(url: str, kind: str, step: float = STEP) -> int:
    """Give the home district the ``kind`` outline; its vertices."""
    eng = make_engine(url)
    try:
        with eng.begin() as c:
            if kind == "plain":
                return c.execute(
                    sa.text(
                        "SELECT ST_NPoints(geom) FROM district WHERE code = gis_app_home_district()"
                    )
                ).scalar_one()
            box = dict(zip(("x0", "y0", "x1", "y1"), PROVINCE, strict=True))
            return c.execute(sa.text(JAGGED), box | {"step": step, "amp": AMPLITUDE}).scalar_one()
    finally:
        eng.dispose()


def markdown(doc: dict) -> str:
    """The runs and their medians as a Markdown table."""
    lines = [
        "# Bulk import against a boundary of many vertices: revision 0053 vs head",
        "",
        run_line(doc) + f"`gis-app import` of a {doc['features']:,}-site bench "
        "GeoPackage into a fresh database (all checks, history, derived tables), "
        "alternating; the per-row district and jurisdiction checks read the whole outline "
        "(0053) or the pieces near each site (head, revision 0054).",
        "",
        "| round | boundary | vertices | revision | s | features/s | writing s | load (1 min) |",
        "|---:|---|---:|---|---:|---:|---:|---:|",
    ]
    for r in doc["runs"]:
        lines.append(
            f"| {r['round']} | {r['boundary']} | {r['vertices']:,} | {r['revision']} "
            f"| {r['seconds']:.1f} | {r['features_per_s']:,.0f} "
            f"| {r['phases_s'].get('writing', 0):.1f} | {r['load_1min']} |"
        )
    lines.append("")
    lines += ib.median_lines(doc["runs"], "boundary", (BEFORE, "head"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=10_000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument(
        "--step", type=float, default=STEP, help="degrees between the jagged outline's vertices"
    )
    p.add_argument(
        "--boundaries", nargs="+", choices=("plain", "jagged"), default=["plain", "jagged"]
    )
    p.add_argument(
        "--revisions",
        nargs="+",
        choices=(BEFORE, "head"),
        default=[BEFORE, "head"],
        help="0053 reads the whole outline per site: hours at 37,000 vertices",
    )
    p.add_argument("--out", default="boundary_bench")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = run_header(st.url) | {
        "features": args.size,
        "runs": [],
    }
    target = f"gis_app_bnd_imp_{os.getpid()}"
    with ib.exported_inventory(st.url, args.size, "gis_app_bnd") as (template, gpkg, _):
        runs = [(b, r) for b in args.boundaries for r in args.revisions]
        for k, (boundary, revision), url in ib.ab_databases(
            st.url, template, target, runs, args.rounds
        ):
            vertices = _boundary(url, boundary, args.step)
            run = ib.run_import(url, gpkg, args.size)
            doc["runs"].append(
                run
                | {"round": k, "boundary": boundary, "revision": revision}
                | {"vertices": vertices}
            )
            print(boundary, revision, vertices, f"{run['seconds']:.1f} s", flush=True)
    finish_run(args.out, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
