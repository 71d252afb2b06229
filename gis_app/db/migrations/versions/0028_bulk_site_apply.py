"""Bulk apply of site rows: the per-row derived work of a large import, done per statement.

A file import above the bulk threshold (:mod:`gis_app.io.imports.apply`) writes its sites with
the transaction-local setting ``gis_app.bulk_apply = 'on'``. While it is on, the site's AFTER
row triggers that keep history and the derived tables (current-use shares, distances, zone
overlaps, reverse matches and their alerts, saved-search matches and their alerts, match
units) do not fire (a ``WHEN`` clause, so not even a function call is paid per row); two
statement-level triggers with transition tables do the same work once per statement instead:

- history: one row per inserted site and per site whose columns changed, with the same
  ``changes`` (the old → new difference of the two row images, now one function,
  ``gis_app_history_diff``, that the row trigger calls too), user, note and document;
- current-use shares, distances and zone overlaps of the inserted sites and of the sites whose
  outline moved, through the same refresh functions the row triggers call, with the ids of the
  whole statement;
- reverse matches and alerts, saved-search matches and alerts, through the same per-site
  functions (only when open requirements, or saved searches, exist — as the row triggers);
- match units of every written site, through the same refresh function.

Rows are read from the statement's transition tables, so every writer that turns the setting
on gets the same history and derived rows as row by row; everything else (the app's edits, QGIS,
psql) leaves it off and keeps its per-row triggers exactly as before. The BEFORE row triggers
(rules: vocabularies, land-use codes, jurisdiction, blocking zones, retired sites, version)
are untouched and fire in both modes. Deletes keep their row-level history in both modes.

Distances, which are most of the derived work, cost half as much in both modes: each site's
outline is cast to geography once rather than once per infrastructure candidate
(``gis_app_site_distance_rows``; the same distances to the last bit).

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-04
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the row triggers' WHEN: fire unless the transaction applies a bulk import
_ROW_WHEN = "(current_setting('gis_app.bulk_apply', true) IS DISTINCT FROM 'on')"
_BULK_WHEN = "(current_setting('gis_app.bulk_apply', true) = 'on')"

#: AFTER row triggers of ``site`` (name → event, function) replaced in bulk mode
_ROW_TRIGGERS = {
    "site_current_use": ("INSERT OR UPDATE OF geom", "gis_app_site_current_use_trg"),
    "site_distance": ("INSERT OR UPDATE OF geom", "gis_app_site_distance_trg"),
    "site_history": ("INSERT OR DELETE OR UPDATE", "gis_app_history"),
    "site_overlap": ("INSERT OR UPDATE OF geom", "gis_app_site_overlap_trg"),
    "site_requirement_match": ("INSERT OR UPDATE", "gis_app_site_match_trg"),
    "site_saved_search": ("INSERT OR UPDATE", "gis_app_saved_search_site_trg"),
    "site_unit_sync": ("INSERT OR UPDATE", "gis_app_match_unit_site_trg"),
}

_HISTORY_BODY = r"""
CREATE OR REPLACE FUNCTION gis_app_history() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    o jsonb := CASE WHEN TG_OP = 'INSERT' THEN '{}'::jsonb ELSE to_jsonb(OLD) END;
    n jsonb := CASE WHEN TG_OP = 'DELETE' THEN '{}'::jsonb ELSE to_jsonb(NEW) END;
    diff jsonb;
BEGIN
    {diff}
    IF TG_OP = 'UPDATE' AND diff = '{}'::jsonb THEN
        RETURN NULL;
    END IF;
    INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user, db_user,
                         application_name, note, doc_ref)
    VALUES (TG_TABLE_NAME, COALESCE((n ->> 'id')::bigint, (o ->> 'id')::bigint), lower(TG_OP),
            diff, gis_app_changed_by(), gis_app_trusted_user(),
            session_user, NULLIF(current_setting('application_name', true), ''),
            NULLIF(current_setting('gis_app.note', true), ''),
            NULLIF(current_setting('gis_app.doc_ref', true), ''));
    RETURN NULL;
END $$;
"""

_OLD_DIFF = """SELECT COALESCE(jsonb_object_agg(k, jsonb_build_array(o -> k, n -> k)), '{}'::jsonb)
      INTO diff
      FROM (SELECT jsonb_object_keys(o || n) AS k) keys
     WHERE k <> ALL (ARRAY['version', 'updated_at'])
       AND (o -> k) IS DISTINCT FROM (n -> k);"""

UPGRADE = r"""
CREATE FUNCTION gis_app_history_diff(o jsonb, n jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    -- the changed keys of two row images, old -> new (version and updated_at are not changes)
    SELECT COALESCE(jsonb_object_agg(k, jsonb_build_array(o -> k, n -> k)), '{}'::jsonb)
      FROM (SELECT jsonb_object_keys(o || n) AS k) keys
     WHERE k <> ALL (ARRAY['version', 'updated_at'])
       AND (o -> k) IS DISTINCT FROM (n -> k)
$$;

CREATE FUNCTION gis_app_site_bulk_trg() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    ids bigint[];    -- every written site: match units (as site_unit_sync)
    moved bigint[];  -- new sites and moved outlines: shares, distances, overlaps
    -- as the row triggers: no open requirement (saved search), nothing to bring up to date
    matching boolean := gis_app_open_requirements();
    saving boolean := EXISTS (SELECT 1 FROM saved_search);
    changed bigint[];  -- sites to match again, with what changed (the alerts' reason)
    reasons text[];
BEGIN
    -- who, why and on which document: as gis_app_history(), once per statement
    IF TG_OP = 'INSERT' THEN
        INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user,
                             db_user, application_name, note, doc_ref)
        SELECT 'site', n.id, 'insert', gis_app_history_diff('{}'::jsonb, to_jsonb(n)),
               gis_app_changed_by(), gis_app_trusted_user(), session_user,
               NULLIF(current_setting('application_name', true), ''),
               NULLIF(current_setting('gis_app.note', true), ''),
               NULLIF(current_setting('gis_app.doc_ref', true), '')
          FROM new_rows n ORDER BY n.id;
        SELECT array_agg(n.id ORDER BY n.id) INTO ids FROM new_rows n;
        moved := ids;
        IF matching OR saving THEN
            changed := ids;
            reasons := array_fill('新增地块 / new site'::text, ARRAY[cardinality(ids)]);
        END IF;
    ELSE
        INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user,
                             db_user, application_name, note, doc_ref)
        SELECT 'site', d.id, 'update', d.diff,
               gis_app_changed_by(), gis_app_trusted_user(), session_user,
               NULLIF(current_setting('application_name', true), ''),
               NULLIF(current_setting('gis_app.note', true), ''),
               NULLIF(current_setting('gis_app.doc_ref', true), '')
          FROM (SELECT n.id, gis_app_history_diff(to_jsonb(o), to_jsonb(n)) AS diff
                  FROM old_rows o JOIN new_rows n ON n.id = o.id) d
         WHERE d.diff <> '{}'::jsonb
         ORDER BY d.id;
        SELECT array_agg(n.id ORDER BY n.id) INTO ids FROM new_rows n;
        SELECT array_agg(n.id ORDER BY n.id) INTO moved
          FROM old_rows o JOIN new_rows n ON n.id = o.id
         WHERE ST_AsEWKB(o.geom) IS DISTINCT FROM ST_AsEWKB(n.geom);
        IF matching OR saving THEN
            SELECT array_agg(c.id ORDER BY c.id),
                   array_agg('变更 / changed: ' || c.fields ORDER BY c.id)
              INTO changed, reasons
              FROM (SELECT n.id, gis_app_changed_fields(to_jsonb(o), to_jsonb(n)) AS fields
                      FROM old_rows o JOIN new_rows n ON n.id = o.id) c
             WHERE c.fields IS NOT NULL;
        END IF;
    END IF;
    IF ids IS NULL THEN
        RETURN NULL;  -- a statement that wrote nothing (NULL would mean "every site" below)
    END IF;
    -- in the row triggers' name order: shares, distances, overlaps before matching
    IF moved IS NOT NULL THEN
        IF EXISTS (SELECT 1 FROM current_use_parcel LIMIT 1) THEN
            PERFORM gis_app_refresh_current_use(moved);
        END IF;
        PERFORM gis_app_refresh_site_distance(moved);
        PERFORM gis_app_refresh_overlap(moved, NULL);
    END IF;
    -- reverse matches and saved searches: each site as its row triggers would, in id order
    FOR i IN 1 .. COALESCE(cardinality(changed), 0) LOOP
        IF matching THEN
            PERFORM gis_app_sync_site_matches(changed[i], reasons[i]);
        END IF;
        IF saving THEN
            PERFORM gis_app_sync_site_saved_searches(changed[i], reasons[i]);
        END IF;
    END LOOP;
    PERFORM gis_app_refresh_match_units(ids);
    RETURN NULL;
END $$;
"""

_DISTANCE_ROWS = r"""
CREATE OR REPLACE FUNCTION gis_app_site_distance_rows(site_ids bigint[])
RETURNS TABLE (site_id bigint, infra_kind text, infrastructure_id bigint, distance_m float8)
LANGUAGE sql STABLE AS $$
    -- KNN on degrees picks candidates via the GiST index; the geodesic distance then decides.
    SELECT s.id, k.kind, n.id, n.d
      FROM site s{outline}
     CROSS JOIN (SELECT DISTINCT kind FROM infrastructure) k
     CROSS JOIN LATERAL (
           SELECT c.id, c.d FROM (
               SELECT i.id, ST_Distance({geog}, i.geom::geography) AS d
                 FROM infrastructure i
                WHERE i.kind = k.kind
                ORDER BY i.geom <-> s.geom
                LIMIT 8) c
            ORDER BY c.d, c.id
            LIMIT 1) n
     WHERE site_ids IS NULL OR s.id = ANY (site_ids)
$$;
"""
#: the outline cast to geography once per site (OFFSET 0 keeps the planner from copying the
#: cast into every candidate's distance: it was most of the time of a refresh); same distances
DISTANCE_ROWS_ONE_CAST = _DISTANCE_ROWS.replace(
    "{outline}",
    "\n     -- the outline as geography once per site, not once per candidate (same values)"
    "\n     CROSS JOIN LATERAL (SELECT s.geom::geography AS g OFFSET 0) sg",
).replace("{geog}", "sg.g")
#: as revision 0005 wrote it (restored on downgrade)
DISTANCE_ROWS_0005 = _DISTANCE_ROWS.replace("{outline}", "").replace("{geog}", "s.geom::geography")

DOWNGRADE = r"""
DROP TRIGGER IF EXISTS site_bulk_insert ON site;
DROP TRIGGER IF EXISTS site_bulk_update ON site;
DROP FUNCTION IF EXISTS gis_app_site_bulk_trg();
"""


def _row_triggers(when: str) -> str:
    out = []
    for name, (event, fn) in _ROW_TRIGGERS.items():
        out.append(f"DROP TRIGGER {name} ON site;")
        out.append(
            f"CREATE TRIGGER {name} AFTER {event} ON site FOR EACH ROW {when} "
            f"EXECUTE FUNCTION {fn}();"
        )
    return "\n".join(out)


def upgrade() -> None:
    """Row triggers skip bulk applies; statement triggers do their work set-based."""
    op.execute(UPGRADE)
    op.execute(DISTANCE_ROWS_ONE_CAST)
    op.execute(_HISTORY_BODY.replace("{diff}", "diff := gis_app_history_diff(o, n);"))
    op.execute(_row_triggers(f"WHEN {_ROW_WHEN}"))
    # deletes keep their row-level history whatever the setting (no statement trigger for them)
    op.execute(
        "CREATE TRIGGER site_history_delete AFTER DELETE ON site FOR EACH ROW "
        f"WHEN (NOT {_ROW_WHEN}) EXECUTE FUNCTION gis_app_history();"
    )
    op.execute(
        "CREATE TRIGGER site_bulk_insert AFTER INSERT ON site REFERENCING NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT WHEN {_BULK_WHEN} EXECUTE FUNCTION gis_app_site_bulk_trg();"
    )
    op.execute(
        "CREATE TRIGGER site_bulk_update AFTER UPDATE ON site "
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
        f"FOR EACH STATEMENT WHEN {_BULK_WHEN} EXECUTE FUNCTION gis_app_site_bulk_trg();"
    )


def downgrade() -> None:
    """Row triggers as before; no statement triggers; history's diff inline again."""
    op.execute(DOWNGRADE)
    op.execute(DISTANCE_ROWS_0005)
    op.execute("DROP TRIGGER IF EXISTS site_history_delete ON site;")
    op.execute(_row_triggers(""))
    op.execute(_HISTORY_BODY.replace("{diff}", _OLD_DIFF))
    op.execute("DROP FUNCTION IF EXISTS gis_app_history_diff(jsonb, jsonb);")
