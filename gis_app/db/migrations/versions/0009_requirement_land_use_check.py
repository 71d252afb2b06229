"""Requirements written with plain SQL must carry their expanded land-use sets.

The matcher, the reverse match and the alerts read ``land_use_2023_codes`` and
``land_use_gb_codes``: the stated ``land_use_codes`` (or the industry's classes) expanded down the
hierarchy and across both classifications, which the app, the API and ``gis-app`` compute when
they save a requirement. A requirement inserted or edited in psql or QGIS without them had no
land-use constraint at all: it matched every site and raised alerts for all of them. Now:

* existing rows whose sets do not hold their stated codes (or are empty although the industry
  gives classes) are expanded here, once, in Python;
* a trigger refuses a write that leaves them so, naming the requirement, the codes and the way
  out (save it through the app, or fill both columns). A write that touches neither the codes,
  the industry nor the sets (a status change) is never refused.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = """
CREATE FUNCTION gis_app_requirement_land_use_check() RETURNS trigger
LANGUAGE plpgsql AS $fn$
DECLARE
    missing text[];
BEGIN
    IF TG_OP = 'UPDATE'
       AND NEW.land_use_codes IS NOT DISTINCT FROM OLD.land_use_codes
       AND NEW.industry IS NOT DISTINCT FROM OLD.industry
       AND NEW.land_use_2023_codes IS NOT DISTINCT FROM OLD.land_use_2023_codes
       AND NEW.land_use_gb_codes IS NOT DISTINCT FROM OLD.land_use_gb_codes THEN
        RETURN NEW;
    END IF;
    -- every stated code is in its own expansion (2023 codes in the first set, GB 50137 in the
    -- second), so a stated code missing from both means the sets were not computed
    SELECT array_agg(c ORDER BY c) INTO missing
      FROM unnest(NEW.land_use_codes) c
     WHERE NOT (c = ANY(COALESCE(NEW.land_use_2023_codes, '{}'))
                OR c = ANY(COALESCE(NEW.land_use_gb_codes, '{}')));
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'requirement "%" (#%): land_use_codes % are not in land_use_2023_codes / land_use_gb_codes',
            NEW.project_name, NEW.id, missing
            USING ERRCODE = 'check_violation',
                  HINT = 'save the requirement through the app, the API or gis-app, which expand '
                         'the codes down the hierarchy and across both classifications; '
                         'or fill land_use_2023_codes and land_use_gb_codes yourself';
    END IF;
    IF cardinality(COALESCE(NEW.land_use_codes, '{}')) = 0 AND NEW.industry IS NOT NULL
       AND cardinality(COALESCE(NEW.land_use_2023_codes, '{}'))
           + cardinality(COALESCE(NEW.land_use_gb_codes, '{}')) = 0 THEN
        RAISE EXCEPTION 'requirement "%" (#%): industry % gives the land uses, but land_use_2023_codes and land_use_gb_codes are empty',
            NEW.project_name, NEW.id, NEW.industry
            USING ERRCODE = 'check_violation',
                  HINT = 'save the requirement through the app, the API or gis-app, which derive '
                         'the land uses from the GB/T 4754 industry';
    END IF;
    RETURN NEW;
END $fn$;

CREATE TRIGGER requirement_land_use_check
    BEFORE INSERT OR UPDATE ON requirement
    FOR EACH ROW EXECUTE FUNCTION gis_app_requirement_land_use_check();
"""

DROP = """
DROP TRIGGER IF EXISTS requirement_land_use_check ON requirement;
DROP FUNCTION IF EXISTS gis_app_requirement_land_use_check();
"""


def _expand_unexpanded() -> None:
    from gis_app.domain.errors import InvalidInput
    from gis_app.matching.spec import parse_spec

    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT id, need, industry, land_use_codes FROM requirement"
            " WHERE EXISTS (SELECT 1 FROM unnest(land_use_codes) c"
            "                WHERE NOT (c = ANY(land_use_2023_codes) OR c = ANY(land_use_gb_codes)))"
            "    OR (cardinality(land_use_codes) = 0 AND industry IS NOT NULL"
            "        AND cardinality(land_use_2023_codes) + cardinality(land_use_gb_codes) = 0)"
            " ORDER BY id"
        )
    ).all()
    for rid, need, industry, codes in rows:
        try:
            spec = parse_spec({"need": need, "industry": industry, "land_use_codes": codes})
        except InvalidInput:
            # codes that are not codes: left for an officer to correct (the trigger will name
            # the requirement when someone next edits its land uses)
            continue
        c2023, cgb = spec.land_use_sets()
        conn.execute(
            sa.text(
                "UPDATE requirement SET land_use_codes = :codes, land_use_2023_codes = :a,"
                " land_use_gb_codes = :b WHERE id = :id"
            ),
            {"id": rid, "codes": list(spec.land_use_codes), "a": c2023, "b": cgb},
        )


def upgrade() -> None:
    _expand_unexpanded()
    op.execute(CHECK)


def downgrade() -> None:
    op.execute(DROP)
