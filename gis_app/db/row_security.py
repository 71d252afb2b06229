"""What row-level security needs from the database besides its policies (revision 0035).

PostgreSQL evaluates a policy's condition before any condition of the query whose functions
are not ``LEAKPROOF`` (a function that could reveal a hidden row's values, e.g. in an error
message), and such a condition can then not be an index condition. PostGIS marks none of its
functions leakproof, so under the policies a bounding-box filter (``geom && box``) could not use
the GiST index of ``site.geom``: a map tile or a window search would read every site of the
caller's districts (measured: ``docs/districts_rls.md`` §8). The functions below only compare
bounding boxes or test an intersection of two geometries: they return a boolean and fail only
on geometries of different SRIDs (which every stored geometry is not) or that GEOS cannot read
(which the writer rules refuse), so marking them leakproof reveals no hidden row.

Only a superuser may mark a function leakproof, and the mark is not in a ``pg_dump`` of the
database (the functions belong to the PostGIS extension): :func:`ensure_leakproof` runs after
every upgrade (``gis-app db migrate``) and tells when it cannot.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

log = logging.getLogger("gis_app.db")

#: the PostGIS functions of the app's index conditions on tables with policies
LEAKPROOF_FUNCTIONS: tuple[str, ...] = (
    "geometry_overlaps(geometry, geometry)",  # the && operator
    "st_intersects(geometry, geometry)",  # its support function puts && on the index
)


def missing_leakproof(conn: sa.Connection) -> list[str]:
    """The functions of :data:`LEAKPROOF_FUNCTIONS` not (yet) marked leakproof."""
    return [
        f
        for f in LEAKPROOF_FUNCTIONS
        if not conn.execute(
            sa.text("SELECT proleakproof FROM pg_proc WHERE oid = to_regprocedure(:f)"),
            {"f": f},
        ).scalar()
    ]


def ensure_leakproof(conn: sa.Connection) -> list[str]:
    """Mark :data:`LEAKPROOF_FUNCTIONS` leakproof when the connected user is a superuser;
    the functions still unmarked (a DBA runs ``ALTER FUNCTION … LEAKPROOF`` for them)."""
    missing = missing_leakproof(conn)
    if not missing:
        return []
    superuser = conn.execute(
        sa.text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not superuser:
        log.warning(
            "row security: as a superuser run %s — until then spatial filters of the app's "
            "and QGIS logins cannot use the GiST index",
            "; ".join(f"ALTER FUNCTION {f} LEAKPROOF" for f in missing),
        )
        return missing
    for f in missing:
        conn.execute(sa.text(f"ALTER FUNCTION {f} LEAKPROOF"))
    return []
