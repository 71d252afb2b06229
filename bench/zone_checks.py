"""What one site's overlay work costs, by the vertices of the polygons it meets: the
functions before the pieces (revision 0005's zone functions, 0022's 三调 composition; each
reads whole polygons) against those of revisions 0055 and 0056, called once per site as the
row triggers call them, in the same run.

In a fresh copy of the bench template (the sample and the bench jurisdiction), inside one
transaction that is rolled back, a 基本农田 zone is added over the sample's sites with the
available ones cut out as holes (``HOLEY_ZONE``: a real farmland layer has its villages and
plants as holes), its edge in steps of ``step`` degrees: 0.0003 gives ~4,500 vertices, 0.00003
~37,000; the same outline also as one 三调 parcel (乔木林地, a forest with its clearings). For
the sample's zones alone and for each such outline, every sample site's overlaps are
refreshed (``gis_app_refresh_overlap(ARRAY[id], NULL)``, what ``site_overlap`` runs on each
save), its blocking check asked (``gis_app_blocking_overlap``, what a site made available
runs) and its 三调 composition refreshed (``gis_app_refresh_current_use``, on each save), by
the old functions and by the current ones; the stored rows and the answers must agree. And
the map's zone layer at zoom 16 over the window the page fetches, whole and cut to it
(``clip=1``). µs per site (median of ``--rounds``) to ``bench/results/<out>.{json,md}``::

    .venv/bin/python bench/zone_checks.py --rounds 3
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench.api_bench import finish_run, run_header, run_line  # noqa: E402
from gis_app.db import provision, tile_queries  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

#: a 基本农田 outline over the sites: their box (grown by :margin degrees) with its edge cut
#: into :step-degree steps, each vertex pushed up to 0.4 step, and the available sites cut out
#: (each with ~50 m around it) — valid
HOLEY_OUTLINE = """
SELECT ST_Multi(ST_CollectionExtract(ST_Difference(
           ST_MakeValid(ST_MakePolygon(ST_AddPoint(ring.l, ST_StartPoint(ring.l)))),
           (SELECT ST_Union(ST_Buffer(geom, 0.0005)) FROM site
             WHERE availability = 'available')), 3))
  FROM (SELECT ST_MakeLine(ST_Translate(p.geom, 0.4 * :step * sin(p.path[1] * 1.7),
                                        0.4 * :step * cos(p.path[1] * 2.3)) ORDER BY p.path) l
          FROM ST_DumpPoints(ST_Segmentize(ST_ExteriorRing(
                   (SELECT ST_Expand(ST_Envelope(ST_Collect(geom)), :margin) FROM site)),
                   :step)) p
         WHERE p.path[1] > 1) ring
"""
#: that outline as a zone over the sample's sites (their box shrunk by 0.02°): binds :step
HOLEY_ZONE = f"""
INSERT INTO constraint_zone (code, kind, name_zh, name_en, geom)
SELECT 'BIG-FARM', 'basic_farmland', '大片基本农田', 'Large farmland', o.g
  FROM ({HOLEY_OUTLINE.replace(":margin", "-0.02")}) o(g)
RETURNING id, ST_NPoints(geom)
"""
#: the zones measured: (label, edge step in degrees, or None for the sample's zones alone)
ZONES: tuple[tuple[str, float | None], ...] = (
    ("the sample's zones alone", None),
    ("+ 基本农田 with holes, 0.0003° edge", 0.0003),
    ("+ 基本农田 with holes, 0.00003° edge", 0.00003),
)


def restated(migration: str, stop: str) -> str:
    """The functions a migration's downgrade restores (its text up to ``stop``), renamed
    into pg_temp as ``old_…``: what was before it."""
    path = ROOT / "gis_app/db/migrations/versions" / migration
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    assert spec.loader is not None
    spec.loader.exec_module(module)
    old = module.DOWNGRADE[: module.DOWNGRADE.index(stop)]
    return old.replace("FUNCTION gis_app_", "FUNCTION pg_temp.old_")


def _before_pieces() -> str:
    """Revision 0005's zone functions and revision 0022's 三调 composition."""
    return restated("0055_zone_pieces.py", "ALTER FUNCTION") + restated(
        "0056_current_use_pieces.py", "CREATE OR REPLACE FUNCTION gis_app_parcel"
    )


def _per_site_us(c: sa.Connection, sql: str, ids: list[int]) -> tuple[float, list]:
    """Run ``sql`` (binds :i) once per site, each its own statement; µs per site and answers."""
    answers = []
    t = time.perf_counter()
    for i in ids:
        answers.append(c.execute(sa.text(sql), {"i": i}).first())
    return (time.perf_counter() - t) * 1e6 / len(ids), answers


def _stored(c: sa.Connection) -> dict:
    rows = c.execute(sa.text("SELECT site_id, zone_id, overlap_m2 FROM site_constraint_overlap"))
    return {(r[0], r[1]): r[2] for r in rows}


def _stored_use(c: sa.Connection) -> dict:
    return dict(c.execute(sa.text("SELECT site_id, surveyed_pct FROM site_current_use")).all())


def _agree(old: dict, new: dict, what: str, rel: float = 1e-8, absolute: float = 1e-6) -> None:
    if old.keys() != new.keys() or any(abs(old[k] - new[k]) > rel * old[k] + absolute for k in old):
        raise AssertionError(f"{what}: the stored rows before and after the pieces differ")


CHECKS = {
    "refresh": (
        "SELECT pg_temp.old_refresh_overlap(ARRAY[CAST(:i AS bigint)], NULL)",
        "SELECT gis_app_refresh_overlap(ARRAY[CAST(:i AS bigint)], NULL)",
    ),
    "blocking": (
        "SELECT b.zone_id FROM site s, pg_temp.old_blocking_overlap(s.geom) b WHERE s.id = :i",
        "SELECT b.zone_id FROM site s, gis_app_blocking_overlap(s.geom) b WHERE s.id = :i",
    ),
    "current_use": (
        "SELECT pg_temp.old_refresh_current_use(ARRAY[CAST(:i AS bigint)])",
        "SELECT gis_app_refresh_current_use(ARRAY[CAST(:i AS bigint)])",
    ),
}
#: the big outline also as one 三调 parcel (乔木林地): a forest with its clearings
BIG_PARCEL = """
INSERT INTO current_use_parcel (code, use_code, geom)
SELECT 'BIG-FOREST', '0301', geom FROM constraint_zone WHERE code = 'BIG-FARM'
"""


def _layer(c: sa.Connection, rounds: int) -> dict:
    """The map's zone layer at zoom 16 over a window the page fetches (twice a 1400 × 900 px
    view) at the sites' centre, whole outlines and cut to the window: kB and ms (median)."""
    x, y = c.execute(
        sa.text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_Centroid(ST_Extent(geom)) p FROM site) q")
    ).one()
    bbox = (x - 0.03, y - 0.02, x + 0.03, y + 0.02)
    got: dict = {}
    for clip in (False, True):
        times, body = [], ""
        for _ in range(rounds):
            t = time.perf_counter()
            body = tile_queries.reference_layer(
                c, "constraint_zones", bbox=bbox, zoom=16, clip=clip
            )
            times.append((time.perf_counter() - t) * 1e3)
        key = "clip" if clip else "whole"
        got[f"{key}_kb"] = round(len(body.encode()) / 1024, 1)
        got[f"{key}_ms"] = round(statistics.median(times), 1)
    return got


def measure(url: str, rounds: int) -> list[dict]:
    """Per zone set: the big zone's vertices and pieces, sites in its box, per-site µs."""
    rows = []
    eng = make_engine(url)
    try:
        for label, step in ZONES:
            with eng.connect() as c, c.begin():
                c.execute(sa.text(_before_pieces()))
                row: dict = {"zones": label, "vertices": None, "pieces": None}
                if step is not None:
                    zone_id, row["vertices"] = c.execute(sa.text(HOLEY_ZONE), {"step": step}).one()
                    row["pieces"], row["sites_in_box"] = c.execute(
                        sa.text(
                            "SELECT (SELECT count(*) FROM constraint_zone_piece WHERE zone_id"
                            " = :z), (SELECT count(*) FROM site s, constraint_zone z"
                            " WHERE z.id = :z AND s.geom && z.geom)"
                        ),
                        {"z": zone_id},
                    ).one()
                    c.execute(sa.text(BIG_PARCEL))
                ids = list(c.execute(sa.text("SELECT id FROM site ORDER BY id")).scalars())
                row["sites"] = len(ids)
                for check, (old_sql, new_sql) in CHECKS.items():
                    times: dict[str, list[float]] = {"old": [], "new": []}
                    for _ in range(rounds):
                        t_old, a_old = _per_site_us(c, old_sql, ids)
                        stored_old, use_old = _stored(c), _stored_use(c)
                        t_new, a_new = _per_site_us(c, new_sql, ids)
                        if a_old != a_new:
                            raise AssertionError(f"{label}: {check} answers differ")
                        _agree(stored_old, _stored(c), label)
                        _agree(use_old, _stored_use(c), label, 0, 0.0011)
                        times["old"].append(t_old)
                        times["new"].append(t_new)
                    row[check] = {
                        "old_us": round(statistics.median(times["old"]), 1),
                        "new_us": round(statistics.median(times["new"]), 1),
                    }
                row["layer"] = _layer(c, rounds)
                print(row, flush=True)
                rows.append(row)
                c.rollback()
    finally:
        eng.dispose()
    return rows


def markdown(doc: dict) -> str:
    """The per-site costs as a Markdown table."""
    lines = [
        "# One site's overlay work: whole polygons vs pieces (revisions 0055, 0056)",
        "",
        run_line(doc) + f"µs per site (median of {doc['rounds']} "
        "rounds, each site its own statement, as a row trigger runs) of the overlap refresh "
        "(`site_overlap`, on every save), the blocking check (a site made available) and the "
        "三调 composition (on every save; the big outline also as one 三调 parcel); the "
        "stored rows and the answers agree. The map's zone layer: "
        "`/tiles/layers/constraint_zones.geojson` at zoom 16 over the window the page fetches "
        "at the sites' centre (0.06° × 0.04°), whole outlines and cut to it (`clip=1`).",
        "",
        "| zones | big zone's vertices | its pieces | sites (in its box) "
        "| overlap refresh 0005 → 0055 µs | blocking check 0005 → 0055 µs "
        "| 三调 composition 0022 → 0056 µs | map's zone layer at z16, whole → `clip=1` |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in doc["rows"]:
        a, b, u, lay = r["refresh"], r["blocking"], r["current_use"], r["layer"]
        vertices = f"{r['vertices']:,}" if r["vertices"] else "—"
        pieces = f"{r['pieces']:,}" if r["pieces"] else "—"
        inside = f" ({r['sites_in_box']})" if r.get("sites_in_box") is not None else ""
        lines.append(
            f"| {r['zones']} | {vertices} | {pieces} | {r['sites']}{inside} "
            f"| {a['old_us']:,.0f} → {a['new_us']:,.0f} "
            f"| {b['old_us']:,.0f} → {b['new_us']:,.0f} "
            f"| {u['old_us']:,.0f} → {u['new_us']:,.0f} "
            f"| {lay['whole_kb']:,} → {lay['clip_kb']:,} kB, "
            f"{lay['whole_ms']:,} → {lay['clip_ms']:,} ms |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default="zone_checks")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    pid = os.getpid()
    template, target = f"gis_app_zchk_tpl_{pid}", f"gis_app_zchk_{pid}"
    doc: dict = run_header(st.url) | {"rounds": args.rounds}
    try:
        ib.make_template(st.url, template)
        url = ib._fresh(st.url, template, target)
        doc["rows"] = measure(url, args.rounds)
        finish_run(args.out, doc, markdown)
    finally:
        for name in (template, target):
            ib.drop_database(st.url, name)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
