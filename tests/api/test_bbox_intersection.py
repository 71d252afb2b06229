"""``bbox`` is intersection: a site whose bounding box overlaps a window its outline does not
touch is not in the list, its count, the OGC items, exports or the tile over that window."""

from __future__ import annotations

from pathlib import Path

import pyogrio
import pytest
import sqlalchemy as sa
from webmercator import tile_of

from gis_app.db.engine import make_engine
from gis_app.db.site_queries import SiteFilter
from gis_app.domain.gcj02 import wgs84_to_gcj02
from gis_app.io.export import export_sites

CODE = "BBOX-DIAG-1"
SPAN = 0.012  # degrees: the diagonal strip's bounding box is SPAN x SPAN
WIDTH = 0.0006
Z = 17  # a tile is ~0.00275° wide here: it fits into the strip's empty corner


def _box(x0: float, y0: float, x1: float, y1: float) -> str:
    return f"{x0},{y0},{x1},{y1}"


@pytest.fixture
def diagonal(make_db) -> tuple[str, float, float]:
    """A database with a thin SW→NE strip inside the jurisdiction; its SW corner (x, y)."""
    url = make_db("sample")
    eng = make_engine(url)  # the app's own database user
    try:
        with eng.begin() as c:
            # the first grid corner whose whole strip box lies inside the jurisdiction
            row = c.execute(
                sa.text(
                    """SELECT ST_X(p), ST_Y(p) FROM (
                         SELECT ST_SetSRID(ST_MakePoint(x, y), 4490) AS p
                           FROM (SELECT ST_Extent(geom) AS b FROM jurisdiction) e,
                                generate_series(ST_XMin(e.b)::numeric, ST_XMax(e.b)::numeric,
                                                0.005) x,
                                generate_series(ST_YMin(e.b)::numeric, ST_YMax(e.b)::numeric,
                                                0.005) y) g
                      WHERE EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom,
                              ST_MakeEnvelope(ST_X(p), ST_Y(p), ST_X(p) + :d, ST_Y(p) + :d,
                                              4490)))
                      ORDER BY ST_Y(p), ST_X(p) LIMIT 1"""
                ),
                {"d": SPAN},
            ).one()
            x, y = float(row[0]), float(row[1])
            d, w = SPAN, WIDTH
            wkt = (
                f"MULTIPOLYGON((({x} {y},{x + w} {y},{x + d} {y + d - w},"
                f"{x + d} {y + d},{x + d - w} {y + d},{x} {y + w},{x} {y})))"
            )
            c.execute(
                sa.text(
                    "INSERT INTO site (code, name_zh, kind, geom)"
                    " VALUES (:code, '对角地块', 'land', ST_GeomFromText(:wkt, 4490))"
                ),
                {"code": CODE, "wkt": wkt},
            )
    finally:
        eng.dispose()
    return url, x, y


def _list_codes(client, bbox: str) -> set[str]:
    r = client.get("/api/sites", params={"bbox": bbox, "limit": 1000})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["numberMatched"] == len(fc["features"]) == int(r.headers["x-total-count"])
    return {f["properties"]["code"] for f in fc["features"]}


def _ogc_codes(client, bbox: str) -> set[str]:
    r = client.get("/ogc/collections/sites/items", params={"bbox": bbox, "limit": 10000})
    assert r.status_code == 200, r.text
    fc = r.json()
    assert fc["numberMatched"] == len(fc["features"])
    return {f["properties"]["code"] for f in fc["features"]}


def _tile(client, tmp_path: Path, z: int, tx: int, ty: int, frame: str) -> tuple[set[str], str]:
    """Codes in tile z/tx/ty of the test site alone (``q``), and the tile's form."""
    r = client.get(f"/tiles/sites/{z}/{tx}/{ty}.pbf", params={"frame": frame, "q": CODE})
    assert r.status_code in (200, 204), r.text
    form = r.headers["x-tile-form"]
    if not r.content:
        return set(), form
    path = tmp_path / frame / str(z) / str(tx) / f"{ty}.pbf"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(r.content)
    return set(pyogrio.read_dataframe(path, layer="sites")["code"].dropna()), form


def test_bbox_is_intersection(diagonal, client_as, tmp_path) -> None:
    url, x, y = diagonal
    c = client_as("officer", url)
    # the NW corner of the strip's bounding box is empty: the outline runs SW → NE
    corner = _box(x, y + SPAN - SPAN / 4, x + SPAN / 4, y + SPAN)
    on_line = _box(x + SPAN / 2 - 0.001, y + SPAN / 2 - 0.001, x + SPAN / 2, y + SPAN / 2)
    assert CODE not in _list_codes(c, corner)
    assert CODE in _list_codes(c, on_line)
    assert CODE not in _ogc_codes(c, corner)
    assert CODE in _ogc_codes(c, on_line)
    # an export takes the same filter
    eng = make_engine(url)
    try:
        with eng.connect() as conn:
            for box, inside in ((corner, False), (on_line, True)):
                flt = SiteFilter(bbox=tuple(float(v) for v in box.split(",")))
                out = tmp_path / ("on" if inside else "corner")
                out.mkdir()
                path, _ = export_sites(conn, flt, "geojson", out, headers="keys")
                codes = set(pyogrio.read_dataframe(path).get("code", []))
                assert (CODE in codes) is inside
    finally:
        eng.dispose()

    # a z17 tile inside the empty corner, away from the box centre (whose tile owns the site);
    # in the GCJ-02 frame the whole outline is shifted by the offset at that centre
    cx, cy = x + SPAN / 2, y + SPAN / 2
    glon, glat = wgs84_to_gcj02([cx], [cy])
    dlon, dlat = float(glon[0]) - cx, float(glat[0]) - cy
    for frame, (ox, oy) in (("wgs84", (0.0, 0.0)), ("gcj02", (dlon, dlat))):
        # the tile's count (which picks its form) does not see the site either
        tx, ty = tile_of(x + 0.002 + ox, y + SPAN - 0.002 + oy, Z)
        assert _tile(c, tmp_path, Z, tx, ty, frame) == (set(), "empty")
        tx, ty = tile_of(x + SPAN / 2 + ox, y + SPAN / 2 + oy, Z)
        assert _tile(c, tmp_path, Z, tx, ty, frame) == ({CODE}, "polygon")
        # a tile the outline crosses but whose box centre lies elsewhere
        tx, ty = tile_of(x + SPAN / 4 + ox, y + SPAN / 4 + oy, Z)
        assert _tile(c, tmp_path, Z, tx, ty, frame) == ({CODE}, "polygon")
