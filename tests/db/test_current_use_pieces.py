"""三调 parcels of many vertices kept in pieces (revision 0056): a site's current-use
composition reads the pieces of such a parcel that it meets, and equals revision 0022's
(each parcel intersected whole).

The parcels are written as a load of the layer does (one statement): a 乔木林地 parcel of
thousands of vertices over the sample's sites with the available ones cut out as clearings
(``bench/zone_checks.py``'s outline), and small 水田 and 工业用地 parcels beside it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the bench package
from bench.zone_checks import HOLEY_OUTLINE, restated  # noqa: E402

#: a big 乔木林地 parcel and 40 small ones (水田, 工业用地) on a grid over the sites
PARCELS = f"""
INSERT INTO current_use_parcel (code, use_code, geom)
SELECT 'BIG-FOREST', '0301', o.g FROM ({HOLEY_OUTLINE.replace(":margin", "-0.02")}) o(g)
UNION ALL
SELECT 'SMALL-' || x || '-' || y, CASE WHEN (x + y) % 2 = 0 THEN '0101' ELSE '0601' END,
       ST_Multi(ST_MakeEnvelope(e.x0 + x * e.dx, e.y0 + y * e.dy,
                                e.x0 + (x + 0.6) * e.dx, e.y0 + (y + 0.6) * e.dy, 4490))
  FROM (SELECT ST_XMin(b) AS x0, ST_YMin(b) AS y0, (ST_XMax(b) - ST_XMin(b)) / 8 AS dx,
               (ST_YMax(b) - ST_YMin(b)) / 5 AS dy
          FROM (SELECT ST_Extent(geom) AS b FROM site) q) e,
       generate_series(0, 7) x, generate_series(0, 4) y
RETURNING id, vertices
"""


def _revision_0022() -> str:
    """The composition as revision 0022 computed it, as pg_temp.old_refresh_current_use."""
    return restated("0056_current_use_pieces.py", "CREATE OR REPLACE FUNCTION gis_app_parcel")


def _compositions(conn: sa.Connection) -> dict[int, tuple]:
    rows = conn.execute(
        sa.text(
            "SELECT site_id, cultivated_pct, agricultural_pct, construction_pct, unused_pct,"
            " surveyed_pct, classes FROM site_current_use"
        )
    )
    return {r[0]: tuple(r[1:]) for r in rows}


def _same(new: dict[int, tuple], old: dict[int, tuple]) -> None:
    assert new.keys() == old.keys()
    for site, (a, b) in ((k, (new[k], old[k])) for k in old):
        assert a[:5] == pytest.approx(b[:5], abs=0.0011), site  # 3 decimals: a rounding flip
        ca, cb = (x if isinstance(x, dict) else json.loads(x) for x in (a[5], b[5]))
        assert ca.keys() == cb.keys(), site
        for k in cb:
            assert ca[k][0] == pytest.approx(cb[k][0], abs=0.11), (site, k)
            assert ca[k][1] == pytest.approx(cb[k][1], abs=0.011), (site, k)


def _pieces(conn: sa.Connection) -> dict[int, tuple[int, float]]:
    """Per parcel kept in pieces: how many, and the area by which their union differs."""
    rows = conn.execute(
        sa.text(
            "SELECT p.id, count(*), ST_Area(ST_SymDifference(ST_Union(c.geom), p.geom))"
            " FROM current_use_piece c JOIN current_use_parcel p ON p.id = c.parcel_id"
            " GROUP BY p.id, p.geom"
        )
    )
    return {r[0]: (r[1], r[2]) for r in rows}


def test_a_site_s_composition_is_revision_0022_s(conn: sa.Connection) -> None:
    parcels = dict(conn.execute(sa.text(PARCELS), {"step": 0.0003}).all())
    big = next(i for i, n in parcels.items() if n > 256)
    assert parcels[big] > 4000 and set(_pieces(conn)) == {big}  # the small ones stay whole
    n, gap = _pieces(conn)[big]
    assert n > 15 and gap < 1e-12
    straddling = conn.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT s.id FROM site s JOIN current_use_piece c"
            " ON ST_Intersects(s.geom, c.geom) WHERE c.parcel_id = :b"
            " GROUP BY s.id HAVING count(*) >= 2) x"
        ),
        {"b": big},
    ).scalar_one()
    assert straddling > 0
    # written by the load's statement trigger; then per site, as a site's save does
    by_load = _compositions(conn)
    assert len(by_load) > 30
    conn.execute(sa.text(_revision_0022()))
    conn.execute(sa.text("SELECT pg_temp.old_refresh_current_use(NULL)"))
    old = _compositions(conn)
    _same(by_load, old)
    conn.execute(sa.text("SELECT gis_app_refresh_current_use(array_agg(id)) FROM site"))
    _same(_compositions(conn), old)
    site = conn.execute(
        sa.text(
            "UPDATE site SET geom = ST_Multi(ST_Translate(geom, 0.0003, 0)) WHERE id = ("
            "  SELECT s.id FROM site s JOIN current_use_piece c ON ST_Intersects(s.geom, c.geom)"
            "   WHERE c.parcel_id = :b AND s.availability <> 'available'"
            "   GROUP BY s.id HAVING count(*) >= 2 ORDER BY s.id LIMIT 1) RETURNING id"
        ),
        {"b": big},
    ).scalar_one()
    moved = _compositions(conn)[site]
    conn.execute(
        sa.text("SELECT pg_temp.old_refresh_current_use(ARRAY[CAST(:s AS bigint)])"), {"s": site}
    )
    _same({site: moved}, {site: _compositions(conn)[site]})


def test_the_pieces_follow_the_parcels(conn: sa.Connection) -> None:
    parcels = dict(conn.execute(sa.text(PARCELS), {"step": 0.0003}).all())
    big = next(i for i, n in parcels.items() if n > 256)
    before = _pieces(conn)[big][0]
    conn.execute(
        sa.text(
            "UPDATE current_use_parcel SET geom = ST_Multi(ST_Buffer(geom, -0.001)) WHERE id = :b"
        ),
        {"b": big},
    )
    n, gap = _pieces(conn)[big]
    assert n != before and gap < 1e-12
    # a parcel edited down to a few vertices is kept whole again
    conn.execute(
        sa.text("UPDATE current_use_parcel SET geom = ST_Multi(ST_Envelope(geom)) WHERE id = :b"),
        {"b": big},
    )
    assert big not in _pieces(conn)
    conn.execute(
        sa.text(
            "UPDATE current_use_parcel SET geom = ST_Multi(ST_Buffer(geom, 0.01, 'quad_segs=100'))"
            " WHERE id = :b"
        ),
        {"b": big},
    )
    assert set(_pieces(conn)) == {big}  # rounded corners of 400 vertices: cut again
    conn.execute(sa.text("DELETE FROM current_use_parcel WHERE id = :b"), {"b": big})
    assert _pieces(conn) == {}
    conn.execute(sa.text("DELETE FROM current_use_parcel"))
    conn.execute(sa.text(PARCELS), {"step": 0.0003})
    assert _pieces(conn)
    conn.execute(sa.text("TRUNCATE current_use_parcel"))
    assert _pieces(conn) == {} and _compositions(conn) == {}
