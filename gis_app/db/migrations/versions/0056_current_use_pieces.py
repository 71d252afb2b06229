"""A site's 三调 composition no longer grows with the vertices of the parcels it meets
(issue 24).

Every site written gets its current-use composition recomputed (``site_current_use``,
``gis_app_refresh_current_use``) from the 三调 parcels it meets, each intersected whole. Most
图斑 are small, but a river, a coast's tidal flat or a forest with its clearings is one parcel
of tens of thousands of vertices, and each site near it read all of them — as the zones did
before revision 0055.

Now a parcel of more than 256 vertices is also kept cut into pieces of at most 256
(``current_use_piece``; ``current_use_parcel.vertices``, a stored generated column, says which
are), kept by the statement triggers that already follow a load of parcels (one
``ST_Subdivide`` over the transition table: no row trigger on a layer of a million 图斑; no
foreign key, so ``TRUNCATE`` still empties the layer). A site's share of such a parcel is its
intersection with the parcel's pieces it meets, one alone or else their union (the parcel
there), so the areas are those of the whole parcel, as for the zones;
``tests/db/test_current_use_pieces.py`` compares them with revision 0022's formula.

Revision ID: 0056
Revises: 0055
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0056"
down_revision: str | None = "0055"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: vertices per piece at most; a parcel of more is kept in pieces
PIECE_VERTICES = 256

#: revision 0022's composition; {parts} is the CTE ``pieces(site_id, site_m2, use_code, m2)``
_COMPOSITION = """
CREATE OR REPLACE FUNCTION gis_app_refresh_current_use(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM site_current_use WHERE site_ids IS NULL OR site_id = ANY (site_ids);
    INSERT INTO site_current_use (site_id, cultivated_pct, agricultural_pct, construction_pct,
                                  unused_pct, surveyed_pct, classes)
    WITH {parts}, coded AS (
        SELECT site_id, site_m2, gis_app_sandiao_class(use_code) AS class,
               gis_app_sandiao_group(use_code) AS grp, m2
          FROM pieces WHERE m2 > 0.01  -- shared edges are not overlaps
    ), by_class AS (
        SELECT site_id, jsonb_object_agg(class, jsonb_build_array(
                   round(m2::numeric, 1), round((100.0 * m2 / site_m2)::numeric, 2))) AS classes
          FROM (SELECT site_id, site_m2, class, sum(m2) AS m2 FROM coded GROUP BY 1, 2, 3) c
         GROUP BY site_id
    )
    SELECT g.site_id,
           round((100.0 * g.cultivated / g.site_m2)::numeric, 3),
           round((100.0 * g.agricultural / g.site_m2)::numeric, 3),
           round((100.0 * g.construction / g.site_m2)::numeric, 3),
           round((100.0 * g.unused / g.site_m2)::numeric, 3),
           round((100.0 * g.total / g.site_m2)::numeric, 3),
           c.classes
      FROM (SELECT site_id, site_m2,
                   COALESCE(sum(m2) FILTER (WHERE grp = 'cultivated'), 0) AS cultivated,
                   COALESCE(sum(m2) FILTER (WHERE grp = 'agricultural'), 0) AS agricultural,
                   COALESCE(sum(m2) FILTER (WHERE grp = 'construction'), 0) AS construction,
                   COALESCE(sum(m2) FILTER (WHERE grp = 'unused'), 0) AS unused,
                   sum(m2) AS total
              FROM coded GROUP BY site_id, site_m2) g
      JOIN by_class c ON c.site_id = g.site_id;
END $$;
"""
_WHOLE_PARTS = """pieces AS (
        SELECT s.id AS site_id, s.area_m2 AS site_m2, p.use_code,
               ST_Area(ST_Intersection(s.geom, p.geom)::geography) AS m2
          FROM site s JOIN current_use_parcel p ON ST_Intersects(s.geom, p.geom)
         WHERE site_ids IS NULL OR s.id = ANY (site_ids)
    )"""
# a small parcel whole (its vertex count, a column, is tested before the outline is read); a
# parcel kept in pieces, the pieces the site meets: one, or their union (the parcel there)
_PIECE_PARTS = f"""pieces AS (
        SELECT s.id AS site_id, s.area_m2 AS site_m2, p.use_code,
               ST_Area(ST_Intersection(s.geom, p.geom)::geography) AS m2
          FROM site s JOIN current_use_parcel p ON ST_Intersects(s.geom, p.geom)
         WHERE (site_ids IS NULL OR s.id = ANY (site_ids)) AND p.vertices <= {PIECE_VERTICES}
        UNION ALL
        SELECT s.id, s.area_m2, p.use_code,
               ST_Area(ST_Intersection(s.geom, CASE WHEN count(*) = 1
                   THEN (array_agg(c.geom))[1] ELSE ST_Union(array_agg(c.geom)) END)::geography)
          FROM site s JOIN current_use_piece c ON ST_Intersects(s.geom, c.geom)
          JOIN current_use_parcel p ON p.id = c.parcel_id
         WHERE site_ids IS NULL OR s.id = ANY (site_ids)
         GROUP BY s.id, p.id  -- s.geom, s.area_m2, p.use_code: by the keys
    )"""

#: revision 0022's statement trigger of a load of parcels; {keep} keeps the pieces first
_PARCEL_TRIGGER = """
CREATE OR REPLACE FUNCTION gis_app_parcel_current_use_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids bigint[];
BEGIN{keep}
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM site_current_use;
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT s.id) INTO ids
          FROM new_parcels n JOIN site s ON ST_Intersects(s.geom, n.geom);
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT s.id) INTO ids
          FROM old_parcels o JOIN site s ON ST_Intersects(s.geom, o.geom);
    ELSE
        SELECT array_agg(DISTINCT s.id) INTO ids
          FROM (SELECT geom FROM new_parcels UNION ALL SELECT geom FROM old_parcels) x
          JOIN site s ON ST_Intersects(s.geom, x.geom);
    END IF;
    IF ids IS NOT NULL THEN
        PERFORM gis_app_refresh_current_use(ids);
    END IF;
    RETURN NULL;
END $$;
"""
_KEEP_PIECES = f"""
    -- the pieces of the parcels written, before the sites they touch are recomputed
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM current_use_piece;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM current_use_piece WHERE parcel_id IN (SELECT id FROM old_parcels);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO current_use_piece (parcel_id, geom)
        SELECT n.id, ST_Subdivide(n.geom, {PIECE_VERTICES}) FROM new_parcels n
         WHERE n.vertices > {PIECE_VERTICES};
    END IF;"""

UPGRADE = f"""
ALTER TABLE current_use_parcel
    ADD COLUMN vertices integer GENERATED ALWAYS AS (ST_NPoints(geom)) STORED;
CREATE TABLE current_use_piece (
    id bigint GENERATED BY DEFAULT AS IDENTITY CONSTRAINT pk_current_use_piece PRIMARY KEY,
    parcel_id bigint NOT NULL,
    geom geometry(Geometry, 4490) NOT NULL
);
CREATE INDEX idx_current_use_piece_geom ON current_use_piece USING gist (geom);
CREATE INDEX ix_current_use_piece_parcel_id ON current_use_piece (parcel_id);
INSERT INTO current_use_piece (parcel_id, geom)
SELECT p.id, ST_Subdivide(p.geom, {PIECE_VERTICES}) FROM current_use_parcel p
 WHERE p.vertices > {PIECE_VERTICES};
ANALYZE current_use_piece;
{_PARCEL_TRIGGER.format(keep=_KEEP_PIECES)};
{_COMPOSITION.format(parts=_PIECE_PARTS)};
"""

DOWNGRADE = f"""
{_COMPOSITION.format(parts=_WHOLE_PARTS)};
{_PARCEL_TRIGGER.format(keep="")};
DROP TABLE current_use_piece;
ALTER TABLE current_use_parcel DROP COLUMN vertices;
"""


def upgrade() -> None:
    """Keep 三调 parcels of many vertices in pieces; a site's composition reads them."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Back to revision 0055: a site's composition reads whole parcels."""
    op.execute(DOWNGRADE)
