"""Site read endpoints: search (GeoJSON in WGS84, or plain JSON records) and one site."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Response
from pydantic import Field

from api.auth import CurrentUser, allow
from api.deps import DbRoute, ReadConnDep, SettingsDep, SiteFilterDep
from api.project_deps import today
from api.schemas import StrictModel
from gis_app.domain.errors import InvalidInput
from gis_app.services import history as history_service
from gis_app.services import matching as match_service
from gis_app.services import site_edits
from gis_app.services import sites as site_service
from gis_app.services.requirements import Viewer

router = APIRouter(prefix="/api/sites", tags=["sites"], route_class=DbRoute)
READ = allow("officer", "planner", "admin")
GEOJSON = "application/geo+json"
FORMATS = ("geojson", "json")


@dataclasses.dataclass
class _Page:
    """The page of a site search: size (default and cap from the settings), start, order and
    format (``geojson`` or ``json``)."""

    limit: int | None = None
    offset: int = 0
    sort: str = "code"
    format: str = "geojson"


async def _page(
    limit: int | None = None, offset: int = 0, sort: str = "code", format: str = "geojson"
) -> _Page:
    """The page parameters (a coroutine: parsing needs no worker thread)."""
    return _Page(limit, offset, sort, format)


PageDep = Annotated[_Page, Depends(_page)]


@router.get(
    "",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "application/json": {}}}},
    dependencies=[READ],
)
def list_sites(
    conn: ReadConnDep, settings: SettingsDep, flt: SiteFilterDep, page: PageDep
) -> Response:
    """Search sites: a GeoJSON FeatureCollection (WGS84 lon/lat) or, with format=json, a list.

    Land use matches hierarchically and across the 2023 and GB 50137 classifications; building
    specs match sites with one building meeting all of them; distances are to the nearest
    infrastructure of each kind. ``near=lon,lat`` with ``radius_km``, or ``intersects`` (a
    GeoJSON or WKT area in lon/lat; a line or point with ``buffer_km``) search an area (for
    large areas use ``POST /api/sites/search``). The total is in ``numberMatched`` and
    ``X-Total-Count``.
    """
    return _search(conn, settings, flt, page)


class SearchArea(StrictModel):
    """The area of a POST search: GeoJSON geometry (or Feature) or WKT, lon/lat WGS84/CGCS2000."""

    intersects: dict[str, Any] | str = Field(
        description="GeoJSON Polygon/MultiPolygon (or a LineString/Point with buffer_km), "
        "or its WKT; lon/lat degrees of EPSG:4326 or EPSG:4490"
    )
    buffer_km: float | None = Field(default=None, description="widen the area by this many km")


@router.post(
    "/search",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "application/json": {}}}},
    dependencies=[READ],
)
def search_sites(
    body: SearchArea, conn: ReadConnDep, settings: SettingsDep, flt: SiteFilterDep, page: PageDep
) -> Response:
    """Search sites in an area too large for a URL: the body holds ``intersects`` (GeoJSON or
    WKT) and ``buffer_km``; the query takes every other parameter of ``GET /api/sites``.
    """
    if flt.intersects is not None or flt.buffer_km is not None:
        raise InvalidInput(
            "intersects and buffer_km go in the body of a POST search, not the URL",
            code="area_needs_post",
            field="intersects" if flt.intersects is not None else "buffer_km",
        )
    flt = dataclasses.replace(flt, intersects=body.intersects, buffer_km=body.buffer_km)
    flt.validate()
    return _search(conn, settings, flt, page)


def _search(
    conn: ReadConnDep, settings: SettingsDep, flt: site_service.SiteFilter, page: _Page
) -> Response:
    limit, offset, sort, format = page.limit, page.offset, page.sort, page.format
    if format not in FORMATS:
        raise InvalidInput(
            f"format must be one of {', '.join(FORMATS)}, got {format[:40]!r}",
            code="unknown_value",
            field="format",
            params={"value": format[:40]},
        )
    args = {
        "limit": settings.app.default_page_size if limit is None else limit,
        "offset": offset,
        "sort": sort,
        "max_limit": settings.app.max_page_size,
    }
    if format == "json":
        rec = site_service.list_site_records(conn, flt, **args)
        return Response(
            rec.records_json,
            media_type="application/json",
            headers={"X-Total-Count": str(rec.total)},
        )
    found = site_service.list_sites(conn, flt, **args)
    return Response(
        found.feature_collection(), media_type=GEOJSON, headers={"X-Total-Count": str(found.total)}
    )


@router.get(
    # digits only: /api/sites/merge (POST) is another resource, not a site
    "/{site_id:int}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def get_site(site_id: int, conn: ReadConnDep, as_of: str | None = None) -> Response:
    """Return one site as a GeoJSON Feature (WGS84 lon/lat); ``ETag`` is its version (send it
    as ``If-Match`` when editing). ``as_of=YYYY-MM-DD`` (end of that day) or an ISO date-time
    returns the site as it was then, rebuilt from its history."""
    # past states and the ETag (gis_app.services.history / site_edits)
    if as_of is not None:
        past = history_service.site_feature_as_of(conn, site_id, history_service.parse_as_of(as_of))
        return Response(past, media_type=GEOJSON)
    body = site_service.get_site(conn, site_id, today())
    version = site_edits.feature_version(body)
    headers = {"ETag": site_edits.etag(version)} if version is not None else {}
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/{site_id}/matching-requirements",
    dependencies=[allow("officer", "planner")],
)
def matching_requirements(
    site_id: Annotated[int, Path(ge=1, le=2**63 - 1)], conn: ReadConnDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Open requirements this site meets now (every hard constraint), newest first."""
    viewer = Viewer(user.username, admin="admin" in user.roles)
    return match_service.matching_requirements(conn, site_id, viewer)
