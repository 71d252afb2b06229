"""OGC API – Features (Part 1 Core, Part 2 CRS by reference) and the tileset metadata of
OGC API – Tiles, mounted at ``/ogc``: GDAL's OAPIF driver and QGIS open ``…/ogc``.

The mount point keeps the service's landing page apart from the officers' web map at ``/``
(OGC's landing page would otherwise be the app root). Every route needs a login (bearer token
for GDAL/QGIS) and serves the fields the caller's roles may read.
"""

from __future__ import annotations

import datetime as dt
import inspect
import typing
from collections.abc import Callable
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.auth import CurrentUser, allow
from api.deps import DbRoute, ReadConnDep, site_filter
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import NotFound
from gis_app.services import ogc as ogc_service

router = APIRouter(prefix="/ogc", tags=["ogc"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
JSON = "application/json"
GEOJSON = "application/geo+json"
SCHEMA_JSON = "application/schema+json"
# revalidate every time: the ETag makes that a cheap 304 while nothing changed
_CACHE = "private, no-cache"

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-common-2/1.0/conf/collections",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
)
WEB_MERCATOR_QUAD = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"


def _ogc_site_filter() -> Callable[..., SiteFilter]:
    """``api.deps.site_filter`` without its lon/lat ``bbox``: here ``bbox`` is OGC's (with
    ``bbox-crs``). Built from its signature, so the queryables follow the search's filters."""
    hints = typing.get_type_hints(site_filter, include_extras=True)
    sig = inspect.signature(site_filter)
    params = [
        p.replace(annotation=hints[p.name] if isinstance(p.annotation, str) else p.annotation)
        for p in sig.parameters.values()
        if p.name != "bbox"
    ]

    async def ogc_site_filter(**kwargs: Any) -> SiteFilter:
        return await site_filter(bbox=None, **kwargs)

    ogc_site_filter.__signature__ = sig.replace(  # type: ignore[attr-defined]
        parameters=params, return_annotation=SiteFilter
    )
    return ogc_site_filter


_SITE_FILTER = _ogc_site_filter()
OgcSiteFilterDep = Annotated[SiteFilter, Depends(_SITE_FILTER)]


def _filter_parameters() -> list[tuple[str, str, bool]]:
    out = []
    for name, p in inspect.signature(_SITE_FILTER).parameters.items():
        ann = str(p.annotation)
        repeatable = "list" in ann
        json_type = "number" if "float" in ann else "integer" if "int" in ann else "string"
        out.append((name, json_type, repeatable))
    return out


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/") + router.prefix


def _json(content: Any, media: str = JSON, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(content), media_type=media, headers=headers)


def _matches(request: Request, tag: str) -> bool:
    given = request.headers.get("if-none-match")
    if not given:
        return False
    tags = {t.strip().removeprefix("W/") for t in given.split(",")}
    return "*" in tags or tag in tags


def _cached(request: Request, tag: str, extra: dict[str, str] | None = None) -> Response | None:
    """304 when the client's copy (If-None-Match) is current, else None."""
    if _matches(request, tag):
        return Response(
            status_code=304, headers={"ETag": tag, "Cache-Control": _CACHE} | (extra or {})
        )
    return None


_304 = {304: {"description": "not modified: the copy named by If-None-Match is current"}}


@router.get("", responses={200: {"content": {JSON: {}}}, **_304}, dependencies=[READ])
def landing_page(request: Request, conn: ReadConnDep) -> Response:
    """Landing page of the OGC API: links to the API description, conformance and collections."""
    base = _base(request)
    tag = ogc_service.etag("landing", base)
    if (hit := _cached(request, tag)) is not None:
        return hit
    body = {
        "title": "招商用地与厂房资源库 / Investment site inventory",
        "description": "OGC API – Features and Tiles over the inventory (login required: "
        "Authorization: Bearer <API token>)",
        "links": [
            {"rel": "self", "type": JSON, "title": "this document", "href": base},
            {
                "rel": "service-desc",
                "type": "application/vnd.oai.openapi+json;version=3.1",
                "title": "the API definition",
                "href": str(request.base_url).rstrip("/") + "/openapi.json",
            },
            {
                "rel": "conformance",
                "type": JSON,
                "title": "conformance classes",
                "href": f"{base}/conformance",
            },
            {"rel": "data", "type": JSON, "title": "collections", "href": f"{base}/collections"},
        ],
    }
    return _json(body, headers={"ETag": tag, "Cache-Control": _CACHE})


@router.get("/conformance", responses={200: {"content": {JSON: {}}}}, dependencies=[READ])
def conformance(conn: ReadConnDep) -> Response:
    """Conformance classes the service implements."""
    return _json({"conformsTo": list(CONFORMANCE)}, headers={"Cache-Control": _CACHE})


def _collection_doc(
    base: str, coll: ogc_service.Collection, bbox: tuple[float, float, float, float] | None
) -> dict[str, Any]:
    href = f"{base}/collections/{coll.id}"
    links = [
        {"rel": "self", "type": JSON, "title": coll.title_en, "href": href},
        {"rel": "items", "type": GEOJSON, "title": "features", "href": f"{href}/items"},
        {
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
            "type": SCHEMA_JSON,
            "title": "queryables",
            "href": f"{href}/queryables",
        },
    ]
    if coll.id in ("sites", "sites_public"):
        links.append(
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
                "type": JSON,
                "title": "vector tiles",
                "href": f"{href}/tiles",
            }
        )
    doc: dict[str, Any] = {
        "id": coll.id,
        "title": f"{coll.title_zh} / {coll.title_en}",
        "description": coll.description,
        "itemType": "feature",
        "crs": list(ogc_service.CRSS),
        "storageCrs": ogc_service.STORAGE_CRS,
        "links": links,
    }
    if bbox is not None:
        doc["extent"] = {"spatial": {"bbox": [list(bbox)], "crs": ogc_service.CRS84}}
    return doc


@router.get("/collections", responses={200: {"content": {JSON: {}}}, **_304}, dependencies=[READ])
def collections(request: Request, conn: ReadConnDep) -> Response:
    """The collections: sites (by role), sites_public, buildings, constraint zones,
    infrastructure and the jurisdiction, with the CRSs each is offered in."""
    base = _base(request)
    version = ogc_service.data_version(conn)
    tag = ogc_service.etag("collections", version, base)
    if (hit := _cached(request, tag)) is not None:
        return hit
    bbox = ogc_service.extent(conn)
    body = {
        "links": [{"rel": "self", "type": JSON, "href": f"{base}/collections"}],
        "collections": [_collection_doc(base, c, bbox) for c in ogc_service.COLLECTIONS.values()],
        "crs": list(ogc_service.CRSS),
    }
    return _json(body, headers={"ETag": tag, "Cache-Control": _CACHE})


CollectionId = Annotated[str, Path(max_length=100)]


@router.get(
    "/collections/{collectionId}",
    responses={200: {"content": {JSON: {}}}, **_304},
    dependencies=[READ],
)
def collection(request: Request, conn: ReadConnDep, collectionId: CollectionId) -> Response:
    """One collection's description: extent, CRSs, links to its items and queryables."""
    coll = ogc_service.collection(collectionId)
    base = _base(request)
    version = ogc_service.data_version(conn)
    tag = ogc_service.etag("collection", coll.id, version, base)
    if (hit := _cached(request, tag)) is not None:
        return hit
    body = _collection_doc(base, coll, ogc_service.extent(conn))
    return _json(body, headers={"ETag": tag, "Cache-Control": _CACHE})


@router.get(
    "/collections/{collectionId}/queryables",
    responses={200: {"content": {SCHEMA_JSON: {"schema": {"type": "object"}}}}},
    dependencies=[READ],
)
def queryables(conn: ReadConnDep, user: CurrentUser, collectionId: CollectionId) -> Response:
    """The collection's queryables (JSON Schema): the properties the caller reads (for a CQL2
    ``filter``), and for sites and sites_public the search filters of ``GET /api/sites``."""
    coll = ogc_service.collection(collectionId)
    columns = ogc_service.readable_columns(coll, user.roles)
    return _json(
        ogc_service.queryables(coll, _filter_parameters(), columns),
        SCHEMA_JSON,
        {"Cache-Control": _CACHE},
    )


def _page_links(
    request: Request, base: str, coll_id: str, page: Any, limit: int, offset: int
) -> list[dict[str, Any]]:
    url = request.url
    links = [
        {"rel": "self", "type": GEOJSON, "title": "this page", "href": str(url)},
        {"rel": "collection", "type": JSON, "href": f"{base}/collections/{coll_id}"},
    ]
    if offset + page.number_returned < page.number_matched and page.number_returned > 0:
        nxt = url.include_query_params(offset=offset + limit, limit=limit)
        links.append({"rel": "next", "type": GEOJSON, "title": "next page", "href": str(nxt)})
    if offset > 0:
        prev = url.include_query_params(offset=max(0, offset - limit), limit=limit)
        links.append({"rel": "prev", "type": GEOJSON, "title": "previous page", "href": str(prev)})
    return links


@router.get(
    "/collections/{collectionId}/items",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **_304},
    dependencies=[READ],
)
def items(
    request: Request,
    conn: ReadConnDep,
    user: CurrentUser,
    flt: OgcSiteFilterDep,
    collectionId: CollectionId,
    limit: Annotated[int, Query(ge=1, le=ogc_service.MAX_LIMIT)] = ogc_service.DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=2**53)] = 0,
    bbox: str | None = None,
    bbox_crs: Annotated[str | None, Query(alias="bbox-crs")] = None,
    crs: str | None = None,
    cql_filter: Annotated[str | None, Query(alias="filter", max_length=20_000)] = None,
    filter_lang: Annotated[str | None, Query(alias="filter-lang", max_length=20)] = None,
) -> Response:
    """Features of a collection as GeoJSON, by id, ``limit`` (1–10,000, default 10) at a time.

    ``filter``: a CQL2 condition on the properties the caller reads (``filter-lang``
    ``cql2-text``, the default, or ``cql2-json``), e.g. ``area_mu > 20 AND availability =
    'available'``: comparisons, LIKE, BETWEEN, IN, IS NULL, AND/OR/NOT.

    ``crs``: CRS84 (default, lon/lat), EPSG:4326 and EPSG:4490 (lat/lon), EPSG:4549 and
    EPSG:4550 (northing/easting, metres), as OGC URIs; coordinates are transformed in PostGIS.
    ``bbox`` is in ``bbox-crs`` (its axis order). Sites take the filters of ``GET /api/sites``
    (see queryables). ``next``/``prev`` links page through; ``numberMatched`` counts all.
    """
    req = ogc_service.items_request(
        conn,
        collectionId,
        user.roles,
        limit=limit,
        offset=offset,
        bbox=bbox,
        bbox_crs=bbox_crs,
        crs=crs,
        site_filter=flt,
        cql_filter=cql_filter,
        filter_lang=filter_lang,
    )
    headers = {"Content-Crs": f"<{req.crs.uri}>", "Cache-Control": _CACHE}
    version = ogc_service.data_version(conn)
    tag = ogc_service.etag("items", version, req.columns, str(request.url))
    headers["ETag"] = tag
    if (hit := _cached(request, tag, {"Content-Crs": headers["Content-Crs"]})) is not None:
        return hit
    page = ogc_service.items(conn, req)
    links = _page_links(request, _base(request), req.collection.id, page, limit, offset)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = (
        '{"type":"FeatureCollection","features":['
        + page.features_json
        + f'],"numberMatched":{page.number_matched},"numberReturned":{page.number_returned},'
        + f'"timeStamp":"{stamp}","links":'
        + orjson.dumps(links).decode()
        + "}"
    )
    return Response(body.encode(), media_type=GEOJSON, headers=headers)


@router.get(
    "/collections/{collectionId}/items/{featureId}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}, **_304},
    dependencies=[READ],
)
def item(
    request: Request,
    conn: ReadConnDep,
    user: CurrentUser,
    collectionId: CollectionId,
    featureId: Annotated[int, Path(ge=1, le=2**63 - 1)],
    crs: str | None = None,
) -> Response:
    """One feature of a collection as GeoJSON, in ``crs`` (default CRS84)."""
    req = ogc_service.items_request(conn, collectionId, user.roles, crs=crs)
    headers = {"Content-Crs": f"<{req.crs.uri}>", "Cache-Control": _CACHE}
    version = ogc_service.data_version(conn)
    tag = ogc_service.etag("item", version, req.columns, str(request.url))
    headers["ETag"] = tag
    if (hit := _cached(request, tag, {"Content-Crs": headers["Content-Crs"]})) is not None:
        return hit
    text = ogc_service.item(conn, req, featureId)
    base = _base(request)
    links = orjson.dumps(
        [
            {"rel": "self", "type": GEOJSON, "href": str(request.url)},
            {"rel": "collection", "type": JSON, "href": f"{base}/collections/{req.collection.id}"},
        ]
    ).decode()
    body = text[:-1] + ',"links":' + links + "}"
    return Response(body.encode(), media_type=GEOJSON, headers=headers)


# --- OGC API – Tiles: tileset metadata of the site vector tiles (served under /tiles) ---------

MVT = "application/vnd.mapbox-vector-tile"
_TILED = ("sites",)


def _tileset(request: Request, coll_id: str) -> dict[str, Any]:
    root = str(request.base_url).rstrip("/")
    href = f"{_base(request)}/collections/{coll_id}/tiles/WebMercatorQuad"
    return {
        "title": "招商资源矢量瓦片 / Site vector tiles",
        "dataType": "vector",
        "crs": "http://www.opengis.net/def/crs/EPSG/0/3857",
        "tileMatrixSetURI": WEB_MERCATOR_QUAD,
        "links": [
            {"rel": "self", "type": JSON, "href": href},
            {
                "rel": "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme",
                "type": JSON,
                "href": WEB_MERCATOR_QUAD,
            },
            {
                "rel": "item",
                "type": MVT,
                "templated": True,
                "href": f"{root}/tiles/sites/{{tileMatrix}}/{{tileCol}}/{{tileRow}}.pbf",
            },
            {"rel": "describedby", "type": JSON, "href": f"{root}/tiles/sites"},
        ],
        "layers": [{"id": "sites", "dataType": "vector", "geometryDimension": 2}],
    }


def _tiled(collection_id: str) -> str:
    coll = ogc_service.collection(collection_id)
    if coll.id not in _TILED:
        raise NotFound(f"collection {coll.id!r} has no tiles; tiled: {', '.join(_TILED)}")
    return coll.id


@router.get(
    "/collections/{collectionId}/tiles",
    responses={200: {"content": {JSON: {}}}},
    dependencies=[READ],
)
def tilesets(request: Request, conn: ReadConnDep, collectionId: CollectionId) -> Response:
    """The collection's vector tilesets (sites: WebMercatorQuad, Mapbox Vector Tiles)."""
    coll_id = _tiled(collectionId)
    href = f"{_base(request)}/collections/{coll_id}/tiles"
    body = {
        "links": [{"rel": "self", "type": JSON, "href": href}],
        "tilesets": [_tileset(request, coll_id)],
    }
    return _json(body, headers={"Cache-Control": _CACHE})


@router.get(
    "/collections/{collectionId}/tiles/{tileMatrixSetId}",
    responses={200: {"content": {JSON: {}}}},
    dependencies=[READ],
)
def tileset(
    request: Request,
    conn: ReadConnDep,
    collectionId: CollectionId,
    tileMatrixSetId: Annotated[str, Path(max_length=100)],
) -> Response:
    """Tileset metadata: the tile URL template ({tileMatrix}/{tileCol}/{tileRow}) and layers."""
    coll_id = _tiled(collectionId)
    if tileMatrixSetId != "WebMercatorQuad":
        raise NotFound(f"no tile matrix set {tileMatrixSetId[:60]!r}; offered: WebMercatorQuad")
    return _json(_tileset(request, coll_id), headers={"Cache-Control": _CACHE})
