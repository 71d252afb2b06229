"""A site's district and jurisdiction checks no longer grow with the boundary's vertices
(issue 24, item 1).

Every site written (one edit, a QGIS save, each row of a bulk import) is checked against the
district outlines by two row triggers: ``site_assign_district`` (which districts cover it) and
``site_check_jurisdiction`` (does one). Both asked ``ST_Covers(district.geom, outline)`` once
per row, and PostGIS can reuse a prepared outline only within one statement's run, which a
trigger's query never outlives: each row paid the whole boundary. With the bench's
rectangle that cost nothing; with a jagged outline of 3,700 vertices a 6,000-site import took
25.7 s instead of 5.2 (``bench/results/boundary_bench.md``), and with 37,000 vertices (a
coastal district with its islands, a province) one ``ST_Covers`` took ~150 ms: the first
10,000-site chunk of an import had not been written after 14 minutes.

Now each district-level outline is also kept cut into pieces of at most 256 vertices
(``district_piece``, ``ST_Subdivide``; an outline PostGIS calls invalid is kept whole, one
piece, so the checks read it as before), kept by a row trigger on ``district``. The checks ask
``gis_app_districts_covering(outline)`` (the codes, in order, of the districts that cover it),
``gis_app_districts_cover(outline)`` (does one: the site's jurisdiction check) and
``gis_app_districts_touching(outline)`` (for zones, does any district intersect it):

* a district covers an outline when one of its pieces does (the pieces lie in it) — most
  sites, a piece's worth of vertices read;
* it does not when a vertex of the outline lies in none of its pieces (they tile it);
* otherwise the outline straddles a cut or the boundary: the district's pieces near it,
  merged, decide (one piece: it alone, so an outline kept whole is never merged).

The answers are those of ``ST_Covers`` / ``ST_Intersects`` on the whole outline: the pieces'
union differs from it by floating-point noise at the cut points (~1e-15°, a nanometre), below
any survey. ``tests/db/test_district_pieces.py`` compares them on a grid of squares over the
sample's coastline, a jagged one of 9,000 vertices and two overlapping districts (inside a
piece, straddling a cut, across the boundary, outside, in two districts), and a site written
across a cut gets its district. The rare paths of the two triggers (a site just outside, the
tolerance buffer, the error words) are unchanged.

Revision ID: 0054
Revises: 0053
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0054"
down_revision: str | None = "0053"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: vertices per piece at most (ST_Subdivide's default)
PIECE_VERTICES = 256

#: the two trigger functions as revisions 0029 and 0013 left them (their fast paths asked the
#: whole outlines); this revision changes only those lines
OLD_SITE_DISTRICT = r"""
CREATE OR REPLACE FUNCTION gis_app_site_district()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    covering text[];
    inside text[];
    reached text[];
    probe geometry;
    found text;
BEGIN
    IF NEW.geom IS NULL OR ST_IsEmpty(NEW.geom) THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' AND ST_AsEWKB(OLD.geom) = ST_AsEWKB(NEW.geom)
       AND NEW.district_code IS NOT DISTINCT FROM OLD.district_code THEN
        RETURN NEW;
    END IF;
    -- most outlines lie well inside one district: no buffer
    SELECT array_agg(d.code ORDER BY d.code) INTO covering
      FROM district d WHERE d.level = 'district' AND ST_Covers(d.geom, NEW.geom);
    IF covering IS NOT NULL THEN
        IF NEW.district_code IS NULL THEN
            NEW.district_code := covering[1];
        ELSIF NOT NEW.district_code = ANY (covering) THEN
            found := covering[1];
        END IF;
    ELSE
        -- within the tolerance: the outline shrunk by it must lie in one district
        probe := ST_Buffer(NEW.geom, -1e-05);
        IF ST_IsEmpty(probe) THEN
            probe := ST_PointOnSurface(NEW.geom);
        END IF;
        SELECT array_agg(d.code ORDER BY ST_Area(ST_Intersection(d.geom, NEW.geom)) DESC, d.code),
               array_agg(d.code ORDER BY d.code) FILTER (WHERE ST_Covers(d.geom, probe))
          INTO reached, inside
          FROM district d
         WHERE d.level = 'district' AND ST_Intersects(d.geom, probe);
        IF inside IS NOT NULL THEN
            IF NEW.district_code IS NULL THEN
                NEW.district_code := inside[1];
            ELSIF NOT NEW.district_code = ANY (inside) THEN
                found := inside[1];
            END IF;
        ELSIF cardinality(reached) >= 2 THEN
            RAISE EXCEPTION 'site %: crosses the boundary between % (%) and % (%)', NEW.code,
                (gis_app_district_json(reached[1]))->>'zh', (gis_app_district_json(reached[1]))->>'en',
                (gis_app_district_json(reached[2]))->>'zh', (gis_app_district_json(reached[2]))->>'en'
                USING ERRCODE = 'GA006', CONSTRAINT = 'site_within_one_district',
                      DETAIL = jsonb_build_object('site', NEW.code,
                                                  'a', gis_app_district_json(reached[1]),
                                                  'b', gis_app_district_json(reached[2]))::text,
                      HINT = 'rule: a site lies within one district; split the parcel at the '
                             'district boundary';
        ELSIF cardinality(reached) = 1 THEN
            -- partly outside every district: the jurisdiction check says how far
            IF NEW.district_code IS NULL THEN
                NEW.district_code := reached[1];
            ELSIF NEW.district_code <> reached[1] THEN
                found := reached[1];
            END IF;
        END IF;
    END IF;
    IF found IS NOT NULL THEN
        RAISE EXCEPTION 'site %: lies in % (%), not in its district % (%)', NEW.code,
            (gis_app_district_json(found))->>'zh', (gis_app_district_json(found))->>'en',
            (gis_app_district_json(NEW.district_code))->>'zh',
            (gis_app_district_json(NEW.district_code))->>'en'
            USING ERRCODE = 'GA005', CONSTRAINT = 'site_in_own_district',
                  DETAIL = jsonb_build_object('site', NEW.code,
                                              'district', gis_app_district_json(NEW.district_code),
                                              'found', gis_app_district_json(found))::text,
                  HINT = 'rule: a site lies in its own district; set district_code to the '
                         'district it lies in, or move it back';
    END IF;
    RETURN NEW;
END $function$
"""
OLD_JURISDICTION = r"""
CREATE OR REPLACE FUNCTION gis_app_check_in_jurisdiction()
 RETURNS trigger
 LANGUAGE plpgsql
AS $function$
DECLARE
    outline geometry;
    p geometry;
    share double precision;
    what text := CASE TG_TABLE_NAME WHEN 'site' THEN 'site' ELSE 'constraint zone' END;
BEGIN
    IF TG_OP = 'UPDATE' AND ST_AsEWKB(OLD.geom) = ST_AsEWKB(NEW.geom) THEN
        RETURN NEW;
    END IF;
    IF TG_TABLE_NAME = 'site' THEN
        -- most outlines lie well inside one jurisdiction row: no union, no buffer
        IF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom, NEW.geom)) THEN
            RETURN NEW;
        END IF;
    ELSIF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Intersects(j.geom, NEW.geom)) THEN
        RETURN NEW;
    END IF;
    SELECT ST_Buffer(ST_Union(geom), 1e-05) INTO outline FROM jurisdiction;
    IF outline IS NULL THEN
        RETURN NEW;  -- no jurisdiction loaded yet
    END IF;
    IF TG_TABLE_NAME = 'site' AND NOT ST_Covers(outline, NEW.geom) THEN
        p := ST_PointOnSurface(NEW.geom);
        share := CASE WHEN ST_Area(NEW.geom) > 0
                      THEN 100 * ST_Area(ST_Difference(NEW.geom, outline)) / ST_Area(NEW.geom)
                      ELSE 100 END;
        RAISE EXCEPTION '% %: lies outside the jurisdiction (near %, %; % of its area outside)',
            what, NEW.code, round(ST_X(p)::numeric, 5), round(ST_Y(p)::numeric, 5),
            round(share::numeric, 1) || '%'
            USING ERRCODE = 'GA003', CONSTRAINT = 'site_inside_jurisdiction',
                  HINT = 'rule: a site lies inside the jurisdiction; coordinates are CGCS2000 '
                         '(EPSG:4490) longitude/latitude — check the layer''s CRS';
    ELSIF TG_TABLE_NAME <> 'site' AND NOT ST_Intersects(outline, NEW.geom) THEN
        RAISE EXCEPTION '% %: lies entirely outside the jurisdiction', what, NEW.code
            USING ERRCODE = 'GA003', CONSTRAINT = 'zone_touches_jurisdiction',
                  HINT = 'rule: a constraint zone touches the jurisdiction; coordinates are '
                         'CGCS2000 (EPSG:4490) longitude/latitude — check the layer''s CRS';
    END IF;
    RETURN NEW;
END $function$
"""
#: (old line, new line) of the fast paths
SITE_DISTRICT_FAST = (
    """    SELECT array_agg(d.code ORDER BY d.code) INTO covering
      FROM district d WHERE d.level = 'district' AND ST_Covers(d.geom, NEW.geom);""",
    "    covering := gis_app_districts_covering(NEW.geom);",
)
JURISDICTION_FAST = (
    (
        "        IF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Covers(j.geom, NEW.geom)) THEN",
        "        IF gis_app_districts_cover(NEW.geom) THEN",
    ),
    (
        "    ELSIF EXISTS (SELECT 1 FROM jurisdiction j WHERE ST_Intersects(j.geom, NEW.geom)) THEN",
        "    ELSIF gis_app_districts_touching(NEW.geom) THEN",
    ),
)


def _replaced(body: str, *pairs: tuple[str, str]) -> str:
    """``body`` with each (old, new) line replaced; each old line must be there once."""
    for old, new in pairs:
        if body.count(old) != 1:
            raise ValueError(f"not once in the function: {old!r}")
        body = body.replace(old, new)
    return body


UPGRADE = rf"""
CREATE TABLE district_piece (
    id bigint GENERATED BY DEFAULT AS IDENTITY CONSTRAINT pk_district_piece PRIMARY KEY,
    district_id integer NOT NULL CONSTRAINT fk_district_piece_district_id_district
        REFERENCES district (id) ON DELETE CASCADE,
    geom geometry(Geometry, 4490) NOT NULL
);
CREATE INDEX idx_district_piece_geom ON district_piece USING gist (geom);
CREATE INDEX ix_district_piece_district_id ON district_piece (district_id);
-- a district's pieces: its outline cut (or whole when PostGIS calls it invalid)
CREATE FUNCTION gis_app_district_pieces(g geometry) RETURNS SETOF geometry
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ST_Subdivide(g, {PIECE_VERTICES}) WHERE ST_IsValid(g)
    UNION ALL
    SELECT g WHERE NOT ST_IsValid(g)
$$;

CREATE FUNCTION gis_app_district_piece_trg() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM district_piece WHERE district_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.level = 'district' AND NEW.geom IS NOT NULL
       AND NOT ST_IsEmpty(NEW.geom) THEN
        INSERT INTO district_piece (district_id, geom)
        SELECT NEW.id, p FROM gis_app_district_pieces(NEW.geom) p;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER district_pieces AFTER INSERT OR DELETE OR UPDATE OF level, geom
    ON district FOR EACH ROW EXECUTE FUNCTION gis_app_district_piece_trg();

INSERT INTO district_piece (district_id, geom)
SELECT d.id, p FROM district d CROSS JOIN LATERAL gis_app_district_pieces(d.geom) p
 WHERE d.level = 'district' AND d.geom IS NOT NULL AND NOT ST_IsEmpty(d.geom);

-- the districts (codes in order) whose outline covers g: ST_Covers(district.geom, g), with
-- the pieces near g read instead of the whole boundary (SECURITY DEFINER: a planner's QGIS
-- login, whose writes run the checks, is not granted the pieces)
CREATE FUNCTION gis_app_districts_covering(g geometry) RETURNS text[]
LANGUAGE plpgsql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    covering text[];
    near text[];
    c text;
BEGIN
    -- the pieces on a vertex of g: one that covers g makes its district cover g (most sites:
    -- one piece read); a district none of whose pieces holds that vertex does not
    SELECT array_agg(DISTINCT d.code ORDER BY d.code)
               FILTER (WHERE p.geom ~ g AND ST_Covers(p.geom, g)),
           array_agg(DISTINCT d.code ORDER BY d.code)
      INTO covering, near
      FROM district_piece p
      JOIN district d ON d.id = p.district_id  -- the code as it is now (a rename cascades)
      CROSS JOIN (SELECT ST_PointN(ST_ExteriorRing(ST_GeometryN(ST_Multi(g), 1)), 1) AS pt) v
     WHERE p.geom ~ v.pt AND ST_Covers(p.geom, v.pt);
    IF near IS NULL OR near = covering THEN
        RETURN covering;
    END IF;
    -- a district holding the vertex but with no piece covering g alone: g straddles a cut or
    -- the boundary, and the district's pieces near g together decide
    FOREACH c IN ARRAY near LOOP
        IF NOT c = ANY (COALESCE(covering, '{{}}')) AND (
               -- one piece near g: it decides (an outline kept whole, invalid, is never
               -- merged); else their union, which is the outline near g (the cuts' own
               -- points computed, to ~1e-15°)
               SELECT ST_Covers(CASE WHEN count(*) = 1 THEN (array_agg(p.geom))[1]
                                     ELSE ST_Union(array_agg(p.geom)) END, g)
                 FROM district_piece p JOIN district d ON d.id = p.district_id
                WHERE d.code = c AND p.geom && g) THEN
            covering := covering || c;
        END IF;
    END LOOP;
    RETURN (SELECT array_agg(x ORDER BY x) FROM unnest(covering) x);
END $$;

-- whether some district-level outline covers g (the jurisdiction check): most often one
-- piece does, without gis_app_districts_covering's search for every district
CREATE FUNCTION gis_app_districts_cover(g geometry) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM district_piece p WHERE p.geom ~ g AND ST_Covers(p.geom, g))
           OR gis_app_districts_covering(g) IS NOT NULL
$$;

-- whether a district-level outline intersects g (the pieces tile the outlines)
CREATE FUNCTION gis_app_districts_touching(g geometry) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM district_piece p WHERE p.geom && g AND ST_Intersects(p.geom, g))
$$;

{_replaced(OLD_SITE_DISTRICT, SITE_DISTRICT_FAST)};

{_replaced(OLD_JURISDICTION, *JURISDICTION_FAST)};
"""

DOWNGRADE = f"""
{OLD_SITE_DISTRICT};

{OLD_JURISDICTION};

DROP TRIGGER district_pieces ON district;
DROP FUNCTION gis_app_district_piece_trg();
DROP FUNCTION gis_app_districts_touching(geometry);
DROP FUNCTION gis_app_districts_cover(geometry);
DROP FUNCTION gis_app_districts_covering(geometry);
DROP TABLE district_piece;
DROP FUNCTION gis_app_district_pieces(geometry);
"""


def upgrade() -> None:
    """Keep district outlines in pieces; the row checks read pieces."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Back to revision 0053: the row checks read whole outlines."""
    op.execute(DOWNGRADE)
