"""Site read endpoints (GeoJSON, WGS84)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.auth import allow
from api.deps import ConnDep, SettingsDep
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import InvalidInput
from gis_app.services import sites as site_service

router = APIRouter(prefix="/api/sites", tags=["sites"])
READ = allow("officer", "planner", "admin")
GEOJSON = "application/geo+json"


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    try:
        x0, y0, x1, y1 = (float(v) for v in value.split(","))
    except ValueError:
        raise InvalidInput(f"bbox must be 'minlon,minlat,maxlon,maxlat', got {value!r}") from None
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise InvalidInput(f"bbox {value!r} is not a lon/lat box with min <= max")
    return x0, y0, x1, y1


@router.get(
    "",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def list_sites(
    conn: ConnDep,
    settings: SettingsDep,
    kind: Annotated[list[str], Query()] = [],  # noqa: B006 - FastAPI copies defaults
    availability: Annotated[list[str], Query()] = [],  # noqa: B006
    block: Annotated[list[str], Query()] = [],  # noqa: B006
    township: Annotated[list[str], Query()] = [],  # noqa: B006
    bbox: str | None = None,
    q: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "code",
) -> Response:
    """List sites as a GeoJSON FeatureCollection (WGS84 lon/lat), areas in m², 亩 and ha."""
    flt = SiteFilter(
        kinds=kind,
        availability=availability,
        blocks=block,
        townships=township,
        bbox=_bbox(bbox),
        q=q,
    )
    page = site_service.list_sites(
        conn,
        flt,
        limit=limit or settings.app.default_page_size,
        offset=offset,
        sort=sort,
        max_limit=settings.app.max_page_size,
    )
    return Response(
        page.feature_collection(), media_type=GEOJSON, headers={"X-Total-Count": str(page.total)}
    )


@router.get(
    "/{site_id}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def get_site(site_id: int, conn: ConnDep) -> Response:
    """Return one site as a GeoJSON Feature (WGS84 lon/lat)."""
    return Response(site_service.get_site(conn, site_id), media_type=GEOJSON)
