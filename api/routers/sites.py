"""Site read endpoints: search (GeoJSON in WGS84, or plain JSON records) and one site."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import CurrentUser, allow
from api.deps import ConnDep, SettingsDep
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import InvalidInput
from gis_app.services import history as history_service
from gis_app.services import matching as match_service
from gis_app.services import site_edits
from gis_app.services import sites as site_service
from gis_app.services.requirements import Viewer

router = APIRouter(prefix="/api/sites", tags=["sites"])
READ = allow("officer", "planner", "admin")
GEOJSON = "application/geo+json"
FORMATS = ("geojson", "json")

_List = Annotated[list[str], Query()]


def _floats(name: str, value: str, n: int) -> tuple[float, ...]:
    try:
        parts = tuple(float(v) for v in value.split(","))
    except ValueError:
        parts = ()
    if len(parts) != n:
        shape = "minlon,minlat,maxlon,maxlat" if n == 4 else "lon,lat"
        raise InvalidInput(f"{name} must be '{shape}' (numbers), got {value[:80]!r}")
    return parts


def _bbox(value: str | None) -> tuple[float, float, float, float] | None:
    if not value:
        return None
    x0, y0, x1, y1 = _floats("bbox", value, 4)
    return x0, y0, x1, y1


def _near(value: str | None) -> tuple[float, float] | None:
    if not value:
        return None
    lon, lat = _floats("near", value, 2)
    return lon, lat


def site_filter(
    kind: _List = [],  # noqa: B006 - FastAPI copies defaults
    block: _List = [],  # noqa: B006
    township: _List = [],  # noqa: B006
    platform: _List = [],  # noqa: B006
    land_use: _List = [],  # noqa: B006
    area_mu_min: float | None = None,
    area_mu_max: float | None = None,
    area_m2_min: float | None = None,
    area_m2_max: float | None = None,
    availability: _List = [],  # noqa: B006
    supply_stage: _List = [],  # noqa: B006
    readiness: _List = [],  # noqa: B006
    policy_status: _List = [],  # noqa: B006
    planning_status: _List = [],  # noqa: B006
    quota_status: _List = [],  # noqa: B006
    max_price_wan_per_mu: float | None = None,
    max_rent_yuan_m2_month: float | None = None,
    vacant_gfa_min_m2: float | None = None,
    floor_height_min_m: float | None = None,
    floor_load_min_kg_m2: float | None = None,
    crane_min_t: float | None = None,
    power_min_kva: float | None = None,
    shoreline_min_m: float | None = None,
    berth_dwt_min: float | None = None,
    water_depth_min_m: float | None = None,
    max_km_port: float | None = None,
    max_km_wharf: float | None = None,
    max_km_ferry: float | None = None,
    max_km_expressway: float | None = None,
    bbox: str | None = None,
    near: str | None = None,
    radius_km: float | None = None,
    q: str | None = None,
    verified_within_days: int | None = None,
) -> SiteFilter:
    """Parse the search parameters of ``GET /api/sites`` into a checked :class:`SiteFilter`."""
    flt = SiteFilter(
        kinds=kind,
        blocks=block,
        townships=township,
        platforms=platform,
        land_use=land_use,
        area_mu_min=area_mu_min,
        area_mu_max=area_mu_max,
        area_m2_min=area_m2_min,
        area_m2_max=area_m2_max,
        availability=availability,
        supply_stage=supply_stage,
        readiness=readiness,
        policy_status=policy_status,
        planning_status=planning_status,
        quota_status=quota_status,
        max_price_wan_per_mu=max_price_wan_per_mu,
        max_rent_yuan_m2_month=max_rent_yuan_m2_month,
        vacant_gfa_min_m2=vacant_gfa_min_m2,
        floor_height_min_m=floor_height_min_m,
        floor_load_min_kg_m2=floor_load_min_kg_m2,
        crane_min_t=crane_min_t,
        power_min_kva=power_min_kva,
        shoreline_min_m=shoreline_min_m,
        berth_dwt_min=berth_dwt_min,
        water_depth_min_m=water_depth_min_m,
        max_km_port=max_km_port,
        max_km_wharf=max_km_wharf,
        max_km_ferry=max_km_ferry,
        max_km_expressway=max_km_expressway,
        bbox=_bbox(bbox),
        near=_near(near),
        radius_km=radius_km,
        q=q or None,
        verified_within_days=verified_within_days,
    )
    flt.validate()
    return flt


SiteFilterDep = Annotated[SiteFilter, Depends(site_filter)]


@router.get(
    "",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}, "application/json": {}}}},
    dependencies=[READ],
)
def list_sites(
    conn: ConnDep,
    settings: SettingsDep,
    flt: SiteFilterDep,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "code",
    format: str = "geojson",
) -> Response:
    """Search sites: a GeoJSON FeatureCollection (WGS84 lon/lat) or, with format=json, a list.

    Land use matches hierarchically and across the 2023 and GB 50137 classifications; building
    specs match sites with one building meeting all of them; distances are to the nearest
    infrastructure of each kind. The total is in ``numberMatched`` and ``X-Total-Count``.
    """
    if format not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, got {format[:40]!r}")
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
    page = site_service.list_sites(conn, flt, **args)
    return Response(
        page.feature_collection(), media_type=GEOJSON, headers={"X-Total-Count": str(page.total)}
    )


@router.get(
    # digits only: /api/sites/merge (POST) is another resource, not a site (issue 18)
    "/{site_id:int}",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}}},
    dependencies=[READ],
)
def get_site(site_id: int, conn: ConnDep, as_of: str | None = None) -> Response:
    """Return one site as a GeoJSON Feature (WGS84 lon/lat); ``ETag`` is its version (send it
    as ``If-Match`` when editing). ``as_of=YYYY-MM-DD`` (end of that day) or an ISO date-time
    returns the site as it was then, rebuilt from its history."""
    # issue 6: past states and the ETag (gis_app.services.history / site_edits)
    if as_of is not None:
        past = history_service.site_feature_as_of(conn, site_id, history_service.parse_as_of(as_of))
        return Response(past, media_type=GEOJSON)
    body = site_service.get_site(conn, site_id)
    version = site_edits.feature_version(body)
    headers = {"ETag": site_edits.etag(version)} if version is not None else {}
    return Response(body, media_type=GEOJSON, headers=headers)


@router.get(
    "/{site_id}/matching-requirements",
    dependencies=[allow("officer", "planner")],
)
def matching_requirements(
    site_id: Annotated[int, Path(ge=1, le=2**63 - 1)], conn: ConnDep, user: CurrentUser
) -> list[dict[str, Any]]:
    """Open requirements this site meets now (every hard constraint), newest first."""
    viewer = Viewer(user.username, admin="admin" in user.roles)
    return match_service.matching_requirements(conn, site_id, viewer)
