"""A user's district scope in PL/pgSQL: an API token's lookup costs a fifth of what it did.

Every request that carries an API token looks the token up with its user's read and write
scopes (``gis_app_user_scope`` twice). As SQL functions that cannot be inlined (a security
definer with its own ``search_path``; a query with ``FROM``), ``gis_app_user_scope`` and the
``gis_app_districts_below`` it calls were parsed and planned again in every lookup: 0.6-0.7 ms
of a statement that reads two one-row tables, more than the vector tile the request then cuts
(1M bench inventory, psql ``\\timing``). PL/pgSQL keeps its plans for the session: 0.2 ms.
The same answers as revision 0034's bodies, which the downgrade restores; the same security
(definer, ``search_path``), which ``CREATE OR REPLACE`` would otherwise reset. Revision 0036
did the same for the session's scope.

Revision ID: 0051
Revises: 0050
Create Date: 2026-12-05
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0051"
down_revision: str | None = "0050"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UPGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_districts_below(codes text[]) RETURNS text[]
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT coalesce(array_agg(d.code ORDER BY d.code), '{}')
              FROM district d LEFT JOIN district p ON p.code = d.parent_code
             WHERE d.code = ANY(codes) OR d.parent_code = ANY(codes)
                OR p.parent_code = ANY(codes));
END
$$;

CREATE OR REPLACE FUNCTION gis_app_user_scope(uid bigint, for_write boolean) RETURNS text[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    -- no such user: NULL, as the SQL function's empty result was
    RETURN (SELECT CASE
                     WHEN u.disabled THEN '{}'::text[]
                     WHEN 'admin' = ANY(u.roles)
                       THEN ARRAY(SELECT d.code FROM district d ORDER BY d.code)
                     ELSE gis_app_districts_below(
                            CASE WHEN NOT for_write
                                      OR u.roles && ARRAY['officer', 'planner', 'admin']
                                 THEN ARRAY[u.district_code] ELSE '{}'::text[] END
                            || ARRAY(SELECT g.district_code FROM district_role g
                                      WHERE g.user_id = u.id
                                        AND (NOT for_write OR g.role <> 'leader')))
                   END
              FROM app_user u WHERE u.id = uid);
END
$$;
"""

#: revision 0034's bodies and attributes
DOWNGRADE = r"""
CREATE OR REPLACE FUNCTION gis_app_districts_below(codes text[]) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT coalesce(array_agg(d.code ORDER BY d.code), '{}')
      FROM district d LEFT JOIN district p ON p.code = d.parent_code
     WHERE d.code = ANY(codes) OR d.parent_code = ANY(codes) OR p.parent_code = ANY(codes)
$$;

CREATE OR REPLACE FUNCTION gis_app_user_scope(uid bigint, for_write boolean) RETURNS text[]
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public, pg_temp AS $$
    SELECT CASE
             WHEN u.disabled THEN '{}'::text[]
             WHEN 'admin' = ANY(u.roles)
               THEN ARRAY(SELECT d.code FROM district d ORDER BY d.code)
             ELSE gis_app_districts_below(
                    CASE WHEN NOT for_write OR u.roles && ARRAY['officer', 'planner', 'admin']
                         THEN ARRAY[u.district_code] ELSE '{}'::text[] END
                    || ARRAY(SELECT g.district_code FROM district_role g
                              WHERE g.user_id = u.id
                                AND (NOT for_write OR g.role <> 'leader')))
           END
      FROM app_user u WHERE u.id = uid
$$;
"""


def upgrade() -> None:
    """Both functions in PL/pgSQL (plans kept for the session)."""
    op.execute(UPGRADE)


def downgrade() -> None:
    """Both functions in SQL, as revision 0034 made them."""
    op.execute(DOWNGRADE)
