"""Dashboard figures computed a second, independent way: geopandas and pandas in Python.

The service aggregates in SQL with the areas PostGIS derives; here areas are geodesic areas of
the geometries on the GRS80 ellipsoid (CGCS2000's, to within 0.1 mm) computed with pyproj,
blocking overlaps come from a geopandas intersection with the zones (not from the
trigger-kept overlap table), and the grouping is pandas ``groupby``.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa
from pyproj import Geod

from gis_app.io.postgis_read import read_layer, read_sites

_GEOD = Geod(ellps="GRS80")
M2_PER_MU = 10000.0 / 15.0

# the definitions the dashboard documents, written out here rather than imported
POLICY_ORDER = [
    "not_started",
    "surveying",
    "notice",
    "compensation_plan",
    "agreements",
    "approval_pending",
    "approved",
    "clearing",
    "delivered",
]
PLANNING_STEPS = {"none": 2, "drafting": 1, "amending": 1, "use_change_needed": 2, "approved": 0}
QUOTA_STEPS = {"pending": 3, "applied": 2, "in_annual_plan": 1, "approved": 0, "not_needed": 0}
CLEARING_STEPS = {"raw": 2, "partly_cleared": 1, "cleared": 0}
BLOCKING_ZONES = {"ecological_redline", "basic_farmland"}


def sites_frame(engine: sa.Engine) -> gpd.GeoDataFrame:
    """Active sites with an independent geodesic area in 亩 and the vacant floor area."""
    sites = read_sites(engine, "s.retired_at IS NULL")
    sites["mu"] = [abs(_GEOD.geometry_area_perimeter(g)[0]) / M2_PER_MU for g in sites.geometry]
    with engine.connect() as c:
        buildings = pd.read_sql(sa.text("SELECT site_id, vacant_gfa_m2 FROM building"), c)
    vacant = buildings.groupby("site_id")["vacant_gfa_m2"].sum()
    sites["vacant"] = sites["id"].map(vacant).fillna(0.0)
    sites["is_available"] = sites["availability"] == "available"
    return sites


def blocking_overlap_ids(engine: sa.Engine, sites: gpd.GeoDataFrame) -> set[int]:
    """Ids of sites whose geometry overlaps a redline or farmland zone by more than 1 m²."""
    zones = read_layer(engine, "constraint_zone")
    zones = zones[zones["kind"].isin(BLOCKING_ZONES)]
    pairs = gpd.sjoin(sites[["id", "geom"]], zones[["kind", "geom"]], predicate="intersects")
    out: set[int] = set()
    for idx, row in pairs.iterrows():
        inter = sites.loc[idx, "geom"].intersection(zones.loc[row["index_right"], "geom"])
        if abs(_GEOD.geometry_area_perimeter(inter)[0]) > 1.0:
            out.add(int(row["id"]))
    return out


def available_by(sites: gpd.GeoDataFrame, column: str) -> pd.DataFrame:
    """Sites, available sites, available 亩, vacant m² on available sites, total 亩 per group."""
    s = sites.copy()
    s["key"] = s[column]
    s["avail_mu"] = s["mu"].where(s["is_available"], 0.0)
    s["avail_vacant"] = s["vacant"].where(s["is_available"], 0.0)
    # "available land" is land parcels only; islands in 亩 and shorelines in metres apart
    s["avail_land_mu"] = s["mu"].where(s["is_available"] & (s["kind"] == "land"), 0.0)
    s["avail_island_mu"] = s["mu"].where(s["is_available"] & (s["kind"] == "island"), 0.0)
    shore = pd.to_numeric(s["shoreline_m"], errors="coerce").fillna(0.0)
    s["avail_shore_m"] = shore.where(s["is_available"] & (s["kind"] == "shoreline"), 0.0)
    g = s.groupby("key", dropna=False)
    return pd.DataFrame(
        {
            "sites": g.size(),
            "available_sites": g["is_available"].sum(),
            "available_land_mu": g["avail_land_mu"].sum(),
            "available_island_mu": g["avail_island_mu"].sum(),
            "available_shoreline_m": g["avail_shore_m"].sum(),
            "available_mu": g["avail_mu"].sum(),
            "vacant_gfa_m2": g["avail_vacant"].sum(),
            "total_mu": g["mu"].sum(),
        }
    )


def pipeline_by(sites: gpd.GeoDataFrame, column: str) -> pd.DataFrame:
    """Sites and 亩 (all and available) per status value."""
    s = sites.copy()
    s["avail_mu"] = s["mu"].where(s["is_available"], 0.0)
    g = s.groupby(column, dropna=False)
    return pd.DataFrame(
        {
            "sites": g.size(),
            "area_mu": g["mu"].sum(),
            "available_sites": g["is_available"].sum(),
            "available_mu": g["avail_mu"].sum(),
        }
    )


def step_frame(sites: gpd.GeoDataFrame, zone_ids: set[int]) -> gpd.GeoDataFrame:
    """Steps still to go per site, by the documented step tables."""
    s = sites.copy()
    last = len(POLICY_ORDER) - 1
    s["policy_steps"] = s["policy_status"].map(
        lambda v: 0 if v is None or pd.isna(v) else last - POLICY_ORDER.index(v)
    )
    s["planning_steps"] = s["planning_status"].map(PLANNING_STEPS).fillna(0).astype(int)
    s["quota_steps"] = s["quota_status"].map(QUOTA_STEPS).fillna(0).astype(int)
    s["clearing_steps"] = s["readiness"].map(CLEARING_STEPS).fillna(0).astype(int)
    s["zone_conflict"] = s["id"].isin(zone_ids)
    s["steps_total"] = s[["policy_steps", "planning_steps", "quota_steps", "clearing_steps"]].sum(
        axis=1
    )
    return s


def blockers_by_block(steps: gpd.GeoDataFrame) -> pd.DataFrame:
    """Per block, for sites not signed: sites and 亩 per blocker."""
    s = steps[steps["availability"] != "signed"].copy()
    flags = {
        "policy": s["policy_steps"] > 0,
        "planning": s["planning_steps"] > 0,
        "quota": s["quota_steps"] > 0,
        "clearing": s["clearing_steps"] > 0,
        "zone": s["zone_conflict"],
    }
    s["blocked"] = pd.concat(flags.values(), axis=1).any(axis=1)
    cols = {"sites": s.groupby("block").size(), "area_mu": s.groupby("block")["mu"].sum()}
    cols["blocked_sites"] = s.groupby("block")["blocked"].sum()
    cols["blocked_mu"] = s["mu"].where(s["blocked"], 0.0).groupby(s["block"]).sum()
    for name, flag in flags.items():
        cols[f"{name}_sites"] = flag.groupby(s["block"]).sum()
        cols[f"{name}_mu"] = s["mu"].where(flag, 0.0).groupby(s["block"]).sum()
    return pd.DataFrame(cols)


def readiness_by_block(steps: gpd.GeoDataFrame, soon: int) -> pd.DataFrame:
    """Per block, for unavailable and reserved sites: candidates, fewest steps, within reach."""
    s = steps[steps["availability"].isin(["unavailable", "reserved"])].copy()
    ok = ~s["zone_conflict"]
    near = ok & (s["steps_total"] <= soon)
    by = s["block"]
    return pd.DataFrame(
        {
            "candidate_sites": s.groupby("block").size(),
            "candidate_mu": s.groupby("block")["mu"].sum(),
            "min_steps": s["steps_total"].where(ok).groupby(by).min(),
            "soon_sites": near.groupby(by).sum(),
            "soon_mu": s["mu"].where(near, 0.0).groupby(by).sum(),
            "waiting_policy": (s["policy_steps"] > 0).groupby(by).sum(),
            "waiting_planning": (s["planning_steps"] > 0).groupby(by).sum(),
            "waiting_quota": (s["quota_steps"] > 0).groupby(by).sum(),
            "waiting_clearing": (s["clearing_steps"] > 0).groupby(by).sum(),
            "zone_conflicts": s["zone_conflict"].groupby(by).sum(),
        }
    )


def stale_mask(sites: gpd.GeoDataFrame, days: int, as_of: dt.date) -> pd.Series:
    """True for sites never verified or verified more than ``days`` days before ``as_of``."""
    verified = pd.to_datetime(sites["verified_at"])
    age = (pd.Timestamp(as_of) - verified).dt.days
    return verified.isna() | (age > days)


def stale_by_block(sites: gpd.GeoDataFrame, days: int, as_of: dt.date) -> pd.DataFrame:
    """Per block: sites, stale sites and their 亩, never verified."""
    stale = stale_mask(sites, days, as_of)
    by = sites["block"]
    return pd.DataFrame(
        {
            "sites": sites.groupby("block").size(),
            "stale_sites": stale.groupby(by).sum(),
            "stale_mu": sites["mu"].where(stale, 0.0).groupby(by).sum(),
            "never_verified": sites["verified_at"].isna().groupby(by).sum(),
        }
    )
