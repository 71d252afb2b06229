"""Land-use reference data: 2023 classification, GB 50137-2011, 三调 codes and their mapping.

The rows come from ``gis_app.domain.landuse`` (the one vocabulary module). A later change to
those tables ships as a new migration calling :func:`sync` again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def sync() -> None:
    """Replace the reference rows with the current vocabulary module's tables."""
    from gis_app.domain import landuse

    code_t = sa.table(
        "land_use_code",
        sa.column("system"),
        sa.column("code"),
        sa.column("parent"),
        sa.column("level"),
        sa.column("name_zh"),
        sa.column("name_en"),
    )
    map_t = sa.table("land_use_mapping", sa.column("code_2023"), sa.column("code_gb50137"))
    op.execute(map_t.delete())
    op.execute(code_t.delete())
    rows = [
        {
            "system": c.system,
            "code": c.code,
            "parent": c.parent,
            "level": c.level,
            "name_zh": c.zh,
            "name_en": c.en,
        }
        for table in (landuse.CLASSIFICATION_2023, landuse.GB50137, landuse.SANDIAO)
        for c in table.values()
    ]
    op.bulk_insert(code_t, rows)
    op.bulk_insert(
        map_t, [{"code_2023": a, "code_gb50137": b} for a, b in landuse.MAPPING_2023_GB50137]
    )


def upgrade() -> None:
    sync()


def downgrade() -> None:
    op.execute("DELETE FROM land_use_mapping")
    op.execute("DELETE FROM land_use_code")
