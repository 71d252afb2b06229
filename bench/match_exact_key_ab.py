"""The match statement before and after the exact space key (revision 0053), side by side on
one inventory (issue 24, item 3).

Before: revision 0052's space indexes, led by the space key as an expression over the district
code, availability, kind, building type and offer and carrying those five text columns, and
its statement: the key condition beside the five tests. After: as shipped (the key a column,
the five tests and columns gone). Both sides take the planner settings the engine sets. The
old indexes are built once at the start and dropped at the end; in each round each side hides
the other's indexes inside a transaction that is rolled back, the side that goes first
alternating. The ranked rows of both sides must be equal. Per side it records which index the
candidate scan used and whether a worker ran. The ranking statement alone, in process, no HTTP;
wall ms, median and p95, to ``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_exact_key_ab.py --db gis_app_bench_api_1000000_26631 --rounds 25

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.match_index_ab import REQUESTS  # noqa: E402
from bench.match_space_key_ab import measure_beside, report, run  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402

NEW_INDEXES = ("ix_match_unit_space", "ix_match_unit_space_key")
_UNITS = criteria.space_units()
_KEY = criteria.space_key(f"s.{c}" for c in criteria.SPACE_KEY_COLUMNS)
_RANGE = "vacant_gfa_m2, floor_height_m, floor_load_kg_m2, crane_t"
#: revision 0052's space indexes under other names, built for the run
OLD_INDEXES = {
    "ix_match_unit_space_0052": (
        "site_id, site_code, building_id, building_code, d_port, d_expressway, d_ferry,"
        " envelope, kind, planned_use, legacy_use, availability, readiness, shoreline_m,"
        " berth_dwt, water_depth_m, township, block, verified_at, building_type, min_split_m2,"
        " offer, power_kva, rent_yuan_m2_month, sale_yuan_m2, site_units, district_code"
    ),
    "ix_match_unit_space_key_0052": (
        "site_id, building_id, site_units, min_split_m2, power_kva, rent_yuan_m2_month,"
        " sale_yuan_m2, d_expressway, verified_at, district_code, availability, kind,"
        " building_type, offer, site_code, building_code"
    ),
}


def _side(key: str, side: str) -> tuple[str, dict[str, Any], str, tuple[str, ...]]:
    """One side's statement, binds, planner settings and the indexes it hides."""
    spec = parse_spec(REQUESTS[key][1])
    space = spec.need in criteria.SPACE_NEEDS
    sql, params = match_sql.statement(spec, space_keys=side == "after")
    if side == "before" and space:
        # revision 0052: the key condition beside the tests it stands for
        keys = criteria.accepted_space_keys(match_sql.UNIT, match_sql._ALL_DISTRICTS)
        assert sql.count(match_sql._EVERY_DISTRICT) == 1
        sql = sql.replace(
            match_sql._EVERY_DISTRICT,
            f"{match_sql._EVERY_DISTRICT}\n     AND {_KEY} = ANY({keys})",
        )
    worker = not match_sql.land_use_branches(spec.need, params)
    settings = match_engine.settings_sql(worker=worker, space=space)
    return sql, params, settings, NEW_INDEXES if side == "before" else tuple(OLD_INDEXES)


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request before and after."""
    key = criteria.space_key(criteria.SPACE_KEY_COLUMNS)
    indexes = {
        name: f"({key}, {_RANGE}) INCLUDE ({include}) WHERE {_UNITS}"
        for name, include in OLD_INDEXES.items()
    }
    return measure_beside(url, rounds, indexes, _side)


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    return report(
        doc,
        "the exact space key (revision 0053)",
        "indexes",
        "Before: revision 0052's space indexes (the key an expression, the five text columns"
        " carried) and its statement (the key beside the five tests). After: as shipped.",
    )


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_exact_key_ab", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
