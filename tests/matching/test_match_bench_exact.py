"""Matching stays exact while it is made faster (issue 24, item 3): on a 10k-site inventory built
by the benchmark's generator, the ranked lists (site, building, rank, score, near miss and the
constraint it fails) and both counts of a dozen requests — the benchmark's four, near misses
with a wide margin, long lists full of ties, custom weights, buildings, shorelines, islands,
GB 50137 codes, a berth class for plants — equal the figures the matcher gave before its
speed-ups (``match_bench_10k.json``), with and without a parallel worker and on the generic
plan as on the custom one.

The inventory is the same at every run (seeded points, hashed attributes); the only input that
moves with the calendar, the date each site was last verified (the freshness score reads its age),
is set relative to today for the sample sites as the generator does for its own.

Regenerate the expected figures only for a change that is meant to alter rankings (a criterion,
a weight, the generator)::

    python tests/matching/test_match_bench_exact.py     # writes match_bench_10k.json
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench package
from bench.api_bench import REQUIREMENTS as BENCH_REQUESTS
from bench.api_bench import build_database, drop_database, make_template
from gis_app.db.engine import make_engine
from gis_app.matching import bars
from gis_app.matching import engine as match_engine
from gis_app.matching import sql as match_sql
from gis_app.matching.engine import MatchResult, run_match
from gis_app.matching.spec import RequirementSpec, parse_spec

N = 10_000
EXPECTED = Path(__file__).with_name("match_bench_10k.json")

_PLANT = BENCH_REQUESTS["match_plant"][1]
#: name → (requirement, run_match options)
REQUESTS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    **{key: (body, {}) for key, (_title, body) in BENCH_REQUESTS.items()},
    "plant, 40 % margin, long lists": (
        _PLANT,
        {"margin_pct": 40, "limit": 200, "near_miss_limit": 100},
    ),
    "plant to buy, any size": (
        {"need": "plant", "tenure": "buy", "height_min_m": 10},
        {"limit": 200, "near_miss_limit": 50},
    ),
    "plant near a 30,000-DWT berth": (
        _PLANT | {"max_km_port": 60, "port_berth_dwt_min": 30000},
        {"margin_pct": 25, "limit": 50, "near_miss_limit": 50},
    ),
    "office for lease, rent cap": (
        {"need": "building", "tenure": "lease", "gfa_m2_min": 2500, "max_rent_yuan_m2_month": 15},
        {"limit": 100, "near_miss_limit": 50},
    ),
    "land by GB 50137 class, location weighted": (
        {
            "need": "land",
            "land_use_codes": ["M"],
            "land_mu_min": 20,
            "land_mu_max": 60,
            "preferred_townships": ["六横镇"],
        },
        {"limit": 100, "near_miss_limit": 30, "weights": {"location": 40, "price": 0}},
    ),
    "land, size only": (
        {
            "need": "land",
            "land_mu_min": 100,
            "land_mu_max": 120,
            "accept_availability": ["available", "reserved"],
        },
        {"limit": 200, "near_miss_limit": 100, "margin_pct": 15},
    ),
    "shoreline with a berth": (
        {"need": "shoreline", "berth_dwt_min": 10000, "water_depth_min_m": 12},
        {"limit": 100, "near_miss_limit": 50},
    ),
    "island": ({"need": "island", "land_mu_min": 10}, {"limit": 50, "near_miss_limit": 20}),
}


def _rows(items: list) -> list[list]:
    return [[m.rank, m.code, m.building_code, m.score, m.near_miss, m.failed] for m in items]


def figures(result: MatchResult) -> dict[str, Any]:
    """What must not change: both counts and both ranked lists."""
    return {
        "total_matches": result.total_matches,
        "total_near_misses": result.total_near_misses,
        "matches": _rows(result.matches),
        "near_misses": _rows(result.near_misses),
    }


def all_figures(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Every request's figures on the inventory ``conn`` reads."""
    out = {}
    for name, (body, options) in REQUESTS.items():
        out[name] = figures(run_match(conn, parse_spec(body), **options))
        conn.rollback()
    return out


def build(server_url: str, name: str) -> str:
    """The 10k bench inventory in database ``name`` (its template is dropped); its URL."""
    template = f"{name}_tpl"
    make_template(server_url, template)
    try:
        url, _ = build_database(server_url, template, name, N, log=lambda m: None)
    finally:
        drop_database(server_url, template)
    eng = make_engine(url)
    try:
        with eng.begin() as c:
            # the sample's own verification dates would make its freshness drift with the
            # calendar: give them ages, as the generator gives its sites
            c.execute(
                sa.text(
                    "UPDATE site SET verified_at = current_date - (id * 37 % 900)::int"
                    " WHERE code NOT LIKE 'BN-%'"
                )
            )
        with eng.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("ANALYZE"))
    finally:
        eng.dispose()
    return url


@pytest.fixture(scope="module")
def bench_url(server_url: str) -> Iterator[str]:
    name = f"gis_app_test_exact_{uuid.uuid4().hex[:8]}"
    try:
        yield build(server_url, name)
    finally:
        drop_database(server_url, name)


def _compare(got: dict[str, dict[str, Any]]) -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    assert set(got) == set(expected)
    for name in expected:
        assert got[name] == expected[name], name


@pytest.mark.slow
def test_rankings_and_counts_equal_the_figures_before_the_speed_ups(bench_url: str) -> None:
    eng = make_engine(bench_url)
    try:
        with eng.connect() as conn:
            got = all_figures(conn)
    finally:
        eng.dispose()
    # the figures are not trivial: long lists, near misses, ties in score
    assert sum(len(f["matches"]) for f in got.values()) > 500
    assert sum(len(f["near_misses"]) for f in got.values()) > 100
    scores = [row[3] for f in got.values() for row in f["matches"]]
    assert len(scores) - len(set(scores)) > 100
    _compare(got)


@pytest.mark.slow
def test_the_plan_does_not_change_the_figures(bench_url: str, monkeypatch) -> None:
    eng = make_engine(bench_url)
    try:
        with eng.connect() as conn:
            # a parallel worker on an inventory this small, and the generic plan
            monkeypatch.setattr(match_engine, "PARALLEL_FROM_UNITS", 1)
            monkeypatch.setattr(match_engine, "CUSTOM_PLANS_FROM_UNITS", 10**12)
            _compare(all_figures(conn))
    finally:
        eng.dispose()


@pytest.mark.slow
def test_a_kept_bar_changes_no_figure(bench_url: str) -> None:
    # the first run of each request keeps its bar, the second reads the matches above it
    bars.forget()
    eng = make_engine(bench_url)
    try:
        with eng.connect() as conn:
            cold = all_figures(conn)
            # a bar for every request that lists a match
            assert len(bars._KEPT) == sum(1 for f in cold.values() if f["matches"]) > 8
            warm = all_figures(conn)
    finally:
        eng.dispose()
    _compare(cold)
    _compare(warm)


def _barred(
    conn: sa.Connection, spec: RequirementSpec, options: dict[str, Any], bar: float
) -> tuple[list[tuple], bool | None, int]:
    """The barred statement's rows (without ``bar_held``), whether the bar held (None: no
    row), and how many candidates it collected to list."""
    query, params = match_sql.statement(spec, **options, bar=bar)
    rows = conn.execute(sa.text(query), params).all()
    held = rows[0].bar_held if rows else None
    main = query.rpartition("\nSELECT k.site_id")[0]
    collected = conn.execute(
        sa.text(main + "\nSELECT COALESCE(cardinality(listed), 0) FROM counts"), params
    ).scalar_one()
    return [tuple(r)[:-1] for r in rows], held, collected


@pytest.mark.slow
def test_any_bar_gives_the_same_lists_or_says_it_did_not_hold(bench_url: str) -> None:
    eng = make_engine(bench_url)
    pruned = 0
    try:
        with eng.connect() as conn:
            for name, (body, options) in REQUESTS.items():
                spec = parse_spec(body)
                opts = {
                    "margin": options.get("margin_pct", spec.near_miss_margin_pct) / 100.0,
                    "limit": options.get("limit", 20),
                    "nm_limit": options.get("near_miss_limit", 10),
                    "weights": spec.effective_weights(options.get("weights")),
                }
                query, params = match_sql.statement(spec, **opts)
                assert "bar" not in query
                plain = [tuple(r) for r in conn.execute(sa.text(query), params)]
                scores = [r[8] for r in plain if r[4] == 0]  # score, n_fail
                if not scores:  # nothing matches: any bar lists nothing, as none does
                    for bar in (0.0, 99.0):
                        rows, held, _ = _barred(conn, spec, opts, bar)
                        assert rows == plain and held in (True, None), name
                    continue
                last = min(scores)
                _, _, every = _barred(conn, spec, opts, -1e9)  # every match and near miss
                for bar in (last, last - bars.SLACK, last - 30, -1e9):
                    rows, held, collected = _barred(conn, spec, opts, bar)
                    assert held is True and rows == plain, (name, bar)
                    if bar == last:
                        pruned += every - collected
                # a bar the list no longer reaches (the inventory changed since it was kept)
                for bar in (last + 0.1, last + 5, 1e9):
                    _, held, _ = _barred(conn, spec, opts, bar)
                    assert held is not True, (name, bar)
                conn.rollback()
    finally:
        eng.dispose()
    assert pruned > 500  # the bar spares scoring most matches (plant: ~70 of 285 units)


if __name__ == "__main__":
    from gis_app.db import provision
    from gis_app.settings import DatabaseSettings

    status = provision.db_up(DatabaseSettings(), log=lambda m: None)
    db = f"gis_app_exact_{uuid.uuid4().hex[:8]}"
    try:
        engine = make_engine(build(status.url, db))
        with engine.connect() as conn:
            EXPECTED.write_text(
                json.dumps(all_figures(conn), ensure_ascii=False, indent=1) + "\n",
                encoding="utf-8",
            )
        engine.dispose()
    finally:
        drop_database(status.url, db)
    print(f"written: {EXPECTED}")
