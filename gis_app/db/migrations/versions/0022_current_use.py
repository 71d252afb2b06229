"""三调 current land use: the survey's parcels, and each site's current-use composition.

``current_use_parcel`` holds the 图斑 of a 三调 DLTB layer (``gis-app import --layer
current_use``: 标识码 BSM, 地类编码 DLBM, 图斑编号 TBBH, 坐落单位名称 ZLDWMC). The overlay of
each site's outline with them is kept in ``site_current_use``, one row per site the survey
reaches: the share of 耕地, of the other 农用地, of 建设用地 and of 未利用地 (the 三大类 of
GB/T 21010-2017 附录 A, 耕地 apart), the share the survey covers, and the area and share of
each first-level class. Triggers keep it current for every writer: a site's outline (row
trigger, like the constraint overlaps) and a load of parcels (statement triggers over the
transition tables, so a layer of thousands of parcels recomputes each site it touches once).
A site the survey does not reach has no row: its composition is unknown, not zero.

The classes' groups are frozen here (``gis_app_sandiao_group``, ``gis_app_sandiao_class``) as
``gis_app.domain.landuse`` had them; a test checks that the two agree for every code. The
trigger functions write ``site_current_use``, which personal logins have no grant on, so they
run as their owner (as revision 0014 does for the other derived tables).

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import geoalchemy2
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: 三调 code → group, as gis_app.domain.landuse.sandiao_group gave them (first-level classes
#: that span groups, 00 04 11 12, have none)
GROUPS: dict[str, tuple[str, ...]] = {
    "cultivated": ("01", "0101", "0102", "0103"),
    "agricultural": (
        "0303",
        "0304",
        "0306",
        "0402",
        "02",
        "0201",
        "0201K",
        "0202",
        "0202K",
        "0203",
        "0203K",
        "0204",
        "0204K",
        "03",
        "0301",
        "0301K",
        "0302",
        "0302K",
        "0305",
        "0307",
        "0307K",
        "0401",
        "0403",
        "0403K",
        "1006",
        "1104",
        "1104A",
        "1104K",
        "1107",
        "1107A",
        "1202",
        "1203",
    ),
    "construction": (
        "0603",
        "05",
        "05H1",
        "0508",
        "06",
        "0601",
        "0602",
        "07",
        "0701",
        "0702",
        "08",
        "08H1",
        "08H2",
        "08H2A",
        "0809",
        "0810",
        "0810A",
        "09",
        "10",
        "1001",
        "1002",
        "1003",
        "1004",
        "1005",
        "1007",
        "1008",
        "1009",
        "1103",
        "1109",
        "1201",
    ),
    "unused": (
        "1105",
        "1106",
        "1108",
        "0404",
        "1101",
        "1102",
        "1110",
        "1204",
        "1205",
        "1206",
        "1207",
    ),
}
#: the GB/T 21010 classes 三调 groups under 00 湿地
WETLAND: tuple[str, ...] = ("0303", "0304", "0306", "0402", "0603", "1105", "1106", "1108")


def _in(codes: tuple[str, ...]) -> str:
    return ", ".join(f"'{c}'" for c in codes)


def _functions() -> str:
    cases = "\n".join(
        f"        WHEN code IN ({_in(codes)}) THEN '{group}'" for group, codes in GROUPS.items()
    )
    return f"""
CREATE FUNCTION gis_app_sandiao_group(code text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE
{cases}
    END
$$;

CREATE FUNCTION gis_app_sandiao_class(code text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN code IN ({_in(WETLAND)}) THEN '00' ELSE left(code, 2) END
$$;
"""


REFRESH = r"""
-- The composition of the given sites (every site when NULL), from their overlay with the parcels.
CREATE FUNCTION gis_app_refresh_current_use(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM site_current_use WHERE site_ids IS NULL OR site_id = ANY (site_ids);
    INSERT INTO site_current_use (site_id, cultivated_pct, agricultural_pct, construction_pct,
                                  unused_pct, surveyed_pct, classes)
    WITH pieces AS (
        SELECT s.id AS site_id, s.area_m2 AS site_m2, p.use_code,
               ST_Area(ST_Intersection(s.geom, p.geom)::geography) AS m2
          FROM site s JOIN current_use_parcel p ON ST_Intersects(s.geom, p.geom)
         WHERE site_ids IS NULL OR s.id = ANY (site_ids)
    ), coded AS (
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

CREATE FUNCTION gis_app_site_current_use_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM current_use_parcel LIMIT 1) THEN
        PERFORM gis_app_refresh_current_use(ARRAY[NEW.id]);
    END IF;
    RETURN NULL;
END $$;

-- Statement triggers: the sites touched by the parcels written (transition tables), once each.
CREATE FUNCTION gis_app_parcel_current_use_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids bigint[];
BEGIN
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

-- The land class must be a 三调 code (QGIS and psql edits included).
CREATE FUNCTION gis_app_check_parcel_use() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM land_use_code WHERE system = 'sandiao' AND code = NEW.use_code)
    THEN
        RAISE EXCEPTION 'current-use parcel %: unknown 三调 land class % (DLBM)',
            NEW.code, NEW.use_code USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER current_use_parcel_check_use BEFORE INSERT OR UPDATE OF use_code
    ON current_use_parcel FOR EACH ROW EXECUTE FUNCTION gis_app_check_parcel_use();
CREATE TRIGGER site_current_use AFTER INSERT OR UPDATE OF geom ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_site_current_use_trg();
CREATE TRIGGER current_use_parcel_insert AFTER INSERT ON current_use_parcel
    REFERENCING NEW TABLE AS new_parcels
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_parcel_current_use_trg();
CREATE TRIGGER current_use_parcel_update AFTER UPDATE ON current_use_parcel
    REFERENCING OLD TABLE AS old_parcels NEW TABLE AS new_parcels
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_parcel_current_use_trg();
CREATE TRIGGER current_use_parcel_delete AFTER DELETE ON current_use_parcel
    REFERENCING OLD TABLE AS old_parcels
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_parcel_current_use_trg();
CREATE TRIGGER current_use_parcel_truncate AFTER TRUNCATE ON current_use_parcel
    FOR EACH STATEMENT EXECUTE FUNCTION gis_app_parcel_current_use_trg();
"""


def upgrade() -> None:
    op.create_table(
        "current_use_parcel",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("use_code", sa.Text(), nullable=False),
        sa.Column("parcel_no", sa.Text(), nullable=True),
        sa.Column("location", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column(
            "geom",
            geoalchemy2.types.Geometry(
                geometry_type="MULTIPOLYGON", srid=4490, spatial_index=False
            ),
            nullable=False,
        ),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "NOT ST_IsEmpty(geom) AND ST_IsValid(geom)", name="ck_current_use_parcel_geom_valid"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_current_use_parcel"),
        sa.UniqueConstraint("code", name="uq_current_use_parcel_code"),
    )
    op.create_index(
        "idx_current_use_parcel_geom", "current_use_parcel", ["geom"], postgresql_using="gist"
    )
    op.create_index("ix_current_use_parcel_use_code", "current_use_parcel", ["use_code"])
    op.create_table(
        "site_current_use",
        sa.Column("site_id", sa.BigInteger(), nullable=False),
        sa.Column("cultivated_pct", sa.Float(), nullable=False),
        sa.Column("agricultural_pct", sa.Float(), nullable=False),
        sa.Column("construction_pct", sa.Float(), nullable=False),
        sa.Column("unused_pct", sa.Float(), nullable=False),
        sa.Column("surveyed_pct", sa.Float(), nullable=False),
        sa.Column("classes", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "computed_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name="fk_site_current_use_site_id_site", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_current_use"),
    )
    op.create_index("ix_site_current_use_cultivated_pct", "site_current_use", ["cultivated_pct"])
    op.create_index(
        "ix_site_current_use_construction_pct", "site_current_use", ["construction_pct"]
    )
    op.execute(_functions())
    op.execute(REFRESH)


def downgrade() -> None:
    op.execute("""
        DROP TRIGGER site_current_use ON site;
        DROP TABLE site_current_use;
        DROP TABLE current_use_parcel;
        DROP FUNCTION gis_app_parcel_current_use_trg();
        DROP FUNCTION gis_app_site_current_use_trg();
        DROP FUNCTION gis_app_check_parcel_use();
        DROP FUNCTION gis_app_refresh_current_use(bigint[]);
        DROP FUNCTION gis_app_sandiao_class(text);
        DROP FUNCTION gis_app_sandiao_group(text);
    """)
