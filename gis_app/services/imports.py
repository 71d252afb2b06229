"""File imports as one unit of work: check a file, then write all of its rows or none.

:func:`import_file` takes the caller's connection, as every service does, and owns its
transaction: the jurisdiction's outline is read, the file is read
(:func:`gis_app.io.imports.checks.open_source`) and checked, its rows are staged and compared
with the current rows and, when every row is fine and it is not a dry run, written
(:func:`gis_app.io.imports.apply.apply_rows`) — all in that one transaction, which is then
committed. A large file is checked and written in chunks, the next checked while one is
written (:mod:`gis_app.io.imports.pipeline`); if a row is refused, the chunks are rolled back
and the file is checked in one pass for its report. A dry run, a rejected row or any error
rolls the transaction back, so nothing is half written; a process killed at any point leaves
the database as it was (the transaction dies with the connection). Like geopandas'
``_get_conn``, it joins a transaction the caller has begun rather than opening a connection
of its own, so the CLI and the API (which hand it a connection) decide which pool and which
database session it runs on.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import sqlalchemy as sa

from gis_app.db import district_queries, edit_queries, scope
from gis_app.domain import districts
from gis_app.io import geometry_checks
from gis_app.io.imports.apply import apply_rows
from gis_app.io.imports.checks import Opened, open_source
from gis_app.io.imports.options import ImportOptions, Progress, UploadLimits, quiet
from gis_app.io.imports.pipeline import write_in_chunks
from gis_app.io.imports.report import ImportReport

# Outlines and parcels share edges only approximately (~1 m), as in the folder loader and edits.
INSIDE_TOLERANCE_DEG = 1e-5


def import_file(
    conn: sa.Connection,
    path: Path,
    opts: ImportOptions,
    *,
    user: str,
    limits: UploadLimits | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Check the file at ``path`` and, if every row is fine and it is not a dry run, write it
    and commit; otherwise roll back. ``user`` is recorded in the history.

    The report says what each row would do (dry run, rejected rows) or did (committed). A bad
    file as a whole (no CRS, unreadable, over a limit) raises a domain error; nothing is written.
    """
    limits = limits or UploadLimits()
    tick = progress or quiet
    try:
        outline = geometry_checks.prepared_outline(
            edit_queries.jurisdiction_outline(conn), INSIDE_TOLERANCE_DEG
        )
        context = {
            "districts": districts.prepared(district_queries.district_outlines(conn)),
            "district_names": district_queries.district_terms(conn),
            "writable": _writable(conn),
        }
        with tempfile.TemporaryDirectory(prefix="gis_app_import_") as tmp:
            opened = open_source(path, opts, limits, Path(tmp), tick)
        report = opened.report
        if isinstance(opened, Opened):
            if not opts.dry_run and len(opened.src.rows) >= limits.bulk_min_features:
                with edit_queries.translate_db_errors(f"import of {path.name}"):
                    written = write_in_chunks(
                        conn, opened, outline, user=user, tick=tick, **context
                    )
            else:
                written = False
            if not written:  # a small file, a dry run, or a refused row: the file in one pass
                prep = opened.check_all(outline, **context, tick=tick)
                if not report.problems:
                    with edit_queries.translate_db_errors(f"import of {path.name}"):
                        bulk = len(prep.values) >= limits.bulk_min_features
                        apply_rows(conn, prep, opts, user, tick, bulk=bulk)
    except BaseException:
        conn.rollback()
        raise
    n = len(report.rows)
    try:
        if report.ok and not opts.dry_run:
            # the last moment to stop (a cancelled job's progress callback raises here)
            tick("committing", n, n)
            conn.commit()
            report.committed = True
        else:
            conn.rollback()
    except BaseException:
        conn.rollback()
        raise
    tick("done", n, n)
    return report


def _writable(conn: sa.Connection) -> frozenset[str] | None:
    """The districts the connection's caller may change (None: not bound, e.g. the owner)."""
    bound = scope.bound(conn)
    return None if bound is None else frozenset(bound.write)
