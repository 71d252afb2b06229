"""The match statement before and after the space key (revision 0052), side by side on one
inventory (issue 24, item 3).

Before: revision 0045's space indexes keyed by availability, kind, building type and district
(text), the statement without the space key condition, the planner's own row cost. After: as
shipped (``ix_match_unit_space`` and ``ix_match_unit_space_key`` led by the space key, the keys
the need accepts, rows costed at ``SPACE_ROW_COST`` when a worker may help). The old indexes
are built once at the start and dropped at the end; in each round each side hides the other's
indexes inside a transaction that is rolled back, the side that goes first alternating. The
ranked rows of both sides must be equal. Per side it records which index the candidate scan
used and whether a worker ran.
The ranking statement alone, in process, no HTTP; wall ms, median and p95, to
``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_space_key_ab.py --db gis_app_bench_api_1000000_5246 --rounds 25

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import finish_run, kept_database_url, run_header  # noqa: E402
from bench.match_index_ab import REQUESTS, interleave  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402

NEW_INDEXES = ("ix_match_unit_space", "ix_match_unit_space_key")
_OLD_UNITS = "building_id IS NOT NULL AND vacant_gfa_m2 > 0 AND NOT blocked"
_OLD_KEYS = "availability, kind, building_type, district_code, vacant_gfa_m2"
#: revision 0045's space indexes (the full one under another name), built for the run
OLD_INDEXES = {
    "ix_match_unit_space_0045": (
        "site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry,"
        " envelope, planned_use, legacy_use, readiness, shoreline_m, berth_dwt, water_depth_m,"
        " township, block, verified_at, occupancy, min_split_m2, offer, floor_height_m,"
        " floor_load_kg_m2, crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units"
    ),
    "ix_match_unit_space_common": (
        "site_id, building_id, site_units, min_split_m2, floor_height_m, floor_load_kg_m2,"
        " crane_t, power_kva, rent_yuan_m2_month, sale_yuan_m2, d_expressway, verified_at,"
        " occupancy, offer, site_code, building_code"
    ),
}
SIDES: tuple[str, str] = ("before", "after")


def _side(key: str, side: str) -> tuple[str, dict[str, Any], str, tuple[str, ...]]:
    """One side's statement, binds, planner settings and the indexes it hides."""
    spec = parse_spec(REQUESTS[key][1])
    sql, params = match_sql.statement(spec, space_keys=side == "after")
    worker = not match_sql.land_use_branches(spec.need, params)
    space = spec.need in criteria.SPACE_NEEDS and side == "after"
    settings = match_engine.settings_sql(worker=worker, space=space)
    return sql, params, settings, NEW_INDEXES if side == "before" else tuple(OLD_INDEXES)


#: one side of a request: (request key, side) → its statement, binds, planner settings and the
#: indexes it hides
Side = Callable[[str, str], tuple[str, dict[str, Any], str, tuple[str, ...]]]


def measure_beside(url: str, rounds: int, indexes: dict[str, str], side: Side) -> dict[str, Any]:
    """Interleaved rounds of every request on both sides, with ``indexes`` (name → the rest of
    its ``CREATE INDEX name ON match_unit ...``) built for the run and dropped after it."""

    def prepare(c: sa.Connection, key: str, which: str) -> tuple[str, dict[str, Any]]:
        sql, params, settings, hidden = side(key, which)
        for name in hidden:
            c.exec_driver_sql(f"DROP INDEX {name}")
        c.exec_driver_sql(settings)
        return sql, params

    eng = make_engine(url)
    try:
        with eng.connect() as c:
            for name, definition in indexes.items():
                c.exec_driver_sql(f"CREATE INDEX {name} ON match_unit {definition}")
            c.exec_driver_sql("ANALYZE match_unit")
            c.commit()
            try:
                return interleave(c, list(REQUESTS), SIDES, prepare, rounds)
            finally:
                c.rollback()
                for name in indexes:
                    c.exec_driver_sql(f"DROP INDEX IF EXISTS {name}")
                c.commit()
    finally:
        eng.dispose()


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request before and after."""
    indexes = {
        name: f"({_OLD_KEYS}) INCLUDE ({include}) WHERE {_OLD_UNITS}"
        for name, include in OLD_INDEXES.items()
    }
    return measure_beside(url, rounds, indexes, _side)


def table(doc: dict[str, Any]) -> list[str]:
    """The Markdown table of a before/after run: per request each side's p50 / p95, indexes and
    worker, and the ratio of the p50s."""
    out = [
        "| request | before: p50 / p95 ms (index; worker) | after: p50 / p95 ms (index; worker)"
        " | after ÷ before (p50) |",
        "|---|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUESTS.items():
        cells = []
        for side in SIDES:
            w = doc["wall_ms"][key][side]
            ix = ", ".join(doc["indexes"][key][side])
            worker = "worker" if doc["workers"][key][side] else "no worker"
            cells.append(f"{w['median']} / {w['p95']} ({ix}; {worker})")
        ratio = doc["wall_ms"][key]["after"]["median"] / doc["wall_ms"][key]["before"]["median"]
        out.append(f"| {title} | {cells[0]} | {cells[1]} | {ratio:.2f} |")
    return out


def run(
    argv: list[str] | None,
    doc: str,
    name: str,
    measure: Callable[[str, int], dict[str, Any]],
    markdown: Callable[[dict[str, Any]], str],
) -> int:
    """The command line of a before/after bench: measure, write the results."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--name", default=name)
    args = p.parse_args(argv)
    url = kept_database_url(args.db)
    out: dict[str, Any] = run_header(url) | {"db": args.db, "rounds": args.rounds}
    out |= measure(url, args.rounds)
    finish_run(args.name, out, markdown)
    return 0


def report(doc: dict[str, Any], change: str, hidden: str, sides: str) -> str:
    """A before/after run as Markdown: its title (what ``change`` was measured), the run, how
    each side hides the other's ``hidden`` (index or indexes), what the ``sides`` are, and the
    table."""
    out = [
        f"# Match statement before and after {change}, {doc['started']}",
        "",
        f"Inventory `{doc['db']}`. Machine: {doc['machine']}. Load average at start"
        f" {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds"
        f" after 2 warm-ups (each side hides the other's {hidden} in a transaction rolled back"
        " after the statement); the ranking statement in process (no explanations, no HTTP);"
        f" ranked rows equal on both sides in every round. {sides}",
        "",
        *table(doc),
    ]
    return "\n".join(out) + "\n"


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    return report(
        doc,
        "the space key (revision 0052)",
        "index",
        "Before: revision 0045's text-keyed space indexes, no space key condition, the planner's"
        " row cost. After: as shipped.",
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_space_key_ab", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
