"""How long a planner's infrastructure or zone edit takes on a large inventory (revisions
0046–0049).

Each edit runs in its own transaction, rolled back after it (the inventory is left as it was),
as a QGIS save sends it: a rename, a small move of a point few sites are nearest to, a small
move of the point most sites are nearest to, a new point beside the latter. Beside them, in the
same run, what every one of those edits did before revision 0046: the distances and the match
units of every site recomputed (``gis_app_refresh_site_distance(NULL)``,
``gis_app_refresh_match_units(NULL)``). Per edit: wall seconds, distance rows and match units
rewritten (``pg_stat_xact_user_tables``). Results to ``bench/results/<name>.{json,md}``::

    GIS_APP_PG_DATA_DIR=… GIS_APP_PG_PORT=… .venv/bin/python bench/infrastructure_edit_bench.py \\
        --db gis_app_bench_api_1000000_26744
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import _load, kept_database_url, run_header, write_results  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402

#: the point of a kind that the fewest / the most sites are nearest to
_POINT = """
SELECT d.infrastructure_id FROM site_distance d WHERE d.infra_kind = :kind
 GROUP BY d.infrastructure_id ORDER BY count(*) {order}, d.infrastructure_id LIMIT 1
"""
EDITS: dict[str, tuple[str, str]] = {
    "rename": (
        "rename every point (names and codes)",
        "UPDATE infrastructure SET name_en = name_en || ' (r)', code = code || '-R'",
    ),
    "move_small": (
        "move the ferry terminal the fewest sites are nearest to by ~100 m",
        "UPDATE infrastructure SET geom = ST_Translate(geom, 0.001, 0.0005) WHERE id = :few",
    ),
    "move_large": (
        "move the substation the most sites are nearest to by ~100 m",
        "UPDATE infrastructure SET geom = ST_Translate(geom, 0.001, 0.0005) WHERE id = :most",
    ),
    "insert": (
        "add a substation ~1.5 km from that one",
        "INSERT INTO infrastructure (code, kind, name_zh, geom)"
        " SELECT 'BENCH-NEW', 'substation', '基准测试变电站', ST_Translate(geom, 0.01, 0.01)"
        " FROM infrastructure WHERE id = :most",
    ),
    "zone_rename": (
        "rename a constraint zone, with an open requirement saved",
        "UPDATE constraint_zone SET name_zh = name_zh || '（改）'"
        " WHERE id = (SELECT min(id) FROM constraint_zone)",
    ),
    "full_refresh": (
        "before revision 0046, any of these: every site's distances and match units",
        "SELECT gis_app_refresh_site_distance(NULL), gis_app_refresh_match_units(NULL)",
    ),
}

#: what an edit needs in its transaction before it is timed
SETUP = {
    "zone_rename": "INSERT INTO requirement (project_name, need, gfa_m2_min)"
    " VALUES ('bench', 'plant', 3000)",
}


def _rewritten(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(
        sa.text(
            "SELECT relname, n_tup_ins + n_tup_upd + n_tup_del FROM pg_stat_xact_user_tables"
            " WHERE relname IN ('site_distance', 'match_unit')"
        )
    ).all()
    return {name: int(n) for name, n in rows}


def measure(url: str, edits: list[str]) -> dict[str, Any]:
    """Run each edit once in a rolled-back transaction."""
    eng = make_engine(url)
    out: dict[str, Any] = {}
    try:
        with eng.connect() as c:
            ids = {
                "few": c.execute(
                    sa.text(_POINT.format(order="ASC")), {"kind": "ferry_terminal"}
                ).scalar_one(),
                "most": c.execute(
                    sa.text(_POINT.format(order="DESC")), {"kind": "substation"}
                ).scalar_one(),
            }
            out["sites"] = c.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
            c.rollback()
            for key in edits:
                _title, sql = EDITS[key]
                c.exec_driver_sql("SET LOCAL statement_timeout = 0")
                if key in SETUP:  # in the same transaction, not timed
                    c.execute(sa.text(SETUP[key]))
                before = _rewritten(c)
                t = time.perf_counter()
                c.execute(sa.text(sql), ids)
                seconds = time.perf_counter() - t
                after = _rewritten(c)
                c.rollback()
                out[key] = {
                    "seconds": round(seconds, 3),
                    "distance_rows": after.get("site_distance", 0) - before.get("site_distance", 0),
                    "match_units": after.get("match_unit", 0) - before.get("match_unit", 0),
                }
                print(key, out[key], flush=True)
    finally:
        eng.dispose()
    return out


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        f"# Infrastructure edits on `{doc['db']}` ({doc['sites']:,} sites), {doc['started']}",
        "",
        f"Machine: {doc['machine']}. Load average at start {doc['load_start']}, at end"
        f" {doc['load_end']}. Each edit once, in a transaction rolled back after it;"
        " rows rewritten = inserted + updated + deleted (each refreshed row is deleted and"
        " inserted).",
        "",
        "| edit | seconds | distance rows rewritten | match units rewritten |",
        "|---|---:|---:|---:|",
    ]
    for key, (title, _sql) in EDITS.items():
        if key in doc["edits"]:
            r = doc["edits"][key]
            out.append(
                f"| {title} | {r['seconds']:.3f} | {r['distance_rows']:,} | {r['match_units']:,} |"
            )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--edits", nargs="+", default=list(EDITS), choices=list(EDITS))
    p.add_argument("--name", default="infrastructure_edit_bench")
    args = p.parse_args(argv)
    url = kept_database_url(args.db)
    doc: dict[str, Any] = run_header(url) | {
        "db": args.db,
    }
    measured = measure(url, args.edits)
    doc["sites"] = measured.pop("sites")
    doc["edits"] = measured
    doc["load_end"] = _load()
    write_results(args.name, doc, markdown(doc))
    print(markdown(doc))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
