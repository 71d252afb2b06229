"""Every dashboard figure (as served by /api/stats, which the page draws) equals an independent
geopandas/pandas computation on the sample data."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
import stats_independent as ind

AS_OF = dt.date(2026, 11, 1)


@pytest.fixture(scope="module")
def sites(engine: sa.Engine):
    return ind.sites_frame(engine)


@pytest.fixture(scope="module")
def steps(engine: sa.Engine, sites):
    return ind.step_frame(sites, ind.blocking_overlap_ids(engine, sites))


@pytest.fixture
def officer(client_as):
    return client_as("officer")


def _key(k: Any) -> Any:
    return None if k is None or (isinstance(k, float) and math.isnan(k)) else k


def _check(rows: list[dict], expected: pd.DataFrame, columns: list[str]) -> None:
    got = {r["key"]: r for r in rows}
    want = {_key(k): v for k, v in expected.iterrows()}
    assert set(got) == set(want)
    for key, exp in want.items():
        for col in columns:
            e, g = exp[col], got[key][col]
            if e is None or (isinstance(e, float) and math.isnan(e)):
                assert g is None, (key, col)
            else:
                assert g == pytest.approx(float(e), rel=1e-5, abs=0.02), (key, col, g, e)


@pytest.mark.parametrize(
    ("by", "column"),
    [("block", "block"), ("township", "township"), ("kind", "kind"), ("land_use", "lu4")],
)
def test_available_land_and_vacant_floor_area(officer, sites, by, column) -> None:
    frame = sites.assign(lu4=sites["planned_use"].str[:4])
    table = officer.get("/api/stats/available", params={"by": by}).json()
    expected = ind.available_by(frame, column)
    cols = [
        "sites",
        "available_sites",
        "available_land_mu",
        "available_island_mu",
        "available_shoreline_m",
        "available_mu",
        "vacant_gfa_m2",
        "total_mu",
    ]
    _check(table["rows"], expected, cols)
    for col in cols:
        assert table["totals"][col] == pytest.approx(expected[col].sum(), rel=1e-5, abs=0.02)
    # the sample's documented counts: 30 available sites in Putuo, 3 in the Dinghai part
    assert table["totals"]["available_sites"] == 33


def test_available_by_land_use_level_one(officer, sites) -> None:
    table = officer.get("/api/stats/available", params={"by": "land_use", "land_use_level": 1})
    expected = ind.available_by(sites.assign(lu2=sites["planned_use"].str[:2]), "lu2")
    _check(table.json()["rows"], expected, ["sites", "available_mu", "vacant_gfa_m2"])
    labels = {r["key"]: r["label_zh"] for r in table.json()["rows"]}
    assert labels["10"] == "10 工矿用地"


def test_available_scope_filters(officer, sites) -> None:
    part = sites[sites["kind"].isin(["land", "plant"]) & (sites["township"] == "六横镇")]
    table = officer.get(
        "/api/stats/available",
        params={"by": "block", "kind": ["land", "plant"], "township": "六横镇"},
    ).json()
    _check(table["rows"], ind.available_by(part, "block"), ["sites", "available_mu", "total_mu"])


@pytest.mark.parametrize(
    "field", ["supply_stage", "policy_status", "planning_status", "quota_status"]
)
def test_pipeline(officer, sites, field) -> None:
    table = officer.get("/api/stats/pipeline", params={"by": field}).json()
    expected = ind.pipeline_by(sites, field)
    nonzero = [r for r in table["rows"] if r["sites"] > 0]
    _check(nonzero, expected, ["sites", "area_mu", "available_sites", "available_mu"])
    # every stage of the vocabulary is listed, in order, zeros included
    from gis_app.domain import vocab

    keys = [r["key"] for r in table["rows"] if r["key"] is not None]
    v = getattr(vocab, field.upper())
    assert keys == list(v.keys)


def test_blockers_by_block(officer, steps) -> None:
    table = officer.get("/api/stats/blockers").json()
    expected = ind.blockers_by_block(steps)
    cols = list(expected.columns)
    _check(table["rows"], expected, cols)
    # the sample's deliberate conflicts: PT-ZM-002 (available, on farmland) and the redline sites
    zone = {r["key"]: r["zone_sites"] for r in table["rows"]}
    assert zone["展茅"] >= 1
    assert sum(zone.values()) == int(
        steps.loc[steps.availability != "signed", "zone_conflict"].sum()
    )


def test_readiness_by_block(officer, steps) -> None:
    table = officer.get("/api/stats/readiness", params={"soon_steps": 3}).json()
    expected = ind.readiness_by_block(steps, 3)
    _check(table["rows"], expected, list(expected.columns))
    mins = [r["min_steps"] for r in table["rows"] if r["min_steps"] is not None]
    assert mins == sorted(mins)  # soonest blocks first


def test_readiness_per_site_lists_what_each_waits_for(officer, steps) -> None:
    rows = officer.get("/api/stats/readiness", params={"by": "site"}).json()["rows"]
    cand = steps[steps["availability"].isin(["unavailable", "reserved"])].set_index("code")
    assert {r["code"] for r in rows} == set(cand.index)
    for r in rows:
        exp = cand.loc[r["code"]]
        assert r["steps_total"] == exp["steps_total"]
        assert r["zone_conflict"] == bool(exp["zone_conflict"])
        assert ("政策处理未完成" in r["waits_for"]) == (exp["policy_steps"] > 0)
    order = [(r["zone_conflict"], r["steps_total"]) for r in rows]
    assert order == sorted(order)


@pytest.mark.parametrize("days", [0, 180, 365, 720])
def test_stale_by_block_and_site(officer, sites, days) -> None:
    params = {"days": days, "as_of": AS_OF.isoformat()}
    table = officer.get("/api/stats/stale", params=params).json()
    expected = ind.stale_by_block(sites, days, AS_OF)
    _check(table["rows"], expected, list(expected.columns))
    listed = officer.get("/api/stats/stale", params={**params, "by": "site"}).json()
    mask = ind.stale_mask(sites, days, AS_OF)
    assert {r["code"] for r in listed["rows"]} == set(sites.loc[mask, "code"])
    assert listed["totals"]["stale_sites"] == int(mask.sum())
    for r in listed["rows"]:
        assert r["days_since"] == (AS_OF - dt.date.fromisoformat(r["verified_at"])).days
        assert r["days_since"] > days


def test_stale_default_is_a_year_before_today(officer, sites) -> None:
    table = officer.get("/api/stats/stale").json()
    assert table["params"]["days"] == 365
    assert table["totals"]["stale_sites"] == int(ind.stale_mask(sites, 365, dt.date.today()).sum())


def test_stale_limit_keeps_the_oldest(officer, sites) -> None:
    listed = officer.get(
        "/api/stats/stale", params={"days": 0, "by": "site", "limit": 3, "as_of": "2030-01-01"}
    ).json()
    oldest = sites.sort_values(["verified_at", "code"]).head(3)["code"].tolist()
    assert [r["code"] for r in listed["rows"]] == oldest
    assert listed["totals"]["stale_sites"] == len(sites)


def test_retired_parcels_are_not_counted(make_db, client_as) -> None:
    url = make_db("sample")
    eng = sa.create_engine(url)
    with eng.begin() as c:
        site = c.execute(
            sa.text(
                "SELECT code, block, area_mu FROM site WHERE availability = 'available' "
                "AND kind = 'land' ORDER BY code LIMIT 1"
            )
        ).one()
        c.execute(
            sa.text("UPDATE site SET availability = 'unavailable' WHERE code = :c"),
            {"c": site.code},
        )
        c.execute(sa.text("UPDATE site SET retired_at = now() WHERE code = :c"), {"c": site.code})
    eng.dispose()
    before = {r["key"]: r for r in client_as("officer").get("/api/stats/available").json()["rows"]}
    after = {
        r["key"]: r
        for r in client_as("officer", url=url).get("/api/stats/available").json()["rows"]
    }
    assert after[site.block]["sites"] == before[site.block]["sites"] - 1
    assert after[site.block]["available_mu"] == pytest.approx(
        before[site.block]["available_mu"] - site.area_mu, abs=0.02
    )


def test_available_land_is_land_parcels_only(officer, sites) -> None:
    """可招商土地 counts land parcels; plants, buildings, islands and shorelines are apart."""
    totals = officer.get("/api/stats/available", params={"by": "kind"}).json()["totals"]
    avail = sites[sites["is_available"]]
    land = float(avail.loc[avail["kind"] == "land", "mu"].sum())
    assert totals["available_land_mu"] == pytest.approx(land, abs=0.02)
    assert totals["available_land_mu"] < totals["available_mu"]  # the sample has other kinds
    island = float(avail.loc[avail["kind"] == "island", "mu"].sum())
    assert totals["available_island_mu"] == pytest.approx(island, abs=0.02)
    shore = avail.loc[avail["kind"] == "shoreline", "shoreline_m"].astype(float).fillna(0).sum()
    assert totals["available_shoreline_m"] == pytest.approx(float(shore), abs=0.1)
