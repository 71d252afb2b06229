"""A site's nearest infrastructure with the kinds found once per statement (issue 24, item 1).

``gis_app_site_nearest(outline)`` found the kinds present by a walk up the kind index
(revision 0058) at every call: seven index probes, ~22 µs of the ~133 µs a site's nearest
took on the 1M bench inventory — and a refresh of many sites (each import chunk, every site
when infrastructure moves) calls it once per site. Now:

* ``gis_app_infrastructure_kinds()``: the kinds present, by that walk, as an array;
* ``gis_app_site_nearest(outline, kinds)``: 0058's function for the ``kinds`` given (a kind
  without points gives no row, as before);
* ``gis_app_site_nearest(outline)``: the same with the kinds of the moment, for one site (a
  save, psql, QGIS) — a wrapper, so the nearest is stated once;
* ``gis_app_site_distance_rows(site_ids)``: every site's nearest with the kinds as a
  sub-select, which PostgreSQL evaluates once (an InitPlan, handed to the parallel workers).

The rows are the same to the last bit (``tests/db/test_site_distances.py``). On the 1M bench
inventory, 20,000 sites (2026-12-06 03:40 UTC, load ~1; the same sum of 120,000 distances):
serial 2.68 and 2.88 s → 2.34 and 2.33 s; with one worker, 30,000 sites, 2.04 → 1.79 s
(``bench/nearest_bench.py`` measures it per site).

Revision ID: 0060
Revises: 0059
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0060"
down_revision: str | None = "0059"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE FUNCTION gis_app_infrastructure_kinds() RETURNS text[]
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- the kinds present, by a walk up the kind index (a DISTINCT reads every point)
    WITH RECURSIVE r AS (
        SELECT min(kind) AS kind FROM infrastructure
        UNION ALL
        SELECT (SELECT min(i.kind) FROM infrastructure i WHERE i.kind > r.kind)
          FROM r WHERE r.kind IS NOT NULL)
    SELECT array_agg(kind ORDER BY kind) FROM r WHERE kind IS NOT NULL
$$;

CREATE FUNCTION gis_app_site_nearest(outline geometry, kinds text[])
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
     CROSS JOIN unnest(kinds) k(kind)
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
$$;;

CREATE OR REPLACE FUNCTION gis_app_site_nearest(outline geometry)
RETURNS TABLE (infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE COST 10000 ROWS 6
AS $$
    SELECT * FROM gis_app_site_nearest(outline, gis_app_infrastructure_kinds())
$$;

CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    -- the kinds once per statement (an InitPlan), not once per site
    SELECT s.id, n.infra_kind, n.infrastructure_id, n.distance_m
      FROM site s
     CROSS JOIN LATERAL gis_app_site_nearest(s.geom, (SELECT gis_app_infrastructure_kinds())) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;
"""

#: revisions 0044 and 0058 as they were (restored on downgrade)
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT s.id, n.infra_kind, n.infrastructure_id, n.distance_m
      FROM site s CROSS JOIN LATERAL gis_app_site_nearest(s.geom) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
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
$$;;

DROP FUNCTION gis_app_site_nearest(geometry, text[]);
DROP FUNCTION gis_app_infrastructure_kinds();
"""


def upgrade() -> None:
    """The kinds found once per statement for many sites."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Revision 0058's nearest infrastructure, the kinds found per site."""
    op.execute(DOWNGRADE)
