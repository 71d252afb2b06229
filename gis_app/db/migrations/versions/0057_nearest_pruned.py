"""A site's nearest infrastructure measures only the candidates that can be nearest (issue 24,
item 1).

``gis_app_site_nearest`` takes, per kind, the 8 points nearest in degrees (KNN on the GiST
index) and keeps the one nearest by geodesic distance (ties by id). It measured all 8: at
100,000 sites of the sample's infrastructure (six kinds, 20 points) that was 2.0M geodesic
distances, 15.8 s of a 100k import's function time, the largest single cost of the bulk path.

Most of them cannot win, and which can is known without measuring them. On the ellipsoid
(CGCS2000, or WGS 84: the same within these bounds) the radii of curvature lie between
a(1 − e²) = 6,335,439 m and a/√(1 − e²) = 6,399,594 m, so in geodetic longitude and latitude
its metric lies between those of spheres of these two radii. A geodesic between two points is
therefore at least the small sphere's great-circle distance between them and at most the big
sphere's. With t the angle (haversine, ``gis_app_central_angle``) between a candidate and the
centre of the outline's box, and r the box's half diagonal (no point of the outline is further
from the centre), a candidate is at least 6,335,439·(t − r) metres from the outline and at most
6,399,594·(t + r). One whose least distance exceeds another candidate's greatest is never the
nearest and is not measured; the rest are measured as before, with the same function on the
same values, so the rows are the same to the last bit (``tests/db/test_site_distances.py``
compares them with every point's distance, at latitudes from 0° to 78°, with points where the
sphere and the ellipsoid rank two candidates differently). The bounds come from the 8 rows the
KNN scan already returned: one scan per kind, as before (bounds in degrees instead, the
meridian's degree against the parallel's, left a factor of 1.2 that kept most candidates of a
far site; a second scan, or the candidates as a CTE, cost more than they spared).

Slack, because a wrong nearest is worse than a distance measured for nothing: 0.1 % and 250 m
on the greatest distance (PostGIS measures to the great-circle edges of a geography, which
leave the outline's box by centimetres on a parcel's edges, and finds the closest points on
the sphere before measuring on the spheroid, which can only lengthen what it measures).

Measured (``bench/nearest_bench.py``, 2026-12-06, load ~1): per site, on the 1M bench inventory
with the sample's infrastructure, 206 → 169 µs and 20 → 6.9 distances measured; with 300 more
points of every kind, 1,005 → 793 µs and 48 → 6.6; a 100k import, alternating with revision
0056, median 78.5 → 76.4 s (the distances run on both cores beside the rest of the writing).

Revision ID: 0057
Revises: 0056
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0057"
down_revision: str | None = "0056"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE FUNCTION gis_app_central_angle(x1 float8, y1 float8, x2 float8, y2 float8)
RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- the angle at the centre of a sphere between two points of longitude x, latitude y (all
    -- in radians): the haversine formula
    SELECT 2 * asin(least(1.0, sqrt(sin((y2 - y1) / 2) ^ 2
                                    + cos(y1) * cos(y2) * sin((x2 - x1) / 2) ^ 2)))
$$;

CREATE OR REPLACE FUNCTION gis_app_site_nearest(outline geometry)
RETURNS TABLE (infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE COST 10000 ROWS 6
SET max_parallel_workers_per_gather = 0
AS $$
    -- KNN on degrees picks candidates via the GiST index; the geodesic distance then decides,
    -- measured only for those that may be nearer than another candidate is at most: bounds
    -- from the angle t between the candidate and the centre of the outline's box (r: the
    -- box's half diagonal) on spheres of the ellipsoid's least and greatest radius of
    -- curvature; 0.1 % and 250 m of slack
    SELECT k.kind, n.id, n.d
      -- the outline as geography once, not once per candidate (same values)
      FROM (SELECT outline::geography AS g,
                   radians((ST_XMin(outline) + ST_XMax(outline)) / 2) AS x0,
                   radians((ST_YMin(outline) + ST_YMax(outline)) / 2) AS y0,
                   radians(sqrt((ST_XMax(outline) - ST_XMin(outline)) ^ 2
                                + (ST_YMax(outline) - ST_YMin(outline)) ^ 2) / 2) AS r
            OFFSET 0) sg
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           SELECT w.id, ST_Distance(sg.g, w.geom::geography) AS d
             FROM (SELECT c.id, c.geom, c.t, min(c.t) OVER () AS t1
                     FROM (SELECT p.id, p.geom, gis_app_central_angle(sg.x0, sg.y0, p.x, p.y) AS t
                             FROM (SELECT i.id, i.geom, radians(ST_X(i.geom)) AS x,
                                          radians(ST_Y(i.geom)) AS y
                                     FROM infrastructure i
                                    WHERE i.kind = k.kind
                                    ORDER BY i.geom <-> outline
                                    LIMIT 8) p) c) w
            WHERE 6335439.0 * (w.t - sg.r) <= 1.001 * 6399594.0 * (w.t1 + sg.r) + 250.0
            ORDER BY 2, 1
            LIMIT 1) n
$$;
"""

#: revision 0044's function (restored on downgrade)
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_site_nearest(outline geometry)
RETURNS TABLE (infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE COST 10000 ROWS 6
SET max_parallel_workers_per_gather = 0
AS $$
    -- KNN on degrees picks candidates via the GiST index; the geodesic distance then decides.
    SELECT k.kind, n.id, n.d
      -- the outline as geography once, not once per candidate (same values)
      FROM (SELECT outline::geography AS g OFFSET 0) sg
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           SELECT c.id, c.d FROM (
               SELECT i.id, ST_Distance(sg.g, i.geom::geography) AS d
                 FROM infrastructure i
                WHERE i.kind = k.kind
                ORDER BY i.geom <-> outline
                LIMIT 8) c
            ORDER BY c.d, c.id
            LIMIT 1) n
$$;

DROP FUNCTION gis_app_central_angle(float8, float8, float8, float8);
"""


def upgrade() -> None:
    """The nearest infrastructure, measuring only the candidates that can be nearest."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Revision 0044's nearest infrastructure, measuring all eight candidates."""
    op.execute(DOWNGRADE)
