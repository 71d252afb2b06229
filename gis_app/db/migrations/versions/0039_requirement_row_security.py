"""Row-level security on requirements, referrals and recommendations (issue 26, item 2, step D).

* ``requirement``: read in the districts one may read, and by the districts it is referred to
  (an open referral); written only by its own district's writers.
* ``referral``: read by either side; made by the referring district, changed by either side
  (the receiving district accepts, declines and records its match; the referring one closes).
* ``recommendation``: read and written in its own district (a recommendation answering a
  referral belongs to the receiving district).
* ``gis_app_referral_sent(id)``: what the referring district may know of the receiving one's
  answer — when it first sent an investor link and how many recommendations it made — counted
  past the recommendation's policy, for a referral the session may read (else nothing).
* ``gis_app_recommendation_scope(id)``: an investor link reads its recommendation's districts
  and its requirement's (a referred requirement's page names the requirement).

Share links stay readable to the app's login (an investor's token is looked up before anyone is
known); what they lead to is read under the policies.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0039"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READ = "(SELECT gis_app_read_scope())::text[]"
WRITE = "(SELECT gis_app_write_scope())::text[]"

UPGRADE = f"""
ALTER TABLE requirement ENABLE ROW LEVEL SECURITY;
CREATE POLICY requirement_read ON requirement FOR SELECT
    USING (district_code = ANY ({READ})
           OR EXISTS (SELECT 1 FROM referral f WHERE f.requirement_id = requirement.id
                        AND f.to_district = ANY ({READ}) AND f.status <> 'closed'));
CREATE POLICY requirement_insert ON requirement FOR INSERT
    WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY requirement_update ON requirement FOR UPDATE
    USING (district_code = ANY ({WRITE})) WITH CHECK (district_code = ANY ({WRITE}));
CREATE POLICY requirement_delete ON requirement FOR DELETE
    USING (district_code = ANY ({WRITE}));

ALTER TABLE referral ENABLE ROW LEVEL SECURITY;
CREATE POLICY referral_read ON referral FOR SELECT
    USING (from_district = ANY ({READ}) OR to_district = ANY ({READ}));
CREATE POLICY referral_insert ON referral FOR INSERT
    WITH CHECK (from_district = ANY ({WRITE}));
CREATE POLICY referral_update ON referral FOR UPDATE
    USING (from_district = ANY ({WRITE}) OR to_district = ANY ({WRITE}))
    WITH CHECK (from_district = ANY ({WRITE}) OR to_district = ANY ({WRITE}));
CREATE POLICY referral_delete ON referral FOR DELETE
    USING (from_district = ANY ({WRITE}));

ALTER TABLE recommendation ENABLE ROW LEVEL SECURITY;
CREATE POLICY recommendation_read ON recommendation FOR SELECT
    USING (district_code = ANY ({READ}));
CREATE POLICY recommendation_write ON recommendation FOR ALL
    USING (district_code = ANY ({WRITE})) WITH CHECK (district_code = ANY ({WRITE}));

CREATE FUNCTION gis_app_referral_sent(rid bigint, OUT recommended_at timestamptz,
                                      OUT recommendations bigint)
LANGUAGE sql STABLE AS $$
    SELECT (SELECT min(l.created_at) FROM share_link l
              JOIN recommendation r ON r.id = l.recommendation_id
             WHERE r.requirement_id = f.requirement_id AND r.district_code = f.to_district),
           (SELECT count(*) FROM recommendation r
             WHERE r.requirement_id = f.requirement_id AND r.district_code = f.to_district)
      FROM referral f
     WHERE f.id = rid
       AND (f.from_district = ANY (gis_app_read_scope())
            OR f.to_district = ANY (gis_app_read_scope()))
$$;
ALTER FUNCTION gis_app_referral_sent(bigint) SECURITY DEFINER SET search_path = public, pg_temp
    PARALLEL RESTRICTED;

CREATE OR REPLACE FUNCTION gis_app_recommendation_scope(rid bigint) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT gis_app_districts_below(ARRAY[r.district_code, q.district_code])
      FROM recommendation r LEFT JOIN requirement q ON q.id = r.requirement_id
     WHERE r.id = rid
$$;
ALTER FUNCTION gis_app_recommendation_scope(bigint) SECURITY DEFINER
    SET search_path = public, pg_temp;
"""

DOWNGRADE = """
CREATE OR REPLACE FUNCTION gis_app_recommendation_scope(rid bigint) RETURNS text[]
LANGUAGE sql STABLE AS $$
    SELECT gis_app_districts_below(ARRAY[r.district_code]) FROM recommendation r WHERE r.id = rid
$$;
ALTER FUNCTION gis_app_recommendation_scope(bigint) SECURITY DEFINER
    SET search_path = public, pg_temp;
DROP FUNCTION gis_app_referral_sent(bigint);
DROP POLICY recommendation_write ON recommendation;
DROP POLICY recommendation_read ON recommendation;
ALTER TABLE recommendation DISABLE ROW LEVEL SECURITY;
DROP POLICY referral_delete ON referral;
DROP POLICY referral_update ON referral;
DROP POLICY referral_insert ON referral;
DROP POLICY referral_read ON referral;
ALTER TABLE referral DISABLE ROW LEVEL SECURITY;
DROP POLICY requirement_delete ON requirement;
DROP POLICY requirement_update ON requirement;
DROP POLICY requirement_insert ON requirement;
DROP POLICY requirement_read ON requirement;
ALTER TABLE requirement DISABLE ROW LEVEL SECURITY;
"""


def upgrade() -> None:
    op.execute(UPGRADE)


def downgrade() -> None:
    op.execute(DOWNGRADE)
