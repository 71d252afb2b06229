"""The project ledger per district (issue 26, the last of item 2): projects, activities, targets
and activity minimums belong to a district, and row-level security keeps each district's ledger
to itself.

* ``project.district_code``: its requirement's district, else its first site's, else its
  officer's, else the first district (existing rows are filled that way, without touching their
  version or history).
* ``promotion_activity.district_code``: its project's, else its officer's.
* ``indicator_target`` and ``activity_minimum``: keyed by district too (a district's targets, a
  city's own targets; existing rows: their officer's district, else the first).
* Policies: ``project``, ``promotion_activity``, ``indicator_target``, ``activity_minimum`` by
  their district (targets and minimums, which leaders set, are written where they are read); ``project_month``, ``project_milestone``, ``project_building`` with their
  project. History rows of requirements, referrals and projects follow their row (they were
  readable by every district: a requirement's or project's changes name its figures).

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0040"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = "(SELECT gis_app_read_scope())::text[]"
WRITE = "(SELECT gis_app_write_scope())::text[]"

#: ledger tables with a district of their own
OWN = ("project", "promotion_activity", "indicator_target", "activity_minimum")
#: ledger tables read and written with their project
BY_PROJECT = ("project_month", "project_milestone", "project_building")


def _district_column(table: str) -> str:
    return f"""
ALTER TABLE {table} ADD COLUMN district_code TEXT;
ALTER TABLE {table} ADD CONSTRAINT fk_{table}_district_code_district FOREIGN KEY (district_code)
    REFERENCES district (code) ON UPDATE CASCADE;
"""


def _not_null(table: str) -> str:
    return f"""
UPDATE {table} SET district_code = gis_app_home_district() WHERE district_code IS NULL;
ALTER TABLE {table} ALTER COLUMN district_code SET NOT NULL,
                    ALTER COLUMN district_code SET DEFAULT gis_app_home_district();
"""


#: set by leaders, whose roles write nothing (a leader reads): written where they are read; the
#: app lets only leaders and admins set them (a city's leader sets its districts' targets)
LED = ("indicator_target", "activity_minimum")


def _own_policies(table: str) -> str:
    write = READ if table in LED else WRITE
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT USING (district_code = ANY ({READ}));
CREATE POLICY {table}_write ON {table} FOR ALL
    USING (district_code = ANY ({write})) WITH CHECK (district_code = ANY ({write}));
"""


def _project_policies(table: str) -> str:
    return f"""
ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
CREATE POLICY {table}_read ON {table} FOR SELECT
    USING (EXISTS (SELECT 1 FROM project p WHERE p.id = {table}.project_id));
CREATE POLICY {table}_write ON {table} FOR ALL
    USING (EXISTS (SELECT 1 FROM project p WHERE p.id = {table}.project_id
                     AND p.district_code = ANY ({WRITE})))
    WITH CHECK (EXISTS (SELECT 1 FROM project p WHERE p.id = {table}.project_id
                          AND p.district_code = ANY ({WRITE})));
"""


def _history_read(cases: str) -> str:
    return f"""
DROP POLICY history_read ON history;
CREATE POLICY history_read ON history FOR SELECT USING (
CASE history.table_name
    WHEN 'site' THEN EXISTS (SELECT 1 FROM site s WHERE s.id = history.row_id)
    WHEN 'building' THEN EXISTS (SELECT 1 FROM building b WHERE b.id = history.row_id){cases}
    ELSE true
END);
"""


HISTORY_CASES = """
    WHEN 'requirement' THEN EXISTS (SELECT 1 FROM requirement r WHERE r.id = history.row_id)
    WHEN 'referral' THEN EXISTS (SELECT 1 FROM referral f WHERE f.id = history.row_id)
    WHEN 'project' THEN EXISTS (SELECT 1 FROM project p WHERE p.id = history.row_id)"""

UPGRADE = (
    "".join(_district_column(t) for t in OWN)
    + """
ALTER TABLE project DISABLE TRIGGER USER;
UPDATE project p SET district_code = COALESCE(
    (SELECT q.district_code FROM requirement q WHERE q.id = p.requirement_id),
    (SELECT s.district_code FROM project_site ps JOIN site s ON s.id = ps.site_id
      WHERE ps.project_id = p.id ORDER BY s.id LIMIT 1),
    (SELECT u.district_code FROM app_user u WHERE u.username = p.officer));
ALTER TABLE project ENABLE TRIGGER USER;
UPDATE promotion_activity a SET district_code = COALESCE(
    (SELECT p.district_code FROM project p WHERE p.id = a.project_id),
    (SELECT u.district_code FROM app_user u WHERE u.username = a.officer));
UPDATE indicator_target t SET district_code =
    (SELECT u.district_code FROM app_user u WHERE u.username = t.scope_key)
 WHERE t.scope = 'officer';
UPDATE activity_minimum m SET district_code =
    (SELECT u.district_code FROM app_user u WHERE u.username = m.officer)
 WHERE m.officer <> '';
"""
    + "".join(_not_null(t) for t in OWN)
    + """
CREATE INDEX ix_project_district_code ON project (district_code);
CREATE INDEX ix_promotion_activity_district_code ON promotion_activity (district_code);
CREATE INDEX ix_indicator_target_district_code ON indicator_target (district_code);
ALTER TABLE indicator_target
    DROP CONSTRAINT uq_indicator_target_year_scope_scope_key_indicator,
    ADD CONSTRAINT uq_indicator_target_district_year_scope_indicator
        UNIQUE (district_code, year, scope, scope_key, indicator);
ALTER TABLE activity_minimum DROP CONSTRAINT pk_activity_minimum,
    ADD CONSTRAINT pk_activity_minimum PRIMARY KEY (district_code, year, kind, officer);
"""
    + "".join(_own_policies(t) for t in OWN)
    + "".join(_project_policies(t) for t in BY_PROJECT)
    + _history_read(HISTORY_CASES)
)


def _drop_policies(table: str) -> str:
    return f"""
DROP POLICY {table}_write ON {table};
DROP POLICY {table}_read ON {table};
ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
"""


DOWNGRADE = (
    _history_read("")
    + "".join(_drop_policies(t) for t in (*BY_PROJECT, *OWN))
    + """
-- one district's targets and minimums survive: the first district's
DELETE FROM indicator_target WHERE district_code <> gis_app_home_district();
DELETE FROM activity_minimum WHERE district_code <> gis_app_home_district();
ALTER TABLE activity_minimum DROP CONSTRAINT pk_activity_minimum,
    ADD CONSTRAINT pk_activity_minimum PRIMARY KEY (year, kind, officer);
ALTER TABLE indicator_target
    DROP CONSTRAINT uq_indicator_target_district_year_scope_indicator,
    ADD CONSTRAINT uq_indicator_target_year_scope_scope_key_indicator
        UNIQUE (year, scope, scope_key, indicator);
"""
    + "".join(f"ALTER TABLE {t} DROP COLUMN district_code;\n" for t in OWN)
)


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
