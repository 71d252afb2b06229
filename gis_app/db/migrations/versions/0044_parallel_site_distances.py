"""A large distance refresh runs on every core (issue 24, item 1).

The nearest infrastructure of every kind is most of a bulk import's derived work: 20 geodesic
distances per new site (every KNN candidate), 20.3 s of a 100,000-site import's 62 s, all in
the one backend that applies the import while the machine's other core idles. PostgreSQL
runs a query's scan in parallel workers only when nothing in it has a ``LIMIT`` below the
scan, and the nearest-by-KNN subqueries have two. So:

* ``gis_app_site_nearest(outline)``: one site's nearest infrastructure of every kind — the
  subqueries of ``gis_app_site_distance_rows`` as they were (KNN on degrees for 8 candidates,
  then the geodesic distance decides, ties by id; the outline cast to geography once), moved
  into a function marked ``PARALLEL SAFE``, with its cost (about 130 µs a call) declared so
  that the planner weighs it. It never starts workers of its own
  (``max_parallel_workers_per_gather = 0`` while it runs: a leader that did so once per site
  took 26 ms a call).
* ``gis_app_site_distance_rows(site_ids)``: the sites, each with ``gis_app_site_nearest``
  (the same rows to the last bit: compared with the stored rows of 30,000 bench sites).
* ``gis_app_refresh_site_distance(site_ids)``: for 1,000 sites or more (a bulk import's
  chunk, or every site when an infrastructure point moves) the rows are computed by a
  ``CREATE TEMP TABLE … AS`` — a statement PostgreSQL may run in parallel, unlike ``INSERT …
  SELECT`` — and then inserted; fewer sites (an edit in the app or in QGIS) as before. While
  it runs, neither the workers' setup and tuple costs nor the table's size keep them away
  (``parallel_*_cost = 0``, ``min_parallel_*_scan_size = 0``): the planner charges a lateral
  function once rather than once per site (so the parallel plan never looked worth its
  overhead, seen with ``auto_explain`` in an import), and in a fresh database the statistics
  of ``site`` still say what it held before the import.
  Measured on the 1M bench inventory, the refresh of 30,000 sites with its delete and insert:
  7.1 s serial, 4.7 s with two workers (the rows equal to those stored before).

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0044"
down_revision: str | None = "0043"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE FUNCTION gis_app_site_nearest(outline geometry)
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

CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT s.id, n.infra_kind, n.infrastructure_id, n.distance_m
      FROM site s CROSS JOIN LATERAL gis_app_site_nearest(s.geom) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;

CREATE OR REPLACE FUNCTION gis_app_refresh_site_distance(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql
-- the planner charges a lateral function once, not once per site, and the statistics of a
-- table an import is filling say it is small: neither may keep the workers away
SET parallel_setup_cost = 0 SET parallel_tuple_cost = 0
SET min_parallel_table_scan_size = 0 SET min_parallel_index_scan_size = 0
AS $$
BEGIN
    IF site_ids IS NOT NULL AND cardinality(site_ids) < 1000 THEN
        -- EXECUTE plans each time with the ids known: a cached generic plan made while the
        -- table was small keeps scanning it whole as a bulk insert makes it grow
        EXECUTE 'DELETE FROM site_distance WHERE site_id = ANY ($1)' USING site_ids;
        EXECUTE 'INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
                 SELECT * FROM gis_app_site_distance_rows($1)' USING site_ids;
        RETURN;
    END IF;
    -- many sites: computed by a statement that may run in parallel (INSERT … SELECT may not)
    EXECUTE 'CREATE TEMP TABLE gis_app_distance_rows ON COMMIT DROP AS
             SELECT * FROM gis_app_site_distance_rows($1)' USING site_ids;
    IF site_ids IS NULL THEN
        DELETE FROM site_distance;
    ELSE
        EXECUTE 'DELETE FROM site_distance WHERE site_id = ANY ($1)' USING site_ids;
    END IF;
    INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
    SELECT * FROM pg_temp.gis_app_distance_rows;
    DROP TABLE pg_temp.gis_app_distance_rows;
END $$;
"""

#: the functions as revisions 0005 and 0028 left them (restored on downgrade)
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_refresh_site_distance(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM site_distance;
        INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
        SELECT * FROM gis_app_site_distance_rows(NULL);
    ELSE
        -- EXECUTE plans each time with the ids known: a cached generic plan made while the
        -- table was small keeps scanning it whole as a bulk insert makes it grow
        EXECUTE 'DELETE FROM site_distance WHERE site_id = ANY ($1)' USING site_ids;
        EXECUTE 'INSERT INTO site_distance (site_id, infra_kind, infrastructure_id, distance_m)
                 SELECT * FROM gis_app_site_distance_rows($1)' USING site_ids;
    END IF;
END $$;

CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE PARALLEL UNSAFE AS $$
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

DROP FUNCTION gis_app_site_nearest(geometry);
"""


def upgrade() -> None:
    """The per-site function, the rows from it, the refresh computing many in parallel."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """The refresh and the rows function as before; no per-site function."""
    op.execute(DOWNGRADE)
