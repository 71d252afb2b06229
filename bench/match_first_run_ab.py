"""A match run for the first time without a bar against one with a bar taken from a sample of
its candidates (``gis_app.matching.sql.bar_probe``), side by side on one inventory (issue 24,
item 3).

Both sides are first runs: every kept bar is forgotten before each. Plain: the statement
without a bar (as before revision 0059). Sampled: as shipped on a large inventory — a space
need without a berth class first sends the probe (the cheapest matching price's floor read in
price order, a sample of the first candidates of its scan scored against it), then the barred
statement with the probe's bar (the plain one too if the bar did not hold). Per request and
side, in interleaved rounds (the side that goes first alternating, 2 warm-ups): the ranking
statements alone (probe and barred, or plain) and the whole in-process match (``run_match``);
the results of both sides must be equal in every round. Recorded once per request: the probe's
bar, the list's last score, the probe's floor against the cheapest match, the rows the barred
statement collected. Wall ms, median and p95, to ``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_first_run_ab.py --db gis_app_bench_api_1000000_19497 --rounds 25

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.match_applying_ab import in_process_intro, interleaved, pair  # noqa: E402
from bench.match_bar_ab import _collected  # noqa: E402
from bench.match_index_ab import REQUESTS  # noqa: E402
from bench.match_space_key_ab import run  # noqa: E402
from gis_app.db import prepared  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import bars  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.engine import MatchResult  # noqa: E402
from gis_app.matching.spec import RequirementSpec  # noqa: E402

SIDES = ("plain", "sampled")


@contextlib.contextmanager
def _side(side: str) -> Iterator[None]:
    """The match as on ``side``: the sampled bar of a first run on, or off."""
    shipped = match_engine.SAMPLED_BAR_FROM_UNITS
    if side == "plain":
        match_engine.SAMPLED_BAR_FROM_UNITS = float("inf")
    try:
        yield
    finally:
        match_engine.SAMPLED_BAR_FROM_UNITS = shipped


def _ranking(c: sa.Connection, spec: RequirementSpec, side: str) -> tuple[float, dict[str, Any]]:
    """The wall ms of the ranking statements a first run on ``side`` sends (prepared, with
    the settings ``run_match`` sends), and what the sampled side's probe gave."""
    space = spec.need in criteria.SPACE_NEEDS
    query, params = match_sql.statement(spec)
    worker = not match_sql.land_use_branches(spec.need, params)
    settings = match_engine.settings_sql(worker=worker, space=space)
    probe = match_sql.bar_probe(spec) if side == "sampled" else None
    seen: dict[str, Any] = {"probe": probe is not None}
    t = time.perf_counter()
    if probe is not None:
        serial = match_engine.settings_sql(worker=False, space=True)
        rows = prepared.execute(c, *probe, match_sql.BIND_TYPES, plan="custom", before=serial)
        if rows:
            seen |= {
                "bar": float(rows[0]["bar"]),
                "floor": rows[0]["cheapest"],
                "ceiling": rows[0]["cheapest_at_most"],
            }
            barred = match_sql.statement(spec, bar=seen["bar"], cheapest_at_most=seen["ceiling"])
            ranked = prepared.execute(c, *barred, match_sql.BIND_TYPES, plan=None, before=settings)
            seen["held"] = bool(ranked and ranked[0]["bar_held"])
    if not seen.get("held"):
        prepared.execute(c, query, params, match_sql.BIND_TYPES, plan=None, before=settings)
    ms = (time.perf_counter() - t) * 1000
    c.rollback()
    return ms, seen


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every request on both sides."""
    probed: dict[str, dict[str, Any]] = {}

    def run_side(
        c: sa.Connection, key: str, spec: RequirementSpec, side: str, r: int
    ) -> tuple[float, float, MatchResult]:
        with _side(side):
            stmt_ms, seen = _ranking(c, spec, side)
            bars.forget()
            t = time.perf_counter()
            result = match_engine.run_match(c, spec)
            match_ms = (time.perf_counter() - t) * 1000
            c.rollback()
            bars.forget()
        if r == 0 and side == "sampled":
            query, params = match_sql.statement(spec)
            plain = [dict(x) for x in c.execute(sa.text(query), params).mappings()]
            listed = [x["score"] for x in plain if x["n_fail"] == 0]
            probed[key] = seen | {
                "last": min(listed) if listed else None,
                "cheapest": plain[0]["cheapest"] if plain else None,
                "candidates": _collected(c, *match_sql.statement(spec, bar=-1e9)),
            }
            if "bar" in seen:
                probed[key]["collected"] = _collected(
                    c,
                    *match_sql.statement(spec, bar=seen["bar"], cheapest_at_most=seen["ceiling"]),
                )
            c.rollback()
        return stmt_ms, match_ms, result

    return interleaved(url, rounds, SIDES, run_side) | {"probed": probed}


def markdown(doc: dict[str, Any]) -> str:
    """The figures as a Markdown table."""
    out = [
        *in_process_intro(
            doc,
            "A match run for the first time, without a bar and with one from a sample",
            "Plain: the statement without a bar. Sampled: the probe (a sample of"
            f" {match_sql.SAMPLE_UNITS} candidates, {match_sql.PRICED_UNITS} priced units read"
            " for a floor of the cheapest match), then the barred statement.",
        ),
        "| request | sampled bar / list's last | floor / cheapest match | rows collected of all"
        " | ranking statements p50 / p95 ms, plain → sampled | whole match p50 / p95 ms,"
        " plain → sampled | sampled ÷ plain (match p50) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for key, (title, _b) in REQUESTS.items():
        st, m = doc["ranking_ms"][key], doc["match_ms"][key]
        seen = doc["probed"].get(key, {})
        ratio = m["sampled"]["median"] / m["plain"]["median"]
        if "bar" in seen:
            held = "" if seen.get("held") else " (did not hold)"
            bar = f"{seen['bar']:.1f} / {seen['last']:.1f}{held}"
            floor = f"{seen['floor']} / {seen['cheapest']}"
            kept = f"{seen['collected']:,} of {seen['candidates']:,}"
        else:
            bar = "— (too few in the sample)" if seen.get("probe") else "— (no probe)"
            floor = kept = "—"
        out.append(
            f"| {title} | {bar} | {floor} | {kept} | {pair(st, SIDES)} | {pair(m, SIDES)}"
            f" | {ratio:.2f} |"
        )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_first_run_ab", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
