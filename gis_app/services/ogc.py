"""OGC API – Features (Part 1 Core, Part 2 CRS by reference) over the inventory's tables.

The collections, the CRSs they are offered in, the fields each caller's roles may read, and the
checking of ``limit``/``bbox``/``bbox-crs``/``crs``. SQL is in :mod:`gis_app.db.ogc_queries`;
links and HTTP headers are the API's business.

Field sets come from the registry (:mod:`gis_app.domain.fields`), never from hand-written
lists: ``sites_public`` carries the fields marked ``public`` and nothing else; ``sites`` and
``buildings`` carry what the caller's roles may read (:data:`ROLE_READS`).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from typing import Any

import cql2
import sqlalchemy as sa

from gis_app.db import cql2_sql, ogc_queries, tile_queries
from gis_app.db.ogc_queries import Output, Query
from gis_app.db.site_queries import SiteFilter
from gis_app.domain import fields, vocab
from gis_app.domain.errors import Forbidden, InvalidInput, NotFound
from gis_app.services.paging import check_page

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@dataclass(frozen=True)
class Crs:
    """A CRS the service offers: its URI, SRID, axis order and where it is defined.

    ``north_first``: the CRS's first axis is latitude or northing (EPSG:4326, 4490, 4549,
    4550), so coordinates and ``bbox`` values are written in that order (OGC API – Features
    Part 2); CRS84 is longitude first. ``area`` is the lon/lat box where the CRS is meant to
    be used (EPSG's area of use; the whole globe for the geographic CRSs).
    """

    uri: str
    srid: int
    north_first: bool
    digits: int
    area: tuple[float, float, float, float]
    projected: bool = False

    @property
    def label(self) -> str:
        """Short name for messages (``EPSG:4550``, ``CRS84``)."""
        return "CRS84" if self.uri == CRS84 else f"EPSG:{self.srid}"


#: offered CRSs: storage (4490), WGS84 both ways, CGCS2000 3° Gauss-Krüger 120°E and 123°E
CRSS: dict[str, Crs] = {
    c.uri: c
    for c in (
        Crs(CRS84, 4326, False, 7, (-180.0, -90.0, 180.0, 90.0)),
        Crs(f"{_EPSG}4326", 4326, True, 7, (-180.0, -90.0, 180.0, 90.0)),
        Crs(f"{_EPSG}4490", 4490, True, 7, (-180.0, -90.0, 180.0, 90.0)),
        Crs(f"{_EPSG}4549", 4549, True, 3, (118.5, 24.43, 121.5, 53.33), projected=True),
        Crs(f"{_EPSG}4550", 4550, True, 3, (121.5, 28.22, 124.5, 53.56), projected=True),
    )
}
STORAGE_CRS = f"{_EPSG}4490"
# A projected box may reach this far (degrees) beyond the CRS's area of use: offshore islands
# and a map view around the edge are still meant.
_AREA_MARGIN_DEG = 1.0


def parse_crs(value: str | None, parameter: str) -> Crs:
    """The offered CRS named by ``value`` (OGC URI, ``EPSG:n``, ``urn:ogc:def:crs:EPSG::n``,
    ``[EPSG:n]``); CRS84 when not given. Raise :class:`InvalidInput` naming ``parameter``."""
    if value is None or value == "":
        return CRSS[CRS84]
    text = value.strip().strip("[]")
    if text in CRSS:
        return CRSS[text]
    upper = text.upper()
    code = None
    for prefix in ("EPSG:", "URN:OGC:DEF:CRS:EPSG::", "URN:OGC:DEF:CRS:EPSG:0:"):
        if upper.startswith(prefix):
            code = upper[len(prefix) :]
    if upper in ("CRS84", "OGC:CRS84", "URN:OGC:DEF:CRS:OGC:1.3:CRS84"):
        return CRSS[CRS84]
    if code is not None and f"{_EPSG}{code}" in CRSS:
        return CRSS[f"{_EPSG}{code}"]
    raise InvalidInput(
        f"{parameter}: unknown or unsupported CRS {value[:80]!r}; supported: {', '.join(CRSS)}",
        code="unknown_crs",
        field=parameter,
        params={"value": value[:80]},
    )


@dataclass(frozen=True)
class Collection:
    """A collection: id, titles (Chinese first), source table, and who may read which fields."""

    id: str
    title_zh: str
    title_en: str
    description: str
    table: str
    geometry: str
    #: the site search filters apply (``/api/sites`` parameters are its queryables)
    site_filters: bool = False
    #: only the registry's public fields, whoever asks
    public_only: bool = False


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "sites",
            "招商资源（地块、厂房）",
            "Sites (land parcels, plants, buildings, islands, shorelines)",
            "Current sites with the fields the caller's role may read; takes the filters of "
            "GET /api/sites (see queryables).",
            "site",
            "MultiPolygon",
            site_filters=True,
        ),
        Collection(
            "sites_public",
            "招商资源（公开字段）",
            "Sites, public fields only",
            "Current sites with the fields marked public (what investors may see), for "
            "integrating platforms: no internal field at all.",
            "site",
            "MultiPolygon",
            site_filters=True,
            public_only=True,
        ),
        Collection(
            "buildings",
            "厂房与楼宇",
            "Buildings and floor space",
            "Buildings of current sites, drawn with their site's outline.",
            "building",
            "MultiPolygon",
        ),
        Collection(
            "constraint_zones",
            "管控区（生态保护红线、永久基本农田等）",
            "Constraint zones",
            "Planning control zones: ecological redline, basic farmland, urban growth "
            "boundary and others.",
            "constraint_zone",
            "MultiPolygon",
        ),
        Collection(
            "infrastructure",
            "基础设施（港口、码头、互通等）",
            "Infrastructure",
            "Ports, wharves, ferry terminals, expressway interchanges … (points or lines).",
            "infrastructure",
            "Geometry",
        ),
        Collection(
            "jurisdiction",
            "辖区范围",
            "Jurisdiction",
            "The administrative area the inventory covers.",
            "jurisdiction",
            "MultiPolygon",
        ),
    )
}

#: what each role reads of sites and buildings, as registry selections. Officers, planners
#: and admins read every attribute (the site sheet shows them the internal ones too); the
#: public selection is what ``sites_public`` and investors get.
ROLE_READS: dict[str, str] = {"officer": "staff", "planner": "staff", "admin": "staff"}

_PLAIN_COLUMNS: dict[str, tuple[str, ...]] = {
    "constraint_zone": (
        "code",
        "kind",
        "name_zh",
        "name_en",
        "source",
        "version_date",
        "version",
        "updated_at",
    ),
    "infrastructure": ("code", "kind", "name_zh", "name_en", "berth_dwt", "updated_at"),
    "jurisdiction": ("code", "name_zh", "name_en", "default_epsg"),
}


def collection(collection_id: str) -> Collection:
    """The collection ``collection_id``; :class:`NotFound` naming the ones there are."""
    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(
            f"no collection {collection_id[:60]!r}; collections: {', '.join(COLLECTIONS)}"
        ) from None


def readable_columns(coll: Collection, roles: frozenset[str]) -> tuple[str, ...]:
    """The columns of ``coll`` a caller with ``roles`` reads (registry order).

    Raise :class:`Forbidden` when none of ``roles`` may read the collection.
    """
    if coll.table not in ("site", "building"):
        if not any(r in ROLE_READS for r in roles):
            raise Forbidden(f"collection {coll.id!r} needs one of the roles {sorted(ROLE_READS)}")
        return _PLAIN_COLUMNS[coll.table]
    registry = fields.SITE if coll.table == "site" else fields.BUILDING
    if coll.public_only:
        return fields.names(registry, public=True)
    if not any(ROLE_READS.get(r) == "staff" for r in roles):
        raise Forbidden(
            f"collection {coll.id!r} needs one of the roles {sorted(ROLE_READS)}; "
            "integrators without one read sites_public"
        )
    # every stored attribute the registry declares (the site sheet's officer view)
    return fields.names(registry, stored=True)


def parse_bbox(
    conn: sa.Connection, value: str | None, bbox_crs: str | None
) -> tuple[tuple[float, float, float, float], Crs] | None:
    """``bbox`` in ``bbox-crs`` (axis order of that CRS) as an east-first box and its CRS.

    Refused with a message naming the parameter: not four finite numbers, min above max, a
    geographic box beyond ±180/±90 (often latitude and longitude swapped), a projected box
    outside the area where its CRS is defined.
    """
    if value is None or value == "":
        if bbox_crs:
            parse_crs(bbox_crs, "bbox-crs")
        return None
    crs = parse_crs(bbox_crs, "bbox-crs")
    try:
        nums = [float(v) for v in value.split(",")]
    except ValueError:
        nums = []
    if len(nums) != 4 or not all(math.isfinite(v) for v in nums):
        raise InvalidInput(
            f"bbox must be four numbers separated by commas, got {value[:80]!r}",
            code="bad_bbox",
            field="bbox",
            params={"value": value[:80]},
        )
    order = "minlat,minlon,maxlat,maxlon" if crs.north_first else "minlon,minlat,maxlon,maxlat"
    if crs.projected:
        order = "minnorthing,mineasting,maxnorthing,maxeasting"
    a0, b0, a1, b1 = nums
    if a0 > a1 or b0 > b1:
        raise InvalidInput(
            f"bbox: min above max (order for {crs.label}: {order})",
            code="bad_bbox",
            field="bbox",
            params={"value": value[:80]},
        )
    x0, y0, x1, y1 = (b0, a0, b1, a1) if crs.north_first else (a0, b0, a1, b1)
    box = (x0, y0, x1, y1)
    if not crs.projected:
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InvalidInput(
                f"bbox {value[:80]!r} lies outside {crs.label} (longitude -180..180, latitude "
                f"-90..90; order for {crs.label}: {order})",
                code="bbox_outside_crs",
                field="bbox",
                params={"value": value[:80]},
            )
        return box, crs
    lonlat = None
    if all(abs(v) < 1e8 for v in box):
        lonlat = ogc_queries.lonlat_box(conn, box, crs.srid)
    ax0, ay0, ax1, ay1 = crs.area
    m = _AREA_MARGIN_DEG
    if lonlat is None or not (
        lonlat[0] <= ax1 + m
        and lonlat[2] >= ax0 - m
        and lonlat[1] <= ay1 + m
        and lonlat[3] >= ay0 - m
    ):
        raise InvalidInput(
            f"bbox {value[:80]!r} lies outside the area where {crs.label} is defined "
            f"(lon {ax0}..{ax1}, lat {ay0}..{ay1}; order: {order}, metres)",
            code="bbox_outside_crs",
            field="bbox",
            params={"value": value[:80]},
        )
    return box, crs


@dataclass(frozen=True)
class ItemsRequest:
    """A checked request for features of one collection."""

    collection: Collection
    columns: tuple[str, ...]
    crs: Crs
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    bbox: tuple[tuple[float, float, float, float], Crs] | None = None
    site_filter: SiteFilter | None = None
    #: the CQL2 filter as SQL on the collection's alias, with its bind values
    cql: tuple[str, dict[str, Any]] | None = None


def items_request(
    conn: sa.Connection,
    collection_id: str,
    roles: frozenset[str],
    *,
    limit: int = DEFAULT_LIMIT,
    offset: int = 0,
    bbox: str | None = None,
    bbox_crs: str | None = None,
    crs: str | None = None,
    site_filter: SiteFilter | None = None,
    cql_filter: str | None = None,
    filter_lang: str | None = None,
) -> ItemsRequest:
    """Check the parameters of an items request; every refusal names its parameter."""
    coll = collection(collection_id)
    columns = readable_columns(coll, roles)
    check_page(limit, offset, MAX_LIMIT, max_offset=None)
    out_crs = parse_crs(crs, "crs")
    box = parse_bbox(conn, bbox, bbox_crs)
    if site_filter is not None and site_filter != SiteFilter():
        if not coll.site_filters:
            raise InvalidInput(
                f"collection {coll.id!r} takes no site search filters (only bbox); "
                "they are queryables of sites and sites_public",
                code="not_applicable",
                params={"field": _SITE_FILTERS, "value": coll.id},
            )
        site_filter.validate()
    else:
        site_filter = None
    cql = _cql(coll, columns, cql_filter, filter_lang) if cql_filter else None
    return ItemsRequest(coll, columns, out_crs, limit, offset, box, site_filter, cql)


#: what the site search's filters are called in a refusal
_SITE_FILTERS = vocab.Term("site_filters", "资源查询条件", "Site search filters")

#: the ``filter-lang`` values understood (``cql-text``: the name GDAL's OAPIF driver sends)
FILTER_LANGS = ("cql2-text", "cql2-json", "cql-text")


def filter_properties(coll: Collection, columns: tuple[str, ...]) -> dict[str, str]:
    """The properties a CQL2 filter may name (the caller's readable ones) → their SQL."""
    source = ogc_queries.SOURCES[coll.table]
    out = {name: f"{source.alias}.{name}" for name in columns}
    out |= {name: sql for sql, name in source.extra}
    return out


def _cql(
    coll: Collection, columns: tuple[str, ...], text: str, lang: str | None
) -> tuple[str, dict[str, Any]]:
    """Parse a CQL2 ``filter`` (text or JSON) into SQL on the properties the caller reads."""
    lang = (lang or "cql2-text").lower()
    if lang not in FILTER_LANGS:
        raise InvalidInput(
            f"filter-lang must be one of {', '.join(FILTER_LANGS)}, got {lang!r}",
            code="unknown_value",
            field="filter-lang",
            params={"value": lang[:40]},
        )
    if len(text) > 20_000:
        raise InvalidInput(
            "filter: longer than 20,000 characters",
            code="filter_too_complex",
            field="filter",
            params={"max": "20,000"},
        )
    try:
        expr = cql2.Expr(json.loads(text) if lang == "cql2-json" else text).to_json()
    except Exception as e:  # cql2 raises a plain Exception for syntax errors
        detail = " ".join(str(e).split())[:300]
        raise InvalidInput(
            f"filter is not valid {lang}: {detail}", code="bad_filter", field="filter"
        ) from None
    return cql2_sql.to_sql(expr, filter_properties(coll, columns))


def _query(req: ItemsRequest) -> Query:
    where, params = "true", {}
    if req.site_filter is not None:
        where, params = req.site_filter.where()
    if req.cql is not None:
        where, params = f"({where}) AND {req.cql[0]}", params | req.cql[1]
    bbox, bbox_srid = (None, 4326) if req.bbox is None else (req.bbox[0], req.bbox[1].srid)
    return Query(
        ogc_queries.SOURCES[req.collection.table],
        req.columns,
        Output(req.crs.srid, req.crs.north_first, req.crs.digits),
        where,
        params,
        bbox,
        bbox_srid,
    )


@dataclass(frozen=True)
class Page:
    """One page of features: the feature texts joined by commas, and the counts."""

    features_json: str
    number_matched: int
    number_returned: int


def items(conn: sa.Connection, req: ItemsRequest) -> Page:
    """One page of ``req``'s features (ordered by id) and how many match in all."""
    q = _query(req)
    try:
        text, returned = ogc_queries.features(conn, q, limit=req.limit, offset=req.offset)
        # a short page that is not past the end tells the total without counting
        short = returned < req.limit and (returned > 0 or req.offset == 0)
        matched = req.offset + returned if short else ogc_queries.count(conn, q)
    except (sa.exc.DataError, sa.exc.ProgrammingError) as e:
        if req.cql is None:
            raise
        # a value that does not suit its property (area_mu = 'large', kind > 3)
        conn.rollback()
        reason = str(getattr(e, "orig", e)).strip().splitlines()[0][:200]
        raise InvalidInput(
            f"filter: a value does not suit its property ({reason})",
            code="filter_type_mismatch",
            field="filter",
        ) from None
    return Page(text, matched, returned)


def item(conn: sa.Connection, req: ItemsRequest, fid: int) -> str:
    """One feature as GeoJSON text; :class:`NotFound` when it is not in the collection."""
    text = ogc_queries.feature(conn, _query(req), fid)
    if text is None:
        raise NotFound(f"collection {req.collection.id!r} has no feature {fid}")
    return text


def data_version(conn: sa.Connection) -> str:
    """Token of the data's current state (see :func:`gis_app.db.ogc_queries.data_version`)."""
    return ogc_queries.data_version(conn)


def etag(*parts: Any) -> str:
    """A strong ETag over ``parts`` (the data version and what shapes the response)."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]
    return f'"{digest}"'


def extent(conn: sa.Connection) -> tuple[float, float, float, float] | None:
    """Lon/lat extent offered for every collection: the jurisdiction (or the sites')."""
    return tile_queries.jurisdiction_bounds(conn)


def _json_type(field: fields.Field) -> dict[str, Any]:
    base: dict[str, Any] = {
        "text": {"type": "string"},
        "landuse": {"type": "string"},
        "float": {"type": "number"},
        "int": {"type": "integer"},
        "bool": {"type": "boolean"},
        "date": {"type": "string", "format": "date"},
        "datetime": {"type": "string", "format": "date-time"},
        "text_list": {"type": "array", "items": {"type": "string"}},
    }[field.type]
    if field.vocabulary is not None and field.type == "text":
        base = {**base, "enum": list(field.vocabulary.keys)}
    return base


def feature_schema(coll: Collection, columns: tuple[str, ...]) -> dict[str, Any]:
    """JSON Schema of the properties a caller gets from ``coll`` (titles Chinese first)."""
    registry = {"site": fields.SITE, "building": fields.BUILDING}.get(coll.table, {})
    props: dict[str, Any] = {}
    for c in columns:
        f = registry.get(c)
        if f is None:
            props[c] = {"title": c}
            continue
        props[c] = {"title": f"{f.zh} / {f.en}", **_json_type(f)}
        if f.unit:
            props[c]["x-unit"] = f.unit
    if coll.table == "building":
        props["site_id"] = {"title": "地块ID / Site id", "type": "integer"}
        props["site_code"] = {"title": "地块编号 / Site code", "type": "string"}
    return {"type": "object", "properties": props}


#: query parameters of the site search whose values are vocabulary keys
_VOCAB_PARAMS: dict[str, vocab.Vocabulary] = {
    "kind": vocab.SITE_KIND,
    "availability": vocab.AVAILABILITY,
    "supply_stage": vocab.SUPPLY_STAGE,
    "readiness": vocab.READINESS,
    "policy_status": vocab.POLICY_STATUS,
    "planning_status": vocab.PLANNING_STATUS,
    "quota_status": vocab.QUOTA_STATUS,
}


_REGISTRIES = {"site": fields.SITE, "building": fields.BUILDING, "constraint_zone": fields.ZONE}


def queryables(
    coll: Collection, parameters: list[tuple[str, str, bool]], columns: tuple[str, ...] = ()
) -> dict[str, Any]:
    """JSON Schema of ``coll``'s queryables: the site search parameters (name, JSON type,
    repeatable) for the site collections, and every property the caller reads (``columns``),
    which a CQL2 ``filter`` may name."""
    props: dict[str, Any] = {}
    registry = _REGISTRIES.get(coll.table, {})
    for name in filter_properties(coll, columns):
        f = registry.get(name)
        props[name] = (
            {"title": f"{f.zh} / {f.en}", **_json_type(f)}
            if f is not None
            else {"title": name, "type": "integer" if name.endswith("_id") else "string"}
        )
    if coll.site_filters:
        for name, json_type, repeatable in parameters:
            item: dict[str, Any] = {"type": json_type}
            voc = _VOCAB_PARAMS.get(name)
            if voc is not None:
                item["enum"] = list(voc.keys)
            f = fields.SITE.get(name)
            title = f"{f.zh} / {f.en}" if f is not None else name
            props[name] = (
                {"title": title, "type": "array", "items": item}
                if repeatable
                else {"title": title, **item}
            )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": f"{coll.title_zh} / {coll.title_en}",
        "properties": props,
        "additionalProperties": False,
    }
