"""District outlines kept in pieces (revision 0054): the per-row district and jurisdiction
checks read the pieces near an outline, and answer as the whole outline does.

The answers are compared with ``ST_Covers`` / ``ST_Intersects`` on the whole outline for a
grid of squares over the sample's districts — squares well inside, straddling a cut between
two pieces, across the boundary, outside — on the sample's real Putuo coastline and on a
jagged one of several thousand vertices (many pieces, many cuts).
"""

from __future__ import annotations

import sqlalchemy as sa
from writers import DINGHAI, PUTUO

#: squares of side 0.004° (~400 m) every 0.007° over the districts' box
GRID = """
SELECT row_number() OVER () AS k,
       ST_SetSRID(ST_MakeEnvelope(x, y, x + 0.004, y + 0.004), 4490) AS g
  FROM (SELECT ST_Extent(geom) AS e FROM district WHERE level = 'district') b,
       generate_series(ST_XMin(b.e)::numeric - 0.01, ST_XMax(b.e)::numeric + 0.01, 0.007) x,
       generate_series(ST_YMin(b.e)::numeric - 0.01, ST_YMax(b.e)::numeric + 0.01, 0.007) y
"""
#: per square: the pieces' answer and the whole outlines', and whether one piece alone covers
#: it (so the squares that only several pieces cover, which straddle a cut, can be counted)
COMPARE = f"""
SELECT count(*) AS squares,
       count(*) FILTER (WHERE a IS DISTINCT FROM b) AS covering_differs,
       count(*) FILTER (WHERE t IS DISTINCT FROM u) AS touching_differs,
       count(*) FILTER (WHERE b IS NOT NULL AND NOT single) AS straddling,
       count(*) FILTER (WHERE b IS NOT NULL AND single) AS inside_a_piece,
       count(*) FILTER (WHERE b IS NULL AND u) AS across_the_boundary,
       count(*) FILTER (WHERE NOT u) AS outside,
       count(*) FILTER (WHERE cardinality(b) = 2) AS in_two_districts
  FROM (SELECT gis_app_districts_covering(s.g) AS a,
               -- each outline in an expression of its own: PostGIS prepares it once
               NULLIF(array_remove(ARRAY[CASE WHEN ST_Covers(dh.geom, s.g) THEN dh.code END,
                                         CASE WHEN ST_Covers(pt.geom, s.g) THEN pt.code END],
                                   NULL), '{{}}') AS b,
               gis_app_districts_touching(s.g) AS t,
               ST_Intersects(dh.geom, s.g) OR ST_Intersects(pt.geom, s.g) AS u,
               EXISTS (SELECT 1 FROM district_piece p
                        WHERE p.geom ~ s.g AND ST_Covers(p.geom, s.g)) AS single
          FROM ({GRID}) s,
               (SELECT code, geom FROM district WHERE code = '{DINGHAI}') dh,
               (SELECT code, geom FROM district WHERE code = '{PUTUO}') pt) x
"""
#: Putuo's outline with every edge cut into ~10 m steps, each new vertex pushed up to ~20 m
#: outward or inward: a coastline of several thousand vertices, valid
JAGGED = f"""
UPDATE district SET geom = (
    SELECT ST_Multi(ST_MakeValid(ST_MakePolygon(ST_AddPoint(l, ST_StartPoint(l)))))
      FROM (SELECT ST_MakeLine(ST_Translate(p.geom, 0.0002 * sin(p.path[1] * 1.7),
                                            0.0002 * cos(p.path[1] * 2.3)) ORDER BY p.path) l
              FROM ST_DumpPoints(ST_Segmentize(ST_ExteriorRing(
                       (SELECT ST_GeometryN(geom, 1) FROM district WHERE code = '{PUTUO}')),
                       0.0001)) p
             WHERE p.path[1] > 1) ring)
 WHERE code = '{PUTUO}'
"""


def _pieces(conn: sa.Connection) -> dict[str, tuple[int, int, float | None]]:
    """Per district: pieces, most vertices in one, and the area (square degrees) by which
    their union differs from the outline (None for an outline PostGIS calls invalid)."""
    rows = conn.execute(
        sa.text(
            "SELECT d.code, count(*), max(ST_NPoints(p.geom)),"
            " CASE WHEN ST_IsValid(d.geom)"
            "      THEN ST_Area(ST_SymDifference(ST_Union(array_agg(p.geom)), d.geom)) END"
            " FROM district_piece p JOIN district d ON d.id = p.district_id"
            " GROUP BY d.code, d.geom"
        )
    ).all()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def _compare(conn: sa.Connection) -> dict[str, int]:
    return dict(conn.execute(sa.text(COMPARE)).mappings().one())


def test_every_district_outline_is_kept_in_pieces_that_follow_its_edits(
    conn: sa.Connection,
) -> None:
    pieces = _pieces(conn)
    assert set(pieces) == {PUTUO, DINGHAI}  # the city has no outline
    # the pieces make up the outline: their union differs from it by floating-point noise
    assert all(n <= 256 and gap < 1e-12 for _, n, gap in pieces.values())
    assert pieces[PUTUO][0] > 1  # the real coastline (912 vertices) is cut
    conn.execute(sa.text(JAGGED))
    jagged = _pieces(conn)[PUTUO]
    vertices = conn.execute(
        sa.text(f"SELECT ST_NPoints(geom) FROM district WHERE code = '{PUTUO}'")
    ).scalar_one()
    assert vertices > 3000 and jagged[0] > 15 and jagged[1] <= 256 and jagged[2] < 1e-12
    # a district renamed keeps its pieces; one no longer at district level has none
    conn.execute(sa.text(f"UPDATE district SET code = '330999' WHERE code = '{DINGHAI}'"))
    assert "330999" in _pieces(conn)
    conn.execute(sa.text("UPDATE district SET level = 'city' WHERE code = '330999'"))
    assert "330999" not in _pieces(conn)


def test_the_pieces_answer_as_the_whole_outlines_do(conn: sa.Connection) -> None:
    for outline in ("the sample's coastline", "a jagged coastline", "overlapping districts"):
        if outline == "a jagged coastline":
            conn.execute(sa.text(JAGGED))
        if outline == "overlapping districts":  # Dinghai's outline reaching over Putuo's
            conn.execute(
                sa.text(
                    "UPDATE district SET geom = ST_Multi(ST_Union(geom, (SELECT ST_Expand("
                    f"ST_Envelope(geom), -0.01) FROM district WHERE code = '{PUTUO}')))"
                    f" WHERE code = '{DINGHAI}'"
                )
            )
        got = _compare(conn)
        assert got["covering_differs"] == 0 and got["touching_differs"] == 0, (outline, got)
        # every kind of square was asked (the sample's few cuts lie at sea)
        kinds = ["inside_a_piece", "across_the_boundary", "outside"]
        if outline != "the sample's coastline":
            kinds.append("straddling")
        if outline == "overlapping districts":
            kinds.append("in_two_districts")
        for kind in kinds:
            assert got[kind] > 0, (outline, kind, got)


def test_an_outline_postgis_calls_invalid_is_kept_whole(conn: sa.Connection) -> None:
    # a bow tie beside Putuo's island: GEOS calls it invalid, so it is not cut
    conn.execute(
        sa.text(
            f"UPDATE district SET geom = ST_Multi(ST_Union(geom, ST_GeomFromText("
            "'POLYGON((122.5 30.0,122.6 30.1,122.6 30.0,122.5 30.1,122.5 30.0))', 4490)))"
            f" WHERE code = '{DINGHAI}'"
        )
    )
    valid = conn.execute(
        sa.text(f"SELECT ST_IsValid(geom) FROM district WHERE code = '{DINGHAI}'")
    ).scalar_one()
    if not valid:
        assert _pieces(conn)[DINGHAI][0] == 1
    got = _compare(conn)
    assert got["covering_differs"] == 0 and got["touching_differs"] == 0, got


def test_a_site_straddling_a_cut_is_written_with_its_district(conn: sa.Connection) -> None:
    conn.execute(sa.text(JAGGED))
    # a square inside Putuo that no single piece covers, written as psql or QGIS writes
    square = conn.execute(
        sa.text(
            f"SELECT ST_AsText(s.g) FROM ({GRID}) s"
            f" WHERE ST_Covers((SELECT geom FROM district WHERE code = '{PUTUO}'), s.g)"
            " AND NOT EXISTS (SELECT 1 FROM district_piece p WHERE ST_Covers(p.geom, s.g))"
            " ORDER BY s.k LIMIT 1"
        )
    ).scalar_one()
    conn.execute(
        sa.text(
            "INSERT INTO site (code, name_zh, kind, geom)"
            " VALUES ('QG-CUT-1', '跨切分线', 'land', ST_Multi(ST_GeomFromText(:g, 4490)))"
        ),
        {"g": square},
    )
    assert (
        conn.execute(sa.text("SELECT district_code FROM site WHERE code = 'QG-CUT-1'")).scalar_one()
        == PUTUO
    )
