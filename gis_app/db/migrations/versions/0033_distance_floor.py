"""Site distances: the geodesic distance only for candidates that can still be the nearest.

``gis_app_site_distance_rows`` (revisions 0005, 0028) takes, per site and infrastructure kind,
the 8 nearest candidates in degrees (KNN on the GiST index) and keeps the one with the smallest
geodesic distance (ties: the smaller id). The geodesic distance of a polygon to a point is most
of a refresh's time (about 0.2 ms per site at 20 candidates, most of a bulk import's writing),
and it was computed for all 8. This revision computes it first for the candidate with the
smallest *floor* — a lower bound of its geodesic distance from its planar distance in degrees —
and then only for the candidates whose floor does not exceed that distance; a candidate whose
floor is above it is farther than a candidate already measured, so it can be neither the
nearest nor tied with it. The rows are the same (the same candidate, the same distance: it is
still ``ST_Distance`` on geography); only distances that cannot win are no longer computed.

The floor (``gis_app_floor_frame`` once per site, ``gis_app_geodesic_floor`` per candidate),
for a point candidate and a site whose latitudes are at most ``φ`` in absolute value and whose
bounding box has a diagonal of ``D`` degrees; ``φmax = φ + 1°``, the point within
``φmax − 0.5°`` (the path's poleward bulge is far below 0.5° for pairs within 5°):

* PostGIS measures the spheroid geodesic between two points, one on the site's outline with
  great-circle edges and the point. On the GRS80 spheroid (CGCS2000) the line element
  ``sqrt(M² dφ² + N² cos²φ dλ²)`` is at least ``sqrt(cy² dφ² + cx² dλ²)`` (per degree) with
  ``cy = a(1−e²)·π/180`` (the smallest M) and ``cx = a·cos φmax·π/180`` (N ≥ a), so the
  geodesic is at least the straight distance in the plane scaled by ``cx``, ``cy``;
* there the outline's great-circle edges lie within ``max(cx, cy) · δ`` of its straight
  edges, ``δ = κ D² (π/180) / 2`` degrees (``κ = 2 tan φmax / cos φmax`` bounds a great
  circle's curvature in lon/lat; a chord's sagitta is ``κ L²/8``: a margin of 4);
* floor = ``0.999 · max(d' − max(cx, cy)·δ, 0)``, ``d'`` the scaled-plane distance of the
  outline and the point; 0 (always measured) for lines, multipoints, empty points, pairs more
  than 5° apart or sites beyond 79° of latitude.

``tests/db/test_distance_floor.py`` compares the function with the previous one over dense
synthetic infrastructure (points, lines, ties) around the sample's sites.

Revision ID: 0033
Revises: 0031
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0033"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE FUNCTION gis_app_floor_frame(outline geometry)
RETURNS TABLE (lat_max float8, cx float8, cy float8, scaled geometry, slack float8,
               reach float8)
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- what the floor of revision 0033 needs of a site, once per site: the latitude bound
    -- (site + 1 degree), metres per degree of longitude (a cos) and of latitude (a(1-e2)),
    -- the outline scaled by them, the great-circle edges' slack in metres, the reach (degrees)
    SELECT f.lat_max, f.cx, f.cy, ST_Scale(outline, f.cx, f.cy),
           greatest(f.cx, f.cy) * 2 * tan(radians(f.lat_max)) / cos(radians(f.lat_max))
               * f.diag * f.diag * pi() / 180 / 2,
           5 - f.diag
      FROM (SELECT b.lat_max, b.diag,
                   radians(1) * 6378137.0 * cos(radians(b.lat_max)) AS cx,
                   radians(1) * 6335439.327 AS cy
              FROM (SELECT greatest(abs(ST_YMin(outline)), abs(ST_YMax(outline))) + 1 AS lat_max,
                           sqrt((ST_XMax(outline) - ST_XMin(outline)) ^ 2
                                + (ST_YMax(outline) - ST_YMin(outline)) ^ 2) AS diag) b) f
$$;

CREATE FUNCTION gis_app_geodesic_floor(lat_max float8, cx float8, cy float8, slack float8,
                                       reach float8, pt geometry, scaled_m float8)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- a lower bound (metres) of the geodesic distance from the site of a frame
    -- (gis_app_floor_frame) to a point, given their distance in the frame's scaled plane
    -- (ST_Distance(frame.scaled, ST_Scale(pt, cx, cy))); 0 where none is claimed (see 0033)
    -- (one WHEN per test: CASE keeps their order, and ST_Y only sees points)
    SELECT CASE
           WHEN GeometryType(pt) <> 'POINT' OR scaled_m IS NULL OR lat_max > 80 THEN 0::float8
           WHEN ST_IsEmpty(pt) THEN 0::float8
           WHEN abs(ST_Y(pt)) + 0.5 > lat_max OR scaled_m / least(cx, cy) > reach THEN 0::float8
           ELSE 0.999 * greatest(scaled_m - slack, 0)
           END
$$;

CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE AS $$
    -- KNN on degrees picks 8 candidates via the GiST index; the geodesic distance then
    -- decides, measured only where a candidate's floor does not exceed a measured distance
    SELECT s.id, k.kind, n.id, n.d
      FROM site s
     -- the outline as geography once per site (OFFSET 0: not copied into every candidate)
     CROSS JOIN LATERAL (SELECT s.geom::geography AS g, fr.*
                           FROM gis_app_floor_frame(s.geom) fr OFFSET 0) sg
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     -- the candidates, smallest floor first (then id: one order for the three arrays)
     CROSS JOIN LATERAL (
           SELECT array_agg(c.id ORDER BY c.lb, c.id) AS ids,
                  array_agg(c.geom ORDER BY c.lb, c.id) AS geoms,
                  array_agg(c.lb ORDER BY c.lb, c.id) AS lbs
             FROM (SELECT c8.id, c8.geom,
                          gis_app_geodesic_floor(sg.lat_max, sg.cx, sg.cy, sg.slack, sg.reach,
                                                 c8.geom, c8.m) AS lb
                     FROM (SELECT i.id, i.geom,
                                  ST_Distance(sg.scaled, ST_Scale(i.geom, sg.cx, sg.cy)) AS m
                             FROM infrastructure i
                            WHERE i.kind = k.kind
                            ORDER BY i.geom <-> s.geom
                            LIMIT 8) c8) c) cand
     -- the first candidate's geodesic distance: an upper bound of the nearest one's
     CROSS JOIN LATERAL (SELECT ST_Distance(sg.g, cand.geoms[1]::geography) AS u OFFSET 0) f
     CROSS JOIN LATERAL (
           SELECT x.id,
                  CASE WHEN x.o = 1 THEN f.u
                       ELSE ST_Distance(sg.g, x.geom::geography) END AS d
             FROM unnest(cand.ids, cand.geoms, cand.lbs) WITH ORDINALITY AS x(id, geom, lb, o)
            WHERE x.o = 1 OR f.u IS NULL OR x.lb <= f.u
            ORDER BY d, x.id
            LIMIT 1) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;
"""

#: as revision 0028 wrote it (restored on downgrade)
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE AS $$
    -- KNN on degrees picks candidates via the GiST index; the geodesic distance then decides.
    SELECT s.id, k.kind, n.id, n.d
      FROM site s
     -- the outline as geography once per site, not once per candidate (same values)
     CROSS JOIN LATERAL (SELECT s.geom::geography AS g OFFSET 0) sg
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           SELECT c.id, c.d FROM (
               SELECT i.id, ST_Distance(sg.g, i.geom::geography) AS d
                 FROM infrastructure i
                WHERE i.kind = k.kind
                ORDER BY i.geom <-> s.geom
                LIMIT 8) c
            ORDER BY c.d, c.id
            LIMIT 1) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;
DROP FUNCTION IF EXISTS gis_app_geodesic_floor(float8, float8, float8, float8, float8, geometry,
                                               float8);
DROP FUNCTION IF EXISTS gis_app_floor_frame(geometry);
"""


def upgrade() -> None:
    """Distances measured only for candidates whose floor can still win."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """The function as revision 0028 left it."""
    op.execute(DOWNGRADE)
