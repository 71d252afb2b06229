"""Districts as first-class (issue 26, items 1 and 5): one deployment holds several
jurisdictions, each row of ``district`` (the former ``jurisdiction`` table, renamed with its
rows, keys, index, sequence and grants): code, names, outline, level (province, city,
district), parent and whether it is illustrative. Every site, constraint zone, requirement,
recommendation and app user belongs to one (``district_code``, a foreign key on the district's
code, indexed); existing rows go to the first district (the former jurisdiction row, e.g.
普陀区).

``jurisdiction`` stays as a view: the outlines of every district-level row, so what covered
"the jurisdiction" (the inside check of 0013, tiles, reference layers, OGC, QGIS) now covers
every district of the deployment.

Geometry rules per district, kept by the database for every writer (QGIS and psql too):

* a site lies in its own district (within the app's 1e-5° tolerance): ``GA005``,
  constraint ``site_in_own_district``;
* a site that reaches into two districts beyond that tolerance is refused, naming both:
  ``GA006``, constraint ``site_within_one_district``;
* a site or zone written without a district gets the one its outline lies in (a zone: the one
  it overlaps most).

Each refusal carries a DETAIL in JSON (``{"site", "district", "found"}`` or ``{"site", "a",
"b"}``, districts as ``{"code", "zh", "en"}``) from which the app words it in its error
vocabulary. Users, requirements and recommendations written without a district get the first
district (``gis_app_home_district()``).

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the app's tolerance for "inside" (degrees, ~1 m), as in 0013
TOLERANCE_DEG = 1e-5
#: tables whose rows belong to a district; the last three get the home district by default
MEMBERS = ("site", "constraint_zone", "requirement", "recommendation", "app_user")
DEFAULTED = ("requirement", "recommendation", "app_user")
#: made only when a database holds rows but no jurisdiction to give them
PLACEHOLDER = (
    "INSERT INTO district (code, name_zh, name_en, default_epsg, geom, note) VALUES "
    "('unassigned', '未指定辖区', 'Unassigned district', 4550, NULL, "
    "'made by migration 0029 for rows that predate any jurisdiction; load the real outline')"
)

FUNCTIONS = rf"""
CREATE FUNCTION gis_app_home_district() RETURNS text LANGUAGE sql STABLE AS $$
    SELECT code FROM district WHERE level = 'district' ORDER BY id LIMIT 1
$$;
COMMENT ON FUNCTION gis_app_home_district() IS
    'the first district-level row: the district of users, requirements and recommendations '
    'written without one';

CREATE FUNCTION gis_app_district_json(c text) RETURNS jsonb LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('code', c, 'zh', COALESCE(d.name_zh, c),
                              'en', COALESCE(d.name_en, d.name_zh, c))
      FROM (SELECT 1) one LEFT JOIN district d ON d.code = c
$$;

-- A site lies in its own district; one reaching into two is refused; none given: assigned.
CREATE FUNCTION gis_app_site_district() RETURNS trigger LANGUAGE plpgsql AS $$
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
        probe := ST_Buffer(NEW.geom, -{TOLERANCE_DEG});
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
END $$;

-- A zone written without a district gets the one it overlaps most (zones may reach further).
CREATE FUNCTION gis_app_zone_district() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.district_code IS NULL AND NEW.geom IS NOT NULL THEN
        SELECT d.code INTO NEW.district_code
          FROM district d
         WHERE d.level = 'district' AND ST_Intersects(d.geom, NEW.geom)
         ORDER BY ST_Area(ST_Intersection(d.geom, NEW.geom)) DESC, d.code
         LIMIT 1;
        NEW.district_code := COALESCE(NEW.district_code, gis_app_home_district());
    END IF;
    RETURN NEW;
END $$;

-- named to run before site_check_jurisdiction (triggers fire in name order)
CREATE TRIGGER site_assign_district BEFORE INSERT OR UPDATE OF geom, district_code ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_district();
CREATE TRIGGER zone_assign_district BEFORE INSERT OR UPDATE OF geom, district_code
    ON constraint_zone FOR EACH ROW EXECUTE FUNCTION gis_app_zone_district();
"""


def upgrade() -> None:
    """Rename ``jurisdiction`` to ``district``, add its new columns, the members' keys, the
    rules, and the ``jurisdiction`` view."""
    op.execute("ALTER TABLE jurisdiction RENAME TO district")
    op.execute("ALTER TABLE district RENAME CONSTRAINT pk_jurisdiction TO pk_district")
    op.execute("ALTER TABLE district RENAME CONSTRAINT uq_jurisdiction_code TO uq_district_code")
    op.execute("ALTER INDEX idx_jurisdiction_geom RENAME TO idx_district_geom")
    op.execute("ALTER SEQUENCE jurisdiction_id_seq RENAME TO district_id_seq")
    op.execute(
        """ALTER TABLE district
             ADD COLUMN level TEXT NOT NULL DEFAULT 'district',
             ADD COLUMN parent_code TEXT,
             ADD COLUMN illustrative BOOLEAN NOT NULL DEFAULT false,
             ADD COLUMN note TEXT,
             ALTER COLUMN geom DROP NOT NULL,
             ADD CONSTRAINT ck_district_level_vocab
                 CHECK (level IN ('province', 'city', 'district')),
             ADD CONSTRAINT ck_district_not_own_parent CHECK (parent_code <> code),
             ADD CONSTRAINT fk_district_parent_code_district FOREIGN KEY (parent_code)
                 REFERENCES district (code) ON UPDATE CASCADE"""
    )
    op.execute("CREATE INDEX ix_district_parent_code ON district (parent_code)")
    conn = op.get_bind()
    home = conn.execute(sa.text("SELECT code FROM district ORDER BY id LIMIT 1")).scalar()
    if home is None and any(
        conn.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {t})")).scalar() for t in MEMBERS
    ):
        conn.execute(sa.text(PLACEHOLDER))
        home = "unassigned"
    for table in MEMBERS:
        # a constant default fills existing rows without firing their update triggers
        fill = f" DEFAULT '{home}'" if home is not None else ""
        op.execute(f"ALTER TABLE {table} ADD COLUMN district_code TEXT NOT NULL{fill}")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN district_code DROP DEFAULT")
        op.execute(
            f"ALTER TABLE {table} ADD CONSTRAINT fk_{table}_district_code_district FOREIGN KEY"
            " (district_code) REFERENCES district (code) ON UPDATE CASCADE"
        )
        op.execute(f"CREATE INDEX ix_{table}_district_code ON {table} (district_code)")
    op.execute(FUNCTIONS)
    for table in DEFAULTED:
        op.execute(
            f"ALTER TABLE {table} ALTER COLUMN district_code SET DEFAULT gis_app_home_district()"
        )
    op.execute(
        """CREATE VIEW jurisdiction AS
             SELECT id, code, name_zh, name_en, default_epsg, geom FROM district
              WHERE level = 'district' AND geom IS NOT NULL"""
    )
    op.execute("COMMENT ON VIEW jurisdiction IS 'the outlines of every district of the deployment'")
    # the view replaces the table for the QGIS groups that read it (db_logins.READ_RELATIONS)
    op.execute(
        """DO $$
           DECLARE g text;
           BEGIN
               FOR g IN SELECT grantee FROM information_schema.role_table_grants
                         WHERE table_schema = 'public' AND table_name = 'district'
                           AND privilege_type = 'SELECT' AND grantee <> current_user LOOP
                   EXECUTE format('GRANT SELECT ON jurisdiction TO %I', g);
               END LOOP;
           END $$"""
    )


def downgrade() -> None:
    """Back to one ``jurisdiction`` table: district-level rows with an outline stay."""
    op.execute("DROP VIEW jurisdiction")
    op.execute("DROP TRIGGER zone_assign_district ON constraint_zone")
    op.execute("DROP TRIGGER site_assign_district ON site")
    op.execute("DROP FUNCTION gis_app_zone_district()")
    op.execute("DROP FUNCTION gis_app_site_district()")
    for table in MEMBERS:
        op.execute(f"ALTER TABLE {table} DROP COLUMN district_code")
    op.execute("DROP FUNCTION gis_app_district_json(text)")
    op.execute("DROP FUNCTION gis_app_home_district()")
    op.execute("DROP INDEX ix_district_parent_code")
    op.execute(
        """ALTER TABLE district
             DROP CONSTRAINT fk_district_parent_code_district,
             DROP CONSTRAINT ck_district_not_own_parent,
             DROP CONSTRAINT ck_district_level_vocab"""
    )
    op.execute("DELETE FROM district WHERE level <> 'district' OR geom IS NULL")
    op.execute(
        """ALTER TABLE district
             ALTER COLUMN geom SET NOT NULL,
             DROP COLUMN note,
             DROP COLUMN illustrative,
             DROP COLUMN parent_code,
             DROP COLUMN level"""
    )
    op.execute("ALTER SEQUENCE district_id_seq RENAME TO jurisdiction_id_seq")
    op.execute("ALTER INDEX idx_district_geom RENAME TO idx_jurisdiction_geom")
    op.execute("ALTER TABLE district RENAME CONSTRAINT uq_district_code TO uq_jurisdiction_code")
    op.execute("ALTER TABLE district RENAME CONSTRAINT pk_district TO pk_jurisdiction")
    op.execute("ALTER TABLE district RENAME TO jurisdiction")
