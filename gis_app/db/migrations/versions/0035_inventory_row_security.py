"""Row-level security on the inventory (issue 26, item 2, step C): a login reads the sites of
the districts it may read and writes those of the districts it may write — the app's runtime
login with the scope the app passes for the caller, a personal QGIS/psql login with its app
user's (``gis_app_read_scope()`` / ``gis_app_write_scope()``, revision 0034).

* ``site``: read where ``district_code`` is in the read scope, insert/update/delete in the
  write scope (checked after the BEFORE triggers, which give a site without a district the one
  its outline lies in).
* Tables of a site's parts and of what is derived from it (buildings, files, distances, zone
  overlaps, current uses, stored matches, recommended sites, ledger links, alerts, feedback):
  a row is read when its site is (the ``EXISTS`` on ``site`` is itself filtered by the site's
  policy), written when its site lies in the write scope.
* ``constraint_zone``: read by every login (a redline is the planning bureau's published
  restriction and constrains both sides of a boundary); written in the write scope.
* ``match_unit`` (the matcher's candidates): by its own ``district_code`` (revision 0033), which
  the candidate indexes hold, so the policy costs the matcher no probe of ``site``.
* ``history``: rows of sites and buildings are read when the site (building) is; the rest as
  before.
* ``layer_history`` (the QGIS view of the layers' history) filters itself the same way: a view
  reads its tables with its owner's rights, which row security does not restrict.
* Trigger functions that keep derived tables run as the owner (revision 0014 on), so that a
  Putuo edit still updates a Dinghai requirement's stored matches; the requirement's own
  match trigger joins them here.

The owner (migrations, loaders, backups) is not subject to the policies (no ``FORCE``).
Requirements, recommendations and referrals keep the app's own district rules for now.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0035"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = "(SELECT gis_app_read_scope())::text[]"
WRITE = "(SELECT gis_app_write_scope())::text[]"

#: tables keyed by a site (``site_id`` NOT NULL): read with their site, written in the write scope
SITE_KEYED = (
    "building",
    "attachment",
    "site_distance",
    "site_constraint_overlap",
    "site_current_use",
    "saved_search_match",
    "requirement_match",
    "recommendation_site",
    "project_site",
)
#: tables whose rows may name a site (``site_id`` NULL: not about a site)
SITE_OPTIONAL = ("alert", "feedback")
#: the inventory layers whose history rows follow their row's visibility
HISTORY_TABLES = ("site", "building")


def _site_keyed(table: str, optional: bool) -> str:
    none = f"{table}.site_id IS NULL OR " if optional else ""
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT
    USING ({none}EXISTS (SELECT 1 FROM site s WHERE s.id = {table}.site_id));
CREATE POLICY {table}_write ON {table} FOR ALL
    USING ({none}EXISTS (SELECT 1 FROM site s WHERE s.id = {table}.site_id
                                    AND s.district_code = ANY ({WRITE})))
    WITH CHECK ({none}EXISTS (SELECT 1 FROM site s WHERE s.id = {table}.site_id
                                         AND s.district_code = ANY ({WRITE})));
"""


# a history row of a site or building is read when that row is; deleted buildings' rows are
# the owner's to read
HISTORY_VISIBLE = """
CASE history.table_name
    WHEN 'site' THEN EXISTS (SELECT 1 FROM site s WHERE s.id = history.row_id)
    WHEN 'building' THEN EXISTS (SELECT 1 FROM building b WHERE b.id = history.row_id)
    ELSE true
END
"""

LAYER_HISTORY = """
CREATE OR REPLACE VIEW layer_history AS
SELECT h.id, h.table_name, h.row_id, h.action, h.changes, h.changed_by, h.db_user,
       h.application_name, h.note, h.doc_ref, h.changed_at
  FROM history h
 WHERE h.table_name = ANY (ARRAY['site', 'building', 'constraint_zone'])
   AND CASE h.table_name
         WHEN 'site' THEN EXISTS (SELECT 1 FROM site s WHERE s.id = h.row_id
                                    AND s.district_code = ANY ({scope}))
         WHEN 'building' THEN EXISTS (SELECT 1 FROM building b JOIN site s ON s.id = b.site_id
                                       WHERE b.id = h.row_id
                                         AND s.district_code = ANY ({scope}))
         ELSE true
       END
"""

LAYER_HISTORY_0034 = """
CREATE OR REPLACE VIEW layer_history AS
SELECT history.id, history.table_name, history.row_id, history.action, history.changes,
       history.changed_by, history.db_user, history.application_name, history.note,
       history.doc_ref, history.changed_at
  FROM history
 WHERE history.table_name = ANY (ARRAY['site', 'building', 'constraint_zone'])
"""

UPGRADE = (
    f"""
ALTER TABLE site ENABLE ROW LEVEL SECURITY;
CREATE POLICY site_read ON site FOR SELECT USING (district_code = ANY ({READ}));
CREATE POLICY site_insert ON site FOR INSERT WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY site_update ON site FOR UPDATE
    USING (district_code = ANY ({WRITE})) WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY site_delete ON site FOR DELETE USING (district_code = ANY ({WRITE}));

ALTER TABLE constraint_zone ENABLE ROW LEVEL SECURITY;
CREATE POLICY constraint_zone_read ON constraint_zone FOR SELECT USING (true);
CREATE POLICY constraint_zone_insert ON constraint_zone FOR INSERT
    WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY constraint_zone_update ON constraint_zone FOR UPDATE
    USING (district_code = ANY ({WRITE})) WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY constraint_zone_delete ON constraint_zone FOR DELETE
    USING (district_code = ANY ({WRITE}));

-- the matcher's units carry their site's district (0033), a key of the candidate indexes:
-- the policy is an index condition there, as the match's own district clause is
ALTER TABLE match_unit ENABLE ROW LEVEL SECURITY;
CREATE POLICY match_unit_read ON match_unit FOR SELECT USING (district_code = ANY ({READ}));
CREATE POLICY match_unit_write ON match_unit FOR ALL
    USING (district_code = ANY ({WRITE})) WITH CHECK (district_code = ANY ({WRITE}));

ALTER TABLE history ENABLE ROW LEVEL SECURITY;
CREATE POLICY history_read ON history FOR SELECT USING ({HISTORY_VISIBLE});
CREATE POLICY history_insert ON history FOR INSERT WITH CHECK (true);
"""
    + "".join(_site_keyed(t, False) for t in SITE_KEYED)
    + "".join(_site_keyed(t, True) for t in SITE_OPTIONAL)
    + LAYER_HISTORY.format(scope=READ)
    + ";\n"
    # a requirement's stored matches are over every district's sites, whoever writes it
    + "ALTER FUNCTION gis_app_requirement_match_trg() SECURITY DEFINER"
    " SET search_path = public, pg_temp;\n"
)


def _drop(table: str, policies: Sequence[str]) -> str:
    drops = "".join(f"DROP POLICY {table}_{p} ON {table};\n" for p in policies)
    return drops + f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;\n"


DOWNGRADE = (
    "ALTER FUNCTION gis_app_requirement_match_trg() SECURITY INVOKER RESET search_path;\n"
    + LAYER_HISTORY_0034
    + ";\n"
    + "".join(_drop(t, ("read", "write")) for t in (*SITE_KEYED, *SITE_OPTIONAL))
    + _drop("history", ("read", "insert"))
    + _drop("match_unit", ("read", "write"))
    + _drop("constraint_zone", ("read", "insert", "update", "delete"))
    + _drop("site", ("read", "insert", "update", "delete"))
)


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
