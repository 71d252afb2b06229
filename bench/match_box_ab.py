"""The match statement before and after revision 0042 (a match unit's envelope as a ``box``),
side by side on two copies of one kept inventory (issue 24, item 3).

``--before``: a copy at revision 0041 (``CREATE DATABASE … TEMPLATE``, then ``gis-app db
downgrade 0041``), with the statement of a checkout before the revision (``--before-sql``: a
JSON file of ``{request: {"sql", "params"}}`` written by that checkout, see ``render``);
``--after``: the inventory at the head, with this checkout's statement. Interleaved rounds, the
side that goes first alternating; the ranked rows of both sides must be equal. The ranking
statement alone (the explanations' statement did not change), in process, no HTTP; wall ms,
median and p95, to ``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_box_ab.py --before-db gis_app_bench_ab_geometry \\
        --before-sql /tmp/old_stmts.json --after-db gis_app_bench_api_1000000_26744
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import finish_run, median_p95, run_header  # noqa: E402
from bench.match_1m import REQUIREMENTS, stages  # noqa: E402
from gis_app.db import provision  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.settings import DatabaseSettings  # noqa: E402


def _ranking_statements() -> dict[str, dict[str, Any]]:
    """This checkout's ranking statement and binds of each request (each built once)."""
    out = {}
    for key, (_title, body) in REQUIREMENTS.items():
        statements, params = stages(body)
        out[key] = {"sql": statements["ranked"], "params": params}
    return out


def render(path: Path) -> None:
    """Write this checkout's ranking statements and binds to ``path`` (JSON)."""
    path.write_text(json.dumps(_ranking_statements(), default=str), encoding="utf-8")


def measure(before_url: str, before: dict, after_url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of the four ranking statements on both copies."""
    after = _ranking_statements()
    engines = {"before": make_engine(before_url), "after": make_engine(after_url)}
    sides = {"before": before, "after": after}
    wall: dict[str, dict[str, list[float]]] = {k: {"before": [], "after": []} for k in REQUIREMENTS}
    rows: dict[str, dict[str, int]] = {}
    try:
        conns = {side: eng.connect() for side, eng in engines.items()}
        for r in range(rounds + 2):
            order = ("before", "after") if r % 2 == 0 else ("after", "before")
            for key in REQUIREMENTS:
                got = {}
                for side in order:
                    c = conns[side]
                    stmt = sides[side][key]
                    match_engine.apply_settings(c)
                    t = time.perf_counter()
                    res = c.execute(sa.text(stmt["sql"]), stmt["params"]).all()
                    ms = (time.perf_counter() - t) * 1000
                    c.rollback()
                    got[side] = [tuple(x) for x in res]
                    if r >= 2:
                        wall[key][side].append(ms)
                if got["before"] != got["after"]:
                    raise RuntimeError(f"{key}: the two sides ranked differently")
                rows[key] = {"listed": len(got["after"])}
        for c in conns.values():
            c.close()
    finally:
        for eng in engines.values():
            eng.dispose()
    return {
        "rows": rows,
        "wall_ms": median_p95(wall),
    }


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        f"# Match statement, envelope as geometry vs box (revision 0042), {doc['started']}",
        "",
        f"Before: `{doc['before_db']}` (revision 0041, the statement before 0042); after:"
        f" `{doc['after_db']}` (head). Machine: {doc['machine']}. Load average at start"
        f" {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds"
        " after 2 warm-ups; the ranking statement in process (no explanations, no HTTP); ranked"
        " rows equal on both sides in every round.",
        "",
        "| request | before p50 / p95 ms | after p50 / p95 ms | after ÷ before (p50) |",
        "|---|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUIREMENTS.items():
        b, a = doc["wall_ms"][key]["before"], doc["wall_ms"][key]["after"]
        out.append(
            f"| {title} | {b['median']} / {b['p95']} | {a['median']} / {a['p95']}"
            f" | {a['median'] / b['median']:.2f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure (or ``--render`` this checkout's statements)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--render", type=Path, help="only write this checkout's statements here")
    p.add_argument("--before-db")
    p.add_argument("--before-sql", type=Path)
    p.add_argument("--after-db")
    p.add_argument("--rounds", type=int, default=30)
    p.add_argument("--name", default="match_box_ab")
    args = p.parse_args(argv)
    if args.render:
        render(args.render)
        return 0
    st = provision.db_up(DatabaseSettings(), log=lambda m: None)
    base = make_url(st.url)
    before_url = base.set(database=args.before_db).render_as_string(hide_password=False)
    after_url = base.set(database=args.after_db).render_as_string(hide_password=False)
    doc: dict[str, Any] = run_header(after_url) | {
        "before_db": args.before_db,
        "after_db": args.after_db,
        "rounds": args.rounds,
    }
    before = json.loads(args.before_sql.read_text(encoding="utf-8"))
    doc |= measure(before_url, before, after_url, args.rounds)
    finish_run(args.name, doc, markdown)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
