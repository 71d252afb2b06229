"""A match with only the criteria that apply, against one that asks every criterion in SQL, side by
side on one inventory (issue 24, item 3).

Before: the ranking and explanation statements of every requirement hold every criterion, each
wrapped in its ``applies`` condition (folded by the planner, but parsed, planned and, where it
leaves a ``+ 0``, evaluated per candidate). After: as shipped — the statements built for the
set of criteria that apply (``gis_app.matching.sql.applying``). Per request and side, in
interleaved rounds (the side that goes first alternating, 2 warm-ups): the whole in-process
match (``run_match``: both statements as prepared statements, the explanations' Python) and the
ranking statement alone; the results of both sides must be equal in every round. Wall ms,
median and p95, to ``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_applying_ab.py --db gis_app_bench_api_1000000_12834 --rounds 25

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.api_bench import median_p95  # noqa: E402
from bench.match_index_ab import REQUESTS  # noqa: E402
from bench.match_space_key_ab import run  # noqa: E402
from gis_app.db import prepared  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import bars  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.engine import MatchResult  # noqa: E402
from gis_app.matching.spec import RequirementSpec, parse_spec  # noqa: E402

SIDES = ("before", "after")
_SHIPPED = match_sql.applying


@contextmanager
def _side(side: str) -> Iterator[None]:
    """Within: statements as on ``side`` (before: no criterion known to apply or not)."""
    match_sql.applying = _SHIPPED if side == "after" else (lambda params: None)  # type: ignore[assignment]
    try:
        yield
    finally:
        match_sql.applying = _SHIPPED


def timed_match(
    c: sa.Connection,
    spec: RequirementSpec,
    statement: tuple[str, dict[str, Any]],
    before_match: Callable[[], None] = lambda: None,
) -> tuple[float, float, MatchResult]:
    """The wall ms of the ranking ``statement`` (prepared, with the settings ``run_match``
    sends), then, after ``before_match()``, of the whole ``run_match`` of ``spec``, and its
    result; each in a transaction rolled back after it."""
    sql, params = statement
    settings = match_engine.settings_sql(
        worker=not match_sql.land_use_branches(spec.need, params),
        space=spec.need in criteria.SPACE_NEEDS,
    )
    t = time.perf_counter()
    prepared.execute(c, sql, params, match_sql.BIND_TYPES, plan=None, before=settings)
    stmt_ms = (time.perf_counter() - t) * 1000
    c.rollback()
    before_match()
    t = time.perf_counter()
    result = match_engine.run_match(c, spec)
    match_ms = (time.perf_counter() - t) * 1000
    c.rollback()
    return stmt_ms, match_ms, result


def in_process_intro(doc: dict[str, Any], title: str, sides: str) -> list[str]:
    """The first lines of an in-process before/after run's Markdown: its ``title``, the run,
    and what the ``sides`` are."""
    return [
        f"# {title}, {doc['started']}",
        "",
        f"Inventory `{doc['db']}`. Machine: {doc['machine']}. Load average at start"
        f" {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds"
        " after 2 warm-ups, in process (no HTTP); both sides' results equal in every round."
        f" {sides}",
        "",
    ]


#: one side of one request in a round: (connection, request key, spec, side, round) → the
#: ranking statement's ms, the whole match's ms and its result (:func:`timed_match`)
RunSide = Callable[
    [sa.Connection, str, RequirementSpec, str, int], tuple[float, float, MatchResult]
]


def interleaved(url: str, rounds: int, sides: tuple[str, str], run_side: RunSide) -> dict[str, Any]:
    """Rounds of every request on both ``sides`` (the side that goes first alternating; two
    warm-up rounds); the results of both sides must be equal in every round. The ranking
    statement's and the whole match's ms per request and side, median and p95."""
    match: dict[str, dict[str, list[float]]] = {k: {s: [] for s in sides} for k in REQUESTS}
    ranking: dict[str, dict[str, list[float]]] = {k: {s: [] for s in sides} for k in REQUESTS}
    eng = make_engine(url)
    try:
        with eng.connect() as c:
            for r in range(rounds + 2):
                order = sides if r % 2 == 0 else sides[::-1]
                for key, (_title, body) in REQUESTS.items():
                    spec = parse_spec(body)
                    got = {}
                    for side in order:
                        stmt_ms, match_ms, result = run_side(c, key, spec, side, r)
                        got[side] = result.to_dict()
                        if r >= 2:
                            ranking[key][side].append(stmt_ms)
                            match[key][side].append(match_ms)
                    if got[sides[0]] != got[sides[1]]:
                        raise RuntimeError(f"{key}: the two sides matched differently")
    finally:
        eng.dispose()
    return {"match_ms": median_p95(match), "ranking_ms": median_p95(ranking)}


def pair(x: dict[str, dict[str, float]], sides: tuple[str, str]) -> str:
    """Both sides' median / p95 of one measure, ``before → after``."""
    b, a = x[sides[0]], x[sides[1]]
    return f"{b['median']} / {b['p95']} → {a['median']} / {a['p95']}"


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request on both sides."""
    text_kb: dict[str, dict[str, float]] = {k: {} for k in REQUESTS}

    def run_side(
        c: sa.Connection, key: str, spec: RequirementSpec, side: str, r: int
    ) -> tuple[float, float, MatchResult]:
        with _side(side):
            sql, params = match_sql.statement(spec)
            text_kb[key][side] = round(len(sql) / 1024, 1)
            # both sides as first runs (no kept bar: match_bar_ab.py)
            return timed_match(c, spec, (sql, params), bars.forget)

    return interleaved(url, rounds, SIDES, run_side) | {"statement_kb": text_kb}


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        *in_process_intro(
            doc,
            "A match with only the criteria that apply",
            "Before: every criterion in both statements, each asking in SQL whether it applies."
            " After: as shipped, only the criteria that apply.",
        ),
        "| request | ranking statement KB, before → after | ranking statement p50 / p95 ms,"
        " before → after | whole match p50 / p95 ms, before → after | after ÷ before (match p50) |",
        "|---|---:|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUESTS.items():
        kb = doc["statement_kb"][key]
        st, m = doc["ranking_ms"][key], doc["match_ms"][key]

        ratio = m["after"]["median"] / m["before"]["median"]
        out.append(
            f"| {title} | {kb['before']} → {kb['after']} | {pair(st, SIDES)}"
            f" | {pair(m, SIDES)} | {ratio:.2f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_applying_ab", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
