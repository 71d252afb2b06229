"""A match run the first time (no bar) against the same match run again (with the bar its last
run kept, ``gis_app.matching.bars``), side by side on one inventory (issue 24, item 3).

First: every kept bar forgotten before the run, and no bar sampled (as before revision 0059;
``bench/match_first_run_ab.py`` measures the sampled bar) — the ranking statement reads the
candidates into a kept set that the counts and both lists read again. Again: as shipped for a
repeated match — the barred statement reads them once, counting them and collecting only the
near misses and the matches that may reach the bar. Per request and side, in interleaved rounds
(the side that goes first alternating, 2 warm-ups): the whole in-process match (``run_match``)
and the ranking statement alone; the results of both sides must be equal in every round, and
how many candidates the barred statement collected is recorded. Wall ms, median and p95, to
``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_bar_ab.py --db gis_app_bench_api_1000000_13465 --rounds 25

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.match_applying_ab import in_process_intro, interleaved, pair, timed_match  # noqa: E402
from bench.match_index_ab import REQUESTS  # noqa: E402
from bench.match_space_key_ab import run  # noqa: E402
from gis_app.matching import bars  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.engine import MatchResult  # noqa: E402
from gis_app.matching.spec import RequirementSpec  # noqa: E402

SIDES = ("first", "again")


def _collected(c: sa.Connection, query: str, params: dict[str, Any]) -> int:
    """How many candidates the barred statement ``query`` collects to list."""
    main = query.rpartition("\nSELECT k.site_id")[0]
    sql = main + "\nSELECT COALESCE(cardinality(listed), 0) FROM counts"
    return c.execute(sa.text(sql), params).scalar_one()


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request on both sides."""
    collected: dict[str, dict[str, Any]] = {}
    match_engine.SAMPLED_BAR_FROM_UNITS = float("inf")  # a first run takes no bar

    def run_side(
        c: sa.Connection, key: str, spec: RequirementSpec, side: str, r: int
    ) -> tuple[float, float, MatchResult]:
        if side == "first":
            bars.forget()
        else:  # the bar a run keeps (the first side may have dropped it)
            match_engine.run_match(c, spec)
            c.rollback()
        bar = bars.kept(bars.key(c, *match_sql.statement(spec)))
        query, binds = match_sql.statement(
            spec,
            bar=None if bar is None else bar.score,
            cheapest_at_most=None if bar is None else bar.cheapest,
        )
        timed = timed_match(
            c, spec, (query, binds), bars.forget if side == "first" else lambda: None
        )
        if r == 0 and bar is not None:
            collected[key] = {
                "collected": _collected(c, query, binds),
                "candidates": _collected(c, *match_sql.statement(spec, bar=-1e9)),
                "bar": bar.score,
            }
            c.rollback()
        return timed

    return interleaved(url, rounds, SIDES, run_side) | {"collected": collected}


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        *in_process_intro(
            doc,
            "A match run the first time and again, with the bar it kept",
            "First: no bar kept. Again: the bar the last run kept (its last listed match's"
            f" score less {bars.SLACK:g}).",
        ),
        "| request | bar | near misses and matches that may reach it, collected of all"
        " | ranking statement p50 / p95 ms, first → again | whole match p50 / p95 ms,"
        " first → again | again ÷ first (match p50) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUESTS.items():
        st, m = doc["ranking_ms"][key], doc["match_ms"][key]
        seen = doc["collected"].get(key)

        ratio = m["again"]["median"] / m["first"]["median"]
        bar = f"{seen['bar']:.1f}" if seen else "— (nothing matches)"
        kept = f"{seen['collected']:,} of {seen['candidates']:,}" if seen else "—"
        out.append(
            f"| {title} | {bar} | {kept} | {pair(st, SIDES)} | {pair(m, SIDES)} | {ratio:.2f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_bar_ab", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
