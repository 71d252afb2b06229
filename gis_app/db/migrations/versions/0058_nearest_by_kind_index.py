"""The nearest infrastructure of a province: a KNN scan of one kind's points, and the kinds
found without reading every point (issue 24).

``gis_app_site_nearest`` runs once per site written (every save, each import chunk, every
site when infrastructure moves). Per kind it asked the GiST index of every point for the
nearest in degrees and dropped those of other kinds (``Filter``): with a province's
infrastructure, hundreds of points of each of six kinds, a scan walked ~50 entries to keep 8.
And it found the kinds with ``SELECT DISTINCT kind FROM infrastructure``, a read of every
point, for every site. Both are nothing with the sample's 20 points and most of a site's
nearest with 1,820 (``bench/nearest_bench.py``, "+ 300 a kind").

Now:

* ``ix_infrastructure_kind_geom``, a GiST index on (kind, geom): the kind is an index
  condition and the scan returns only that kind's points, nearest first. It needs the
  ``btree_gist`` extension (PostgreSQL's contrib, in the Debian server package; trusted, so
  the database's owner may create it);
* the kinds present, found by walking up the ``kind`` btree index (one probe per kind).

The rows are the same (``tests/db/test_site_distances.py``). Per site, on the 1M bench inventory
with 300 more points of every kind: 793 → 376 µs; with the sample's 20 points 169 → 163 µs
(``bench/nearest_bench.py``, 2026-12-06 00:50 UTC, load ~1). The downgrade drops the index
and the extension (a database that used ``btree_gist`` for something else keeps it: the drop
is refused and says what depends on it).

Revision ID: 0058
Revises: 0057
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0058"
down_revision: str | None = "0057"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE EXTENSION IF NOT EXISTS btree_gist;
CREATE INDEX ix_infrastructure_kind_geom ON infrastructure USING gist (kind, geom);

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
     -- the kinds present, by a walk up the kind index (a DISTINCT read every point, per site)
     CROSS JOIN (WITH RECURSIVE r AS (
                     SELECT min(kind) AS kind FROM infrastructure
                     UNION ALL
                     SELECT (SELECT min(i.kind) FROM infrastructure i WHERE i.kind > r.kind)
                       FROM r WHERE r.kind IS NOT NULL)
                 SELECT kind FROM r WHERE kind IS NOT NULL) k
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

#: revision 0057's function (restored on downgrade)
DOWNGRADE = r"""
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

DROP INDEX ix_infrastructure_kind_geom;
DROP EXTENSION IF EXISTS btree_gist;
"""


def upgrade() -> None:
    """A KNN index per kind; the kinds found by the kind index."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Revision 0057's nearest infrastructure; no (kind, geom) index."""
    op.execute(DOWNGRADE)
