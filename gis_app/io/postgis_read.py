"""Read inventory layers from PostGIS into GeoDataFrames (for notebooks and exports)."""

from __future__ import annotations

import geopandas as gpd
import sqlalchemy as sa

from gis_app.db import inventory_queries


def read_sites(
    engine: sa.Engine, where: str = "true", params: dict | None = None
) -> gpd.GeoDataFrame:
    """Sites (officer-facing columns) as a GeoDataFrame in EPSG:4490.

    ``where`` is an SQL condition on alias ``s`` with bound ``params``; filtering happens in
    the database.
    """
    sql = inventory_queries.sites_frame_query(where)
    with engine.connect() as conn:
        return gpd.read_postgis(sql, conn, geom_col="geom", params=params or {}, crs=4490)


def read_layer(engine: sa.Engine, table: str) -> gpd.GeoDataFrame:
    """A whole small reference layer (jurisdiction, constraint_zone, infrastructure)."""
    sql = inventory_queries.layer_frame_query(table)
    with engine.connect() as conn:
        return gpd.read_postgis(sql, conn, geom_col="geom", crs=4490)
