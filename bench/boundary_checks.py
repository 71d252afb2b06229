"""What one site's district and jurisdiction checks cost, by the boundary's vertices: the
queries of revision 0053 (each reads the whole outline) against the pieces of revision 0054,
called once per site as the row triggers call them, in the same run.

In a fresh copy of the bench template (sample and bench jurisdiction), inside one transaction
that is rolled back, the home district's outline becomes in turn the bench's rectangle, the
sample's Putuo coastline (``data/parcels/jurisdiction.geojson``) and a jagged outline around
the bench rectangle of ~3,700 and ~37,000 vertices (``bench/boundary_bench.py``'s). For each,
squares of ~100 m (10,000; 200 for the old checks on outlines above 10,000 vertices, at
~0.15 s a call) are checked by plpgsql functions that run the 0053 queries and by the
functions the triggers call now; the answers must agree. Per call µs (median of
``--rounds``) to ``bench/results/<out>.{json,md}``::

    .venv/bin/python bench/boundary_checks.py --rounds 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import import_bench as ib  # noqa: E402
from bench.api_bench import PROVINCE, finish_run, run_header, run_line  # noqa: E402
from bench.boundary_bench import AMPLITUDE, JAGGED  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402

#: the two checks as revision 0053's triggers ran them (one query each, per site)
OLD = """
CREATE FUNCTION pg_temp.old_covering(g geometry) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE c text[];
BEGIN
    SELECT array_agg(d.code ORDER BY d.code) INTO c
      FROM district d WHERE d.level = 'district' AND ST_Covers(d.geom, g);
    RETURN c;
END $$;
CREATE FUNCTION pg_temp.old_cover(g geometry) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom, g));
END $$;
CREATE FUNCTION pg_temp.new_covering(g geometry) RETURNS text[] LANGUAGE plpgsql AS $$
BEGIN
    RETURN gis_app_districts_covering(g);
END $$;
CREATE FUNCTION pg_temp.new_cover(g geometry) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
    RETURN gis_app_districts_cover(g);
END $$;
"""
#: squares of ~100 m at random points of the outline's own area (a few straddle its edge)
SQUARES = """
CREATE TEMP TABLE squares ON COMMIT DROP AS
SELECT row_number() OVER () AS k, ST_Multi(ST_Expand(p.geom, 0.0005)) AS g
  FROM (SELECT (ST_Dump(ST_GeneratePoints(geom, 10000, 29))).geom
          FROM district WHERE code = gis_app_home_district()) p
"""
#: old checks on outlines above this many vertices: fewer squares (each call ~0.15 s at 37k)
HEAVY = 10_000


def _outlines() -> list[tuple[str, str, dict]]:
    """(label, SQL giving the home district its outline, binds)."""
    putuo = next(
        f["geometry"]
        for f in json.loads((ROOT / "data/parcels/jurisdiction.geojson").read_text())["features"]
        if f["properties"]["code"] == "330903"
    )
    box = dict(zip(("x0", "y0", "x1", "y1"), PROVINCE, strict=True))
    return [
        ("the bench rectangle", "SELECT 1", {}),
        (
            "the sample's Putuo coastline",
            "UPDATE district SET geom = ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(:g), 4490))"
            " WHERE code = gis_app_home_district()",
            {"g": json.dumps(putuo)},
        ),
        ("jagged, 0.005° steps", JAGGED, box | {"step": 0.005, "amp": AMPLITUDE}),
        ("jagged, 0.0005° steps", JAGGED, box | {"step": 0.0005, "amp": AMPLITUDE}),
    ]


def _per_call_us(c: sa.Connection, fn: str, n: int) -> tuple[float, list]:
    """Call ``fn`` on the first ``n`` squares; µs per call and the answers."""
    t = time.perf_counter()
    got = c.execute(sa.text(f"SELECT {fn}(g) FROM squares WHERE k <= :n ORDER BY k"), {"n": n})
    answers = [r[0] for r in got]
    return (time.perf_counter() - t) * 1e6 / n, answers


def measure(url: str, rounds: int) -> list[dict]:
    """Per outline: vertices, pieces, per-call µs of each check, old and new."""
    rows = []
    eng = make_engine(url)
    try:
        for label, sql, binds in _outlines():
            with eng.connect() as c, c.begin():
                c.execute(sa.text(OLD))
                c.execute(sa.text(sql), binds)
                c.execute(sa.text(SQUARES))
                vertices, pieces = c.execute(
                    sa.text(
                        "SELECT ST_NPoints(geom), (SELECT count(*) FROM district_piece p"
                        " WHERE p.district_id = d.id) FROM district d"
                        " WHERE code = gis_app_home_district()"
                    )
                ).one()
                row: dict = {"outline": label, "vertices": vertices, "pieces": pieces}
                for check in ("covering", "cover"):
                    n_old = 200 if vertices > HEAVY else 10_000
                    times: dict[str, list[float]] = {"old": [], "new": []}
                    for _ in range(rounds):
                        t_old, a_old = _per_call_us(c, f"pg_temp.old_{check}", n_old)
                        t_new, a_new = _per_call_us(c, f"pg_temp.new_{check}", 10_000)
                        if a_old != a_new[:n_old]:
                            raise AssertionError(f"{label}: {check} answers differ")
                        times["old"].append(t_old)
                        times["new"].append(t_new)
                    row[check] = {
                        "old_us": round(statistics.median(times["old"]), 1),
                        "new_us": round(statistics.median(times["new"]), 1),
                        "old_squares": n_old,
                    }
                print(row, flush=True)
                rows.append(row)
                c.rollback()
    finally:
        eng.dispose()
    return rows


def markdown(doc: dict) -> str:
    """The per-call costs as a Markdown table."""
    lines = [
        "# One site's district and jurisdiction checks: revision 0053 vs 0054",
        "",
        run_line(doc) + f"µs per call (median of {doc['rounds']} rounds) of "
        "the district check (which districts cover the site) and the jurisdiction check "
        "(does one), as a row trigger calls them; the answers agree.",
        "",
        "| home district's outline | vertices | pieces | district check 0053 → 0054 µs "
        "| jurisdiction check 0053 → 0054 µs | both, 0054 ÷ 0053 |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in doc["rows"]:
        a, b = r["covering"], r["cover"]
        ratio = (a["new_us"] + b["new_us"]) / (a["old_us"] + b["old_us"])
        lines.append(
            f"| {r['outline']} | {r['vertices']:,} | {r['pieces']:,} "
            f"| {a['old_us']:,.1f} → {a['new_us']:,.1f} | {b['old_us']:,.1f} → "
            f"{b['new_us']:,.1f} | {ratio:.2g} |"
        )
    lines += [
        "",
        f"The old checks on outlines above {HEAVY:,} vertices were timed on 200 squares "
        "(each call reads the whole outline); the others on 10,000.",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--out", default="boundary_checks")
    args = p.parse_args(argv)
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    pid = os.getpid()
    template, target = f"gis_app_bchk_tpl_{pid}", f"gis_app_bchk_{pid}"
    doc: dict = run_header(st.url) | {
        "rounds": args.rounds,
    }
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
