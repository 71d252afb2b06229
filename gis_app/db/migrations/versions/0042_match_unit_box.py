"""A match unit's envelope is a PostgreSQL ``box``, not a geometry (issue 24, item 3).

``match_unit.envelope`` (the site's bounding box) is carried in every candidate index, so that
a match with a port limit tests it index-only (``envelope && ANY(<boxes around the qualifying
ports>)``, :data:`gis_app.matching.sql._NEAR_PORTS`). As a geometry polygon it took 117 bytes of
every index entry — more than every other column of the space index together — and an
index-only scan deforms the whole entry of every candidate it reads: the any-type plant match
at 1M sites reads 86,000 entries to keep 30,000. A ``box`` is four float8 (32 bytes, fixed
width); its ``&&`` is PostgreSQL's own overlap test (inclusive, with the geometric types'
1e-6 tolerance: it keeps every unit the geometry test kept, and it is only a prefilter — the
port criterion itself is the geodesic distance). Measured on the 1M bench inventory, the
same plant match with the space index rebuilt without the geometry: 58.5 → 51.3 ms median;
with the box, interleaved on two copies, 57.6 → 53.6 ms (``bench/results/match_box_ab.md``).

* The column becomes ``box`` (``box(geometry)``, PostGIS's cast: the geometry's bounding box,
  in float8). The table and its indexes are rewritten, which also rebuilds indexes that
  updates had bloated (the bench's space index: 329 MB → 129 MB), and empties the visibility
  map the index-only scans need: :func:`gis_app.db.migrate.upgrade` vacuums ``match_unit``
  after applying revisions (a migration runs in a transaction, where VACUUM cannot).
* ``gis_app_match_unit_rows`` returns the box of the site's outline (``box(s.geom)``) instead
  of ``ST_Envelope``; it is re-created from its own definition with those two words changed
  (the rest of it as revision 0033 left it).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0042"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ROWS = "gis_app_match_unit_rows(bigint[])"
#: (as 0033 wrote them, at this revision) in the rows function's definition
_GEOMETRY = ("envelope geometry", "ST_Envelope(s.geom)")
_BOX = ("envelope box", "box(s.geom)")


def _rewrite_rows_function(old: tuple[str, str], new: tuple[str, str]) -> None:
    """Re-create the rows function with its envelope column's type and value replaced."""
    conn = op.get_bind()
    body = conn.execute(
        sa.text("SELECT pg_get_functiondef(CAST(:f AS regprocedure))"), {"f": _ROWS}
    ).scalar_one()
    for was, becomes in zip(old, new, strict=True):
        if body.count(was) < 1:
            raise RuntimeError(f"{_ROWS}: {was!r} not in its definition")
        body = body.replace(was, becomes)
    op.execute(f"DROP FUNCTION {_ROWS}")
    conn.exec_driver_sql(body)


def upgrade() -> None:
    """Envelope as ``box``: the table and its indexes rewritten, the rows function with it."""
    op.execute("ALTER TABLE match_unit ALTER COLUMN envelope TYPE box USING box(envelope)")
    _rewrite_rows_function(_GEOMETRY, _BOX)


def downgrade() -> None:
    """Envelope as a geometry polygon again (EPSG:4490)."""
    op.execute(
        "ALTER TABLE match_unit ALTER COLUMN envelope TYPE geometry(Geometry, 4490)"
        " USING ST_Envelope(ST_MakeEnvelope((envelope[1])[0], (envelope[1])[1],"
        " (envelope[0])[0], (envelope[0])[1], 4490))"
    )
    _rewrite_rows_function(_BOX, _GEOMETRY)
