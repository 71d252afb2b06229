"""An independent reading of the sample inventory (geopandas + pyproj, not the app's SQL),
used to derive the expected answers of search and match tests from the data themselves.

Areas are geodesic on the GRS80 ellipsoid (as PostGIS ``geography`` computes them); distances
and overlaps are computed in EPSG:4550 (CGCS2000 Gauss-Krüger, CM 123°E), whose scale error
over Putuo is below 1e-4 — far below the margins the tests use.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
from pyproj import Geod

SAMPLE = Path(__file__).resolve().parents[2] / "data" / "parcels"
M2_PER_MU = 10000 / 15

#: the matching issue's plant example, used by the API, CLI and page tests
PLANT = {
    "project_name": "精密机械厂房",
    "need": "plant",
    "gfa_m2_min": 3000,
    "height_min_m": 8,
    "floor_load_min_kg_m2": 1500,
    "crane_min_t": 10,
    "tenure": "lease",
}
_GEOD = Geod(ellps="GRS80")
BLOCKING = {"ecological_redline", "basic_farmland"}
READINESS_ORDER = ["raw", "partly_cleared", "cleared"]


@dataclass
class Sample:
    """Sites with derived areas, distances and blocking overlaps; buildings; infrastructure."""

    sites: gpd.GeoDataFrame
    buildings: pd.DataFrame
    infra: gpd.GeoDataFrame

    def site(self, code: str) -> pd.Series:
        """One site by code."""
        return self.sites.loc[code]

    def port_distance(self, code: str, berth_dwt_min: int | None = None) -> float:
        """Metres from a site to the nearest port or wharf (with at least that berth class)."""
        ports = self.infra[self.infra.kind.isin(["port", "wharf"])]
        if berth_dwt_min is not None:
            ports = ports[ports.berth_dwt.fillna(0) >= berth_dwt_min]
        geom = self.sites.to_crs(4550).loc[code].geometry
        return float(ports.to_crs(4550).distance(geom).min())


@cache
def load() -> Sample:
    """Read the sample files and derive what the database derives (once per test run)."""
    sites = gpd.read_file(SAMPLE / "sites.geojson").set_index("code", drop=False)
    assert sites.crs.to_epsg() == 4490
    sites["area_m2"] = [abs(_GEOD.geometry_area_perimeter(g)[0]) for g in sites.geometry]
    sites["area_mu"] = sites.area_m2 / M2_PER_MU
    infra = gpd.read_file(SAMPLE / "infrastructure.geojson")
    zones = gpd.read_file(SAMPLE / "constraint_zones.geojson")
    s_m = sites.to_crs(4550)
    i_m = infra.to_crs(4550)
    for kind in sorted(infra.kind.unique()):
        pts = i_m[i_m.kind == kind]
        sites[f"d_{kind}"] = [float(pts.distance(g).min()) for g in s_m.geometry]
    z_m = zones[zones.kind.isin(BLOCKING)].to_crs(4550)
    sites["blocking_pct"] = [
        100.0 * float(z_m.intersection(g).area.sum()) / g.area for g in s_m.geometry
    ]
    buildings = pd.DataFrame(json.loads((SAMPLE / "buildings.json").read_text(encoding="utf-8")))
    return Sample(sites=sites, buildings=buildings, infra=infra)


# --- the hard rules, restated from the README's description of matching -------------------------
NEED_KINDS = {
    "land": {"land"},
    "plant": {"standard_plant", "plant"},
    "building": {"building"},
    "island": {"island"},
    "shoreline": {"shoreline", "land", "island"},
}
PLANT_TYPES = {"standard_plant", "single_storey_plant", "multi_storey_plant"}
OFFICE_TYPES = {"office", "commercial", "mixed"}


def _num(x: object) -> float | None:
    return None if x is None or (isinstance(x, float) and pd.isna(x)) else float(x)


def _at_least(value: object, bound: float) -> tuple[bool, float | None]:
    v = _num(value)
    if v is None:
        return False, None
    return v >= bound, max(0.0, (bound - v) / bound)


def _at_most(value: object, bound: float) -> tuple[bool, float | None]:
    v = _num(value)
    if v is None:
        return False, None
    return v <= bound, max(0.0, (v - bound) / bound)


def checks(
    sample: Sample,
    code: str,
    req: dict,
    land_codes: tuple[set[str], set[str]] = (set(), set()),
    building: pd.Series | None = None,
) -> dict[str, tuple[bool, float | None]]:
    """Each hard constraint the requirement states: (passes, shortfall or None)."""
    s = sample.site(code)
    need = req["need"]
    tol = req.get("size_tolerance_pct", 0) / 100
    out: dict[str, tuple[bool, float | None]] = {
        "kind": (s.kind in NEED_KINDS[need], None),
        "availability": (s.availability in req.get("accept_availability", ["available"]), None),
        "blocking_zones": (s.blocking_pct < 1e-6, None),
    }
    if land_codes[0] or land_codes[1]:
        out["land_use"] = (s.planned_use in land_codes[0] or s.legacy_use in land_codes[1], None)
    land = need in ("land", "island", "shoreline")
    if land and (req.get("land_mu_min") is not None or req.get("land_mu_max") is not None):
        lo, hi = req.get("land_mu_min"), req.get("land_mu_max")
        short = 0.0
        if lo is not None:
            short = max(short, (lo * (1 - tol) - s.area_mu) / (lo * (1 - tol)))
        if hi is not None:
            short = max(short, (s.area_mu - hi * (1 + tol)) / (hi * (1 + tol)))
        out["land_area"] = (short <= 0, max(0.0, short))
    if req.get("readiness_min"):
        rank = READINESS_ORDER.index
        out["readiness_min"] = (rank(s.readiness) >= rank(req["readiness_min"]), None)
    if req.get("shoreline_min_m") is not None or need == "shoreline":
        ok, short = _at_least(s.shoreline_m, req.get("shoreline_min_m") or 1e-9)
        out["shoreline"] = (ok and (_num(s.shoreline_m) or 0) > 0, short)
    if req.get("berth_dwt_min") is not None:
        out["berth"] = _at_least(s.berth_dwt, req["berth_dwt_min"])
    if req.get("water_depth_min_m") is not None:
        out["water_depth"] = _at_least(s.water_depth_m, req["water_depth_min_m"])
    if req.get("max_km_port") is not None:
        d = sample.port_distance(code, req.get("port_berth_dwt_min"))
        out["port_distance"] = _at_most(d, req["max_km_port"] * 1000)
    if req.get("max_km_expressway") is not None:
        out["expressway_distance"] = _at_most(
            s.d_expressway_interchange, req["max_km_expressway"] * 1000
        )
    if req.get("max_km_ferry") is not None:
        out["ferry_distance"] = _at_most(s.d_ferry_terminal, req["max_km_ferry"] * 1000)
    if land and req.get("max_price_wan_per_mu") is not None:
        out["max_price"] = _at_most(s.reserve_price_wan_per_mu, req["max_price_wan_per_mu"])
    if need in ("plant", "building"):
        b = building
        types = set(req.get("building_types") or (PLANT_TYPES if need == "plant" else OFFICE_TYPES))
        out["building_type"] = (b is not None and b.building_type in types, None)
        if b is None:
            return out
        out["vacancy"] = (b.occupancy in ("vacant", "partly_vacant") and b.vacant_gfa_m2 > 0, None)
        if req.get("gfa_m2_min") is not None:
            out["floor_area"] = _at_least(b.vacant_gfa_m2, req["gfa_m2_min"] * (1 - tol))
        if req.get("gfa_m2_max") is not None:
            split = b.min_split_m2 if _num(b.min_split_m2) is not None else b.vacant_gfa_m2
            out["min_split"] = _at_most(split, req["gfa_m2_max"] * (1 + tol))
        tenure = req.get("tenure", "either")
        if tenure != "either":
            ok = {"buy": {"sale", "lease_or_sale"}}.get(tenure, {"lease", "lease_or_sale"})
            out["offer"] = (b.offer in ok, None)
        for key, col, field in (
            ("floor_height", "floor_height_m", "height_min_m"),
            ("floor_load", "floor_load_kg_m2", "floor_load_min_kg_m2"),
            ("power", "power_kva", "power_kva"),
        ):
            if req.get(field) is not None:
                out[key] = _at_least(b[col], req[field])
        if (req.get("crane_min_t") or 0) > 0:
            out["crane"] = _at_least(b.crane_t, req["crane_min_t"])
        if req.get("max_rent_yuan_m2_month") is not None and tenure != "buy":
            out["max_rent"] = _at_most(b.rent_yuan_m2_month, req["max_rent_yuan_m2_month"])
    return out


def expected(
    sample: Sample,
    req: dict,
    land_codes: tuple[set[str], set[str]] = (set(), set()),
    margin_pct: float = 10.0,
) -> tuple[set[str], dict[str, str]]:
    """Codes of the sites meeting every hard constraint, and near misses → failed criterion."""
    matches: set[str] = set()
    near: dict[str, str] = {}
    margin = margin_pct / 100 + 1e-9
    for code in sample.sites.index:
        if req["need"] in ("plant", "building"):
            units = [b for _, b in sample.buildings[sample.buildings.site_code == code].iterrows()]
            variants = [checks(sample, code, req, land_codes, b) for b in units] or [
                checks(sample, code, req, land_codes, None)
            ]
        else:
            variants = [checks(sample, code, req, land_codes)]
        if any(all(ok for ok, _ in v.values()) for v in variants):
            matches.add(code)
            continue
        for v in variants:
            failed = [(k, short) for k, (ok, short) in v.items() if not ok]
            if len(failed) == 1 and failed[0][1] is not None and failed[0][1] <= margin:
                near[code] = failed[0][0]
    return matches, near
