"""An infrastructure edit re-evaluates only the open requirements that measure to it.

A statement on ``infrastructure`` that moves, adds, removes or re-kinds a point (revisions 0046,
0047) brought the reverse matches of every open requirement up to date, each a query over
every site (about 0.6 s each at 1M sites). Only a requirement stating a distance limit to a
port, an expressway interchange or a ferry terminal (the hard criteria whose test reads a
distance to infrastructure, found from the criteria registry by
``gis_app.matching.sql.context_match_function``) can gain or lose a site by it; the others are
left alone. A zone edit re-evaluates every open requirement, as before.

The function's text is ``context_match_function()``'s, pasted (a revision imports nothing of
the application); ``tests/matching/test_match_sql.py`` checks that the database holds it.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0048"
down_revision: str | None = "0047"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_context_match_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    rid bigint;
BEGIN
    FOR rid IN SELECT r.id FROM requirement r
                WHERE r.status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating')
                  AND (TG_TABLE_NAME <> 'infrastructure' OR COALESCE((r.max_km_port IS NOT NULL), false) OR COALESCE((r.max_km_expressway IS NOT NULL), false) OR COALESCE((r.max_km_ferry IS NOT NULL), false))
                ORDER BY r.id LOOP
        PERFORM gis_app_sync_requirement_matches(
            rid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;
"""

#: as revisions 0004 and 0014 left it
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_context_match_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
DECLARE
    rid bigint;
BEGIN
    FOR rid IN SELECT id FROM requirement WHERE status IN ('new', 'matching', 'recommended', 'visiting', 'negotiating') ORDER BY id LOOP
        PERFORM gis_app_sync_requirement_matches(
            rid, true, format('%s 变更 / %s changed', TG_TABLE_NAME, TG_TABLE_NAME));
    END LOOP;
    RETURN NULL;
END $fn$;
"""


def upgrade() -> None:
    """Infrastructure edits re-evaluate only the requirements measuring to it."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Every open requirement again."""
    op.execute(DOWNGRADE)
