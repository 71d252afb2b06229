"""The match statement with and without one candidate index, side by side on one inventory
(issue 24, item 3; first written for revision 0045's narrow space index).

Each round runs every request on both sides, the side that goes first alternating: "without"
drops the index inside a transaction that is rolled back (the planner then takes what it had
before; nothing changes for other sessions but a brief lock), "with" runs as shipped. The
ranked rows of both sides must be equal. Per side it records which index the candidate scan
used. The ranking statement alone, in process, no HTTP; wall ms, median and p95, to
``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_index_ab.py --db gis_app_bench_api_1000000_26744 \\
        --index ix_match_unit_space_key --rounds 20

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import finish_run, kept_database_url, median_p95, run_header  # noqa: E402
from bench.match_1m import REQUIREMENTS  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402

#: the bench's requests, and the any-type plant request with a preferred township (it reads the
#: unit's township, which only the full space index holds: a control, the same plan both sides)
_PLANT = REQUIREMENTS["match_plant"]
REQUESTS: dict[str, tuple[str, dict[str, Any]]] = REQUIREMENTS | {
    "match_plant_township": (
        _PLANT[0] + ", preferring 展茅街道",
        _PLANT[1] | {"preferred_townships": ["展茅街道"]},
    ),
}
_SCAN = re.compile(r"(?:Index Only Scan|Index Scan|Bitmap Index Scan) (?:Backward )?using (\w+)")


def _candidate_indexes(conn: sa.Connection, sql: str, params: dict[str, Any]) -> list[str]:
    plan = conn.execute(sa.text("EXPLAIN " + sql), params).scalars().all()
    return sorted({m.group(1) for line in plan for m in _SCAN.finditer(line)})


#: one side of a request: (connection, request key, side) → the statement and its binds, after
#: whatever the side changes in the open transaction (rolled back after the statement)
Prepare = Callable[[sa.Connection, str, str], tuple[str, dict[str, Any]]]


def interleave(
    c: sa.Connection, keys: list[str], sides: tuple[str, str], prepare: Prepare, rounds: int
) -> dict[str, Any]:
    """Rounds of every request on both sides, the side that goes first alternating; two
    warm-up rounds. Each side's statement runs in a transaction rolled back after it; the ranked
    rows of both sides must be equal. Returns the wall ms per request and side, the listed rows,
    and, from the first round, the indexes the plan read and whether a worker ran."""
    wall: dict[str, dict[str, list[float]]] = {k: {s: [] for s in sides} for k in keys}
    used: dict[str, dict[str, list[str]]] = {k: {} for k in keys}
    workers: dict[str, dict[str, bool]] = {k: {} for k in keys}
    rows: dict[str, int] = {}
    for r in range(rounds + 2):
        order = sides if r % 2 == 0 else sides[::-1]
        for key in keys:
            got = {}
            for side in order:
                sql, params = prepare(c, key, side)
                t = time.perf_counter()
                res = c.execute(sa.text(sql), params).all()
                ms = (time.perf_counter() - t) * 1000
                if r == 0:
                    used[key][side] = _candidate_indexes(c, sql, params)
                    plan = c.execute(sa.text("EXPLAIN (ANALYZE) " + sql), params).scalars()
                    workers[key][side] = "Workers Launched: 1" in "\n".join(plan)
                c.rollback()
                got[side] = [tuple(x) for x in res]
                if r >= 2:
                    wall[key][side].append(ms)
            if got[sides[0]] != got[sides[1]]:
                raise RuntimeError(f"{key}: the two sides ranked differently")
            rows[key] = len(got[sides[1]])
    return {"listed": rows, "indexes": used, "workers": workers, "wall_ms": median_p95(wall)}


def measure(url: str, index: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request with ``index`` hidden and present."""
    statements = {k: match_sql.statement(parse_spec(body)) for k, (_t, body) in REQUESTS.items()}

    def prepare(c: sa.Connection, key: str, side: str) -> tuple[str, dict[str, Any]]:
        if side == "without":
            c.exec_driver_sql(f"DROP INDEX {index}")
        match_engine.apply_settings(c)
        return statements[key]

    eng = make_engine(url)
    try:
        with eng.connect() as c:
            return interleave(c, list(REQUESTS), ("without", "with"), prepare, rounds)
    finally:
        eng.dispose()


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        f"# Match statement without and with `{doc['index']}`, {doc['started']}",
        "",
        f"Inventory `{doc['db']}`. Machine: {doc['machine']}. Load average at start"
        f" {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds"
        " after 2 warm-ups (without: the index dropped in a transaction rolled back after the"
        " statement); the ranking statement in process (no explanations, no HTTP); ranked rows"
        " equal on both sides in every round.",
        "",
        "| request | without: p50 / p95 ms (indexes) | with: p50 / p95 ms (indexes)"
        " | with ÷ without (p50) |",
        "|---|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUESTS.items():
        w, n = doc["wall_ms"][key]["with"], doc["wall_ms"][key]["without"]
        iw = ", ".join(doc["indexes"][key]["with"])
        inn = ", ".join(doc["indexes"][key]["without"])
        out.append(
            f"| {title} | {n['median']} / {n['p95']} ({inn}) | {w['median']} / {w['p95']} ({iw})"
            f" | {w['median'] / n['median']:.2f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--db", required=True)
    p.add_argument("--index", required=True)
    p.add_argument("--rounds", type=int, default=20)
    p.add_argument("--name", default="match_space_index_ab")
    args = p.parse_args(argv)
    url = kept_database_url(args.db)
    doc: dict[str, Any] = run_header(url) | {
        "db": args.db,
        "index": args.index,
        "rounds": args.rounds,
    }
    doc |= measure(url, args.index, args.rounds)
    finish_run(args.name, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
