"""Whole inventory layers: the folder loader's upsert by code, and reads of layers as frames.

Nothing here commits: :func:`gis_app.io.inventory_loader.load_folder` writes in its caller's
transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from gis_app.db.models import (
    SRID,
    Building,
    ConstraintZone,
    District,
    Infrastructure,
    Site,
)
from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS

_LOADED_TABLES: dict[str, sa.Table] = {
    model.__table__.name: model.__table__
    for model in (District, Infrastructure, ConstraintZone, Site, Building)
}
REFERENCE_LAYERS = frozenset({"jurisdiction", "constraint_zone", "infrastructure"})


def upsert_by_code(table: str, columns: Sequence[str], geometry: str | None) -> sa.Insert:
    """An insert of one row of ``table`` that updates the row with the same ``code`` instead.

    Its parameters are named after ``columns``; ``_wkb`` holds the geometry (EPSG:4490 WKB) when
    ``geometry`` is ``"polygon"`` (stored as MultiPolygon) or ``"point_or_line"``, and
    ``site_code`` (a building's) is resolved to ``site_id``. It returns ``inserted``: true for a
    new row, false for an updated one.
    """
    target = _LOADED_TABLES[table]
    values: dict[str, sa.ColumnElement[object]] = {
        name: sa.bindparam(name) for name in columns if name != "site_code"
    }
    if geometry is not None:
        shape = sa.func.ST_GeomFromWKB(sa.bindparam("_wkb"), SRID)
        values["geom"] = sa.func.ST_Multi(shape) if geometry == "polygon" else shape
    if "site_code" in columns:
        values["site_id"] = (
            sa.select(Site.id).where(Site.code == sa.bindparam("site_code")).scalar_subquery()
        )
    insert = postgresql.insert(target).values(values)
    return insert.on_conflict_do_update(
        index_elements=[target.c.code],
        set_={name: insert.excluded[name] for name in values if name != "code"},
    ).returning(sa.literal_column("(xmax = 0)").label("inserted"))


def known_site_codes(conn: sa.Connection, codes: Iterable[str]) -> set[str]:
    """Which of ``codes`` name a stored site."""
    return set(conn.execute(sa.select(Site.code).where(Site.code.in_(list(codes)))).scalars())


def sites_frame_query(where: str = "true") -> sa.TextClause:
    """Sites (officer-facing columns and ``geom``) by code; ``where`` is an SQL condition on
    alias ``s`` whose values are bound parameters."""
    cols = ", ".join(f"s.{c}" for c in SITE_PROPERTY_COLUMNS)
    return sa.text(f"SELECT {cols}, s.geom FROM site s WHERE {where} ORDER BY s.code")


def layer_frame_query(table: str) -> sa.TextClause:
    """Every row and column of a small reference layer."""
    if table not in REFERENCE_LAYERS:
        raise ValueError(f"{table!r} is not a reference layer")
    return sa.text(f"SELECT * FROM {table}")
