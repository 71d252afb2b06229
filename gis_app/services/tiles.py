"""Map data per viewport: site vector tiles and reference layers (checked inputs, SQL in db)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import sqlalchemy as sa

from gis_app.db import ogc_queries, scope, site_queries, tile_queries
from gis_app.db.site_queries import SiteFilter
from gis_app.db.tile_queries import TileRequest
from gis_app.domain import fields, vocab
from gis_app.domain.errors import InvalidInput, NotFound, range_refusal
from gis_app.domain.filters import SEARCH_PARAMETERS
from gis_app.services import districts as district_service
from gis_app.settings import MapSettings

MAX_ZOOM = 22
FRAMES = ("wgs84", "gcj02")


@dataclass(frozen=True)
class Tile:
    """An encoded Mapbox Vector Tile and how its sites are drawn (polygon/point/cluster)."""

    data: bytes
    form: str
    #: the data version the tile was cut at (its ETag and cache lifetime depend on it)
    version: str = ""
    #: served from the slow-tile cache
    cached: bool = False


class _SlowTileCache:
    """Tiles that took long to cut (crowded low-zoom clusters), until the data changes.

    The key holds the database and the request; a tile is served from here only while the
    data version (:func:`data_version`: exact for the writes that leave history, which are
    all writes of sites and buildings) is still the one it was cut at. Fast tiles are never
    cached. Every process keeps its own, but the version comes from the database: a write
    seen by one process is seen by all of them.
    """

    def __init__(self, max_entries: int = 512) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple, Tile] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Tile | None:
        with self._lock:
            tile = self._items.get(key)
            if tile is not None:
                self._items.move_to_end(key)
            return tile

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def put(self, key: tuple, tile: Tile, seconds: float, min_seconds: float) -> None:
        if seconds < min_seconds:
            return
        with self._lock:
            self._items[key] = tile
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


_TILE_CACHE = _SlowTileCache()


def check_tile_address(z: int, x: int, y: int) -> None:
    """Raise :class:`InvalidInput` unless z/x/y names a Web-Mercator tile."""
    if not 0 <= z <= MAX_ZOOM:
        raise range_refusal(
            f"tile zoom must be between 0 and {MAX_ZOOM}, got {z}", "z", z, 0, MAX_ZOOM
        )
    n = 2**z
    if not (0 <= x < n and 0 <= y < n):
        raise range_refusal(
            f"tile {z}/{x}/{y} does not exist (x and y go from 0 to {n - 1})",
            "x" if not 0 <= x < n else "y",
            x if not 0 <= x < n else y,
            0,
            n - 1,
        )


def check_frame(frame: str) -> str:
    """Return ``frame`` if it is a known display frame ("wgs84" or "gcj02")."""
    if frame not in FRAMES:
        raise InvalidInput(
            f"frame must be one of {', '.join(FRAMES)}, got {frame[:20]!r}",
            code="unknown_value",
            field="frame",
            params={"value": frame[:20]},
        )
    return frame


def site_tile(
    conn: sa.Connection,
    flt: SiteFilter,
    z: int,
    x: int,
    y: int,
    *,
    frame: str = "wgs84",
    settings: MapSettings | None = None,
    version: str | None = None,
) -> Tile:
    """The sites matching ``flt`` in tile z/x/y, as a vector tile (layer ``sites``).

    ``version``: the data version if the caller has just read it (:func:`data_version`);
    otherwise it is read in the tile's own statement, or first when a cut of this tile is in
    the cache (to know whether it is still current)."""
    check_tile_address(z, x, y)
    s = settings or MapSettings()
    req = TileRequest(
        z,
        x,
        y,
        frame=check_frame(frame),  # type: ignore[arg-type]
        polygon_min_zoom=s.polygon_min_zoom,
        max_features=s.tile_max_features,
    )
    where, params = flt.where()
    key = (
        conn.engine.url.render_as_string(hide_password=True),
        # whose tile it is: under row security two callers see different sites in it
        scope.bound(conn),
        req,
        where,
        tuple(sorted((k, repr(v)) for k, v in params.items())),
    )
    cached = _TILE_CACHE.get(key)
    if cached is not None:
        current = version if version is not None else data_version(conn)
        if cached.version == current:
            return replace(cached, cached=True)
    started = time.perf_counter()
    data, form, cut_at = tile_queries.site_tile(conn, flt, req)
    tile = Tile(data, form, cut_at)
    _TILE_CACHE.put(key, tile, time.perf_counter() - started, s.tile_cache_min_s)
    return tile


#: properties of the ``sites`` tile layer and their TileJSON types
SITE_TILE_FIELDS: dict[str, str] = {
    "id": "Number",
    "code": "String",
    "name_zh": "String",
    "name_en": "String",
    "kind": "String",
    "availability": "String",
    "area_mu": "Number",
    "n": "Number",
    "n_available": "Number",
    "own": "Number",
    "form": "String",
}


def data_version(conn: sa.Connection) -> str:
    """Token of the data's current state; tiles, TileJSON and OGC responses carry it in their
    ETags (see :func:`gis_app.db.ogc_queries.data_version`)."""
    return ogc_queries.data_version(conn)


def site_tilejson(
    conn: sa.Connection, tile_url: str, version: str, *, settings: MapSettings | None = None
) -> dict:
    """TileJSON 3.0.0 of the sites layer; ``tile_url`` is the {z}/{x}/{y} template, which
    carries the data version so that a client may cache its tiles until the data changes."""
    s = settings or MapSettings()
    bounds = tile_queries.jurisdiction_bounds(conn) or (-180.0, -85.0511, 180.0, 85.0511)
    centre_zoom = max(0, min(MAX_ZOOM, s.polygon_min_zoom - 3))
    return {
        "tilejson": "3.0.0",
        "name": "招商资源 / Sites",
        "description": "Sites as Mapbox Vector Tiles cut by PostGIS (layer sites): outlines "
        f"from zoom {s.polygon_min_zoom}, points below, clusters above "
        f"{s.tile_max_features} sites a tile.",
        "version": "1.0.0",
        "scheme": "xyz",
        "tiles": [tile_url],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": list(bounds),
        "center": [(bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2, centre_zoom],
        "vector_layers": [
            {
                "id": "sites",
                "description": "sites, or clusters of sites (n > 1)",
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": SITE_TILE_FIELDS,
            }
        ],
        "data_version": version,
    }


def reference_layer(
    conn: sa.Connection,
    layer: str,
    *,
    zoom: int,
    bbox: tuple[float, float, float, float] | None = None,
    kinds: list[str] | None = None,
    clip: bool = False,
) -> str:
    """A reference layer (jurisdiction, constraint_zones, infrastructure) as GeoJSON (WGS84);
    ``clip``: outlines cut to the ``bbox`` (grown by 5 %), as a map draws them there."""
    if layer not in tile_queries.REFERENCE_LAYERS:
        raise NotFound(
            f"no map layer {layer!r}; layers: {', '.join(sorted(tile_queries.REFERENCE_LAYERS))}"
        )
    if not 0 <= zoom <= MAX_ZOOM:
        raise range_refusal(
            f"zoom must be between 0 and {MAX_ZOOM}, got {zoom}", "zoom", zoom, 0, MAX_ZOOM
        )
    voc = {"constraint_zones": vocab.CONSTRAINT_KIND, "infrastructure": vocab.INFRA_KIND}.get(layer)
    for k in kinds or []:
        if voc is None:
            raise InvalidInput(
                f"layer {layer!r} has no kinds to filter on",
                code="not_applicable",
                field="kind",
                params={"value": layer},
            )
        voc.term(k)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise InvalidInput(
                f"bbox {bbox!r} is not a lon/lat box with min <= max",
                code="bad_bbox",
                field="bbox",
                params={"value": ",".join(map(str, bbox))},
            )
    return tile_queries.reference_layer(conn, layer, bbox=bbox, zoom=zoom, kinds=kinds, clip=clip)


def map_extent(conn: sa.Connection) -> tuple[float, float, float, float] | None:
    """The extent a map opens on: the jurisdiction (or the sites), lon/lat."""
    return tile_queries.jurisdiction_bounds(conn)


def filter_choices(conn: sa.Connection) -> dict[str, list[str]]:
    """Values offered by the search form for its place-name parameters (blocks, townships …):
    the ``names`` parameters of :data:`gis_app.domain.filters.SEARCH_PARAMETERS`."""
    return {
        p.name: tile_queries.distinct_values(conn, p.name)
        for p in SEARCH_PARAMETERS
        if p.control == "names"
    }


def english_names(conn: sa.Connection, choices: dict[str, list[str]]) -> dict[str, dict[str, str]]:
    """English names of the blocks and townships of ``choices`` (as :func:`filter_choices`
    gives them), where the data has them: ``{"block": {"白莲区块": "Bailian Block"}, …}``."""
    return {
        col: tile_queries.english_names(conn, col, vals)
        for col, vals in choices.items()
        if f"{col}_en" in fields.SITE  # places with an English name column (not platform)
    }


@dataclass(frozen=True)
class Selection:
    """A small selection of sites with its context layers, for a standalone map."""

    sites: dict
    jurisdiction: dict
    constraint_zones: dict
    infrastructure: dict
    bounds: tuple[float, float, float, float] | None
    #: the districts' names for the popups (see :func:`districts.script_labels`)
    districts: dict = field(default_factory=dict)


def export_selection(conn: sa.Connection, flt: SiteFilter, *, max_sites: int) -> Selection:
    """The sites matching ``flt`` (at most ``max_sites``, else refused) with context layers."""
    import json

    flt.validate()
    total = site_queries.count_sites(conn, flt)
    if total > max_sites:
        raise InvalidInput(
            f"the selection has {total} sites, more than the {max_sites} a standalone map may "
            "embed; narrow the filters (e.g. --township, --kind, --bbox) or use the web map"
        )
    features = [json.loads(f) for f in site_queries.site_features(conn, flt, limit=max(total, 1))]
    sites = {"type": "FeatureCollection", "features": features}
    bounds = tile_queries.jurisdiction_bounds(conn)
    if features:
        bounds = tile_queries.features_bounds(conn, [f["id"] for f in features]) or bounds
    layers = {
        name: json.loads(tile_queries.reference_layer(conn, name, bbox=None, zoom=13))
        for name in ("jurisdiction", "constraint_zones", "infrastructure")
    }
    return Selection(
        sites=sites, bounds=bounds, districts=district_service.script_labels(conn), **layers
    )
