"""The plane-area zone function finds PostGIS whatever the caller's search_path.

``gis_app_gk_epsg`` computes two generated columns of ``site``. ``pg_restore`` (and any
session with another search_path) evaluates it with an empty search_path, where the unqualified
``ST_X``/``ST_Centroid`` of its body are not found: a backup of the database could not be
restored. The function now carries its own search_path.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("ALTER FUNCTION gis_app_gk_epsg(geometry) SET search_path = public, pg_temp")


def downgrade() -> None:
    op.execute("ALTER FUNCTION gis_app_gk_epsg(geometry) RESET search_path")
