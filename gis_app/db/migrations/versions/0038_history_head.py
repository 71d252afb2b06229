"""The data version reads the newest history row of the whole inventory (issue 26).

Tiles, TileJSON and OGC answers carry a data version whose first part is ``max(history.id)``.
Under the row-level policies of revision 0035 that maximum became the newest history row the
caller may see: an index scan walking back through every newer row of another district, each
tested by the policy — after another district's import of 100,000 sites, that many probes in
every tile request. ``gis_app_history_head()`` reads the maximum as the owner: one index probe
again. The number says only that something changed, somewhere; what a tile or page shows
still goes through the policies, and the process's tile cache is keyed on the caller's
districts (so two callers never share a cut because their versions agree).

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0038"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        """
CREATE FUNCTION gis_app_history_head() RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT COALESCE(max(id), 0) FROM history
$$;
ALTER FUNCTION gis_app_history_head() SECURITY DEFINER SET search_path = public, pg_temp
    PARALLEL RESTRICTED;
"""
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION gis_app_history_head()")
