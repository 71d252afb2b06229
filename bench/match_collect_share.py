"""What a barred statement costs by the share of the candidates it collects, against the
statement without a bar, on one inventory (issue 24, item 3): where a first run's sampled bar
stops paying (``gis_app.matching.engine.MAX_COLLECTED_SHARE``).

Per space request of the benchmark, the ranking statement without a bar and barred statements
with bars from far below the list's last to near it (the price ceiling at the cheapest match),
in interleaved rounds (the order reversed every other round, 2 warm-ups), prepared, with the
settings ``run_match`` sends; how many rows each bar collects is recorded. Wall ms, median, to
``bench/results/<name>.{json,md}``::

    .venv/bin/python bench/match_collect_share.py --db gis_app_bench_api_1000000_19497

The server is the private cluster, or the one of ``GIS_APP_PG_DATA_DIR`` / ``GIS_APP_PG_PORT``.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.match_bar_ab import _collected  # noqa: E402
from bench.match_index_ab import REQUESTS  # noqa: E402
from bench.match_space_key_ab import run  # noqa: E402
from gis_app.db import prepared  # noqa: E402
from gis_app.db.engine import make_engine  # noqa: E402
from gis_app.domain import match_criteria as criteria  # noqa: E402
from gis_app.matching import engine as match_engine  # noqa: E402
from gis_app.matching import sql as match_sql  # noqa: E402
from gis_app.matching.spec import parse_spec  # noqa: E402

#: the bars, as points below the list's last score (None: the statement without a bar)
BELOW = (None, 50.0, 30.0, 20.0, 15.0, 10.0, 5.0, 1.0)


def measure(url: str, rounds: int) -> dict[str, Any]:
    """Interleaved rounds of every space request's statements."""
    out: dict[str, Any] = {"requests": {}}
    eng = make_engine(url)
    settings = match_engine.settings_sql(worker=True, space=True)
    try:
        with eng.connect() as c:
            for key, (title, body) in REQUESTS.items():
                spec = parse_spec(body)
                if spec.need not in criteria.SPACE_NEEDS:
                    continue
                query, params = match_sql.statement(spec)
                plain = c.execute(sa.text(query), params).mappings().all()
                c.rollback()
                last = min(r["score"] for r in plain if r["n_fail"] == 0)
                cheapest = plain[0]["cheapest"]
                statements = {
                    below: match_sql.statement(
                        spec,
                        bar=None if below is None else last - below,
                        cheapest_at_most=None if below is None else cheapest,
                    )
                    for below in BELOW
                }
                every = _collected(c, *match_sql.statement(spec, bar=-1e9))
                collected = {b: _collected(c, *st) for b, st in statements.items() if b}
                c.rollback()
                ms: dict[Any, list[float]] = {b: [] for b in BELOW}
                for r in range(rounds + 2):
                    for below in BELOW if r % 2 == 0 else BELOW[::-1]:
                        t = time.perf_counter()
                        prepared.execute(
                            c, *statements[below], match_sql.BIND_TYPES, before=settings, plan=None
                        )
                        ms[below].append((time.perf_counter() - t) * 1000)
                        c.rollback()
                out["requests"][key] = {
                    "title": title,
                    "last": last,
                    "candidates": every,
                    "rows": [
                        {
                            "below": b,
                            "collected": collected.get(b),
                            "median_ms": round(statistics.median(ms[b][2:]), 1),
                        }
                        for b in BELOW
                    ],
                }
    finally:
        eng.dispose()
    return out


def markdown(doc: dict[str, Any]) -> str:
    """The figures as Markdown tables, one per request."""
    out = [
        f"# A barred statement by the share it collects, {doc['started']}",
        "",
        f"Inventory `{doc['db']}`. Machine: {doc['machine']}. Load average at start"
        f" {doc['load_start']}, at end {doc['load_end']}. {doc['rounds']} interleaved rounds"
        " after 2 warm-ups, the ranking statement alone, prepared, in process; the price"
        " ceiling at the cheapest match.",
    ]
    for req in doc["requests"].values():
        plain = req["rows"][0]["median_ms"]
        out += [
            "",
            f"**{req['title']}** (list's last {req['last']}, {req['candidates']:,} candidates"
            " collected at a bar of −∞)",
            "",
            "| bar | rows collected | share | ms (median) | ÷ without a bar |",
            "|---|---:|---:|---:|---:|",
        ]
        for row in req["rows"]:
            if row["below"] is None:
                out.append(f"| none | — | — | {plain} | 1.00 |")
                continue
            share = row["collected"] / req["candidates"]
            out.append(
                f"| last − {row['below']:g} | {row['collected']:,} | {share:.0%}"
                f" | {row['median_ms']} | {row['median_ms'] / plain:.2f} |"
            )
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Measure and write the results."""
    return run(argv, __doc__ or "", "match_collect_share", measure, markdown)


if __name__ == "__main__":
    raise SystemExit(main())
