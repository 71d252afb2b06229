"""Sites that match by their GB 50137 class alone come from a small partial index.

A land request that states land uses takes its candidates in two index branches: the sites whose
2023 class fits, then those whose GB 50137 class fits while their 2023 class does not. Almost
every site carries both classes and they agree (100102 and M2), so the second branch read as
many index entries as the first and kept none: at a million sites about a fifth of a land
match. For a site whose 2023 class *implies* its GB 50137 class — every search code that
accepts the GB class accepts the 2023 class too (``gis_app.domain.landuse.legacy_codes_implied``)
— the second branch can never be the one that finds it. The legacy-use index now holds only
the other sites (a 2023 class missing or not implying the GB class), so the branch reads only
sites that it may return.

The pairs are frozen below, computed from the vocabulary of this revision; a test checks that
the database function still agrees with the vocabulary, so a change to the classifications or
their mapping ships as a migration replacing the function and rebuilding the index. The index's
columns are literal too (they were read from revision 0008's module).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: GB 50137 class → the 2023 classes that imply it (legacy_codes_implied() at this revision)
IMPLIED: dict[str, tuple[str, ...]] = {
    "A": (
        "08",
        "0801",
        "0802",
        "0803",
        "080301",
        "080302",
        "0804",
        "080401",
        "080402",
        "080403",
        "080404",
        "080405",
        "0805",
        "080501",
        "080502",
        "0806",
        "080601",
        "080602",
        "080603",
        "0807",
        "080701",
        "080702",
        "080703",
        "080704",
    ),
    "A1": ("0801",),
    "A2": ("0803", "080301", "080302"),
    "A21": ("080301",),
    "A22": ("080302",),
    "A3": ("080404",),
    "A4": ("0805", "080501", "080502"),
    "A41": ("080501",),
    "A42": ("080502",),
    "A5": ("080602",),
    "A53": ("080602",),
    "A59": ("080602",),
    "B": ("09", "0901", "090101", "090102", "090103", "090104", "090105", "0902", "0903", "0904"),
    "B1": ("0901", "090101", "090102", "090103", "090104", "090105"),
    "B11": ("090101",),
    "B12": ("090102",),
    "B13": ("090103",),
    "B14": ("090104",),
    "B2": ("0902",),
    "B21": ("0902",),
    "B22": ("0902",),
    "B29": ("0902",),
    "B3": ("0903",),
    "B31": ("0903",),
    "B32": ("0903",),
    "B4": ("090105",),
    "B41": ("090105",),
    "B49": ("090105",),
    "E": (
        "01",
        "0101",
        "0102",
        "0103",
        "02",
        "0201",
        "0202",
        "0203",
        "0204",
        "0205",
        "03",
        "0301",
        "0302",
        "0303",
        "0304",
        "04",
        "0401",
        "0402",
        "0403",
        "0501",
        "0502",
        "0503",
        "0504",
        "0505",
        "0506",
        "0507",
        "06",
        "0601",
        "060101",
        "060102",
        "0602",
        "060201",
        "060202",
        "060203",
        "17",
        "1701",
        "1702",
        "1703",
        "1704",
        "1705",
        "1706",
        "2301",
        "2302",
        "2303",
        "2304",
        "2305",
        "2306",
        "2307",
    ),
    "E1": ("17", "1701", "1702", "1703", "1704", "1705", "1706"),
    "E12": ("1703",),
    "G": ("14", "1401", "1402", "1403"),
    "G1": ("1401",),
    "G2": ("1402",),
    "G3": ("1403",),
    "H": (
        "1002",
        "1003",
        "1201",
        "1202",
        "1203",
        "1204",
        "1205",
        "13",
        "1301",
        "1302",
        "1303",
        "1304",
        "1305",
        "1306",
        "1307",
        "1308",
        "1309",
        "1310",
        "1311",
        "1312",
        "1501",
        "1505",
        "1507",
    ),
    "H2": ("1201", "1202", "1203", "1204", "1205"),
    "H21": ("1201",),
    "H22": ("1202",),
    "H23": ("1204",),
    "H24": ("1203",),
    "H25": ("1205",),
    "H3": (
        "13",
        "1301",
        "1302",
        "1303",
        "1304",
        "1305",
        "1306",
        "1307",
        "1308",
        "1309",
        "1310",
        "1311",
        "1312",
    ),
    "H4": ("1501", "1505"),
    "H41": ("1501",),
    "H42": ("1505",),
    "H9": ("1507",),
    "M": ("1001", "100101", "100102", "100103"),
    "M1": ("100101",),
    "M2": ("100102",),
    "M3": ("100103",),
    "S": ("1206", "1207", "1208", "120801", "120802", "120803", "1209"),
    "S1": ("1207",),
    "S2": ("1206",),
    "S3": ("120801",),
    "S4": ("1208", "120801", "120802", "120803"),
    "S41": ("120802",),
    "S42": ("120803",),
    "S9": ("1209",),
    "U": (
        "13",
        "1301",
        "1302",
        "1303",
        "1304",
        "1305",
        "1306",
        "1307",
        "1308",
        "1309",
        "1310",
        "1311",
        "1312",
    ),
    "U1": ("1301", "1303", "1304", "1305", "1306", "1307", "1308"),
    "U11": ("1301",),
    "U12": ("1303",),
    "U13": ("1304",),
    "U14": ("1305",),
    "U16": ("1308",),
    "U2": ("1302", "1309"),
    "U21": ("1302",),
    "U22": ("1309",),
    "U3": ("1310", "1311"),
    "U31": ("1310",),
    "U32": ("1311",),
    "U9": ("1312",),
}

FUNCTION = (
    "CREATE FUNCTION gis_app_legacy_use_implied(planned text, legacy text) RETURNS boolean\n"
    "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$\n"
    "    SELECT COALESCE(planned = ANY (CASE legacy\n"
    + "".join(
        f"        WHEN '{gb}' THEN '{{{','.join(codes)}}}'::text[]\n"
        for gb, codes in IMPLIED.items()
    )
    + "    END), false)\n$$;"
)

_KEYS = ("availability", "kind", "legacy_use", "area_m2")
#: what the index carries besides its keys: revision 0008's land columns (as 0008 built it)
_INCLUDE = [
    "site_id", "site_code", "building_id", "building_code", "d_port", "d_expressway", "d_ferry",
    "blocked", "envelope", "planned_use", "area_mu", "readiness", "shoreline_m", "berth_dwt",
    "water_depth_m", "reserve_price_wan_per_mu", "policy_status", "quota_status",
    "planning_status", "township", "block", "far_max", "height_limit_m", "standard_land",
    "invest_intensity_wan_per_mu", "tax_wan_per_mu_yr", "utilities", "verified_at",
]  # fmt: skip
#: the units the legacy-use branch may return (the match query states the same condition)
WHERE = (
    "building_id IS NULL AND legacy_use IS NOT NULL"
    " AND NOT gis_app_legacy_use_implied(planned_use, legacy_use)"
)


def _legacy_index(where: str) -> None:
    op.create_index(
        "ix_match_unit_land_legacy_use",
        "match_unit",
        list(_KEYS),
        postgresql_where=sa.text(where),
        postgresql_include=_INCLUDE,
    )


def upgrade() -> None:
    op.execute(FUNCTION)
    op.drop_index("ix_match_unit_land_legacy_use", table_name="match_unit")
    _legacy_index(WHERE)


def downgrade() -> None:
    op.drop_index("ix_match_unit_land_legacy_use", table_name="match_unit")
    _legacy_index("building_id IS NULL")
    op.execute("DROP FUNCTION gis_app_legacy_use_implied(text, text)")
