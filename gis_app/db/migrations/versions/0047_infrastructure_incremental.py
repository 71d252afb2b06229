"""An infrastructure point added, moved or removed recomputes the sites it can concern, not all.

Since revision 0046 a rename recomputes nothing; a move, a new point or a removed one still
recomputed the nearest infrastructure of every kind for every site, and every match unit: 4
minutes at 1M sites for one port. Most sites' nearest point of each kind cannot change:

* a site whose nearest point of the kind was one that went (moved, given another kind, or
  removed — a removed point's distance rows go with it, ``ON DELETE CASCADE``, so such a site
  has no row for the kind any more);
* a site to which a point that came (added, moved, given this kind) is nearer by geodesic
  distance than its nearest, or nearer in degrees: the nearest is chosen by geodesic distance
  among the 8 nearest points in degrees (``gis_app_site_nearest``), which a nearer-in-degrees
  point could push the nearest out of;
* a site without a row for the kind: the kind's first point came, or its last went (every
  site's match units then still carry the distance).

Only those are recomputed, distances and then match units, with the same functions as before
(``gis_app_refresh_site_distance``, ``gis_app_refresh_match_units``). One statement trigger per
event reads the rows that changed (transition tables; PostgreSQL allows them only on a trigger
of one event and no column list); an update that moved nothing (a rename, a new berth class)
recomputes nothing. ``TRUNCATE`` recomputes every site, as before. Reverse matches and saved
searches are brought up to date as before (``infrastructure_requirement_match``,
``infrastructure_saved_search``: a statement trigger each, after these).

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE FUNCTION gis_app_infrastructure_sites(gone bigint[], came bigint[], kinds text[])
RETURNS bigint[] LANGUAGE plpgsql STABLE
-- a point that came is measured against every site's nearest of its kind: on every core
SET parallel_setup_cost = 0 SET parallel_tuple_cost = 0
AS $$
DECLARE
    sites bigint[];
BEGIN
    -- EXECUTE: planned with the values known, and allowed workers (a SQL function's query
    -- runs on one process)
    EXECUTE $q$
    SELECT array_agg(DISTINCT x.site_id ORDER BY x.site_id) FROM (
        -- its nearest of the kind went (moved or given another kind)
        SELECT d.site_id FROM site_distance d WHERE d.infrastructure_id = ANY ($1)
        UNION ALL
        -- no row for the kind: its nearest was removed (every site, when the kind's last
        -- point was: their match units still carry the distance), or the kind is new
        SELECT s.id
          FROM unnest($3) k(kind) CROSS JOIN site s
         WHERE NOT EXISTS (SELECT 1 FROM site_distance d
                            WHERE d.site_id = s.id AND d.infra_kind = k.kind)
        UNION ALL
        -- a point that came is nearer than its nearest, in metres or in degrees
        SELECT d.site_id
          FROM infrastructure n
          JOIN site_distance d ON d.infra_kind = n.kind AND d.infrastructure_id <> n.id
          JOIN site s ON s.id = d.site_id
          JOIN infrastructure p ON p.id = d.infrastructure_id
         WHERE n.id = ANY ($2)
           AND (ST_Distance(s.geom::geography, n.geom::geography) <= d.distance_m
                OR ST_Distance(s.geom, n.geom) <= ST_Distance(s.geom, p.geom))
    ) x$q$ INTO sites USING gone, came, kinds;
    RETURN sites;
END $$;

CREATE FUNCTION gis_app_infrastructure_rows_trg() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    gone bigint[] := '{}';
    came bigint[] := '{}';
    kinds text[];
    sites bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(n.id), array_agg(DISTINCT n.kind) INTO came, kinds FROM new_rows n;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(o.id), array_agg(DISTINCT o.kind) INTO gone, kinds FROM old_rows o;
    ELSE
        -- only the points whose place or kind changed (a rename moves nothing)
        SELECT array_agg(o.id) FILTER (WHERE o.id IS NOT NULL),
               array_agg(n.id) FILTER (WHERE n.id IS NOT NULL),
               array(SELECT DISTINCT unnest(array_agg(o.kind) || array_agg(n.kind)))
          INTO gone, came, kinds
          FROM old_rows o FULL JOIN new_rows n ON n.id = o.id
         WHERE o.id IS NULL OR n.id IS NULL OR o.kind IS DISTINCT FROM n.kind
            OR ST_AsEWKB(o.geom) IS DISTINCT FROM ST_AsEWKB(n.geom);
    END IF;
    IF COALESCE(cardinality(gone), 0) + COALESCE(cardinality(came), 0) = 0 THEN
        RETURN NULL;
    END IF;
    sites := gis_app_infrastructure_sites(COALESCE(gone, '{}'), COALESCE(came, '{}'),
                                          array_remove(kinds, NULL));
    IF sites IS NOT NULL THEN
        PERFORM gis_app_refresh_site_distance(sites);
        PERFORM gis_app_refresh_match_units(sites);
    END IF;
    RETURN NULL;
END $$;

DROP TRIGGER infrastructure_distance ON infrastructure;
DROP TRIGGER infrastructure_unit_sync ON infrastructure;
-- names sort before infrastructure_requirement_match and infrastructure_saved_search, which
-- read the distances
CREATE TRIGGER infrastructure_distance AFTER TRUNCATE ON infrastructure
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_trg();
CREATE TRIGGER infrastructure_distance_delete AFTER DELETE ON infrastructure
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_rows_trg();
CREATE TRIGGER infrastructure_distance_insert AFTER INSERT ON infrastructure
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_rows_trg();
CREATE TRIGGER infrastructure_distance_update AFTER UPDATE ON infrastructure
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_rows_trg();
CREATE TRIGGER infrastructure_unit_sync AFTER TRUNCATE ON infrastructure
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_infrastructure_trg();
"""

#: the triggers as revision 0046 left them
DOWNGRADE = r"""
DROP TRIGGER infrastructure_distance_update ON infrastructure;
DROP TRIGGER infrastructure_distance_insert ON infrastructure;
DROP TRIGGER infrastructure_distance_delete ON infrastructure;
DROP TRIGGER infrastructure_distance ON infrastructure;
DROP TRIGGER infrastructure_unit_sync ON infrastructure;
CREATE TRIGGER infrastructure_distance
    AFTER INSERT OR UPDATE OF id, kind, geom OR DELETE OR TRUNCATE ON infrastructure
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_infrastructure_trg();
CREATE TRIGGER infrastructure_unit_sync
    AFTER INSERT OR UPDATE OF id, kind, geom OR DELETE OR TRUNCATE ON infrastructure
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_infrastructure_trg();
DROP FUNCTION gis_app_infrastructure_rows_trg();
DROP FUNCTION gis_app_infrastructure_sites(bigint[], bigint[], text[]);
"""


def upgrade() -> None:
    """Per-event triggers recomputing the sites the changed points can concern."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Every site recomputed on any change of a point's place or kind."""
    op.execute(DOWNGRADE)
