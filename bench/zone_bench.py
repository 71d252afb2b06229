"""A bulk import under polygons of many vertices: revision 0054 (each site's overlays read
whole zones and whole 三调 parcels) against head (revisions 0055 and 0056: the pieces it
meets), in the same run.

A real 基本农田 layer holds zones of tens of thousands of vertices (farmland with the villages
and plants cut out as holes), and a 三调 layer parcels as large (a forest with its clearings,
a river). This script builds a bench inventory of ``--size`` sites and exports it (as
``bench/import_bench.py`` does), makes one such outline over all of its sites
(``bench/zone_checks.py``'s ``HOLEY_OUTLINE``: the sites' box with a jagged edge, every
available site cut out with ~50 m around it, so no available site lies on it and every other
site does), then imports the file with ``gis-app import`` into fresh databases that hold it as
a 基本农田 zone and as a 三调 parcel (or, ``--zones sample``, the sample's zones alone: what the
pieces cost where polygons are small), for each revision, alternating, ``--rounds`` times. The
overlaps and compositions written must agree. Results go to
``bench/results/<out>.{json,md}``; the databases are dropped::

    .venv/bin/python bench/zone_bench.py --size 6000 --rounds 1
    .venv/bin/python bench/zone_bench.py --size 10000 --zones sample --rounds 3 \\
        --out zone_bench_sample
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
from bench.api_bench import finish_run, run_header, run_line  # noqa: E402
from bench.zone_checks import HOLEY_OUTLINE  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

#: the revision before the pieces
BEFORE = "0054"
#: degrees between the zone edge's vertices
STEP = 0.0001


def _outline(url: str, step: float) -> str:
    """The holey zone over the inventory at ``url``, as EWKB hex."""
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            c.execute(sa.text("SET statement_timeout = 0"))
            sql = f"SELECT ST_AsEWKB(o.g) FROM ({HOLEY_OUTLINE}) o(g)"
            return c.execute(sa.text(sql), {"step": step, "margin": 0.005}).scalar_one().hex()
    finally:
        eng.dispose()


def _add_zone(url: str, ewkb: str) -> int:
    """Add the outline as a zone and as a 三调 parcel (乔木林地); its vertices."""
    eng = make_engine(url)
    try:
        with eng.begin() as c:
            c.execute(sa.text("SET LOCAL statement_timeout = 0"))
            c.execute(
                sa.text(
                    "INSERT INTO current_use_parcel (code, use_code, geom)"
                    " VALUES ('BIG-FOREST', '0301', ST_GeomFromEWKB(decode(:g, 'hex')))"
                ),
                {"g": ewkb},
            )
            return c.execute(
                sa.text(
                    "INSERT INTO constraint_zone (code, kind, name_zh, name_en, geom)"
                    " VALUES ('BIG-FARM', 'basic_farmland', '大片基本农田', 'Large farmland',"
                    " ST_GeomFromEWKB(decode(:g, 'hex'))) RETURNING ST_NPoints(geom)"
                ),
                {"g": ewkb},
            ).scalar_one()
    finally:
        eng.dispose()


def _overlays(url: str) -> tuple[int, float, int, float]:
    """The overlays stored: overlaps (how many, their area in m²), 三调 compositions (how
    many, the sum of their surveyed shares)."""
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            n, m2, k, pct = c.execute(
                sa.text(
                    "SELECT (SELECT count(*) FROM site_constraint_overlap),"
                    " (SELECT sum(overlap_m2) FROM site_constraint_overlap),"
                    " (SELECT count(*) FROM site_current_use),"
                    " (SELECT sum(surveyed_pct) FROM site_current_use)"
                )
            ).one()
            return n, float(m2 or 0), k, float(pct or 0)
    finally:
        eng.dispose()


def markdown(doc: dict) -> str:
    """The runs and their medians as a Markdown table."""
    lines = [
        f"# Bulk import under polygons of many vertices: revision {BEFORE} vs head",
        "",
        run_line(doc) + "`gis-app import` of a "
        f"{doc['features']:,}-site bench GeoPackage into a fresh database holding the "
        "sample's zones"
        + (
            f" and (holey) one outline of {doc['vertices']:,} vertices over all its sites "
            "(the available ones cut out as holes) as a 基本农田 zone and as a 三调 parcel "
            "(乔木林地)"
            if doc.get("vertices")
            else ""
        )
        + f", alternating; each site's overlays read whole polygons ({BEFORE}) or the pieces "
        "it meets (head, revisions 0055 and 0056).",
        "",
        "| round | zones | revision | s | features/s | writing s | overlaps stored "
        "| 三调 compositions | load (1 min) |",
        "|---:|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["runs"]:
        lines.append(
            f"| {r['round']} | {r['zones']} | {r['revision']} | {r['seconds']:.1f} "
            f"| {r['features_per_s']:,.0f} | {r['phases_s'].get('writing', 0):.1f} "
            f"| {r['overlaps']:,} | {r.get('compositions', 0):,} | {r['load_1min']} |"
        )
    lines.append("")
    lines += ib.median_lines(doc["runs"], "zones", (BEFORE, "head"))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=int, default=6_000)
    p.add_argument("--rounds", type=int, default=1)
    p.add_argument("--step", type=float, default=STEP, help="degrees between edge vertices")
    p.add_argument("--revisions", nargs="+", choices=(BEFORE, "head"), default=[BEFORE, "head"])
    p.add_argument(
        "--zones",
        nargs="+",
        choices=("holey", "sample"),
        default=["holey"],
        help="holey: with the big zone; sample: the sample's zones alone (what the pieces cost)",
    )
    p.add_argument("--out", default="zone_bench")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    doc: dict = run_header(st.url) | {"features": args.size, "runs": []}
    target = f"gis_app_zb_imp_{os.getpid()}"
    outline = (lambda u: _outline(u, args.step)) if "holey" in args.zones else None
    with ib.exported_inventory(st.url, args.size, "gis_app_zb", outline) as inv:
        template, gpkg, zone = inv
        seen: dict[tuple[str, str], tuple[int, float, int, float]] = {}
        runs = [(z, r) for z in args.zones for r in args.revisions]
        for k, (zones, revision), url in ib.ab_databases(
            st.url, template, target, runs, args.rounds
        ):
            if zones == "holey":
                doc["vertices"] = _add_zone(url, zone)
            run = ib.run_import(url, gpkg, args.size)
            n, m2, uses, pct = _overlays(url)
            for (z2, other), (n2, m22, uses2, pct2) in seen.items():
                if z2 == zones and (
                    n2 != n
                    or abs(m22 - m2) > 1e-6 * m2
                    or uses2 != uses
                    or abs(pct2 - pct) > 0.0011 * uses
                ):
                    raise AssertionError(f"{revision} and {other}: the overlays differ")
            seen[zones, revision] = (n, m2, uses, pct)
            doc["runs"].append(
                run
                | {"round": k, "zones": zones, "revision": revision}
                | {"overlaps": n, "compositions": uses}
            )
            print(zones, revision, n, f"{run['seconds']:.1f} s", flush=True)
    finish_run(args.out, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
