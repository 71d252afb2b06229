"""The live sites' ids in one small index: deep pages and counts read it alone.

The OGC API pages through sites in id order with ``offset`` (GDAL and QGIS follow the ``next``
links). At 1M sites a page at offset 500,000 read half the table (≈2 s), and ``numberMatched``
counted the whole of it (≈0.5 s). A partial index of the ids of the live (not retired) sites
lets PostgreSQL find the page's first id and count the sites with index-only scans; the page
itself then reads only its own rows (:func:`gis_app.db.ogc_queries.features`).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the partial index of live site ids."""
    op.execute("CREATE INDEX ix_site_live_id ON site (id) WHERE retired_at IS NULL")


def downgrade() -> None:
    """Drop it."""
    op.execute("DROP INDEX ix_site_live_id")
