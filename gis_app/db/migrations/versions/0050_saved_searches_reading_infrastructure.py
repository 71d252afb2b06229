"""An infrastructure edit re-evaluates only the saved searches that read infrastructure.

A statement that moves, adds, removes or re-kinds an infrastructure point (or sets its berth
class) re-evaluated every saved search, each a query over every site. A saved search runs its
stored predicate as ``SELECT s.id FROM site s WHERE (<predicate>)``, with the user's values
passed apart (``USING``), and the predicates the search filters compile to call no function that
reads a table: a saved search can read infrastructure only if its predicate names
``site_distance`` or ``infrastructure`` (the distance limits do). Only those are re-evaluated.

Revision ID: 0050
Revises: 0049
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0050"
down_revision: str | None = "0049"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HEAD = r"""
CREATE OR REPLACE FUNCTION gis_app_saved_search_context_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    sid bigint;
BEGIN
"""
_TAIL = r"""        PERFORM gis_app_sync_saved_search(
            sid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;
"""
UPGRADE = (
    _HEAD
    + r"""    FOR sid IN SELECT id FROM saved_search
                WHERE TG_TABLE_NAME <> 'infrastructure'
                   OR predicate ~ '\m(site_distance|infrastructure)\M'
                ORDER BY id LOOP
"""
    + _TAIL
)
#: the loop as revision 0018 wrote it
DOWNGRADE = _HEAD + "    FOR sid IN SELECT id FROM saved_search ORDER BY id LOOP\n" + _TAIL


def upgrade() -> None:
    """Only saved searches whose predicate names what an infrastructure edit changes."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Every saved search again, as revision 0018 left it."""
    op.execute(DOWNGRADE)
