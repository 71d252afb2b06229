"""Constraint zones kept in pieces (revision 0055): a site's overlaps and its blocking check
read the pieces of a zone that it meets, and answer as the whole zone does.

The stored overlaps (``site_constraint_overlap``) and ``gis_app_blocking_overlap`` are
compared with the whole-zone formulas of revision 0005 on the sample's zones and on a
基本农田 zone of several thousand vertices with the available sites cut out as holes (as a
real farmland layer has its villages and plants; ``bench/zone_checks.py``'s), for the
sample's sites and a grid of squares: inside a piece, straddling a cut, across the edge, in a
hole, outside.
"""

from __future__ import annotations

import sys
from pathlib import Path

import psycopg2
import pytest
import sqlalchemy as sa

from gis_app.db.db_logins import libpq_url
from gis_app.db.engine import make_engine

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the bench package
from bench.zone_checks import HOLEY_ZONE

#: the overlaps as revision 0005 computed them, from whole zones
WHOLE_OVERLAPS = """
SELECT s.id AS site_id, z.id AS zone_id,
       ST_Area(ST_Intersection(s.geom, z.geom)::geography) AS m2
  FROM site s JOIN constraint_zone z ON ST_Intersects(s.geom, z.geom)
"""
#: squares of side 0.004° (~400 m) every 0.009° over the sites' box
GRID = """
SELECT row_number() OVER () AS k,
       ST_SetSRID(ST_MakeEnvelope(x, y, x + 0.004, y + 0.004), 4490) AS g
  FROM (SELECT ST_Extent(geom) AS e FROM site) b,
       generate_series(ST_XMin(b.e)::numeric, ST_XMax(b.e)::numeric, 0.009) x,
       generate_series(ST_YMin(b.e)::numeric, ST_YMax(b.e)::numeric, 0.009) y
"""
#: per square: the blocking overlap from the pieces, and from whole zones (revision 0005)
BLOCKING = f"""
SELECT s.k, b.zone_id, b.overlap_m2, w.id, w.m2,
       (SELECT count(*) FROM constraint_zone_piece p
         WHERE p.zone_id = b.zone_id AND ST_Intersects(p.geom, s.g)) AS pieces
  FROM ({GRID}) s
  LEFT JOIN LATERAL gis_app_blocking_overlap(s.g) b ON true
  LEFT JOIN LATERAL (
       SELECT x.id, x.m2
         FROM (SELECT z.id, z.code, ST_Area(ST_Intersection(s.g, z.geom)::geography) AS m2
                 FROM constraint_zone z
                WHERE z.kind IN ('ecological_redline', 'basic_farmland')
                  AND ST_Intersects(s.g, z.geom)) x
        WHERE x.m2 > 0.01 ORDER BY x.m2 DESC, x.code LIMIT 1) w ON true
"""


def _zone(conn: sa.Connection) -> tuple[int, int]:
    """Add the holey farmland zone: its id and vertices."""
    zone_id, vertices = conn.execute(sa.text(HOLEY_ZONE), {"step": 0.0003}).one()
    return zone_id, vertices


def _pieces(conn: sa.Connection) -> dict[int, tuple[int, int, float]]:
    """Per zone: pieces, most vertices in one, and the area (square degrees) by which their
    union differs from the zone."""
    rows = conn.execute(
        sa.text(
            "SELECT z.id, count(*), max(ST_NPoints(p.geom)),"
            " ST_Area(ST_SymDifference(ST_Union(array_agg(p.geom)), z.geom))"
            " FROM constraint_zone_piece p JOIN constraint_zone z ON z.id = p.zone_id"
            " GROUP BY z.id, z.geom"
        )
    ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _stored_against_whole(conn: sa.Connection) -> tuple[int, int]:
    """Compare the stored overlaps with the whole-zone formula: (pairs, pairs of a site and a
    zone that meet in two or more pieces). Fails on a pair missing, extra or off."""
    stored = {
        (r.site_id, r.zone_id): (r.overlap_m2, r.overlap_pct)
        for r in conn.execute(sa.text("SELECT * FROM site_constraint_overlap"))
    }
    whole = {
        (r.site_id, r.zone_id): r.m2 for r in conn.execute(sa.text(WHOLE_OVERLAPS)) if r.m2 > 0.01
    }
    assert stored.keys() == whole.keys()
    areas = dict(conn.execute(sa.text("SELECT id, area_m2 FROM site")).all())
    for key, m2 in whole.items():
        assert stored[key][0] == pytest.approx(m2, rel=1e-8, abs=1e-6), key
        assert float(stored[key][1]) == round(100 * m2 / areas[key[0]], 3), key
    straddling = conn.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT o.site_id FROM site_constraint_overlap o"
            " JOIN constraint_zone_piece p ON p.zone_id = o.zone_id"
            " JOIN site s ON s.id = o.site_id AND ST_Intersects(s.geom, p.geom)"
            " GROUP BY o.site_id, o.zone_id HAVING count(*) >= 2) x"
        )
    ).scalar_one()
    return len(stored), straddling


def test_every_zone_is_kept_in_pieces_that_follow_its_edits(conn: sa.Connection) -> None:
    sample = _pieces(conn)
    zones = conn.execute(sa.text("SELECT count(*) FROM constraint_zone")).scalar_one()
    assert len(sample) == zones
    zone_id, vertices = _zone(conn)
    pieces, most, gap = _pieces(conn)[zone_id]
    assert vertices > 4000 and pieces > 20 and most <= 256 and gap < 1e-12
    assert all(n <= 256 and g < 1e-12 for _, n, g in sample.values())
    # an edit of the outline cuts it again; a deleted zone takes its pieces with it
    conn.execute(
        sa.text(
            "UPDATE constraint_zone SET geom = ST_Multi(ST_Buffer(geom, -0.001)) WHERE id = :i"
        ),
        {"i": zone_id},
    )
    again = _pieces(conn)[zone_id]
    assert again[0] != pieces and again[2] < 1e-12
    conn.execute(sa.text("DELETE FROM constraint_zone WHERE id = :i"), {"i": zone_id})
    assert zone_id not in _pieces(conn)


def test_stored_overlaps_are_those_of_the_whole_zones(conn: sa.Connection) -> None:
    pairs, _ = _stored_against_whole(conn)
    assert pairs > 0  # the sample's own overlaps
    _zone(conn)  # written by the zone's trigger: gis_app_refresh_overlap(NULL, zone)
    pairs, straddling = _stored_against_whole(conn)
    assert straddling > 0  # sites that meet the zone in more than one piece
    # the same, per site (as a site's save writes them) and for everything at once
    conn.execute(sa.text("SELECT gis_app_refresh_overlap(array_agg(id), NULL) FROM site"))
    assert _stored_against_whole(conn) == (pairs, straddling)
    conn.execute(sa.text("SELECT gis_app_refresh_overlap(NULL, NULL)"))
    assert _stored_against_whole(conn) == (pairs, straddling)


def test_the_blocking_check_answers_as_the_whole_zones_do(conn: sa.Connection) -> None:
    _zone(conn)
    rows = conn.execute(sa.text(BLOCKING)).all()
    for k, zone, m2, whole_zone, whole_m2, _ in rows:
        assert zone == whole_zone, k
        if zone is not None:
            assert m2 == pytest.approx(whole_m2, rel=1e-8, abs=1e-6), k
    assert sum(1 for r in rows if r[5] and r[5] >= 2) > 0  # straddling a cut
    assert sum(1 for r in rows if r[1] is None) > 0  # in a hole or outside


def test_a_site_written_across_a_cut_is_blocked_by_the_whole_overlap(make_db) -> None:
    url = make_db("sample")
    eng = make_engine(url)
    with eng.begin() as c:
        zone_id, _ = _zone(c)
    eng.dispose()
    # a square on land inside the zone that no single piece covers, written as psql or QGIS writes
    with psycopg2.connect(libpq_url(url), application_name="QGIS") as pg, pg.cursor() as cur:
        cur.execute(
            f"SELECT ST_AsText(s.g) FROM ({GRID}) s, constraint_zone z"
            " WHERE z.id = %s AND ST_Covers(z.geom, s.g) AND NOT EXISTS ("
            "   SELECT 1 FROM constraint_zone_piece p WHERE ST_Covers(p.geom, s.g))"
            " AND EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom, s.g))"
            " AND NOT EXISTS (SELECT 1 FROM site t WHERE ST_Intersects(t.geom, s.g))"
            " ORDER BY s.k LIMIT 1",
            (zone_id,),
        )
        square = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO site (code, name_zh, kind, availability, geom) VALUES"
            " ('QG-CUT-Z', '跨切分线', 'land', 'reserved', ST_Multi(ST_GeomFromText(%s, 4490)))"
            " RETURNING id, area_m2",
            (square,),
        )
        site_id, area = cur.fetchone()
        cur.execute(
            "SELECT overlap_m2, overlap_pct FROM site_constraint_overlap"
            " WHERE site_id = %s AND zone_id = %s",
            (site_id, zone_id),
        )
        m2, pct = cur.fetchone()
        assert m2 == pytest.approx(area, rel=1e-9) and float(pct) == 100.0
        with pytest.raises(psycopg2.Error) as e:
            cur.execute("UPDATE site SET availability = 'available' WHERE id = %s", (site_id,))
        assert e.value.pgcode == "GA001" and "BIG-FARM" in str(e.value)
        assert f"by {round(area)} m²" in str(e.value)
    pg.close()
