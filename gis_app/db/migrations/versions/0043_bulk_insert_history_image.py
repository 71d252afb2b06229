"""A bulk import's history of new sites: each row's image built column by column, compressed
with lz4 (issue 24, item 1).

A bulk apply (revision 0028) writes one ``history`` row per new site, whose ``changes`` is the
difference of ``{}`` and the new row: every column but ``version`` and ``updated_at`` as
``[null, value]``. It was built as ``gis_app_history_diff('{}', to_jsonb(n))``: the whole row
turned into JSON, then every key looked up in both images, compared and gathered again —
10.3 s for 100,000 sites of the bench inventory (the new row's outline alone, as GeoJSON
inside the JSON, 2.0 s). ``gis_app_insert_image(table)`` writes the expression that builds the
same object directly (``jsonb_build_object('code', jsonb_build_array(NULL, n.code), …)``, in
groups of 45 columns joined by ``||``: a function takes at most 100 arguments), from the
table's columns in the catalog, so a column added later is in the image as it is in the row
trigger's — 6.7 s for the same rows, the same ``changes`` to the byte (compared over 100,000
sites). The trigger computes the images by a ``CREATE TEMP TABLE … AS`` over the new rows in
``site`` (the transition table is visible to the leader only), a statement PostgreSQL may run
with parallel workers, unlike an ``INSERT … SELECT``; for that the trigger function runs with
the workers' setup and tuple costs at zero and without the minimum table size (the statistics
of a table an import is filling say it is small). The user, note and document, the same for
every row of a statement, are read once, not once per row.

``history.changes`` is compressed with lz4 instead of pglz (new rows; old rows stay as they
are): a site's image is 2–3 KB, over the 2 KB threshold, and compressing 100,000 of them took
1.7 s more with pglz (10.5 vs 12.6 s for the insert of the same images).

The update branch, the row triggers (the app's edits, QGIS) and what the rows hold are
unchanged.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0043"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_IMAGE_FUNCTION = r"""
CREATE FUNCTION gis_app_insert_image(tbl regclass) RETURNS text
LANGUAGE sql STABLE AS $$
    -- the expression (over the alias n) of a new row's history: {column: [null, value]} for
    -- every column but version and updated_at, as gis_app_history_diff('{}', to_jsonb(n))
    SELECT string_agg(format('jsonb_build_object(%s)', part), ' || ' ORDER BY grp)
      FROM (SELECT grp,
                   string_agg(format('%L, jsonb_build_array(NULL, n.%I)', attname, attname),
                              ', ' ORDER BY attnum) AS part
              FROM (SELECT attname, attnum,
                           (row_number() OVER (ORDER BY attnum) - 1) / 45 AS grp
                      FROM pg_attribute
                     WHERE attrelid = tbl AND attnum > 0 AND NOT attisdropped
                       AND attname NOT IN ('version', 'updated_at')) a
             GROUP BY grp) p
$$;
"""

_ROWS = """        INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user,
                             db_user, application_name, note, doc_ref)
        SELECT 'site', n.id, 'insert', gis_app_history_diff('{}'::jsonb, to_jsonb(n)),
               gis_app_changed_by(), gis_app_trusted_user(), session_user,
               NULLIF(current_setting('application_name', true), ''),
               NULLIF(current_setting('gis_app.note', true), ''),
               NULLIF(current_setting('gis_app.doc_ref', true), '')
          FROM new_rows n ORDER BY n.id;
        SELECT array_agg(n.id ORDER BY n.id) INTO ids FROM new_rows n;"""

_IMAGE = """        -- each new row's image built column by column, by a statement that may run in
        -- parallel (from site: the transition table is the leader's alone), who and why once
        SELECT array_agg(n.id ORDER BY n.id) INTO ids FROM new_rows n;
        EXECUTE format(
            'CREATE TEMP TABLE gis_app_insert_images ON COMMIT DROP AS'
            ' SELECT n.id, %s AS changes FROM site n WHERE n.id = ANY ($1)',
            gis_app_insert_image(TG_RELID)) USING ids;
        INSERT INTO history (table_name, row_id, action, changes, changed_by, app_user,
                             db_user, application_name, note, doc_ref)
        SELECT 'site', n.id, 'insert', n.changes,
               who.changed_by, who.app_user, session_user, who.application_name, who.note,
               who.doc_ref
          FROM pg_temp.gis_app_insert_images n
         CROSS JOIN (SELECT gis_app_changed_by() AS changed_by,
                            gis_app_trusted_user() AS app_user,
                            NULLIF(current_setting('application_name', true), '')
                              AS application_name,
                            NULLIF(current_setting('gis_app.note', true), '') AS note,
                            NULLIF(current_setting('gis_app.doc_ref', true), '') AS doc_ref
                     OFFSET 0) who
         ORDER BY n.id;
        DROP TABLE pg_temp.gis_app_insert_images;"""

#: while the bulk trigger runs: a statement over many rows may take the idle cores (the planner
#: would not: it expects little of a table an import is filling, and charges each worker's
#: rows); its nested per-site functions start no workers of their own
_PARALLEL = (
    "parallel_setup_cost = 0",
    "parallel_tuple_cost = 0",
    "min_parallel_table_scan_size = 0",
    "min_parallel_index_scan_size = 0",
)

_TRIGGER = "gis_app_site_bulk_trg()"


def _rewrite_trigger(old: str, new: str) -> None:
    """Re-create the bulk trigger function with its insert branch's history replaced."""
    conn = op.get_bind()
    body = conn.execute(
        sa.text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": _TRIGGER}
    ).scalar_one()
    if body.count(old) != 1:
        raise RuntimeError(f"{_TRIGGER}: the insert branch's history is not as expected")
    # the DBAPI cursor without parameters: the body's % signs (format()) stay as they are
    conn.connection.cursor().execute(body.replace(old, new))


def upgrade() -> None:
    """The image function, the trigger using it, lz4 for new history rows."""
    op.execute(_IMAGE_FUNCTION)
    _rewrite_trigger(_ROWS, _IMAGE)
    for setting in _PARALLEL:
        op.execute(f"ALTER FUNCTION {_TRIGGER} SET {setting}")
    op.execute("ALTER TABLE history ALTER COLUMN changes SET COMPRESSION lz4")


def downgrade() -> None:
    """The insert branch as revision 0028 wrote it; the server's default compression."""
    op.execute("ALTER TABLE history ALTER COLUMN changes SET COMPRESSION default")
    for setting in _PARALLEL:
        op.execute(f"ALTER FUNCTION {_TRIGGER} RESET {setting.split(' = ')[0]}")
    _rewrite_trigger(_IMAGE, _ROWS)
    op.execute("DROP FUNCTION gis_app_insert_image(regclass)")
