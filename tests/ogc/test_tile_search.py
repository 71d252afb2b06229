"""A tile takes the site search as ``GET /api/sites`` does, though its route reads the search
parameters only when the request names one (``api.deps.quick_site_filter``): the same sites
for the same parameters, the same refusals, and the same parameters in the API description."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
import sqlalchemy as sa
from webmercator import tile_of

from api.deps import SEARCH_PARAMETERS


@pytest.fixture(scope="module")
def tile(sample_url) -> str:
    """The deepest tile holding every site of the sample (drawn as points, not clusters)."""
    eng = sa.create_engine(sample_url)
    with eng.connect() as c:
        x0, y0, x1, y1 = c.execute(
            sa.text(
                "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e)"
                " FROM (SELECT ST_Extent(geom) AS e FROM site) q"
            )
        ).one()
    eng.dispose()
    z = max(z for z in range(4, 15) if tile_of(x0, y1, z) == tile_of(x1, y0, z))
    x, y = tile_of(x0, y1, z)
    return f"/tiles/sites/{z}/{x}/{y}.pbf"


def _tile_codes(client, tmp_path: Path, tile: str, params: dict) -> set[str]:
    r = client.get(tile, params=params)
    assert r.status_code in (200, 204), r.text
    assert r.headers["x-tile-form"] in ("point", "polygon"), "each site drawn as itself"
    if not r.content:
        return set()
    path = tmp_path / f"t{len(list(tmp_path.iterdir()))}.pbf"
    path.write_bytes(r.content)
    # GDAL's MVT driver reads it, as QGIS would
    return set(pyogrio.read_dataframe(path, layer="sites")["code"].dropna())


def _list_codes(client, params: dict) -> set[str]:
    r = client.get("/api/sites", params=params | {"limit": 1000})
    assert r.status_code == 200, r.text
    return {f["properties"]["code"] for f in r.json()["features"]}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"kind": "land"},
        {"kind": ["plant", "standard_plant"], "availability": "available"},
        {"area_mu_min": "20"},
        {"q": "塘头"},
        {"max_km_port": "5", "kind": "land"},
        {"v": "anything", "frame": "wgs84"},  # not search parameters: every site
    ],
    ids=["none", "kind", "two-lists", "area", "text", "distance", "not-search"],
)
def test_a_tile_holds_the_sites_the_list_finds(client_as, tmp_path, tile, params) -> None:
    c = client_as("officer")
    every = _list_codes(c, {})
    assert len(every) > 20 and _tile_codes(c, tmp_path, tile, {}) == every
    search = {k: v for k, v in params.items() if k in SEARCH_PARAMETERS}
    listed = _list_codes(c, search)
    assert _tile_codes(c, tmp_path, tile, params) == listed
    if search:
        assert listed < every, f"{params} filters nothing in the sample: a weak case"


@pytest.mark.parametrize(
    "query",
    [
        "area_mu_min=abc",  # FastAPI's own refusal of a number
        "verified_within_days=1.5&kind=land",
        "area_mu_min=30&area_mu_max=10",  # the filter's own check
        "kind=castle",
        "bbox=1,2,3",
    ],
)
def test_a_tile_refuses_a_search_as_the_list_does(client_as, tile, query) -> None:
    c = client_as("officer")
    listed = c.get(f"/api/sites?{query}")
    tiled = c.get(f"{tile}?{query}")
    assert listed.status_code == tiled.status_code == 422, (listed.text, tiled.text)
    assert tiled.json() == listed.json()


def test_the_tile_route_documents_the_search_parameters(client_as) -> None:
    doc = client_as("officer").get("/openapi.json").json()

    def query(path: str) -> dict[str, dict]:
        op = doc["paths"][path]["get"]
        return {p["name"]: p for p in op["parameters"] if p["in"] == "query"}

    listed = {k: v for k, v in query("/api/sites").items() if k in SEARCH_PARAMETERS}
    tile = query("/tiles/sites/{z}/{x}/{y}.pbf")
    assert set(listed) == set(SEARCH_PARAMETERS)
    assert {k: tile[k] for k in SEARCH_PARAMETERS} == listed
    assert {"frame", "v"} <= set(tile)
