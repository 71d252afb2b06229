"""Site vector tiles and reference layers, read back with GDAL's MVT driver."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import sqlalchemy as sa
from webmercator import tile_of

from gis_app.db import tile_queries
from gis_app.db.site_queries import SiteFilter
from gis_app.db.tile_queries import TileRequest
from gis_app.domain.errors import InvalidInput, NotFound
from gis_app.domain.gcj02 import wgs84_to_gcj02
from gis_app.services import tiles as tile_service


def _read(tmp_path: Path, data: bytes, z: int, x: int, y: int):
    folder = tmp_path / str(z) / str(x)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{y}.pbf"
    path.write_bytes(data)
    if not data:
        return None
    return pyogrio.read_dataframe(path, layer="sites")


def _tiles_over(conn, z: int) -> list[tuple[int, int]]:
    x0, y0, x1, y1 = tile_queries.jurisdiction_bounds(conn)
    tx0, ty1 = tile_of(x0, y0, z)
    tx1, ty0 = tile_of(x1, y1, z)
    return [(x, y) for x in range(tx0, tx1 + 1) for y in range(ty0, ty1 + 1)]


@pytest.mark.parametrize(("z", "form"), [(10, "point"), (14, "polygon")])
def test_every_site_is_owned_by_exactly_one_tile(conn, tmp_path, z, form):
    total = conn.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    owned: list[int] = []
    forms = set()
    for x, y in _tiles_over(conn, z):
        data, f, _ = tile_queries.site_tile(conn, SiteFilter(), TileRequest(z, x, y))
        df = _read(tmp_path, data, z, x, y)
        if df is None:
            continue
        forms.add(f)
        owned += df.loc[df["own"] == 1, "id"].astype(int).tolist()
    assert forms == {form}
    assert len(owned) == len(set(owned)) == total


def test_tile_follows_the_search_filter(conn, tmp_path):
    flt = SiteFilter(availability=["available"], kind=["land"])
    expected = conn.execute(
        sa.text("SELECT count(*) FROM site WHERE availability = 'available' AND kind = 'land'")
    ).scalar_one()
    owned = []
    for x, y in _tiles_over(conn, 11):
        data, _, _ = tile_queries.site_tile(conn, flt, TileRequest(11, x, y))
        df = _read(tmp_path, data, 11, x, y)
        if df is not None:
            assert set(df["availability"]) == {"available"} and set(df["kind"]) == {"land"}
            owned += df.loc[df["own"] == 1, "id"].tolist()
    assert len(owned) == expected > 0


@pytest.mark.parametrize(
    "flt",
    [
        SiteFilter(),
        SiteFilter(availability=["available"], kind=["land", "plant"]),
        SiteFilter(area_mu_min=5.5, area_m2_max=200000),
        SiteFilter(verified_within_days=3650),
        SiteFilter(q="塘头", bbox=(122.0, 29.7, 122.6, 30.2)),
        SiteFilter(rail_siding=False),  # no sample site says: every tile empty, both ways
    ],
    ids=["plain", "lists", "numbers", "int", "text-box", "bool"],
)
def test_a_prepared_tile_is_the_tile_of_the_plain_statement(conn, flt):
    """Tiles run as prepared statements (typed as psycopg2 writes the values); each tile must
    be byte for byte what the statement gives with its values written in."""
    where, params = flt.where()
    compared = 0
    runs = sa.text(
        "SELECT COALESCE(sum(generic_plans + custom_plans), 0) FROM pg_prepared_statements"
        " WHERE statement LIKE '%ST_AsMVT%'"
    )
    before = conn.execute(runs).scalar_one()
    tiles = _tiles_over(conn, 13)
    for x, y in tiles:
        req = TileRequest(13, x, y)
        data, form, _ = tile_queries.site_tile(conn, flt, req)
        assert form in ("polygon", "empty")
        binds = {**params, "tz": 13, "tx": x, "ty": y, "cap": 2001, "max": 2000}
        sql = tile_queries._drawn_tile_sql(where, "wgs84", "polygon")
        _, n, plain = conn.execute(sa.text(sql), binds).one()
        assert data == bytes(plain or b"")
        compared += n > 0
    assert compared > 0 or flt.rail_siding is not None
    assert conn.execute(runs).scalar_one() - before == len(tiles)  # each ran prepared


def test_a_value_not_sure_of_its_type_runs_the_tile_as_plain_text():
    assert tile_queries._literal_types({"a": [1, 2], "b": "x", "c": 2.5, "d": True}) == {
        "a": "integer[]",
        "b": "unknown",
        "c": "numeric",
        "d": "boolean",
    }
    assert tile_queries._literal_types({"a": 2**40}) is None
    assert tile_queries._literal_types({"a": float("nan")}) is None
    assert tile_queries._literal_types({"a": [1, "x"]}) is None


def test_crowded_tile_is_drawn_as_clusters_that_count_every_site(conn, tmp_path):
    total = conn.execute(sa.text("SELECT count(*) FROM site")).scalar_one()
    counted = 0
    forms = set()
    for x, y in _tiles_over(conn, 9):
        data, form, _ = tile_queries.site_tile(
            conn, SiteFilter(), TileRequest(9, x, y, max_features=5)
        )
        df = _read(tmp_path, data, 9, x, y)
        if df is None:
            continue
        forms.add(form)
        if form == "cluster":  # more than 5 sites in the tile
            assert (df["own"] == 1).all()
            assert len(df) <= tile_queries.CLUSTER_CELLS**2
            counted += int(df["n"].sum())
        else:
            counted += int((df["own"] == 1).sum())
    assert "cluster" in forms
    assert counted == total


def test_gcj02_frame_translates_each_site_by_its_offset(conn, tmp_path):
    code = "PT-KF-003"
    sid, cx, cy = conn.execute(
        sa.text(
            "SELECT id, ST_X(c), ST_Y(c) FROM (SELECT id, ST_Centroid(Box2D(geom)::geometry) c "
            "FROM site WHERE code = :c) q"
        ),
        {"c": code},
    ).one()
    z = 15
    x, y = tile_of(cx, cy, z)

    def centre(frame: str) -> tuple[float, float]:
        pts = []
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                data, _, _ = tile_queries.site_tile(
                    conn, SiteFilter(), TileRequest(z, x + dx, y + dy, frame=frame)
                )
                df = _read(tmp_path / frame, data, z, x + dx, y + dy)
                if df is not None and (df["id"] == sid).any():
                    pts.append(df.loc[df["id"] == sid].geometry.union_all())
        from shapely import union_all

        b = union_all(pts).bounds
        return (b[0] + b[2]) / 2, (b[1] + b[3]) / 2

    from pyproj import Transformer

    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    gx, gy = wgs84_to_gcj02(cx, cy)
    expect_gcj = to_merc.transform(float(gx), float(gy))
    expect_wgs = to_merc.transform(cx, cy)
    # tile pixels at z15 are ~4.8 m; MVT extent 4096 per tile gives ~0.3 m units
    got_gcj, got_wgs = centre("gcj02"), centre("wgs84")
    assert math.dist(got_gcj, expect_gcj) < 2.0
    assert math.dist(got_wgs, expect_wgs) < 2.0
    assert math.dist(expect_gcj, expect_wgs) > 300


def test_sql_gcj02_formula_matches_the_domain_module(conn):
    rng = np.random.default_rng(4)
    lons = rng.uniform(73, 135, 200)
    lats = rng.uniform(18, 53, 200)
    pts = [(float(a), float(b)) for a, b in zip(lons, lats, strict=True)] + [(2.35, 48.85)]
    sql = tile_queries.gcj02_offsets(conn, pts)
    glon, glat = wgs84_to_gcj02([p[0] for p in pts], [p[1] for p in pts])
    for (dlon, dlat), p, a, b in zip(sql, pts, glon, glat, strict=True):
        assert abs(p[0] + dlon - a) < 1e-12 and abs(p[1] + dlat - b) < 1e-12
    assert sql[-1] == (0.0, 0.0)  # outside China: no shift


def test_empty_tile_is_empty(conn):
    data, form, _ = tile_queries.site_tile(conn, SiteFilter(), TileRequest(10, 0, 0))
    assert data == b"" and form == "empty"


def test_a_tile_carries_the_data_version_it_was_cut_at_and_a_cached_cut_expires_with_it(conn):
    """The tile's statement reads the data version beside the sites (one round trip); a slow
    tile kept by the process is served again only while that version is current."""
    from gis_app.db import ogc_queries
    from gis_app.settings import MapSettings

    site_id, lon, lat = conn.execute(
        sa.text(
            "SELECT id, ST_X(ST_PointOnSurface(geom)), ST_Y(ST_PointOnSurface(geom)) FROM site "
            "WHERE retired_at IS NULL ORDER BY id LIMIT 1"
        )
    ).one()
    x, y = tile_of(lon, lat, 12)
    keep_all = MapSettings(tile_cache_min_s=0)
    tile_service._TILE_CACHE.clear()
    first = tile_service.site_tile(conn, SiteFilter(), 12, x, y, settings=keep_all)
    assert not first.cached and first.version == ogc_queries.data_version(conn)
    again = tile_service.site_tile(conn, SiteFilter(), 12, x, y, settings=keep_all)
    assert again.cached and again.data == first.data
    conn.execute(
        sa.text("UPDATE site SET name_zh = name_zh || '（改）' WHERE id = :i"), {"i": site_id}
    )
    changed = tile_service.site_tile(conn, SiteFilter(), 12, x, y, settings=keep_all)
    assert not changed.cached and changed.version != first.version
    assert changed.data != first.data
    tile_service._TILE_CACHE.clear()  # (the fixture rolls the edit back)


def test_tile_address_and_frame_are_checked(conn):
    with pytest.raises(InvalidInput, match="does not exist"):
        tile_service.site_tile(conn, SiteFilter(), 3, 8, 0)
    with pytest.raises(InvalidInput, match="zoom"):
        tile_service.site_tile(conn, SiteFilter(), 23, 0, 0)
    with pytest.raises(InvalidInput, match="frame"):
        tile_service.site_tile(conn, SiteFilter(), 3, 0, 0, frame="bd09")


def test_reference_layers_are_simplified_by_zoom_and_filtered(conn):
    import json

    coarse = json.loads(tile_service.reference_layer(conn, "jurisdiction", zoom=6))
    fine = json.loads(tile_service.reference_layer(conn, "jurisdiction", zoom=16))
    assert len(json.dumps(coarse)) < len(json.dumps(fine))
    zones = json.loads(
        tile_service.reference_layer(conn, "constraint_zones", zoom=12, kinds=["ugb"])
    )
    assert zones["features"] and {f["properties"]["kind"] for f in zones["features"]} == {"ugb"}
    none = json.loads(
        tile_service.reference_layer(conn, "infrastructure", zoom=12, bbox=(0, 0, 1, 1))
    )
    assert none["features"] == []
    with pytest.raises(NotFound):
        tile_service.reference_layer(conn, "sites", zoom=12)
    with pytest.raises(InvalidInput):
        tile_service.reference_layer(conn, "jurisdiction", zoom=12, kinds=["ugb"])


def test_a_reference_layer_window_holds_the_outlines_it_meets_not_their_boxes(conn):
    """A window inside a zone's bounding box but clear of its outline does not return the zone
    (box overlap alone would)."""
    import json

    zone_id, x, y = conn.execute(
        sa.text(
            """SELECT z.id, ST_X(p), ST_Y(p) FROM constraint_zone z
                 CROSS JOIN LATERAL (SELECT ST_Difference(ST_Envelope(z.geom),
                                                          ST_Buffer(z.geom, 0.002)) AS d) q
                 CROSS JOIN LATERAL (SELECT ST_PointOnSurface(q.d) AS p) r
                WHERE NOT ST_IsEmpty(q.d) ORDER BY z.id LIMIT 1"""
        )
    ).one()
    box = (x - 0.0002, y - 0.0002, x + 0.0002, y + 0.0002)
    overlaps_box = conn.execute(
        sa.text(
            "SELECT geom && ST_MakeEnvelope(:a, :b, :c, :d, 4490) FROM constraint_zone "
            "WHERE id = :i"
        ),
        {"a": box[0], "b": box[1], "c": box[2], "d": box[3], "i": zone_id},
    ).scalar_one()
    assert overlaps_box  # the case the old && filter got wrong
    got = json.loads(tile_service.reference_layer(conn, "constraint_zones", zoom=14, bbox=box))
    assert zone_id not in {f["id"] for f in got["features"]}


def test_filter_choices_use_the_inventory(conn):
    choices = tile_service.filter_choices(conn)
    blocks = conn.execute(
        sa.text("SELECT DISTINCT block FROM site WHERE block IS NOT NULL ORDER BY 1")
    ).scalars()
    assert choices["block"] == list(blocks)
    assert "六横镇" in choices["township"]


def test_export_selection_refuses_large_selections(conn):
    with pytest.raises(InvalidInput, match="more than the 10"):
        tile_service.export_selection(conn, SiteFilter(), max_sites=10)
    sel = tile_service.export_selection(conn, SiteFilter(kind=["island"]), max_sites=10)
    assert sel.sites["features"]
    assert all(f["properties"]["kind"] == "island" for f in sel.sites["features"])
    assert sel.jurisdiction["features"] and sel.infrastructure["features"]


def test_a_clipped_reference_layer_draws_the_window_as_the_whole_outlines_do(conn):
    """``clip``: each outline cut to the window grown by 5 %; inside the window the drawing is
    the same, and an outline is sent only as far as the margin."""
    import json

    from shapely.geometry import box as make_box
    from shapely.geometry import shape

    x0, y0, x1, y1 = conn.execute(
        sa.text(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM"
            " (SELECT ST_Extent(geom) AS e FROM constraint_zone) q"
        )
    ).one()
    # a window over the middle third of the zones' extent: most outlines reach beyond it
    w, h = (x1 - x0) / 3, (y1 - y0) / 3
    bbox = (x0 + w, y0 + h, x0 + 2 * w, y0 + 2 * h)
    window = make_box(*bbox)
    grown = window.buffer(0.05 * max(w, h), join_style="mitre")
    for layer in ("constraint_zones", "jurisdiction"):
        whole = json.loads(tile_service.reference_layer(conn, layer, zoom=16, bbox=bbox))
        cut = json.loads(tile_service.reference_layer(conn, layer, zoom=16, bbox=bbox, clip=True))
        assert [f["id"] for f in cut["features"]] == [f["id"] for f in whole["features"]]
        assert len(json.dumps(cut)) < len(json.dumps(whole)), layer
        reaching = 0
        for a, b in zip(whole["features"], cut["features"], strict=True):
            full, part = shape(a["geometry"]), shape(b["geometry"])
            assert part.difference(grown.buffer(1e-9)).area == 0, (layer, b["id"])
            inside = full.intersection(window)
            assert abs(part.intersection(window).area - inside.area) <= 1e-6 * inside.area + 1e-15
            reaching += not window.contains(full)
        assert reaching > 0, layer  # outlines the window cut
