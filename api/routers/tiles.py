"""Map data by viewport: site vector tiles (PostGIS ``ST_AsMVT``) and reference layers."""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import urlencode

import orjson
from fastapi import APIRouter, Path, Query, Request, Response

from api.auth import allow
from api.deps import (
    DbRoute,
    QuickSiteFilterDep,
    ReadConnDep,
    SettingsDep,
    SiteFilterDep,
    parse_bbox,
)
from gis_app.services import tiles as tile_service

router = APIRouter(prefix="/tiles", tags=["map"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
MVT = "application/vnd.mapbox-vector-tile"
GEOJSON = "application/geo+json"
# Tiles change when planners edit; a minute of browser caching keeps panning cheap.
_CACHE = "private, max-age=60"
# A tile URL naming the current data version (``v``, from the TileJSON) shows that version
# for good: it may be kept a day. One naming an older version must not be kept at all.
_CACHE_VERSIONED = "private, max-age=86400"
_CACHE_STALE = "private, no-cache"
_304 = {304: {"description": "not modified: the copy named by If-None-Match is current"}}


def _etag(*parts: object) -> str:
    return '"' + hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32] + '"'


def _not_modified(request: Request, tag: str) -> bool:
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or tag in tags


@router.get(
    "/sites",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}}, **_304},
    dependencies=[READ],
)
def site_tilejson(
    request: Request,
    conn: ReadConnDep,
    settings: SettingsDep,
    flt: SiteFilterDep,
    frame: str = "wgs84",
) -> Response:
    """TileJSON 3.0.0 of the site vector tiles (GDAL's ``MVT:``, MapLibre, QGIS).

    Takes the parameters of ``GET /api/sites`` and ``frame``; the tile URL template carries
    them and the data version ``v``, under which a tile may be cached for a day.
    """
    tile_service.check_frame(frame)
    version = tile_service.data_version(conn)
    tag = _etag("tilejson", version, str(request.url))
    headers = {"ETag": tag, "Cache-Control": _CACHE_STALE}
    if _not_modified(request, tag):
        return Response(status_code=304, headers=headers)
    query = [(k, v) for k, v in request.query_params.multi_items() if k != "v"]
    url = f"{request.url.replace(query='')}/{{z}}/{{x}}/{{y}}.pbf?" + urlencode(
        [*query, ("v", version)]
    )
    body = tile_service.site_tilejson(conn, url, version, settings=settings.map)
    return Response(orjson.dumps(body), media_type="application/json", headers=headers)


@router.get(
    "/sites/{z}/{x}/{y}.pbf",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, **_304},
    dependencies=[READ],
)
@router.get(
    "/sites/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {MVT: {}}}, **_304},
    dependencies=[READ],
    include_in_schema=False,
)
def site_tile(
    request: Request,
    conn: ReadConnDep,
    settings: SettingsDep,
    flt: QuickSiteFilterDep,
    z: Annotated[int, Path()],
    x: Annotated[int, Path()],
    y: Annotated[int, Path()],
    frame: str = "wgs84",
    v: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Sites of one Web-Mercator tile as a Mapbox Vector Tile (layer ``sites``).

    Takes the search parameters of ``GET /api/sites``. Features carry id, code, names, kind,
    availability, area_mu, ``n`` (sites in a cluster) and ``own`` (1 in the tile holding the
    site's centre). ``frame=gcj02`` shifts sites for display on a GCJ-02 basemap (Gaode/AMap).
    ``X-Tile-Cache`` says whether a slow tile came from the process's cache (``hit``).
    ``v`` is the data version the TileJSON's template carries: a tile asked for under the
    current version may be cached for a day. ``ETag``/``If-None-Match`` answer 304 while the
    data did not change.
    """
    version = None
    if request.headers.get("if-none-match"):
        # a revalidation: the version alone may answer it, without cutting the tile
        version = tile_service.data_version(conn)
        headers = _tile_headers(request, v, version)
        if _not_modified(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
    # otherwise the version comes with the tile, from the same statement
    tile = tile_service.site_tile(
        conn, flt, z, x, y, frame=frame, settings=settings.map, version=version
    )
    headers = _tile_headers(request, v, tile.version) | {
        "X-Tile-Form": tile.form,
        "X-Tile-Cache": "hit" if tile.cached else "miss",
    }
    return Response(tile.data, media_type=MVT, headers=headers)


def _tile_headers(request: Request, v: str | None, version: str) -> dict[str, str]:
    """``ETag`` and ``Cache-Control`` of a tile cut at data version ``version``."""
    tag = _etag("tile", version, request.url.path, request.url.query)
    cache = _CACHE if v is None else _CACHE_VERSIONED if v == version else _CACHE_STALE
    # a browser keeps a tile for whoever was logged in: under row security another login
    # (another session cookie or token) sees other sites in it
    return {"Cache-Control": cache, "ETag": tag, "Vary": "Authorization, Cookie"}


@router.get(
    "/layers/{layer}.geojson",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def reference_layer(
    conn: ReadConnDep,
    layer: str,
    zoom: int = 12,
    bbox: str | None = None,
    kind: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    clip: Annotated[
        bool,
        Query(
            description="with bbox: each outline cut to the window grown by 5 % (what a map "
            "draws there; a zone of many vertices sends only its part)"
        ),
    ] = False,
) -> Response:
    """Jurisdiction outline, constraint zones or infrastructure as GeoJSON, simplified for zoom;
    the outlines that meet ``bbox`` (whole, or cut to it with ``clip``)."""
    body = tile_service.reference_layer(
        conn, layer, zoom=zoom, bbox=parse_bbox(bbox), kinds=kind, clip=clip
    )
    return Response(body, media_type=GEOJSON, headers={"Cache-Control": _CACHE})
