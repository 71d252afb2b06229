"""Match units: what matching reads, one trigger-kept row per site and per building.

At a million sites the match query spent its time joining each candidate building to its site
and looking up distances and zone overlaps per candidate. ``match_unit`` folds all of that into
one row per thing an investor can be offered — the site itself (land needs) or a building with
its site's fields (space needs) — with the nearest port/expressway/ferry distances and the
blocking-zone flag, and carries it in covering indexes so that candidates come from index-only
scans. Triggers keep it current for every write, the app's and QGIS/psql edits alike:

* site insert/update (after the distance and overlap triggers, by name order) rebuilds that
  site's units; a building insert/update/delete rewrites that building's unit from its site's;
* infrastructure changes (after ``site_distance`` is recomputed) rebuild every unit;
* constraint-zone changes re-derive ``blocked`` for the units whose overlaps changed.

Retired (split or merged) sites have no units, so they never match.

Also: requirement ``industry`` was free text before GB/T 4754 codes were checked. Codes that
parse are normalised (``c26`` → ``C26``) and, when the requirement states no land-use codes,
its stored land-use sets take the industry's classes; text that is not a code moves into the
internal notes so that the requirement stays readable. The GB/T 4754 codes and their land-use
sets are frozen below (issue 19) as ``gis_app.domain.industry`` and ``landuse`` gave them.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from geoalchemy2 import Geometry

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# frozen here (a migration must not change when the code moves on); a test checks they still
# agree with gis_app.matching.criteria.PORT_KINDS and vocab.BLOCKING_CONSTRAINT_KINDS
PORT_KINDS = "('port', 'wharf')"
BLOCKING_KINDS = "('basic_farmland', 'ecological_redline')"

SITE_COLUMNS = (
    "kind", "planned_use", "legacy_use", "availability", "area_m2", "area_mu", "readiness",
    "shoreline_m", "berth_dwt", "water_depth_m", "reserve_price_wan_per_mu", "policy_status",
    "quota_status", "planning_status", "township", "block", "far_max", "height_limit_m",
    "standard_land", "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr", "utilities", "verified_at",
)  # fmt: skip
BUILDING_COLUMNS = (
    "building_type", "occupancy", "vacant_gfa_m2", "min_split_m2", "offer", "floor_height_m",
    "floor_load_kg_m2", "crane_t", "power_kva", "rent_yuan_m2_month", "sale_yuan_m2",
)  # fmt: skip
#: site fields only land needs read (their criteria fold away for space needs); left out of the
#: space index, which may hold at most 32 columns
LAND_ONLY = (
    "area_m2", "area_mu", "reserve_price_wan_per_mu", "policy_status", "quota_status",
    "planning_status", "far_max", "height_limit_m", "standard_land", "invest_intensity_wan_per_mu",
    "tax_wan_per_mu_yr", "utilities",
)  # fmt: skip
PAYLOAD = (
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", *SITE_COLUMNS, *BUILDING_COLUMNS,
)  # fmt: skip

_TYPES = {
    "site_id": "bigint", "site_code": "text", "building_id": "bigint", "building_code": "text",
    "d_port": "float8", "d_expressway": "float8", "d_ferry": "float8", "blocked": "boolean", "envelope": "geometry",
    "kind": "text", "planned_use": "text", "legacy_use": "text", "availability": "text",
    "area_m2": "float8", "area_mu": "float8", "readiness": "text", "shoreline_m": "float8",
    "berth_dwt": "integer", "water_depth_m": "float8", "reserve_price_wan_per_mu": "float8",
    "policy_status": "text", "quota_status": "text", "planning_status": "text",
    "township": "text", "block": "text", "far_max": "float8", "height_limit_m": "float8",
    "standard_land": "boolean", "invest_intensity_wan_per_mu": "float8",
    "tax_wan_per_mu_yr": "float8", "utilities": "text[]", "verified_at": "date",
    "building_type": "text", "occupancy": "text", "vacant_gfa_m2": "float8",
    "min_split_m2": "float8", "offer": "text", "floor_height_m": "float8",
    "floor_load_kg_m2": "float8", "crane_t": "float8", "power_kva": "float8",
    "rent_yuan_m2_month": "float8", "sale_yuan_m2": "float8",
}  # fmt: skip
_SA = {
    "bigint": sa.BigInteger(), "text": sa.Text(), "float8": sa.Float(), "boolean": sa.Boolean(),
    "integer": sa.Integer(), "text[]": sa.ARRAY(sa.Text()), "date": sa.Date(),
    "geometry": Geometry("GEOMETRY", srid=4490, spatial_index=False),
}  # fmt: skip
_NOT_NULL = {
    "site_id",
    "site_code",
    "blocked",
    "envelope",
    "kind",
    "availability",
    "area_m2",
    "area_mu",
}
_NOT_NULL |= {"standard_land", "utilities"}

_COLS = ", ".join(PAYLOAD)
_SITE_SELECT = ", ".join(
    ["s.id", "s.code", "NULL::bigint", "NULL::text", "s.d_port", "s.d_expressway", "s.d_ferry"]
    + ["s.blocked", "ST_Envelope(s.geom)"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"NULL::{_TYPES[c]}" for c in BUILDING_COLUMNS]
)
_BUILDING_SELECT = ", ".join(
    ["s.id", "s.code", "b.id", "b.code", "s.d_port", "s.d_expressway", "s.d_ferry", "s.blocked"]
    + ["ST_Envelope(s.geom)"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"b.{c}" for c in BUILDING_COLUMNS]
)

# a building's unit from its site's unit (s) and the building (b)
_BUILDING_FROM_UNIT = ", ".join(
    ["s.site_id", "s.site_code", "b.id", "b.code", "s.d_port", "s.d_expressway", "s.d_ferry"]
    + ["s.blocked", "s.envelope"]
    + [f"s.{c}" for c in SITE_COLUMNS]
    + [f"b.{c}" for c in BUILDING_COLUMNS]
)

FUNCTIONS = rf"""
CREATE FUNCTION gis_app_match_unit_rows(site_ids bigint[])
RETURNS TABLE ({", ".join(f"{c} {_TYPES[c]}" for c in PAYLOAD)})
LANGUAGE sql STABLE AS $$
    WITH s AS (
        SELECT s.*,
               (SELECT min(d.distance_m) FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind IN {PORT_KINDS}) AS d_port,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'expressway_interchange')
                 AS d_expressway,
               (SELECT d.distance_m FROM site_distance d
                 WHERE d.site_id = s.id AND d.infra_kind = 'ferry_terminal') AS d_ferry,
               EXISTS (SELECT 1 FROM site_constraint_overlap o
                        WHERE o.site_id = s.id AND o.zone_kind IN {BLOCKING_KINDS}) AS blocked
          FROM site s
         WHERE s.retired_at IS NULL AND (site_ids IS NULL OR s.id = ANY (site_ids))
    )
    SELECT {_SITE_SELECT} FROM s
    UNION ALL
    SELECT {_BUILDING_SELECT} FROM s JOIN building b ON b.site_id = s.id
$$;

CREATE FUNCTION gis_app_refresh_match_units(site_ids bigint[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF site_ids IS NULL THEN
        DELETE FROM match_unit;
        INSERT INTO match_unit ({_COLS}) SELECT * FROM gis_app_match_unit_rows(NULL);
    ELSE
        -- planned with the ids known, as gis_app_refresh_site_distance (revision 0005)
        EXECUTE 'DELETE FROM match_unit WHERE site_id = ANY ($1)' USING site_ids;
        -- buildings moved here by a statement whose row triggers have not all run yet (a merge
        -- moves several at once) still have units under their former site
        EXECUTE 'DELETE FROM match_unit WHERE building_id IN
                 (SELECT b.id FROM building b WHERE b.site_id = ANY ($1))' USING site_ids;
        EXECUTE 'INSERT INTO match_unit ({_COLS})
                 SELECT * FROM gis_app_match_unit_rows($1)' USING site_ids;
    END IF;
END $$;

CREATE FUNCTION gis_app_match_unit_site_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_match_units(ARRAY[NEW.id]);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_building_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM match_unit WHERE building_id = OLD.id;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        -- the site's fields come from its own unit, which the site's trigger keeps current
        -- (a retired site has none, so neither do its buildings)
        INSERT INTO match_unit ({_COLS})
        SELECT {_BUILDING_FROM_UNIT}
          FROM building b JOIN match_unit s ON s.site_id = b.site_id AND s.building_id IS NULL
         WHERE b.id = NEW.id;
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_infrastructure_trg() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM gis_app_refresh_match_units(NULL);
    RETURN NULL;
END $$;

CREATE FUNCTION gis_app_match_unit_zone_trg() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- only units that were blocked or whose site now overlaps a blocking zone can change
    UPDATE match_unit u SET blocked = x.now_blocked
      FROM (SELECT c.id, EXISTS (SELECT 1 FROM site_constraint_overlap o
                                  WHERE o.site_id = c.site_id
                                    AND o.zone_kind IN {BLOCKING_KINDS}) AS now_blocked
              FROM match_unit c
             WHERE c.blocked
                OR c.site_id IN (SELECT o.site_id FROM site_constraint_overlap o
                                  WHERE o.zone_kind IN {BLOCKING_KINDS})) x
     WHERE u.id = x.id AND u.blocked <> x.now_blocked;
    RETURN NULL;
END $$;

-- AFTER triggers fire in name order: these run after site_distance and site_overlap
-- (site) and after infrastructure_distance (infrastructure).
CREATE TRIGGER site_unit_sync AFTER INSERT OR UPDATE ON site
    FOR EACH ROW EXECUTE FUNCTION gis_app_match_unit_site_trg();
CREATE TRIGGER building_unit_sync AFTER INSERT OR UPDATE OR DELETE ON building
    FOR EACH ROW EXECUTE FUNCTION gis_app_match_unit_building_trg();
CREATE TRIGGER infrastructure_unit_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON infrastructure FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_infrastructure_trg();
CREATE TRIGGER zone_unit_sync AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
    ON constraint_zone FOR EACH STATEMENT EXECUTE FUNCTION gis_app_match_unit_zone_trg();
"""

DROP = """
DROP TRIGGER IF EXISTS zone_unit_sync ON constraint_zone;
DROP TRIGGER IF EXISTS infrastructure_unit_sync ON infrastructure;
DROP TRIGGER IF EXISTS building_unit_sync ON building;
DROP TRIGGER IF EXISTS site_unit_sync ON site;
DROP FUNCTION IF EXISTS gis_app_match_unit_zone_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_infrastructure_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_building_trg();
DROP FUNCTION IF EXISTS gis_app_match_unit_site_trg();
DROP FUNCTION IF EXISTS gis_app_refresh_match_units(bigint[]);
DROP FUNCTION IF EXISTS gis_app_match_unit_rows(bigint[]);
"""


def _create_table() -> None:
    cols = [sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False)]
    cols += [sa.Column(c, _SA[_TYPES[c]], nullable=c not in _NOT_NULL) for c in PAYLOAD]
    op.create_table(
        "match_unit",
        *cols,
        sa.ForeignKeyConstraint(
            ["site_id"], ["site.id"], name=op.f("fk_match_unit_site_id_site"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_unit")),
    )
    op.create_index("ix_match_unit_site_id", "match_unit", ["site_id"])
    op.create_index(
        "ux_match_unit_site",
        "match_unit",
        ["site_id"],
        unique=True,
        postgresql_where=sa.text("building_id IS NULL"),
    )
    op.create_index(
        "ux_match_unit_building",
        "match_unit",
        ["building_id"],
        unique=True,
        postgresql_where=sa.text("building_id IS NOT NULL"),
    )
    op.create_index(
        "ix_match_unit_blocked",
        "match_unit",
        ["site_id"],
        postgresql_where=sa.text("blocked"),
    )
    for name, use in (
        ("ix_match_unit_land", ()),
        ("ix_match_unit_land_planned_use", ("planned_use",)),
        ("ix_match_unit_land_legacy_use", ("legacy_use",)),
    ):
        keys = ("availability", "kind", *use, "area_m2")
        op.create_index(
            name,
            "match_unit",
            list(keys),
            postgresql_where=sa.text("building_id IS NULL"),
            postgresql_include=[c for c in PAYLOAD if c not in keys + BUILDING_COLUMNS],
        )
    space_keys = ("availability", "kind", "building_type", "vacant_gfa_m2")
    op.create_index(
        "ix_match_unit_space",
        "match_unit",
        list(space_keys),
        postgresql_where=sa.text("building_id IS NOT NULL AND vacant_gfa_m2 > 0"),
        postgresql_include=[c for c in PAYLOAD if c not in space_keys + LAND_ONLY],
    )


# fmt: off
#: GB/T 4754-2017 division → its section
SECTION_OF: dict[str, str] = {
    "01": "A",
    "02": "A",
    "03": "A",
    "04": "A",
    "05": "A",
    "06": "B",
    "07": "B",
    "08": "B",
    "09": "B",
    "10": "B",
    "11": "B",
    "12": "B",
    "13": "C",
    "14": "C",
    "15": "C",
    "16": "C",
    "17": "C",
    "18": "C",
    "19": "C",
    "20": "C",
    "21": "C",
    "22": "C",
    "23": "C",
    "24": "C",
    "25": "C",
    "26": "C",
    "27": "C",
    "28": "C",
    "29": "C",
    "30": "C",
    "31": "C",
    "32": "C",
    "33": "C",
    "34": "C",
    "35": "C",
    "36": "C",
    "37": "C",
    "38": "C",
    "39": "C",
    "40": "C",
    "41": "C",
    "42": "C",
    "43": "C",
    "44": "D",
    "45": "D",
    "46": "D",
    "47": "E",
    "48": "E",
    "49": "E",
    "50": "E",
    "51": "F",
    "52": "F",
    "53": "G",
    "54": "G",
    "55": "G",
    "56": "G",
    "57": "G",
    "58": "G",
    "59": "G",
    "60": "G",
    "61": "H",
    "62": "H",
    "63": "I",
    "64": "I",
    "65": "I",
    "66": "J",
    "67": "J",
    "68": "J",
    "69": "J",
    "70": "K",
    "71": "L",
    "72": "L",
    "73": "M",
    "74": "M",
    "75": "M",
    "76": "N",
    "77": "N",
    "78": "N",
    "79": "N",
    "80": "O",
    "81": "O",
    "82": "O",
    "83": "P",
    "84": "Q",
    "85": "Q",
    "86": "R",
    "87": "R",
    "88": "R",
    "89": "R",
    "90": "R",
    "91": "S",
    "92": "S",
    "93": "S",
    "94": "S",
    "95": "S",
    "96": "S",
    "97": "T",
}

#: a section, a division or a refined group/class → the 2023 codes and GB 50137 codes
#: (space-separated) of its compatible land uses, expanded: industry.land_use_codes() then
#: landuse.expand_query() of each
INDUSTRY_LAND_USE: dict[str, tuple[str, str]] = {
    "A": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 03 0301 0302 0303 0304 04 0401 0402 0403 0602 060201 060202 060203 1704 1801 1802", "E13 E2"),
    "B": ("1002 1003 1903 1904", "H5"),
    "C": ("100101 100102 100103", "M1 M2 M3"),
    "D": ("100102 100103 110103 1301 1302 1303 1304 1305 1905", "M2 M3 U11 U12 U13 U14 U21 W3"),
    "E": ("0902", "B2 B21 B22 B29"),
    "F": ("0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49"),
    "G": ("1101 110101 110102 110103 1102 1201 1203 1204 1205 1208 120801 120802 120803 1307 1906 2001", "H21 H23 H24 H25 S3 S4 S41 S42 U15 W W1 W2 W3"),
    "H": ("090101 090103 090104", "B11 B13 B14"),
    "I": ("0902 100101 1306 1308", "B2 B21 B22 B29 M1 U15 U16"),
    "J": ("0902", "B2 B21 B22 B29"),
    "K": ("0701 070101 070102 070103 0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49 R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "L": ("0902", "B2 B21 B22 B29"),
    "M": ("0802 0902 100101", "A35 B2 B21 B22 B29 M1"),
    "N": ("0902 1309 1311 1401", "B2 B21 B22 B29 G1 U22 U32"),
    "O": ("0904", "B9"),
    "P": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "Q": ("0806 080601 080602 080603 0807 080701 080702 080703 080704", "A5 A51 A52 A53 A59 A6"),
    "R": ("0803 080301 080302 0805 080501 080502 0902 0903", "A2 A21 A22 A4 A41 A42 B2 B21 B22 B29 B31"),
    "S": ("0801", "A1"),
    "T": ("1502", "A8"),
    "01": ("01 0101 0102 0103 02 0201 0202 0203 0204 0205 060201", "E2"),
    "02": ("03 0301 0302 0303 0304", "E2"),
    "03": ("04 0401 0402 0403 060202", "E2"),
    "04": ("060203 1704 1801 1802", "E13 E2"),
    "05": ("0602 060201 060202 060203", "E2"),
    "06": ("1002", "H5"),
    "07": ("1002 1904", "H5"),
    "08": ("1002", "H5"),
    "09": ("1002", "H5"),
    "10": ("1002 1003 1903", "H5"),
    "11": ("1002", "H5"),
    "12": ("1002", "H5"),
    "13": ("100101 100102", "M1 M2"),
    "14": ("100101 100102", "M1 M2"),
    "15": ("100101 100102", "M1 M2"),
    "16": ("100101 100102", "M1 M2"),
    "17": ("100101 100102", "M1 M2"),
    "18": ("100101 100102", "M1 M2"),
    "19": ("100101 100102", "M1 M2"),
    "20": ("100101 100102", "M1 M2"),
    "21": ("100101 100102", "M1 M2"),
    "22": ("100101 100102", "M1 M2"),
    "23": ("100101 100102", "M1 M2"),
    "24": ("100101 100102", "M1 M2"),
    "25": ("100103", "M3"),
    "26": ("100102 100103", "M2 M3"),
    "27": ("100101 100102", "M1 M2"),
    "28": ("100102 100103", "M2 M3"),
    "29": ("100101 100102", "M1 M2"),
    "30": ("100102 100103", "M2 M3"),
    "31": ("100102 100103", "M2 M3"),
    "32": ("100102 100103", "M2 M3"),
    "33": ("100101 100102", "M1 M2"),
    "34": ("100101 100102", "M1 M2"),
    "35": ("100101 100102", "M1 M2"),
    "36": ("100101 100102", "M1 M2"),
    "37": ("100102 100103", "M2 M3"),
    "38": ("100101 100102", "M1 M2"),
    "39": ("100101 100102", "M1 M2"),
    "40": ("100101 100102", "M1 M2"),
    "41": ("100101 100102", "M1 M2"),
    "42": ("100102 100103", "M2 M3"),
    "43": ("100101 100102", "M1 M2"),
    "44": ("100102 100103 1303 1305 1905", "M2 M3 U12 U14"),
    "45": ("110103 1304", "U13 W3"),
    "46": ("1301 1302", "U11 U21"),
    "47": ("0902", "B2 B21 B22 B29"),
    "48": ("0902", "B2 B21 B22 B29"),
    "49": ("0902", "B2 B21 B22 B29"),
    "50": ("0902", "B2 B21 B22 B29"),
    "51": ("090102 0902", "B12 B2 B21 B22 B29"),
    "52": ("0901 090101 090102 090103 090104 090105", "B1 B11 B12 B13 B14 B4 B41 B49"),
    "53": ("1201 120801", "H21 S3"),
    "54": ("110101 1208 120801 120802 120803", "S3 S4 S41 S42 W1"),
    "55": ("1204 120801 2001", "H23 S3"),
    "56": ("1203", "H24"),
    "57": ("1205 1906", "H25"),
    "58": ("110101 110102", "W1 W2"),
    "59": ("1101 110101 110102 110103 1102", "W W1 W2 W3"),
    "60": ("110101 1307", "U15 W1"),
    "61": ("090104", "B14"),
    "62": ("090101 090103", "B11 B13"),
    "63": ("1306 1308", "U15 U16"),
    "64": ("0902", "B2 B21 B22 B29"),
    "65": ("0902 100101", "B2 B21 B22 B29 M1"),
    "66": ("0902", "B2 B21 B22 B29"),
    "67": ("0902", "B2 B21 B22 B29"),
    "68": ("0902", "B2 B21 B22 B29"),
    "69": ("0902", "B2 B21 B22 B29"),
    "70": ("0701 070101 070102 070103 0901 090101 090102 090103 090104 090105 0902", "B1 B11 B12 B13 B14 B2 B21 B22 B29 B4 B41 B49 R1 R11 R12 R2 R21 R22 R3 R31 R32"),
    "71": ("0902", "B2 B21 B22 B29"),
    "72": ("0902", "B2 B21 B22 B29"),
    "73": ("0802 0902 100101", "A35 B2 B21 B22 B29 M1"),
    "74": ("0902", "B2 B21 B22 B29"),
    "75": ("0902", "B2 B21 B22 B29"),
    "76": ("1311", "U32"),
    "77": ("1309", "U22"),
    "78": ("1309 1401", "G1 U22"),
    "79": ("0902", "B2 B21 B22 B29"),
    "80": ("0904", "B9"),
    "81": ("0904", "B9"),
    "82": ("0904", "B9"),
    "83": ("0804 080401 080402 080403 080404 080405", "A3 A31 A32 A33 A34 A35"),
    "84": ("0806 080601 080602 080603", "A5 A51 A52 A53 A59"),
    "85": ("0807 080701 080702 080703 080704", "A6"),
    "86": ("0902", "B2 B21 B22 B29"),
    "87": ("0902", "B2 B21 B22 B29"),
    "88": ("0803 080301 080302", "A2 A21 A22"),
    "89": ("0805 080501 080502", "A4 A41 A42"),
    "90": ("0903", "B31"),
    "91": ("0801", "A1"),
    "92": ("0801", "A1"),
    "93": ("0801", "A1"),
    "94": ("0801", "A1"),
    "95": ("0801", "A1"),
    "96": ("0801", "A1"),
    "97": ("1502", "A8"),
    "1713": ("100102 100103", "M2 M3"),
    "1723": ("100102 100103", "M2 M3"),
    "1733": ("100102 100103", "M2 M3"),
    "1743": ("100102 100103", "M2 M3"),
    "1752": ("100102 100103", "M2 M3"),
    "1762": ("100102 100103", "M2 M3"),
    "191": ("100102 100103", "M2 M3"),
    "1931": ("100102 100103", "M2 M3"),
    "221": ("100102 100103", "M2 M3"),
    "222": ("100102 100103", "M2 M3"),
    "271": ("100102 100103", "M2 M3"),
    "336": ("100102 100103", "M2 M3"),
    "373": ("100102 100103 1901", "M2 M3"),
    "4342": ("100102 100103 1901", "M2 M3"),
}
# fmt: on

_INDUSTRY = re.compile(r"([A-T])?(\d{2}|\d{3}|\d{4})?")


def _industry(text: str) -> tuple[str, tuple[str, str]] | None:
    """The normalised GB/T 4754 code of ``text`` and its land-use sets; ``None`` if no code.

    ``industry.normalise`` and ``industry.land_use_codes`` as they were: a section letter, a
    division (with or without its letter) or a group/class under a known division.
    """
    text = text.strip().upper()
    m = _INDUSTRY.fullmatch(text) if text else None
    if m is None:
        return None
    letter, digits = m.groups()
    section = SECTION_OF.get(digits[:2]) if digits else None
    if (digits and section is None) or (letter and section and letter != section):
        return None
    if section is None:
        return letter, INDUSTRY_LAND_USE[letter]
    detail = next(
        (c for c in (digits[:4], digits[:3]) if len(c) > 2 and c in INDUSTRY_LAND_USE), None
    )
    return f"{section}{digits}", INDUSTRY_LAND_USE[detail or digits[:2]]


def _fix_industries() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, industry, land_use_codes, notes FROM requirement "
            "WHERE industry IS NOT NULL ORDER BY id"
        )
    ).all()
    for rid, text, stated, notes in rows:
        found = _industry(text)
        if found is None:
            note = f"行业（未识别的代码）/ industry (not a GB/T 4754 code): {text}"
            conn.execute(
                sa.text("UPDATE requirement SET industry = NULL, notes = :n WHERE id = :id"),
                {"id": rid, "n": f"{notes}\n{note}" if notes else note},
            )
            continue
        code, (c2023, cgb) = found
        values: dict = {"id": rid, "ind": code}
        sets = ""
        if not stated:
            values |= {"a": c2023.split(), "b": cgb.split()}
            sets = ", land_use_2023_codes = :a, land_use_gb_codes = :b"
        conn.execute(
            sa.text(f"UPDATE requirement SET industry = :ind{sets} WHERE id = :id"), values
        )


def upgrade() -> None:
    _create_table()
    op.execute(FUNCTIONS)
    op.execute("SELECT gis_app_refresh_match_units(NULL)")
    _fix_industries()


def downgrade() -> None:
    op.execute(DROP)
    op.drop_table("match_unit")
