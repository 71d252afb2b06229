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


def _statement_options(spec: RequirementSpec, options: dict[str, Any]) -> dict[str, Any]:
    """The options of :func:`match_sql.statement` that ``run_match(**options)`` sends."""
    return {
        "margin": options.get("margin_pct", spec.near_miss_margin_pct) / 100.0,
        "limit": options.get("limit", 20),
        "nm_limit": options.get("near_miss_limit", 10),
        "weights": spec.effective_weights(options.get("weights")),
    }


def _barred(
    conn: sa.Connection,
    spec: RequirementSpec,
    options: dict[str, Any],
    bar: float,
    ceiling: float | None = None,
) -> tuple[list[tuple], bool | None, int]:
    """The barred statement's rows (without ``bar_held``), whether the bar held (None: no
    row), and how many candidates it collected to list (``ceiling``: its cheapest_at_most)."""
    query, params = match_sql.statement(spec, **options, bar=bar, cheapest_at_most=ceiling)
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
    pruned = tighter = 0
    try:
        with eng.connect() as conn:
            for name, (body, options) in REQUESTS.items():
                spec = parse_spec(body)
                opts = _statement_options(spec, options)
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
                cheapest = plain[0][11]
                _, _, every = _barred(conn, spec, opts, -1e9)  # every match and near miss
                for bar in (last, last - bars.SLACK, last - 30, -1e9):
                    rows, held, collected = _barred(conn, spec, opts, bar)
                    assert held is True and rows == plain, (name, bar)
                    # a price the cheapest match does not exceed bounds the price's score
                    for ceiling in (cheapest, None if cheapest is None else cheapest * 1.5):
                        ceiled = _barred(conn, spec, opts, bar, ceiling)
                        assert ceiled[:2] == (plain, True) and ceiled[2] <= collected, name
                    if bar == last:
                        pruned += every - collected
                        tighter += collected - _barred(conn, spec, opts, bar, cheapest)[2]
                # a bar the list no longer reaches (the inventory changed since it was kept),
                # or a cheapest match dearer than the bar's ceiling
                for bar, ceiling in (
                    (last + 0.1, None),
                    (last + 5, None),
                    (1e9, None),
                    *([(last, cheapest * 0.9), (-1e9, cheapest / 2)] if cheapest else []),
                ):
                    _, held, _ = _barred(conn, spec, opts, bar, ceiling)
                    assert held is not True, (name, bar, ceiling)
                conn.rollback()
    finally:
        eng.dispose()
    assert pruned > 500  # the bar spares scoring most matches (plant: ~70 of 285 units)
    assert tighter > 20  # and the price's ceiling more (plant: 52 → 21 units at 1M sites)


#: the space needs among the requests, and the limits the tests below sample them with
_SPACE = [n for n, (b, _) in REQUESTS.items() if parse_spec(b).need in ("plant", "building")]


@pytest.mark.slow
def test_a_sampled_bar_is_reached_by_every_list_and_prices_no_match_undercuts(
    bench_url: str,
) -> None:
    # samples and price reads far smaller than the candidates (a 10k inventory's plant request
    # has ~300), so the floor comes from each branch: the cheapest match, the dearest read, or
    # every priced unit read (a huge read)
    eng = make_engine(bench_url)
    sampled = close = 0
    try:
        with eng.connect() as conn:
            for name in _SPACE:
                body, options = REQUESTS[name]
                spec = parse_spec(body)
                opts = _statement_options(spec, options)
                probe = match_sql.bar_probe(spec, **opts)
                if probe is None:
                    assert spec.port_berth_dwt_min is not None, name
                    continue
                query, params = match_sql.statement(spec, **opts)
                rows = [r._mapping for r in conn.execute(sa.text(query), params)]
                listed = [r["score"] for r in rows if r["n_fail"] == 0]
                cheapest = rows[0]["cheapest"] if rows else None
                for sample in (25, 100, 500):
                    for priced in (1, 10, 10**6):
                        q, p = match_sql.bar_probe(spec, **opts, sample=sample, priced=priced)
                        got = conn.execute(sa.text(q), p).first()
                        if got is None:
                            continue
                        assert (
                            got.cheapest is None or cheapest is None or got.cheapest <= cheapest
                        ), (name, sample, priced)
                        if priced == 10**6:  # every priced unit read: the cheapest match itself
                            assert got.cheapest == cheapest, name
                        assert len(listed) == opts["limit"], name
                        assert got.bar <= min(listed), (name, sample, priced, got.bar)
                        assert 0 < got.collected_share <= 1, name
                        sampled += 1
                        close += got.bar >= min(listed) - 3
                conn.rollback()
    finally:
        eng.dispose()
    # most samples give a bar, and one near the list's last (it spares scoring the others)
    assert sampled >= 15 and close >= sampled // 2, (sampled, close)


@pytest.mark.slow
@pytest.mark.parametrize("share", [1.0, 0.0], ids=["every bar sent", "none sent"])
def test_first_runs_with_a_sampled_bar_change_no_figure(
    bench_url: str, monkeypatch, share: float
) -> None:
    # a first run of every request takes a bar from a sample (a small one, as the inventory is:
    # the bar of the 20th of 60 rows would collect more than the shipped share allows, so every
    # bar is let through); with no share of the candidates allowed to be collected, none is
    monkeypatch.setattr(match_engine, "SAMPLED_BAR_FROM_UNITS", 1)
    monkeypatch.setattr(match_engine, "MAX_COLLECTED_SHARE", share)
    monkeypatch.setattr(match_sql, "SAMPLE_UNITS", 60)
    monkeypatch.setattr(match_sql, "PRICED_UNITS", 20)
    statements: list[tuple[str, bool | None]] = []
    execute = match_engine.prepared.execute
    limit_share = match_engine.MAX_COLLECTED_SHARE

    def spy(conn, query, params, *args, **kwargs):
        rows = execute(conn, query, params, *args, **kwargs)
        if "LIMIT :sample" in query:  # the probe, and whether it gave a bar to send
            share = rows[0]["collected_share"] if rows else None
            statements.append(("probe", share is not None and share <= limit_share))
        elif "bar_held" in query:  # the barred statement, and whether its bar held
            statements.append(("barred", bool(rows and rows[0]["bar_held"])))
        elif "CAST(:site_ids" not in query:  # not the explanations
            statements.append(("plain", None))
        return rows

    monkeypatch.setattr(match_engine.prepared, "execute", spy)
    eng = make_engine(bench_url)
    try:
        with eng.connect() as conn:
            got = {}
            for name, (body, options) in REQUESTS.items():
                bars.forget()
                got[name] = figures(run_match(conn, parse_spec(body), **options))
                conn.rollback()
    finally:
        eng.dispose()
    _compare(got)
    kinds = [k for k, _ in statements]
    # each space need without a berth class sampled; every bar came from a probe and held,
    # and only the matches without one ran the plain statement
    assert kinds.count("probe") == len(_SPACE) - 1, kinds
    barred = kinds.count("barred")
    assert barred == statements.count(("probe", True)) >= (2 if share else 0), statements
    assert share or barred == 0
    assert statements.count(("barred", True)) == kinds.count("barred"), statements
    assert kinds.count("plain") == len(REQUESTS) - kinds.count("barred"), statements


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
