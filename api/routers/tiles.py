"""Map data by viewport: site vector tiles (PostGIS ``ST_AsMVT``) and reference layers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from api.auth import allow
from api.deps import ConnDep, DbRoute, SettingsDep, SiteFilterDep, parse_bbox
from gis_app.services import tiles as tile_service

router = APIRouter(prefix="/tiles", tags=["map"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
MVT = "application/vnd.mapbox-vector-tile"
GEOJSON = "application/geo+json"
# Tiles change when planners edit; a minute of browser caching keeps panning cheap.
_CACHE = "private, max-age=60"


@router.get(
    "/sites/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}},
    dependencies=[READ],
)
@router.get(
    "/sites/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}},
    dependencies=[READ],
    include_in_schema=False,
)
def site_tile(
    conn: ConnDep,
    settings: SettingsDep,
    flt: SiteFilterDep,
    z: Annotated[int, Path()],
    x: Annotated[int, Path()],
    y: Annotated[int, Path()],
    frame: str = "wgs84",
) -> Response:
    """Sites of one Web-Mercator tile as a Mapbox Vector Tile (layer ``sites``).

    Takes the search parameters of ``GET /api/sites``. Features carry id, code, names, kind,
    availability, area_mu, ``n`` (sites in a cluster) and ``own`` (1 in the tile holding the
    site's centre). ``frame=gcj02`` shifts sites for display on a GCJ-02 basemap (Gaode/AMap).
    """
    tile = tile_service.site_tile(conn, flt, z, x, y, frame=frame, settings=settings.map)
    return Response(
        tile.data, media_type=MVT, headers={"Cache-Control": _CACHE, "X-Tile-Form": tile.form}
    )


@router.get(
    "/layers/{layer}.geojson",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def reference_layer(
    conn: ConnDep,
    layer: str,
    zoom: int = 12,
    bbox: str | None = None,
    kind: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    """Jurisdiction outline, constraint zones or infrastructure as GeoJSON, simplified for zoom."""
    body = tile_service.reference_layer(conn, layer, zoom=zoom, bbox=parse_bbox(bbox), kinds=kind)
    return Response(body, media_type=GEOJSON, headers={"Cache-Control": _CACHE})
