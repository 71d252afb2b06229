"""SQL for the QGIS side of the database: default layer styles and the stored project."""

from __future__ import annotations

import json

import sqlalchemy as sa


def crs_definition(conn: sa.Connection, srid: int) -> tuple[str, str]:
    """``(wkt, proj4)`` of ``srid`` from PostGIS's ``spatial_ref_sys``."""
    row = conn.execute(
        sa.text("SELECT srtext, proj4text FROM spatial_ref_sys WHERE srid = :s"), {"s": srid}
    ).one()
    return row[0], row[1]


def connection_facts(conn: sa.Connection) -> tuple[str, int]:
    """The database's name and the server's port as the server itself knows them."""
    row = conn.execute(sa.text("SELECT current_database(), current_setting('port')::int")).one()
    return row[0], row[1]


def replace_default_style(
    conn: sa.Connection, table: str, geometry_column: str, name: str, qml: str, description: str
) -> None:
    """Make ``qml`` the one default style QGIS applies to ``public.<table>`` in this database."""
    key = {"t": table, "g": geometry_column}
    conn.execute(
        sa.text(
            "DELETE FROM layer_styles WHERE f_table_catalog = current_database()"
            " AND f_table_schema = 'public' AND f_table_name = :t AND f_geometry_column = :g"
            " AND (useasdefault OR stylename = :n)"
        ),
        {**key, "n": name},
    )
    conn.execute(
        sa.text(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name,"
            " f_geometry_column, stylename, styleqml, useasdefault, description, type)"
            " VALUES (current_database(), 'public', :t, :g, :n, XMLPARSE(DOCUMENT :q), true,"
            " :d, :type)"
        ),
        {**key, "n": name, "q": qml, "d": description, "type": "vector"},
    )


def save_project(conn: sa.Connection, name: str, content: bytes, user: str, at: str) -> None:
    """Store a QGIS project (``.qgz`` bytes) under ``name``, replacing an older one."""
    conn.execute(
        sa.text(
            "INSERT INTO qgis_projects (name, metadata, content) VALUES (:n, CAST(:m AS jsonb), :c)"
            " ON CONFLICT (name) DO UPDATE SET metadata = EXCLUDED.metadata,"
            " content = EXCLUDED.content"
        ),
        {
            "n": name,
            "m": json.dumps({"last_modified_time": at, "last_modified_user": user}),
            "c": content,
        },
    )


def project_names(conn: sa.Connection) -> list[str]:
    """Names of the projects stored in the database."""
    return list(conn.execute(sa.text("SELECT name FROM qgis_projects ORDER BY name")).scalars())
