"""Sites carry their area on the Gauss-Krüger plane beside the ellipsoidal area.

控规 and 出让 documents state areas measured on the CGCS2000 3° Gauss-Krüger plane of the
parcel's zone, not on the ellipsoid; near Zhoushan the two differ by about 0.01 %, far from a
central meridian by more. ``plane_epsg`` is the zone of the parcel (EPSG:4534 … 4554, central
meridians 75°E … 135°E, picked from the centroid's longitude) and ``area_m2_plane`` the area
in that zone's projection.

Both are generated columns, as ``area_m2`` is: every writer (app, import, QGIS, psql) gets
them, they cost one projection per write instead of one per read, and exports, the API and
QGIS read them as plain columns. The zone is one immutable SQL function
(``gis_app_gk_epsg``) so that the column and the import's checks agree. The version trigger
leaves the new generated columns out as it does the other areas (generated columns are not yet
computed in a BEFORE trigger, so comparing them would bump every update).

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GK_EPSG = r"""
CREATE FUNCTION gis_app_gk_epsg(g geometry) RETURNS integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    -- CGCS2000 3-degree Gauss-Kruger CM 75E (4534) ... CM 135E (4554), by centroid longitude
    SELECT 4534 + least(20, greatest(0, round(ST_X(ST_Centroid(g)) / 3.0)::integer - 25))
$$;
COMMENT ON FUNCTION gis_app_gk_epsg(geometry) IS
    'EPSG code of the CGCS2000 3-degree Gauss-Kruger zone (CM 75E..135E) of a lon/lat geometry';
"""


def _bump_version(excluded: tuple[str, ...]) -> str:
    keys = ", ".join(f"'{k}'" for k in ("version", "updated_at", *excluded))
    return f"""
CREATE OR REPLACE FUNCTION gis_app_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- generated columns (areas) are not yet computed in NEW, so they are left out
    IF to_jsonb(NEW) - ARRAY[{keys}]
       IS DISTINCT FROM
       to_jsonb(OLD) - ARRAY[{keys}] THEN
        NEW.version := OLD.version + 1;
        NEW.updated_at := clock_timestamp();
    ELSE
        NEW.version := OLD.version;
        NEW.updated_at := OLD.updated_at;
    END IF;
    NEW.created_at := OLD.created_at;
    RETURN NEW;
END $$;
"""


_OLD_GENERATED = ("area_m2", "area_mu", "area_ha")
_NEW_GENERATED = ("area_m2_plane", "plane_epsg")


def upgrade() -> None:
    op.execute(GK_EPSG)
    op.add_column(
        "site",
        sa.Column(
            "plane_epsg",
            sa.Integer(),
            sa.Computed("gis_app_gk_epsg(geom)", persisted=True),
            nullable=True,
        ),
    )
    op.add_column(
        "site",
        sa.Column(
            "area_m2_plane",
            sa.Float(),
            sa.Computed("ST_Area(ST_Transform(geom, gis_app_gk_epsg(geom)))", persisted=True),
            nullable=True,
        ),
    )
    op.execute(_bump_version(_OLD_GENERATED + _NEW_GENERATED))


def downgrade() -> None:
    op.execute(_bump_version(_OLD_GENERATED))
    op.drop_column("site", "area_m2_plane")
    op.drop_column("site", "plane_epsg")
    op.execute("DROP FUNCTION gis_app_gk_epsg(geometry)")
