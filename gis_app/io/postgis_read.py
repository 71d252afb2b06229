"""Read inventory layers from PostGIS into GeoDataFrames (for notebooks and exports)."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa

from gis_app.db.site_queries import SITE_PROPERTY_COLUMNS


def read_sites(
    engine: sa.Engine, where: str = "true", params: dict | None = None
) -> gpd.GeoDataFrame:
    """Sites (officer-facing columns) as a GeoDataFrame in EPSG:4490.

    ``where`` is an SQL condition on alias ``s`` with bound ``params``; filtering happens in
    the database.
    """
    cols = ", ".join(f"s.{c}" for c in SITE_PROPERTY_COLUMNS)
    sql = sa.text(f"SELECT {cols}, s.geom FROM site s WHERE {where} ORDER BY s.code")
    with engine.connect() as conn:
        return gpd.read_postgis(sql, conn, geom_col="geom", params=params or {}, crs=4490)


def read_layer(engine: sa.Engine, table: str) -> gpd.GeoDataFrame:
    """A whole small reference layer (jurisdiction, constraint_zone, infrastructure)."""
    if table not in {"jurisdiction", "constraint_zone", "infrastructure"}:
        raise ValueError(f"{table!r} is not a reference layer")
    with engine.connect() as conn:
        return gpd.read_postgis(sa.text(f"SELECT * FROM {table}"), conn, geom_col="geom", crs=4490)
