"""The number of match units a scoped match reads, for its planner gates (issue 26, item 6).

A match decides whether to start a parallel worker, and whether to plan with the requirement's
values, from the size of ``match_unit`` (``reltuples``). Under row security a district
officer's match reads their districts only — on a 1M-site province a district holds a tenth of
the units — yet the gates counted the whole table: a small district's match planned a worker
it does not pay for (measured: the standard-plant match of one district of 12, 13.3 ms under
the policies against 9.4 as the owner).

``gis_app_match_units(codes)``: ``reltuples`` times the share of ``codes`` in the column
statistics of ``match_unit.district_code``, counted only for the districts the session may
read (NULL for a session that reads none, e.g. the owner: the caller then uses the whole
table). A definer's function because ``pg_stats`` hides the statistics of a table under row
security from the runtime login; it answers nothing about a district outside the session's
scope. PL/pgSQL, so that a connection plans the statistics query once (as a SQL function it
was planned at every call: 0.6 ms, which a district's land match noticed).

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = """
CREATE FUNCTION gis_app_match_units(codes text[]) RETURNS float8
LANGUAGE plpgsql STABLE AS $$
DECLARE
    readable text[] := gis_app_read_scope();  -- once, not once per statistics row
BEGIN
    IF cardinality(readable) = 0 THEN
        RETURN NULL;
    END IF;
    RETURN (SELECT c.reltuples::float8 * (
                     SELECT sum(f.freq)
                       FROM pg_stats st,
                            unnest(st.most_common_vals::text::text[], st.most_common_freqs)
                                AS f(val, freq)
                      WHERE st.schemaname = 'public' AND st.tablename = 'match_unit'
                        AND st.attname = 'district_code'
                        AND f.val = ANY (codes) AND f.val = ANY (readable))
              FROM pg_class c
             WHERE c.oid = 'match_unit'::regclass);
END
$$;
ALTER FUNCTION gis_app_match_units(text[]) SECURITY DEFINER SET search_path = public, pg_temp
    PARALLEL RESTRICTED;
"""

DOWNGRADE = "DROP FUNCTION gis_app_match_units(text[]);"


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
