"""Site read services: paging, counting and GeoJSON assembly (the SQL does the serialising)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa

from gis_app.db import site_queries
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.services.paging import check_page

PageT = TypeVar("PageT")


@dataclass
class SitePage:
    """One page of sites as GeoJSON Feature strings plus the total match count."""

    total: int
    limit: int
    offset: int
    features: list[str]

    def feature_collection(self) -> str:
        """The page as an RFC 7946 FeatureCollection (a JSON string)."""
        features = ",".join(self.features)
        return (
            f'{{"type":"FeatureCollection","numberMatched":{self.total},'
            f'"numberReturned":{len(self.features)},"features":[{features}]}}'
        )


@dataclass
class SiteRecordPage:
    """One page of sites as a JSON array of plain records plus the total match count."""

    total: int
    limit: int
    offset: int
    records_json: str


def _check_page(
    flt: SiteFilter, limit: int, offset: int, sort: str, max_limit: int
) -> tuple[str, bool]:
    check_page(limit, offset, max_limit)
    flt.validate()
    descending = sort.startswith("-")
    key = sort[1:] if descending else sort
    if key not in site_queries.SORTABLE:
        raise InvalidInput(
            f"sort: cannot sort by {key!r}; choose one of "
            f"{', '.join(sorted(site_queries.SORTABLE))} (prefix '-' for descending)",
            code="unknown_value",
            field="sort",
            params={"value": sort[:40]},
        )
    return key, descending


def _read_page(
    conn: sa.Connection,
    flt: SiteFilter,
    read: Callable[..., PageT],
    limit: int,
    offset: int,
    sort: str,
    max_limit: int,
) -> tuple[int, PageT]:
    """The number of sites matching ``flt`` and one page of them as ``read`` serialises it."""
    key, descending = _check_page(flt, limit, offset, sort, max_limit)
    total = site_queries.count_sites(conn, flt)
    return total, read(conn, flt, limit=limit, offset=offset, sort=key, descending=descending)


def list_sites(
    conn: sa.Connection,
    flt: SiteFilter,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "code",
    max_limit: int = 1000,
) -> SitePage:
    """Return one page of sites matching ``flt``, sorted by ``sort`` ('-' prefix: descending)."""
    total, features = _read_page(
        conn, flt, site_queries.site_features, limit, offset, sort, max_limit
    )
    return SitePage(total, limit, offset, features)


def list_site_records(
    conn: sa.Connection,
    flt: SiteFilter,
    *,
    limit: int,
    offset: int = 0,
    sort: str = "code",
    max_limit: int = 1000,
) -> SiteRecordPage:
    """Return one page of sites matching ``flt`` as plain JSON records (no geometry)."""
    total, records = _read_page(
        conn, flt, site_queries.site_records, limit, offset, sort, max_limit
    )
    return SiteRecordPage(total, limit, offset, records)


def get_site(conn: sa.Connection, site_id: int, today: dt.date) -> str:
    """One site as a GeoJSON Feature string, with the projects that took it (stage and
    milestones late as of ``today``); :class:`NotFound` when there is none."""
    feat = site_queries.site_feature(conn, site_id, today)
    if feat is None:
        raise NotFound(f"site {site_id} not found")
    return feat
